"""A small on-disk cache shared by the layers that train or fit once (projections, encoders).

Files live under ``$ALVIZ_CACHE_DIR`` (default ``~/.cache/alviz``), named by a
content hash of what produced them; writes are atomic (temp file + rename) so
a crash never leaves a half-written entry that a later run would trust.
"""
from __future__ import annotations

import hashlib
import json
import io
import os
import tempfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = ["cache_dir", "content_key", "pool_key", "atomic_write_bytes", "cached_arrays"]


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


def pool_key(X, y=None) -> str:
    """The content hash of a pool: its inputs ``X`` (and labels ``y`` when given), by :func:`content_key`.

    The one way alviz hashes a pool (``Dataset.fingerprint``, ``Session.pool_key``,
    ``QueryContext.pool_key``); hashing is O(pool bytes), so callers compute it once and keep it.
    """
    parts = ["pool", np.asarray(X)]
    if y is not None:
        parts.append(np.asarray(y))
    return content_key(*parts)


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


def _flatten(value, prefix: str, arrays: dict, meta: dict) -> None:
    for k, v in value.items():
        if not isinstance(k, str) or "/" in k or k.startswith("__"):
            raise ValueError(f"cache entry keys must be plain strings, got {k!r}")
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            meta[name] = "dict"
            _flatten(v, name + "/", arrays, meta)
        elif isinstance(v, np.ndarray):
            if v.dtype.hasobject:
                raise ValueError(f"cache entry {name!r} is an array of Python objects; the cache holds data only")
            arrays[name] = v
        else:
            json.dumps(v, allow_nan=True)  # a TypeError here names what is not data
            meta[name] = ["json", v]


def _unflatten(arrays, meta: dict) -> dict:
    out: dict = {}

    def put(name, v):
        *parents, leaf = name.split("/")
        d = out
        for p in parents:
            d = d.setdefault(p, {})
        d[leaf] = v

    for name, kind in sorted(meta.items()):
        if kind == "dict":
            put(name, {})
        else:
            put(name, kind[1])
    for name in arrays.files:
        if name != "__meta__":
            put(name, arrays[name])
    return out


def cached_arrays(sub: str, key: str, compute: Callable[[], dict]) -> dict:
    """Load ``sub/key.npz`` if present and readable, else compute, store and return it.

    ``compute`` returns a dict of arrays, JSON values and nested dicts of those (e.g. a
    network's ``state_dict`` as arrays). The entry is an ``.npz`` read with
    ``allow_pickle=False`` plus a JSON description: a cache folder someone else
    filled can hold wrong numbers at worst, never code. A broken entry is recomputed.
    """
    path = cache_dir(sub) / f"{key}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as npz:
                stored = json.loads(bytes(npz["__meta__"]).decode("utf-8"))
                return _unflatten(npz, stored)
        except Exception:  # noqa: BLE001 - any unreadable entry is stale or broken: recompute below
            path.unlink(missing_ok=True)
    value = compute()
    arrays: dict = {}
    meta: dict = {}
    _flatten(value, "", arrays, meta)
    buf = io.BytesIO()
    np.savez(buf, __meta__=np.frombuffer(json.dumps(meta, allow_nan=True).encode("utf-8"), dtype=np.uint8),
             **arrays)
    atomic_write_bytes(path, buf.getvalue())
    return value
