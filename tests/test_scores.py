"""Hand-computed checks of every score."""
import numpy as np
import pytest

from alviz import scores

P = np.array([[0.7, 0.2, 0.1],
              [0.4, 0.4, 0.2],
              [1.0, 0.0, 0.0]])


def test_least_confidence_by_hand():
    np.testing.assert_allclose(scores.least_confidence(P), [0.3, 0.6, 0.0])


def test_margin_by_hand():
    np.testing.assert_allclose(scores.margin(P), [-0.5, 0.0, -1.0])


def test_entropy_by_hand_with_safe_log():
    e0 = -(0.7 * np.log(0.7) + 0.2 * np.log(0.2) + 0.1 * np.log(0.1))
    e1 = -(2 * 0.4 * np.log(0.4) + 0.2 * np.log(0.2))
    np.testing.assert_allclose(scores.entropy(P), [e0, e1, 0.0])  # p=0 contributes 0, not NaN


def test_vote_entropy_by_hand():
    # 3 members, 2 samples; sample 0: votes (0, 0, 1); sample 1: unanimous 2
    M = np.array([
        [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]],
        [[0.5, 0.4, 0.1], [0.2, 0.2, 0.6]],
        [[0.2, 0.7, 0.1], [0.0, 0.1, 0.9]],
    ])
    expected0 = -(2 / 3 * np.log(2 / 3) + 1 / 3 * np.log(1 / 3))
    np.testing.assert_allclose(scores.vote_entropy(M), [expected0, 0.0])


def test_consensus_kl_by_hand():
    M = np.array([[[0.9, 0.1]], [[0.5, 0.5]]])  # 2 members, 1 sample
    mean = np.array([0.7, 0.3])
    kl = [np.sum(m * np.log(m / mean)) for m in (M[0, 0], M[1, 0])]
    np.testing.assert_allclose(scores.consensus_kl(M), [np.mean(kl)])
    same = np.repeat(M[:1], 4, axis=0)
    np.testing.assert_allclose(scores.consensus_kl(same), [0.0], atol=1e-12)


@pytest.mark.parametrize("fn", [scores.least_confidence, scores.margin, scores.entropy])
def test_scores_reject_bad_probabilities(fn):
    with pytest.raises(ValueError, match="shape"):
        fn(np.ones(3))
    with pytest.raises(ValueError, match="probabilities"):
        fn(np.array([[0.5, 0.9]]))
    with pytest.raises(ValueError, match="NaN"):
        fn(np.array([[np.nan, 1.0]]))


def test_uncertain_rows_score_higher():
    confident, unsure = np.array([[0.98, 0.01, 0.01]]), np.array([[0.34, 0.33, 0.33]])
    for fn in (scores.least_confidence, scores.margin, scores.entropy):
        assert fn(unsure)[0] > fn(confident)[0]
