"""The labeling panel: a person labels the picks in the explorer (driven from Python here)."""
import re

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz.widgets import LabelingPanel, pending_figure
from alviz.widgets._tools import png_bytes
from alviz.widgets import RoundExplorer


@pytest.fixture(scope="module")
def digits():
    return alviz.datasets.load_digits(seed=0)


def _human(ds, **kw):
    return alviz.Session(ds, "margin", model=LogisticRegression(max_iter=300), initial=20, budget=6, seed=0,
                         oracle=alviz.oracles.Human(), **kw)


def _by_class(widget, css):
    """Every descendant widget carrying CSS class ``css`` (what a browser's querySelectorAll would find)."""
    out = []
    if css in getattr(widget, "_dom_classes", ()):
        out.append(widget)
    for child in getattr(widget, "children", ()):
        out += _by_class(child, css)
    return out


def _status(ex) -> dict:
    return dict(re.findall(r'data-([a-z-]+)="([^"]*)"', ex.status.value))


def test_next_round_with_a_human_oracle_proposes_and_shows_the_panel(digits):
    s = _human(digits)
    coords = digits.X[:, :2] + 0.01 * np.arange(len(digits.X))[:, None] / len(digits.X)
    ex = RoundExplorer(s, coords)
    assert _by_class(ex, "alviz-label-choice") == []  # nothing waits yet
    ex.next_round()
    assert ex.last_error is None
    assert s.pending is not None and s.rounds == []
    choices = _by_class(ex, "alviz-label-choice")
    submit = _by_class(ex, "alviz-submit-labels")
    assert len(choices) == 6 and len(submit) == 1
    assert all(c.value is None for c in choices) and submit[0].disabled  # pre-set to nothing
    sel = [t for t in ex.figure.fig.data if t.name == "selected"][0]
    assert [int(v) for v in np.ravel(sel.customdata)] == s.pending.selected.tolist()  # the picks wait, ringed
    assert "wait for your labels" in ex.figure.fig.layout.title.text
    st = _status(ex)
    assert st["state"] == "labeling" and st["round"] == "0" and st["selected"] == "6"
    # every pick shows its image
    assert len(_by_class(ex, "alviz-label-image")) == 6


def test_submitting_the_panel_commits_a_round_with_those_labels(digits):
    s = _human(digits)
    ex = RoundExplorer(s, digits.X[:, :2])
    ex.next_round()
    picks = s.pending.selected.copy()
    chosen = [(int(digits.y[i]) + j) % 10 for j, i in enumerate(picks)]  # some right, some wrong
    choices = _by_class(ex, "alviz-label-choice")
    for dd, c in zip(choices, chosen):
        dd.value = c
    submit = _by_class(ex, "alviz-submit-labels")[0]
    assert not submit.disabled
    submit.click()
    assert ex.last_error is None and s.pending is None and len(s.rounds) == 1
    rnd = s.rounds[0]
    assert np.array_equal(rnd.selected, picks) and rnd.given_labels.tolist() == chosen
    assert rnd.metrics["label_accuracy"] == pytest.approx(np.mean(np.array(chosen) == digits.y[picks]))
    assert np.array_equal(s.labels[picks], chosen)
    # redrawn: the committed round, the panel gone, the status back to idle
    assert _by_class(ex, "alviz-label-choice") == []
    assert _status(ex)["state"] == "idle" and _status(ex)["round"] == "0"
    assert "wait for your labels" not in (ex.figure.fig.layout.title.text or "")
    # the next proposal never repeats a labeled sample
    ex.next_round()
    assert not np.intersect1d(s.pending.selected, s.labeled_indices).size
    assert len(_by_class(ex, "alviz-label-choice")) == 6


def test_submit_with_a_missing_label_is_refused_and_changes_nothing(digits):
    s = _human(digits)
    s.propose()
    panel = LabelingPanel(s, preset="guess")
    guess = s.pending.predicted[s.pending.selected]
    assert panel.values == guess.tolist()  # preset="guess": the model's guess
    panel.choices[2].value = None
    assert panel.submit.disabled
    assert panel.submit_labels() is None
    assert "no label yet" in panel.error.value and s.rounds == [] and s.pending is not None
    panel.choices[2].value = 4
    rnd = panel.submit_labels()
    assert rnd.given_labels[2] == 4 and len(s.rounds) == 1


def test_panel_without_images_shows_place_and_nearest_labeled_neighbours():
    toy = alviz.datasets.make_toy("blobs", n=120, seed=0)
    s = alviz.Session(toy, "margin", model=LogisticRegression(max_iter=300), initial=12, budget=3, seed=0,
                      oracle="human")
    s.propose()
    panel = LabelingPanel(s, coords=toy.X)
    cards = _by_class(panel, "alviz-label-card")
    assert len(cards) == 3 and _by_class(panel, "alviz-label-image") == []
    text = cards[0].children[0].value
    i = s.pending.selected[0]
    assert f"at ({toy.X[i, 0]:.2f}, {toy.X[i, 1]:.2f})" in text and "nearest labeled" in text
    lab = s.labeled_indices
    nearest = lab[np.argmin(np.linalg.norm(toy.X[lab] - toy.X[i], axis=1))]
    assert f"nearest labeled: {toy.class_names[toy.y[nearest]]} (d=" in text


def test_pending_figure_and_png():
    with pytest.raises(ValueError, match="propose"):
        pending_figure(_human(alviz.datasets.load_digits(seed=0)), np.zeros((1347, 2)))
    png = png_bytes(np.linspace(0, 1, 12).reshape(3, 4))
    assert png.startswith(b"\x89PNG") and b"IHDR" in png and b"IEND" in png
    import struct
    assert struct.unpack(">II", png[16:24]) == (4, 3)  # width, height


def test_the_waiting_picks_do_not_give_their_class_away(digits):
    s = _human(digits)
    s.propose()
    fig = pending_figure(s, digits.X[:, :2])
    sel = [t for t in fig.data if t.name == "selected"][0]
    assert sel.marker.color == "white"
    for t in fig.data:
        if t.name in ("selected", "unlabeled"):
            assert not any("class" in h for h in t.hovertext), t.name
    assert "wait for your labels" in fig.layout.title.text
