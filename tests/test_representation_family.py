"""Rule tests of the representation-aware line after BADGE: alfa_mix, cdal, noise_stability, coregcn,
uncertaingcn, kmeans, cluster_margin (each computed by hand or by an independent slow implementation)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import alviz
from alviz.selection import k_center_greedy_by, k_center_greedy_trace, kmeans_nearest, round_robin_clusters
from alviz.strategies import get
from alviz.strategies.cdal import class_conditional_means, contextual_distance
from alviz.strategies.gcn import similarity_graph

from .conftest import make_context


@pytest.fixture(scope="module")
def ctx3():
    """Three blobs, a torch MLP fitted on 24 labeled samples (a fresh context per test is not needed:
    strategies never change it; the tests that check that compare it)."""
    ds = alviz.datasets.make_toy("blobs", n=240, seed=1)
    return make_context(ds, n_labeled=24, seed=0)


def _fresh(ctx):
    return alviz.strategies.QueryContext(ctx.X, ctx.labeled_mask, ctx.labels, ctx.n_classes, model=ctx.model,
                                         model_template=ctx.model_template, cache={})


# ---------------------------------------------------------------------------- ALFA-Mix
def _alfa_flips_by_autograd(model, H, anchors, caps, stop_above):
    """An independent ALFA-Mix candidate search: torch autograd through the model's own head."""
    head = model.head_
    z = torch.tensor(H, dtype=torch.float64, requires_grad=True)
    Wt, bt = head.weight.detach().double(), head.bias.detach().double()
    out = z @ Wt.T + bt
    pred = out.argmax(dim=1)
    torch.nn.functional.cross_entropy(out, pred).backward()
    g = z.grad.numpy()
    cand = np.zeros(len(H), dtype=bool)
    for cap in caps:
        eps = cap / np.sqrt(H.shape[1])
        for a in anchors:
            diff = a - H
            alpha = (eps * np.linalg.norm(diff, axis=1) / np.linalg.norm(g, axis=1))[:, None] * g / (diff + 1e-8)
            mix = torch.tensor((1 - alpha) * H + alpha * a)
            cand |= ((mix @ Wt.T + bt).argmax(dim=1) != pred).numpy()
        if cand.sum() > stop_above:
            break
    return cand


def test_alfa_mix_candidates_are_exactly_the_closed_form_flips(ctx3):
    ctx = _fresh(ctx3)
    res = get("alfa_mix").query(ctx, 6, rng=0)
    H = np.asarray(ctx.embedding, dtype=np.float64)
    lab = ctx.labeled_mask
    anchors = [H[lab][ctx.labels[lab] == c].mean(axis=0) for c in range(ctx.n_classes)]
    cand = ctx.candidates
    caps = [0.2 * (i + 1) for i in range(5)]
    flips = _alfa_flips_by_autograd(ctx.model, H[cand], anchors, caps, stop_above=6)
    assert flips.sum() > 0
    np.testing.assert_array_equal(np.flatnonzero(res.extras["flipped"]), cand[flips])
    picked_flips = res.extras["flipped"][res.indices]
    assert picked_flips.sum() == min(6, flips.sum())  # picks come from the flips first
    anchor = res.extras["alfa_anchor"]
    assert np.all(anchor[res.extras["flipped"]] >= 0) and np.all(anchor[~res.extras["flipped"]] == -1)
    assert res.extras["alfa_target"].shape == (flips.sum(), 2)


# ---------------------------------------------------------------------------- CDAL
def test_cdal_distance_is_the_symmetric_kl_of_the_class_conditional_means():
    a = np.array([[0.7, 0.2, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]])  # two regions predicted 0, one 2
    b = np.array([[0.5, 0.4, 0.1], [0.2, 0.2, 0.6]])
    Pa, Pb = class_conditional_means(a), class_conditional_means(b)
    np.testing.assert_allclose(Pa[0], [0.65, 0.25, 0.1])
    assert np.isnan(Pa[1]).all()

    def skl(p, q):
        return 0.5 * np.sum(p * np.log(p / q)) + 0.5 * np.sum(q * np.log(q / p))
    want = (skl(Pa[0], Pb[0]) + skl(Pa[2], Pb[2])) / 2  # the mean over the classes both predict
    assert contextual_distance(Pa, Pb) == pytest.approx(want)


def test_cdal_scores_and_picks_are_k_center_in_that_distance(ctx3):
    ctx = _fresh(ctx3)
    res = get("cdal").query(ctx, 4, rng=0)
    P = np.clip(ctx.proba, 1e-12, None)
    L = P[ctx.labeled_mask]

    def d(p, Q):
        return (0.5 * (p * np.log(p / Q)).sum(axis=1) + 0.5 * (Q * np.log(Q / p)).sum(axis=1)).min()
    centres = list(L)
    for t, i in enumerate(res.indices):
        dist = np.array([d(P[j], np.array(centres)) if not ctx.labeled_mask[j] and j not in res.indices[:t]
                         else -1 for j in range(ctx.n_pool)])
        if t == 0:
            np.testing.assert_allclose(res.scores[ctx.candidates], dist[ctx.candidates], rtol=1e-6, atol=1e-9)
        assert i == int(np.argmax(dist))
        centres.append(P[i])


# ---------------------------------------------------------------------------- k-means and Cluster-Margin
def test_kmeans_picks_the_point_nearest_each_centre(ctx3):
    ctx = _fresh(ctx3)
    res = get("kmeans").query(ctx, 5, rng=0)
    cand = ctx.candidates
    E = np.asarray(ctx.embedding, dtype=np.float64)[cand]
    C = res.extras["centroids"]
    assert C.shape[0] == 5
    cluster = res.extras["cluster"][cand]
    for c, pick in zip(range(5), res.indices):
        members = np.flatnonzero(cluster == c)
        assert pick == cand[members[np.argmin(np.linalg.norm(E[members] - C[c], axis=1))]]
    km = kmeans_nearest(np.concatenate([E[:10], E[:10]]), 12, rng=0)  # duplicates: filled, still distinct
    assert np.unique(km.indices).size == 12


def test_cluster_margin_picks_margin_candidates_round_robin(ctx3):
    ctx = _fresh(ctx3)
    res = get("cluster_margin", margin_multiple=3.0, n_clusters=6).query(ctx, 8, rng=0)
    p = np.sort(ctx.proba, axis=1)
    margin = p[:, -1] - p[:, -2]
    cand = ctx.candidates[np.argsort(margin[ctx.candidates], kind="stable")[:24]]
    assert set(res.extras["candidates"]) == set(cand)
    assert set(res.indices) <= set(cand)
    cl = res.extras["cluster"]
    sizes = {c: int(np.sum(cl[cand] == c)) for c in np.unique(cl[cand])}
    order = sorted(sizes, key=lambda c: (sizes[c], c))
    passes = res.extras["round_robin_pass"]
    taken = {}
    for i, ps in zip(res.indices, passes):  # pass t takes one from every cluster still holding candidates
        taken.setdefault(int(ps), []).append(int(cl[i]))
    for t, clusters in sorted(taken.items()):
        left = [c for c in order if sizes[c] > t]
        assert clusters == left[:len(clusters)], (t, clusters, left)
    # the pure core: smallest cluster first, one per cluster per pass
    got = round_robin_clusters(np.array([0, 0, 0, 1, 2, 2]), np.arange(6), 5, rng=0)
    assert [int(np.array([0, 0, 0, 1, 2, 2])[i]) for i in got] == [1, 2, 0, 2, 0]


# ---------------------------------------------------------------------------- NoiseStability
def test_noise_stability_feature_and_k_center_from_the_origin(ctx3):
    ctx = _fresh(ctx3)
    res = get("noise_stability", n_sampling=3).query(ctx, 4, rng=0)
    F = res.extras["representation"].astype(np.float64)
    assert F.shape == (ctx.n_pool, 3 * ctx.n_classes)
    np.testing.assert_allclose(res.extras["output_change"], np.linalg.norm(F, axis=1), rtol=1e-5)
    cand = ctx.candidates
    assert res.indices[0] == cand[np.argmax(np.linalg.norm(F[cand], axis=1))]
    G = np.vstack([F[cand], np.zeros((1, F.shape[1]))])
    mask = np.zeros(len(G), dtype=bool)
    mask[-1] = True
    np.testing.assert_array_equal(res.indices, cand[k_center_greedy_trace(G, mask, 4).indices])
    assert res.extras["output_change"][cand].max() > 0


@pytest.mark.parametrize("name", ["noise_stability", "coregcn", "uncertaingcn"])
def test_own_networks_never_change_the_task_model(ctx3, name):
    ctx = _fresh(ctx3)
    before = {k: v.clone() for k, v in ctx.model.network_.state_dict().items()}
    params = {"n_sampling": 2} if name == "noise_stability" else {"epochs": 20}
    s = get(name, **params)
    s.query(ctx, 4, rng=0)
    s.score_points(ctx, ctx.X[:5])
    after = ctx.model.network_.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


# ---------------------------------------------------------------------------- the GCNs
def test_gcn_graph_is_the_authors_adjacency_and_the_picks_follow_the_rules(ctx3):
    F = np.array([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    A, _ = similarity_graph(F)
    S = F @ F.T - np.eye(3)
    np.testing.assert_allclose(A, S / S.sum(axis=0)[None, :] + np.eye(3))
    ctx = _fresh(ctx3)
    u = get("uncertaingcn", epochs=30).query(ctx, 5, rng=0)
    p = u.extras["gcn_p_labeled"]
    assert "candidates" not in u.extras  # the whole unlabeled pool joined the graph
    cand = ctx.candidates
    want = cand[np.argsort(np.abs(p[cand] - 0.1), kind="stable")[:5]]
    assert set(u.indices) == set(want)
    assert np.nanmean(p[ctx.labeled_mask]) > np.nanmean(p[cand])  # it learned labeled from unlabeled
    edges = u.extras["graph_edges"]
    assert edges.shape[1] == 2 and set(edges.ravel()) <= set(u.indices)
    c = get("coregcn", epochs=30).query(_fresh(ctx3), 5, rng=0)
    assert c.extras["pick_distance"][0] == pytest.approx(np.nanmax(c.scores))


def test_k_center_greedy_by_a_euclidean_distance_is_k_center_greedy():
    F = np.random.default_rng(0).normal(size=(60, 3))
    lab = np.zeros(60, dtype=bool)
    lab[:4] = True

    def dist(idx):
        return np.linalg.norm(F[:, None, :] - F[idx][None], axis=2)
    a = k_center_greedy_by(dist, 60, lab, 7)
    b = k_center_greedy_trace(F, lab, 7)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_allclose(a.covering_radius, b.covering_radius)


# ---------------------------------------------------------------------------- pictures
def test_alfa_mix_arrows_run_from_candidates_to_their_anchors_and_gcn_edges_join_picks(moons):
    coords = alviz.projection.reference(moons)
    sess = alviz.Session(moons, strategy="alfa_mix", initial=12, budget=6, seed=0, field_resolution=None)
    rnd = sess.step()
    fig = alviz.plot.round(sess, coords, r=-1)
    arrows = [t for t in fig.data if str(t.name).startswith("overlay: ALFA-Mix interpolation arrows")]
    stars = next(t for t in fig.data if t.name == "overlay: ALFA-Mix anchors")
    A = rnd.extras["alfa_anchor_inputs"]
    anchor = rnd.extras["alfa_anchor"]
    assert arrows
    drawn = []
    for t in arrows:
        idx = np.asarray(t.customdata)[::3]
        np.testing.assert_allclose(np.asarray(t.x[::3], dtype=float), moons.X[idx, 0], atol=1e-6)
        np.testing.assert_allclose(np.asarray(t.x[1::3], dtype=float), A[anchor[idx], 0], atol=1e-5)
        assert rnd.extras["flipped"][idx].all()
        drawn += list(idx)
    assert set(rnd.selected) & set(np.flatnonzero(rnd.extras["flipped"])) <= set(drawn)  # every flipped pick
    assert len(stars.x) == np.unique(anchor[drawn]).size

    sess = alviz.Session(moons, strategy=get("uncertaingcn", epochs=20), initial=12, budget=6, seed=0,
                         field_resolution=None)
    rnd = sess.step()
    fig = alviz.plot.round(sess, coords, r=-1)
    edges = [t for t in fig.data if str(t.name).startswith("overlay: graph edges among the picks")]
    ends = np.concatenate([np.asarray(t.customdata).reshape(-1, 3)[:, :2] for t in edges])
    assert len(ends) == len(rnd.extras["graph_edges"]) and set(ends.ravel()) <= set(rnd.selected)
