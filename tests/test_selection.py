"""top_k and k-center greedy, worked by hand."""
import numpy as np
import pytest

from alviz.selection import k_center_greedy, k_center_greedy_trace, top_k


def test_top_k_order_ties_and_candidates():
    s = np.array([0.1, 0.9, 0.5, 0.9, np.nan])
    assert top_k(s, 3, candidates=[0, 1, 2, 3]).tolist() == [1, 3, 2]  # tie 0.9: lower index first
    assert top_k(s, 2, candidates=np.array([True, False, True, False, False])).tolist() == [2, 0]
    assert top_k(s, 2, candidates=[1, 3], tiebreak=np.array([0, 1, 0, 2, 0])).tolist() == [3, 1]
    with pytest.raises(ValueError, match="NaN"):
        top_k(s, 1)
    with pytest.raises(ValueError, match="k=9"):
        top_k(s, 9, candidates=[0, 1])


def test_k_center_greedy_by_hand():
    # points on a line: 0, 1, 2, 6, 10; labeled {0}
    X = np.array([[0.0], [1.0], [2.0], [6.0], [10.0]])
    mask = np.array([True, False, False, False, False])
    # pick 1: farthest from {0} is 10 (idx 4); then min distances to {0,10}: 1->1, 2->2, 6->4 -> idx 3;
    # then to {0,10,6}: 1->1, 2->2 -> idx 2
    tr = k_center_greedy_trace(X, mask, 3)
    assert tr.indices.tolist() == [4, 3, 2]
    np.testing.assert_allclose(tr.pick_distance, [10.0, 4.0, 2.0])
    assert tr.pick_nearest_center.tolist() == [0, 4, 0]
    # covering radius after each pick: max min-distance = 4 (x=6), then 2 (x=2), then 1 (x=1)
    np.testing.assert_allclose(tr.covering_radius, [4.0, 2.0, 1.0])
    np.testing.assert_allclose(tr.initial_distance, [0, 1, 2, 6, 10])
    assert tr.nearest_center.tolist() == [0, 0, 2, 3, 4]
    assert k_center_greedy(X, mask, 3).tolist() == [4, 3, 2]


def test_k_center_empty_labeled_is_seeded():
    X = np.random.default_rng(0).normal(size=(50, 3))
    mask = np.zeros(50, dtype=bool)
    a = k_center_greedy(X, mask, 5, rng=7)
    b = k_center_greedy(X, mask, 5, rng=7)
    assert a.tolist() == b.tolist() and np.unique(a).size == 5


def test_k_center_matches_full_distance_matrix():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 8))
    mask = np.zeros(300, dtype=bool)
    mask[rng.choice(300, 10, replace=False)] = True
    D = np.linalg.norm(X[:, None] - X[None], axis=2)  # explicit n x n reference
    min_d = D[:, mask].min(axis=1)
    avail = ~mask
    ref = []
    for _ in range(20):
        i = int(np.argmax(np.where(avail, min_d, -1)))
        ref.append(i)
        avail[i] = False
        min_d = np.minimum(min_d, D[:, i])
    assert k_center_greedy(X, mask, 20).tolist() == ref


def test_k_center_never_picks_duplicates_of_labeled():
    X = np.array([[0.0, 0], [0, 0], [1, 1], [1, 1], [5, 5]])
    mask = np.array([True, False, False, False, False])
    picks = k_center_greedy(X, mask, 4)
    assert sorted(picks.tolist()) == [1, 2, 3, 4] and picks[0] == 4
