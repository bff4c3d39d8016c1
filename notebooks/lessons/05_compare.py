# %% [markdown]
# # Comparing strategies: one run, then many
#
# Four strategies, one per family: `random`, uncertainty (`margin`),
# geometry (`coreset`) and gradient-embedding diversity (`badge`), on the
# digits, four rounds of 10 picks from 20 labeled samples. Each strategy runs
# from five seeds. A seed is one *start* shared by all strategies: the same
# initial labeled set, the same model seed, the same randomness each round.
#
# First we look at one seed, as a single comparison would; then at all five,
# to ask what one run cannot answer: **is a difference real, or the luck of
# one seed?**

# %%
import alviz

ds = alviz.datasets.load_digits(seed=0)
coords = alviz.projection.reference(ds, seed=0)
exp = alviz.experiment(ds, ["random", "margin", "coreset", "badge"], seeds=range(5), rounds=4, budget=10,
                       progress=True)
exp

# %% [markdown]
# `n_jobs=-1` would run the 20 runs on every core, and under
# `joblib.parallel_config(backend="dask")` on a Dask cluster, with identical
# results; on this small machine, one job.
#
# ## One seed
#
# `exp.comparison(0)` is seed 0's four runs as a `Comparison`: a mapping
# name → Session that share one start and step together. This is what
# `alviz.compare(ds, strategies, rounds=4, budget=10, seed=0)` returns.

# %%
runs = exp.comparison(0)
runs

# %% [markdown]
# The legend gives each strategy's area under the curve (AUC: mean accuracy
# over the labeled range), the usual single-number summary.

# %%
alviz.plot.learning_curves(runs)

# %% [markdown]
# ### Do they pick the same samples?
#
# Jaccard overlap of the picks (1 = identical sets). First round 0, where
# every strategy starts from the same labeled set and the same model:

# %%
alviz.plot.overlap_matrix(runs, r=0)

# %% [markdown]
# Then all picks over the four rounds:

# %%
alviz.plot.overlap_matrix(runs)

# %%
balance = alviz.plot.class_balance(runs)
for name, per_class in balance.layout.meta["counts"].items():
    print(f"{name:8s} picks per class {per_class}  (fewest {min(per_class)}, most {max(per_class)})")
balance

# %%
alviz.plot.compare_round(runs, coords, r=-1)

# %% [markdown]
# ### Step them all together
#
# "Next round" advances every strategy by one round (`runs.step()`); the
# slider goes back.

# %%
explorer = alviz.widgets.CompareExplorer(runs, coords)
explorer

# %% [markdown]
# ### The HTML report
#
# A self-contained HTML file of the comparison (a round slider per
# strategy, the curves and the overlap); it needs no kernel to open.
# `alviz.report.write_html(exp, "experiment.html")` writes the five-seed
# summary, curves and win matrix instead.

# %%
path = alviz.report.write_html(runs, "alviz_report.html", coords=coords, title="alviz: four families on digits",
                               strategy_spaces=False)
print(path, f"{path.stat().st_size / 1e6:.1f} MB")

# %% [markdown]
# ## Five seeds
#
# `exp.results` is a tidy table, one row per (strategy, seed, round):

# %%
exp.results.head()

# %% [markdown]
# The summary: the mean over seeds with a 95% Student-t interval, for the
# AULC and the final accuracy; then the *paired* difference to `random`
# (per seed, strategy minus `random`, both from the same labeled set), the
# share of seeds it beats `random` on, and a verdict.

# %%
summary = exp.summary()
summary.round(3)

# %% [markdown]
# The curves now show the mean over seeds and a band: the 95% interval of
# the mean accuracy at each round. The legend gives AULC ± the half-width of
# its interval.

# %%
alviz.plot.learning_curves(exp)

# %% [markdown]
# The bands of the curves above overlap, but they hold the seed-to-seed
# spread of the *start* too, which all strategies share. Paired by seed,
# each strategy minus `random`: a band clear of the dotted 0 line is a
# difference larger than the noise.

# %%
alviz.plot.learning_curves(exp, baseline="random")

# %% [markdown]
# Who beats whom: the share of seeds where the row's AULC beats the
# column's (ties count half). 1.0 = on every seed; near 0.5 = the order
# flips with the seed.

# %%
alviz.plot.win_matrix(exp)

# %%
for name, row in summary.iterrows():
    if row["verdict"] != "the baseline":
        print(f"{name:8s} AULC - random = {row['diff_mean']:+.3f}  95% [{row['diff_low']:+.3f}, "
              f"{row['diff_high']:+.3f}]  beats random on {row['wins']:.0%} of seeds: {row['verdict']}")

# %% [markdown]
# Any run can be opened on its own: `exp.sessions[("badge", 3)]` is a
# Session.
#
# ## What to look for
#
# - The one-seed curves against the five-seed bands: a one-run ranking is a
#   hypothesis.
# - A paired interval that holds 0 means "not distinguishable from random
#   with these seeds", not "the same as random": more seeds narrow it.
# - The two overlap matrices: strategies that agree in round 0 drift apart
#   once their labeled sets differ.
#
# ## What surprised us
#
# - Seed 0 ranks the four margin (AUC 0.836), badge (0.827), coreset
#   (0.805), random (0.797). The five-seed means rank them coreset (0.838),
#   badge (0.836), margin (0.834), random (0.822): seed 0 was coreset's
#   worst seed, and margin's seed-0 lead over random (0.039) is three times
#   its mean paired lead (+0.013).
# - All three beat random on average, by 0.013 to 0.016 AULC, yet no paired
#   interval excludes 0 at five seeds (badge comes closest: [−0.003, +0.031]);
#   margin beats random on only 3 of 5 seeds. Each verdict reads "within
#   noise of random": with this budget, five seeds are too few to call it.
# - Paired by seed, each strategy's mean lead over `random` peaks at about
#   +2.7 points of accuracy (at 40 or 50 labels), but every band still
#   straddles 0 at every round: five seeds cannot separate them from random
#   here.
# - Among the three, the order is noise: no pair wins more than 3 of 5 seeds
#   (the win matrix holds only 0.4 and 0.6 off the random row and column).
# - coreset is the gamble: the widest interval (AULC ± 0.034, against
#   ± 0.016 for margin and badge), best of all on seeds 1 and 2 (0.863,
#   0.870), third on seed 0 and last, below random, on seed 3.
# - In round 0, from the same labeled set and the same model, the four
#   strategies share at most one pick pairwise (Jaccard ≤ 0.05); at seed 0
#   random's 40 picks hold not a single 1, coreset's are the most even (2 to
#   6 per class).
