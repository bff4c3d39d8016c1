"""Figures: pure functions that take Sessions/Rounds and coordinates and return ``plotly`` figures.

>>> coords = alviz.projection.reference(ds)            # doctest: +SKIP
>>> alviz.plot.round(session, coords, r=-1)            # doctest: +SKIP

- :func:`round_figure` (also ``alviz.plot.round``) -- one round: the pool faint, the labeled set by class, this
  round's picks large, ringed and ranked, plus one overlay per family of
  strategy (chosen by the diagnostics present in the round's ``extras``).
- :func:`round_slider` -- all rounds in one figure with a slider (static HTML friendly).
- :func:`compare_round` -- strategies side by side on the same coordinates.
- :func:`learning_curves` (of sessions, or of an experiment: mean and band), :func:`win_matrix`,
  :func:`overlap_matrix`, :func:`class_balance`, :func:`sample`.
- :func:`picks_gallery` -- what a pick looks like: thumbnails of a round's picks with rank and class.
- :func:`perturbation_grid` -- an attack's picks as x, the perturbation r (diverging, centred at 0), and x + r.
- :func:`discriminator_histogram`, :func:`vaal_training` -- VAAL's D(μ) distribution and loss curves.

Trace names in the round view are exactly ``"unlabeled"``, ``"labeled"``,
``"selected"`` and ``"overlay: <what>"``, plus, for a categorical colouring,
one legend-only entry per class named by the class (:func:`is_legend_entry`
tells them apart); every point trace carries pool indices in ``customdata``.
"""

from __future__ import annotations

from ._gallery import perturbation_grid, picks_gallery
from ._multi import compare_round, round_slider
from ._overlays import OVERLAYS, overlays_for
from ._round import round_figure
from ._round import round_figure as round  # noqa: A001,F401  (alviz.plot.round, explicitly; not in __all__)
from ._round import axis_ranges, is_input_space, is_legend_entry, round_layers
from ._sample import sample_figure as sample
from ._sample import PLACEHOLDER_TEXT, sample_image, sample_placeholder
from ._style import WEBGL_THRESHOLD, ring_sizes, scale_sizes
from ._summary import (
    area_under_curve,
    as_session_dict,
    class_balance,
    jaccard_matrix,
    learning_curves,
    overlap_matrix,
    win_matrix,
)
from ._vaal import discriminator_histogram, vaal_training
from ._view import check_coords, color_options, stratified_sample

# ``round`` stays importable by name (alviz.plot.round, the README's spelling) but is left out of __all__, so
# ``from alviz.plot import *`` does not shadow the builtin; round_figure is the same function
__all__ = [
    "round_figure",
    "round_slider",
    "round_layers",
    "color_options",
    "compare_round",
    "learning_curves",
    "overlap_matrix",
    "class_balance",
    "sample",
    "sample_image",
    "area_under_curve",
    "jaccard_matrix",
    "scale_sizes",
    "ring_sizes",
    "stratified_sample",
    "overlays_for",
    "OVERLAYS",
    "WEBGL_THRESHOLD",
    "as_session_dict",
    "check_coords",
    "win_matrix",
    "is_legend_entry",
    "axis_ranges",
    "is_input_space",
    "sample_placeholder",
    "PLACEHOLDER_TEXT",
    "picks_gallery",
    "perturbation_grid",
    "discriminator_histogram",
    "vaal_training",
]
