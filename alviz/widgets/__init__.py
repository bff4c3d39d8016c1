"""alviz's widgets: the explorers, the labeling panel and the canvas they all draw on.

>>> session = alviz.Session(ds, "margin", initial=20, budget=10, seed=0)
>>> alviz.widgets.RoundExplorer(session)                  # doctest: +SKIP

The explorers hold no logic beyond wiring: "Next round" calls
``Session.step()``, every picture is a figure builder of :mod:`alviz.plot`
drawn on a :class:`Canvas` (an anywidget of alviz's own that draws with the
plotly.js the installed ``plotly`` package ships; no plotly ``FigureWidget``,
nothing fetched from a CDN). Every control has a stable CSS class
(``alviz-next-round``, ``alviz-round-slider``, ``alviz-color-by``,
``alviz-space``, ``alviz-round-figure`` ...) and the status line states the
shown round in ``data-*`` attributes, so browser tests can read them.

Modules: ``_canvas`` (the canvas), ``_base`` (what the explorers share),
``_round`` (RoundExplorer), ``_compare`` (CompareExplorer), ``_labeling``
(the labeling panel), ``_pictures`` (a picture's source and its background
fit), ``_static`` (the static picture every explorer's output carries),
``_tools`` (the round runner, status lines, the PNG encoder), ``_playground`` (Playground),
``_picking`` (the explorer's pick mode and Play), ``_play`` (the Play / Pause player).
"""

from ._base import Explorer
from ._canvas import Canvas
from ._compare import CompareExplorer
from ._labeling import LabelingPanel, pending_figure
from ._pictures import PictureSource
from ._playground import Playground
from ._round import RoundExplorer

__all__ = [
    "Canvas",
    "CompareExplorer",
    "Explorer",
    "LabelingPanel",
    "PictureSource",
    "Playground",
    "RoundExplorer",
    "pending_figure",
]
