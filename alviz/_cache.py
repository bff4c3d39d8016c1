"""A small on-disk cache shared by the layers that train or fit once (projections, encoders).

Files live under ``$ALVIZ_CACHE_DIR`` (default ``~/.cache/alviz``), named by a
content hash of what produced them. Every process (a notebook, ``alviz.experiment``'s
joblib and Dask workers) may read and write it at once, so:

- **writes are atomic** (a temp file in the same folder, then a rename): a reader sees
  the old entry, the new one, or none, never half of one; two writers of the same
  entry write the same bytes, and the last rename wins;
- **every entry carries its checksum** (a trailer: ``ALVIZSUM`` + the SHA-256 of the
  payload): a truncated, corrupted or foreign entry of any kind is detected on read,
  removed with a :class:`CacheWarning`, and recomputed by the caller;
- **the size is bounded**: after each write, the least recently used entries (by
  modification time, which a read refreshes) are removed until the cache holds at most
  ``$ALVIZ_CACHE_MAX_MB`` megabytes (default :data:`DEFAULT_MAX_MB`, 2048; 0 keeps nothing);
- **a cache that cannot be used never stops the work**: an unusable folder (read-only,
  a file in the way) falls back to a temporary folder for this process, and a failed
  write (a full disk) carries on uncached; both say so with a :class:`CacheWarning`.

``alviz cache info`` and ``alviz cache clear`` show and empty it (:func:`info`, :func:`clear`).
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "DEFAULT_MAX_MB",
    "CacheWarning",
    "atomic_write_bytes",
    "cache_dir",
    "cache_root",
    "cached_arrays",
    "clear",
    "content_key",
    "info",
    "max_bytes",
    "pool_key",
    "read_entry",
    "read_npy",
    "write_entry",
    "write_npy",
]

#: the default size limit of the cache in megabytes (``ALVIZ_CACHE_MAX_MB`` overrides it)
DEFAULT_MAX_MB = 2048
#: the trailer of every entry: this marker, then the SHA-256 digest (32 bytes) of the payload before it
_MARK = b"ALVIZSUM"
_TRAILER = len(_MARK) + 32
#: temp files of writers that died are removed once they are this old (seconds)
_STALE_TMP = 3600.0

_lock = threading.Lock()
_fallback: dict = {}  # configured root (str) -> the temporary folder used instead in this process


class CacheWarning(UserWarning):
    """The disk cache could not be used as asked (unusable folder, full disk, a broken entry); work carries on."""


def _configured_root() -> Path:
    return Path(os.environ.get("ALVIZ_CACHE_DIR") or Path.home() / ".cache" / "alviz")


def _usable(d: Path) -> bool:
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe.", dir=d)
        os.close(fd)
        os.unlink(probe)
        return True
    except OSError:
        return False


def cache_root() -> Path:
    """The cache's root folder: ``$ALVIZ_CACHE_DIR`` (default ``~/.cache/alviz``), or a temporary stand-in.

    Returns
    -------
    pathlib.Path
        The configured folder when it can be written; otherwise (read-only, a file in the
        way) a temporary folder for the rest of this process, with a :class:`CacheWarning`.
    """
    root = _configured_root()
    key = str(root)
    with _lock:
        if key in _fallback:
            return _fallback[key]
    if _usable(root):
        return root
    with _lock:
        if key not in _fallback:
            _fallback[key] = Path(tempfile.mkdtemp(prefix="alviz-cache-"))
            warnings.warn(
                f"the alviz cache folder {root} cannot be written; using the temporary folder "
                f"{_fallback[key]} for this session (set ALVIZ_CACHE_DIR to a writable folder to keep "
                "fitted pictures and encoders between sessions)",
                CacheWarning,
                stacklevel=3,
            )
        return _fallback[key]


def cache_dir(sub: str = "") -> Path:
    """The cache folder ``sub`` under :func:`cache_root`, created on demand.

    Parameters
    ----------
    sub : str
        A sub-folder name (e.g. "projection"), or "" for the root.

    Returns
    -------
    pathlib.Path
    """
    root = cache_root()
    d = root / sub if sub else root
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError:
        with _lock:
            _fallback.setdefault(str(_configured_root()), Path(tempfile.mkdtemp(prefix="alviz-cache-")))
        warnings.warn(
            f"the alviz cache folder {d} cannot be created; using a temporary folder instead",
            CacheWarning,
            stacklevel=2,
        )
        d = cache_root() / sub if sub else cache_root()
        d.mkdir(parents=True, exist_ok=True)
    return d


def content_key(*parts: Any) -> str:
    """A hex digest of arrays (by shape, dtype and bytes) and JSON-able parameters.

    Parameters
    ----------
    *parts : numpy arrays or JSON-able values

    Returns
    -------
    str
        24 hex digits.
    """
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


def pool_key(X: Any, y: Any = None) -> str:
    """The content hash of a pool: its inputs ``X`` (and labels ``y`` when given), by :func:`content_key`.

    The one way alviz hashes a pool (``Dataset.fingerprint``, ``Session.pool_key``,
    ``QueryContext.pool_key``); hashing is O(pool bytes), so callers compute it once and keep it.

    Parameters
    ----------
    X : array-like, the pool's inputs.
    y : array-like or None, its labels.

    Returns
    -------
    str
    """
    parts = ["pool", np.asarray(X)]
    if y is not None:
        parts.append(np.asarray(y))
    return content_key(*parts)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder and an atomic rename.

    Parameters
    ----------
    path : pathlib.Path
    data : bytes

    Raises
    ------
    OSError
        The folder cannot be written or the disk is full; ``path`` is then unchanged.
    """
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


# ----------------------------------------------------------------------------- entries
def write_entry(path: Path, data: bytes) -> bool:
    """Store ``data`` as the cache entry ``path`` (atomically, with its checksum), then keep the size limit.

    Parameters
    ----------
    path : pathlib.Path, a file under :func:`cache_dir`.
    data : bytes, the payload.

    Returns
    -------
    bool
        True when stored. False when the write failed (a full disk, a folder gone read-only):
        a :class:`CacheWarning` says so and the caller carries on with its value, uncached.
    """
    path = Path(path)
    try:
        atomic_write_bytes(path, data + _MARK + hashlib.sha256(data).digest())
    except OSError as exc:
        why = "the disk is full" if exc.errno == errno.ENOSPC else f"{type(exc).__name__}: {exc}"
        warnings.warn(
            f"could not write the alviz cache entry {path.name} ({why}); carrying on without caching "
            "it (free some space, or run `alviz cache clear`)",
            CacheWarning,
            stacklevel=2,
        )
        return False
    try:
        _evict(keep=path)
    except OSError:  # another process evicting at the same time: its removals are as good as ours
        pass
    except ValueError as exc:  # a mistyped ALVIZ_CACHE_MAX_MB: the entry is written, the limit not kept
        warnings.warn(f"{exc}; the cache's size limit is not kept until it is fixed", CacheWarning, stacklevel=2)
    return True


def read_entry(path: Path) -> bytes | None:
    """The payload of the cache entry ``path``, checked against its checksum; None when missing or broken.

    A broken entry (truncated, corrupted, written by an older alviz without a checksum)
    is removed with a :class:`CacheWarning`, so that the caller recomputes and replaces it.
    A hit refreshes the entry's modification time (the least recently used go first).

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    bytes or None
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        warnings.warn(
            f"could not read the alviz cache entry {path.name} ({exc}); recomputing it", CacheWarning, stacklevel=2
        )
        return None
    data, mark, digest = raw[:-_TRAILER], raw[-_TRAILER:-32], raw[-32:]
    if len(raw) < _TRAILER or mark != _MARK:
        _drop(path, "it has no checksum (written by an older alviz, or truncated)")
        return None
    if hashlib.sha256(data).digest() != digest:
        _drop(path, "it is corrupted (its checksum does not match)")
        return None
    try:
        os.utime(path)
    except OSError:
        pass
    return data


def _drop(path: Path, why: str) -> None:
    warnings.warn(
        f"the alviz cache entry {path.name} is broken: {why}; it is recomputed and replaced", CacheWarning, stacklevel=3
    )
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def write_npy(path: Path, arr: np.ndarray) -> bool:
    """Store one array as the cache entry ``path`` (``.npy`` bytes, never a pickle); see :func:`write_entry`.

    Parameters
    ----------
    path : pathlib.Path
    arr : numpy.ndarray, numbers or strings (no Python objects).

    Returns
    -------
    bool, whether it was stored.
    """
    buf = io.BytesIO()
    np.save(buf, np.asarray(arr), allow_pickle=False)
    return write_entry(path, buf.getvalue())


def read_npy(path: Path, shape: tuple | None = None) -> np.ndarray | None:
    """The array of the cache entry ``path``, or None (missing, broken, or not of ``shape``).

    Parameters
    ----------
    path : pathlib.Path
    shape : tuple or None, the shape the caller expects; another one counts as broken.

    Returns
    -------
    numpy.ndarray or None
    """
    data = read_entry(path)
    if data is None:
        return None
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        _drop(path, f"it is not an array ({exc})")
        return None
    if shape is not None and arr.shape != tuple(shape):
        _drop(path, f"it holds an array of shape {arr.shape}, not {tuple(shape)}")
        return None
    return arr


# ----------------------------------------------------------------------------- size
def max_bytes() -> int | None:
    """The cache's size limit in bytes: ``$ALVIZ_CACHE_MAX_MB`` megabytes (default :data:`DEFAULT_MAX_MB`).

    Returns
    -------
    int or None
        None when ``ALVIZ_CACHE_MAX_MB`` is "none" or "unlimited" (no limit).

    Raises
    ------
    ValueError
        ``ALVIZ_CACHE_MAX_MB`` is not a number >= 0.
    """
    text = os.environ.get("ALVIZ_CACHE_MAX_MB", "").strip()
    if not text:
        return DEFAULT_MAX_MB * 2**20
    if text.lower() in ("none", "unlimited"):
        return None
    try:
        mb = float(text)
    except ValueError:
        mb = -1.0
    if not np.isfinite(mb) or mb < 0:
        raise ValueError(
            f"ALVIZ_CACHE_MAX_MB={text!r} must be a number of megabytes >= 0 (or 'none' for no "
            f"limit); the default is {DEFAULT_MAX_MB}"
        )
    return int(mb * 2**20)


def _entries(root: Path) -> list:
    """(mtime, size, path) of every entry under ``root``; writers' temp files that are long dead are removed."""
    out = []
    now = time.time()
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            try:
                st = p.stat()
            except OSError:  # removed meanwhile by another process
                continue
            if name.startswith("."):
                if name.endswith(".tmp") and now - st.st_mtime > _STALE_TMP:
                    p.unlink(missing_ok=True)
                continue  # a write in progress, or a probe
            out.append((st.st_mtime, st.st_size, p))
    return out


def _evict(keep: Path | None = None) -> int:
    """Remove the least recently used entries until the cache fits its limit; returns how many were removed."""
    limit = max_bytes()
    if limit is None:
        return 0
    entries = sorted(_entries(cache_root()), key=lambda e: e[0])
    total = sum(size for _t, size, _p in entries)
    removed = 0
    for _t, size, p in entries:
        if total <= limit:
            break
        if keep is not None and p == keep:
            continue
        p.unlink(missing_ok=True)
        total -= size
        removed += 1
    return removed


def info() -> dict:
    """What the cache holds: its folder, entries and bytes (by sub-folder), and its limit.

    Returns
    -------
    dict
        ``{"path", "entries", "bytes", "max_bytes", "fallback", "folders": {sub: {"entries", "bytes"}}}``;
        ``fallback`` is True when the configured folder was unusable and a temporary one stands in.
    """
    root = cache_root()
    folders: dict = {}
    entries = _entries(root) if root.exists() else []
    for _t, size, p in entries:
        rel = p.relative_to(root)
        sub = rel.parts[0] if len(rel.parts) > 1 else "."
        f = folders.setdefault(sub, {"entries": 0, "bytes": 0})
        f["entries"] += 1
        f["bytes"] += size
    return {
        "path": str(root),
        "entries": len(entries),
        "bytes": sum(e[1] for e in entries),
        "max_bytes": max_bytes(),
        "fallback": root != _configured_root(),
        "folders": folders,
    }


def clear() -> dict:
    """Remove every entry of the cache (the folder stays).

    Returns
    -------
    dict
        ``{"path", "entries", "bytes"}``: what was removed.
    """
    root = cache_root()
    entries = _entries(root) if root.exists() else []
    n = b = 0
    for _t, size, p in entries:
        try:
            p.unlink()
        except FileNotFoundError:
            continue
        n += 1
        b += size
    return {"path": str(root), "entries": n, "bytes": b}


# ----------------------------------------------------------------------------- dicts of arrays
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
    """Load the entry ``sub/key.npz`` if present and intact, else compute, store and return it.

    ``compute`` returns a dict of arrays, JSON values and nested dicts of those (e.g. a
    network's ``state_dict`` as arrays). The entry is an ``.npz`` read with
    ``allow_pickle=False`` plus a JSON description: a cache folder someone else
    filled can hold wrong numbers at worst, never code. A broken entry is recomputed and
    replaced (with a :class:`CacheWarning`); a failed write leaves the value uncached.

    Parameters
    ----------
    sub : str, the cache sub-folder.
    key : str, the entry's content key (:func:`content_key` of what produced it).
    compute : callable() -> dict

    Returns
    -------
    dict
    """
    path = cache_dir(sub) / f"{key}.npz"
    data = read_entry(path)
    if data is not None:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                stored = json.loads(bytes(npz["__meta__"]).decode("utf-8"))
                return _unflatten(npz, stored)
        except Exception as exc:  # noqa: BLE001 - an entry that does not parse is broken: recompute below
            _drop(path, f"it does not parse ({type(exc).__name__})")
    value = compute()
    arrays: dict = {}
    meta: dict = {}
    _flatten(value, "", arrays, meta)
    buf = io.BytesIO()
    np.savez(buf, __meta__=np.frombuffer(json.dumps(meta, allow_nan=True).encode("utf-8"), dtype=np.uint8), **arrays)
    write_entry(path, buf.getvalue())
    return value
