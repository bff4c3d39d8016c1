"""alviz's widgets: the explorers, the labeling panel and the canvas they draw on."""
from ._canvas import Canvas
from ._explorers import CompareExplorer, RoundExplorer
from ._playground import Playground

__all__ = ["Canvas", "RoundExplorer", "CompareExplorer", "Playground"]
