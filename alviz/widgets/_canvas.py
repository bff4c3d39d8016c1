"""The canvas: one anywidget of alviz's own that draws a plotly figure and reports clicks, hovers and selections.

>>> c = Canvas(go.Figure(go.Scatter(x=[0, 1], y=[1, 0], mode="markers")))     # doctest: +SKIP
>>> c.patch({0: {"x": np.array([1.0, 2.0]), "marker.color": np.array([0.1, 0.9])}})  # doctest: +SKIP
>>> c.on_click(lambda trace, points: print(trace, points))                       # doctest: +SKIP

The front end is the ES module ``canvas.js`` next to this file (anywidget loads
it; nothing is built at install time). It draws with the plotly.js that the
installed ``plotly`` package ships (``plotly/package_data/plotly.min.js``): its
source travels once per kernel, in one shared hidden widget (``_PlotlyLibrary``),
and never from a CDN. Numeric numpy arrays travel as binary buffers, not JSON
lists; :meth:`Canvas.patch` sends only what changed (positions, colours,
sizes of traces by index), optionally as an animated transition.

The figure as Python sees it is :meth:`Canvas.figure_dict`; tests read it
without a browser. Every canvas's mime bundle carries a static picture of its
figure (``image/png`` and ``text/html``) for front ends without a widget manager.
"""

from __future__ import annotations

import copy
import json
import math
import pathlib
import threading
import zlib
from collections.abc import Callable, Mapping
from typing import Any

import anywidget
import numpy as np
import plotly.graph_objects as go
import traitlets
from ipywidgets import widget_serialization

__all__ = ["Canvas", "encode_arrays", "figure_json"]

_HERE = pathlib.Path(__file__).parent
_ND = "__nd__"
_ZJSON = "__zjson__"
_ZIP_MIN = 4096  # characters: shorter text lists go as plain JSON
#: numpy dtypes that travel as binary (the typed arrays plotly.js reads); others go as JSON lists
_BINARY = {"float64", "float32", "int8", "int16", "int32", "uint8", "uint16", "uint32"}


def _plotly_source() -> str:
    """The plotly.js that the installed ``plotly`` package ships (read once per process)."""
    import plotly

    path = pathlib.Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise FileNotFoundError(
            f"plotly.js was not found at {path}; reinstall plotly (pip install --force-reinstall plotly)"
        )
    return path.read_text(encoding="utf-8")


class _PlotlyLibrary(anywidget.AnyWidget):
    """A hidden widget that carries plotly.js to the front end once; every Canvas refers to it."""

    _esm = "export default { render() {} };"
    source = traitlets.Unicode("").tag(sync=True)

    _instance: _PlotlyLibrary | None = None
    _lock = threading.Lock()

    @classmethod
    def shared(cls) -> _PlotlyLibrary:
        """The one library widget of this kernel (made again if it was closed)."""
        with cls._lock:
            lib = cls._instance
            if lib is None or getattr(lib, "comm", None) is None:
                lib = cls(source=_plotly_source())
                cls._instance = lib
            return lib


def _json_scalar(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else None  # JSON has no NaN: a gap, as plotly's own encoder writes
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _array_json(a: np.ndarray) -> Any:
    if a.dtype == object or a.dtype.kind in "USM":
        return [_plain(v) for v in a.tolist()]
    if a.dtype.kind == "b":
        return a.tolist()
    if a.dtype.kind == "i" and a.dtype.itemsize == 8:
        if a.size == 0 or (a.min() >= -(2**31) and a.max() < 2**31):
            return a.astype(np.int32)
        return a.astype(np.float64)
    if a.dtype.kind == "u" and a.dtype.itemsize == 8:
        return a.astype(np.float64)
    if a.dtype.kind == "f" and a.dtype.itemsize == 2:
        return a.astype(np.float32)
    return a


def _plain(value: Any) -> Any:
    """``value`` as plain Python (dicts, lists, scalars, numeric numpy arrays kept): what the figure holds."""
    if isinstance(value, (list, tuple)):
        if all(type(v) is str for v in value):  # hover texts: the common long list, kept as it is
            return list(value)
        return [_plain(v) for v in value]
    if isinstance(value, dict) or isinstance(value, Mapping):
        if "bdata" in value and "dtype" in value:  # plotly's base64 typed array: back to numpy (it goes binary)
            return _plain(_from_bdata(value))
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        out = _array_json(value)
        return np.ascontiguousarray(out) if isinstance(out, np.ndarray) else out
    return _json_scalar(value)


def _from_bdata(value: Mapping[str, Any]) -> np.ndarray:
    """A numpy array from plotly's ``{"dtype": "f8", "bdata": base64, "shape": "r, c"}``."""
    import base64

    a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(str(value["dtype"])))
    shape = value.get("shape")
    if shape:
        dims = [int(s) for s in str(shape).replace("[", "").replace("]", "").split(",") if s.strip()]
        a = a.reshape(dims)
    return a.copy()


def figure_json(figure: go.Figure | Mapping | None) -> dict[str, Any]:
    """``figure`` as the canvas holds it: ``{"data": [...], "layout": {...}}``, numeric arrays kept as numpy.

    Parameters
    ----------
    figure : plotly.graph_objects.Figure, dict or None
        A figure, or a dict with ``data`` and ``layout`` (None: an empty figure).

    Returns
    -------
    dict
        Plain dicts and lists; numeric arrays as C-contiguous numpy arrays, non-finite floats elsewhere as None.
    """
    if figure is None:
        return {"data": [], "layout": {}}
    if isinstance(figure, go.Figure):  # validated already; numpy arrays stay numpy (to_dict would base64 them)
        fig = {"data": [t.to_plotly_json() for t in figure.data], "layout": figure.layout.to_plotly_json()}
    elif isinstance(figure, Mapping):
        fig = dict(figure)
    else:
        raise TypeError(
            f"figure must be a plotly go.Figure or a dict with 'data' and 'layout', got {type(figure).__name__}"
        )
    data = fig.get("data") or []
    layout = fig.get("layout") or {}
    if not isinstance(data, (list, tuple)) or not isinstance(layout, Mapping):
        raise TypeError("a figure dict needs 'data' (a list of trace dicts) and 'layout' (a dict)")
    out = {"data": [_plain(t) for t in data], "layout": _plain(layout)}
    for t in out["data"]:
        t.pop("uid", None)
    return out


def _binary(data: bytes, buffers: list[memoryview] | None) -> Any:
    view = memoryview(data).cast("B")
    if buffers is None:
        return view
    buffers.append(view)
    return len(buffers) - 1


def encode_arrays(value: Any, buffers: list[memoryview] | None = None) -> Any:
    """``value`` ready to send: numeric numpy arrays and long text lists as binary buffers.

    A numeric array becomes ``{"__nd__": dtype, "shape": [...], "b": ...}`` (float64 arrays of 64 values or
    more travel as float32: a screen needs no more digits, and they take half the bytes). A list of
    4 096 characters or more (hover texts) becomes ``{"__zjson__": n, "b": ...}``, its JSON compressed
    with zlib (the front end inflates it with the browser's ``DecompressionStream``).

    Parameters
    ----------
    value : Any
        A figure (or patch) as :func:`figure_json` makes it.
    buffers : list or None
        None: ``b`` is the bytes themselves (a memoryview; ipywidgets sends it as a binary buffer of
        the synced state). A list: the bytes are appended to it and ``b`` is their index (a custom message).

    Returns
    -------
    Any
        The same structure, JSON-ready apart from the binary parts.
    """
    if isinstance(value, dict):
        return {k: encode_arrays(v, buffers) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) >= 16 and all(isinstance(v, str) for v in value[:16]):
            text = json.dumps(value, allow_nan=False, default=_json_default)
            if len(text) >= _ZIP_MIN:
                return {_ZJSON: len(value), "b": _binary(zlib.compress(text.encode("utf-8"), 6), buffers)}
        return [encode_arrays(v, buffers) for v in value]
    if isinstance(value, np.ndarray):
        a = np.ascontiguousarray(value)
        if a.dtype.name not in _BINARY:
            conv = _array_json(a)
            if not isinstance(conv, np.ndarray):
                return encode_arrays(conv, buffers)
            a = np.ascontiguousarray(conv)
        if a.dtype == np.float64 and a.size >= 64:
            a = a.astype(np.float32)
        return {_ND: a.dtype.name, "shape": list(a.shape), "b": _binary(a.tobytes(), buffers)}
    return value


def _json_default(o: Any) -> Any:
    return _json_scalar(o) if isinstance(o, (np.generic,)) else None


def _figure_to_json(value: dict[str, Any], _widget: Any) -> dict[str, Any]:
    return encode_arrays(value)


def _set_path(obj: dict[str, Any], path: str, value: Any) -> None:
    """Set ``obj[a][b]...`` for the path "a.b..." (None removes the attribute: plotly's default then)."""
    parts = path.split(".")
    for p in parts[:-1]:
        nxt = obj.get(p)
        if not isinstance(nxt, dict):
            if value is None:
                return
            nxt = {}
            obj[p] = nxt
        obj = nxt
    if value is None:
        obj.pop(parts[-1], None)
    else:
        obj[parts[-1]] = value


def _same(a: Any, b: Any) -> bool:
    """Whether two figure values (dicts, lists, numpy arrays, scalars) are equal (NaN equals NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    return bool(a == b)


def _get_path(obj: Mapping[str, Any], path: str) -> Any:
    for p in path.split("."):
        if not isinstance(obj, Mapping) or p not in obj:
            return None
        obj = obj[p]
    return obj


Callback = Callable[[int, list[int]], None]


class Canvas(anywidget.AnyWidget):
    """One plotly figure in the page, drawn by alviz's own front end, with click, hover and selection events.

    Parameters
    ----------
    figure : plotly.graph_objects.Figure, dict or None
        The figure to draw first (None: an empty figure until :meth:`set_figure`).
    config : dict or None
        plotly.js ``config`` options (e.g. ``{"displayModeBar": False}``).
    **kwargs : Any
        Passed to ``anywidget.AnyWidget`` (``layout=`` for instance).

    Attributes
    ----------
    config : dict
        The plotly.js config (a traitlet; changing it redraws).
    n_patches : int
        How many patches were sent since the last whole figure (a traitlet, for tests and benchmarks).
    bytes_sent : int
        The bytes of every figure and patch this canvas sent so far (buffers plus JSON), for benchmarks.

    Notes
    -----
    Event callbacks run on the kernel's thread and receive the trace index and the point indices
    within that trace (as plotly numbers them); a box or lasso selection over several traces calls
    the ``on_select`` callbacks once per trace, and a cleared selection once with ``(-1, [])``.
    """

    _esm = _HERE / "canvas.js"
    _css = _HERE / "canvas.css"
    _figure = traitlets.Dict().tag(sync=True, to_json=_figure_to_json)
    _library = traitlets.Instance(_PlotlyLibrary).tag(sync=True, **widget_serialization)
    config = traitlets.Dict().tag(sync=True)
    n_patches = traitlets.Int(0).tag(sync=True)

    def __init__(self, figure: go.Figure | Mapping | None = None, config: Mapping | None = None, **kwargs: Any) -> None:
        super().__init__(_library=_PlotlyLibrary.shared(), config=dict(config or {}), **kwargs)
        self._callbacks: dict[str, list[Callable[..., None]]] = {"click": [], "hover": [], "select": [], "relayout": []}
        self.bytes_sent = 0
        self.on_msg(self._handle_event)
        self.set_figure(figure)

    # ------------------------------------------------------------------ drawing
    def set_figure(self, figure: go.Figure | Mapping | None) -> None:
        """Replace the whole figure.

        Parameters
        ----------
        figure : plotly.graph_objects.Figure, dict or None
            The new figure (None: empty).
        """
        fig = figure_json(figure)
        bufs: list[memoryview] = []
        self.bytes_sent += _size(encode_arrays(fig, bufs), bufs)
        self.n_patches = 0
        self._figure = fig

    def patch(
        self,
        traces: Mapping[int, Mapping[str, Any]] | None = None,
        layout: Mapping | None = None,
        animate: bool = False,
        duration: int = 600,
    ) -> None:
        """Change some attributes of some traces (and of the layout), sending only those.

        Parameters
        ----------
        traces : dict int -> dict, optional
            Trace index -> {attribute path: value}, e.g. ``{0: {"x": xs, "marker.color": cs}}``.
            Numeric numpy arrays travel as binary buffers.
        layout : dict, optional
            Layout attribute path -> value, e.g. ``{"xaxis.range": [0, 1], "title.text": "round 3"}``.
        animate : bool
            Glide from the current state to the new one (``Plotly.animate``) instead of jumping.
        duration : int
            Length of the animation in milliseconds.

        Raises
        ------
        IndexError
            A trace index the figure does not have (nothing is changed then).
        """
        self._patch(traces, layout, animate, duration, plain=False)

    def _patch(
        self,
        traces: Mapping[int, Mapping[str, Any]] | None,
        layout: Mapping | None,
        animate: bool,
        duration: int,
        plain: bool,
    ) -> None:
        traces = dict(traces or {})
        data = self._figure.get("data", [])
        for k in traces:
            if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= int(k) < len(data):
                raise IndexError(
                    f"trace {k!r} does not exist; this canvas draws {len(data)} traces "
                    "(patch existing traces, or set_figure for new ones)"
                )
        clean = (lambda v: v) if plain else _plain  # show() hands over values figure_json made plain already
        clean_traces = {str(int(k)): {str(p): clean(v) for p, v in props.items()} for k, props in traces.items()}
        clean_layout = {str(p): clean(v) for p, v in (layout or {}).items()}
        for k, props in clean_traces.items():
            for p, v in props.items():
                _set_path(data[int(k)], p, v)
        for p, v in clean_layout.items():
            _set_path(self._figure.setdefault("layout", {}), p, v)  # None: unset (plotly's default)
        buffers: list[memoryview] = []
        msg = {
            "type": "patch",
            "patch": encode_arrays({"traces": clean_traces, "layout": clean_layout}, buffers),
            "animate": bool(animate),
            "duration": int(duration),
        }
        self.bytes_sent += _size(msg, buffers)
        self.send(msg, buffers)
        self.n_patches += 1

    def show(
        self,
        figure: go.Figure | Mapping,
        glide_from: np.ndarray | None = None,
        point_traces: tuple[str, ...] = ("unlabeled", "labeled", "selected"),
        duration: int = 600,
    ) -> str:
        """Draw ``figure``, sending only what differs from the figure shown now.

        With the same traces (count and types) as now, only the trace and layout attributes that
        changed are sent, as one :meth:`patch`; otherwise the whole figure is set.

        Parameters
        ----------
        figure : plotly.graph_objects.Figure or dict
            The figure to show.
        glide_from : (n_pool, 2) array, optional
            Where the pool's points were: the points of ``point_traces`` (their ``customdata`` is
            their pool index) start there, with the old axis ranges, and glide to their new places.
        point_traces : tuple of str
            The names of the traces whose points are pool samples.
        duration : int
            Length of the glide in milliseconds.

        Returns
        -------
        str
            "animated" (the points glided), "updated" (a patch) or "replaced" (a whole new figure).
        """
        new = figure_json(figure)
        start = new
        targets: dict[int, dict[str, Any]] = {}
        if glide_from is not None:
            old_xy = np.asarray(glide_from, dtype=np.float64)
            start = copy.copy(new)
            start["data"] = [dict(t) for t in new["data"]]
            start["layout"] = dict(new["layout"])
            for k, t in enumerate(start["data"]):
                cd = t.get("customdata")
                if t.get("name") in point_traces and cd is not None and len(cd):
                    idx = np.asarray(cd, dtype=np.int64).ravel()
                    targets[k] = {"x": new["data"][k].get("x"), "y": new["data"][k].get("y")}
                    t["x"], t["y"] = old_xy[idx, 0], old_xy[idx, 1]
            old_ranges = {ax: _get_path(self._figure.get("layout", {}), f"{ax}.range") for ax in ("xaxis", "yaxis")}
            new_ranges = {ax: _get_path(new["layout"], f"{ax}.range") for ax in ("xaxis", "yaxis")}
            if all(v is not None for v in old_ranges.values()) and all(v is not None for v in new_ranges.values()):
                for ax in ("xaxis", "yaxis"):
                    start["layout"][ax] = dict(start["layout"].get(ax) or {}, range=old_ranges[ax])
            else:
                new_ranges = {}
        how = self._show(start)
        if targets:
            layout = {f"{ax}.range": r for ax, r in new_ranges.items()}
            self.patch(targets, layout=layout, animate=True, duration=duration)
            return "animated"
        return how

    def _show(self, new: dict[str, Any]) -> str:
        old = self._figure
        old_data, new_data = old.get("data", []), new["data"]
        if len(old_data) != len(new_data) or any(
            a.get("type", "scatter") != b.get("type", "scatter") for a, b in zip(old_data, new_data)
        ):
            self.set_figure(new)
            return "replaced"
        traces = {}
        for k, (a, b) in enumerate(zip(old_data, new_data)):
            changed = {key: b.get(key) for key in set(a) | set(b) if not _same(a.get(key), b.get(key))}
            if changed:
                traces[k] = changed
        old_layout, new_layout = old.get("layout", {}), new["layout"]
        layout = {
            key: new_layout.get(key)
            for key in set(old_layout) | set(new_layout)
            if not _same(old_layout.get(key), new_layout.get(key))
        }
        if traces or layout:
            self._patch(traces, layout, False, 600, plain=True)
        return "updated"

    @property
    def fig(self) -> go.Figure:
        """A ``go.Figure`` copy of the figure shown (read it like a FigureWidget: ``canvas.fig.data``).

        Returns
        -------
        plotly.graph_objects.Figure
            A snapshot; changing it changes nothing on the canvas (use :meth:`patch` or :meth:`show`).
        """
        return go.Figure(self.figure_dict(), skip_invalid=True)

    def figure_dict(self) -> dict[str, Any]:
        """The current figure as Python sees it: ``{"data": [...], "layout": {...}}`` (a deep copy).

        Returns
        -------
        dict
            What the front end draws, numeric arrays as numpy arrays.
        """
        return copy.deepcopy(self._figure)

    def trace(self, name: str) -> dict[str, Any] | None:
        """The first trace called ``name`` (a deep copy), or None.

        Parameters
        ----------
        name : str
            The trace's ``name``.

        Returns
        -------
        dict or None
            The trace's attributes.
        """
        for t in self._figure.get("data", []):
            if t.get("name") == name:
                return copy.deepcopy(t)
        return None

    def get(self, path: str) -> Any:
        """The layout attribute at ``path`` (e.g. ``"title.text"``), or None when unset.

        Parameters
        ----------
        path : str
            A plotly attribute path, dots between the levels.

        Returns
        -------
        Any
            The value.
        """
        return copy.deepcopy(_get_path(self._figure.get("layout", {}), path))

    # ------------------------------------------------------------------ events
    def on_click(self, callback: Callback, remove: bool = False) -> None:
        """Call ``callback(trace, points)`` when points are clicked in the page.

        Parameters
        ----------
        callback : callable(int, list of int)
            Receives the trace index and the clicked point indices within that trace.
        remove : bool
            Unregister ``callback`` instead.
        """
        self._register("click", callback, remove)

    def on_hover(self, callback: Callback, remove: bool = False) -> None:
        """Call ``callback(trace, points)`` when the pointer hovers points.

        Parameters
        ----------
        callback : callable(int, list of int)
            Receives the trace index and the hovered point indices within that trace.
        remove : bool
            Unregister ``callback`` instead.
        """
        self._register("hover", callback, remove)

    def on_select(self, callback: Callback, remove: bool = False) -> None:
        """Call ``callback(trace, points)`` for a box or lasso selection (once per trace that has points).

        Parameters
        ----------
        callback : callable(int, list of int)
            Receives the trace index and the selected point indices within it; ``(-1, [])`` when the
            selection is cleared or holds no point.
        remove : bool
            Unregister ``callback`` instead.
        """
        self._register("select", callback, remove)

    def on_relayout(self, callback: Callable[[dict[str, Any]], None], remove: bool = False) -> None:
        """Call ``callback(changes)`` when the view changes in the page (zoom, pan, autoscale).

        Parameters
        ----------
        callback : callable(dict)
            Receives plotly's relayout changes, e.g. ``{"xaxis.range[0]": 0.1, ...}``.
        remove : bool
            Unregister ``callback`` instead.
        """
        self._register("relayout", callback, remove)

    def _register(self, kind: str, callback: Callable[..., None], remove: bool) -> None:
        if not callable(callback):
            raise TypeError(f"the {kind} callback must be callable, got {type(callback).__name__}")
        cbs = self._callbacks[kind]
        if remove:
            if callback in cbs:
                cbs.remove(callback)
        elif callback not in cbs:
            cbs.append(callback)

    def _handle_event(self, _widget: Any, content: Any, _buffers: Any) -> None:
        """A message from the front end: dispatch it to the registered callbacks."""
        if not isinstance(content, dict):
            return
        kind = content.get("event")
        if kind not in self._callbacks:
            return
        if kind == "relayout":
            changes = content.get("relayout") or {}
            for cb in list(self._callbacks[kind]):
                cb(dict(changes))
            return
        trace = int(content.get("trace", -1))
        points = [int(p) for p in content.get("points") or []]
        for cb in list(self._callbacks[kind]):
            cb(trace, points)

    def _emit(
        self, kind: str, trace: int = -1, points: list[int] | None = None, relayout: dict[str, Any] | None = None
    ) -> None:
        """Deliver an event as if the page had sent it (tests and Python drivers use this)."""
        content: dict[str, Any] = {"event": kind, "trace": trace, "points": list(points or [])}
        if relayout is not None:
            content["relayout"] = relayout
        self._handle_event(self, content, [])

    # ------------------------------------------------------------------ static fallback
    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """The widget view, plus a static picture of the figure for front ends without widgets."""
        from ._static import static_bundle

        out = super()._repr_mimebundle_(**kwargs)
        data, meta = out if isinstance(out, tuple) else (out, {})
        data = dict(data or {})
        data.update(static_bundle([self._figure]))
        return data, dict(meta or {})


def _size(msg: Any, buffers: list[memoryview]) -> int:
    """Bytes a message takes on the wire: its JSON plus its binary buffers."""

    def default(o: Any) -> Any:
        if isinstance(o, memoryview):
            return None
        raise TypeError(type(o).__name__)

    return len(json.dumps(msg, default=default)) + sum(b.nbytes for b in buffers)
