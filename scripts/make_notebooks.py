"""Write the teaching notebooks in ``notebooks/`` from the cell sources below.

The notebooks are stored without outputs and generated from this one file, so
a change to a lesson is a reviewable diff of plain Python strings:

    python scripts/make_notebooks.py            # (re)write notebooks/*.ipynb
    python scripts/make_notebooks.py --check    # exit 1 if a notebook differs from this file

Notebooks only ``import alviz``; they never re-implement it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
NB_DIR = ROOT / "notebooks"


def md(text: str):
    return ("markdown", text.strip("\n"))


def code(text: str):
    return ("code", text.strip("\n"))


# ============================================================================ 00
QUICKSTART = [
    md("""
# alviz quickstart: one strategy, three rounds, the explorer

Active learning trains a model on a few labeled samples, lets a **query
strategy** pick the next samples to label, reveals their labels (the
oracle), retrains, and repeats. alviz makes each round visible: in a fixed
2-D picture of the pool you see which samples were picked and why.

Here: the digits pool (1 347 grey 8×8 images, 10 classes), the **margin**
strategy, three rounds, then the interactive explorer.
"""),
    code("""
import alviz

ds = alviz.datasets.load_digits(seed=0)
ds
"""),
    md("""
## A session

A `Session` holds the pool, the task model (a small MLP by default), the
strategy and the rounds. `initial=20` samples start labeled (stratified by
class); each round picks `budget=10` more.

**margin** scores every unlabeled sample by −(p₁ − p₂), the gap between the
two most probable classes, and picks the highest: the samples the model is
torn between two classes about.
"""),
    code("""
session = alviz.Session(ds, strategy="margin", initial=20, budget=10, seed=0)
session.run(3)
for rnd in session.rounds:
    picked = [ds.class_names[c] for c in ds.y[rnd.selected]]
    print(f"round {rnd.index}: {rnd.metrics['n_labeled']} labeled, "
          f"test accuracy {rnd.metrics['accuracy']:.3f}, picked classes {picked}")
"""),
    md("""
## The picture

`alviz.projection.reference` is a UMAP of the pool, fitted once and cached on
disk: every round is drawn in the same coordinates, so rounds can be compared.
Small points are unlabeled, dark ones were labeled before the round, the big
numbered markers are this round's picks (the number is the pick order).
Colored by score, the picture shows where the model is unsure.
"""),
    code("""
coords = alviz.projection.reference(ds, seed=0)
alviz.plot.round(session, coords, r=-1, color_by="score")
"""),
    md("""
## The explorer

- **Next round** runs one more round (`session.step()`); the button is
  disabled and a progress bar shows while it runs.
- The **round** slider goes back and forth over past rounds; nothing is
  recomputed.
- **color by**: the class, the strategy's score, the prediction, or one of
  the strategy's own diagnostics.
- **Click a point** to inspect it: its image, true label, predicted
  probabilities, and its score and rank this round.
"""),
    code("""
explorer = alviz.widgets.RoundExplorer(session, coords)
explorer
"""),
    md("""
Everything the buttons do can be done from code: `explorer.next_round()` is
one click on **Next round**, `explorer.inspect(i)` one click on sample `i`.
"""),
    code("""
explorer.next_round()
first_pick = int(session.rounds[-1].selected[0])
explorer.inspect(first_pick)
print(session)
print("first pick of the last round:", first_pick, "- a", ds.class_names[ds.y[first_pick]])
"""),
    md("""
Which confusions did the model have? For each pick of the first round, the
two classes it was torn between (its two most probable classes):
"""),
    code("""
rnd = session.rounds[0]
top2 = rnd.proba[rnd.selected].argsort(axis=1)[:, -2:]
pairs = sorted({tuple(sorted(ds.class_names[c] for c in pair)) for pair in top2})
print(f"round 0: {len(rnd.selected)} picks, {len(pairs)} different pairs of classes: {pairs}")
"""),
    md("""
## What to look for

- Colored by class, UMAP separates the ten digits into islands; only a few
  points per island are labeled.
- Colored by score, most of the pool is dark: the model is already sure.
  The bright points sit on the fringes of the islands and in the thin
  strands between them: that is where margin looks.
- Step rounds with **Next round** and watch the learning curve: each round
  adds 10 labels.

## What surprised us

- We expected one round's ten picks to come from one or two confusions
  (say, 3 vs 8). They do not: in round 0 the ten picks are spread over
  seven different pairs of classes. With 20 labels the model is unsure in
  many places at once, so margin's batch is diverse by accident.
- Many picks sit *inside* an island in this picture. The picture is a UMAP
  of the raw pixels; the model's boundary lives in its own feature space, so
  "near the boundary" does not have to look like "between two islands".
"""),
]

# ============================================================================ 01
CLASSIC = [
    md("""
# Classic strategies: uncertainty, committees, expected change and error, core-set

The classic strategies are the baselines every newer method is measured
against. We run them first on a 2-D toy set, where the input space *is* the
picture, then on digits.

| family | strategies | picks |
|---|---|---|
| uncertainty | `least_confidence`, `margin`, `entropy` | where the model's probabilities are least decided |
| committee (QBC) | `qbc_vote_entropy`, `qbc_kl` | where 5 models trained on bootstrap resamples disagree |
| expected model change | `egl` | where the expected gradient of the last layer is longest |
| expected error reduction | `eer` | the candidate whose label would most lower the expected pool loss |
| geometry | `coreset` | the point farthest from everything labeled (k-center greedy) |
| baseline | `random` | uniformly at random |
"""),
    code("""
import numpy as np
import alviz

toy = alviz.datasets.make_toy("moons", n=400, seed=0)
toy_coords = alviz.projection.reference(toy)      # a 2-D toy set is its own picture
strategies = ["random", "least_confidence", "margin", "entropy", "qbc_vote_entropy", "qbc_kl",
              "egl", "eer", "coreset"]
runs = alviz.compare(toy, strategies, rounds=3, budget=8, seed=0, initial=8)
for name, s in runs.items():
    print(f"{name:18s} accuracy by round: {np.round(s.learning_curve()[1], 3).tolist()}")
"""),
    md("""
## All of them, same start, third round

Every session starts from the same 8 labeled points with the same seed, so
differences are the strategies' own.
"""),
    code("""
alviz.plot.compare_round(runs, toy_coords, r=-1)
"""),
    md("""
## Uncertainty: the score is a function of the probabilities only

The three uncertainty scores rank the samples almost the same way in a
two-class problem (for two classes they are monotone in each other). The
coloring by score shows a band along the model's decision boundary.
"""),
    code("""
alviz.plot.round(runs["entropy"], toy_coords, r=-1, color_by="score")
"""),
    md("""
## Committees: disagreement, not uncertainty

`qbc_vote_entropy` trains five copies of the task model on bootstrap
resamples of the labeled set. Where all five vote the same class the vote
entropy is 0, however unsure each member is. Color by the diagnostic to see
where the members disagree.
"""),
    code("""
qbc_round = runs["qbc_vote_entropy"].rounds[-1]
print("diagnostics:", [k for k in qbc_round.extras])
alviz.plot.round(runs["qbc_vote_entropy"], toy_coords, r=-1, color_by="score")
"""),
    md("""
## Expected model change and expected error reduction

`egl` scores Σ_c p_c ‖∇ℓ(x, c)‖ over the last layer (in closed form);
`eer` refits a cheap surrogate for each (candidate, class) on a random
subsample of candidates, so only that subsample has a score (the rest are
NaN and drawn grey).
"""),
    code("""
alviz.plot.round(runs["eer"], toy_coords, r=-1, color_by="score")
"""),
    md("""
## Core-set: geometry, no model uncertainty

k-center greedy picks, one after the other, the unlabeled point farthest
from its nearest labeled (or already picked) point. The overlay links each
pick to its nearest center; the covering radius shrinks pick by pick.
"""),
    code("""
cs = runs["coreset"].rounds[-1]
print("covering radius after each pick:", np.round(cs.extras["covering_radius"], 3).tolist())
alviz.plot.round(runs["coreset"], toy_coords, r=-1, overlay=True)
"""),
    md("""
## On digits

The same comparison on digits with four representatives, and the learning
curves. Use the explorer to step all four in lock-step.
"""),
    code("""
ds = alviz.datasets.load_digits(seed=0)
coords = alviz.projection.reference(ds, seed=0)
digit_runs = alviz.compare(ds, ["random", "margin", "qbc_kl", "coreset"], rounds=3, budget=10, seed=0)
alviz.plot.learning_curves(digit_runs)
"""),
    code("""
compare = alviz.widgets.CompareExplorer(digit_runs, coords)
compare
"""),
    md("""
## What to look for

- Uncertainty, committee and `egl` picks bunch up along the *model's*
  current boundary (which in early rounds is not the true one); `random`
  and `coreset` spread over the whole pool.
- `eer` is the only strategy here that looks at what a label would *do* to
  the whole pool; its picks land in the gap between the two moons, where the
  true boundary runs.

## What surprised us

- For two classes `least_confidence`, `margin` and `entropy` pick exactly
  the same samples in the same order, and `egl` the same set in another
  order: all four are functions of one number, p(class 1).
- Uncertainty batches are redundant: in round 2 most of the eight picks sit
  in two tight bunches. After 24 labels `random` (91%) beats all three
  uncertainty scores (89%); `eer` (92%) and `coreset` (92%) are best, and
  `qbc_vote_entropy` is worst (80%). Its score is coarse: five members
  voting on two classes split 5–0, 4–1 or 3–2, so the vote entropy takes three
  values and in round 0 83 samples tie for the top (alviz breaks the ties by
  the committee's mean entropy). One small toy run proves nothing about which
  strategy is better; notebook 05 compares over more rounds.
"""),
]

NOTEBOOKS = {
    "00_quickstart": QUICKSTART,
    "01_classic_strategies": CLASSIC,
}


def build(cells) -> nbformat.NotebookNode:
    """A notebook (nbformat 4, no outputs) with stable cell ids, so regenerating gives the same file."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    out = []
    for i, (kind, src) in enumerate(cells):
        cell = new_markdown_cell(src) if kind == "markdown" else new_code_cell(src)
        cell.id = f"cell-{i:02d}"
        out.append(cell)
    nb.cells = out
    return nb


def render(cells) -> str:
    return nbformat.writes(build(cells)) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that notebooks/ matches this file")
    args = ap.parse_args(argv)
    NB_DIR.mkdir(exist_ok=True)
    stale = []
    for stem, cells in NOTEBOOKS.items():
        path = NB_DIR / f"{stem}.ipynb"
        text = render(cells)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print("out of date (run python scripts/make_notebooks.py):", ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
