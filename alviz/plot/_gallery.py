"""What a pick looks like: the images a round picked, in pick order, with rank, class and prediction;
and, for adversarial strategies, each pick next to the perturbation that flips it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import numpy as np
import plotly.graph_objects as go

from plotly.subplots import make_subplots

from ._sample import sample_image

if TYPE_CHECKING:
    from ..session import Session

__all__ = ["picks_gallery", "perturbation_grid"]

#: pixels of background between two thumbnails
_PAD = 2


def _round_of(session, r: int):
    rounds = getattr(session, "rounds", None)
    if not rounds:
        raise ValueError("the session has no rounds yet; run session.step() first")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not -len(rounds) <= int(r) < len(rounds):
        raise ValueError(f"r={r!r} is not a round of this session; it has rounds 0..{len(rounds) - 1} (or -1)")
    return rounds[int(r)]


def picks_gallery(session: Session, r: int = -1, max_picks: Optional[int] = 30, cols: int = 10) -> go.Figure:
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
        One trace named ``"picks"`` holding every tile: a ``go.Heatmap`` for grey images (ink dark),
        a ``go.Image`` (RGB, white between tiles) for colour ones; one annotation per tile;
        ``fig.layout.meta["indices"]`` are the pool indices shown.
    """
    rnd = _round_of(session, r)
    ds = session.dataset
    if isinstance(cols, bool) or not isinstance(cols, (int, np.integer)) or cols < 1:
        raise ValueError(f"cols={cols!r} must be a positive int")
    if max_picks is not None and (
        isinstance(max_picks, bool) or not isinstance(max_picks, (int, np.integer)) or max_picks < 1
    ):
        raise ValueError(f"max_picks={max_picks!r} must be a positive int or None")
    idx = np.asarray(rnd.selected, dtype=np.int64)
    if max_picks is not None:
        idx = idx[: int(max_picks)]
    if idx.size == 0:
        raise ValueError(f"round {rnd.index} picked nothing: there is nothing to show")
    imgs = [sample_image(ds, int(i)) for i in idx]
    if imgs[0] is None:
        raise ValueError(
            f"the dataset {ds.name!r} has no images to show (plain feature vectors); give images when you "
            "build it (alviz.datasets.from_arrays(..., images=...)) or use alviz.plot.sample for one sample"
        )
    colour = imgs[0].ndim == 3  # (H, W, 3): one colour image of all tiles; grey: one heatmap
    h, w = imgs[0].shape[:2]
    cols = int(min(cols, idx.size))
    rows = -(-idx.size // cols)
    band = max(_PAD, int(round(0.5 * h)))  # a label band above each image (two lines of text), in image pixels
    th, tw = band + h, w + max(_PAD, int(round(0.25 * w)))
    z = np.full((rows * th, cols * tw, 3), 1.0) if colour else np.full((rows * th, cols * tw), np.nan)
    names = list(ds.class_names) or [str(c) for c in range(ds.n_classes)]
    pred = None if rnd.proba is None else np.asarray(rnd.proba)[idx].argmax(axis=1)
    annotations = []
    for k, (i, im) in enumerate(zip(idx, imgs)):
        row, col = divmod(k, cols)
        top = row * th + band
        z[top : top + h, col * tw : col * tw + w] = im
        true = names[int(ds.y[i])]
        text = f"#{k + 1} · {true}"
        if pred is not None:
            guess = names[int(pred[k])]
            text += f"<br><span style='color:{'#2a7' if guess == true else '#c22'}'>model: {guess}</span>"
        annotations.append(
            dict(
                x=col * tw + (w - 1) / 2, y=top - 0.6, text=text, showarrow=False, yanchor="bottom", font=dict(size=10)
            )
        )
    if colour:
        tiles = go.Image(z=np.clip(np.round(z * 255), 0, 255).astype(np.uint8), name="picks", hoverinfo="skip")
    else:
        tiles = go.Heatmap(z=z, colorscale="Greys", zmin=0.0, zmax=1.0, showscale=False, name="picks", hoverinfo="skip")
    fig = go.Figure(tiles)
    fig.update_layout(
        annotations=annotations,
        title=f"Round {rnd.index}: the {idx.size} pick{'s' if idx.size > 1 else ''} of {rnd.strategy or 'the strategy'}"
        " (pick order; the class the oracle revealed; what the model said)",
        xaxis=dict(visible=False, constrain="domain"),
        yaxis=dict(visible=False, autorange="reversed", scaleanchor="x"),
        height=int(90 + rows * 80 * th / tw),
        width=int(20 + cols * 80),
        margin=dict(l=10, r=10, t=70, b=10),
        plot_bgcolor="white",
        meta={"indices": idx.tolist()},
    )
    return fig


#: how the titles name the attack that made a round's perturbation
_ATTACKS = {"dfal": "DeepFool", "bim": "BIM"}


def _as_grey(v: np.ndarray, shape: tuple) -> np.ndarray:
    """One sample (or its perturbation) as an (H, W) image: channels averaged, flat vectors reshaped."""
    v = np.asarray(v, dtype=np.float64)
    h, w = shape
    if v.size == h * w:
        return v.reshape(h, w)
    if v.size % (h * w) == 0:  # (C, H, W): average the channels
        return v.reshape(-1, h, w).mean(axis=0)
    raise ValueError(f"a sample of {v.size} values does not make an image of {h}x{w} pixels")


def _image_shape(ds) -> tuple:
    """(H, W) of the dataset's images: from ``images`` (n, H, W[, 3]) or image tensors ``X`` (n, C, H, W)."""
    if ds.images is not None:
        return tuple(np.shape(ds.images)[1:3])
    if ds.is_image:
        return tuple(ds.X.shape[2:4])
    raise ValueError(
        f"the dataset {ds.name!r} has no images (plain feature vectors): a perturbation can only be drawn as "
        "an image for image data; on 2-D data alviz.plot.round draws it as arrows"
    )


def perturbation_grid(session: Session, r: int = -1, max_picks: int = 4) -> go.Figure:
    """Each pick of an adversarial round as three images: x, the perturbation r that flips it, and x + r.

    Columns are the first ``max_picks`` picks in pick order; rows are ``x`` (the
    sample as the model sees it, titled with the model's prediction), ``r`` (the
    perturbation, on a diverging colour scale centred at 0 and shared by all
    picks, so red pixels gain ink and blue ones lose it; titled with ‖r‖) and
    ``x + r`` (titled with the class the model predicts after the attack).
    The image shape is read from the data: 8×8 digits (flat 64-vectors with
    ``images``), 1×28×28 MNIST tensors, colour images (channels averaged).

    Parameters
    ----------
    session : alviz.Session on an image dataset, whose round ``r`` ran an attack
        (``dfal`` or ``bim``: ``extras["perturbation"]``).
    r : int, the round (default the last).
    max_picks : int, how many picks to show (the first ones).

    Returns
    -------
    go.Figure
        ``3 × k`` ``go.Heatmap`` traces named ``"x"``, ``"r"`` and ``"x + r"`` (row by row);
        ``fig.layout.meta`` holds ``"indices"`` (the pool indices shown) and ``"r_max"``
        (the colour scale of r runs from ``-r_max`` to ``r_max``).
    """
    rnd = _round_of(session, r)
    ds = session.dataset
    if isinstance(max_picks, bool) or not isinstance(max_picks, (int, np.integer)) or max_picks < 1:
        raise ValueError(f"max_picks={max_picks!r} must be a positive int")
    pert = (rnd.extras or {}).get("perturbation")
    if pert is None:
        raise ValueError(
            f"round {rnd.index} of {rnd.strategy or 'this strategy'!r} holds no perturbation; "
            "run an attack strategy (alviz.Session(..., strategy='dfal' or 'bim'))"
        )
    shape = _image_shape(ds)
    idx = np.asarray(rnd.selected, dtype=np.int64)[: int(max_picks)]
    if idx.size == 0:
        raise ValueError(f"round {rnd.index} picked nothing: there is nothing to show")
    names = list(ds.class_names) or [str(c) for c in range(ds.n_classes)]
    attack = _ATTACKS.get(str(rnd.strategy), str(rnd.strategy or "attack"))
    xs = [_as_grey(ds.X[i], shape) for i in idx]
    rs = [np.nan_to_num(_as_grey(pert[i], shape)) for i in idx]
    r_max = float(max(np.abs(im).max() for im in rs)) or 1.0
    norms = (rnd.extras or {}).get("perturbation_norm")
    adv = (rnd.extras or {}).get("adversarial_class")
    pred = None if rnd.proba is None else np.asarray(rnd.proba)[idx].argmax(axis=1)
    titles = []
    for k, i in enumerate(idx):
        titles.append(
            f"x · #{k + 1} (a {names[int(ds.y[i])]})" + ("" if pred is None else f" · model: {names[int(pred[k])]}")
        )
    for k, i in enumerate(idx):
        norm = np.linalg.norm(rs[k]) if norms is None else float(norms[i])
        titles.append(f"r ({attack}) · ‖r‖ = {norm:.3g}")
    for i in idx:
        after = None if adv is None else int(adv[i])
        titles.append("x + r · " + ("no flip" if after is None or after < 0 else f"model: {names[after]}"))
    k = idx.size
    fig = make_subplots(rows=3, cols=k, subplot_titles=titles, horizontal_spacing=0.02, vertical_spacing=0.07)
    for col in range(k):
        fig.add_trace(
            go.Heatmap(
                z=xs[col],
                zmin=0.0,
                zmax=1.0,
                colorscale="Greys",
                showscale=False,
                name="x",
                hovertemplate="x: %{z:.3f}<extra></extra>",
            ),
            row=1,
            col=col + 1,
        )
        fig.add_trace(
            go.Heatmap(
                z=rs[col],
                zmin=-r_max,
                zmax=r_max,
                zmid=0.0,
                colorscale="RdBu_r",
                name="r",
                showscale=col == 0,
                hovertemplate="r: %{z:.4f}<extra></extra>",
                colorbar=dict(title=dict(text="r"), len=0.3, y=0.5, thickness=12, exponentformat="e"),
            ),
            row=2,
            col=col + 1,
        )
        fig.add_trace(
            go.Heatmap(
                z=xs[col] + rs[col],
                zmin=0.0,
                zmax=1.0,
                colorscale="Greys",
                showscale=False,
                name="x + r",
                hovertemplate="x + r: %{z:.3f}<extra></extra>",
            ),
            row=3,
            col=col + 1,
        )
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", constrain="domain")
    for a in range(1, 3 * k + 1):  # square pixels in every panel
        fig.layout[f"yaxis{'' if a == 1 else a}"].scaleanchor = f"x{'' if a == 1 else a}"
    fig.update_annotations(font=dict(size=11))
    fig.update_layout(
        title=f"Round {rnd.index}: x, the perturbation r that flips the model ({attack}), and x + r",
        height=3 * 170 + 90,
        width=k * 170 + 110,
        margin=dict(l=10, r=60, t=80, b=10),
        plot_bgcolor="white",
        meta={"indices": idx.tolist(), "r_max": r_max},
    )
    return fig
