"""The canvas model without a browser: a figure set, a patch applied and sent as binary, events delivered."""
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest
from ipywidgets.widgets.widget import _remove_buffers

from alviz.widgets import Canvas


def _fig(n=50):
    rng = np.random.default_rng(0)
    return go.Figure([go.Scatter(x=rng.normal(size=n), y=rng.normal(size=n), mode="markers", name="a"),
                      go.Scatter(x=[0.0, 1.0], y=[1.0, 0.0], mode="lines", name="b")],
                     layout=dict(width=300, height=200, title=dict(text="t")))


@pytest.fixture
def canvas():
    c = Canvas(_fig())
    sent = []
    c.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))
    c.sent = sent
    yield c
    c.close()


def test_a_figure_is_set_and_its_arrays_travel_as_binary(canvas):
    fig = _fig()
    d = canvas.figure_dict()
    assert [t["name"] for t in d["data"]] == ["a", "b"]
    np.testing.assert_array_equal(d["data"][0]["x"], fig.data[0].x)
    assert d["layout"]["title"]["text"] == "t"
    state, paths, buffers = _remove_buffers(canvas.get_state())
    assert ["_figure", "data", 0, "x", "b"] in paths  # the 50 x positions are a buffer, not a JSON list
    k = paths.index(["_figure", "data", 0, "x", "b"])
    np.testing.assert_array_equal(np.frombuffer(buffers[k], dtype=np.float64), fig.data[0].x)
    json.dumps(state)  # the rest is plain JSON
    canvas.set_figure({"data": [{"type": "bar", "x": [1, 2], "y": [3, 4]}], "layout": {}})
    assert [t["type"] for t in canvas.figure_dict()["data"]] == ["bar"] and canvas.n_patches == 0


def test_a_patch_changes_only_what_it_names_and_sends_buffers(canvas):
    new_x = np.linspace(0, 1, 50)
    colors = np.arange(50, dtype=np.float32)
    canvas.patch({0: {"x": new_x, "marker.color": colors}}, layout={"xaxis.range": [0, 1]}, animate=True)
    d = canvas.figure_dict()
    np.testing.assert_array_equal(d["data"][0]["x"], new_x)
    np.testing.assert_array_equal(d["data"][0]["marker"]["color"], colors)
    np.testing.assert_array_equal(d["data"][0]["y"], _fig().data[0].y)  # untouched
    assert d["layout"]["xaxis"]["range"] == [0, 1] and d["layout"]["title"]["text"] == "t"
    (msg, buffers), = canvas.sent
    assert msg["type"] == "patch" and msg["animate"] is True
    assert set(msg["patch"]["traces"]) == {"0"} and set(msg["patch"]["traces"]["0"]) == {"x", "marker.color"}
    xb = msg["patch"]["traces"]["0"]["x"]
    assert xb["__nd__"] == "float64" and xb["shape"] == [50]
    np.testing.assert_array_equal(np.frombuffer(buffers[xb["b"]], dtype=np.float64), new_x)
    assert sum(b.nbytes for b in buffers) == 50 * 8 + 50 * 4
    assert canvas.n_patches == 1
    # NaN and int64 arrays: JSON-safe or binary, never NaN in JSON
    canvas.patch({1: {"y": np.array([np.nan, 2.0]), "customdata": np.array([3, 4], dtype=np.int64)}},
                 layout={"title.text": float("nan")})
    msg, _ = canvas.sent[-1]
    json.dumps(msg["patch"], allow_nan=False, default=lambda o: None)
    assert msg["patch"]["traces"]["1"]["customdata"]["__nd__"] == "int32"


def test_a_patch_of_a_missing_trace_changes_nothing(canvas):
    before = canvas.figure_dict()
    with pytest.raises(IndexError, match="does not exist"):
        canvas.patch({0: {"x": np.zeros(50)}, 5: {"x": [1]}})
    np.testing.assert_array_equal(canvas.figure_dict()["data"][0]["x"], before["data"][0]["x"])
    assert canvas.sent == []


def test_events_reach_the_python_callbacks(canvas):
    got = {"click": [], "hover": [], "select": [], "relayout": []}
    canvas.on_click(lambda t, p: got["click"].append((t, p)))
    canvas.on_hover(lambda t, p: got["hover"].append((t, p)))
    canvas.on_select(lambda t, p: got["select"].append((t, p)))
    canvas.on_relayout(lambda ch: got["relayout"].append(ch))
    # what the front end sends (canvas.js): {event, trace, points} / {event: "relayout", relayout}
    canvas._handle_event(canvas, {"event": "click", "trace": 0, "points": [7]}, [])
    canvas._handle_event(canvas, {"event": "hover", "trace": 1, "points": [0]}, [])
    canvas._handle_event(canvas, {"event": "select", "trace": 0, "points": [1, 2, 3]}, [])
    canvas._handle_event(canvas, {"event": "relayout", "relayout": {"xaxis.range[0]": 0.5}}, [])
    canvas._handle_event(canvas, {"event": "nonsense"}, [])
    assert got == {"click": [(0, [7])], "hover": [(1, [0])], "select": [(0, [1, 2, 3])],
                   "relayout": [{"xaxis.range[0]": 0.5}]}
    with pytest.raises(TypeError, match="callable"):
        canvas.on_click("not a function")


def test_the_plotly_library_travels_once_and_the_module_ships_in_the_package():
    a, b = Canvas(), Canvas()
    try:
        assert a._library is b._library  # one copy of plotly.js per kernel, shared by every canvas
        assert a._library.source.lstrip().startswith("/**\n* plotly.js v")  # the installed package's own copy
        assert not re.search(r"https?://|import\s*\(\s*['\"]", a._esm)  # no URL, nothing fetched from a CDN
    finally:
        a.close()
        b.close()


def test_the_front_end_ships_in_the_package_and_make_demo_serves_the_quickstart_explorer():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pyproject = (root / "pyproject.toml").read_text()
    assert '"alviz.widgets" = ["*.js", "*.css"]' in pyproject  # canvas.js travels with the wheel
    make = (root / "Makefile").read_text()
    assert "voila notebooks/apps/quickstart_explorer.ipynb --Voila.ip=127.0.0.1" in make
    def code(path):
        cells = json.loads(path.read_text())["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")

    app_code = code(root / "notebooks" / "apps" / "quickstart_explorer.ipynb")
    quick_code = code(root / "notebooks" / "00_quickstart.ipynb")
    for line in ('ds = alviz.datasets.load_mnist(seed=0, test_size=0.6)',
                 'session = alviz.Session(ds, strategy="margin", model=alviz.models.MLP(), initial=20, budget=10, '
                 'seed=0)', "session.run(3)"):
        assert line in app_code and line in quick_code  # the app is the quickstart's session
    assert "alviz.widgets.RoundExplorer(session" in app_code


def test_no_figurewidget_is_left_in_the_package():
    from pathlib import Path

    src = Path(__file__).resolve().parent.parent / "alviz"
    users = [str(p.relative_to(src)) for p in src.rglob("*.py")
             if re.search(r"FigureWidget\s*\(|\.FigureWidget\b|batch_update|batch_animate", p.read_text())]
    assert users == [], f"plotly FigureWidget still used in {users}; draw on alviz.widgets.Canvas"
