"""Where an explorer's 2-D picture comes from, and how far its fit got: one object for every picture.

A :class:`PictureSource` owns one picture (the reference picture, or the
model-space pictures of the rounds) and its state:

``"given"``
    the caller gave the coordinates; nothing is fitted.
``"idle"``
    nothing fitted yet and nothing asked for (model space before it is shown).
``"fitting"``
    a background fit runs; the explorer shows a stand-in meanwhile (a PCA, or the last picture there is).
``"ready"``
    the fitted picture is there (also when it came from the cache at once).
``"failed"``
    the fit raised; :attr:`PictureSource.error` says why and the stand-in stays. A failed fit
    is not retried for the same request (the same number of rounds), only for a new one.

The fit runs on a daemon thread (:class:`alviz.widgets._tools.Background`),
one at a time per source; a request that arrives while one runs is remembered
and started when it ends. ``on_change(source)`` is called on the fitting thread
when a fit ended (the explorer redraws there, under its lock).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from ._tools import Background

__all__ = ["STATES", "PictureSource"]

#: every state a picture source can be in
STATES = ("given", "idle", "fitting", "ready", "failed")


class PictureSource:
    """One picture, its source and its background fit.

    Parameters
    ----------
    fit : callable() -> Any
        Computes the picture (a UMAP fit, say); called on a background thread. It reads what it
        needs when it starts (e.g. the rounds run so far).
    on_change : callable(PictureSource) -> None
        Called on the fitting thread after each fit ended (successfully or not).
    value : Any, optional
        A picture there already is (given by the caller, or found in the cache).
    state : str
        The initial state: "given" or "ready" with a ``value``, "idle" without.
    name : str
        What the picture is, for messages ("the reference picture", "the model-space picture").

    Attributes
    ----------
    state : str
        One of :data:`STATES`.
    value : Any
        The last fitted (or given) picture, None before the first.
    error : BaseException or None
        Why the last fit failed (None after a successful one).
    fitted_for : hashable or None
        The request key whose fit produced :attr:`value`.
    """

    def __init__(
        self,
        fit: Callable[[], Any],
        on_change: Callable[[PictureSource], None],
        value: Any = None,
        state: str = "idle",
        name: str = "the picture",
    ) -> None:
        if state not in STATES:
            raise ValueError(f"state={state!r}; choose one of {STATES}")
        self._fit = fit
        self._on_change = on_change
        self.name = name
        self.value = value
        self.state = state
        self.error: BaseException | None = None
        self.fitted_for: Hashable | None = None
        self._failed_for: Hashable | None = None
        self._running_for: Hashable | None = None
        self._wanted: Hashable | None = None
        self._job: Background | None = None
        self._lock = threading.RLock()

    @property
    def busy(self) -> bool:
        """True while a fit runs (or its ``on_change`` does)."""
        job = self._job
        return job is not None and not job.done

    def request(self, key: Hashable = 0) -> None:
        """Fit the picture for ``key`` in the background, unless it is fitted, failed or running for it.

        Parameters
        ----------
        key : hashable
            What the picture must cover (e.g. the number of rounds run). While a fit runs, the
            newest request waits and starts when the running fit ends.
        """
        with self._lock:
            if self.state == "given" or key in (self.fitted_for, self._failed_for, self._running_for):
                return
            if self._running_for is not None:
                self._wanted = key
                return
            self._start(key)

    def _start(self, key: Hashable) -> None:
        self._running_for = key
        self._wanted = None
        self.state = "fitting"
        self._job = Background(self._fit, lambda result, exc: self._done(key, result, exc))

    def _done(self, key: Hashable, result: Any, exc: BaseException | None) -> None:
        with self._lock:
            self._running_for = None
            if exc is None:
                self.value, self.state, self.error, self.fitted_for = result, "ready", None, key
            else:
                self.state, self.error, self._failed_for = "failed", exc, key
        self._on_change(self)
        with self._lock:
            wanted = self._wanted
            if wanted is not None and self._running_for is None and wanted not in (self.fitted_for, self._failed_for):
                self._start(wanted)

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until no fit runs (True), or ``timeout`` seconds passed (False).

        Parameters
        ----------
        timeout : float or None
            Seconds to wait at most (None: as long as it takes).

        Returns
        -------
        bool
            True when no fit runs any more.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:  # a fit that ends may start the next one (a request that waited)
            job = self._job
            if job is None or job.done:
                with self._lock:
                    job = self._job
                    if job is None or job.done:
                        return True
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not job.wait(left):
                return False
