"""Expected error reduction with a cheap, batched surrogate."""
from __future__ import annotations

import numpy as np
import torch

from .._device import check_device, resolve_device, seeded
from .._validation import check_int, check_number, torch_seed
from ..selection import top_k
from .base import QueryResult, Strategy, candidate_scores, register

__all__ = ["ExpectedErrorReduction"]


def _fit_softmax_regression(Xb, Yb, Wb, weight, l2, steps, lr):
    """Batched multinomial logistic regression by Adam from a warm start.

    Xb : (B, m, d+1) inputs with a bias column, or (m, d+1) shared by all problems
    Yb : (B, m) int labels, Wb : (B, d+1, C) initial weights, weight : (B, m) sample weights.
    Minimises sum_i w_i CE_i / sum_i w_i + l2/2 ||W[:-1]||^2 for every problem b at once.
    """
    W = Wb.clone().requires_grad_(True)
    opt = torch.optim.Adam([W], lr=lr)
    norm = weight.sum(dim=1)  # (B,)
    for _ in range(steps):
        opt.zero_grad()
        logits = torch.matmul(Xb, W)  # (B, m, C)
        ce = torch.nn.functional.cross_entropy(logits.transpose(1, 2), Yb, reduction="none")  # (B, m)
        loss = ((ce * weight).sum(dim=1) / norm).sum() + 0.5 * l2 * (W[:, :-1] ** 2).sum()
        loss.backward()
        opt.step()
    return W.detach()


@register
class ExpectedErrorReduction(Strategy):
    """Expected error reduction (Roy & McCallum 2001), approximated.

    For a seeded random subsample of candidates x (``n_candidates``, default
    100) and every class c, a surrogate — multinomial logistic regression on
    the task model's embedding (PCA to ``n_components`` dimensions) — is refit
    on L ∪ {(x, c)}; the expected future loss on (a seeded sample of) the
    unlabeled pool is then averaged over c with the task model's p(c|x).
    Score = −Σ_c p(c|x) · E_U[loss | L ∪ {(x, c)}]; highest first.

    What it approximates: the real EER retrains the *task model* for every
    (x, c); here all (x, c) refits of the surrogate run at once as one
    batched optimisation warm-started from the fit on L (``steps`` Adam
    steps), and the loss is estimated on at most ``n_eval`` unlabeled points.
    ``loss="log"`` uses the surrogate's own predictive entropy (Roy &
    McCallum's log-loss estimate), ``loss="zero_one"`` uses 1 − max_c p.
    Candidates outside the subsample get NaN scores.
    ``device`` ("cpu" default, "cuda", "auto") is where the surrogate's refits run.

    References
    ----------
    Roy, N. & McCallum, A. (2001). Toward optimal active learning through
    sampling estimation of error reduction. ICML.
    """

    name = "eer"

    def __init__(self, n_candidates: int = 100, loss: str = "log", n_eval: int = 500, n_components: int = 32,
                 l2: float = 1.0, steps: int = 60, device: str = "cpu"):
        self.device = device
        self.n_candidates = n_candidates
        self.loss = loss
        self.n_eval = n_eval
        self.n_components = n_components
        self.l2 = l2
        self.steps = steps

    def _validate_params(self):
        if self.loss not in ("log", "zero_one"):
            raise ValueError(f"loss={self.loss!r}; choose 'log' or 'zero_one'")
        for p in ("n_candidates", "n_eval", "n_components", "steps"):
            check_int(getattr(self, p), p, 1)
        check_number(self.l2, "l2", 0.0, exclusive_minimum=True)
        check_device(self.device)

    def _query(self, ctx, budget, rng):
        ctx.require_model(self.name)
        ctx.require_labels(self.name, 1)
        from sklearn.decomposition import PCA

        E = np.asarray(ctx.embedding, dtype=np.float64)
        k = int(min(self.n_components, E.shape[1], E.shape[0]))
        Z = PCA(n_components=k, svd_solver="full").fit_transform(E)
        Z /= Z.std(axis=0).max() + 1e-12
        Z = np.hstack([Z, np.ones((len(Z), 1))])  # (n, k+1) with a bias column

        cand = ctx.candidates
        n_sub = int(min(len(cand), max(self.n_candidates, budget)))
        sub = np.sort(rng.choice(cand, size=n_sub, replace=False))
        eval_idx = cand if len(cand) <= self.n_eval else np.sort(rng.choice(cand, self.n_eval, replace=False))
        C = ctx.n_classes
        lab = np.flatnonzero(ctx.labeled_mask)
        yL = ctx.labels[lab]

        dev = resolve_device(self.device)  # where the surrogate's refits run
        with seeded(torch_seed(rng), dev):
            on = dict(device=dev)
            XL = torch.as_tensor(Z[lab], dtype=torch.float32, **on)  # (m, k+1)
            l2 = float(self.l2) / (len(lab) + 1)
            W0 = _fit_softmax_regression(XL[None], torch.as_tensor(yL, **on)[None], torch.zeros(1, k + 1, C, **on),
                                         torch.ones(1, len(lab), **on), l2, 4 * self.steps, 0.1)
            B = n_sub * C
            Xb = torch.cat([XL[None].expand(B, -1, -1),
                            torch.as_tensor(Z[sub], dtype=torch.float32, **on).repeat_interleave(C, 0)[:, None]],
                           dim=1)
            Yb = torch.cat([torch.as_tensor(yL, **on)[None].expand(B, -1),
                            torch.arange(C, **on).repeat(n_sub)[:, None]], dim=1)  # (B, m+1)
            Wb = _fit_softmax_regression(Xb, Yb, W0.expand(B, -1, -1), torch.ones(B, len(lab) + 1, **on), l2,
                                         self.steps, 0.05)
            with torch.no_grad():
                P = torch.softmax(torch.matmul(torch.as_tensor(Z[eval_idx], dtype=torch.float32, **on), Wb), dim=2)
                if self.loss == "log":
                    per = -(P * torch.log(P.clamp_min(1e-12))).sum(dim=2)  # (B, n_eval)
                else:
                    per = 1.0 - P.max(dim=2).values
                future = per.mean(dim=1).cpu().numpy().astype(np.float64).reshape(n_sub, C)  # (n_sub, C)
        expected = (ctx.proba[sub] * future).sum(axis=1)  # (n_sub,)
        s = candidate_scores(ctx, -expected, where=sub)
        expected_loss = np.full(ctx.n_pool, np.nan)
        expected_loss[sub] = expected
        extras = {"expected_loss": expected_loss, "candidates": sub, "future_loss_per_class": future}
        return QueryResult(top_k(s, budget, sub), s, extras)
