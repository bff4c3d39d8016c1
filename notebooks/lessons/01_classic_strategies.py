# %% [markdown]
# # Classic strategies: uncertainty, committees, expected change and error, core-set
#
# The classic strategies are the baselines every newer method is measured
# against. We run them first on a 2-D toy set, where the input space *is* the
# picture, then on digits.
#
# | family | strategies | picks |
# |---|---|---|
# | uncertainty | `least_confidence`, `margin`, `entropy` | where the model's probabilities are least decided |
# | committee (QBC) | `qbc_vote_entropy`, `qbc_kl` | where 5 models trained on bootstrap resamples disagree |
# | expected model change | `egl` | where the expected gradient of the last layer is longest |
# | expected error reduction | `eer` | the candidate whose label would most lower the expected pool loss |
# | geometry | `coreset` | the point farthest from everything labeled (k-center greedy) |
# | baseline | `random` | uniformly at random |

# %%
import numpy as np
import alviz

toy = alviz.datasets.make_toy("moons", n=400, seed=0)
toy_coords = alviz.projection.reference(toy)      # a 2-D toy set is its own picture
strategies = ["random", "least_confidence", "margin", "entropy", "qbc_vote_entropy", "qbc_kl",
              "egl", "eer", "coreset"]
runs = alviz.compare(toy, strategies, rounds=3, budget=8, seed=0, initial=8)
for name, s in runs.items():
    print(f"{name:18s} accuracy by round: {np.round(s.learning_curve()[1], 3).tolist()}")

# %% [markdown]
# ## All of them, same start, third round
#
# Every session starts from the same 8 labeled points with the same seed, so
# differences are the strategies' own.

# %%
alviz.plot.compare_round(runs, toy_coords, r=-1)

# %% [markdown]
# ## The field: what the strategy would score at every point of the plane
#
# On 2-D data every round also carries a **field** (`round.field`): the
# round's model and the strategy's own score evaluated on a 100 × 100 grid
# over the plane, computed by the same code that ranked the pool. The round
# figure draws it under the points:
#
# - **decision regions**: a faint tint of the class the model predicts there;
# - **decision boundary**: the black line where the two classes tie;
# - **field: <what>**: the strategy's score, clear where it is low and deep
#   green where the strategy most wants a label (the colour follows the rank
#   of the value over the plane; the colorbar gives the real values).
#
# A pointwise strategy takes the pool points where its field is darkest, so
# the picks must sit in the darkest green. Click a legend entry to hide a layer.

# %%
margin_round = runs["margin"].rounds[-1]
f = margin_round.field
picks_field = alviz.scores.margin(margin_round.proba[margin_round.selected].astype(float))
top = np.mean(f.score >= picks_field.min())
print(f"field: {f.name} on a {f.score.shape[0]}x{f.score.shape[1]} grid; "
      f"every pick scores in the top {top:.1%} of the plane")
alviz.plot.round(runs["margin"], toy_coords, r=-1)

# %% [markdown]
# ## Uncertainty: the score is a function of the probabilities only
#
# The three uncertainty scores rank the samples almost the same way in a
# two-class problem (for two classes they are monotone in each other). The
# coloring by score shows a band along the model's decision boundary.

# %%
alviz.plot.round(runs["entropy"], toy_coords, r=-1, color_by="score")

# %% [markdown]
# ## Committees: disagreement, not uncertainty
#
# `qbc_vote_entropy` trains five copies of the task model on bootstrap
# resamples of the labeled set. Where all five vote the same class the vote
# entropy is 0, however unsure each member is. Color by the diagnostic to see
# where the members disagree.

# %%
qbc_round = runs["qbc_vote_entropy"].rounds[-1]
print("diagnostics:", [k for k in qbc_round.extras])
alviz.plot.round(runs["qbc_vote_entropy"], toy_coords, r=-1)

# %% [markdown]
# The committee's field is not a thin band on the boundary like margin's: it
# is a wide, blocky area where the five members' boundaries disagree. Its
# colour takes only a few values (five votes on two classes split 5–0, 4–1
# or 3–2), so large patches tie, and the picks spread over them.

# %% [markdown]
# ## Expected model change and expected error reduction
#
# `egl` scores Σ_c p_c ‖∇ℓ(x, c)‖ over the last layer (in closed form);
# `eer` refits a cheap surrogate for each (candidate, class) on a random
# subsample of candidates, so only that subsample has a score (the rest are
# NaN and drawn grey).

# %%
alviz.plot.round(runs["eer"], toy_coords, r=-1, color_by="score")

# %% [markdown]
# ## Core-set: geometry, no model uncertainty
#
# k-center greedy picks, one after the other, the unlabeled point farthest
# from its nearest labeled (or already picked) point. The overlay links each
# pick to its nearest center; the covering radius shrinks pick by pick.

# %%
cs = runs["coreset"].rounds[-1]
print("covering radius after each pick:", np.round(cs.extras["covering_radius"], 3).tolist())
alviz.plot.round(runs["coreset"], toy_coords, r=-1, overlay=True)

# %% [markdown]
# Core-set's field is the distance to the nearest labeled point, measured in
# the model's embedding: zero on every labeled point and darkest far from all
# of them, whatever the model predicts. The circles are the cover after the
# round, drawn in input units: every pool point lies inside one, and the
# radius is the largest distance left. The field is darkest in the biggest
# holes of the cover, and that is where the first pick goes.

# %% [markdown]
# ## On digits
#
# The same comparison on digits with four representatives, and the learning
# curves. Use the explorer to step all four in lock-step.

# %%
ds = alviz.datasets.load_digits(seed=0)
coords = alviz.projection.reference(ds, seed=0)
digit_runs = alviz.compare(ds, ["random", "margin", "qbc_kl", "coreset"], rounds=3, budget=10, seed=0)
alviz.plot.learning_curves(digit_runs)

# %%
compare = alviz.widgets.CompareExplorer(digit_runs, coords)
compare

# %% [markdown]
# ## What to look for
#
# - In the margin round figure, the deep-green band of the field follows the
#   black decision boundary exactly, and every numbered pick sits on it.
# - Uncertainty, committee and `egl` picks bunch up along the *model's*
#   current boundary (which in early rounds is not the true one: compare the
#   black line with the two moons); `random` (a flat field) and `coreset`
#   (a field darkest far from the labeled points) spread over the whole pool.
# - The committee's field is a few wide patches, not a line: that is why its
#   picks look scattered.
# - `eer` is the only strategy here that looks at what a label would *do* to
#   the whole pool; its picks land in the gap between the two moons, where the
#   true boundary runs.
#
# ## What surprised us
#
# - For two classes `least_confidence`, `margin` and `entropy` pick exactly
#   the same samples in the same order: all three are functions of one
#   number, p(class 1). `egl` multiplies a function of it by ‖h‖ (the size of
#   the features), which reorders the picks but, here, keeps the same set.
# - Uncertainty batches are redundant: in round 2 most of the eight picks sit
#   in two tight bunches. After 24 labels `random` (91%) beats all three
#   uncertainty scores (89%); `eer` (92%) and `coreset` (92%) are best, and
#   the two committees are worst (85%). The vote entropy is coarse: five members
#   voting on two classes split 5–0, 4–1 or 3–2, so it takes three
#   values and in round 0 84 samples tie for the top (alviz breaks the ties by
#   the committee's mean entropy). One small toy run proves nothing about which
#   strategy is better; notebook 05 compares over more rounds.
