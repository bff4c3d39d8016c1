"""ALFA-Mix: unlabeled embeddings interpolated toward the labeled class anchors; the ones whose prediction flips."""

from __future__ import annotations

from numbers import Real
from typing import NamedTuple, Optional, Sequence

import numpy as np

from .._params import Interval
from ..selection import kmeans_nearest
from ._head import head_logits, head_loss_gradient, head_weights
from .base import QueryContext, QueryResult, Strategy, candidate_scores, register

__all__ = ["AlfaMix", "alfa_mix_flips", "AlfaMixFlips", "closed_form_alpha", "class_anchors"]


def class_anchors(H_labeled: np.ndarray, y_labeled: np.ndarray, n_classes: int) -> np.ndarray:
    """(C, d) the mean labeled embedding of each class; a class with no labeled sample gets the mean of all
    labeled embeddings (as the authors' code does).

    Parameters
    ----------
    H_labeled : (m, d) labeled embeddings.
    y_labeled : (m,) their labels.
    n_classes : int.

    Returns
    -------
    (n_classes, d) float64
    """
    H = np.asarray(H_labeled, dtype=np.float64)
    y = np.asarray(y_labeled, dtype=np.int64)
    out = np.empty((n_classes, H.shape[1]))
    for c in range(n_classes):
        out[c] = H[y == c].mean(axis=0) if np.any(y == c) else H.mean(axis=0)
    return out


def closed_form_alpha(eps: float, anchor: np.ndarray, z: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """(n, d) ALFA-Mix's closed-form α within ε: α* = ε ‖z* − z‖ / ‖∇‖ · ∇ / (z* − z + 1e-8), element-wise.

    ``anchor`` z* (n, d) or (d,), ``z`` the unlabeled embeddings (n, d), ``grad`` ∇ the gradient of the
    loss of the current prediction with respect to z (n, d). Then α ⊙ (z* − z) ≈ ε ‖z* − z‖ ∇ / ‖∇‖:
    the mix (1 − α) z + α z* moves z by ε times its distance to the anchor along the loss gradient
    (the first-order solution of the paper's max over ‖α‖ ≤ ε of the loss change). A zero gradient gives α = 0.

    Parameters
    ----------
    eps : float, ε (the cap over √d).
    anchor : (d,) or (n, d), z*.
    z : (n, d), the unlabeled embeddings.
    grad : (n, d), ∇.

    Returns
    -------
    (n, d) float64 α.

    References
    ----------
    Parvaneh, A. et al. (2022). Active learning by feature mixing. CVPR (Eq. 5, closed form).
    """
    diff = np.asarray(anchor, dtype=np.float64) - np.asarray(z, dtype=np.float64)
    g = np.asarray(grad, dtype=np.float64)
    gn = np.linalg.norm(g, axis=1)
    scale = np.divide(eps * np.linalg.norm(diff, axis=1), gn, out=np.zeros(len(g)), where=gn > 0)
    return scale[:, None] * g / (diff + 1e-8)


class AlfaMixFlips(NamedTuple):
    """What ALFA-Mix's candidate search found, for the rows it was given.

    flipped : (n,) bool, the prediction flips for some anchor at some cap up to ``alpha_cap``.
    n_caps_flipped : (n,) int, at how many caps of the schedule (up to the last) it flips.
    anchor : (n,) int, the anchor it crossed to: at the first cap where the row flips, the flipping anchor
        with the smallest ‖α‖ (-1 where none).
    alpha : (n, d) that α (NaN where none).
    alpha_cap : float, the last cap tried; n_caps : int, caps tried.
    """

    flipped: np.ndarray
    n_caps_flipped: np.ndarray
    anchor: np.ndarray
    alpha: np.ndarray
    alpha_cap: float
    n_caps: int


def alfa_mix_flips(
    W: np.ndarray,
    b: np.ndarray,
    Z: np.ndarray,
    anchors: np.ndarray,
    cap_step: float = 0.2,
    stop_above: Optional[int] = None,
    caps: Optional[Sequence[float]] = None,
) -> AlfaMixFlips:
    """ALFA-Mix's candidate search (closed form) on embeddings ``Z`` (n, d) with a linear head (W, b).

    The prediction ŷ = argmax head(z); ∇ = ∂CE(head(z), ŷ)/∂z. For caps c = ``cap_step``, 2·``cap_step``, ...
    while c < 1 + 1e-9 (0.2, 0.4, ..., 1.0 by default): ε = c / √d and, for every class anchor z*_k,
    α = :func:`closed_form_alpha`; z flips when argmax head((1 − α) z + α z*_k) ≠ ŷ. The candidates are
    the union over caps; the search stops after the first cap at which more than ``stop_above`` rows
    are candidates (the budget), or at the cap list ``caps`` when given (a field: the round's caps).

    Parameters
    ----------
    W, b : (C, d) and (C,), the task model's linear head (:func:`alviz.strategies._head.head_weights`).
    Z : (n, d) embeddings of the unlabeled samples (or of any points).
    anchors : (C, d) the class anchors (:func:`class_anchors`).
    cap_step : float, the growth of the cap.
    stop_above : int or None, stop after the first cap with more than this many candidates.
    caps : sequence of floats or None, the caps to try (then ``cap_step`` is not used).

    Returns
    -------
    AlfaMixFlips

    References
    ----------
    Parvaneh, A. et al. (2022). Active learning by feature mixing. CVPR.
    """
    Z = np.asarray(Z, dtype=np.float64)
    n, d = Z.shape
    pred = head_logits(W, b, Z).argmax(axis=1)
    grad = head_loss_gradient(W, b, Z, pred)
    if caps is None:
        caps, c = [], 0.0
        while c < 1.0 - 1e-9:
            c += cap_step
            caps.append(c)
    flipped = np.zeros(n, dtype=bool)
    n_flips = np.zeros(n, dtype=np.int64)
    best = np.ones((n, d))  # the authors' min_alphas (ones where nothing smaller flipped)
    anchor_of = np.full(n, -1, dtype=np.int64)
    alpha_of = np.full((n, d), np.nan)
    used = 0
    for cap in caps:
        used += 1
        eps = cap / np.sqrt(d)
        step_best = np.ones((n, d))
        step_flip = np.zeros(n, dtype=bool)
        step_norm = np.full(n, np.inf)  # the smallest ‖α‖ among the anchors that flip the row at this cap
        step_anchor = np.full(n, -1, dtype=np.int64)
        step_alpha = np.full((n, d), np.nan)
        for k in range(len(anchors)):
            alpha = closed_form_alpha(eps, anchors[k], Z, grad)
            mix = (1.0 - alpha) * Z + alpha * anchors[k]
            pc = head_logits(W, b, mix).argmax(axis=1) != pred
            norm = np.linalg.norm(alpha, axis=1)
            first = pc & (norm < step_norm)
            step_norm[first], step_anchor[first], step_alpha[first] = norm[first], k, alpha[first]
            alpha[~pc] = 1.0
            step_flip |= pc
            smaller = np.linalg.norm(step_best, axis=1) > np.linalg.norm(alpha, axis=1)
            step_best[smaller] = alpha[smaller]
        changed = np.linalg.norm(best, axis=1) >= np.linalg.norm(step_best, axis=1)
        best[changed] = step_best[changed]
        new = step_flip & (anchor_of < 0)  # the anchor it crossed to: at the first cap where it flips
        anchor_of[new], alpha_of[new] = step_anchor[new], step_alpha[new]
        flipped |= step_flip
        n_flips += step_flip
        if stop_above is not None and flipped.sum() > stop_above:
            break
    return AlfaMixFlips(flipped, n_flips, anchor_of, alpha_of, float(caps[used - 1]), used)


@register
class AlfaMix(Strategy):
    """ALFA-Mix (closed form): interpolate toward the class anchors, keep the flips, cluster them.

    Each unlabeled embedding z is mixed with every class anchor z*_k (the mean labeled embedding of
    class k) as (1 − α) z + α z*_k with the closed-form α within ε (:func:`closed_form_alpha`); z is a
    candidate when the task model's head changes its prediction for some anchor. The cap on α grows
    by ``cap_step`` (0.2, 0.4, ... up to 1, ε = cap/√d) until more than ``budget`` candidates are
    found (:func:`alfa_mix_flips`). Then k-means with min(budget, #candidates) clusters on the
    L2-normalised embeddings of the candidates; each pick is the candidate nearest a centre
    (:func:`alviz.selection.kmeans_nearest`); a shortfall is filled by a seeded uniform draw from the
    other unlabeled samples.

    ``scores``: the fraction of the caps tried at which the sample flips (1: it flips already at the
    smallest cap; 0: never). Field: the same fraction at any point of the plane, for this round's
    anchors and caps: ALFA-Mix's flip region.

    Extras: ``flipped`` (n_pool,) the candidates, ``alfa_anchor`` (n_pool,) the anchor class each
    candidate crossed to (at the first cap where it flips, the flipping anchor with the smallest ‖α‖;
    -1 elsewhere), ``alpha_norm`` (n_pool,) ‖α‖ of that mix (NaN elsewhere), ``alfa_target``
    (#candidates, *input_shape) where each candidate's step ends in the input space (see below),
    ``alfa_anchor_inputs`` (C, *input_shape) the mean labeled input x̄_k of each class (where the anchors
    sit in the input space), ``alpha_cap`` the last cap tried, ``cluster`` the k-means cluster of each
    candidate (-1 elsewhere).

    The arrows: the mix moves z a fraction λ = ‖α ⊙ (z* − z)‖ / ‖z* − z‖ of the way to its anchor;
    ``alfa_target`` is x + λ (x̄_k − x), with x̄_k the mean labeled input of the anchor's class, so the
    picture draws each candidate's step toward the class it crossed to (a reading of the embedding
    step in the input space, computed here, not by the plot).

    Parameters
    ----------
    cap_step : float in (0, 1], the growth of the α cap (0.2: the authors' setting for the closed form).

    References
    ----------
    Parvaneh, A., Abbasnejad, E., Teney, D., Haffari, R., van den Hengel, A. & Shi, J. Q. (2022).
    Active learning by feature mixing. CVPR. Code: github.com/AminParvaneh/alpha_mix_active_learning.
    """

    name = "alfa_mix"
    requires = frozenset({"gradients", "model", "embedding", "labels"})
    field_name = "ALFA-Mix: flip region (share of α caps that flip it)"
    _parameter_constraints = {"cap_step": [Interval(Real, 0, 1, closed="right", hint="the authors use 0.2")]}

    def __init__(self, cap_step: float = 0.2):
        self.cap_step = cap_step

    def _setup(self, ctx: QueryContext):
        model = ctx.require_torch()
        ctx.require_labels()
        W, b = head_weights(model)
        H = ctx.embedding
        anchors = class_anchors(H[ctx.labeled_mask], ctx.labels[ctx.labeled_mask], W.shape[0])
        return W, b, anchors

    def _score_points(self, ctx, X, rng):
        W, b = head_weights(ctx.require_torch())
        anchors, caps = self._state(ctx, "anchors and caps")
        f = alfa_mix_flips(W, b, ctx.embed_points(X), anchors, caps=caps)
        return f.n_caps_flipped / len(caps)

    def _query(self, ctx, budget, rng):
        W, b, anchors = self._setup(ctx)
        cand = ctx.candidates
        H = np.asarray(ctx.embedding, dtype=np.float64)
        f = alfa_mix_flips(W, b, H[cand], anchors, float(self.cap_step), stop_above=budget)
        caps = [float(self.cap_step) * (i + 1) for i in range(f.n_caps)]
        self._keep_state(ctx, "anchors and caps", (anchors, caps))
        flip_idx = cand[f.flipped]
        cluster = np.full(ctx.n_pool, -1, dtype=np.int64)
        if flip_idx.size:
            Hc = H[flip_idx]
            Hc = Hc / np.maximum(np.linalg.norm(Hc, axis=1, keepdims=True), 1e-12)
            km = kmeans_nearest(Hc, min(budget, flip_idx.size), rng)
            picks = flip_idx[km.indices]
            cluster[flip_idx] = km.cluster
        else:
            picks = np.empty(0, dtype=np.int64)
        if picks.size < budget:
            rest = np.setdiff1d(cand, picks)
            picks = np.concatenate([picks, rng.choice(rest, budget - picks.size, replace=False)])
        flipped = np.zeros(ctx.n_pool, dtype=bool)
        flipped[flip_idx] = True
        anchor = np.full(ctx.n_pool, -1, dtype=np.int64)
        anchor[cand] = f.anchor
        alpha_norm = np.full(ctx.n_pool, np.nan)
        alpha_norm[flip_idx] = np.linalg.norm(f.alpha[f.flipped], axis=1)
        targets, anchor_inputs = self._targets(ctx, H, anchors, flip_idx, anchor[flip_idx], f.alpha[f.flipped])
        extras = {
            "flipped": flipped,
            "alfa_anchor": anchor,
            "alpha_norm": alpha_norm,
            "alfa_target": targets,
            "alfa_anchor_inputs": anchor_inputs,
            "alpha_cap": float(f.alpha_cap),
            "cluster": cluster,
        }
        return QueryResult(picks, candidate_scores(ctx, np.asarray(f.n_caps_flipped) / f.n_caps), extras)

    @staticmethod
    def _targets(ctx, H, anchors, idx, anchor, alpha) -> tuple:
        """((m, *input_shape) x + λ (x̄_k − x) for the candidates ``idx``, (C, *input_shape) the x̄_k)."""
        X = np.asarray(ctx.X)
        shape = X.shape[1:]
        Xf = X.reshape(len(X), -1).astype(np.float64)
        lab = ctx.labeled_mask
        y = ctx.labels[lab]
        means = np.stack(
            [Xf[lab][y == k].mean(axis=0) if np.any(y == k) else Xf[lab].mean(axis=0) for k in range(len(anchors))]
        )
        anchor_inputs = means.reshape((len(means),) + shape)
        if idx.size == 0:
            return np.zeros((0,) + shape), anchor_inputs
        diff = anchors[anchor] - H[idx]
        dn = np.linalg.norm(diff, axis=1)
        lam = np.divide(np.linalg.norm(alpha * diff, axis=1), dn, out=np.zeros(len(idx)), where=dn > 0)
        lam = np.clip(lam, 0.0, 1.0)
        out = Xf[idx] + lam[:, None] * (means[anchor] - Xf[idx])
        return out.reshape((len(idx),) + shape), anchor_inputs
