"""Expected error reduction with a cheap, batched surrogate."""

from __future__ import annotations

import numpy as np
import torch

from .._params import Integral, Interval, Options, Real
from .._device import resolve_device, seeded
from .._validation import torch_seed
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
    requires = frozenset({"model", "embedding", "labels"})

    #: every field point refits the surrogate C times: 30 × 30 points cost about one round
    field_max_resolution = 30

    @property
    def field_name(self) -> str:
        return f"EER: −expected {'log' if self.loss == 'log' else '0-1'} loss after labeling x"

    _parameter_constraints = {
        "n_candidates": [Interval(Integral, 1, None)],
        "loss": [Options(("log", "zero_one"))],
        "n_eval": [Interval(Integral, 1, None)],
        "n_components": [Interval(Integral, 1, None)],
        "l2": [Interval(Real, 0, None, closed="right")],
        "steps": [Interval(Integral, 1, None)],
        "device": ["device"],
    }

    def __init__(
        self,
        n_candidates: int = 100,
        loss: str = "log",
        n_eval: int = 500,
        n_components: int = 32,
        l2: float = 1.0,
        steps: int = 60,
        device: str = "cpu",
    ):
        self.device = device
        self.n_candidates = n_candidates
        self.loss = loss
        self.n_eval = n_eval
        self.n_components = n_components
        self.l2 = l2
        self.steps = steps

    def _surrogate(self, ctx, rng):
        """This round's surrogate set-up, built once per context: the PCA of the embedding, the
        labeled set in it, the warm start W0 fitted on L and the evaluation sample of the pool."""

        def build():
            from sklearn.decomposition import PCA

            E = np.asarray(ctx.embedding, dtype=np.float64)
            k = int(min(self.n_components, E.shape[1], E.shape[0]))
            pca = PCA(n_components=k, svd_solver="full").fit(E)
            Z = pca.transform(E)
            scale = Z.std(axis=0).max() + 1e-12
            cand = ctx.candidates
            eval_idx = cand if len(cand) <= self.n_eval else np.sort(rng.choice(cand, self.n_eval, replace=False))
            lab = np.flatnonzero(ctx.labeled_mask)
            yL = ctx.labels[lab]
            seed = torch_seed(rng)
            dev = resolve_device(self.device)  # where the surrogate's refits run
            on = dict(device=dev)
            XL = torch.as_tensor(self._with_bias(Z[lab] / scale), dtype=torch.float32, **on)  # (m, k+1)
            l2 = float(self.l2) / (len(lab) + 1)
            with seeded(seed, dev):
                W0 = _fit_softmax_regression(
                    XL[None],
                    torch.as_tensor(yL, **on)[None],
                    torch.zeros(1, k + 1, ctx.n_classes, **on),
                    torch.ones(1, len(lab), **on),
                    l2,
                    4 * self.steps,
                    0.1,
                )
            Zeval = torch.as_tensor(self._with_bias(Z[eval_idx] / scale), dtype=torch.float32, **on)
            return dict(
                pca=pca,
                scale=scale,
                XL=XL,
                yL=torch.as_tensor(yL, **on),
                l2=l2,
                W0=W0,
                Zeval=Zeval,
                seed=seed,
                device=dev,
            )

        key = (
            "eer_surrogate",
            int(self.n_components),
            int(self.n_eval),
            float(self.l2),
            int(self.steps),
            str(self.device),
        )
        return ctx.memoize(key, build)

    @staticmethod
    def _with_bias(Z):
        return np.hstack([Z, np.ones((len(Z), 1))])

    def expected_loss(self, ctx, X=None, rng=None, chunk: int = 100, where=None) -> np.ndarray:
        """Σ_c p(c|x) · E_eval[loss of the surrogate refit on L ∪ {(x, c)}] at inputs ``X``
        (or at the pool samples ``where``): the quantity EER minimises, one function for the
        pool's candidates and for any points."""
        st = self._surrogate(ctx, rng)
        if X is None:
            E, proba = np.asarray(ctx.embedding, dtype=np.float64)[where], ctx.proba[where]
        else:
            E, proba = np.asarray(ctx.embed_points(X), dtype=np.float64), ctx.proba_points(X)
        Zp = self._with_bias(st["pca"].transform(E) / st["scale"])
        C = ctx.n_classes
        m = len(st["yL"])
        out = np.empty(len(Zp))
        on = dict(device=st["device"])
        with seeded(st["seed"], st["device"]):
            for s in range(0, len(Zp), chunk):
                Zc = torch.as_tensor(Zp[s : s + chunk], dtype=torch.float32, **on)
                n_sub = len(Zc)
                B = n_sub * C
                Xb = torch.cat([st["XL"][None].expand(B, -1, -1), Zc.repeat_interleave(C, 0)[:, None]], dim=1)
                Yb = torch.cat([st["yL"][None].expand(B, -1), torch.arange(C, **on).repeat(n_sub)[:, None]], dim=1)
                Wb = _fit_softmax_regression(
                    Xb, Yb, st["W0"].expand(B, -1, -1), torch.ones(B, m + 1, **on), st["l2"], self.steps, 0.05
                )
                with torch.no_grad():
                    P = torch.softmax(torch.matmul(st["Zeval"], Wb), dim=2)
                    if self.loss == "log":
                        per = -(P * torch.log(P.clamp_min(1e-12))).sum(dim=2)  # (B, n_eval)
                    else:
                        per = 1.0 - P.max(dim=2).values
                    future = per.mean(dim=1).cpu().numpy().astype(np.float64).reshape(n_sub, C)
                out[s : s + chunk] = (proba[s : s + chunk] * future).sum(axis=1)
        return out

    def _score_points(self, ctx, X, rng):
        ctx.require_model(self.name)
        ctx.require_labels(self.name, 1)
        return -self.expected_loss(ctx, X, rng)

    def _query(self, ctx, budget, rng):
        ctx.require_model(self.name)
        ctx.require_labels(self.name, 1)
        cand = ctx.candidates
        n_sub = int(min(len(cand), max(self.n_candidates, budget)))
        sub = np.sort(rng.choice(cand, size=n_sub, replace=False))
        expected = self.expected_loss(ctx, rng=rng, where=sub, chunk=max(n_sub, 1))  # (n_sub,)
        s = candidate_scores(ctx, -expected, where=sub)
        expected_loss = np.full(ctx.n_pool, np.nan)
        expected_loss[sub] = expected
        extras = {"expected_loss": expected_loss, "candidates": sub}
        return QueryResult(top_k(s, budget, sub), s, extras)
