"""A small on-disk cache shared by the layers that train or fit once (projections, encoders).

Files live under ``$ALVIZ_CACHE_DIR`` (default ``~/.cache/alviz``), named by a
content hash of what produced them; writes are atomic (temp file + rename) so
a crash never leaves a half-written entry that a later run would trust.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["cache_dir", "content_key", "atomic_write_bytes", "cached_pickle"]


def cache_dir(sub: str = "") -> Path:
    """The cache folder (created on demand); ``ALVIZ_CACHE_DIR`` overrides the default."""
    root = Path(os.environ.get("ALVIZ_CACHE_DIR") or Path.home() / ".cache" / "alviz")
    d = root / sub if sub else root
    d.mkdir(parents=True, exist_ok=True)
    return d


def content_key(*parts: Any) -> str:
    """A hex digest of arrays (by shape, dtype and bytes) and JSON-able parameters."""
    h = hashlib.sha1()
    for p in parts:
        if isinstance(p, np.ndarray):
            a = np.ascontiguousarray(p)
            h.update(f"ndarray{a.shape}{a.dtype}".encode())
            h.update(a.tobytes())
        else:
            h.update(json.dumps(p, sort_keys=True, default=repr).encode())
        h.update(b"\x00")
    return h.hexdigest()[:24]


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and an atomic rename."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # an ordinary file's permissions, not mkstemp's private 0600
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def cached_pickle(sub: str, key: str, compute: Callable[[], Any]) -> Any:
    """Load ``sub/key.pkl`` if present and readable, else compute, store and return it."""
    path = cache_dir(sub) / f"{key}.pkl"
    if path.exists():
        try:
            with open(path, "rb") as f:
                return pickle.load(f)
        except (pickle.UnpicklingError, EOFError, ValueError, AttributeError, ImportError):
            path.unlink(missing_ok=True)  # a stale or broken entry: recompute below
    value = compute()
    atomic_write_bytes(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
    return value
