"""The version of alviz (one place: the package, the session files and the reports read it here)."""

__version__ = "0.1.0"
