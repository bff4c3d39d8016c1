"""Figures over whole runs: learning curves, overlap of picks between strategies, class balance."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

import numpy as np
import plotly.graph_objects as go

from ..metrics import area_under_curve, interval
from ._style import palette
from ._view import get_round

if TYPE_CHECKING:
    from ..comparison import Comparison
    from ..experiment import Experiment
    from ..session import Session

__all__ = [
    "area_under_curve",
    "jaccard_matrix",
    "learning_curves",
    "overlap_matrix",
    "class_balance",
    "as_session_dict",
    "win_matrix",
]


def _is_experiment(obj) -> bool:
    from ..experiment import Experiment

    return isinstance(obj, Experiment)


def _rgba(rgb: str, alpha: float) -> str:
    return rgb.replace("rgb(", "rgba(").replace(")", f",{alpha})")


def as_session_dict(sessions: Any) -> Comparison:
    """An :class:`alviz.comparison.Comparison` (a mapping name -> Session) from a Comparison, a dict,
    a single Session, or a list of Sessions (repeated strategies named ``name#2``, ...)."""
    from ..comparison import Comparison

    return Comparison.of(sessions)


def _finish_curves(fig, seen, title):
    lo, hi = (min(seen), max(seen)) if seen else (0.0, 1.0)
    top = 80 if "<br>" in title else 50
    fig.update_layout(
        title=dict(text=title),
        xaxis=dict(title=dict(text="labeled samples")),
        yaxis=dict(
            title=dict(text="test accuracy"), tickformat=".0%", range=[max(0.0, lo - 0.05), min(1.0, hi + 0.05) + 0.005]
        ),
        plot_bgcolor="white",
        hovermode="closest",
        margin=dict(l=60, r=20, t=top, b=50),
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eee")
    fig.update_yaxes(showgrid=True, gridcolor="#eee")
    return fig


def round_significance(exp, name: str, baseline: str, confidence: float = 0.95) -> np.ndarray:
    """(rounds,) bool: where ``name``'s accuracy differs significantly from ``baseline``'s, paired by seed.

    True where the Student-t interval of the per-seed differences excludes 0 (False with one seed,
    and for the baseline itself).
    """
    from ..experiment import interval

    acc = exp.results.pivot_table(index=["seed", "round"], columns="strategy", values="accuracy")
    d = (acc[name] - acc[baseline]).unstack("seed")  # (rounds, seeds)
    stats = np.array([interval(row, confidence) for row in d.to_numpy()]).reshape(-1, 3)
    with np.errstate(invalid="ignore"):
        return (stats[:, 1] > 0) | (stats[:, 2] < 0)


def _markers(significant: np.ndarray) -> list:
    """Filled where the difference to the baseline is significant, hollow where it is not."""
    return ["circle" if s else "circle-open" for s in significant]


def _experiment_curves(exp, confidence: float = 0.95) -> go.Figure:

    res = exp.results
    base = "random" if "random" in exp.strategies else None
    summary = exp.summary(confidence=confidence)
    fig = go.Figure()
    seen = []
    pct = f"{confidence:.0%}"
    for name, color in zip(exp.strategies, palette(len(exp.strategies))):
        g = res[res["strategy"] == name]
        per_round = [(r, gr) for r, gr in g.groupby("round", sort=True)]
        n = np.array([gr["n_labeled"].mean() for _, gr in per_round])
        stats = np.array([interval(gr["accuracy"], confidence) for _, gr in per_round]).reshape(-1, 3)
        mean, low, high = stats[:, 0], stats[:, 1], stats[:, 2]
        row = summary.loc[name]
        auc, half = row["aulc_mean"], (row["aulc_high"] - row["aulc_low"]) / 2
        label = f"{name} (AULC {auc:.3f} ± {half:.3f})" if np.isfinite(half) else f"{name} (AULC {auc:.3f}, one seed)"
        _add_band(fig, n, low, high, name, color, pct, seen)
        ok = np.isfinite(mean)
        seen.extend(mean[ok].tolist())
        sig = (
            round_significance(exp, name, base, confidence)
            if base is not None and name != base
            else np.ones(len(n), dtype=bool)
        )
        vs = (
            [f"{'significantly different from' if v else 'not significantly different from'} {base}" for v in sig]
            if base is not None and name != base
            else [""] * len(n)
        )
        fig.add_trace(
            go.Scatter(
                x=n[ok],
                y=mean[ok],
                mode="lines+markers",
                name=label,
                legendgroup=name,
                line=dict(color=color),
                marker=dict(size=7, symbol=np.array(_markers(sig))[ok].tolist()),
                customdata=np.stack([low, high, np.array(vs, dtype=object)], axis=1)[ok],
                meta={
                    "strategy": name,
                    "aulc": float(auc),
                    "aulc_low": float(row["aulc_low"]),
                    "aulc_high": float(row["aulc_high"]),
                    "significant": sig[ok].tolist(),
                },
                hovertemplate=f"{name}<br>%{{x}} labels: mean accuracy %{{y:.3f}}"
                f"<br>{pct} interval %{{customdata[0]:.3f}} – %{{customdata[1]:.3f}}"
                f"<br>%{{customdata[2]}}<extra></extra>",
            )
        )
    k = len(exp.seeds)
    hollow = (
        f"<br><sup>hollow markers: not significantly different from {base} at that round</sup>"
        if base is not None
        else ""
    )
    return _finish_curves(
        fig, seen, f"Learning curves over {k} seed{'s' if k != 1 else ''}: mean and {pct} interval (Student t){hollow}"
    )


def _add_band(fig, n, low, high, name: str, color: str, pct: str, seen: list) -> None:
    """A shaded interval (low..high over n) in the strategy's colour, grouped with its curve; extends ``seen``."""
    band = np.isfinite(low) & np.isfinite(high)
    if not band.any():
        return
    seen.extend(low[band].tolist() + high[band].tolist())
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([n[band], n[band][::-1]]),
            y=np.concatenate([high[band], low[band][::-1]]),
            fill="toself",
            fillcolor=_rgba(color, 0.18),
            line=dict(width=0),
            mode="lines",
            name=f"{name} {pct} band",
            legendgroup=name,
            showlegend=False,
            hoverinfo="skip",
            meta={"strategy": name, "band": True},
        )
    )


def _experiment_differences(exp, baseline: str, confidence: float = 0.95) -> go.Figure:

    if baseline not in exp.strategies:
        raise ValueError(f"baseline={baseline!r} is not one of the experiment's strategies {exp.strategies}")
    res = exp.results
    acc = res.pivot_table(index=["seed", "round"], columns="strategy", values="accuracy")
    n_lab = res.groupby("round")["n_labeled"].mean()
    summary = exp.summary(confidence=confidence, baseline=baseline)
    others = [s for s in exp.strategies if s != baseline]
    fig = go.Figure()
    seen = [0.0]
    pct = f"{confidence:.0%}"
    colors = palette(len(exp.strategies))
    for name in others:
        color = colors[exp.strategies.index(name)]
        d = (acc[name] - acc[baseline]).unstack("seed")  # (rounds, seeds)
        stats = np.array([interval(row, confidence) for row in d.to_numpy()]).reshape(-1, 3)
        n = n_lab.reindex(d.index).to_numpy()
        mean, low, high = stats[:, 0], stats[:, 1], stats[:, 2]
        row = summary.loc[name]
        half = (row["diff_high"] - row["diff_low"]) / 2
        label = (
            f"{name} − {baseline} (AULC {row['diff_mean']:+.3f} ± {half:.3f})"
            if np.isfinite(half)
            else f"{name} − {baseline} (AULC {row['diff_mean']:+.3f}, one seed)"
        )
        _add_band(fig, n, low, high, name, color, pct, seen)
        seen.extend(mean[np.isfinite(mean)].tolist())
        with np.errstate(invalid="ignore"):
            sig = (low > 0) | (high < 0)
        vs = np.array(["significant" if v else "not significant" for v in sig], dtype=object)
        fig.add_trace(
            go.Scatter(
                x=n,
                y=mean,
                mode="lines+markers",
                name=label,
                legendgroup=name,
                line=dict(color=color),
                marker=dict(size=7, symbol=_markers(sig)),
                customdata=np.stack([low, high, vs], axis=1),
                meta={"strategy": name, "baseline": baseline, "significant": sig.tolist()},
                hovertemplate=f"{name} − {baseline}<br>%{{x}} labels: %{{y:+.3f}}"
                f"<br>{pct} interval %{{customdata[0]:+.3f}} – %{{customdata[1]:+.3f}}"
                f" (%{{customdata[2]}})<extra></extra>",
            )
        )
    fig.add_hline(y=0, line_color="grey", line_dash="dot")
    lo, hi = min(seen), max(seen)
    k = len(exp.seeds)
    fig.update_layout(
        title=dict(
            text=f"Accuracy minus {baseline}, paired by seed ({k} seeds): mean and {pct} interval; "
            "a band clear of 0 is a real difference<br><sup>hollow markers: not significant "
            "at that round</sup>"
        ),
        xaxis=dict(title=dict(text="labeled samples")),
        yaxis=dict(title=dict(text=f"accuracy − {baseline}"), tickformat="+.0%", range=[lo - 0.01, hi + 0.01]),
        plot_bgcolor="white",
        hovermode="closest",
        margin=dict(l=60, r=20, t=80, b=50),
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eee")
    fig.update_yaxes(showgrid=True, gridcolor="#eee")
    return fig


def learning_curves(sessions: Any, confidence: float = 0.95, baseline: Optional[str] = None) -> go.Figure:
    """Test accuracy against the number of labels, one line per strategy; the legend shows each AUC.

    ``sessions`` is a Comparison / dict name -> Session / list of Sessions / one Session,
    or an :class:`alviz.experiment.Experiment`: then each strategy's line is its mean
    over seeds with a shaded band (the ``confidence`` Student-t interval of the mean,
    a ``fill="toself"`` trace with ``meta["band"]``), and the legend gives the AULC ±
    the half-width of its interval. With ``baseline`` (a strategy of the experiment,
    e.g. ``"random"``) it draws instead each other strategy's accuracy *minus* the
    baseline's, paired by seed, with its band: a band clear of 0 is a real difference.
    """
    if _is_experiment(sessions):
        if baseline is not None:
            return _experiment_differences(sessions, baseline, confidence)
        return _experiment_curves(sessions, confidence)
    if baseline is not None:
        raise ValueError(
            "baseline= needs an experiment (alviz.experiment(...)): sessions of one seed are not paired over seeds"
        )
    sess = as_session_dict(sessions)
    fig = go.Figure()
    colors = palette(len(sess))
    seen = []
    for (name, s), color in zip(sess.items(), colors):
        n, acc = s.learning_curve()
        ok = np.isfinite(acc)
        seen.extend(acc[ok].tolist())
        auc = area_under_curve(n, acc)
        label = f"{name} (AUC {auc:.3f})" if np.isfinite(auc) else f"{name} (no accuracy yet)"
        fig.add_trace(
            go.Scatter(
                x=n[ok],
                y=acc[ok],
                mode="lines+markers",
                name=label,
                meta={"auc": auc},
                line=dict(color=color),
                marker=dict(size=6),
                hovertemplate=f"{name}<br>%{{x}} labels: accuracy %{{y:.3f}}<extra></extra>",
            )
        )
    return _finish_curves(fig, seen, "Learning curves (AUC = mean accuracy over the labeled range)")


def _picks(session, r) -> set:
    if r is None:
        if not session.rounds:
            raise ValueError("a session has no rounds yet; run it first")
        return set(np.concatenate([rnd.selected for rnd in session.rounds]).tolist())
    return set(np.asarray(get_round(session, r).selected).tolist())


def jaccard_matrix(sets: list) -> np.ndarray:
    """(m, m) Jaccard similarity |A ∩ B| / |A ∪ B| of m sets (1 on the diagonal; two empty sets give 1)."""
    m = len(sets)
    J = np.ones((m, m))
    for i in range(m):
        for j in range(i + 1, m):
            union = len(sets[i] | sets[j])
            J[i, j] = J[j, i] = len(sets[i] & sets[j]) / union if union else 1.0
    return J


def overlap_matrix(sessions: Any, r: Optional[int] = None) -> go.Figure:
    """Jaccard overlap of the samples the strategies picked: in round ``r``, or over all rounds (None)."""
    sess = as_session_dict(sessions)
    names = list(sess)
    J = jaccard_matrix([_picks(s, r) for s in sess.values()])
    text = [[f"{v:.2f}" for v in row] for row in J]
    fig = go.Figure(
        go.Heatmap(
            z=J,
            x=names,
            y=names,
            zmin=0.0,
            zmax=1.0,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}",
            name="jaccard",
            hovertemplate="%{y} vs %{x}: Jaccard %{z:.2f}<extra></extra>",
            colorbar=dict(title=dict(text="Jaccard")),
        )
    )
    which = "all rounds" if r is None else f"round {get_round(next(iter(sess.values())), r).index}"
    fig.update_layout(
        title=dict(text=f"Overlap of picks ({which})"),
        yaxis=dict(autorange="reversed"),
        margin=dict(l=20, r=20, t=50, b=20),
    )
    return fig


def _strategies_balance(sessions) -> go.Figure:
    """Several strategies: one horizontal bar per strategy, all its picks over all rounds, stacked by class."""
    runs = as_session_dict(sessions)
    if len(runs) == 0:
        raise ValueError("give at least one session to count the picks of")
    names = list(runs)
    empty = [k for k in names if not runs[k].rounds]
    if empty:
        raise ValueError(f"{empty} have no rounds yet; run them first (runs.step() or session.run(...))")
    ds = runs[names[0]].dataset
    C = ds.n_classes
    counts = np.stack(
        [
            np.bincount(ds.y[np.concatenate([r.selected for r in runs[k].rounds]).astype(np.int64)], minlength=C)
            for k in names
        ]
    )  # (S, C)
    totals = np.maximum(counts.sum(axis=1), 1)
    fig = go.Figure()
    for c, color in zip(range(C), palette(C)):
        fig.add_trace(
            go.Bar(
                y=names,
                x=counts[:, c],
                orientation="h",
                name=ds.class_names[c],
                marker=dict(color=color, line=dict(color="white", width=1)),
                text=[str(v) if v else "" for v in counts[:, c]],
                textposition="inside",
                insidetextanchor="middle",
                customdata=counts[:, c] / totals,
                hovertemplate=f"%{{y}} · class {ds.class_names[c]}: %{{x}} picks (%{{customdata:.0%}})<extra></extra>",
            )
        )
    for k, name in enumerate(names):
        fig.add_annotation(
            x=int(counts[k].sum()),
            y=name,
            xanchor="left",
            showarrow=False,
            xshift=6,
            text=f"fewest {counts[k].min()} · most {counts[k].max()}",
            font=dict(size=11),
        )
    fig.update_layout(
        barmode="stack",
        title=dict(text="Class balance of all picks: an even bar asked about every class alike"),
        xaxis=dict(title=dict(text="picks, all rounds")),
        yaxis=dict(autorange="reversed", title=dict(text="strategy")),
        # one row of classes over the bars, in class order: all of them visible at once
        # (a vertical legend of 10 classes does not fit a figure of a few bars and scrolls)
        legend=dict(
            title=dict(text="class"),
            orientation="h",
            traceorder="normal",
            x=0.0,
            xanchor="left",
            y=1.0,
            yanchor="bottom",
        ),
        plot_bgcolor="white",
        height=max(280, 120 + 40 * len(names)),
        margin=dict(l=20, r=140, t=90, b=50),
        meta={"counts": {k: counts[i].tolist() for i, k in enumerate(names)}},
    )
    return fig


def class_balance(session: Session) -> go.Figure:
    """How the picks spread over the classes.

    Parameters
    ----------
    session : one Session, or several (a Comparison from :func:`alviz.compare`, a dict
        name -> Session, a list of Sessions) on the same dataset.

    Returns
    -------
    go.Figure
        One Session: one stacked bar per round, one trace per class (hover shows the share).
        Several: one horizontal bar per strategy holding all its picks over all rounds,
        stacked by class (one trace per class, the counts written in), annotated
        "fewest a · most b"; ``fig.layout.meta["counts"]`` maps each strategy to its
        picks per class (a list of C ints), for printing.
    """
    if not hasattr(session, "rounds"):
        return _strategies_balance(session)
    if not session.rounds:
        raise ValueError("the session has no rounds yet; run session.step() first")
    ds = session.dataset
    C = ds.n_classes
    counts = np.stack([np.bincount(ds.y[rnd.selected], minlength=C) for rnd in session.rounds])  # (R, C)
    rounds = [rnd.index for rnd in session.rounds]
    totals = np.maximum(counts.sum(axis=1), 1)
    fig = go.Figure()
    for c, color in zip(range(C), palette(C)):
        fig.add_trace(
            go.Bar(
                x=rounds,
                y=counts[:, c],
                name=ds.class_names[c],
                marker=dict(color=color),
                customdata=counts[:, c] / totals,
                hovertemplate=f"class {ds.class_names[c]}<br>round %{{x}}: %{{y}} picks "
                "(%{customdata:.0%})<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="stack",
        title=dict(text=f"Class balance of the picks · {session.strategy.name}"),
        xaxis=dict(title=dict(text="round"), dtick=1),
        yaxis=dict(title=dict(text="picks")),
        legend=dict(title=dict(text="class")),
        plot_bgcolor="white",
        margin=dict(l=50, r=20, t=50, b=50),
    )
    return fig


def win_matrix(experiment: Experiment) -> go.Figure:
    """How often each strategy beats each other one: the fraction of seeds where the row's AULC is
    higher than the column's (ties count half), a heatmap with the numbers written in.

    Seeds are paired (each shares one start across strategies), so 1.0 means "better on
    every seed"; a value near 0.5 means the order flips from seed to seed.
    """
    if not _is_experiment(experiment):
        raise TypeError(
            f"win_matrix needs an alviz.experiment.Experiment (alviz.experiment(...)), got {type(experiment).__name__}"
        )
    W = experiment.win_fractions()
    names = list(W.index)
    z = W.to_numpy()
    k = len(experiment.seeds)
    text = [["" if not np.isfinite(v) else f"{v:.2f}" for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=names,
            y=names,
            zmin=0.0,
            zmax=1.0,
            colorscale="RdBu",
            text=text,
            texttemplate="%{text}",
            name="wins",
            xgap=2,
            ygap=2,
            hovertemplate=f"%{{y}} beats %{{x}} on %{{z:.0%}} of {k} seeds (AULC)<extra></extra>",
            colorbar=dict(title=dict(text="wins"), tickformat=".0%"),
        )
    )
    fig.update_layout(
        title=dict(text=f"Row beats column: share of {k} seeds with the higher AULC"),
        xaxis=dict(title=dict(text="against"), side="bottom"),
        yaxis=dict(title=dict(text="strategy"), autorange="reversed"),
        plot_bgcolor="white",
        margin=dict(l=20, r=20, t=50, b=20),
    )
    return fig
