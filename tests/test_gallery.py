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
    # 12 picks in rows of 5: 3 rows of tiles, each a label band of 7 px over the 8x8 image, 10 px wide
    assert z.shape == (3 * 15, 5 * 10)
    for k, i in enumerate(rnd.selected):  # tile k is the image of the k-th pick
        row, col = divmod(k, 5)
        np.testing.assert_allclose(z[row * 15 + 7:row * 15 + 15, col * 10:col * 10 + 8], digits.images[i])
        assert np.isnan(z[row * 15:row * 15 + 7, col * 10:col * 10 + 8]).all()
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
    assert z.shape == (25 + 28, 3 * 35)


def test_gallery_errors_say_what_to_do(session, moons):
    with pytest.raises(ValueError, match="rounds 0..1"):
        alviz.plot.picks_gallery(session, r=5)
    s = alviz.Session(moons, strategy="random", initial=10, budget=2, seed=0)
    with pytest.raises(ValueError, match="no rounds yet"):
        alviz.plot.picks_gallery(s)
    s.step()
    with pytest.raises(ValueError, match="no images to show"):
        alviz.plot.picks_gallery(s)
