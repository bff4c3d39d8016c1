"""The UMAP fit itself, in a module that imports only numpy and umap-learn: run here, or in a process of its own.

:func:`umap_layout` is the one place alviz builds a ``umap.UMAP`` (``alviz.projection`` fits through it).
:func:`umap_layout_in_process` runs this very file as a script in a fresh Python process, so that a
background fit (the explorer's reference picture) shares neither the interpreter's lock nor ``import
umap``'s and numba's compilation with the round a person clicked for: the child runs at a lower priority
(:data:`alviz._threads.BACKGROUND_NICENESS` above the parent's) with one numba and one OpenMP thread, and
ends itself when its parent goes away. Run as a script the file imports nothing of alviz (no torch), so
the child starts in the time ``import umap`` takes.

Script use (internal)::

    python -c "<_LAUNCH>" _umap_fit.py FOLDER NICE

reads ``FOLDER/features.npy`` and ``FOLDER/params.json`` and writes ``FOLDER/coords.npy``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Optional

import numpy as np

__all__ = ["umap_layout", "umap_layout_in_process"]

#: runs this file as the child's main script without putting alviz's own folder first on sys.path (its
#: modules ``datasets``, ``metrics``, ... would shadow top-level packages of the same names)
_LAUNCH = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def umap_layout(
    F: np.ndarray,
    params: dict,
    init: Optional[np.ndarray] = None,
    learning_rate: float = 1.0,
    n_epochs: Optional[int] = None,
) -> np.ndarray:
    """A 2-D UMAP layout of ``F``, (n, 2) float32.

    Parameters
    ----------
    F : numpy.ndarray
        (n, d) float32 features.
    params : dict
        ``seed``, ``n_neighbors``, ``min_dist`` and ``metric``.
    init : numpy.ndarray, optional
        (n, 2) starting layout; default UMAP's spectral initialisation.
    learning_rate : float
        UMAP's ``learning_rate``.
    n_epochs : int, optional
        UMAP's ``n_epochs`` (None: its default for the pool's size).

    Returns
    -------
    numpy.ndarray
        (n, 2) float32 coordinates.
    """
    import umap  # heavy: numba compiles on first import

    model = umap.UMAP(
        n_components=2,
        n_neighbors=params["n_neighbors"],
        min_dist=params["min_dist"],
        metric=params["metric"],
        random_state=params["seed"],
        n_jobs=1,
        init="spectral" if init is None else init,
        learning_rate=learning_rate,
        n_epochs=n_epochs,
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="n_jobs value", category=UserWarning)
        coords = model.fit_transform(F)
    return np.asarray(coords, dtype=np.float32)


def umap_layout_in_process(F: np.ndarray, params: dict, niceness: int = 5, report: Optional[dict] = None) -> np.ndarray:
    """:func:`umap_layout` (spectral start) run in a fresh Python process at a lower priority.

    Parameters
    ----------
    F : numpy.ndarray
        (n, d) float32 features.
    params : dict
        ``seed``, ``n_neighbors``, ``min_dist`` and ``metric``.
    niceness : int
        How much lower than this process the child runs (Linux nice levels; ignored elsewhere).
    report : dict, optional
        Filled with what the child saw of itself: ``nice`` (its nice level, None where there is
        none) and ``alviz_imported`` / ``torch_imported`` (whether those were loaded in it).

    Returns
    -------
    numpy.ndarray
        (n, 2) float32 coordinates, the same as ``umap_layout(F, params)`` gives here.

    Raises
    ------
    OSError
        The child process could not be started (the caller may fit here instead).
    RuntimeError
        The child failed; the message ends with its error output.
    """
    with tempfile.TemporaryDirectory(prefix="alviz-umap-") as tmp:
        folder = Path(tmp)
        np.save(folder / "features.npy", np.ascontiguousarray(F, dtype=np.float32))
        (folder / "params.json").write_text(json.dumps(params))
        nice = 0
        if hasattr(os, "getpriority"):
            try:
                # relative to the process's main thread (the kernel's), not to a background thread that
                # already runs lowered (Linux keeps a nice level per thread; the child inherits the caller's)
                nice = os.getpriority(os.PRIO_PROCESS, os.getpid()) + int(niceness)
            except OSError:
                nice = 0
        env = dict(os.environ, NUMBA_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
        with open(folder / "stderr.txt", "wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", _LAUNCH, str(Path(__file__).resolve()), str(folder), str(min(19, nice))],
                stdin=subprocess.PIPE,  # kept open while we wait: the child ends when it closes (we went away)
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )
            try:
                code = proc.wait()
            except BaseException:
                proc.kill()
                proc.wait()
                raise
            finally:
                if proc.stdin is not None:
                    proc.stdin.close()
        if code != 0:
            tail = (folder / "stderr.txt").read_text("utf-8", "replace").strip()
            last = tail.splitlines()[-1] if tail else "no error output"
            raise RuntimeError(f"the UMAP fit in its own process failed (exit code {code}): {last}\n{tail[-2000:]}")
        coords = np.load(folder / "coords.npy", allow_pickle=False)
        if report is not None:
            report.update(json.loads((folder / "child.json").read_text()))
    if coords.shape != (len(F), 2):
        raise RuntimeError(f"the UMAP fit in its own process returned shape {coords.shape}, not ({len(F)}, 2)")
    return np.asarray(coords, dtype=np.float32)


def _exit_when_parent_goes() -> None:
    """End this (child) process when its stdin closes: the parent that waits on it is gone."""
    try:
        sys.stdin.buffer.read()
    finally:
        os._exit(3)


def _main(argv: list) -> None:
    folder, nice = Path(argv[0]), int(argv[1])
    if hasattr(os, "setpriority"):
        try:
            os.setpriority(os.PRIO_PROCESS, 0, max(nice, os.getpriority(os.PRIO_PROCESS, 0)))
        except OSError:  # not permitted: fit at the inherited priority
            pass
    threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
    F = np.load(folder / "features.npy", allow_pickle=False)
    params = json.loads((folder / "params.json").read_text())
    coords = umap_layout(F, params)
    seen = {
        "nice": os.getpriority(os.PRIO_PROCESS, 0) if hasattr(os, "getpriority") else None,
        "alviz_imported": any(m == "alviz" or m.startswith("alviz.") for m in sys.modules),
        "torch_imported": "torch" in sys.modules,
    }
    (folder / "child.json").write_text(json.dumps(seen))
    np.save(folder / "coords.tmp.npy", coords)
    os.replace(folder / "coords.tmp.npy", folder / "coords.npy")
    sys.stderr.flush()
    os._exit(0)  # not sys.exit: the watcher thread is blocked reading stdin, which interpreter shutdown would wait on


if __name__ == "__main__":
    try:
        _main(sys.argv[1:])
    except BaseException:  # noqa: BLE001 - reported to the parent through stderr and the exit code
        import traceback

        traceback.print_exc()
        sys.stderr.flush()
        os._exit(1)
