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
  the same samples in the same order: all three are functions of one
  number, p(class 1). `egl` multiplies a function of it by ‖h‖ (the size of
  the features), which reorders the picks but, here, keeps the same set.
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

# ============================================================================ 02
VAAL = [
    md("""
# VAAL: a VAE, a discriminator, and what "unlabeled-looking" means

VAAL (Sinha, Ebrahimi & Darrell, ICCV 2019) never looks at the task model.
Each round it trains, from scratch, on labeled ∪ unlabeled:

- a **VAE** that encodes each sample to a latent mean μ (32 numbers), and
- a **discriminator** D(μ) → P(labeled).

D learns to tell the labeled set from the rest; the VAE is trained to fool
it (to make *everything* look labeled). The query, in the paper, is the
unlabeled samples with the **lowest** D(μ): the ones D is surest are not
like the labeled set. alviz also offers `criterion="confusion"`: D(μ)
closest to 0.5, where D is least sure. Same start, both criteria:
"""),
    code("""
import numpy as np
import plotly.graph_objects as go
import alviz

ds = alviz.datasets.load_digits(seed=0)
coords = alviz.projection.reference(ds, seed=0)
both = alviz.compare(ds, [alviz.strategies.get("vaal", criterion="lowest"),
                          alviz.strategies.get("vaal", criterion="confusion")],
                     rounds=3, budget=10, seed=0)
runs = {"vaal (lowest D)": both["vaal"], "vaal (confusion)": both["vaal#2"]}
for name, s in runs.items():
    print(f"{name:18s} accuracy by round: {np.round(s.learning_curve()[1], 3).tolist()}")
"""),
    md("""
## The discriminator's view

Colored by D(μ) = P(labeled) in the fixed picture of the pool. The overlay
shades the picture by the mean P(labeled) of the points in each area.
"""),
    code("""
lowest = runs["vaal (lowest D)"]
alviz.plot.round(lowest, coords, r=-1, color_by="discriminator_p_labeled")
"""),
    md("""
## The VAE latent

VAAL looks at the latent means μ, not at the pixels. A UMAP of μ (fitted
once and cached) is VAAL's own picture of the pool; the same round, drawn
there:
"""),
    code("""
rnd = lowest.rounds[-1]
print(rnd.extras["representation_name"], rnd.extras["mu"].shape)
latent_coords = alviz.projection.fit(rnd.extras["mu"], seed=0)
alviz.plot.round(lowest, latent_coords, r=-1, color_by="discriminator_p_labeled")
"""),
    md("""
## Is the discriminator learning anything?

A discriminator that has learned nothing outputs 0.5 for everyone, and its
loss BCE(labeled → 1) + BCE(unlabeled → 0) sits at 2·ln 2 ≈ 1.386. Look at
the distribution of D(μ) for labeled and unlabeled samples, and at the loss
curves of the last round:
"""),
    code("""
D = rnd.extras["discriminator_p_labeled"]
is_labeled = np.zeros(len(D), dtype=bool)
is_labeled[rnd.labeled] = True
print(f"D(μ) labeled: mean {D[is_labeled].mean():.3f} · unlabeled: mean {D[~is_labeled].mean():.3f}, "
      f"range {D[~is_labeled].min():.3f}..{D[~is_labeled].max():.3f}")
print("D(μ) of the picks:", np.round(D[rnd.selected], 3).tolist())
hist = go.Figure([go.Histogram(x=D[~is_labeled], name="unlabeled", histnorm="probability density", nbinsx=60),
                  go.Histogram(x=D[is_labeled], name="labeled", histnorm="probability density", nbinsx=30)])
hist.update_traces(opacity=0.6)
hist.update_layout(barmode="overlay", title="What the discriminator says", xaxis_title="D(μ) = P(labeled)")
hist
"""),
    code("""
losses = go.Figure([go.Scatter(y=rnd.extras["vae_loss"], name="VAE"),
                    go.Scatter(y=rnd.extras["discriminator_loss"], name="discriminator")])
losses.add_hline(y=2 * np.log(2), line_dash="dot", annotation_text="2·ln 2: D knows nothing")
losses.update_layout(title="VAAL training, last round", xaxis_title="training step", yaxis_title="loss",
                     yaxis_type="log")
losses
"""),
    md("""
## Lowest D vs confusion

The two criteria read the same discriminator in opposite ways. How much
do their picks overlap, and how do the learning curves compare?
"""),
    code("""
alviz.plot.overlap_matrix(runs)
"""),
    code("""
explorer = alviz.widgets.CompareExplorer(runs, coords)
explorer
"""),
    md("""
Step one VAAL session on its own, colored by the discriminator:
"""),
    code("""
single = alviz.widgets.RoundExplorer(lowest, coords, color_by="discriminator_p_labeled")
single
"""),
    md("""
## What to look for

- Where D(μ) is low: in the paper's reading, the areas least like the
  labeled set. Compare with where the labeled points are.
- The histogram: if the labeled and unlabeled distributions overlap
  completely, D has not separated the two sets, and the ranking is decided
  by small differences.

## What surprised us

- On digits with 20–40 labels the discriminator barely learns: its loss
  stays at 2·ln 2 and every D(μ) lies within a few hundredths of 0.5 (see
  the printed range). This is the "D stuck at 0.5" that users report for
  VAAL. The VAE's adversarial term is doing its job (making every sample
  look labeled) so well that D has nothing to hold on to, and with so few
  labeled samples the two sets are hard to tell apart anyway.
- Because D is so flat, both criteria decide on differences in the third
  decimal of D(μ), and they pick almost disjoint sets (Jaccard 0.02). In
  this run the lowest-D picks also bunch up in one area of the picture. The
  confusion criterion happened to do better here, but with a discriminator
  this flat that is luck, not a signal; and neither beats plain margin
  (notebook 05).
"""),
]

# ============================================================================ 03
ADVERSARIAL = [
    md("""
# Adversarial querying: DeepFool, BIM and the input-gradient norm

Ducoffe & Precioso (2018): the distance from a sample to the decision
boundary is hard to compute, but an adversarial attack gives an upper bound
on it. The smallest perturbation r that flips the model's prediction is
short for samples near the boundary, so **small ‖r‖ = informative**.

- `dfal`: DeepFool, which linearises the model and steps to the nearest
  linearised boundary, repeated until the prediction flips. Score −‖r‖.
- `bim`: iterative FGSM, steps of size ε (0.05) along the sign of the
  gradient until the prediction flips (capped at 100 steps). Score −‖η‖.
- `gradnorm`: the norm of ∇ₓ loss at the predicted label. Highest first.

All three need gradients through the task model (an alviz torch model).
First a 2-D toy set, where the input space *is* the picture.
"""),
    code("""
import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import alviz

toy = alviz.datasets.make_toy("moons", n=400, seed=0)
runs = alviz.compare(toy, ["dfal", "bim", "gradnorm", "margin"], rounds=2, budget=8, seed=0, initial=8)
for name, s in runs.items():
    print(f"{name:9s} picks by round:", [sorted(r.selected.tolist()) for r in s.rounds])
"""),
    md("""
## ‖r‖ is the distance to the boundary

In 2-D, DeepFool's ‖r‖ is (almost exactly) the distance from each point to
the model's boundary: colored by `perturbation_norm`, the picture shows
the boundary as the dark valley. The overlay draws each pick's arrow x → x + r;
hover a pick to see ‖r‖, the class it flips to and the iterations taken.
"""),
    code("""
alviz.plot.round(runs["dfal"], toy.X, r=-1, color_by="perturbation_norm")
"""),
    md("""
## BIM's steps are all the same size

Every BIM step adds ε·sign(∇ₓ): in d dimensions a step has length ε·√d, so
‖η‖ can only take a few values. How many samples share each value?
"""),
    code("""
bim = runs["bim"].rounds[0]
norms = bim.extras["perturbation_norm"]
values, counts = np.unique(np.round(norms[~np.isnan(norms)], 4), return_counts=True)
print("smallest ‖η‖ values:", values[:4].tolist(), "shared by", counts[:4].tolist(), "samples")
print("iterations of the picks:", bim.extras["iterations"][bim.selected].tolist())
"""),
    md("""
On digits it is the same story with a larger step, ε·√64 = 0.4:
"""),
    code("""
ds = alviz.datasets.load_digits(seed=0)
first = alviz.Session(ds, strategy="bim", initial=20, budget=10, seed=0).step()
eta = first.extras["perturbation_norm"]
n_tied = int(np.sum(np.isclose(eta, np.nanmin(eta))))
print(f"digits, round 0: {n_tied} samples tie at the smallest ‖η‖ = {np.nanmin(eta):.3f}; "
      f"BIM picked {first.selected.tolist()}")
"""),
    md("""
## The input-gradient norm

`gradnorm` needs no attack at all: one backward pass gives ‖∇ₓ ℓ‖ for every
sample. Large where the model's output changes fast, which for a smooth
model is near its boundary.
"""),
    code("""
alviz.plot.round(runs["gradnorm"], toy.X, r=-1, color_by="gradient_norm")
"""),
    md("""
## On digits: perturbations in 64 dimensions

On digits the perturbation lives in pixel space. The arrows are placed in
the reference UMAP with `alviz.projection.place_inputs`; they are short,
because the picks are exactly the samples a tiny change flips.
"""),
    code("""
coords = alviz.projection.reference(ds, seed=0)
session = alviz.Session(ds, strategy="dfal", initial=20, budget=10, seed=0)
session.run(2)
rnd = session.rounds[-1]
norms = rnd.extras["perturbation_norm"]
print(f"‖r‖ of the picks: {np.round(norms[rnd.selected], 4).tolist()}; median over the pool {np.nanmedian(norms):.3f}")
alviz.plot.round(session, coords, r=-1, color_by="perturbation_norm")
"""),
    md("""
The first four picks: the image x, the perturbation r that flips it
(rescaled to be visible), and x + r. Titles give the prediction before and
after.
"""),
    code("""
picks = rnd.selected[:4]
names = ds.class_names
r_img = rnd.extras["perturbation"][picks].reshape(-1, 8, 8)
x_img = ds.X[picks].reshape(-1, 8, 8)
rows = {"x": x_img, "r (rescaled)": r_img / np.abs(r_img).max(axis=(1, 2), keepdims=True), "x + r": x_img + r_img}
titles = ([f"#{i}: predicted {names[rnd.proba[i].argmax()]}" for i in picks]
          + [f"‖r‖ = {norms[i]:.4f}" for i in picks]
          + [f"x + r: predicted {names[rnd.extras['adversarial_class'][i]]}" for i in picks])
fig = make_subplots(rows=3, cols=len(picks), subplot_titles=titles, vertical_spacing=0.08)
for row, (label, imgs) in enumerate(rows.items(), start=1):
    for col, img in enumerate(imgs, start=1):
        fig.add_trace(go.Heatmap(z=img, zmin=-1, zmax=1, colorscale="RdBu_r", showscale=False, name=label),
                      row=row, col=col)
fig.update_yaxes(autorange="reversed", showticklabels=False)
fig.update_xaxes(showticklabels=False)
fig.update_layout(height=760, width=960, title="x, the perturbation r, and x + r")
fig
"""),
    code("""
explorer = alviz.widgets.RoundExplorer(session, coords, color_by="perturbation_norm")
explorer
"""),
    md("""
## What to look for

- On the toy set, the perturbation-norm coloring is a map of the distance
  to the model's boundary; the picks are its minima.
- Click a pick in the explorer: its predicted probabilities are nearly tied
  between two classes, the same samples margin would like.

## What surprised us

- On the toy set `dfal` and `gradnorm` pick *exactly the same* samples in
  both rounds, and `margin` differs from them by one sample in round 0 and
  three in round 1. For a small smooth model, "closest to the boundary",
  "steepest loss" and "smallest probability gap" are nearly the same
  question.
- On digits DeepFool needs a single step for every pick, and the picks'
  ‖r‖ are tiny (thousandths, against a pool median near 0.45): x + r looks
  exactly like x, yet the prediction flips.
- BIM's score is coarse: most samples flip after one ε-step, so they all
  tie at ε·√d (0.0707 in 2-D, 0.4 on digits, where 484 samples tie in the
  first round). alviz breaks such ties by the probability gap, so on both
  sets BIM's picks come out exactly as margin's: its own score decided
  nothing. DeepFool's continuous ‖r‖ does not have this problem.
"""),
]

# ============================================================================ 04
DIVERSITY = [
    md("""
# Representation-aware diversity: BADGE, gem, contrastive core-set, TypiClust, prototypes

Uncertainty strategies pick the top-k scores, so one batch can be k
variations of one question. These strategies choose a *set*, spread out in
some representation:

| strategy | representation | rule |
|---|---|---|
| `badge` | gradient embedding g = (p − e_ŷ) ⊗ h | k-means++ seeding: far from the chosen ones, with probability ∝ D² |
| `gem` | same gradient embedding | greedy: the largest residual after projecting out the chosen gradients |
| `contrastive_coreset` | a SimCLR encoder trained on the pool | k-center greedy from the labeled set |
| `typiclust` | the contrastive embedding | clusters; the most *typical* point of the least-covered clusters |
| `prototype` | the contrastive embedding | k-means with k = budget; the point nearest each centroid |

The contrastive encoder is trained once on the pool and cached on disk (the
first run takes a minute or two; a progress bar shows).
"""),
    code("""
import numpy as np
import alviz

ds = alviz.datasets.load_digits(seed=0)
coords = alviz.projection.reference(ds, seed=0)
names = ["margin", "badge", "gem", "contrastive_coreset", "typiclust", "prototype"]
runs = alviz.compare(ds, names, rounds=3, budget=10, seed=0)
for name, s in runs.items():
    picks = np.concatenate([r.selected for r in s.rounds])
    per_class = np.bincount(ds.y[picks], minlength=ds.n_classes)
    print(f"{name:20s} accuracy {np.round(s.learning_curve()[1], 3).tolist()}, "
          f"picks per class: fewest {per_class.min()}, most {per_class.max()}")
badge0, gem0 = runs["badge"].rounds[0].selected, runs["gem"].rounds[0].selected
print(f"round 0, same labeled set: badge and gem share {len(set(badge0) & set(gem0))} of {len(badge0)} picks")
"""),
    code("""
alviz.plot.compare_round(runs, coords, r=-1)
"""),
    md("""
## BADGE: uncertainty × diversity in one vector

The gradient embedding's norm ‖g‖ = ‖p − e_ŷ‖·‖h‖ is large for uncertain
samples, and its direction says *which* classes are confused. The first
center is the largest ‖g‖, the rest are drawn with probability ∝ D². The
overlay shows the pick order.
"""),
    code("""
badge = runs["badge"].rounds[-1]
print("D² seeding distance of each pick:", np.round(badge.extras["seed_distance"], 3).tolist())
alviz.plot.round(runs["badge"], coords, r=-1, color_by="gradient_norm")
"""),
    md("""
## gem: new directions

gem keeps the picks whose gradients add a direction the previous picks do
not span; the residual norm at pick time falls as the span fills up.
"""),
    code("""
gem = runs["gem"].rounds[-1]
print("residual norm at pick time:", np.round(gem.extras["residual_norm"], 3).tolist())
alviz.plot.round(runs["gem"], coords, r=-1, color_by="gradient_norm")
"""),
    md("""
## Contrastive core-set: the picture the strategy sees

The encoder's embedding is a different space from the pixels. A UMAP of it
(fitted once, cached) next to the reference picture:
"""),
    code("""
cc = runs["contrastive_coreset"]
contrastive_coords = alviz.projection.fit(cc.rounds[-1].extras["contrastive_embedding"], seed=0)
views = {"pixels (reference UMAP)": cc, "contrastive embedding (UMAP)": cc}
alviz.plot.compare_round(views, {"pixels (reference UMAP)": coords, "contrastive embedding (UMAP)": contrastive_coords},
                         r=-1, cols=2)
"""),
    md("""
Colored by the distance to the nearest labeled sample, in the strategy's own
picture; the inset is the covering radius after each pick.
"""),
    code("""
radius = cc.rounds[-1].extras["covering_radius"]
print(f"covering radius: {radius[0]:.3f} after the first pick, {radius[-1]:.3f} after the last")
alviz.plot.round(cc, contrastive_coords, r=-1, color_by="distance_to_labeled")
"""),
    md("""
## TypiClust and prototypes: the typical, not the odd

Both cluster the contrastive embedding. TypiClust takes the densest point
of the clusters with the fewest labels; prototype takes the point nearest
each of k = budget centroids.
"""),
    code("""
alviz.plot.round(runs["typiclust"], coords, r=-1, color_by="typicality")
"""),
    code("""
alviz.plot.class_balance(runs["prototype"])
"""),
    code("""
explorer = alviz.widgets.CompareExplorer(runs, coords)
explorer
"""),
    md("""
## What to look for

- Class balance: the fewest/most picks per class printed above, and
  `class_balance`. `prototype` is the most even (2 to 4 picks per class
  after three rounds); margin follows the model's confusions.
- BADGE's D² seeding distances are not decreasing: each center is *drawn*
  with probability ∝ D², so a later pick can be farther than an earlier
  one. gem's residual norms, in contrast, fall pick by pick.

## What surprised us

- `prototype`, the simplest rule here (k-means with k = budget, the point
  nearest each centroid), has the best accuracy after one round (86% against
  at most 82% for the others) and the most even picks: on digits the
  contrastive clusters are nearly the classes, so "one per cluster" is
  almost "one per class".
- In the contrastive embedding every unlabeled sample is about equally far
  from the labeled set: the covering radius barely moves over ten picks
  (printed above). Like VAAL's flat discriminator, k-center then chooses
  between nearly equal distances.
- BADGE and gem read the same gradient embedding and, from the same labeled
  set, share only 2 of 10 picks: D²-sampling is random and favours far
  points; gem is deterministic and favours new directions, whatever their
  length.
"""),
]

# ============================================================================ 05
COMPARE = [
    md("""
# All families side by side

One representative or more of every family, from the same 20 labeled
digits with the same seed: the classic baselines, VAAL, the adversarial
strategies and the representation-aware ones. Five rounds of 10 picks.
"""),
    code("""
import numpy as np
import alviz

ds = alviz.datasets.load_digits(seed=0)
coords = alviz.projection.reference(ds, seed=0)
strategies = ["random", "margin", "qbc_kl", "egl", "coreset", "vaal", "dfal", "gradnorm",
              "badge", "gem", "contrastive_coreset", "typiclust", "prototype"]
runs = alviz.compare(ds, strategies, rounds=5, budget=10, seed=0, progress=True)
"""),
    md("""
## Learning curves

The legend gives each strategy's area under the curve (mean accuracy over
the labeled range), the usual single-number summary.
"""),
    code("""
alviz.plot.learning_curves(runs)
"""),
    md("""
## Do they pick the same samples?

Jaccard overlap of the picks (1 = identical sets). First round 0, where
every strategy starts from the same labeled set and the same model:
"""),
    code("""
alviz.plot.overlap_matrix(runs, r=0)
"""),
    md("""
Then all picks over the five rounds:
"""),
    code("""
alviz.plot.overlap_matrix(runs)
"""),
    code("""
for name, s in runs.items():
    picks = np.concatenate([r.selected for r in s.rounds])
    per_class = np.bincount(ds.y[picks], minlength=ds.n_classes)
    print(f"{name:20s} picks per class {per_class.tolist()}  (fewest {per_class.min()}, most {per_class.max()})")
"""),
    code("""
alviz.plot.compare_round(runs, coords, r=-1)
"""),
    md("""
## Step them all together

"Next round" advances every strategy by one round; the slider goes back.
"""),
    code("""
explorer = alviz.widgets.CompareExplorer(runs, coords)
explorer
"""),
    md("""
## The HTML report

A self-contained HTML file of the whole comparison (a round slider per
strategy, the curves and the overlap); it needs no kernel to open.
"""),
    code("""
path = alviz.report.write_html(runs, "alviz_report.html", coords=coords, title="alviz: all families on digits")
print(path, f"{path.stat().st_size / 1e6:.1f} MB")
"""),
    md("""
## What to look for

- The spread of the curves after 20–70 labels is small compared with the
  noise of one seed: rerun with `seed=1` before concluding anything.
- The two overlap matrices: families that agree in round 0 drift apart
  once their labeled sets differ.

## What surprised us

- In round 0, from the same labeled set and model, `margin` and `dfal`
  share 8 of their 10 picks (Jaccard 0.67), and `egl` and `gem` 0.43; over
  all five rounds the largest overlap is 0.23. Each strategy's picks change
  its model, so after one round they are asked different questions.
- The committee strategy `qbc_kl` ends below `random` here (AUC 0.76 against
  0.81): its picks pile up on a few classes (14 ones, no fours and no
  sixes in 50 picks).
- `dfal`, the adversarial strategy, ends level with `margin` (AUC 0.85):
  on a small MLP the nearest adversarial example and the smallest
  probability gap find nearly the same samples (notebook 03 shows it in 2-D).
- `prototype`, the simplest diversity rule, has the best AUC (0.86); its
  picks, with `typiclust`'s, are the most even over the classes (3 to 7 and
  3 to 6 per class, against 0 to 14 for `qbc_kl`).
"""),
]

NOTEBOOKS = {
    "00_quickstart": QUICKSTART,
    "01_classic_strategies": CLASSIC,
    "02_vaal": VAAL,
    "03_adversarial": ADVERSARIAL,
    "04_representation_diversity": DIVERSITY,
    "05_compare": COMPARE,
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
