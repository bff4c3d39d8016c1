"""VAAL's own pictures: what its discriminator says, and how its training went."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from ._view import get_round

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["discriminator_histogram", "vaal_training"]

_NEEDS = "a VAAL round (alviz.strategies.get('vaal'))"


def _vaal_round(session, r: int, *keys: str):
    rnd = get_round(session, r)
    missing = [k for k in keys if k not in rnd.extras]
    if missing:
        raise ValueError(
            f"round {rnd.index} of strategy {rnd.strategy!r} has no {', '.join(missing)}: this figure needs {_NEEDS}"
        )
    return rnd


def discriminator_histogram(session: Session, r: int = -1, bins: int = 60) -> go.Figure:
    """The distribution of D(μ) = P(labeled) over the labeled and the unlabeled pool, overlaid.

    A discriminator that learned nothing puts everyone near 0.5; one that learned
    separates the two histograms. Traces "unlabeled" and "labeled" (probability density);
    the picks' values are marked as ticks on the axis (trace "picks").
    """
    rnd = _vaal_round(session, r, "discriminator_p_labeled")
    D = np.asarray(rnd.extras["discriminator_p_labeled"], dtype=np.float64)
    is_labeled = np.zeros(len(D), dtype=bool)
    is_labeled[np.asarray(rnd.labeled, dtype=np.int64)] = True
    fig = go.Figure(
        [
            go.Histogram(
                x=D[~is_labeled], name="unlabeled", histnorm="probability density", nbinsx=int(bins), opacity=0.6
            ),
            go.Histogram(
                x=D[is_labeled],
                name="labeled",
                histnorm="probability density",
                nbinsx=max(int(bins) // 2, 1),
                opacity=0.6,
            ),
            go.Scatter(
                x=D[rnd.selected],
                y=np.zeros(len(rnd.selected)),
                mode="markers",
                name="picks",
                marker=dict(symbol="line-ns-open", size=14, color="black"),
                customdata=rnd.selected,
                hovertemplate="pick #%{customdata}: D(μ) %{x:.3f}<extra></extra>",
            ),
        ]
    )
    fig.update_layout(
        barmode="overlay",
        title=f"What the discriminator says · round {rnd.index}",
        xaxis_title="D(μ) = P(labeled)",
        yaxis_title="density",
        plot_bgcolor="white",
    )
    return fig


def vaal_training(session: Session, r: int = -1) -> go.Figure:
    """VAAL's loss curves in round ``r``: the VAE's and the discriminator's, with D's "knows nothing" level.

    The discriminator's loss BCE(labeled → 1) + BCE(unlabeled → 0) sits at 2·ln 2 when D
    outputs 0.5 for everyone (a dotted line). Log scale.
    """
    rnd = _vaal_round(session, r, "vae_loss", "discriminator_loss")
    fig = go.Figure(
        [
            go.Scatter(y=np.asarray(rnd.extras["vae_loss"]), name="VAE"),
            go.Scatter(y=np.asarray(rnd.extras["discriminator_loss"]), name="discriminator"),
        ]
    )
    fig.add_hline(y=2 * np.log(2), line_dash="dot", annotation_text="2·ln 2: D knows nothing")
    fig.update_layout(
        title=f"VAAL training · round {rnd.index}",
        xaxis_title="training step",
        yaxis_title="loss",
        yaxis_type="log",
        plot_bgcolor="white",
    )
    return fig
