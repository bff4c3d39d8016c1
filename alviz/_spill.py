"""Bounded memory for long sessions: the large arrays of old rounds live on disk, memory-mapped.

A Round keeps the pool-sized arrays its pictures and its file need: ``proba``
(n_pool, C), ``embedding`` (n_pool, d), ``scores`` and the strategy's
diagnostics (VAAL's ``representation`` (n_pool, d) ...). On a 60 000-image pool
that is ~20 MB a round, so a long session would grow without bound, although a
picture only ever draws a few rounds at once. So, once a round is
:data:`RESIDENT_ROUNDS` rounds old, each of its arrays of at least
:data:`SPILL_MIN_BYTES` is written once to a private folder of the session (a
``.npy`` file) and replaced by a read-only ``numpy.memmap`` of that file: the
same numbers, the same dtype and shape, an ``ndarray`` everywhere one is used,
but resident only while something reads it (the operating system pages it in
and can drop it again). Small sessions (every array under the threshold) never
spill. The folder is removed when the session is garbage-collected or the
process ends; a memory-mapped file stays readable until its last map is closed.
The folders of processes that were killed (named by their pid) are removed by
the next process that spills.

:func:`release` drops the pages a reader touched (after a save, say) so that
reading every old round once does not leave them all counted as resident.
"""

from __future__ import annotations

import mmap
import os
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Any, TypeGuard

import numpy as np

__all__ = ["RESIDENT_ROUNDS", "SPILL_MIN_BYTES", "SpillStore", "is_spilled", "release", "spill_round"]

#: the newest rounds whose arrays stay in memory (the ones a picture and the next round use most)
RESIDENT_ROUNDS = 2
#: arrays smaller than this stay in memory (the bookkeeping would cost more than it saves)
SPILL_MIN_BYTES = 1 << 20


class SpillStore:
    """A private folder of ``.npy`` files behind memory-mapped arrays, removed when the store is collected.

    A Session holds one (``Session._spill``), so the folder lives as long as the session.
    """

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._count = 0
        self._finalizer: weakref.finalize | None = None

    def __getstate__(self) -> dict:
        # a copy (pickled to a worker, deep-copied) starts a folder of its own; its arrays travel as arrays
        return {}

    def __setstate__(self, state: dict) -> None:
        self._dir, self._count, self._finalizer = None, 0, None

    def __eq__(self, other: object) -> bool:
        # the same folder (or none yet): a copy of a session that never spilled equals it
        return isinstance(other, SpillStore) and self._dir == other._dir

    __hash__ = None  # type: ignore[assignment]

    @property
    def path(self) -> Path:
        """The folder (created on first use, under the system's temporary folder)."""
        if self._dir is None:
            _remove_orphans()
            self._dir = Path(tempfile.mkdtemp(prefix=f"alviz-rounds-{os.getpid()}-"))
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
        return self._dir

    def new_file(self) -> Path:
        """The path of a new ``.npy`` file in the folder (not created).

        Returns
        -------
        pathlib.Path
        """
        path = self.path / f"{self._count:06d}.npy"
        self._count += 1
        return path

    def put(self, arr: np.ndarray) -> np.ndarray:
        """``arr`` written to a file of the folder and memory-mapped back (read-only).

        Parameters
        ----------
        arr : numpy.ndarray of numbers (not of Python objects).

        Returns
        -------
        numpy.memmap
            The same values, dtype and shape. On a disk that cannot take it (full,
            read-only), ``arr`` itself: memory is then the fallback, never a lost round.
        """
        if is_spilled(arr) or arr.dtype.hasobject or arr.size == 0:
            return arr
        path = self.new_file()
        try:
            with open(path, "wb") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr), allow_pickle=False)
            return np.load(path, mmap_mode="r", allow_pickle=False)
        except OSError:
            path.unlink(missing_ok=True)
            return arr


def _remove_orphans() -> None:
    """Remove the folders of processes that ended without cleaning up (killed, crashed): their pid is gone."""
    for d in Path(tempfile.gettempdir()).glob("alviz-rounds-*-*"):
        try:
            pid = int(d.name.split("-")[2])
        except (IndexError, ValueError):
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (PermissionError, OSError):
            continue  # alive (another user's process), or unknown: left alone


def is_spilled(arr: Any) -> bool:
    """True when ``arr`` is a memory-mapped array (spilled to disk, or mapped from a session file).

    Parameters
    ----------
    arr : anything

    Returns
    -------
    bool
    """
    return isinstance(arr, np.memmap) and getattr(arr, "_mmap", None) is not None  # unpickled: in memory


def _big(v: Any) -> TypeGuard[np.ndarray]:
    return isinstance(v, np.ndarray) and not is_spilled(v) and v.nbytes >= SPILL_MIN_BYTES


def spill_round(rnd: Any, store: SpillStore) -> None:
    """Move the large arrays of Round ``rnd`` (``proba``, ``embedding``, ``scores``, array extras) to ``store``.

    Parameters
    ----------
    rnd : alviz.session.Round
    store : SpillStore
    """
    for name in ("proba", "embedding", "scores"):
        v = getattr(rnd, name, None)
        if _big(v):
            setattr(rnd, name, store.put(v))
    extras = getattr(rnd, "extras", None)
    if isinstance(extras, dict):
        for k, v in list(extras.items()):
            if _big(v):
                extras[k] = store.put(v)


def release(arr: Any) -> None:
    """Let the operating system drop the pages of memory-mapped ``arr`` this process has read.

    The numbers stay on disk and are read again on the next access; nothing changes
    but the resident size. A no-op for an array that is not memory-mapped.

    Parameters
    ----------
    arr : anything
    """
    a = arr
    while a is not None:
        mm = getattr(a, "_mmap", None)
        if isinstance(mm, mmap.mmap):
            if hasattr(mm, "madvise") and hasattr(mmap, "MADV_DONTNEED"):
                try:
                    mm.madvise(mmap.MADV_DONTNEED)
                except (OSError, ValueError):
                    pass
            return
        a = getattr(a, "base", None)
