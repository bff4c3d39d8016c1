# %% [markdown]
# # alviz quickstart: one strategy, three rounds, the explorer
#
# Active learning trains a model on a few labeled samples, lets a **query
# strategy** pick the next samples to label, reveals their labels (the
# oracle), retrains, and repeats. alviz makes each round visible: in a fixed
# 2-D picture of the pool you see which samples were picked and why.
#
# Here: the digits pool (1 347 grey 8×8 images, 10 classes), the **margin**
# strategy, three rounds, then the interactive explorer.

# %%
import alviz

ds = alviz.datasets.load_digits(seed=0)
ds

# %% [markdown]
# ## A session
#
# A `Session` holds the pool, the task model (a small MLP by default), the
# strategy and the rounds. `initial=20` samples start labeled (stratified by
# class); each round picks `budget=10` more.
#
# **margin** scores every unlabeled sample by −(p₁ − p₂), the gap between the
# two most probable classes, and picks the highest: the samples the model is
# torn between two classes about.

# %%
session = alviz.Session(ds, strategy="margin", initial=20, budget=10, seed=0)
session.run(3)
for rnd in session.rounds:
    picked = [ds.class_names[c] for c in ds.y[rnd.selected]]
    print(f"round {rnd.index}: {rnd.metrics['n_labeled']} labeled, "
          f"test accuracy {rnd.metrics['accuracy']:.3f}, picked classes {picked}")

# %% [markdown]
# ## The picture
#
# `alviz.projection.reference` is a UMAP of the pool, fitted once and cached on
# disk: every round is drawn in the same coordinates, so rounds can be compared.
# (Without `coords`, `RoundExplorer(session)` opens at once on a quick PCA and
# swaps the UMAP in when its background fit is done.)
# Small points are unlabeled, dark ones were labeled before the round, the big
# numbered markers are this round's picks (the number is the pick order).
# Colored by score, the picture shows where the model is unsure.

# %%
coords = alviz.projection.reference(ds, seed=0)
alviz.plot.round(session, coords, r=-1, color_by="score")

# %% [markdown]
# ## The explorer
#
# - **Next round** runs one more round (`session.step()`); the button is
#   disabled and a progress bar shows while it runs.
# - The **round** slider goes back and forth over past rounds; nothing is
#   recomputed.
# - **color by**: the class, the strategy's score, the prediction, or one of
#   the strategy's own diagnostics.
# - **Click a point** to inspect it: its image, true label, predicted
#   probabilities, and its score and rank this round.

# %%
explorer = alviz.widgets.RoundExplorer(session, coords)
explorer

# %% [markdown]
# Everything the buttons do can be done from code: `explorer.next_round()` is
# one click on **Next round**, `explorer.inspect(i)` one click on sample `i`.

# %%
explorer.next_round()
first_pick = int(session.rounds[-1].selected[0])
explorer.inspect(first_pick)
print(session)
print("first pick of the last round:", first_pick, "- a", ds.class_names[ds.y[first_pick]])

# %% [markdown]
# ## The model's own space
#
# The reference picture never moves: it is a UMAP of the raw pixels. The task
# model sees the digits through its own features (the layer before its
# output). `alviz.projection.aligned(session)` draws that space once per round,
# each round started from and aligned to the one before, so a point that moves
# has moved in the model's eyes, not because UMAP turned the picture around.
#
# In the explorer above, switch **view** to **model space**, then step or slide
# through the rounds: the points glide from their old to their new places.
#
# **What to look for:** clusters forming as labels arrive. Classes that the
# model mixes up (look at 3, 5, 8 and 9) share a cloud at first and pull apart
# into clusters of one digit each as their labels arrive; the new picks sit
# where clusters still touch. The numbers below count it: for how many samples
# the nearest point in the model-space picture has the same class (on our
# machine it grows every round, from about 93% with 20 labels).

# %%
import numpy as np

explorer.space.value = "model"
views = alviz.projection.aligned(session, seed=0)
for rnd, view in zip(session.rounds, views):
    xy = np.asarray(view)
    d = ((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=-1)
    np.fill_diagonal(d, np.inf)
    same = np.mean(ds.y[d.argmin(axis=1)] == ds.y)
    print(f"model space, round {rnd.index}: {rnd.metrics['n_labeled']} labeled, "
          f"nearest neighbour of the same class for {same:.0%} of the pool")

# %% [markdown]
# Which confusions did the model have? For each pick of the first round, the
# two classes it was torn between (its two most probable classes):

# %%
rnd = session.rounds[0]
top2 = rnd.proba[rnd.selected].argsort(axis=1)[:, -2:]
pairs = sorted({tuple(sorted(ds.class_names[c] for c in pair)) for pair in top2})
print(f"round 0: {len(rnd.selected)} picks, {len(pairs)} different pairs of classes: {pairs}")

# %% [markdown]
# ## What to look for
#
# - Colored by class, UMAP separates the ten digits into islands; only a few
#   points per island are labeled.
# - Colored by score, most of the pool is dark: the model is already sure.
#   The bright points sit on the fringes of the islands and in the thin
#   strands between them: that is where margin looks.
# - Step rounds with **Next round** and watch the learning curve: each round
#   adds 10 labels.
#
# ## What surprised us
#
# - We expected one round's ten picks to come from one or two confusions
#   (say, 3 vs 8). They do not: in round 0 the ten picks are spread over
#   seven different pairs of classes. With 20 labels the model is unsure in
#   many places at once, so margin's batch is diverse by accident.
# - Many picks sit *inside* an island in this picture. The picture is a UMAP
#   of the raw pixels; the model's boundary lives in its own feature space, so
#   "near the boundary" does not have to look like "between two islands".
