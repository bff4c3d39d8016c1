"""The explorer's "pick yourself" mode and its Play / Pause: you choose a round's query, or let rounds run.

In pick mode a click on a point toggles it into your selection (a box or lasso
selection adds every unlabeled point in it), the picture rings your selection
and, faintly, the strategy's own picks for the next round (the session's
waiting proposal, computed when pick mode starts), and "query my picks" runs
the round with them (``Session.step(picks=...)``; with a ``Human()`` oracle,
``Session.propose(picks=...)`` and the labeling panel).
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, List, Optional

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from ._play import Player, TurnFailed

__all__ = ["PickAndPlay"]


class PickAndPlay:
    """Mixin of :class:`alviz.widgets.RoundExplorer`: pick mode and Play / Pause (needs its runner and session)."""

    # what the explorer this mixes into provides
    session: Any
    runner: Any
    figure: Any
    error: W.HTML
    _redraw_guarded: Callable[[], None]
    _update_status: Callable[[], None]

    def _setup_pick_and_play(self) -> None:
        self.pick_mode = W.ToggleButton(
            value=False,
            description="pick yourself",
            icon="hand-pointer-o",
            tooltip="Choose this round's query yourself: click points (or box / "
            "lasso select them), then query your picks",
        )
        self.pick_mode.add_class("alviz-pick-mode")
        self.query_button = W.Button(
            description="query my picks (0)",
            icon="check",
            disabled=True,
            layout=W.Layout(width="auto"),
            tooltip="Run the round on your picks (Session.step(picks=...))",
        )
        self.query_button.add_class("alviz-query-picks")
        self.play_button = W.Button(button_style="info")
        self.my_picks: List[int] = []
        self._next_picks: Optional[List[int]] = None
        self._propose_next = False
        self.pick_mode.observe(self._on_pick_mode, names="value")
        self.query_button.on_click(lambda _b: self.query_picks())
        self.player = Player(
            self._play_turn, self.play_button, self.error, interval=0.0, on_change=lambda _p: self._update_status()
        )

    # --------------------------------------------------------------- public
    def toggle_pick(self, i: int) -> None:
        """Add unlabeled pool sample ``i`` to your picks, or take it out (what a click does in pick mode).

        Parameters
        ----------
        i : int
            A pool index; labeled samples are refused (ValueError).
        """
        self._check_unlabeled([i])
        i = int(i)
        if i in self.my_picks:
            self.my_picks.remove(i)
        else:
            self.my_picks.append(i)
        self._picks_changed()

    def add_picks(self, indices: Iterable[int]) -> None:
        """Add several pool samples to your picks (a box or lasso selection); labeled ones are skipped.

        Parameters
        ----------
        indices : iterable of int
            Pool indices.
        """
        new = [
            int(i)
            for i in indices
            if 0 <= int(i) < self.session.n_pool
            and not self.session.labeled_mask[int(i)]
            and int(i) not in self.my_picks
        ]
        self.my_picks.extend(dict.fromkeys(new))
        self._picks_changed()

    def clear_picks(self) -> None:
        """Empty your selection."""
        self.my_picks = []
        self._picks_changed()

    def query_picks(self) -> None:
        """Run the next round on your picks (the "query my picks" button); your selection empties when it ran."""
        if not self.my_picks:
            raise ValueError("no picks yet: turn on 'pick yourself' and click points (or call toggle_pick(i))")
        self._next_picks = list(self.my_picks)
        self.runner.request(1)

    def play(self) -> None:
        """Run rounds one after another on a background thread, each drawn as it ends, until :meth:`pause`."""
        self.player.play()

    def pause(self) -> None:
        """Stop playing after the round that is running."""
        self.player.pause()

    @property
    def playing(self) -> bool:
        """True while rounds play."""
        return self.player.playing

    # --------------------------------------------------------------- wiring
    def _check_unlabeled(self, indices: List[int]) -> None:
        n = self.session.n_pool
        for i in indices:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= i < n:
                raise ValueError(f"sample index {i!r} must be an int in [0, {n})")
            if self.session.labeled_mask[int(i)]:
                raise ValueError(f"sample {int(i)} is already labeled; pick among the unlabeled samples")

    def _picks_changed(self) -> None:
        self.query_button.description = f"query my picks ({len(self.my_picks)})"
        self.query_button.disabled = not self.my_picks
        self._redraw_guarded()

    def _on_pick_mode(self, change) -> None:
        on = bool(change["new"])
        if on and self.session.pending is None and self.session.n_unlabeled and self.session.rounds:
            self._propose_next = True  # the strategy's picks of the next round, drawn faintly
            self.runner.request(1)
        else:
            self._redraw_guarded()

    def _take_step(self) -> bool:
        """The explorer's step when pick mode is involved; False when the ordinary step should run."""
        if self._propose_next:
            self._propose_next = False
            self.session.propose()
            return True
        picks, self._next_picks = self._next_picks, None
        if picks is None:
            return False
        if self.session.oracle.interactive:
            self.session.propose(picks=picks)
        else:
            self.session.step(picks=picks)
        self.my_picks = []
        self.query_button.description = "query my picks (0)"
        self.query_button.disabled = True
        return True

    def _pick_traces(self, coords: np.ndarray) -> list:
        """Your selection (ringed) and, faintly, the strategy's picks for the next round."""
        xy = np.asarray(coords, dtype=np.float64)
        out = []
        pending = self.session.pending
        theirs = (
            np.zeros(0, dtype=np.int64)
            if pending is None or pending.strategy_picks is None
            else np.asarray(pending.strategy_picks, dtype=np.int64)
        )
        out.append(
            go.Scatter(
                x=xy[theirs, 0],
                y=xy[theirs, 1],
                customdata=theirs,
                mode="markers",
                name="the strategy's picks",
                opacity=0.45,
                marker=dict(symbol="diamond-open", size=13, color="rgb(0,104,55)", line=dict(width=2)),
                hovertemplate="#%{customdata} · the strategy would pick this<extra></extra>",
            )
        )
        mine = np.asarray(self.my_picks, dtype=np.int64)
        out.append(
            go.Scatter(
                x=xy[mine, 0],
                y=xy[mine, 1],
                customdata=mine,
                mode="markers",
                name="your picks",
                marker=dict(symbol="circle-open", size=17, color="rgb(213,94,0)", line=dict(width=3)),
                hovertemplate="#%{customdata} · your pick (click to drop)<extra></extra>",
            )
        )
        return out

    def _pick_title(self) -> str:
        """The title line of pick mode: whose picks the rings are, for which round."""
        nxt = len(self.session.rounds)
        return f"<br><b>pick yourself, round {nxt}:</b> {len(self.my_picks)} yours (○) · the strategy's (◇)"

    def _on_point_select(self, trace: int, points: List[int]) -> None:
        """A box or lasso selection in the page: in pick mode its unlabeled points join your picks."""
        if not self.pick_mode.value or trace < 0 or not points:
            return
        data = self.figure.figure_dict()["data"]
        if not 0 <= trace < len(data) or data[trace].get("customdata") is None:
            return
        cd = np.asarray(data[trace]["customdata"])
        picked = [int(np.ravel(cd[k])[0]) for k in points if 0 <= k < len(cd)]
        self.runner.guarded(lambda: self.add_picks(picked), "Adding these picks failed")

    def _play_turn(self) -> bool:
        if self.session.n_unlabeled == 0:
            return False
        if self.session.oracle.interactive:
            raise ValueError(
                "Play runs rounds with an oracle that labels by itself; with Human() press "
                "'Next round' and label each round's picks"
            )
        if not self.runner.run_and_wait(1):
            raise TurnFailed(self.runner.last_error)
        return self.session.n_unlabeled > 0
