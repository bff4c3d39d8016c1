"""The static HTML report and the ``alviz`` command; one test drives headless Chromium."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.linear_model import LogisticRegression

import alviz
from alviz import cli, report

from .browser import chromium, open_page


@pytest.fixture(scope="module")
def runs(moons):
    return alviz.compare(moons, ["margin", "random"], rounds=3, budget=5, seed=0, initial=10,
                         model=LogisticRegression())


def _figure_chunks(text: str) -> list:
    """The script of each figure on the page (plotly's to_html writes one Plotly.newPlot per figure)."""
    return text.split("</head>", 1)[1].split("Plotly.newPlot(")[1:]


def _figure(chunk: str) -> tuple:
    """(data, layout) of one figure: the JSON after the div id in Plotly.newPlot("id", [...], {...}, ...)."""
    dec = json.JSONDecoder()
    start = chunk.index("[")
    data, end = dec.raw_decode(chunk[start:])
    rest = chunk[start + end:]
    layout, _ = dec.raw_decode(rest[rest.index("{"):])
    return data, layout


def test_write_html_is_one_self_contained_file(runs, tmp_path):
    path = report.write_html(runs, tmp_path / "r.html", title="moons demo")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<title>moons demo</title>" in text
    assert not re.search(r"<script[^>]+src=", text), "every script is inline"
    head, body = text.split("</head>", 1)
    assert len(head) > 3_000_000  # plotly.js itself is inline
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", body), "the page links nothing outside itself"
    layouts = [_figure(c)[1] for c in _figure_chunks(text)]
    sliders = [lay["sliders"] for lay in layouts if "sliders" in lay]
    assert len(sliders) == len(runs)  # one round slider per strategy
    for sl in sliders:
        assert len(sl) == 1 and [st["label"] for st in sl[0]["steps"]] == ["0", "1", "2"]  # one step per round
    for name in runs:
        assert f'id="s-{list(runs).index(name)}">{name}</h2>' in text
    assert "AUC" in text and "Jaccard" in text
    assert oct(path.stat().st_mode & 0o777) == oct(0o644 & ~_umask())


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_write_html_refuses_sessions_without_rounds(moons, tmp_path):
    s = alviz.Session(moons, "margin", model=LogisticRegression(), initial=10)
    with pytest.raises(ValueError, match="no rounds"):
        report.write_html({"margin": s}, tmp_path / "r.html")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        report.write_html(s, tmp_path / "missing" / "r.html")


def test_at_most_four_webgl_figures_per_page(moons, monkeypatch):
    from alviz.plot import _style

    names = ["margin", "random", "entropy", "least_confidence", "random"]
    runs = alviz.compare(moons, names, rounds=1, budget=5, seed=0, initial=10, model=LogisticRegression())
    monkeypatch.setattr(_style, "WEBGL_THRESHOLD", 10)  # make every pool figure want WebGL
    text = report.build_html(runs)
    data = [_figure(c)[0] for c in _figure_chunks(text)]
    pool_figures = [d for d in data if any(t.get("name") == "selected" for t in d)]
    assert len(pool_figures) == len(names) + 1  # a slider per strategy and the comparison
    n_gl = sum(any(t.get("type") == "scattergl" for t in d) for d in pool_figures)
    assert n_gl == report.MAX_WEBGL == 4


def test_the_report_places_the_arrows_in_its_reference_picture():
    """The round sliders draw what the rounds carry: the report places x + r in its UMAP first."""
    import numpy as np

    rng = np.random.default_rng(3)
    y = np.repeat(np.arange(3), 30)
    X = (rng.normal(scale=6.0, size=(3, 6))[y] + rng.normal(size=(90, 6))).astype(np.float32)
    ds = alviz.datasets.from_arrays(X, y, X_test=X[:9], y_test=y[:9])
    s = alviz.Session(ds, "dfal", model=alviz.models.MLP(hidden=(8,), steps=20), initial=9, budget=3, seed=0)
    s.run(1)
    text = report.build_html({"dfal": s}, strategy_spaces=False)
    assert s.rounds[0].placed  # placed in the report's reference picture, kept in the round
    data = [_figure(c)[0] for c in _figure_chunks(text)]
    assert any(t.get("name") == "overlay: adversarial arrows" for d in data for t in d)


def test_cli_lists_strategies_and_reports_errors(capsys, tmp_path):
    assert cli.main(["strategies"]) == 0
    assert capsys.readouterr().out.split() == alviz.strategies.available()
    assert cli.main(["report", "--strategies", "margin,nope", "--out", str(tmp_path / "x.html")]) == 2
    err = capsys.readouterr().err
    assert "unknown strategy 'nope'" in err and "margin" in err
    assert cli.main(["report", "--dataset", "imagenet", "--out", str(tmp_path / "x.html")]) == 2
    assert "unknown dataset 'imagenet'" in capsys.readouterr().err
    assert cli.main(["report", "--out", str(tmp_path / "no" / "x.html")]) == 2
    with pytest.raises(SystemExit):
        cli.main(["report", "--rounds", "0"])
    assert not (tmp_path / "x.html").exists()


def test_cli_report_on_a_toy_set(tmp_path, capsys):
    out = tmp_path / "toy.html"
    code = cli.main(["report", "--dataset", "moons", "--toy-n", "200", "--strategies", "random,margin",
                     "--rounds", "2", "--budget", "4", "--initial", "8", "--out", str(out), "--quiet"])
    assert code == 0 and out.exists()
    assert capsys.readouterr().err == ""
    text = out.read_text(encoding="utf-8")
    assert sum("sliders" in _figure(c)[1] for c in _figure_chunks(text)) == 2


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "alviz"
    if not exe.exists():
        pytest.skip("the alviz console script is not installed in this environment (pip install -e .)")
    res = subprocess.run([str(exe), "report", "--help"], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "--strategies" in res.stdout and "--budget" in res.stdout


@pytest.mark.browser
def test_report_loads_in_chromium_and_its_slider_moves(tmp_path):
    out = tmp_path / "report.html"
    assert cli.main(["report", "--dataset", "digits", "--strategies", "margin,coreset", "--rounds", "2",
                     "--budget", "5", "--out", str(out), "--quiet"]) == 0
    with chromium() as browser:
        with open_page(browser, out.as_uri()) as (page, errors):
            outside = []
            page.on("request", lambda req: outside.append(req.url)
                    if not req.url.startswith(("file:", "data:", "blob:", "about:")) else None)
            page.set_viewport_size({"width": 1280, "height": 900})
            page.wait_for_function("() => { const g = document.querySelectorAll('.js-plotly-plot');"
                                   " return g.length > 0 && Array.from(g).every(d => d._fullLayout); }")
            n_gl = page.evaluate("Array.from(document.querySelectorAll('.js-plotly-plot'))"
                                 ".filter(g => g._fullData.some(t => t.type === 'scattergl')).length")
            assert n_gl <= 4
            first = page.locator(".js-plotly-plot").first
            state = ("() => { const g = document.querySelector('.js-plotly-plot');"
                     " return {active: g._fullLayout.sliders[0].active, title: g._fullLayout.title.text,"
                     " shown: g._fullData.filter(t => t.visible === true).map(t => t.meta.round)}; }")
            before = page.evaluate(state)
            assert before["active"] == 0 and set(before["shown"]) == {0}
            first.scroll_into_view_if_needed()
            tick = first.locator(".slider-tick-rect").nth(1).bounding_box()
            page.mouse.click(tick["x"] + tick["width"] / 2, tick["y"] + tick["height"] / 2)
            page.wait_for_function("document.querySelector('.js-plotly-plot')._fullLayout.sliders[0].active === 1")
            after = page.evaluate(state)
            assert set(after["shown"]) == {1} and "round 1" in after["title"]
            assert errors == [], errors
            assert outside == [], f"the report fetched from the network: {outside}"
