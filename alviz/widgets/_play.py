"""Play / Pause: turns that run one after another on a background thread, each drawn as it ends.

The kernel stays free while a widget plays (clicks, other cells); a turn never
overlaps another turn, because each one goes through the widget's own runner
or lock. Play stops when paused, when the pool runs out, or at the first
error, which the widget shows.
"""

from __future__ import annotations

import threading
from typing import Callable, Optional

import ipywidgets as W

from ._tools import error_html, log

__all__ = ["Player", "TurnFailed"]


class TurnFailed(Exception):
    """A turn failed and the widget already shows why (Play only stops)."""

    def __init__(self, cause: Optional[BaseException]):
        super().__init__(str(cause))
        self.cause = cause


class Player:
    """Run ``turn()`` again and again on a daemon thread until paused, done or failed.

    Parameters
    ----------
    turn : callable() -> bool
        One turn (a round and its redraw); returns False when there is nothing left to do (the pool
        is exhausted). An exception stops play and is shown in ``error`` (a :class:`TurnFailed`
        only stops it: its cause is already shown).
    button : ipywidgets.Button
        The Play / Pause button (CSS class ``alviz-play``); a click toggles.
    error : ipywidgets.HTML
        Where an error is shown.
    interval : float
        Seconds to wait between turns (so a fast turn can be seen; pausing interrupts the wait).
    on_change : callable(bool), optional
        Told ``True`` when play starts and ``False`` when it stops (a status line).

    Attributes
    ----------
    last_error : BaseException or None
        The error that stopped the last play, if any.
    turns : int
        Turns played since the player was made.
    """

    def __init__(
        self,
        turn: Callable[[], bool],
        button: W.Button,
        error: W.HTML,
        interval: float = 0.0,
        on_change: Optional[Callable[[bool], None]] = None,
    ) -> None:
        self._turn = turn
        self.button = button
        self.error = error
        self.interval = float(interval)
        self._on_change = on_change or (lambda playing: None)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._active = False
        self.last_error: Optional[BaseException] = None
        self.turns = 0
        button.add_class("alviz-play")
        button.on_click(lambda _b: self.pause() if self.playing else self.play())
        self._show(False, notify=False)

    @property
    def playing(self) -> bool:
        """True while turns are being played."""
        return self._active

    def play(self) -> None:
        """Start playing (nothing happens when already playing)."""
        with self._lock:
            if self.playing:
                return
            self._stop.clear()
            self.last_error = None
            self._active = True
            self._thread = threading.Thread(target=self._loop, name="alviz-play", daemon=True)
            self._show(True)
            self._thread.start()

    def pause(self) -> None:
        """Stop after the turn that is running (if any); returns at once."""
        self._stop.set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until play has stopped (True) or ``timeout`` seconds passed (False).

        Parameters
        ----------
        timeout : float or None
            Seconds to wait at most (None: as long as it takes).

        Returns
        -------
        bool
        """
        t = self._thread
        if t is None or t is threading.current_thread():
            return True
        t.join(timeout)
        return not t.is_alive()

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._turn():
                    break
                self.turns += 1
                if self.interval > 0 and self._stop.wait(self.interval):
                    break
        except TurnFailed as exc:
            self.last_error = exc.cause
        except Exception as exc:  # noqa: BLE001 - shown in the widget, kept in last_error, logged
            self.last_error = exc
            self.error.value = error_html("Play stopped: the turn failed; the session is unchanged", exc)
            log.warning("play stopped: %s: %s", type(exc).__name__, exc, exc_info=exc)
        finally:
            self._stop.set()
            self._active = False
            self._show(False)

    def _show(self, playing: bool, notify: bool = True) -> None:
        self.button.description = "Pause" if playing else "Play"
        self.button.icon = "pause" if playing else "play"
        self.button.tooltip = (
            "Pause: stop after this round"
            if playing
            else "Play: run rounds one after another until paused or the pool runs out"
        )
        if not notify:
            return
        try:
            self._on_change(playing)
        except Exception as exc:  # noqa: BLE001 - a status line must not kill the player
            log.warning("play status failed: %s", exc)
