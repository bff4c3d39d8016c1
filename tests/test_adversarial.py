"""Rule tests for adversarial querying: DeepFool, BIM, input-gradient norms and dfal/bim/gradnorm."""
from __future__ import annotations


import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

import alviz
from alviz import perturbation as P
from alviz.strategies import get
from alviz.strategies.adversarial import attack_scores

from .conftest import make_context


def linear_logits(W, b):
    """f(x) = x W + b in float64: an affine classifier, where DeepFool's step is exact."""
    Wt = torch.as_tensor(W, dtype=torch.float64)
    bt = torch.as_tensor(b, dtype=torch.float64)
    return lambda x: x.reshape(len(x), -1) @ Wt + bt


@pytest.fixture(scope="module")
def digits_mlp(digits):
    rng = np.random.default_rng(0)
    idx = rng.choice(len(digits.X), 200, replace=False)
    return alviz.models.MLP(steps=150, random_state=0).fit(digits.X[idx], digits.y[idx], n_classes=10)


# ============================================================================ DeepFool
@pytest.mark.parametrize("overshoot", [0.0, 0.02])
def test_deepfool_on_a_linear_classifier_is_exact_in_one_step(overshoot):
    rng = np.random.default_rng(0)
    D, C, n = 6, 4, 50
    W, b = rng.normal(size=(D, C)), rng.normal(size=C)
    X = rng.normal(size=(n, D))
    res = P.deepfool(linear_logits(W, b), X, overshoot=overshoot)

    # closed form: distance to the nearest pairwise hyperplane f_k = f_k0
    f = X @ W + b
    k0 = f.argmax(axis=1)
    dist = np.full((n, C), np.inf)
    for i in range(n):
        for k in range(C):
            if k != k0[i]:
                w = W[:, k] - W[:, k0[i]]
                dist[i, k] = abs(f[i, k] - f[i, k0[i]]) / np.linalg.norm(w)
    l = dist.argmin(axis=1)
    d = dist.min(axis=1)
    np.testing.assert_array_equal(res.iterations, 1)
    assert res.flipped.all()
    np.testing.assert_array_equal(res.original_class, k0)
    np.testing.assert_array_equal(res.adversarial_class, l)
    np.testing.assert_allclose(res.norm, (1 + overshoot) * (d + P.DEEPFOOL_EPS), rtol=1e-10)
    # r points along w_l - w_k0, and x + r_tot lands just past the boundary f_l = f_k0
    for i in range(n):
        w = W[:, l[i]] - W[:, k0[i]]
        r = res.r[i]
        np.testing.assert_allclose(r / np.linalg.norm(r), w / np.linalg.norm(w), atol=1e-10)
        on = X[i] + r / (1 + overshoot) * d[i] / (d[i] + P.DEEPFOOL_EPS)
        fo = on @ W + b
        assert abs(fo[l[i]] - fo[k0[i]]) < 1e-9


def test_deepfool_recomputes_the_class_gap_every_step():
    # f = [0, log x - 1]: class 0 until x > e. From x = 1 DeepFool is Newton's method on log x - 1,
    # which approaches e from the left. A port that keeps the first gap (|f'| = 1) would step by
    # x each time (1 -> 2 -> 4) and report r = 3 instead of ~ e - 1.
    def fn(x):
        return torch.cat([torch.zeros_like(x), torch.log(x) - 1.0], dim=1)

    res = P.deepfool(fn, np.array([[1.0]]), overshoot=0.0)
    x, steps = 1.0, 0
    while np.log(x) - 1.0 <= 0:  # the hand iteration
        x += (1.0 - np.log(x)) * x + P.DEEPFOOL_EPS
        steps += 1
    assert steps >= 3
    assert res.flipped[0] and res.iterations[0] == steps
    np.testing.assert_allclose(res.r[0, 0], x - 1.0, rtol=1e-12)
    assert abs(res.r[0, 0] - (np.e - 1)) < 1e-3


def test_deepfool_never_flipping_samples_are_flagged_and_keep_their_r():
    # logits [0, -exp(-x)]: the gap never closes; each DeepFool step is exactly 1 + 1e-4 to the right
    def fn(x):
        return torch.cat([torch.zeros_like(x), -torch.exp(-x)], dim=1)

    res = P.deepfool(fn, np.zeros((2, 1)), max_iter=3, overshoot=0.0)
    assert not res.flipped.any()
    np.testing.assert_array_equal(res.iterations, 3)
    np.testing.assert_array_equal(res.adversarial_class, -1)
    assert not res.stuck.any()
    np.testing.assert_allclose(res.r[:, 0], 3 * (1 + P.DEEPFOOL_EPS), rtol=1e-12)


def test_deepfool_stuck_sample_stops_without_moving():
    # constant logits: no gradient, no direction; the sample must stop, not loop or divide by zero
    def fn(x):
        return torch.stack([x[:, 0] * 0 + 1.0, x[:, 0] * 0], dim=1)

    res = P.deepfool(fn, np.ones((3, 2)))
    assert not res.flipped.any() and res.stuck.all()
    np.testing.assert_array_equal(res.iterations, 0)
    np.testing.assert_array_equal(res.r, 0.0)


def test_stuck_samples_rank_last_not_first():
    # r = 0 for a sample that could not move must not read as "on the boundary"
    r = np.array([[0.0], [0.3], [0.1], [0.0]])
    res = P.AttackResult(r, np.array([-1, 1, 1, -1]), np.array([0, 1, 1, 0]), np.array([False, True, True, False]),
                         np.zeros(4, dtype=int), np.array([True, False, False, True]))
    s = attack_scores(res)
    np.testing.assert_allclose(s, [-1.3, -0.3, -0.1, -1.3])
    assert np.all(np.isfinite(s))


def test_deepfool_batched_equals_per_sample(digits, digits_mlp):
    """Same norms, flips, iterations and classes as the per-sample loop (the speed-up is bench_deepfool's)."""
    X = digits.X[:400]
    batched = P.deepfool(digits_mlp.logits, X)
    single = P.per_sample(P.deepfool, digits_mlp.logits, X)
    np.testing.assert_allclose(batched.norm, single.norm, rtol=1e-4)
    np.testing.assert_array_equal(batched.flipped, single.flipped)
    np.testing.assert_array_equal(batched.iterations, single.iterations)
    np.testing.assert_array_equal(batched.adversarial_class, single.adversarial_class)
    assert batched.flipped.all()
    # flipped really means the model changes its mind at x + r
    after = digits_mlp.predict(X + batched.r)
    np.testing.assert_array_equal(after, batched.adversarial_class)
    assert not np.any(after == batched.original_class)


def test_deepfool_on_images_keeps_the_input_shape():
    rng = np.random.default_rng(0)
    X = rng.random((40, 1, 6, 6)).astype(np.float32)
    y = np.arange(40) % 3
    cnn = alviz.models.CNN(channels=(4,), embedding_dim=8, steps=20).fit(X, y, n_classes=3)
    res = P.deepfool(cnn.logits, X[:10], max_iter=5)
    assert res.r.shape == (10, 1, 6, 6)
    single = P.per_sample(P.deepfool, cnn.logits, X[:10], max_iter=5)
    np.testing.assert_allclose(res.norm, single.norm, rtol=1e-4)
    flipped = res.flipped
    np.testing.assert_array_equal(cnn.predict(X[:10][flipped] + res.r[flipped]), res.adversarial_class[flipped])


def test_attack_parameters_are_checked():
    fn = linear_logits(np.eye(2), np.zeros(2))
    X = np.array([[1.0, 0.0]])
    with pytest.raises(ValueError, match="max_iter"):
        P.deepfool(fn, X, max_iter=0)
    with pytest.raises(ValueError, match="overshoot"):
        P.deepfool(fn, X, overshoot=-0.1)
    with pytest.raises(ValueError, match="eps"):
        P.bim(fn, X, eps=0.0)
    with pytest.raises(ValueError, match="NaN"):
        P.deepfool(fn, np.array([[np.nan, 0.0]]))


# ============================================================================ BIM
def test_bim_stops_at_its_cap():
    # two classes, logits [0, x·w - 50]: unreachable in 7 steps; the CE gradient at class 0 is p1·w,
    # so every step is eps·sign(w) and ‖η‖ = 7·eps·√D exactly
    w = np.array([[0.5], [-1.0], [2.0]])
    fn = linear_logits(np.hstack([np.zeros((3, 1)), w]), np.array([0.0, -50.0]))
    res = P.bim(fn, np.zeros((4, 3)), eps=0.05, max_iter=7)
    assert not res.flipped.any() and not res.stuck.any()
    np.testing.assert_array_equal(res.iterations, 7)
    np.testing.assert_allclose(res.norm, 7 * 0.05 * np.sqrt(3))
    np.testing.assert_allclose(res.r, np.tile(7 * 0.05 * np.sign(w[:, 0]), (4, 1)))


def test_bim_flips_after_the_hand_computed_number_of_steps():
    # logits [0, x·w - b]: each step raises x·w by eps·‖w‖₁;
    # it flips at the first t with x·w + t·eps·‖w‖₁ > b
    w = np.array([0.5, -1.0, 2.0])
    b = 1.0
    fn = linear_logits(np.stack([np.zeros(3), w], axis=1), np.array([0.0, -b]))
    X = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.2], [0.0, 0.3, 0.0]])
    res = P.bim(fn, X, eps=0.05, max_iter=100)
    gap = b - X @ w
    expected = np.floor(gap / (0.05 * np.abs(w).sum())).astype(int) + 1
    np.testing.assert_array_equal(res.iterations, expected)
    assert res.flipped.all()
    np.testing.assert_array_equal(res.adversarial_class, 1)
    np.testing.assert_allclose(res.norm, expected * 0.05 * np.sqrt(3))


# ============================================================================ input gradients
def test_gradnorm_batched_gradients_equal_per_sample_autograd(digits, digits_mlp):
    X = digits.X[:60]
    yhat = digits_mlp.predict(X)
    batched = P.input_gradients(digits_mlp.logits, X, yhat)
    for i in range(len(X)):
        xi = torch.as_tensor(X[i:i + 1]).requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(digits_mlp.logits(xi), torch.as_tensor(yhat[i:i + 1]))
        (g,) = torch.autograd.grad(loss, xi)
        # float32: a batch of 60 and a batch of 1 take different BLAS kernels (other summation orders)
        np.testing.assert_allclose(batched[i], g[0].numpy(), rtol=1e-3, atol=1e-4 * float(g.abs().max()))
    np.testing.assert_allclose(P.input_gradient_norms(digits_mlp.logits, X), np.linalg.norm(batched, axis=1),
                               rtol=1e-5)


def test_gradnorm_expected_equals_per_sample_sum_over_classes(digits, digits_mlp):
    X = digits.X[:20]
    ours = P.input_gradient_norms(digits_mlp.logits, X, label="expected")
    for i in range(len(X)):
        xi = torch.as_tensor(X[i:i + 1]).requires_grad_(True)
        z = digits_mlp.logits(xi)
        p = torch.softmax(z, dim=1)[0].detach().numpy()
        total = 0.0
        for c in range(10):
            loss = torch.nn.functional.cross_entropy(z, torch.tensor([c]))
            (g,) = torch.autograd.grad(loss, xi, retain_graph=True)
            total += p[c] * float(g.norm())
        np.testing.assert_allclose(ours[i], total, rtol=1e-4)


def test_gradnorm_linear_closed_form():
    # ∇ₓ CE(f(x), c) = W (p - e_c) for f = x W + b
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    X = rng.normal(size=(8, 5))
    z = X @ W + b
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    E = np.eye(3)
    per_class = np.stack([np.linalg.norm((p - E[c]) @ W.T, axis=1) for c in range(3)], axis=1)  # (n, C)
    fn = linear_logits(W, b)
    np.testing.assert_allclose(P.input_gradient_norms(fn, X), per_class[np.arange(8), z.argmax(1)], rtol=1e-10)
    np.testing.assert_allclose(P.input_gradient_norms(fn, X, "expected"), (p * per_class).sum(1), rtol=1e-10)
    with pytest.raises(ValueError, match="predicted"):
        P.input_gradient_norms(fn, X, label="true")


# ============================================================================ strategies
@pytest.fixture(scope="module")
def digits_ctx(digits):
    return make_context(digits, n_labeled=40, seed=3)


def test_dfal_picks_the_smallest_perturbations(digits_ctx):
    res = get("dfal").query(digits_ctx, 10, rng=0)
    ex = res.extras
    cand = digits_ctx.candidates
    norm = ex["perturbation_norm"]
    np.testing.assert_allclose(res.scores[cand], -norm[cand])
    assert set(res.indices) == set(cand[np.argsort(norm[cand], kind="stable")[:10]])
    # agreed extras: shapes and fill values
    lab = digits_ctx.labeled_mask
    assert ex["perturbation"].shape == digits_ctx.X.shape and ex["perturbation"].dtype == np.float32
    assert np.isnan(ex["perturbation"][lab]).all() and np.isfinite(ex["perturbation"][cand]).all()
    assert (ex["adversarial_class"][lab] == -1).all() and (ex["iterations"][lab] == -1).all()
    assert not ex["flipped"][lab].any() and np.isnan(norm[lab]).all()
    np.testing.assert_allclose(np.linalg.norm(ex["perturbation"][cand], axis=1), norm[cand], rtol=1e-5)
    assert res.augment_inputs is None and "augment_inputs" not in ex


def test_dfal_picks_are_close_to_the_boundary(digits_ctx):
    # quality: DeepFool's picks have a smaller top-2 probability gap than the pool (and than random)
    res = get("dfal").query(digits_ctx, 20, rng=0)
    p = np.sort(digits_ctx.proba, axis=1)
    gap = p[:, -1] - p[:, -2]
    cand = digits_ctx.candidates
    assert gap[res.indices].mean() < 0.5 * gap[cand].mean()


def test_dfal_add_adversarial_gives_flipped_inputs(digits_ctx):
    res = get("dfal", add_adversarial=True).query(digits_ctx, 8, rng=0)
    aug = res.augment_inputs  # a field of its own, not a diagnostic
    assert "augment_inputs" not in res.extras and aug.shape == digits_ctx.X[res.indices].shape
    np.testing.assert_allclose(aug, digits_ctx.X[res.indices] + res.extras["perturbation"][res.indices])
    pred_before = digits_ctx.model.predict(digits_ctx.X[res.indices])
    pred_after = digits_ctx.model.predict(aug)
    assert np.all(pred_after != pred_before)
    np.testing.assert_array_equal(pred_after, res.extras["adversarial_class"][res.indices])


def test_dfal_augment_reaches_the_session_training_set(digits):
    s = alviz.Session(digits, strategy=get("dfal", add_adversarial=True), model=alviz.models.MLP(steps=60),
                      initial=20, budget=5, seed=0)
    r0 = s.step()
    X_train, y_train = s._training_set()
    assert len(y_train) == 30  # 25 labeled + 5 adversarial copies
    np.testing.assert_allclose(X_train[-5:], r0.augment_inputs)
    assert "augment_inputs" not in r0.extras
    np.testing.assert_array_equal(y_train[-5:], digits.y[r0.selected])


def test_bim_strategy_respects_the_cap_and_subsample(digits_ctx):
    res = get("bim", max_iter=1, max_candidates=200).query(digits_ctx, 10, rng=0)
    cand = res.extras["candidates"]
    assert cand.size == 200 and not digits_ctx.labeled_mask[cand].any()
    it = res.extras["iterations"]
    assert it[cand].max() <= 1
    assert np.isnan(res.scores[np.setdiff1d(np.arange(digits_ctx.n_pool), cand)]).all()
    assert set(res.indices) <= set(cand)
    # a step of eps in every coordinate: ‖η‖ = eps·√64 for every candidate that moved
    moved = it[cand] == 1
    np.testing.assert_allclose(res.extras["perturbation_norm"][cand][moved], 0.05 * 8, rtol=1e-5)


def test_gradnorm_strategy_scores_are_the_core(digits_ctx):
    for label in ("predicted", "expected"):
        res = get("gradnorm", label=label).query(digits_ctx, 5, rng=0)
        g = P.input_gradient_norms(digits_ctx.model.logits, digits_ctx.X, label=label)
        np.testing.assert_allclose(res.extras["gradient_norm"], g)
        cand = digits_ctx.candidates
        np.testing.assert_array_equal(res.indices, cand[np.argsort(-g[cand], kind="stable")[:5]])


@pytest.mark.parametrize("name", ["dfal", "bim"])
def test_margin_prefilter_attacks_the_smallest_gap_samples_and_keeps_the_whole_pool_picks(name, digits_ctx):
    cand = digits_ctx.candidates
    p = np.sort(digits_ctx.proba[cand], axis=1)
    gap = p[:, -1] - p[:, -2]
    small = np.sort(cand[np.lexsort((cand, gap))[:300]])
    res = get(name, max_candidates=300).query(digits_ctx, 10, rng=0)
    np.testing.assert_array_equal(res.extras["candidates"], small)
    assert np.isnan(res.scores[np.setdiff1d(np.arange(digits_ctx.n_pool), small)]).all()
    assert np.isfinite(res.scores[small]).all()
    # the samples nearest the boundary are among the smallest gaps: the same picks as attacking every sample
    whole = get(name, max_candidates=None).query(digits_ctx, 10, rng=0)
    assert "candidates" not in whole.extras
    np.testing.assert_array_equal(res.indices, whole.indices)


def test_random_prefilter_is_a_seeded_uniform_subsample(digits_ctx):
    a = get("bim", max_iter=2, max_candidates=150, prefilter="random").query(digits_ctx, 5, rng=3)
    b = get("bim", max_iter=2, max_candidates=150, prefilter="random").query(digits_ctx, 5, rng=3)
    c = get("bim", max_iter=2, max_candidates=150).query(digits_ctx, 5, rng=3)
    np.testing.assert_array_equal(a.extras["candidates"], b.extras["candidates"])
    assert a.extras["candidates"].size == 150
    assert not np.array_equal(a.extras["candidates"], c.extras["candidates"])


@pytest.mark.parametrize("name,params,match", [
    ("dfal", {"max_iter": 0}, "max_iter"), ("dfal", {"overshoot": -1.0}, "overshoot"),
    ("dfal", {"add_adversarial": "yes"}, "add_adversarial"), ("dfal", {"max_candidates": 0}, "max_candidates"),
    ("dfal", {"prefilter": "entropy"}, "prefilter"), ("bim", {"prefilter": None}, "margin"),
    ("bim", {"eps": -0.1}, "eps"), ("gradnorm", {"label": "true"}, "predicted"),
])
def test_bad_parameters_say_what_to_do(name, params, match, digits_ctx):
    with pytest.raises(ValueError, match=match):
        get(name, **params).query(digits_ctx, 2, rng=0)


@pytest.mark.parametrize("name", ["dfal", "bim", "gradnorm"])
def test_sklearn_model_gets_a_type_error_naming_usable_strategies(name, moons):
    ctx = make_context(moons, n_labeled=20, seed=0, model=LogisticRegression(max_iter=200))
    with pytest.raises(TypeError, match="torch model.*margin"):
        get(name).query(ctx, 3, rng=0)


def test_attacks_work_inside_no_grad_and_leave_the_model_alone(digits, digits_mlp):
    X = digits.X[:20]
    params = list(digits_mlp.network_.parameters())
    before = [None if p.grad is None else p.grad.clone() for p in params]
    ref = P.deepfool(digits_mlp.logits, X)
    # input gradients only: the model's parameter gradients are left as they were
    for p, b in zip(params, before):
        assert (p.grad is None and b is None) or torch.equal(p.grad, b)
    with torch.no_grad():
        res = P.deepfool(digits_mlp.logits, X)
        g = P.input_gradient_norms(digits_mlp.logits, X)
    np.testing.assert_array_equal(res.r, ref.r)
    assert np.all(g > 0)


def test_cpu_chunks_stay_cache_sized_and_give_the_same_gradients():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                              torch.nn.Linear(4 * 28 * 28, 10)).eval()
    seen = []

    def fn(x):
        seen.append(x.shape[0])
        return net(x)

    X = torch.randn(1500, 1, 28, 28)
    g = P.input_gradient_norms(fn, X)
    assert max(seen) == 2**20 // 784 and len(seen) == 2  # 1 337-image gradient passes on the CPU
    np.testing.assert_allclose(g, P.input_gradient_norms(net, X, batch_size=1500), rtol=1e-5)
    seen.clear()
    P.deepfool(fn, X[:200], max_iter=1)
    assert max(seen[1:]) == 2**20 // (10 * 784)  # a Jacobian of 10 classes: 133 samples a pass


def test_deepfool_checking_the_flip_first_gives_the_plain_loop_results(digits, digits_mlp):
    X = torch.as_tensor(digits.X[:300], dtype=torch.float32)
    calls = {"plain": 0, "checked": 0}

    def counting(tag):
        def step(fn, xa, k0):
            calls[tag] += xa.shape[0]
            return P.deepfool_step(fn, xa, k0)
        return step

    plain = P._attack(digits_mlp.logits, X, counting("plain"), 50, scale=1.02, n_classes_per_pass=10)
    checked = P._attack(digits_mlp.logits, X, counting("checked"), 50, scale=1.02, n_classes_per_pass=10,
                        check_first=True)
    for f in ("adversarial_class", "iterations", "flipped", "original_class", "stuck"):
        np.testing.assert_array_equal(getattr(checked, f), getattr(plain, f))
    np.testing.assert_allclose(checked.r, plain.r, atol=1e-5)
    assert plain.flipped.all() and plain.iterations.min() >= 1
    # no Jacobian at a point that has already flipped: one fewer step per flipped sample
    assert calls["checked"] == calls["plain"] - int(plain.flipped.sum())


@pytest.mark.parametrize("model", [alviz.models.MLP(hidden=(32,), steps=60, random_state=0),
                                   alviz.models.CNN(steps=20, random_state=0)], ids=["mlp", "cnn"])
def test_gradnorm_shares_its_forward_pass_with_the_rounds_record(digits, model, monkeypatch):
    """gradnorm's gradient pass runs the model over the whole pool once: the round's probabilities and
    embedding come from it (the same numbers a separate pass gives), and no second pass runs."""
    ds = digits if model.__class__.__name__ == "MLP" else alviz.datasets.from_arrays(
        digits.X.reshape(-1, 1, 8, 8), digits.y, digits.X_test.reshape(-1, 1, 8, 8), digits.y_test, name="digits-img")
    s = alviz.Session(ds, "gradnorm", model=model, initial=20, budget=5, seed=0)
    passes = []
    real = type(model).proba_and_embed
    monkeypatch.setattr(type(model), "proba_and_embed", lambda self, X: passes.append(len(X)) or real(self, X))
    rnd = s.step()
    assert passes == []  # the round's record came from gradnorm's own pass
    p, h = real(s.model, ds.X)
    np.testing.assert_allclose(rnd.proba, p, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rnd.embedding, h, rtol=1e-4, atol=1e-5)
    g = P.input_gradient_norms(s.model.logits, ds.X.astype(np.float32))
    np.testing.assert_allclose(rnd.extras["gradient_norm"], g, rtol=1e-5, atol=1e-7)


def test_a_record_of_part_of_the_pool_or_of_another_model_is_not_shared(digits, digits_mlp):
    ctx = make_context(digits, model=digits_mlp)
    rec = ctx.model.recording_logits()
    rec(torch.as_tensor(digits.X[:10], dtype=torch.float32))
    assert rec.n_seen == 10 and not ctx.share_forward_pass(rec)
    other = digits_mlp.recording_logits()  # a whole-pool pass of another model
    P.input_gradient_norms(other, digits.X.astype(np.float32))
    assert not ctx.share_forward_pass(other)
    full = ctx.model.recording_logits()
    P.input_gradient_norms(full, digits.X.astype(np.float32))
    assert ctx.share_forward_pass(full)
    np.testing.assert_allclose(ctx.proba, ctx.model.predict_proba(digits.X), rtol=1e-5, atol=1e-6)
    assert not ctx.share_forward_pass(full)  # computed already: kept as it is
