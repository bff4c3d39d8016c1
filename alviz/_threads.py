"""A torch thread policy for alviz's small networks (task models, VAE, contrastive encoder, the attacks), and
the policy of background work (the explorer's UMAP fits): it yields to the round the person is waiting for."""

from __future__ import annotations

import os
import sys
import threading
from contextlib import contextmanager
from typing import Dict, Optional, Sequence

import numpy as np
import torch

__all__ = [
    "threads_for",
    "yield_to_foreground",
    "background_work",
    "BACKGROUND_NICENESS",
    "BACKGROUND_SWITCH_INTERVAL",
    "OWN_PROCESS_MIN_SAMPLES",
]

#: samples with at most this many values train on one torch thread (see threads_for)
_ONE_THREAD_MAX_VALUES = 1024


@contextmanager
def threads_for(input_shape: Sequence[int]):
    """Train small inputs on one torch thread, restoring the setting after.

    alviz's networks are small: for vectors and images of up to 1024 values
    (8×8 digits, 28×28 MNIST) splitting each op across OpenMP threads costs
    about as much as the work on an idle machine, and on a busy one (other
    processes on the cores) the threads' barriers make a step 3-20× slower
    (measured: an MNIST contrastive step 0.2 s on one thread, 0.8 s on two).
    Larger images (CIFAR) keep torch's setting.
    """
    if int(np.prod(input_shape)) > _ONE_THREAD_MAX_VALUES:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


#: how much lower than the foreground a background thread runs (Linux nice levels, 19 the lowest): enough to
#: give a clicked round the cores first, not so much that a busy machine starves the picture
BACKGROUND_NICENESS = 5


def yield_to_foreground() -> dict:
    """Make the calling thread background work: a lower scheduling priority and one numba thread.

    Called at the start of the explorer's background UMAP fits (on their own thread, never the
    kernel's), so that a round the person clicked for gets the cores first: on Linux the thread's
    nice level rises by :data:`BACKGROUND_NICENESS` (``setpriority`` on a thread id affects that
    thread only, and the numba workers it starts inherit it), and numba's thread count, which is
    thread-local, drops to 1 for this thread when numba is already loaded (it is not imported for
    this: that import alone would hold the interpreter for about half a second; a UMAP fit caps its
    own numba threads through ``n_jobs=1``). Elsewhere (or without permission) it does what it can
    and never raises. The thread keeps the setting until it ends.

    Returns
    -------
    dict
        What was changed: ``{"nice": int or None, "numba_threads": int or None}``.
    """
    done: Dict[str, Optional[int]] = {"nice": None, "numba_threads": None}
    tid = getattr(threading, "get_native_id", lambda: None)()
    if hasattr(os, "setpriority") and tid is not None:
        try:
            now = os.getpriority(os.PRIO_PROCESS, tid)
            os.setpriority(os.PRIO_PROCESS, tid, min(19, now + BACKGROUND_NICENESS))
            done["nice"] = os.getpriority(os.PRIO_PROCESS, tid)
        except OSError:  # not permitted here: the fit still runs, at the normal priority
            pass
    numba = sys.modules.get("numba")  # never imported here: ``import numba`` holds the GIL for half a second,
    if numba is not None:  # just when the person's first click runs (UMAP's own n_jobs=1 caps it in the fit)
        try:
            numba.set_num_threads(1)
            done["numba_threads"] = 1
        except Exception:  # noqa: BLE001 - numba's threading layer refusing: nothing to lower
            pass
    return done


#: pools of at least this many samples get the explorer's reference UMAP fitted in a process of its own
#: (``alviz.projection.reference(..., own_process=True)``): there ``import umap``, numba's compilation and the
#: fit share neither the interpreter's lock nor a core with the round a person clicked for (measured in
#: benchmarks/bench_load.py). A smaller pool's fit ends within a few seconds, about what starting a process
#: and compiling umap's code in it costs, so it stays on a background thread here
OWN_PROCESS_MIN_SAMPLES = 1000

#: the interpreter's thread switch interval (seconds) while background work runs: a thread waiting for the
#: GIL (the round, after each torch op) gets it back within this, not Python's default 5 ms
BACKGROUND_SWITCH_INTERVAL = 0.0001
_background_lock = threading.Lock()
_background_count = 0
_saved_interval = None


@contextmanager
def background_work():
    """Run the block as background work on the calling thread (the explorer's UMAP fits).

    :func:`yield_to_foreground` lowers the thread's priority and numba threads; and while any
    background work runs, the interpreter's switch interval drops to
    :data:`BACKGROUND_SWITCH_INTERVAL`: the round in the foreground releases the GIL in every
    torch op and would otherwise wait up to 5 ms each time to get it back from a fit holding it
    (``import umap`` and numba's compilation are Python work), thousands of times a round. The
    interval is restored when the last background block ends.
    """
    global _background_count, _saved_interval
    yield_to_foreground()
    with _background_lock:
        if _background_count == 0:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(min(_saved_interval, BACKGROUND_SWITCH_INTERVAL))
        _background_count += 1
    try:
        yield
    finally:
        with _background_lock:
            _background_count -= 1
            if _background_count == 0 and _saved_interval is not None:
                sys.setswitchinterval(_saved_interval)
                _saved_interval = None
