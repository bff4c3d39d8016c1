"""VAAL's figures in alviz.plot: the discriminator's histogram and the training curves."""
import numpy as np
import pytest

import alviz
from alviz import plot


@pytest.fixture(scope="module")
def vaal_session():
    ds = alviz.datasets.make_toy("blobs", n=200, seed=0)
    s = alviz.Session(ds, strategy=alviz.strategies.get("vaal", steps=40, progress=False), initial=20, budget=5,
                      seed=0, field_resolution=None)
    s.run(1)
    return s


def test_discriminator_histogram_splits_labeled_and_unlabeled(vaal_session):
    rnd = vaal_session.rounds[-1]
    D = rnd.extras["discriminator_p_labeled"]
    fig = plot.discriminator_histogram(vaal_session)
    by = {t.name: t for t in fig.data}
    assert set(by) == {"unlabeled", "labeled", "picks"}
    lab = np.zeros(len(D), dtype=bool)
    lab[rnd.labeled] = True
    np.testing.assert_allclose(np.asarray(by["labeled"].x), D[lab])
    np.testing.assert_allclose(np.asarray(by["unlabeled"].x), D[~lab])
    np.testing.assert_allclose(np.asarray(by["picks"].x), D[rnd.selected])
    assert list(by["picks"].customdata) == list(rnd.selected)
    assert fig.layout.barmode == "overlay" and "P(labeled)" in fig.layout.xaxis.title.text


def test_vaal_training_draws_both_losses_and_the_know_nothing_level(vaal_session):
    rnd = vaal_session.rounds[-1]
    fig = plot.vaal_training(vaal_session)
    by = {t.name: t for t in fig.data}
    np.testing.assert_allclose(np.asarray(by["VAE"].y), rnd.extras["vae_loss"])
    np.testing.assert_allclose(np.asarray(by["discriminator"].y), rnd.extras["discriminator_loss"])
    assert any(abs(sh.y0 - 2 * np.log(2)) < 1e-12 for sh in fig.layout.shapes)


def test_vaal_figures_refuse_another_strategy_s_round():
    ds = alviz.datasets.make_toy("moons", n=100, seed=0)
    s = alviz.Session(ds, strategy="margin", initial=10, budget=5, seed=0, field_resolution=None)
    s.run(1)
    with pytest.raises(ValueError, match="needs a VAAL round"):
        plot.discriminator_histogram(s)
    with pytest.raises(ValueError, match="needs a VAAL round"):
        plot.vaal_training(s)
