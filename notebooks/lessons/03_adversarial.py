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
import plotly.graph_objects as go
from plotly.subplots import make_subplots
import alviz

toy = alviz.datasets.make_toy("moons", n=400, seed=0)
runs = alviz.compare(toy, ["dfal", "bim", "gradnorm", "margin"], rounds=2, budget=8, seed=0, initial=8)
for name, s in runs.items():
    print(f"{name:9s} picks by round:", [sorted(r.selected.tolist()) for r in s.rounds])

# %% [markdown]
# ## ‖r‖ is the distance to the boundary
#
# In 2-D, DeepFool's ‖r‖ is (almost exactly) the distance from each point to
# the model's boundary: colored by `perturbation_norm`, the picture shows
# the boundary as the dark valley. The overlay draws each pick's arrow x → x + r;
# hover a pick to see ‖r‖, the class it flips to and the iterations taken.

# %%
alviz.plot.round(runs["dfal"], toy.X, r=-1, color_by="perturbation_norm")

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
# On digits it is the same story with a larger step, ε·√64 = 0.4:

# %%
ds = alviz.datasets.load_digits(seed=0)
first = alviz.Session(ds, strategy="bim", initial=20, budget=10, seed=0).step()
eta = first.extras["perturbation_norm"]
n_tied = int(np.sum(np.isclose(eta, np.nanmin(eta))))
print(f"digits, round 0: {n_tied} samples tie at the smallest ‖η‖ = {np.nanmin(eta):.3f}; "
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
# ## On digits: perturbations in 64 dimensions
#
# On digits the perturbation lives in pixel space. The arrows are placed in
# the reference UMAP with `alviz.projection.place_inputs`; they are short,
# because the picks are exactly the samples a tiny change flips.

# %%
coords = alviz.projection.reference(ds, seed=0)
session = alviz.Session(ds, strategy="dfal", initial=20, budget=10, seed=0)
session.run(2)
rnd = session.rounds[-1]
norms = rnd.extras["perturbation_norm"]
print(f"‖r‖ of the picks: {np.round(norms[rnd.selected], 4).tolist()}; median over the pool {np.nanmedian(norms):.3f}")
alviz.plot.round(session, coords, r=-1, color_by="perturbation_norm")

# %% [markdown]
# The first four picks: the image x, the perturbation r that flips it
# (rescaled to be visible), and x + r. Titles give the prediction before and
# after.

# %%
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

# %%
explorer = alviz.widgets.RoundExplorer(session, coords, color_by="perturbation_norm")
explorer

# %% [markdown]
# ## What to look for
#
# - On the toy set, the perturbation-norm coloring is a map of the distance
#   to the model's boundary; the picks are its minima.
# - Click a pick in the explorer: its predicted probabilities are nearly tied
#   between two classes, the same samples margin would like.
#
# ## What surprised us
#
# - On the toy set `dfal` and `gradnorm` pick *exactly the same* samples in
#   both rounds, and `margin` differs from them by one sample in round 0 and
#   three in round 1. For a small smooth model, "closest to the boundary",
#   "steepest loss" and "smallest probability gap" are nearly the same
#   question.
# - On digits DeepFool needs a single step for every pick, and the picks'
#   ‖r‖ are tiny (thousandths, against a pool median near 0.45): x + r looks
#   exactly like x, yet the prediction flips.
# - BIM's score is coarse: most samples flip after one ε-step, so they all
#   tie at ε·√d (0.0707 in 2-D, 0.4 on digits, where 484 samples tie in the
#   first round). alviz breaks such ties by the probability gap, so on both
#   sets BIM's picks come out exactly as margin's: its own score decided
#   nothing. DeepFool's continuous ‖r‖ does not have this problem.
