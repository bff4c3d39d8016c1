"""ProbCover at scale: the sparse δ-ball graph in bounded blocks keeps the greedy rule's picks and its memory."""
import tracemalloc

import numpy as np
import pytest
from sklearn.datasets import make_blobs

import alviz
from alviz.strategies.base import QueryContext
from alviz.selection import _coverage as clustering  # the coverage cores (ball graph, its pruning)
from alviz.strategies.clustering import ball_graph, max_coverage, purity_radius


def dense_greedy(X, labeled, delta, k):
    """The greedy max-coverage rule written the plain way: a dense ball matrix, gains recomputed each pick."""
    D = np.sqrt(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2))
    A = D < delta
    np.fill_diagonal(A, True)
    covered = A[labeled].any(axis=0)
    avail = ~labeled.copy()
    picks = []
    for _ in range(k):
        gain = np.where(avail, (A & ~covered[None, :]).sum(axis=1), -1)
        i = int(np.argmax(gain))
        assert gain[i] > 0  # the small case never runs out of uncovered points
        picks.append(i)
        avail[i] = False
        covered |= A[i]
    return np.array(picks), covered


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_coverage_picks_what_the_dense_greedy_rule_picks(seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 5))
    labeled = np.zeros(300, dtype=bool)
    labeled[rng.choice(300, 7, replace=False)] = True
    delta = 1.6
    picks, covered, gain = max_coverage(X, labeled, delta, 12, rng=0)
    ref_picks, ref_covered = dense_greedy(X, labeled, delta, 12)
    np.testing.assert_array_equal(picks, ref_picks)
    np.testing.assert_array_equal(covered, ref_covered)
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(axis=2))
    A = (D < delta) | np.eye(300, dtype=bool)
    np.testing.assert_array_equal(gain, (A & ~A[labeled].any(axis=0)).sum(axis=1))


def test_ball_graph_in_small_blocks_equals_the_dense_matrix_and_is_symmetric():
    X = np.random.default_rng(3).normal(size=(257, 4))
    A = ball_graph(X, 1.2, block_elements=1000)  # many blocks of 3 rows
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(axis=2))
    dense = (D < 1.2) | np.eye(257, dtype=bool)
    np.testing.assert_array_equal(A.toarray(), dense)
    assert (A != A.T).nnz == 0
    assert A.indices.dtype == np.int32 and A.data.dtype == bool


def _curved_sheet(n, seed):
    """n points near a curved 3-D sheet inside 24 dimensions: most of the spread in a few directions."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(-1, 1, size=(n, 3))
    basis = np.linalg.qr(rng.normal(size=(24, 24)))[0]
    X = np.c_[t, np.sin(3 * t[:, :1]) * 0.3, rng.normal(scale=0.02, size=(n, 20))] @ basis.T
    return X, (t[:, 0] > 0).astype(int) + 2 * (t[:, 1] > 0)


@pytest.mark.parametrize("seed", [0, 1])
def test_ball_graph_from_projection_bounds_equals_the_dense_blocks(seed, monkeypatch):
    X, _ = _curved_sheet(3000, seed)
    A = ball_graph(X, 0.12)  # 3 000 > 2 000 samples: the pairs come from the k-d tree on the projection
    assert 3000 < A.nnz < 60 * 3000  # a real graph, not only the diagonal
    monkeypatch.setattr(clustering, "_PRUNE_ABOVE", 10**9)  # the dense blocks
    B = ball_graph(X, 0.12)
    assert (A != B).nnz == 0 and (A != A.T).nnz == 0
    np.testing.assert_array_equal(A.indptr, B.indptr)
    np.testing.assert_array_equal(A.indices, B.indices)  # sorted within rows, like the blocks
    assert A.indices.dtype == np.int32 and A.data.dtype == bool


def test_ball_graph_falls_back_to_the_dense_blocks_when_the_projection_cannot_prune(monkeypatch):
    X = np.random.default_rng(0).normal(size=(2500, 40))  # isotropic: 8 directions bound nothing
    assert clustering._PrincipalBounds.of(X) is None  # they hold ~ 1/4 of the variance, under the 95% needed
    assert clustering._PrincipalBounds.of(_curved_sheet(2500, 0)[0]).captured > 0.95
    calls = []
    monkeypatch.setattr(clustering, "_ball_graph_pruned", lambda F, d2: calls.append(1) or None)
    A = ball_graph(X, 7.0)
    assert calls == [1]
    D2 = ((X[:600, None] - X[None]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(A[:600].toarray(), (D2 < 49.0) | np.eye(600, 2500, dtype=bool))


@pytest.mark.parametrize("purity", [0.95, 0.8])
def test_purity_radius_from_projection_bounds_is_the_exact_order_statistic(purity):
    X, y = _curved_sheet(2500, 2)
    delta = purity_radius(X, y, purity)
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(axis=2))
    d = np.where(y[:, None] != y[None, :], D, np.inf).min(axis=1)
    m = int(np.floor((1 - purity) * len(X) + 1e-9))
    assert delta == pytest.approx(np.sort(d)[m], rel=1e-12)
    inside = D < delta * (1 - 1e-12)  # the open ball, past the rounding of the two distance sums
    pure = (np.where(inside, y[:, None] != y[None, :], False).sum(axis=1) == 0).mean()
    assert purity <= pure < purity + 2 / len(X)


def test_probcover_on_a_30000_point_pool_stays_under_1_5_gb_traced():
    X, y = make_blobs(30_000, n_features=32, centers=10, cluster_std=2.0, random_state=0)
    X = X.astype(np.float32)
    labeled = np.zeros(len(X), dtype=bool)
    labeled[np.random.default_rng(0).choice(len(X), 20, replace=False)] = True
    labels = np.where(labeled, y, -1)
    ctx = QueryContext(X, labeled, labels, n_classes=10)
    strategy = alviz.strategies.get("probcover", embedding="input")
    tracemalloc.start()
    try:
        res = strategy.query(ctx, 10, rng=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * 2**30, f"peak traced memory {peak / 2**30:.2f} GB"
    assert len(np.unique(res.indices)) == 10 and not labeled[res.indices].any()
    # the picks are the greedy rule's at the strategy's own radius: each pick had the largest gain
    assert res.scores[res.indices[0]] == np.nanmax(res.scores)


@pytest.mark.parametrize("name", ["qbc_vote_entropy", "qbc_kl"])
def test_qbc_scores_a_seeded_subsample_of_a_large_pool(digits, name):
    from tests.conftest import make_context

    ctx = make_context(digits, n_labeled=30)
    res = alviz.strategies.get(name, max_candidates=200).query(ctx, 10, rng=0)
    sub = res.extras["candidates"]
    assert len(sub) == 200 and not ctx.labeled_mask[sub].any()
    assert np.isin(res.indices, sub).all()
    assert np.isfinite(res.scores[sub]).all() and np.isnan(np.delete(res.scores, sub)).all()
    assert (np.delete(res.extras["member_votes"], sub, axis=0) == -1).all()
    again = alviz.strategies.get(name, max_candidates=200).query(make_context(digits, n_labeled=30), 10, rng=0)
    np.testing.assert_array_equal(again.indices, res.indices)
    # a pool within the cap is scored whole, as before
    full = alviz.strategies.get(name).query(make_context(digits, n_labeled=30), 10, rng=0)
    assert "candidates" not in full.extras and np.isfinite(full.scores[ctx.candidates]).all()
