"""VAAL: the query rule (pure), the networks, the adversarial training, the strategy."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

import alviz
from alviz import encoders
from alviz.encoders import ConvVAE, Discriminator, MLPVAE, make_vae, train_vaal, vae_loss_terms
from alviz.strategies import QueryContext, get
from alviz.strategies import vaal as vaal_module
from alviz.strategies.vaal import vaal_scores


# ---------------------------------------------------------------- the rule, by hand
def test_vaal_scores_by_hand():
    p = np.array([0.1, 0.5, 0.9, 0.3])
    np.testing.assert_allclose(vaal_scores(p, "lowest"), [0.9, 0.5, 0.1, 0.7])
    np.testing.assert_allclose(vaal_scores(p, "confusion"), [-0.4, 0.0, -0.4, -0.2])
    with pytest.raises(ValueError, match="criterion"):
        vaal_scores(p, "highest")
    with pytest.raises(ValueError, match="probabilities"):
        vaal_scores(np.array([0.2, 1.5]))


class _FixedFit:
    """A stand-in for a trained VAAL: μ = the first two inputs, D(μ) = a fixed function of μ."""

    def __init__(self, p):
        self.p = np.asarray(p, dtype=np.float64)
        self.vae_loss = np.array([3.0, 2.0])
        self.discriminator_loss = np.array([1.4, 1.3])

    def encode(self, X):
        return np.asarray(X, dtype=np.float32)[:, :2]

    def p_labeled(self, mu):
        assert mu.shape == (len(self.p), 2)
        return self.p


def _ctx(X, labeled):
    mask = np.zeros(len(X), dtype=bool)
    mask[labeled] = True
    return QueryContext(X, mask, np.where(mask, 0, -1), 2, model=None)


def test_query_picks_lowest_d_and_confusion_closest_to_half(monkeypatch):
    """Given a fixed discriminator the query is exactly the rule: lowest D(μ) among the unlabeled
    (never the descending sort of the popular port), or D(μ) closest to 0.5."""
    p = np.array([0.01, 0.05, 0.9, 0.2, 0.55, 0.48, 0.7, 0.35, 0.97, 0.1])
    monkeypatch.setattr(vaal_module, "train_vaal", lambda *a, **k: _FixedFit(p))
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    ctx = _ctx(X, labeled=[0, 2])  # the lowest D overall (index 0) is labeled: it must not be picked
    res = get("vaal", progress=False).query(ctx, 3, rng=0)
    assert res.indices.tolist() == [1, 9, 3]  # D = 0.05, 0.1, 0.2
    assert np.isnan(res.scores[[0, 2]]).all()
    np.testing.assert_allclose(res.scores[1], 0.95)
    np.testing.assert_array_equal(res.extras["discriminator_p_labeled"], p)
    assert res.extras["criterion"] == "lowest"
    conf = get("vaal", criterion="confusion", progress=False).query(ctx, 3, rng=0)
    assert conf.indices.tolist() == [5, 4, 7]  # |D - 0.5| = 0.02, 0.05, 0.15
    assert conf.extras["criterion"] == "confusion"


def test_vaal_needs_a_labeled_sample_and_valid_params(moons):
    ctx = _ctx(moons.X, labeled=[])
    with pytest.raises(ValueError, match="label"):
        get("vaal").query(ctx, 3, rng=0)
    ctx = _ctx(moons.X, labeled=[0, 1])
    for bad in (dict(criterion="most"), dict(steps=0), dict(latent_dim=0), dict(lr=-1.0), dict(beta=float("nan"))):
        with pytest.raises(ValueError):
            get("vaal", **bad).query(ctx, 3, rng=0)


# ---------------------------------------------------------------- networks and losses
@pytest.mark.parametrize("shape, kind", [((64,), MLPVAE), ((2,), MLPVAE), ((8, 8), MLPVAE), ((1, 2, 2), MLPVAE),
                                         ((1, 8, 8), ConvVAE), ((1, 7, 7), ConvVAE), ((1, 28, 28), ConvVAE),
                                         ((3, 32, 32), ConvVAE)])
def test_make_vae_round_trips_shapes(shape, kind):
    vae = make_vae(shape, latent_dim=5)
    assert isinstance(vae, kind)
    x = torch.rand((4,) + shape)
    recon, mu, logvar = vae(x)
    assert recon.shape == x.shape and mu.shape == (4, 5) and logvar.shape == (4, 5)
    assert Discriminator(5)(mu).shape == (4,)


def test_vae_loss_terms_by_hand():
    x = torch.zeros(2, 3)
    recon = torch.ones(2, 3)
    mu, logvar = torch.zeros(2, 4), torch.zeros(2, 4)
    rec, kl = vae_loss_terms(x, recon, mu, logvar)
    assert float(rec) == pytest.approx(3.0)  # per-sample sum of squares, batch mean
    assert float(kl) == pytest.approx(0.0)  # N(0, I) against N(0, I)
    _, kl = vae_loss_terms(x, recon, torch.ones(2, 4), logvar)
    assert float(kl) == pytest.approx(0.5 * 4)  # KL(N(1, 1) || N(0, 1)) = 1/2 per dimension


# ---------------------------------------------------------------- training
@pytest.fixture(scope="module")
def region(digits):
    """Labeled samples from one region of the pool: half of the 0s and 1s, nothing else."""
    rng = np.random.default_rng(0)
    return np.isin(digits.y, [0, 1]) & (rng.random(len(digits.y)) < 0.5)


@pytest.fixture(scope="module")
def fits(digits, region):
    """VAAL trained on the region case with the paper's settings, and with the adversary switched off."""
    return {"paper": train_vaal(digits.X, region, rng=0, steps=150),
            "no_adversary": train_vaal(digits.X, region, rng=0, steps=150, adversary_weight=0.0)}


def _region_auc(fit, digits, region):
    p = fit.p_labeled(fit.encode(digits.X))
    u = ~region
    return roc_auc_score(np.isin(digits.y[u], [0, 1]), p[u]), p


def test_discriminator_learns_the_labeled_region(fits, digits, region):
    """D(μ) is high on *unlabeled* 0s and 1s too: it learned the region, not the samples (targets 1 for
    labeled, 0 for unlabeled; the trap of target 1 for both would leave it at chance)."""
    auc, p = _region_auc(fits["no_adversary"], digits, region)
    assert auc > 0.9
    assert p[region].mean() > p[~region].mean()


def test_the_adversary_makes_everything_look_labeled(fits, digits, region):
    """With the paper's adversarial term the VAE hides labeled-ness: D's loss stays near 2·ln 2 (the
    "D stuck at 0.5" of issue threads) where without it D wins, yet D stays better than chance."""
    paper, free = fits["paper"], fits["no_adversary"]
    assert paper.discriminator_loss[-20:].mean() > free.discriminator_loss[-20:].mean() + 0.2
    auc, _ = _region_auc(paper, digits, region)
    assert auc > 0.55
    for fit in (paper, free):
        assert fit.vae_loss.shape == fit.discriminator_loss.shape == (150,)
        assert np.isfinite(fit.vae_loss).all() and np.isfinite(fit.discriminator_loss).all()
        assert fit.vae_loss[-10:].mean() < fit.vae_loss[:10].mean()  # the VAE learned to reconstruct


def test_lowest_picks_avoid_the_labeled_region(fits, digits, region, monkeypatch):
    monkeypatch.setattr(vaal_module, "train_vaal", lambda *a, **k: fits["no_adversary"])
    ctx = QueryContext(digits.X, region, np.where(region, digits.y, -1), 10, model=None)
    res = get("vaal", progress=False).query(ctx, 30, rng=0)
    in_region = np.isin(digits.y[res.indices], [0, 1]).mean()
    base = np.isin(digits.y[~region], [0, 1]).mean()
    assert in_region < 0.5 * base  # VAAL looks away from what is labeled
    assert res.extras["representation"].shape == (len(digits.X), 32)  # μ, the one copy of VAAL's latent
    assert "mu" not in res.extras and res.extras["representation_name"] == "VAE latent μ"
    conf = get("vaal", criterion="confusion", progress=False).query(ctx, 30, rng=0)
    p = res.extras["discriminator_p_labeled"]
    # confusion: the 30 unlabeled samples with D(μ) closest to 0.5
    assert np.abs(p[conf.indices] - 0.5).max() == pytest.approx(np.sort(np.abs(p[~region] - 0.5))[29])


def test_training_is_seeded_quiet_and_leaves_torch_alone(capfd):
    X = np.random.default_rng(0).normal(size=(80, 6)).astype(np.float32)
    mask = np.zeros(80, dtype=bool)
    mask[:10] = True
    threads = torch.get_num_threads()
    state = torch.random.get_rng_state()
    a = train_vaal(X, mask, rng=3, steps=6, progress=False)
    b = train_vaal(X, mask, rng=3, steps=6, progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # progress=False prints nothing
    np.testing.assert_array_equal(a.vae_loss, b.vae_loss)
    np.testing.assert_array_equal(a.encode(X), b.encode(X))
    assert torch.get_num_threads() == threads
    assert torch.equal(torch.random.get_rng_state(), state)
    train_vaal(X, mask, rng=3, steps=3, progress=True)
    assert "VAAL" in capfd.readouterr().err  # the bar shows when asked


def test_train_vaal_input_errors():
    X = np.zeros((10, 3), dtype=np.float32)
    with pytest.raises(ValueError, match="labeled"):
        train_vaal(X, np.ones(10, dtype=bool), rng=0, steps=1)
    with pytest.raises(ValueError, match="NaN"):
        bad = X.copy()
        bad[0, 0] = np.nan
        train_vaal(bad, np.arange(10) < 3, rng=0, steps=1)
    with pytest.raises(ValueError, match="vae_steps"):
        train_vaal(X, np.arange(10) < 3, rng=0, steps=1, vae_steps=0)


def test_default_steps_scale_with_pool_and_are_capped():
    assert encoders.auto_steps(300, 64, 8, 40, 400) == 40
    assert encoders.auto_steps(1347, 64, 8, 40, 400) == 22 * 8
    assert encoders.auto_steps(50_000, 64, 8, 40, 400) == 400


def test_vaal_on_image_tensors_uses_a_conv_vae(digits, monkeypatch):
    """Image tensors (n, 1, 8, 8) go through the conv VAE; the strategy needs no task model."""
    X = digits.X[:100].reshape(-1, 1, 8, 8)
    seen = {}
    real = alviz.vaal_networks.make_vae

    def spy(shape, latent_dim):
        seen["vae"] = real(shape, latent_dim)
        return seen["vae"]

    monkeypatch.setattr(alviz.vaal_networks, "make_vae", spy)
    ctx = _ctx(X, labeled=np.arange(20))
    res = get("vaal", steps=3, latent_dim=8, progress=False).query(ctx, 5, rng=0)
    assert isinstance(seen["vae"], ConvVAE)
    assert res.extras["representation"].shape == (100, 8)
    assert res.extras["discriminator_p_labeled"].shape == (100,)
    assert res.extras["vae_loss"].shape == (3,)


def test_vaal_in_a_session_is_task_agnostic(moons):
    from sklearn.linear_model import LogisticRegression

    sess = alviz.Session(moons, strategy=get("vaal", steps=20, progress=False),
                         model=LogisticRegression(max_iter=200), initial=10, budget=5, seed=0)
    rnd = sess.step()
    assert len(rnd.selected) == 5 and not set(rnd.selected) & set(rnd.labeled)
    assert rnd.extras["discriminator_p_labeled"].shape == (len(moons.X),)


def test_pool_encoding_runs_in_cache_sized_cpu_batches():
    from alviz.encoders import _batched_apply

    seen = []

    def fn(x):
        seen.append(x.shape[0])
        return x.reshape(len(x), -1).sum(dim=1, keepdim=True)

    X = np.random.default_rng(0).normal(size=(600, 1, 28, 28)).astype(np.float32)
    out = _batched_apply(fn, X)
    assert seen == [334, 266]  # about 2**18 input values (334 MNIST images) per batch on the CPU
    np.testing.assert_allclose(out, _batched_apply(fn, X, batch=2048), rtol=1e-6)
    seen.clear()
    _batched_apply(fn, X[:, 0, :8, :8].reshape(600, 64))  # small vectors: one batch of up to 4 096
    assert seen == [600]
