"""Figures fill their canvas: rendered in headless Chromium, the drawn points span most of the plot area.

A digits round in its UMAP reference picture (axes free to stretch) and a
moons round in its input space (equal aspect, the figure sized to the data's
aspect) are written to static HTML, loaded in Chromium, and measured from
plotly's own pixel mapping (``_fullLayout.xaxis.l2p``): the bounding box of the
pool's points relative to the plot area.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

import alviz

from .browser import chromium, open_page

pytestmark = [pytest.mark.browser]

#: the share of the plot area the drawn points must span, in each direction
FILL = 0.8

MEASURE_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.xaxis) return null;
  const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
  const xs = [], ys = [];
  for (const t of gd._fullData) {
    if (!['unlabeled', 'labeled', 'selected'].includes(t.name) || !t.x) continue;
    for (let i = 0; i < t.x.length; i++) { xs.push(xa.l2p(t.x[i])); ys.push(ya.l2p(t.y[i])); }
  }
  const legend = Array.from(document.querySelectorAll('.legend .traces .legendtext')).map(e => e.textContent);
  return {w: xa._length, h: ya._length, fig_w: gd._fullLayout.width, fig_h: gd._fullLayout.height, n: xs.length,
          xspan: Math.max(...xs) - Math.min(...xs), yspan: Math.max(...ys) - Math.min(...ys),
          inside: xs.every(v => v >= -1 && v <= xa._length + 1) && ys.every(v => v >= -1 && v <= ya._length + 1),
          legend: legend};
}"""


def _session(ds, seed=0):
    s = alviz.Session(ds, "margin", model=LogisticRegression(max_iter=300), initial=20, budget=8, seed=seed)
    s.run(rounds=2)
    return s


def _measure(browser, fig, path: Path, shot: str = ""):
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    with open_page(browser, path.as_uri(), timeout_ms=60_000) as (page, errors):
        page.set_viewport_size({"width": 1000, "height": 800})
        page.wait_for_function(f"({MEASURE_JS})() !== null")
        m = page.evaluate(MEASURE_JS)
        if shot:
            page.screenshot(path=shot, full_page=True)
        assert errors == []
    return m


def _shot(name: str) -> str:
    """Where to save a screenshot: $ALVIZ_SHOTS/<name>.png when set (a person looks at it), else nowhere."""
    d = os.environ.get("ALVIZ_SHOTS")
    return str(Path(d) / f"{name}.png") if d else ""


def test_round_figures_fill_their_plot_area(digits, moons, tmp_path):
    digits_fig = alviz.plot.round(_session(digits), alviz.projection.reference(digits, seed=0))
    moons_fig = alviz.plot.round(_session(moons), alviz.projection.reference(moons))
    with chromium() as browser:
        d = _measure(browser, digits_fig, tmp_path / "digits.html", _shot("picture-digits-round"))
        m = _measure(browser, moons_fig, tmp_path / "moons.html", _shot("picture-moons-round"))
    for name, got in (("digits (UMAP)", d), ("moons (input space)", m)):
        assert got["n"] > 200 and got["inside"], (name, got)
        assert got["xspan"] >= FILL * got["w"] and got["yspan"] >= FILL * got["h"], (name, got)
    # the projection's plot area is most of the figure (the legend and title take the rest); the
    # equal-aspect moons picture keeps a plot of at least 400 px and shares the width with the field's
    # colorbar and the legend of its field and overlays, beside it
    assert d["w"] >= 0.6 * d["fig_w"] and d["h"] >= 0.6 * d["fig_h"], d
    assert m["w"] >= 400 and m["h"] >= 0.6 * m["fig_h"] and m["w"] >= 0.45 * m["fig_w"], m
    assert [c for c in digits.class_names if c in d["legend"]] == list(digits.class_names)
    assert {"0", "1", "picked this round (rank)", "labeled before", "unlabeled pool"} <= set(m["legend"])


BOXES_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  if (!gd || !gd._fullLayout) return null;
  const box = e => { const r = e.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
  const legend = document.querySelector('.legend');
  return {legend: legend ? box(legend) : null,
          bars: Array.from(document.querySelectorAll('.colorbar')).map(box)};
}"""


def _overlap(a, b) -> bool:
    return a["l"] < b["r"] and b["l"] < a["r"] and a["t"] < b["b"] and b["t"] < a["b"]


@pytest.mark.parametrize("strategy", ["typiclust", "coreset"])
def test_colorbars_never_cross_the_legend(digits, strategy, tmp_path):
    """A projection picture with a five-entry legend and a score colorbar: as drawn, the two boxes are apart."""
    s = alviz.Session(digits, strategy, initial=20, budget=10, seed=0)
    s.run(rounds=2)
    fig = alviz.plot.round(s, alviz.projection.reference(digits, seed=0), color_by="score")
    path = tmp_path / f"{strategy}.html"
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    with chromium() as browser, open_page(browser, path.as_uri(), timeout_ms=60_000) as (page, errors):
        page.set_viewport_size({"width": 1100, "height": 600})
        page.wait_for_function(f"({BOXES_JS})() !== null")
        got = page.evaluate(BOXES_JS)
        if _shot(f"legend-{strategy}"):
            page.screenshot(path=_shot(f"legend-{strategy}"))
        assert errors == []
    assert got["legend"] is not None and len(got["bars"]) >= 1, got
    legend_rows = sum(1 for t in fig.data if t.showlegend is not False and t.name)
    assert legend_rows >= 5, legend_rows
    for bar in got["bars"]:
        assert not _overlap(got["legend"], bar), got


LEGEND_JS = """() => {
  const bg = document.querySelector('.legend .bg');
  if (!bg) return null;
  const box = e => { const r = e.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
  return {bg: box(bg), items: Array.from(document.querySelectorAll('.legend .traces')).map(e => (
            {text: e.textContent, ...box(e)}))};
}"""


def test_the_class_balance_of_several_strategies_shows_every_class_in_its_legend(digits, tmp_path):
    """Ten classes over a few bars: every class's legend entry is drawn inside the legend, none scrolled away."""
    runs = alviz.compare(digits, ["random", "margin", "coreset"], rounds=2, budget=10, seed=0)
    fig = alviz.plot.class_balance(runs)
    path = tmp_path / "balance.html"
    fig.write_html(str(path), include_plotlyjs=True, full_html=True)
    with chromium() as browser, open_page(browser, path.as_uri(), timeout_ms=60_000) as (page, errors):
        page.set_viewport_size({"width": 1000, "height": 500})
        page.wait_for_function(f"({LEGEND_JS})() !== null")
        got = page.evaluate(LEGEND_JS)
        if _shot("class-balance"):
            page.screenshot(path=_shot("class-balance"))
        assert errors == []
    bg = got["bg"]
    assert [it["text"] for it in got["items"]] == list(digits.class_names)  # in class order
    for it in got["items"]:
        assert bg["l"] - 1 <= it["l"] and it["r"] <= bg["r"] + 1 and bg["t"] - 1 <= it["t"] and it["b"] <= bg["b"] + 1, (
            it, bg)
