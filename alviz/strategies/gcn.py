"""Sequential GCN selection: CoreGCN and UncertainGCN (a GCN over the labeled ∪ unlabeled similarity graph)."""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import torch

from .._device import resolve_device, seeded
from .._params import Interval
from .._validation import torch_seed
from ..selection import k_center_greedy_trace, top_k
from .base import QueryContext, QueryResult, Strategy, register

__all__ = ["CoreGCN", "UncertainGCN", "similarity_graph", "GCNFit", "train_gcn"]


def _normalise(F) -> np.ndarray:
    F = np.asarray(F, dtype=np.float64).reshape(len(F), -1)
    return F / np.maximum(np.linalg.norm(F, axis=1, keepdims=True), 1e-12)


def similarity_graph(F: np.ndarray) -> tuple:
    """(A (n, n), column sums (n,)) the authors' adjacency of L2-normalised features F (n, d):
    S = F Fᵀ − I, each column divided by its sum, plus I. Column sums are kept away from 0 (|s| ≥ 1e-8).

    Parameters
    ----------
    F : (n, d) features (normalised here).

    Returns
    -------
    (A (n, n) float64, column sums (n,) float64)

    References
    ----------
    Caramalau, R. et al. (2021). Sequential graph convolutional network for active learning. CVPR (Eq. 1).
    """
    F = _normalise(F)
    S = F @ F.T
    np.fill_diagonal(S, S.diagonal() - 1.0)
    col = S.sum(axis=0)
    col = np.where(np.abs(col) < 1e-8, np.where(col < 0, -1e-8, 1e-8), col)
    A = S / col[None, :]
    A[np.diag_indices_from(A)] += 1.0
    return A, col


class GCNFit(NamedTuple):
    """A trained GCN over one round's graph, with what the inductive reading of new points needs.

    nodes : (m,) pool indices of the graph's nodes (the unlabeled subset, then the labeled samples).
    features : (m, d) their L2-normalised embeddings; column_sums : (m,).
    p_labeled : (m,) the GCN's sigmoid output ("labeled") at each node; hidden : (m, h) its first-layer features.
    loss : (epochs,) the training loss.
    W1, b1, W2, b2 : the two graph convolutions' weights (numpy, float64).
    """

    nodes: np.ndarray
    features: np.ndarray
    column_sums: np.ndarray
    p_labeled: np.ndarray
    hidden: np.ndarray
    loss: np.ndarray
    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    def view(self, F_new: np.ndarray) -> tuple:
        """(p_labeled (k,), hidden (k, h)) of new points joined to the graph without changing it: each new
        point's row of the adjacency is its similarity to the nodes divided by their column sums, plus itself.

        Parameters
        ----------
        F_new : (k, d) embeddings of the new points.

        Returns
        -------
        (p_labeled (k,), hidden (k, h)) float64
        """
        Fn = _normalise(F_new)
        a = (Fn @ self.features.T) / self.column_sums[None, :]  # (k, m)
        h = np.maximum((a @ self.features + Fn) @ self.W1 + self.b1, 0.0)
        z = a @ (self.hidden @ self.W2) + h @ self.W2 + self.b2
        return 1.0 / (1.0 + np.exp(-z[:, 0])), h


def train_gcn(
    F: np.ndarray,
    labeled: np.ndarray,
    rng: np.random.Generator,
    hidden: int = 128,
    dropout: float = 0.3,
    lambda_loss: float = 1.2,
    lr: float = 1e-3,
    weight_decay: float = 5e-4,
    epochs: int = 200,
    device: str = "cpu",
) -> tuple:
    """Train the authors' two-layer GCN to tell labeled nodes (1) from unlabeled ones (0).

    h = relu(A F W1 + b1), dropout ``dropout``; s = sigmoid(A h W2 + b2); loss
    −mean log s[labeled] − λ mean log(1 − s[unlabeled]); Adam, full graph, ``epochs`` steps.
    A F is computed once (the features are fixed), which is the same product in another order.
    Torch is seeded from ``rng`` inside ``fork_rng``.

    Parameters
    ----------
    F : (m, d) node features; labeled : (m,) bool; rng : Generator.
    hidden, dropout, lambda_loss, lr, weight_decay, epochs : the authors' settings by default.
    device : "cpu" | "cuda" | "auto".

    Returns
    -------
    (p (m,), hidden (m, h), loss (epochs,), W1, b1, W2, b2, column sums (m,)), numpy float64.

    References
    ----------
    Caramalau, R. et al. (2021). Sequential graph convolutional network for active learning. CVPR.
    """
    dev = resolve_device(device)
    A, col = similarity_graph(F)
    Fn = _normalise(F)
    lab = np.asarray(labeled, dtype=bool)
    with seeded(torch_seed(rng), dev):
        At = torch.as_tensor(A, dtype=torch.float32, device=dev)
        AF = At @ torch.as_tensor(Fn, dtype=torch.float32, device=dev)
        d = AF.shape[1]

        def param(*shape, fan):
            stdv = 1.0 / math.sqrt(fan)
            return torch.nn.Parameter(torch.empty(*shape, device=dev).uniform_(-stdv, stdv))

        W1, b1 = param(d, hidden, fan=hidden), param(hidden, fan=hidden)
        W2, b2 = param(hidden, 1, fan=1), param(1, fan=1)
        opt = torch.optim.Adam([W1, b1, W2, b2], lr=lr, weight_decay=weight_decay)
        lab_t = torch.as_tensor(lab, device=dev)
        losses = []
        for _ in range(int(epochs)):
            opt.zero_grad()
            h = torch.nn.functional.dropout(torch.relu(AF @ W1 + b1), dropout, training=True)
            z = (At @ (h @ W2) + b2)[:, 0]
            loss = (
                -torch.nn.functional.logsigmoid(z[lab_t]).mean()
                - lambda_loss * torch.nn.functional.logsigmoid(-z[~lab_t]).mean()
            )
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
        with torch.no_grad():
            h = torch.relu(AF @ W1 + b1)
            p = torch.sigmoid(At @ (h @ W2) + b2)[:, 0]
        out = [t.detach().cpu().numpy().astype(np.float64) for t in (p, h, W1, b1, W2, b2)]
    return out[0], out[1], np.asarray(losses), out[2], out[3], out[4], out[5], col


class _GCNStrategy(Strategy):
    """The shared graph and training of CoreGCN and UncertainGCN."""

    requires = frozenset({"model", "embedding"})
    _parameter_constraints = {
        "hidden_units": [Interval(Integral, 1, None, hint="the authors use 128")],
        "dropout": [Interval(Real, 0, 1, closed="left", hint="the authors use 0.3")],
        "lambda_loss": [Interval(Real, 0, None, closed="neither", hint="the authors use 1.2")],
        "lr": [Interval(Real, 0, None, closed="neither", hint="the authors use 1e-3")],
        "epochs": [Interval(Integral, 1, None, hint="the authors use 200")],
        "subset": [Interval(Integral, 1, None), None],
        "device": ["device"],
    }

    def __init__(
        self,
        hidden_units: int = 128,
        dropout: float = 0.3,
        lambda_loss: float = 1.2,
        lr: float = 1e-3,
        epochs: int = 200,
        subset=2000,
        device: str = "cpu",
    ):
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.lambda_loss = lambda_loss
        self.lr = lr
        self.epochs = epochs
        self.subset = subset
        self.device = device

    def _fit(self, ctx: QueryContext, rng: np.random.Generator, budget: int = 0) -> GCNFit:
        """This round's graph and trained GCN (memoized on ``ctx``; the subset holds at least ``budget``)."""
        ctx.require_model()
        resolve_device(self.device)  # a device that is not there fails here, before the graph is built
        key = (
            "gcn_fit",
            int(self.hidden_units),
            float(self.dropout),
            float(self.lambda_loss),
            float(self.lr),
            int(self.epochs),
            self.subset,
            str(self.device),
        )

        def train():
            unl = ctx.candidates
            size = None if self.subset is None else max(int(self.subset), int(budget))
            if size is not None and unl.size > size:
                unl = np.sort(rng.choice(unl, size, replace=False))
            nodes = np.concatenate([unl, np.flatnonzero(ctx.labeled_mask)])
            labeled = np.zeros(nodes.size, dtype=bool)
            labeled[unl.size :] = True
            H = ctx.embedding[nodes]
            p, h, loss, W1, b1, W2, b2, col = train_gcn(
                H,
                labeled,
                rng,
                int(self.hidden_units),
                float(self.dropout),
                float(self.lambda_loss),
                float(self.lr),
                epochs=int(self.epochs),
                device=self.device,
            )
            return GCNFit(nodes, _normalise(H), col, p, h, loss, W1, b1, W2, b2)

        return ctx.memoize(key, train)

    def _extras(self, ctx: QueryContext, fit: GCNFit, picks: np.ndarray) -> dict:
        p = np.full(ctx.n_pool, np.nan)
        p[fit.nodes] = fit.p_labeled
        cand = fit.nodes[~ctx.labeled_mask[fit.nodes]]
        out = {"gcn_p_labeled": p, "gcn_loss": fit.loss, **_pick_edges(ctx.embedding, picks)}
        if cand.size < ctx.n_unlabeled:  # a subset of the unlabeled samples joined the graph
            out["candidates"] = np.sort(cand)
        return out


def _pick_edges(H, picks, per_pick: int = 3) -> dict:
    """The graph's edges among the picks: each pick's ``per_pick`` most similar other picks (cosine of the
    embeddings, the graph's affinity before normalisation), each pair once."""
    F = _normalise(np.asarray(H)[picks])
    S = F @ F.T
    np.fill_diagonal(S, -np.inf)
    pairs = set()
    for i in range(len(picks)):
        for j in np.argsort(-S[i])[: min(per_pick, len(picks) - 1)]:
            pairs.add((min(i, int(j)), max(i, int(j))))
    pairs = sorted(pairs)
    edges = np.asarray([[picks[i], picks[j]] for i, j in pairs], dtype=np.int64).reshape(-1, 2)
    weight = np.asarray([S[i, j] for i, j in pairs], dtype=np.float64)
    return {"graph_edges": edges, "graph_edge_weight": weight}


@register
class UncertainGCN(_GCNStrategy):
    """UncertainGCN: pick the unlabeled nodes whose GCN output is closest to the margin ``s_margin``.

    The graph's nodes are the labeled samples and (up to ``subset``) unlabeled ones, with the
    task model's embeddings L2-normalised; the adjacency is the authors' (:func:`similarity_graph`). A
    two-layer GCN learns to output 1 for labeled and 0 for unlabeled nodes (:func:`train_gcn`); its
    own network, seeded from the round's rng, never the task model. The picks are the unlabeled nodes
    with the smallest |s − s_margin| (``scores`` = −|s − s_margin|): the ones the GCN is least sure are
    unlabeled, at the authors' margin 0.1. Field: the same score of a point joined to the graph
    without changing it (:meth:`GCNFit.view`).

    Extras: ``gcn_p_labeled`` (n_pool,) the GCN's output per node (NaN off the graph), ``gcn_loss``,
    ``candidates`` the unlabeled nodes (only when ``subset`` left some out), ``graph_edges`` (e, 2) and
    ``graph_edge_weight`` (e,) the graph's strongest edges among the picks.

    Parameters
    ----------
    hidden_units : int, the GCN's hidden width (128 in the authors' code).
    dropout : float, dropout on the hidden layer while training (0.3).
    lambda_loss : float, λ, the weight of the unlabeled term of the loss (1.2).
    lr : float, Adam's learning rate (1e-3; weight decay 5e-4 as the authors').
    epochs : int, full-graph training steps (200).
    subset : int or None, at most this many unlabeled samples (a seeded draw) join the graph with all the
        labeled ones (the authors' SUBSET, 10 000 there); None: every unlabeled sample.
    device : "cpu" (default) | "cuda" | "auto", where the GCN trains.
    s_margin : float, the margin (0.1).

    References
    ----------
    Caramalau, R., Bhattarai, B. & Kim, T.-K. (2021). Sequential graph convolutional network for active
    learning. CVPR. Code: github.com/razvancaramalau/Sequential-GCN-for-Active-Learning.
    """

    name = "uncertaingcn"
    field_name = "UncertainGCN: −|s(x) − s_margin|, s the GCN's P(labeled)"
    _parameter_constraints = {
        **_GCNStrategy._parameter_constraints,
        "s_margin": [Interval(Real, 0, 1, closed="both", hint="the authors use 0.1")],
    }

    def __init__(
        self,
        hidden_units: int = 128,
        dropout: float = 0.3,
        lambda_loss: float = 1.2,
        lr: float = 1e-3,
        epochs: int = 200,
        subset=2000,
        s_margin: float = 0.1,
        device: str = "cpu",
    ):
        super().__init__(hidden_units, dropout, lambda_loss, lr, epochs, subset, device)
        self.s_margin = s_margin

    def _score_points(self, ctx, X, rng):
        p, _ = self._fit(ctx, rng).view(ctx.embed_points(X))
        return -np.abs(p - float(self.s_margin))

    def _query(self, ctx, budget, rng):
        fit = self._fit(ctx, rng, budget)
        s = np.full(ctx.n_pool, np.nan)
        s[fit.nodes] = -np.abs(fit.p_labeled - float(self.s_margin))
        s[ctx.labeled_mask] = np.nan
        cand = fit.nodes[~ctx.labeled_mask[fit.nodes]]
        picks = top_k(s, budget, cand)
        return QueryResult(picks, s, self._extras(ctx, fit, picks))


@register
class CoreGCN(_GCNStrategy):
    """CoreGCN: k-center greedy on the GCN's hidden features, from the labeled nodes.

    The same graph and GCN as :class:`UncertainGCN` (trained to tell labeled from unlabeled nodes);
    the picks are k-center greedy (:func:`alviz.selection.k_center_greedy_trace`) on the GCN's
    first-layer features of the nodes, starting from the labeled nodes as centres. ``scores``: each
    unlabeled node's distance, in those features, to its nearest labeled node. Field: the same
    distance of a point joined to the graph without changing it.

    Extras: as UncertainGCN's, and ``covering_radius`` (k,), ``pick_distance`` (k,).

    Parameters: UncertainGCN's (``hidden_units``, ``dropout``, ``lambda_loss``, ``lr``, ``epochs``, ``subset``,
    ``device``, documented there: the same graph and training), without its ``s_margin``.

    References
    ----------
    Caramalau, R., Bhattarai, B. & Kim, T.-K. (2021). Sequential graph convolutional network for active
    learning. CVPR. Code: github.com/razvancaramalau/Sequential-GCN-for-Active-Learning.
    """

    name = "coregcn"
    field_name = "CoreGCN: distance to labeled in the GCN's features"

    def _score_points(self, ctx, X, rng):
        from ..selection import distance_to_centers

        fit = self._fit(ctx, rng)
        _, h = fit.view(ctx.embed_points(X))
        return distance_to_centers(h, fit.hidden[ctx.labeled_mask[fit.nodes]])

    def _query(self, ctx, budget, rng):
        fit = self._fit(ctx, rng, budget)
        lab = ctx.labeled_mask[fit.nodes]
        tr = k_center_greedy_trace(fit.hidden, lab, budget, rng)
        picks = fit.nodes[tr.indices]
        s = np.full(ctx.n_pool, np.nan)
        s[fit.nodes[~lab]] = tr.initial_distance[~lab]
        extras = self._extras(ctx, fit, picks)
        extras.update(covering_radius=tr.covering_radius, pick_distance=tr.pick_distance)
        return QueryResult(picks, s, extras)
