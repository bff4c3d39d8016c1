"""One sample up close: its image (or feature values) and the model's class probabilities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import palette

if TYPE_CHECKING:
    from ..datasets import Dataset

__all__ = ["sample_figure", "sample_image", "sample_placeholder", "PLACEHOLDER_TEXT"]

#: what the sample panel says before a point is chosen
PLACEHOLDER_TEXT = "click a point to inspect it"


def sample_placeholder(text: str = PLACEHOLDER_TEXT, height: int = 320) -> go.Figure:
    """The sample panel before a point is chosen: one line that says what to do, no empty axes."""
    fig = go.Figure()
    fig.add_annotation(
        text=text, xref="paper", yref="paper", x=0.5, y=0.5, showarrow=False, font=dict(size=15, color="#666")
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        plot_bgcolor="white", height=height, margin=dict(l=20, r=20, t=20, b=20), meta={"placeholder": True}
    )
    return fig


def sample_image(dataset: Dataset, i: int) -> Optional[np.ndarray]:
    """What to show for sample ``i``: (H, W) grey or (H, W, 3) colour in [0, 1], or None for plain vectors."""
    if dataset.images is not None:
        img = np.asarray(dataset.images[i], dtype=np.float64)
        if img.ndim == 3 and img.shape[0] in (1, 3, 4) and img.shape[2] not in (1, 3, 4):  # (C, H, W) given
            img = np.moveaxis(img, 0, -1)
    elif dataset.is_image:
        img = np.moveaxis(np.asarray(dataset.X[i], dtype=np.float64), 0, -1)  # (C, H, W) -> (H, W, C)
    else:
        return None
    if img.ndim == 3:  # (H, W, C): one channel is grey, RGBA drops its alpha, other counts show the first
        img = img[:, :, 0] if img.shape[2] in (1, 2) or img.shape[2] > 4 else img[:, :, :3]
    if img.max() > 1.0:  # 0..255 images
        img = img / 255.0
    return img


def sample_figure(
    dataset: Dataset, i: int, proba: Any = None, score: Optional[float] = None, rank: Optional[int] = None
) -> go.Figure:
    """Sample ``i`` of the pool: its image next to the bar chart of ``proba``.

    Parameters
    ----------
    dataset : alviz.datasets.Dataset
    i : int, a pool index.
    proba : (C,) probabilities of this sample, or the round's (n_pool, C) array; optional.
    score : float, the strategy's score of the sample; optional.
    rank : int, its pick rank this round (0 = first pick); optional.
    """
    n = len(dataset.X)
    if isinstance(i, bool) or not isinstance(i, (int, np.integer)) or not 0 <= int(i) < n:
        raise ValueError(f"i={i!r} must be a pool index in 0..{n - 1}")
    i = int(i)
    names = dataset.class_names
    C = len(names)
    p = None
    if proba is not None:
        p = np.asarray(proba, dtype=np.float64)
        if p.ndim == 2 and p.shape == (n, C):
            p = p[i]
        if p.shape != (C,):
            raise ValueError(f"proba has shape {np.shape(proba)}; give this sample's ({C},) or the pool's ({n}, {C})")
    img = sample_image(dataset, i)
    fig = make_subplots(
        rows=1,
        cols=2,
        column_widths=[0.42, 0.58],
        horizontal_spacing=0.12,
        subplot_titles=("image" if img is not None else "features", "predicted probability"),
    )
    if img is None:
        x = dataset.flat()[i]
        fig.add_trace(
            go.Bar(x=[f"x{j}" for j in range(len(x))], y=x, name="features", marker_color="#777", showlegend=False),
            row=1,
            col=1,
        )
    elif img.ndim == 2:
        fig.add_trace(
            go.Heatmap(
                z=img,
                colorscale="Greys",
                zmin=0,
                zmax=1,
                showscale=False,
                name="image",
                hovertemplate="row %{y}, col %{x}: %{z:.2f}<extra></extra>",
            ),
            row=1,
            col=1,
        )
        fig.update_yaxes(autorange="reversed", scaleanchor="x", row=1, col=1)
    else:
        fig.add_trace(go.Image(z=np.clip(img * 255, 0, 255).astype(np.uint8), name="image"), row=1, col=1)
    if img is not None:
        fig.update_xaxes(showticklabels=False, showgrid=False, zeroline=False, row=1, col=1)
        fig.update_yaxes(showticklabels=False, showgrid=False, zeroline=False, row=1, col=1)
    true = int(dataset.y[i])
    if p is not None:
        colors = palette(C)
        bar_colors = [colors[c] if c == true else "rgba(150,150,150,0.7)" for c in range(C)]
        fig.add_trace(
            go.Bar(
                x=names,
                y=p,
                name="probability",
                marker_color=bar_colors,
                showlegend=False,
                hovertemplate="class %{x}: %{y:.3f}<extra></extra>",
            ),
            row=1,
            col=2,
        )
        fig.update_yaxes(range=[0, 1], row=1, col=2)
    fig.update_xaxes(type="category", title=dict(text="class (true class in colour)"), row=1, col=2)
    first = f"#{i} · true class {names[true]}"
    second = []
    if p is not None:
        second.append(f"predicted {names[int(p.argmax())]} ({p.max():.0%})")
    if score is not None and np.isfinite(score):
        second.append(f"score {float(score):.4g}")
    if rank is not None and rank >= 0:
        second.append(f"pick {int(rank) + 1}")
    # two short lines, not one long one: the panel is 400 px wide in the explorer, and one line was cut there
    title = first + ("<br>" + " · ".join(second) if second else "")
    fig.update_layout(
        title=dict(text=title, font=dict(size=14)),
        plot_bgcolor="white",
        margin=dict(l=20, r=20, t=86, b=40),
        height=320,
    )
    return fig
