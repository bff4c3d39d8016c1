"""The labeling panel: a person gives the labels of a pending proposal (``Session.propose`` / ``label``).

The panel shows one card per pick, in pick order: the sample's image (or, for
plain vectors, its place in the picture and its nearest labeled neighbours),
what the model guesses, and a class choice (a Dropdown: Tab moves between
picks, typing a class name picks it). Choices start empty by default, so the
person has to look at every pick before "Submit labels" becomes active
(``preset="guess"`` starts them at the model's guess instead, faster but it
invites agreeing with the model). Submitting calls ``session.label`` and then
``on_submit`` (the explorer redraws). CSS classes for tests and browsers:
``alviz-labeling-panel``, ``alviz-label-card``, ``alviz-label-choice``,
``alviz-submit-labels``, ``alviz-labeling-status``.

:func:`pending_figure` draws the waiting picks in the round view (ranked and
ringed, as committed picks are) with a title that says they wait for labels.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from ._tools import error_html, png_bytes, status_html

__all__ = ["LabelingPanel", "pending_figure", "png_bytes"]

_PRESETS = (None, "guess")
_CLASS_IN_HOVER = re.compile(r" · class [^<]*")


def pending_figure(session, coords, color_by: str = "class", overlay: bool = True) -> go.Figure:
    """The round view of ``session.pending``: its picks ranked and ringed, waiting for labels."""
    from ..plot import round_layers

    rnd = session.pending
    if rnd is None:
        raise ValueError("the session has no pending proposal; call session.propose() first")
    layers = round_layers(session.dataset, rnd, coords, color_by=color_by, overlay=overlay)
    fig = go.Figure(data=layers.traces)
    fig.update_layout(**layers.layout)
    fig.update_layout(
        title=dict(text=f"{layers.title}<br><b>{len(rnd.selected)} picks wait for your labels</b>"),
        margin=dict(t=int(fig.layout.margin.t or 90) + 24),
    )
    # no spoilers: the waiting picks are drawn without their class colour, and no unlabeled
    # sample's hover tells its class (the person labeling is the oracle now)
    for t in fig.data:
        if t.name in ("unlabeled", "selected") and t.hovertext is not None:
            t.hovertext = [_CLASS_IN_HOVER.sub("", h) for h in t.hovertext]
        if t.name == "selected" and color_by == "class":
            t.marker.color = "white"
            t.marker.showscale = False
            t.marker.colorscale = None
    return fig


class LabelingPanel(W.VBox):
    """Label the picks of ``session.pending`` by hand, then submit them.

    Parameters
    ----------
    session : alviz.Session with a pending proposal.
    coords : (n_pool, 2) array or None, where samples are drawn (shown for data without images).
    on_submit : callable(Round) or None, called after the labels are committed.
    preset : None (choices start empty: look at every pick) or "guess" (start at the model's guess).

    Attributes
    ----------
    choices : list of ipywidgets.Dropdown, one per pick in pick order (value: class index or None).
    submit : ipywidgets.Button, "Submit labels".
    """

    def __init__(self, session, coords=None, on_submit: Callable | None = None, preset=None):
        super().__init__()
        if preset not in _PRESETS:
            raise ValueError(f"preset={preset!r}: choose None (start empty) or 'guess' (the model's guess)")
        if session.pending is None:
            raise ValueError("the session has no pending proposal; call session.propose() first")
        self.session = session
        self.round = session.pending
        self.coords = None if coords is None else np.asarray(coords)
        self.on_submit = on_submit
        ds = session.dataset
        names = ds.class_names
        guess = self.round.predicted
        options = [("— choose —", None)] + [(n, c) for c, n in enumerate(names)]
        self.choices = []
        cards = []
        for j, i in enumerate(self.round.selected):
            g = None if guess is None else int(guess[i])
            dd = W.Dropdown(
                options=options,
                value=g if preset == "guess" else None,
                description=f"pick {j + 1}",
                layout=W.Layout(width="170px"),
                style={"description_width": "48px"},
            )
            dd.add_class("alviz-label-choice")
            dd.observe(self._on_choice, names="value")
            self.choices.append(dd)
            cards.append(self._card(j, int(i), g, dd))
        self.submit = W.Button(
            description="Submit labels",
            icon="check",
            button_style="success",
            tooltip="Commit these labels (Session.label) and show the new round",
        )
        self.submit.add_class("alviz-submit-labels")
        self.submit.on_click(lambda _b: self.submit_labels())
        self.status = W.HTML()
        self.status.add_class("alviz-labeling-status")
        self.error = W.HTML()
        head = W.HTML(
            f"<b>Round {self.round.index}: you are the oracle.</b> Give each pick its class, "
            "in any order, then submit. The picks are ringed and numbered in the picture."
        )
        self.children = [
            head,
            W.HBox(cards, layout=W.Layout(flex_flow="row wrap")),
            W.HBox([self.submit, self.status]),
            self.error,
        ]
        self.layout = W.Layout(border="2px solid #2a9d8f", padding="6px", margin="6px 0")
        self.add_class("alviz-labeling-panel")
        self._on_choice()

    # ------------------------------------------------------------------ cards
    def _card(self, j: int, i: int, guess: int | None, choice) -> W.VBox:
        from ..plot import sample_image

        ds = self.session.dataset
        parts = []
        img = sample_image(ds, i)
        if img is not None:
            if img.ndim == 2:
                img = 1.0 - img  # ink dark on white, as the sample inspector draws it
            src = "data:image/png;base64," + base64.b64encode(png_bytes(img)).decode("ascii")
            pic = W.HTML(
                f'<img src="{src}" alt="sample {i}" width="72" height="72" '
                'style="image-rendering:pixelated;border:1px solid #999">'
            )
            pic.add_class("alviz-label-image")
            parts.append(pic)
        text = [f"#{i}"]
        if guess is not None:
            p = float(self.round.proba[i, guess])
            text.append(f"model guesses <b>{html.escape(ds.class_names[guess])}</b> ({p:.0%})")
        if img is None:
            text += self._where(i)
        parts.append(W.HTML("<div style='font-size:12px;line-height:1.3'>" + "<br>".join(text) + "</div>"))
        parts.append(choice)
        card = W.VBox(
            parts,
            layout=W.Layout(width="176px", margin="3px", padding="3px", border="1px solid #ccc", align_items="center"),
        )
        card.add_class("alviz-label-card")
        return card

    def _where(self, i: int, k: int = 3) -> list:
        """Where sample ``i`` lies, and its ``k`` nearest labeled neighbours in feature space."""
        ds = self.session.dataset
        out = []
        if self.coords is not None:
            out.append(f"at ({self.coords[i, 0]:.2f}, {self.coords[i, 1]:.2f})")
        lab = self.round.labeled
        if len(lab):
            X = ds.flat()
            d = np.linalg.norm(X[lab] - X[i], axis=1)  # (m,)
            near = np.argsort(d, kind="stable")[:k]
            labels = self.session.labels
            out.append(
                "nearest labeled: "
                + ", ".join(f"{html.escape(ds.class_names[labels[lab[t]]])} (d={d[t]:.2f})" for t in near)
            )
        return out

    # ------------------------------------------------------------------ state
    @property
    def values(self) -> list:
        """The chosen class index of each pick (None where nothing is chosen yet)."""
        return [dd.value for dd in self.choices]

    def _on_choice(self, _change=None):
        done = sum(v is not None for v in self.values)
        k = len(self.choices)
        self.submit.disabled = done < k
        self.status.value = status_html(
            f"{done} of {k} labeled" + ("" if done < k else " · ready to submit"),
            "alviz-labeling",
            chosen=done,
            picks=k,
            round=self.round.index,
        )

    def submit_labels(self):
        """Commit the chosen labels (what a click on "Submit labels" does); returns the Round, or None on an error."""
        self.error.value = ""
        missing = [j + 1 for j, v in enumerate(self.values) if v is None]
        try:
            if missing:
                raise ValueError(f"picks {missing} have no label yet; choose a class for every pick")
            if self.session.pending is not self.round:
                raise ValueError("this proposal was already labeled or replaced; press Next round for a new one")
            rnd = self.session.label(self.values)
        except ValueError as exc:
            self.error.value = error_html("The labels were not committed; the session is unchanged", exc)
            return None
        for dd in self.choices:
            dd.disabled = True
        self.submit.disabled = True
        if self.on_submit is not None:
            self.on_submit(rnd)
        return rnd
