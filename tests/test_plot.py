"""Figure tests: assert what is in the figure (points, colours, sizes, arrows, slider steps)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import plotly.graph_objects as go
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz import plot
from alviz.plot._style import NAN_COLOR, value_coloring
from alviz.session import Round, place_round


# ----------------------------------------------------------------------------- hand-built rounds
def hand_round(ds, labeled, selected, scores=None, extras=None, proba=None, index=0, strategy="hand"):
    n = len(ds.X)
    labeled = np.asarray(labeled, dtype=np.int64)
    selected = np.asarray(selected, dtype=np.int64)
    if scores is None:
        scores = np.linspace(0.0, 1.0, n)
    scores = np.asarray(scores, dtype=np.float64).copy()
    scores[labeled] = np.nan
    return Round(index=index, labeled=labeled, selected=selected, scores=scores, extras=dict(extras or {}),
                 metrics={"accuracy": 0.5, "n_labeled": len(labeled)}, proba=proba, strategy=strategy)


def fake_session(ds, *rounds):
    return SimpleNamespace(dataset=ds, rounds=list(rounds), strategy=SimpleNamespace(name="hand"))


def drawn(fig) -> list:
    """Names of the traces that draw something (not the legend-only class entries)."""
    return [t.name for t in fig.data if not plot.is_legend_entry(t)]


def by_name(fig, name):
    found = [t for t in fig.data if t.name == name and not plot.is_legend_entry(t)]
    assert len(found) == 1, f"expected one trace {name!r}, got {[t.name for t in fig.data]}"
    return found[0]


LAB = np.arange(10)
SEL = np.array([50, 20, 70])


@pytest.fixture(scope="module")
def moons_round(moons):
    proba = np.tile([0.3, 0.7], (len(moons.X), 1))
    return hand_round(moons, LAB, SEL, proba=proba)


# ----------------------------------------------------------------------------- the round view
def test_round_view_has_the_right_points_in_each_trace(moons, moons_round):
    fig = plot.round(fake_session(moons, moons_round), moons.X)
    assert drawn(fig) == ["unlabeled", "labeled", "selected"]
    sel = by_name(fig, "selected")
    # this round's picks, in pick order, at their coordinates, with their 1-based rank as text
    assert list(sel.customdata) == [50, 20, 70]
    assert np.allclose(sel.x, moons.X[SEL, 0]) and np.allclose(sel.y, moons.X[SEL, 1])
    assert list(sel.text) == ["1", "2", "3"]
    assert sel.marker.size > by_name(fig, "labeled").marker.size > by_name(fig, "unlabeled").marker.size
    assert sel.marker.line.width >= 2  # ringed
    lab = by_name(fig, "labeled")
    assert list(lab.customdata) == list(LAB)
    assert np.array_equal(lab.marker.color, moons.y[LAB])  # coloured by class code
    unl = by_name(fig, "unlabeled")
    expected = np.setdiff1d(np.arange(len(moons.X)), np.concatenate([LAB, SEL]))
    assert np.array_equal(np.sort(unl.customdata), expected)
    # hover: index, true label, prediction, score
    h = sel.hovertext[0]
    assert "#50" in h and f"class {moons.y[50]}" in h and "predicted 1" in h and "score" in h and "pick 1" in h
    # the input space is the picture for 2-D toy data: equal aspect
    assert fig.layout.yaxis.scaleanchor == "x"


def test_color_by_score_takes_colors_from_the_scores(moons, moons_round):
    fig = plot.round(fake_session(moons, moons_round), moons.X, color_by="score")
    unl = by_name(fig, "unlabeled")
    assert np.allclose(unl.marker.color, moons_round.scores[unl.customdata])
    sel = by_name(fig, "selected")
    assert np.allclose(sel.marker.color, moons_round.scores[SEL])
    assert sum(bool(getattr(t.marker, "showscale", False)) for t in fig.data) == 1  # one colorbar


def test_unscored_candidates_are_grey_and_the_best_gets_the_top_color(moons):
    n = len(moons.X)
    scores = np.full(n, np.nan)
    scored = np.arange(100, 160)
    scores[scored] = np.arange(60, dtype=float)
    rnd = hand_round(moons, LAB, [159, 158], scores=scores)
    fig = plot.round(fake_session(moons, rnd), moons.X, color_by="score")
    unl = by_name(fig, "unlabeled")
    colors = dict(zip(unl.customdata, unl.marker.color))
    assert colors[0 + 200] == NAN_COLOR  # not scored
    top = value_coloring(scores, "score").css([157])[0]
    assert colors[157] == top and colors[100] != top


def test_color_options_and_color_by_a_diagnostic(moons):
    n = len(moons.X)
    extras = {"cluster": np.arange(n) % 4, "typicality": np.linspace(0, 1, n), "pick_distance": np.ones(3),
              "member_votes": np.zeros((n, 5), dtype=int), "candidates": np.arange(3)}
    rnd = hand_round(moons, LAB, SEL, extras=extras, proba=np.tile([0.5, 0.5], (n, 1)))
    opts = plot.color_options(rnd)
    assert opts[:3] == ["class", "score", "predicted"]
    assert "cluster" in opts and "typicality" in opts
    assert "pick_distance" not in opts and "member_votes" not in opts and "candidates" not in opts
    fig = plot.round(fake_session(moons, rnd), moons.X, color_by="cluster", overlay=False)
    unl = by_name(fig, "unlabeled")
    # categorical: codes 0..3 by cluster
    assert np.array_equal(unl.marker.color, extras["cluster"][unl.customdata])
    with pytest.raises(ValueError, match="color_by='nope'.*choose one of"):
        plot.round(fake_session(moons, rnd), moons.X, color_by="nope")


def test_colours_and_pick_hover_follow_the_declared_kinds_not_the_length():
    """With k == n_pool a per-pick diagnostic has the pool's length: the declaration, not the length, says
    it is not a colour; a per-pool one is not shown per pick; an undeclared array is neither."""
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    y = np.array([0, 1, 0, 1])
    ds = alviz.datasets.Dataset(X, y, X, y, ["a", "b"], name="four")
    n = len(X)
    extras = {"pick_distance": np.array([9.5, 8.5, 7.5, 6.5]), "typicality": np.array([0.25, 0.5, 0.75, 1.0]),
              "candidates": np.arange(n), "not_declared": np.ones(n)}
    rnd = hand_round(ds, [], np.arange(n), extras=extras)
    opts = plot.color_options(rnd)
    assert "typicality" in opts
    assert "pick_distance" not in opts and "candidates" not in opts and "not_declared" not in opts
    fig = plot.round(fake_session(ds, rnd), X, overlay=False)
    hover = by_name(fig, "selected").hovertext
    assert "pick_distance 9.5" in hover[0] and "pick_distance 6.5" in hover[3]
    assert not any("typicality" in h or "not_declared" in h for h in hover)


def test_round_rejects_bad_round_and_coords(moons, moons_round):
    s = fake_session(moons, moons_round)
    with pytest.raises(ValueError, match="has 1 round"):
        plot.round(s, moons.X, r=3)
    with pytest.raises(ValueError, match=r"one 2-D point per pool sample"):
        plot.round(s, moons.X[:10])
    with pytest.raises(ValueError, match="no rounds yet"):
        plot.round(fake_session(moons), moons.X)


# ----------------------------------------------------------------------------- overlays
def test_gradient_norm_sizes_grow_with_the_norm_and_pick_order_path(moons):
    n = len(moons.X)
    g = np.linspace(0.1, 5.0, n)
    order = SEL  # the picks are in draw order: the path follows them
    rnd = hand_round(moons, LAB, SEL, extras={"gradient_norm": g, "seed_distance": np.array([0.0, 2.0, 1.0])},
                     strategy="whatever")
    fig = plot.round(fake_session(moons, rnd), moons.X)
    rings = by_name(fig, "overlay: gradient norm")
    idx = np.asarray(rings.customdata)
    assert set(SEL) <= set(idx) and not set(LAB) & set(idx)
    sizes = np.asarray(rings.marker.size)
    assert np.all(np.diff(sizes[np.argsort(g[idx])]) >= 0)  # sizes follow the gradient norm
    assert np.allclose(sizes, plot.ring_sizes(g)[idx])
    path = by_name(fig, "overlay: pick order")
    assert list(path.customdata) == [50, 20, 70]
    assert np.allclose(path.x, moons.X[order, 0]) and np.allclose(path.y, moons.X[order, 1])
    assert "D at draw time 2" in path.hovertext[1]


def test_adversarial_arrows_start_at_the_picks_and_end_at_x_plus_r(moons):
    n = len(moons.X)
    r = np.full((n, 2), np.nan, dtype=np.float32)
    r[SEL] = [[0.5, 0.0], [0.0, -0.25], [0.1, 0.1]]
    extras = {"perturbation": r, "adversarial_class": np.where(np.isnan(r[:, 0]), -1, 1),
              "flipped": ~np.isnan(r[:, 0]), "iterations": np.ones(n, dtype=int)}
    rnd = hand_round(moons, LAB, SEL, extras=extras)
    fig = plot.round(fake_session(moons, rnd), moons.X)
    assert not [t for t in fig.data if t.name == "overlay: adversarial arrows"]  # nothing placed: no arrows
    assert any("session.place_inputs(coords)" in a.text for a in fig.layout.annotations)
    rnd.placed[alviz.projection.picture_key(moons.X)] = place_round(moons, rnd, moons.X)
    fig = plot.round(fake_session(moons, rnd), moons.X)
    arrows = by_name(fig, "overlay: adversarial arrows")
    xs = np.array([np.nan if v is None else v for v in arrows.x]).reshape(-1, 3)
    ys = np.array([np.nan if v is None else v for v in arrows.y]).reshape(-1, 3)
    assert np.allclose(xs[:, 0], moons.X[SEL, 0]) and np.allclose(ys[:, 0], moons.X[SEL, 1])  # start at x
    end = moons.X[SEL] + r[SEL]
    assert np.allclose(xs[:, 1], end[:, 0], atol=1e-6) and np.allclose(ys[:, 1], end[:, 1], atol=1e-6)
    assert list(arrows.marker.symbol[:3]) == ["circle", "arrow", "circle"]
    assert "flipped" in arrows.hovertext[1]
    # drawn above the picks so the heads show
    assert drawn(fig)[-1] == "overlay: adversarial arrows"


def test_arrows_need_a_picture_of_the_inputs(moons):
    n = len(moons.X)
    r = np.zeros((n, 2), dtype=np.float32)
    rnd = hand_round(moons, LAB, SEL, extras={"perturbation": r})
    other = np.random.default_rng(0).normal(size=(n, 2))  # e.g. a model-space picture
    with pytest.raises(ValueError, match="not a projection of the dataset's inputs"):
        place_round(moons, rnd, other)
    fig = plot.round(fake_session(moons, rnd), other)
    assert not [t for t in fig.data if t.name == "overlay: adversarial arrows"]
    assert any("reference view" in a.text and "place_inputs" in a.text for a in fig.layout.annotations)


def test_the_arrows_are_the_rounds_the_picture_places_nothing(moons, monkeypatch):
    """The overlays draw what the Round carries (``rnd.placed``): with place_inputs broken, a stepped 2-D
    session still draws DeepFool's and ALFA-Mix's arrows, placed while the round ran."""
    model = alviz.models.MLP(hidden=(16,), steps=40)
    runs = {name: alviz.Session(moons, name, model=model, initial=12, budget=4, seed=0, field_resolution=None)
            for name in ("dfal", "alfa_mix")}
    for s in runs.values():
        s.step()
    key = alviz.projection.picture_key(moons.X)
    assert set(runs["dfal"].rounds[-1].placed) == {key}

    def broken(*args, **kwargs):
        raise AssertionError("a picture placed inputs itself")

    monkeypatch.setattr(alviz.projection, "place_inputs", broken)
    fig = plot.round(runs["dfal"], moons.X)
    arrows = by_name(fig, "overlay: adversarial arrows")
    rnd = runs["dfal"].rounds[-1]
    ends = np.array([np.nan if v is None else v for v in arrows.x]).reshape(-1, 3)[:, 1]
    np.testing.assert_allclose(ends, rnd.placed[key]["perturbation_ends"][:, 0])
    fig = plot.round(runs["alfa_mix"], alviz.projection.reference(moons))  # a Projection: the same picture
    assert by_name(fig, "overlay: ALFA-Mix anchors")
    assert runs["dfal"].place_inputs(moons.X) == 0  # already placed: nothing to do (and no placing call)


def test_coreset_nearest_center_lines_and_covering_radius_panel(moons):
    extras = {"pick_nearest_center": np.array([3, -1, 50]), "pick_distance": np.array([1.0, np.inf, 0.5]),
              "covering_radius": np.array([3.0, 2.0, 1.5])}
    rnd = hand_round(moons, LAB, SEL, extras=extras)
    fig = plot.round(fake_session(moons, rnd), moons.X)
    lines = by_name(fig, "overlay: nearest center")
    xs = np.array([np.nan if v is None else v for v in lines.x]).reshape(-1, 3)
    # pick 50 -> center 3, pick 70 -> center 50 (its nearest was an earlier pick); -1 is skipped
    assert np.allclose(xs[:, 0], moons.X[[50, 70], 0]) and np.allclose(xs[:, 1], moons.X[[3, 50], 0])
    rad = by_name(fig, "overlay: covering radius")
    assert rad.xaxis == "x2" and list(rad.y) == [3.0, 2.0, 1.5] and list(rad.x) == [1, 2, 3]
    assert fig.layout.xaxis.domain[1] < fig.layout.xaxis2.domain[0]  # a side panel, not over the points
    sel = by_name(fig, "selected")
    assert "covering_radius 3" in sel.hovertext[0] and "pick_nearest_center 3" in sel.hovertext[0]


def test_vaal_heat_shows_where_the_discriminator_sees_labeled_data(moons):
    p = np.where(moons.X[:, 0] < 0, 0.8, 0.3)
    rnd = hand_round(moons, LAB, SEL, extras={"discriminator_p_labeled": p, "criterion": "lowest"})
    fig = plot.round(fake_session(moons, rnd), moons.X)
    heat = by_name(fig, "overlay: P(labeled)")
    assert fig.data[0].name == "overlay: P(labeled)"  # drawn under the pool
    z = np.array(heat.z, dtype=float)
    xc = np.asarray(heat.x)
    assert np.nanmin(z[:, xc < -0.2]) == pytest.approx(0.8) and np.nanmax(z[:, xc > 0.2]) == pytest.approx(0.3)
    assert np.isnan(z).any()  # empty cells are transparent, not zero
    assert heat.zmin + heat.zmax == pytest.approx(1.0) and heat.zmax >= 0.8  # centred on 0.5
    assert "lowest" in heat.colorbar.title.text


def test_clusters_are_coloured_and_sized_by_typicality(moons):
    n = len(moons.X)
    cl = (moons.X[:, 0] > 0).astype(int)
    cl[:5] = -1
    typ = np.linspace(1.0, 2.0, n)
    rnd = hand_round(moons, LAB, SEL, extras={"cluster": cl, "typicality": typ})
    fig = plot.round(fake_session(moons, rnd), moons.X)
    tr = by_name(fig, "overlay: clusters")
    idx = np.asarray(tr.customdata)
    assert not set(range(5)) & set(idx)  # -1 = no cluster
    colors = np.asarray(tr.marker.color)
    assert len(set(colors[cl[idx] == 0])) == 1 and len(set(colors[cl[idx] == 1])) == 1
    assert colors[cl[idx] == 0][0] != colors[cl[idx] == 1][0]
    sizes = np.asarray(tr.marker.size)
    assert np.all(np.diff(sizes) >= 0)  # typicality grows with the index here
    centers = by_name(fig, "overlay: cluster centers (mean position here)")
    picked = np.unique(cl[SEL])
    assert len(centers.x) == len(picked)
    assert np.isclose(centers.x[0], moons.X[cl == picked[0], 0].mean())


def test_committee_disagreement_rings_only_the_top(moons):
    n = len(moons.X)
    d = np.linspace(0.0, 1.0, n)
    votes = np.zeros((n, 3), dtype=int)
    rnd = hand_round(moons, LAB, SEL, extras={"disagreement": d, "member_votes": votes})
    fig = plot.round(fake_session(moons, rnd), moons.X)
    rings = by_name(fig, "overlay: committee disagreement")
    idx = set(np.asarray(rings.customdata).tolist())
    assert set(SEL) <= idx and len(idx) <= 150 + len(SEL)
    assert n - 1 in idx and 11 not in idx  # the largest are ringed, small ones are not
    assert "votes 0, 0, 0" in rings.hovertext[0]


def test_overlays_are_keyed_by_extras_not_by_strategy_name():
    assert [o.what for o in plot.overlays_for({"gradient_norm": 1, "seed_distance": 1})] == \
        ["gradient norm", "pick order"]
    assert plot.overlays_for({"predicted": 1}) == []
    assert {o.what for o in plot.overlays_for({"covered": 1, "candidates": 1})} == {"covered", "scored candidates"}


def test_overlay_false_draws_only_the_pool(moons):
    rnd = hand_round(moons, LAB, SEL, extras={"gradient_norm": np.ones(len(moons.X))})
    fig = plot.round(fake_session(moons, rnd), moons.X, overlay=False)
    assert drawn(fig) == ["unlabeled", "labeled", "selected"]


# ----------------------------------------------------------------------------- large pools
def test_stratified_sample_keeps_class_shares():
    y = np.array([0] * 80 + [1] * 20)
    s = plot.stratified_sample(np.arange(100), y, 10, rng=0)
    assert np.bincount(y[s]).tolist() == [8, 2]
    assert np.array_equal(s, plot.stratified_sample(np.arange(100), y, 10, rng=0))


def test_max_points_draws_every_labeled_and_picked_point_and_says_so():
    ds = alviz.datasets.make_toy("blobs", n=3000, seed=0)
    lab = np.arange(0, 300, 3)
    sel = np.array([1000, 2000, 2999])
    rnd = hand_round(ds, lab, sel)
    fig = plot.round(fake_session(ds, rnd), ds.X, max_points=1000)
    assert len(by_name(fig, "labeled").customdata) == len(lab)
    assert list(by_name(fig, "selected").customdata) == list(sel)
    unl = np.asarray(by_name(fig, "unlabeled").customdata)
    assert len(unl) == 1000 - len(lab) - len(sel)
    rest = np.setdiff1d(np.arange(3000), np.concatenate([lab, sel]))
    share = np.bincount(ds.y[rest]) / len(rest)
    assert np.allclose(np.bincount(ds.y[unl]) / len(unl), share, atol=0.01)  # class-stratified
    assert "sample" in fig.layout.legend.title.text and "of" in fig.layout.legend.title.text
    assert isinstance(by_name(fig, "unlabeled"), go.Scatter)  # 1000 points: SVG
    big = plot.round(fake_session(ds, rnd), ds.X, max_points=None)
    assert isinstance(by_name(big, "unlabeled"), go.Scatter)  # 3000 <= 5000
    gl = plot.round(fake_session(ds, rnd), ds.X, webgl=True)
    assert isinstance(by_name(gl, "unlabeled"), go.Scattergl) and isinstance(by_name(gl, "selected"), go.Scatter)


# ----------------------------------------------------------------------------- whole runs
@pytest.fixture(scope="module")
def moons_runs(moons):
    return alviz.compare(moons, ["margin", "random"], rounds=3, budget=5, seed=0, initial=10,
                         model=LogisticRegression())


def test_round_slider_has_one_step_per_round_and_shows_one_round_at_a_time(moons, moons_runs):
    s = moons_runs["margin"]
    fig = plot.round_slider(s, moons.X)
    steps = fig.layout.sliders[0].steps
    assert len(steps) == len(s.rounds) == 3
    rounds_of = np.array([t.meta["round"] for t in fig.data])
    for r, step in enumerate(steps):
        vis = np.array(step.args[0]["visible"])
        assert np.array_equal(vis, rounds_of == r)
        field_layers = ("decision regions", "decision boundary", "field: ")  # the 2-D field under the points
        shown = [t for t, v in zip(fig.data, vis) if v and not plot.is_legend_entry(t)]
        assert [t.name for t in shown if t.name.startswith(field_layers)]  # the field is drawn
        shown = [t for t in shown if not t.name.startswith(field_layers)]
        assert [t.name for t in shown] == ["unlabeled", "labeled", "selected"]
        assert list(shown[-1].customdata) == list(s.rounds[r].selected)
        assert f"round {r}" in step.args[1]["title.text"]
    assert [bool(t.visible) for t in fig.data] == list(rounds_of == 0)


def test_compare_round_puts_each_strategy_in_its_panel(moons, moons_runs):
    fig = plot.compare_round(moons_runs, moons.X)
    for name, s in moons_runs.items():
        sel = [t for t in fig.data if t.name == "selected" and t.meta["strategy"] == name]
        assert len(sel) == 1 and list(sel[0].customdata) == list(s.rounds[-1].selected)
    assert sum(bool(t.showlegend) for t in fig.data if t.name == plot._round.POINT_LEGEND["selected"]) == 1
    assert not any(t.showlegend for t in fig.data if t.name == "selected")
    assert [a.text.split(" ·")[0] for a in fig.layout.annotations] == list(moons_runs)
    xaxes = {t.xaxis for t in fig.data}
    assert xaxes == {"x", "x2"}


def test_area_under_curve_by_hand():
    assert plot.area_under_curve([10, 20, 30], [0.5, 0.7, 0.9]) == pytest.approx(0.7)
    assert plot.area_under_curve([10, 20, 40], [0.5, 0.7, 0.7]) == pytest.approx((0.6 * 10 + 0.7 * 20) / 30)
    assert plot.area_under_curve([10], [0.4]) == pytest.approx(0.4)
    assert plot.area_under_curve([0, 10, 20], [np.nan, 0.5, 0.7]) == pytest.approx(0.6)


def test_learning_curves_show_each_auc(moons_runs):
    fig = plot.learning_curves(moons_runs)
    for (name, s), tr in zip(moons_runs.items(), fig.data):
        n, acc = s.learning_curve()
        auc = plot.area_under_curve(n, acc)
        assert tr.name == f"{name} (AUC {auc:.3f})"
        assert list(tr.x) == list(n) and np.allclose(tr.y, acc)


def test_jaccard_and_overlap_matrix(moons_runs):
    assert plot.jaccard_matrix([{1, 2, 3}, {2, 3, 4}, set()]).tolist() == [[1, 0.5, 0], [0.5, 1, 0], [0, 0, 1]]
    fig = plot.overlap_matrix(moons_runs)
    a, b = (set(np.concatenate([r.selected for r in s.rounds]).tolist()) for s in moons_runs.values())
    z = np.array(fig.data[0].z)
    assert z[0, 1] == z[1, 0] == pytest.approx(len(a & b) / len(a | b)) and z[0, 0] == 1
    one = plot.overlap_matrix(moons_runs, r=0)
    a0, b0 = (set(s.rounds[0].selected.tolist()) for s in moons_runs.values())
    assert np.array(one.data[0].z)[0, 1] == pytest.approx(len(a0 & b0) / len(a0 | b0))


def test_class_balance_counts_the_picks(moons, moons_runs):
    s = moons_runs["margin"]
    fig = plot.class_balance(s)
    counts = np.stack([np.bincount(moons.y[r.selected], minlength=2) for r in s.rounds])
    assert [t.name for t in fig.data] == moons.class_names
    for c, tr in enumerate(fig.data):
        assert list(tr.y) == counts[:, c].tolist()
    assert fig.layout.barmode == "stack"


def test_class_balance_of_several_strategies_counts_all_their_picks(digits):
    runs = alviz.compare(digits, ["margin", "random"], rounds=2, budget=7, seed=0)
    fig = plot.class_balance(runs)
    expected = {k: np.bincount(digits.y[np.concatenate([r.selected for r in s.rounds])], minlength=10)
                for k, s in runs.items()}
    assert fig.layout.meta["counts"] == {k: v.tolist() for k, v in expected.items()}
    assert [t.name for t in fig.data] == digits.class_names and fig.layout.barmode == "stack"
    for c, tr in enumerate(fig.data):  # one trace per class, one bar per strategy
        assert tr.orientation == "h" and list(tr.y) == ["margin", "random"]
        assert list(tr.x) == [expected["margin"][c], expected["random"][c]]
    assert sum(sum(tr.x) for tr in fig.data) == 2 * 2 * 7
    notes = [a.text for a in fig.layout.annotations]
    assert notes == [f"fewest {v.min()} · most {v.max()}" for v in expected.values()]
    # a dict and a list of sessions work too; a session without rounds is refused
    assert plot.class_balance(dict(runs)).layout.meta["counts"] == fig.layout.meta["counts"]
    fresh = alviz.Session(digits, strategy="random", initial=20, budget=5, seed=0)
    with pytest.raises(ValueError, match="no rounds yet"):
        plot.class_balance({"a": runs["margin"], "b": fresh})


def test_sample_panel_shows_the_image_and_the_probabilities(digits, moons):
    p = np.full(10, 0.02)
    p[3] = 0.82
    fig = plot.sample(digits, 5, proba=p, score=0.25, rank=2)
    heat, bars = fig.data
    assert np.allclose(np.array(heat.z), digits.images[5])
    assert np.allclose(bars.y, p) and list(bars.x) == digits.class_names
    assert "pick 3" in fig.layout.title.text and "predicted 3" in fig.layout.title.text
    assert f"true class {digits.y[5]}" in fig.layout.title.text
    vec = plot.sample(moons, 0)  # no image: the feature values
    assert np.allclose(vec.data[0].y, moons.X[0])
    with pytest.raises(ValueError, match="pool index"):
        plot.sample(digits, len(digits.X))
    with pytest.raises(ValueError, match="proba has shape"):
        plot.sample(digits, 0, proba=np.ones(3))


# ----------------------------------------------------------------------------- real strategies
REAL = {  # name -> (parameters, overlay traces its extras must produce)
    "margin": ({}, set()),
    "coreset": ({}, {"overlay: nearest center", "overlay: covering radius"}),
    "qbc_vote_entropy": ({"n_members": 3}, {"overlay: committee disagreement"}),
    "eer": ({}, {"overlay: scored candidates"}),
    "badge": ({}, {"overlay: gradient norm", "overlay: pick order"}),
    "gem": ({}, {"overlay: gradient norm"}),
    "gradnorm": ({}, {"overlay: gradient norm"}),
    "dfal": ({}, {"overlay: adversarial arrows"}),
    "bim": ({}, {"overlay: adversarial arrows"}),
    "vaal": ({"steps": 20, "progress": False}, {"overlay: P(labeled)"}),
    "typiclust": ({"embedding": "model", "progress": False},
                  {"overlay: clusters", "overlay: cluster centers (mean position here)"}),
    "prototype": ({"embedding": "model", "progress": False},
                  {"overlay: clusters", "overlay: cluster centers (mean position here)"}),
    "probcover": ({"embedding": "model", "progress": False}, set()),
    "loss_prediction": ({"steps": 40}, {"overlay: predicted loss"}),
    "waal": ({"steps": 40}, {"overlay: critic"}),
    "ta_vaal": ({"steps": 20, "ranker_steps": 20}, {"overlay: P(labeled)", "overlay: predicted loss"}),
    "sraal": ({"steps": 20}, {"overlay: P(labeled)"}),
    "alfa_mix": ({}, {"overlay: ALFA-Mix anchors"}),
    "uncertaingcn": ({"epochs": 20}, {"overlay: graph edges among the picks (stronger)"}),
    "cluster_margin": ({}, {"overlay: clusters", "overlay: scored candidates"}),
    "kmeans": ({}, {"overlay: clusters", "overlay: cluster centers (mean position here)"}),
    "cdal": ({}, {"overlay: nearest center", "overlay: covering radius"}),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_real_strategies_get_their_overlays(name, moons):
    if name not in alviz.strategies.available():
        pytest.skip(f"strategy {name!r} is not registered yet")
    params, expected = REAL[name]
    model = alviz.models.MLP(hidden=(16,), steps=40)
    s = alviz.Session(moons, alviz.strategies.get(name, **params), model=model, initial=12, budget=4, seed=0)
    rnd = s.step()
    fig = plot.round(s, moons.X)
    names = {t.name for t in fig.data}
    assert expected <= names, f"{name}: {sorted(names)}"
    assert list(by_name(fig, "selected").customdata) == list(rnd.selected)
    for t in fig.data:  # every point trace maps back to pool samples
        if t.name in ("unlabeled", "labeled", "selected"):
            assert len(t.customdata) == len(t.x)
    for key in plot.color_options(rnd):
        plot.round(s, moons.X, color_by=key, overlay=False)


# ----------------------------------------------------------------------------- fields on 2-D data
@pytest.fixture(scope="module")
def field_sessions():
    ds = alviz.datasets.make_toy("moons", n=200, seed=0)
    out = {}
    for name in ("margin", "dfal", "coreset"):
        s = alviz.Session(ds, strategy=name, initial=12, budget=5, seed=0, field_resolution=30)
        s.run(1)
        out[name] = s
    return out


def _by_name(fig):
    return {t.name: (i, t) for i, t in enumerate(fig.data)}


def test_round_figure_draws_the_field_under_the_points(field_sessions):
    s = field_sessions["margin"]
    f = s.rounds[-1].field
    fig = plot.round(s, s.dataset.X)
    named = _by_name(fig)
    field_name = f"field: {f.name}"
    assert {"decision regions", "decision boundary", field_name} <= set(named)
    i_field, tr = named[field_name]
    assert np.shape(tr.z) == f.score.shape == (30, 30)
    assert np.allclose(np.asarray(tr.customdata, dtype=float), f.score)  # raw values for the hover
    # colour follows the rank: the grid cell with the top score is at the top of the colour range
    assert np.asarray(tr.z)[np.unravel_index(np.argmax(f.score), f.score.shape)] == 1.0
    assert i_field < named["unlabeled"][0] and named["decision regions"][0] < named["unlabeled"][0]
    regions = named["decision regions"][1]
    assert np.array_equal(np.asarray(regions.z), f.predicted.astype(float))
    assert named["decision boundary"][1].contours.coloring == "lines"
    off = _by_name(plot.round(s, s.dataset.X, fields=False))
    assert not any(n.startswith("field:") or n.startswith("decision") for n in off)


def test_fields_are_drawn_only_on_the_input_plane(field_sessions):
    s = field_sessions["margin"]
    names = set(_by_name(plot.round(s, s.dataset.X * 2.0)))
    assert not any(n.startswith("field:") or n.startswith("decision") for n in names)


def test_deepfool_arrows_end_at_x_plus_r(field_sessions):
    s = field_sessions["dfal"]
    rnd = s.rounds[-1]
    fig = plot.round(s, s.dataset.X)
    arrows = [t for t in fig.data if t.name.startswith("overlay: x → x + r")]
    assert len(arrows) == 1
    tr = arrows[0]
    idx = np.asarray(tr.customdata)[::3]
    assert idx.size > 5
    xs = np.asarray(tr.x, dtype=object).reshape(-1, 3)
    ys = np.asarray(tr.y, dtype=object).reshape(-1, 3)
    start = np.column_stack([xs[:, 0], ys[:, 0]]).astype(float)
    end = np.column_stack([xs[:, 1], ys[:, 1]]).astype(float)
    X = s.dataset.X[idx].astype(float)
    r = rnd.extras["perturbation"][idx].astype(float)
    assert np.allclose(start, X) and np.allclose(end, X + r, atol=1e-5)
    # each arrow ends across the boundary: the round's model predicts another class at x + r
    assert np.all(rnd.extras["flipped"][idx])


def test_coreset_cover_is_drawn_as_circles_in_input_units(field_sessions):
    s = field_sessions["coreset"]
    rnd = s.rounds[-1]
    fig = plot.round(s, s.dataset.X)
    circles = [t for t in fig.data if t.name.startswith("overlay: covering radius r =")]
    assert len(circles) == 1
    xs = np.asarray([v for v in circles[0].x if v is not None], dtype=float)
    ys = np.asarray([v for v in circles[0].y if v is not None], dtype=float)
    centers = s.dataset.X[np.union1d(rnd.labeled, rnd.selected)].astype(float)
    pts = np.column_stack([xs, ys])
    d = np.linalg.norm(pts[:, None] - centers[None], axis=2).min(axis=1)
    radius = float(circles[0].name.split("r = ")[1].split(" ")[0])
    assert np.allclose(d.max(), radius, rtol=1e-2)  # every polygon vertex lies on a circle of radius r
    nearest = np.linalg.norm(s.dataset.X[:, None].astype(float) - centers[None], axis=2).min(axis=1)
    assert nearest.max() <= radius * 1.001  # and the circles cover every pool point


def test_comparison_grid_draws_each_strategy_s_field_with_one_colorbar(field_sessions):
    sessions = {k: field_sessions[k] for k in ("margin", "coreset")}
    fig = plot.compare_round(sessions, field_sessions["margin"].dataset.X)
    fields_drawn = [t for t in fig.data if t.name.startswith("field: ")]
    assert [t.meta["strategy"] for t in fields_drawn] == ["margin", "coreset"]
    assert sum(t.showscale is not False for t in fields_drawn) == 1
# ----------------------------------------------------------------------------- filling the canvas
def test_a_projection_stretches_to_fill_and_hides_its_meaningless_axes(moons, moons_round):
    coords = np.asarray(moons.X) * [3.0, 1.0] + 10.0  # not the inputs: a "projection"
    fig = plot.round(fake_session(moons, moons_round), coords)
    for ax in (fig.layout.xaxis, fig.layout.yaxis):
        assert ax.scaleanchor is None and ax.showticklabels is False and not ax.title.text
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    for ax, j in ((fig.layout.xaxis, 0), (fig.layout.yaxis, 1)):
        r0, r1 = ax.range
        span = hi[j] - lo[j]
        assert r0 < lo[j] and r1 > hi[j]  # nothing cut off
        assert (r1 - r0) <= 1.1 * span  # and hugging the data
    assert fig.layout.width is None  # free to fill the page's width


def test_two_d_inputs_keep_equal_aspect_with_a_figure_of_the_datas_shape(moons, moons_round):
    fig = plot.round(fake_session(moons, moons_round), moons.X)
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert fig.layout.xaxis.title.text == "x₁" and fig.layout.xaxis.showticklabels
    xr, yr = fig.layout.xaxis.range, fig.layout.yaxis.range
    m = fig.layout.margin
    plot_w, plot_h = fig.layout.width - m.l - m.r, fig.layout.height - m.t - m.b
    assert np.isclose(plot_h / plot_w, (yr[1] - yr[0]) / (xr[1] - xr[0]), rtol=0.05)
    wide = alviz.datasets.from_arrays(moons.X * [4.0, 1.0], moons.y, X_test=moons.X[:4], y_test=moons.y[:4])
    wide.is_2d  # noqa: B018 - a 2-D dataset too
    fig2 = plot.round(fake_session(wide, moons_round), np.asarray(wide.X))
    assert fig2.layout.height < fig.layout.height  # a wider data set, a flatter figure


def test_classes_are_a_legend_with_class_names_in_a_colour_blind_safe_palette(moons, moons_round, digits):
    fig = plot.round(fake_session(moons, moons_round), moons.X)
    kinds = [t for t in fig.data if plot.is_legend_entry(t) and t.legendgroup == "points"]
    assert [t.name for t in kinds] == ["picked this round (rank)", "labeled before", "unlabeled pool"]
    assert not any(t.showlegend for t in fig.data if not plot.is_legend_entry(t) and t.name in
                   ("unlabeled", "labeled", "selected"))  # their own entries would wear a class's colour
    entries = [t for t in fig.data if plot.is_legend_entry(t) and t.legendgroup == "categories"]
    assert [t.name for t in entries] == list(moons.class_names)
    assert entries[0].legendgrouptitle.text == "class"
    assert [t.marker.color for t in entries] == ["rgb(230,159,0)", "rgb(86,180,233)"]  # Okabe-Ito
    assert not any(getattr(t.marker, "showscale", False) for t in fig.data)  # a legend, not a colorbar
    lab = by_name(fig, "labeled")  # the labeled points use exactly the legend's colours
    css = plot._style.class_coloring(moons.y, moons.class_names).css(lab.customdata)
    assert set(css) <= {t.marker.color for t in entries}
    # ten digits: ten distinct colours from Tol's set; a continuous colouring has a colorbar and no class legend
    assert len(set(plot_style_palette(10))) == 10
    score = plot.round(fake_session(moons, moons_round), moons.X, color_by="score")
    assert not [t for t in score.data if plot.is_legend_entry(t) and t.legendgroup == "categories"]


def plot_style_palette(n):
    return plot._style.palette(n)


def test_ranks_are_written_for_the_first_picks_only_and_do_not_overlap(moons):
    sel = np.array([50, 51, 52, 53, 54, 55, 56, 57])
    ds = alviz.datasets.from_arrays(moons.X.copy(), moons.y, X_test=moons.X[:4], y_test=moons.y[:4])
    X = np.asarray(ds.X)
    X[sel[:3]] = X[50] + np.array([[0.0, 0.0], [0.01, 0.0], [0.02, 0.0]])  # three picks side by side
    rnd = hand_round(ds, LAB, sel)
    fig = plot.round(fake_session(ds, rnd), X)
    s = by_name(fig, "selected")
    k = plot._round.RANK_LABELS
    assert list(s.text[:k]) == [str(i + 1) for i in range(k)] and all(t == "" for t in s.text[k:])
    assert len(set(s.textposition[:3])) == 3  # three neighbours, three different sides
    assert "pick 8" in s.hovertext[7]  # later ranks: on hover


def test_the_sample_panel_says_what_to_do_before_a_click():
    fig = plot.sample_placeholder()
    assert fig.layout.annotations[0].text == plot.PLACEHOLDER_TEXT == "click a point to inspect it"
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False and not fig.data
