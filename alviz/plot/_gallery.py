"""What a pick looks like: the images a round picked, in pick order, with rank, class and prediction."""
from __future__ import annotations

from typing import Optional

import numpy as np
import plotly.graph_objects as go

from ._sample import sample_image

__all__ = ["picks_gallery"]

#: pixels of background between two thumbnails
_PAD = 2


def _round_of(session, r: int):
    rounds = getattr(session, "rounds", None)
    if not rounds:
        raise ValueError("the session has no rounds yet; run session.step() first")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not -len(rounds) <= int(r) < len(rounds):
        raise ValueError(f"r={r!r} is not a round of this session; it has rounds 0..{len(rounds) - 1} (or -1)")
    return rounds[int(r)]


def picks_gallery(session, r: int = -1, max_picks: Optional[int] = 30, cols: int = 10) -> go.Figure:
    """Thumbnails of the samples round ``r`` picked, in pick order.

    Each tile is titled ``#rank · class`` (the label the oracle revealed) and,
    when the round kept the model's probabilities, ``model: <predicted class>``
    in red when the model had it wrong: a teacher sees at once whether the
    strategy asked about hard, odd or ordinary-looking samples.

    Parameters
    ----------
    session : alviz.Session with at least one round, on a dataset with images
        (``dataset.images`` or image tensors ``X`` of shape (n, C, H, W)).
    r : int, the round (default the last).
    max_picks : int or None, show at most this many picks (the first ones); None shows all.
    cols : int, thumbnails per row.

    Returns
    -------
    go.Figure
        One ``go.Heatmap`` named ``"picks"`` holding every tile (grey, ink dark), one
        annotation per tile; ``fig.layout.meta["indices"]`` are the pool indices shown.
    """
    rnd = _round_of(session, r)
    ds = session.dataset
    if isinstance(cols, bool) or not isinstance(cols, (int, np.integer)) or cols < 1:
        raise ValueError(f"cols={cols!r} must be a positive int")
    if max_picks is not None and (isinstance(max_picks, bool) or not isinstance(max_picks, (int, np.integer))
                                  or max_picks < 1):
        raise ValueError(f"max_picks={max_picks!r} must be a positive int or None")
    idx = np.asarray(rnd.selected, dtype=np.int64)
    if max_picks is not None:
        idx = idx[:int(max_picks)]
    if idx.size == 0:
        raise ValueError(f"round {rnd.index} picked nothing: there is nothing to show")
    imgs = [sample_image(ds, int(i)) for i in idx]
    if imgs[0] is None:
        raise ValueError(
            f"the dataset {ds.name!r} has no images to show (plain feature vectors); give images when you "
            "build it (alviz.datasets.from_arrays(..., images=...)) or use alviz.plot.sample for one sample"
        )
    imgs = [im if im.ndim == 2 else im.mean(axis=2) for im in imgs]  # colour -> grey, for one heatmap
    h, w = imgs[0].shape
    cols = int(min(cols, idx.size))
    rows = -(-idx.size // cols)
    band = max(_PAD, int(round(0.9 * h)))  # a label band above each image, in image pixels
    th, tw = band + h, w + max(_PAD, int(round(0.25 * w)))
    z = np.full((rows * th, cols * tw), np.nan)
    names = list(ds.class_names) or [str(c) for c in range(ds.n_classes)]
    pred = None if rnd.proba is None else np.asarray(rnd.proba)[idx].argmax(axis=1)
    annotations = []
    for k, (i, im) in enumerate(zip(idx, imgs)):
        row, col = divmod(k, cols)
        top = row * th + band
        z[top:top + h, col * tw:col * tw + w] = im
        true = names[int(ds.y[i])]
        text = f"#{k + 1} · {true}"
        if pred is not None:
            guess = names[int(pred[k])]
            text += f"<br><span style='color:{'#2a7' if guess == true else '#c22'}'>model: {guess}</span>"
        annotations.append(dict(x=col * tw + (w - 1) / 2, y=top - 0.6, text=text, showarrow=False,
                                yanchor="bottom", font=dict(size=10)))
    fig = go.Figure(go.Heatmap(z=z, colorscale="Greys", zmin=0.0, zmax=1.0, showscale=False, name="picks",
                               hoverinfo="skip"))
    fig.update_layout(
        annotations=annotations,
        title=f"Round {rnd.index}: the {idx.size} pick{'s' if idx.size > 1 else ''} of {rnd.strategy or 'the strategy'}"
              " (pick order; the class the oracle revealed; what the model said)",
        xaxis=dict(visible=False, constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x"),
        height=int(90 + rows * 80 * th / tw), width=int(20 + cols * 80),
        margin=dict(l=10, r=10, t=70, b=10), plot_bgcolor="white",
        meta={"indices": idx.tolist()},
    )
    return fig
