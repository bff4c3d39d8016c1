"""alviz.plot.picks_gallery: the images a round picked, with rank, class and the model's guess."""
import numpy as np
import pytest

import alviz


@pytest.fixture(scope="module")
def session(digits):
    s = alviz.Session(digits, strategy="margin", initial=20, budget=12, seed=0)
    s.run(2)
    return s


def test_gallery_shows_the_picks_in_order_with_rank_and_class(session, digits):
    fig = alviz.plot.picks_gallery(session, r=-1, cols=5)
    rnd = session.rounds[-1]
    (heat,) = fig.data
    assert heat.type == "heatmap" and heat.name == "picks"
    z = np.asarray(heat.z, dtype=float)
    # 12 picks in rows of 5: 3 rows of tiles, each a label band of 4 px over the 8x8 image, 10 px wide
    assert z.shape == (3 * 12, 5 * 10)
    for k, i in enumerate(rnd.selected):  # tile k is the image of the k-th pick
        row, col = divmod(k, 5)
        np.testing.assert_allclose(z[row * 12 + 4:row * 12 + 12, col * 10:col * 10 + 8], digits.images[i])
        assert np.isnan(z[row * 12:row * 12 + 4, col * 10:col * 10 + 8]).all()
    texts = [a.text for a in fig.layout.annotations]
    assert len(texts) == 12
    pred = rnd.proba[rnd.selected].argmax(axis=1)
    for k, (t, i) in enumerate(zip(texts, rnd.selected)):
        assert t.startswith(f"#{k + 1} · {digits.class_names[digits.y[i]]}")
        assert f"model: {digits.class_names[pred[k]]}" in t
    assert list(fig.layout.meta["indices"]) == rnd.selected.tolist()


def test_gallery_limits_and_round_choice(session):
    fig = alviz.plot.picks_gallery(session, r=0, max_picks=4)
    assert len(fig.layout.annotations) == 4
    assert list(fig.layout.meta["indices"]) == session.rounds[0].selected[:4].tolist()


def test_gallery_on_mnist_tiles_are_28x28(tmp_path):
    ds = alviz.datasets.load_mnist(seed=0)
    s = alviz.Session(ds, strategy="random", initial=20, budget=3, seed=0,
                      model=alviz.models.CNN(steps=5))
    s.step()
    z = np.asarray(alviz.plot.picks_gallery(s).data[0].z, dtype=float)
    assert z.shape == (14 + 28, 3 * 35)  # a label band of half an image over each 28x28 image


def test_gallery_errors_say_what_to_do(session, moons):
    with pytest.raises(ValueError, match="rounds 0..1"):
        alviz.plot.picks_gallery(session, r=5)
    s = alviz.Session(moons, strategy="random", initial=10, budget=2, seed=0)
    with pytest.raises(ValueError, match="no rounds yet"):
        alviz.plot.picks_gallery(s)
    s.step()
    with pytest.raises(ValueError, match="no images to show"):
        alviz.plot.picks_gallery(s)


# --- perturbation_grid: x, the perturbation r, x + r ---------------------------------------------

@pytest.fixture(scope="module")
def dfal_session(digits):
    s = alviz.Session(digits, strategy="dfal", initial=20, budget=6, seed=0)
    s.step()
    return s


def _by_name(fig, name):
    return [t for t in fig.data if t.name == name]


def test_perturbation_grid_draws_x_r_and_x_plus_r_for_each_pick(dfal_session, digits):
    rnd = dfal_session.rounds[-1]
    fig = alviz.plot.perturbation_grid(dfal_session, max_picks=3)
    assert all(t.type == "heatmap" for t in fig.data) and len(fig.data) == 9
    xs, rs, xrs = _by_name(fig, "x"), _by_name(fig, "r"), _by_name(fig, "x + r")
    assert len(xs) == len(rs) == len(xrs) == 3
    picks = rnd.selected[:3]
    assert list(fig.layout.meta["indices"]) == picks.tolist()
    pert = rnd.extras["perturbation"]
    for k, i in enumerate(picks):  # the 64-vectors are drawn as the 8x8 images they are
        x, r = np.asarray(xs[k].z, dtype=float), np.asarray(rs[k].z, dtype=float)
        assert x.shape == r.shape == (8, 8)
        np.testing.assert_allclose(x, digits.images[i], atol=1e-6)
        np.testing.assert_allclose(r, pert[i].reshape(8, 8), atol=1e-6)
        np.testing.assert_allclose(np.asarray(xrs[k].z, dtype=float), x + r, atol=1e-6)
    # r on one diverging scale centred at 0, shared by the picks, as large as the largest |r| shown
    r_max = max(np.abs(pert[i]).max() for i in picks)
    assert fig.layout.meta["r_max"] == pytest.approx(r_max, rel=1e-5)
    for t in rs:
        assert t.zmin == pytest.approx(-r_max, rel=1e-5) and t.zmax == pytest.approx(r_max, rel=1e-5)
        assert t.zmid == 0
        colors = [c for _, c in t.colorscale]
        assert colors[0] != colors[-1]  # two different ends: diverging, not one-sided
    assert sum(bool(t.showscale) for t in rs) == 1  # one colour bar, for r
    for t in xs + xrs:
        assert (t.zmin, t.zmax) == (0.0, 1.0)


def test_perturbation_grid_titles_say_the_attack_and_the_classes_before_and_after(dfal_session, digits):
    rnd = dfal_session.rounds[-1]
    fig = alviz.plot.perturbation_grid(dfal_session, max_picks=2)
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == 6
    names, picks = digits.class_names, rnd.selected[:2]
    pred = rnd.proba[picks].argmax(axis=1)
    adv = rnd.extras["adversarial_class"][picks]
    for k, i in enumerate(picks):
        assert titles[k] == f"x · #{k + 1} (a {names[digits.y[i]]}) · model: {names[pred[k]]}"
        assert titles[2 + k].startswith("r (DeepFool) · ‖r‖ = ")
        assert titles[4 + k] == f"x + r · model: {names[adv[k]]}"
        assert adv[k] != pred[k]  # the attack flipped the prediction
    assert "DeepFool" in fig.layout.title.text


def test_perturbation_grid_reads_the_image_shape_of_mnist_tensors():
    ds = alviz.datasets.load_mnist(seed=0, test_size=0.9)  # a pool of 500 real digits
    s = alviz.Session(ds, strategy="bim", initial=20, budget=2, seed=0, model=alviz.models.MLP(steps=30))
    s.step()
    fig = alviz.plot.perturbation_grid(s)
    assert len(fig.data) == 3 * 2
    for t in fig.data:
        assert np.asarray(t.z, dtype=float).shape == (28, 28)
    i = s.rounds[-1].selected[0]
    np.testing.assert_allclose(np.asarray(_by_name(fig, "x")[0].z, dtype=float), ds.X[i, 0], atol=1e-6)
    assert [a.text for a in fig.layout.annotations][2].startswith("r (BIM)")


def test_perturbation_grid_errors_say_what_to_do(session, moons):
    with pytest.raises(ValueError, match="holds no perturbation.*'dfal' or 'bim'"):
        alviz.plot.perturbation_grid(session)  # a margin round
    s = alviz.Session(moons, strategy="dfal", initial=10, budget=2, seed=0)
    s.step()
    with pytest.raises(ValueError, match="no images.*arrows"):
        alviz.plot.perturbation_grid(s)
    with pytest.raises(ValueError, match="max_picks=0"):
        alviz.plot.perturbation_grid(s, max_picks=0)
