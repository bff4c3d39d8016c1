"""A static, self-contained HTML report of whole runs: opens in any browser, no kernel needed.

One file holds plotly.js inline and, per strategy, a round slider (trace
visibility toggled per round, not animation frames), the class balance of
its picks, its first pick of the last round up close and, when the strategy
reports one, its last round in the space it looks at; then all strategies
side by side on the last round, the learning curves and the overlap of picks.
At most :data:`MAX_WEBGL` figures on the page use WebGL (browsers cap live
WebGL contexts); the rest are drawn as SVG.
"""

from __future__ import annotations

import datetime
import html
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:
    import numpy as np

    from .experiment import Experiment
    from .projection import Projection

__all__ = ["write_html", "build_html", "build_experiment_html", "MAX_WEBGL"]

MAX_WEBGL = 4


class _WebGLBudget:
    """Hands out WebGL to the first figures that need it, SVG to the rest once the budget is spent."""

    def __init__(self, budget: int):
        self.left = int(budget)

    def take(self, n_drawn: int) -> bool:
        from .plot import _style

        if n_drawn > _style.WEBGL_THRESHOLD and self.left > 0:
            self.left -= 1
            return True
        return False


def _n_drawn(session, max_points: Optional[int]) -> int:
    n = len(session.dataset.X)
    return n if max_points is None else min(n, int(max_points))


def _figure_html(fig, div_id: str) -> str:
    import plotly.io as pio

    return pio.to_html(
        fig, full_html=False, include_plotlyjs=False, div_id=div_id, config={"displaylogo": False, "responsive": True}
    )


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1180px;
       padding: 0 18px 40px; color: #222; }
h1 { margin: 24px 0 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; font-size: 14px; } nav a { margin-right: 14px; }
.row { display: flex; flex-wrap: wrap; gap: 12px; } .row > div { flex: 1 1 460px; min-width: 0; }
.note { color: #666; font-size: 13px; }
table.summary { border-collapse: collapse; font-size: 14px; } table.summary td, table.summary th {
  padding: 3px 10px; border-bottom: 1px solid #eee; text-align: right; }
"""


def _page(title: str, body: str) -> str:
    from plotly.offline import get_plotlyjs

    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n<style>{_CSS}</style>\n'
        f'<script type="text/javascript">{get_plotlyjs()}</script>\n</head>\n<body>\n{body}\n</body>\n</html>\n'
    )


def _fmt_interval(mean: float, low: float, high: float) -> str:
    import math

    if not math.isfinite(low):
        return f"{mean:.3f}"
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def build_experiment_html(exp: Experiment, title: Optional[str] = None) -> str:
    """The report of an :class:`alviz.experiment.Experiment` as one HTML string: the summary table
    (means and 95% Student-t intervals over seeds, paired differences to ``random``), the learning
    curves with their bands, the paired differences to ``random`` over rounds and the win matrix."""
    from . import plot

    esc = html.escape
    ds = exp.dataset
    summ = exp.summary()
    res = exp.results
    n_rounds = int(res["round"].max()) + 1 if len(res) else 0
    title = title or f"alviz experiment · {ds.name}"
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">dataset <b>{esc(ds.name)}</b> · pool {len(ds.X):,} · test {len(ds.X_test):,} · '
        f"{len(exp.strategies)} strategies × {len(exp.seeds)} seeds ({', '.join(map(str, exp.seeds))}) · "
        f"{n_rounds} rounds · made {datetime.datetime.now():%Y-%m-%d %H:%M}</p>",
        '<p class="note">Each seed is one start shared by all strategies (the same initial labeled set and '
        "model seed), so differences are paired by seed. Intervals: 95% Student t over seeds. AULC = mean "
        "accuracy over the labeled range.</p>",
        "<h2>Summary</h2>",
    ]
    has_diff = "diff_mean" in summ.columns
    head = (
        "<tr><th>strategy</th><th>seeds</th><th>AULC [95%]</th><th>final accuracy [95%]</th>"
        + ("<th>AULC − random, paired [95%]</th><th>beats random</th>" if has_diff else "")
        + "</tr>"
    )
    rows = []
    for name, r in summ.iterrows():
        cells = [
            esc(str(name)),
            str(int(r["n_seeds"])),
            _fmt_interval(r["aulc_mean"], r["aulc_low"], r["aulc_high"]),
            _fmt_interval(r["final_mean"], r["final_low"], r["final_high"]),
        ]
        if has_diff:
            cells.append(
                "baseline"
                if r["verdict"] == "the baseline"
                else f"{_fmt_interval(r['diff_mean'], r['diff_low'], r['diff_high'])} · {esc(r['verdict'])}"
            )
            cells.append("" if r["wins"] != r["wins"] else f"{r['wins']:.0%}")
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    parts.append(f'<table class="summary">{head}{"".join(rows)}</table>')
    parts.append("<h2>Learning curves</h2>")
    parts.append(_figure_html(plot.learning_curves(exp), "alviz-fig-curves"))
    if has_diff:
        parts.append(
            '<p class="note">Each strategy minus random, seed by seed (both from the same start): '
            "where the band stays clear of 0 the difference is larger than the seed-to-seed noise.</p>"
        )
        parts.append(_figure_html(plot.learning_curves(exp, baseline="random"), "alviz-fig-differences"))
    parts.append("<h2>Who beats whom</h2>")
    parts.append(_figure_html(plot.win_matrix(exp), "alviz-fig-wins"))
    return _page(title, "\n".join(parts))


def build_html(
    sessions: Any,
    coords: np.ndarray | Projection | None = None,
    title: Optional[str] = None,
    seed: int = 0,
    max_points: Optional[int] = 20000,
    overlay: bool = True,
    strategy_spaces: bool = True,
) -> str:
    """The report as one HTML string (see :func:`write_html`)."""
    from . import plot, projection
    from .plot import as_session_dict

    sess = as_session_dict(sessions)
    for name, s in sess.items():
        if not s.rounds:
            raise ValueError(f"session {name!r} has no rounds; run it (session.run(rounds)) before reporting")
    first = next(iter(sess.values()))
    ds = first.dataset
    sess.check()
    if coords is None:
        coords = projection.reference(ds, seed=seed)
    webgl = _WebGLBudget(MAX_WEBGL)
    parts = []
    ids = iter(range(10**6))

    def fig_div(fig) -> str:
        return _figure_html(fig, f"alviz-fig-{next(ids)}")

    esc = html.escape
    title = title or f"alviz report · {ds.name}"
    nav = (
        " ".join(f'<a href="#s-{i}">{esc(n)}</a>' for i, n in enumerate(sess))
        + ' <a href="#compare">comparison</a> <a href="#curves">learning curves</a> <a href="#overlap">overlap</a>'
    )
    rounds = max(len(s.rounds) for s in sess.values())
    parts.append(f"<h1>{esc(title)}</h1>")
    parts.append(
        f'<p class="meta">dataset <b>{esc(ds.name)}</b> · pool {len(ds.X):,} · test {len(ds.X_test):,} · '
        f"{ds.n_classes} classes · {len(sess)} strategies · {rounds} rounds of {first.budget} · "
        f"{first.rounds[0].metrics.get('n_labeled', len(first.rounds[0].labeled))} labeled at the start · "
        f"seed {first.seed} · made {datetime.datetime.now():%Y-%m-%d %H:%M}</p>"
    )
    parts.append(f"<nav>{nav}</nav>")
    parts.append(
        '<p class="note">Points: the pool in a fixed 2-D picture (UMAP of the inputs; 2-D toy data is '
        "drawn as is). Grey = unlabeled, coloured = labeled (by class), large ringed = the round's picks "
        "with their pick rank. Move a slider to step through the rounds; hover a point for its index, "
        "class, prediction and score.</p>"
    )

    for i, (name, s) in enumerate(sess.items()):
        parts.append(f'<h2 id="s-{i}">{esc(name)}</h2>')
        if overlay:  # the arrows' inputs placed in the picture, kept in the rounds (the pictures place nothing)
            try:
                s.place_inputs(coords)
            except ValueError:
                pass  # not a picture of the inputs: the round picture's note says so
        fig = plot.round_slider(
            s, coords, overlay=overlay, max_points=max_points, webgl=webgl.take(_n_drawn(s, max_points))
        )
        parts.append(fig_div(fig))
        last = s.rounds[-1]
        top = int(last.selected[0])
        sample = plot.sample(ds, top, proba=last.proba, score=float(last.scores[top]), rank=0)
        sample.update_layout(title=dict(text=f"last round's first pick: {sample.layout.title.text}"))
        parts.append(f'<div class="row"><div>{fig_div(plot.class_balance(s))}</div><div>{fig_div(sample)}</div></div>')
        if strategy_spaces and "representation" in last.extras:
            space = projection.strategy_space(last, seed=seed)
            fig = plot.round(
                s, space, r=-1, overlay=overlay, max_points=max_points, webgl=webgl.take(_n_drawn(s, max_points))
            )
            what = last.extras.get("representation_name", "its representation")
            fig.update_layout(title=dict(text=f"{name}, last round, in the space it looks at: {what}"))
            parts.append(fig_div(fig))

    parts.append('<h2 id="compare">Side by side: the last round</h2>')
    cmp = plot.compare_round(sess, coords, r=-1, max_points=max_points, webgl=webgl.take(_n_drawn(first, max_points)))
    parts.append(fig_div(cmp))
    parts.append('<h2 id="curves">Learning curves</h2>')
    parts.append(fig_div(plot.learning_curves(sess)))
    parts.append('<h2 id="overlap">Overlap of picks</h2>')
    parts.append(
        '<p class="note">Jaccard similarity |A ∩ B| / |A ∪ B| of the samples two strategies picked over '
        "all rounds (1 = the same picks).</p>"
    )
    parts.append(fig_div(plot.overlap_matrix(sess)))

    return _page(title, "\n".join(parts))


def write_html(
    sessions: Any,
    path: str | Path,
    coords: np.ndarray | Projection | None = None,
    title: Optional[str] = None,
    seed: int = 0,
    max_points: Optional[int] = 20000,
    overlay: bool = True,
    strategy_spaces: bool = True,
) -> Path:
    """Write one self-contained HTML report of ``sessions`` to ``path`` and return the path.

    Parameters
    ----------
    sessions : a Comparison / dict name -> Session (e.g. ``alviz.compare(...)``), a list of Sessions,
        or one Session. They must share one pool and have at least one round each.
        Or an :class:`alviz.experiment.Experiment`: then the page holds its summary table, learning
        curves with 95% bands and win matrix (the other parameters, except ``title``, are unused).
    path : where to write (the folder must exist).
    coords : (n_pool, 2) array, optional. Default ``alviz.projection.reference(dataset, seed)``.
    title : str, optional.
    max_points : int or None, per figure (see ``alviz.plot.round``).
    overlay : bool, draw each strategy's diagnostics in its round slider (the inputs its arrows draw are
        first placed in ``coords`` with :meth:`alviz.Session.place_inputs`, kept in the sessions' rounds).
    strategy_spaces : bool, for a strategy whose last round carries ``extras["representation"]``
        (VAE latent, gradient or contrastive embedding), also draw that round in a UMAP of
        it: "the space this strategy looks at" (one UMAP fit each, cached).
    """
    from ._cache import atomic_write_bytes

    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {folder} does not exist")
    from .experiment import Experiment

    if isinstance(sessions, Experiment):
        atomic_write_bytes(path, build_experiment_html(sessions, title=title).encode("utf-8"))
        return path
    text = build_html(
        sessions,
        coords=coords,
        title=title,
        seed=seed,
        max_points=max_points,
        overlay=overlay,
        strategy_spaces=strategy_spaces,
    )
    atomic_write_bytes(path, text.encode("utf-8"))
    return path
