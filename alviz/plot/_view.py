"""What one round's picture is made of: the points drawn, their colours and hover text.

A :class:`View` is built once per figure (``make_view``) and handed to the
base layer and to every overlay, so they agree on which pool points are drawn
(all of them, or a seeded class-stratified sample past ``max_points``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional

import numpy as np

from .._validation import as_generator, check_int
from ..diagnostics import PER_POOL, diagnostic_kind
from . import _style
from ._style import Coloring, class_coloring, value_coloring

if TYPE_CHECKING:
    from .._validation import RandomLike
    from ..session import Round

__all__ = ["View", "make_view", "color_options", "stratified_sample", "get_round"]


def get_round(session, r: int):
    """``session.rounds[r]`` with an error that says what to do."""
    n = len(session.rounds)
    if n == 0:
        raise ValueError("the session has no rounds yet; run session.step() first")
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not -n <= int(r) < n:
        raise ValueError(f"r={r!r}: the session has {n} round(s); pass an int in {-n}..{n - 1}")
    return session.rounds[int(r)]


def color_options(rnd: Round) -> list:
    """Valid ``color_by`` values for a round: "class", "score", "predicted" and its diagnostics declared
    per pool sample (kind ``PER_POOL``, :data:`alviz.diagnostics.DIAGNOSTICS`); the shape is only
    checked, never used to guess what a diagnostic is."""
    n = len(rnd.scores)
    out = ["class", "score"]
    if rnd.proba is not None:
        out.append("predicted")
    for key, v in rnd.extras.items():
        if key in out or diagnostic_kind(key) != PER_POOL or not isinstance(v, np.ndarray):
            continue
        if v.shape == (n,) and (np.issubdtype(v.dtype, np.number) or v.dtype == bool):
            out.append(key)
    return out


def stratified_sample(idx: Any, y: Any, m: int, rng: RandomLike = None) -> np.ndarray:
    """``m`` of the indices ``idx``, seeded, with each class in proportion to its share (sorted)."""
    idx = np.asarray(idx, dtype=np.int64)
    if m >= len(idx):
        return idx.copy()
    if m <= 0:
        return np.zeros(0, dtype=np.int64)
    rng = as_generator(rng)
    cls = np.asarray(y)[idx]
    classes, counts = np.unique(cls, return_counts=True)
    quota = counts * m / len(idx)
    take = np.floor(quota).astype(np.int64)
    rest = m - int(take.sum())
    if rest > 0:  # largest remainders first, ties by class order
        take[np.argsort(-(quota - take), kind="stable")[:rest]] += 1
    out = [rng.choice(idx[cls == c], size=int(t), replace=False) for c, t in zip(classes, take) if t > 0]
    return np.sort(np.concatenate(out)).astype(np.int64)


@dataclass
class View:
    """One round drawn on one set of coordinates.

    unlabeled : drawn unlabeled, not-picked indices (maybe a sample); labeled; selected (pick order).
    shown : everything drawn (unlabeled + labeled + selected), sorted.
    """

    dataset: Any  # an alviz.datasets.Dataset (duck-typed: the pictures import no Session)
    rnd: Any  # an alviz.session.Round
    coords: np.ndarray
    color_by: str
    coloring: Coloring
    unlabeled: np.ndarray
    labeled: np.ndarray
    selected: np.ndarray
    n_unlabeled_total: int
    webgl: bool
    allow_inset: bool = True
    notes: list = field(default_factory=list)

    @property
    def n_pool(self) -> int:
        return len(self.coords)

    @property
    def shown(self) -> np.ndarray:
        return np.sort(np.concatenate([self.unlabeled, self.labeled, self.selected]))

    @property
    def sampled(self) -> bool:
        return len(self.unlabeled) < self.n_unlabeled_total

    def xy(self, idx) -> tuple:
        idx = np.asarray(idx, dtype=np.int64)
        return self.coords[idx, 0], self.coords[idx, 1]

    def hover(self, idx, prefix: Optional[list] = None) -> list:
        """One hover string per index: pool index, true class, prediction, score, the colour value."""
        idx = np.asarray(idx, dtype=np.int64)
        names = self.dataset.class_names
        y = self.dataset.y
        pred = self.rnd.predicted
        scores = self.rnd.scores
        extra = None
        if self.color_by not in ("class", "score", "predicted"):
            extra = np.asarray(self.rnd.extras[self.color_by])
        out = []
        for j, i in enumerate(idx):
            s = f"#{i} · class {names[y[i]]}"
            if pred is not None:
                s += f"<br>predicted {names[pred[i]]}"
            if np.isfinite(scores[i]):
                s += f"<br>score {scores[i]:.4g}"
            if extra is not None:
                v = extra[i]
                s += (
                    f"<br>{self.color_by} {v:.4g}"
                    if np.issubdtype(extra.dtype, np.floating)
                    else f"<br>{self.color_by} {v}"
                )
            if prefix is not None:
                s = prefix[j] + "<br>" + s
            out.append(s)
        return out


def _coloring(dataset, rnd, color_by: str) -> Coloring:
    opts = color_options(rnd)
    if color_by not in opts:
        raise ValueError(f"color_by={color_by!r} is not available for this round; choose one of {opts}")
    if color_by == "class":
        return class_coloring(dataset.y, dataset.class_names)
    if color_by == "score":
        return value_coloring(rnd.scores, "score")
    if color_by == "predicted":
        pred = rnd.extras.get("predicted", rnd.predicted)
        return class_coloring(np.asarray(pred), dataset.class_names, "predicted")
    return value_coloring(rnd.extras[color_by], color_by)


def check_coords(coords: Any, n_pool: int) -> Any:
    """``coords`` checked: one finite 2-D point per pool sample. A :class:`alviz.projection.Projection`
    is returned as it is (it keeps its ``transform``), anything else as a float64 array."""
    from ..projection import Projection

    c = np.asarray(coords, dtype=np.float64)
    if c.shape != (n_pool, 2):
        raise ValueError(
            f"coords has shape {c.shape}; it must be one 2-D point per pool sample ({n_pool}, 2), "
            "e.g. alviz.projection.reference(dataset)"
        )
    if not np.all(np.isfinite(c)):
        raise ValueError("coords has NaN or inf values; every pool sample needs a position")
    return coords if isinstance(coords, Projection) else c


#: the one-line caution every UMAP picture carries (docs/design.md, "What a picture's space means")
UMAP_CAUTION = "island sizes and the gaps between islands are not distances"


def space_caption(dataset, coords) -> str:
    """What space a picture shows, in one line: the input plane, a UMAP (with its caution), a PCA, model space.

    Parameters
    ----------
    dataset : the Dataset drawn.
    coords : the (n_pool, 2) positions: an :class:`alviz.projection.Projection` (which knows its
        ``kind`` and ``space``) or a plain array.

    Returns
    -------
    str
    """
    from ..projection import Projection

    kind = getattr(coords, "kind", None) if isinstance(coords, Projection) else None
    space = getattr(coords, "space", "") if kind else ""
    c = np.asarray(coords)
    if kind == "input" or (
        kind is None
        and getattr(dataset, "is_2d", False)
        and c.shape == dataset.X.shape
        and np.array_equal(c, np.asarray(dataset.X, dtype=c.dtype))
    ):
        return "input plane: the data's own two features (distances are real)"
    if kind == "umap":
        return f"UMAP of {space}: {UMAP_CAUTION}"
    if kind == "aligned":
        return f"model space: UMAP of {space}, aligned across rounds; {UMAP_CAUTION}"
    if kind == "pca":
        return f"PCA of {space}: the first two principal components (a linear view)"
    return "given 2-D coordinates (alviz does not know their space)"


def make_view(
    dataset,
    rnd,
    coords,
    color_by: str = "class",
    max_points: Optional[int] = 20000,
    webgl: Optional[bool] = None,
    sample_seed: int = 0,
    allow_inset: bool = True,
) -> View:
    """Decide what is drawn: all labeled and picked points, and the unlabeled ones (or a sample)."""
    n = len(dataset.X)
    c = check_coords(coords, n)
    if len(rnd.scores) != n:
        raise ValueError(f"the round has {len(rnd.scores)} scores but the dataset {n} samples: not the same pool")
    coloring = _coloring(dataset, rnd, color_by)
    labeled = np.asarray(rnd.labeled, dtype=np.int64)
    selected = np.asarray(rnd.selected, dtype=np.int64)
    rest = np.ones(n, dtype=bool)
    rest[labeled] = False
    rest[selected] = False
    unl = np.flatnonzero(rest)
    notes = [space_caption(dataset, coords)]
    if max_points is not None:
        check_int(max_points, "max_points", 1, hint="or None to draw everything")
        if n > max_points:
            m = max(0, int(max_points) - len(labeled) - len(selected))
            unl = stratified_sample(unl, dataset.y, m, np.random.default_rng(sample_seed))
    n_drawn = len(unl) + len(labeled) + len(selected)
    use_gl = n_drawn > _style.WEBGL_THRESHOLD if webgl is None else bool(webgl)
    return View(
        dataset, rnd, c, color_by, coloring, unl, labeled, selected, int(rest.sum()), use_gl, allow_inset, notes
    )
