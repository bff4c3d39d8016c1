# %% [markdown]
# # Comparing strategies: one run, then many
#
# Four strategies, one per family: `random`, uncertainty (`margin`),
# geometry (`coreset`) and gradient-embedding diversity (`badge`), on the
# digits, four rounds of 10 picks from 20 labeled samples. Each strategy runs
# from ten seeds. A seed is one *start* shared by all strategies: the same
# initial labeled set, the same model seed, the same randomness each round.
#
# First we look at one seed, as a single comparison would; then at all ten,
# to ask what one run cannot answer: **is a difference real, or the luck of
# one seed?**

# %%
import alviz

ds = alviz.datasets.load_digits(seed=0)
coords = alviz.projection.reference(ds, seed=0)
exp = alviz.experiment(ds, ["random", "margin", "coreset", "badge"], seeds=range(10), rounds=4, budget=10,
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
# `alviz.report.write_html(exp, "experiment.html")` writes the ten-seed
# summary, curves and win matrix instead.

# %%
path = alviz.report.write_html(runs, "alviz_report.html", coords=coords, title="alviz: four families on digits",
                               strategy_spaces=False)
print(path, f"{path.stat().st_size / 1e6:.1f} MB")

# %% [markdown]
# ## Ten seeds
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
# - The one-seed curves against the ten-seed bands: a one-run ranking is a
#   hypothesis.
# - A paired interval that holds 0 means "not distinguishable from random
#   with these seeds", not "the same as random": more seeds narrow it, and
#   `summary()` says how many the spread suggests.
# - Hollow markers in the curves: the rounds where a strategy is not
#   significantly different from random.
# - The two overlap matrices: strategies that agree in round 0 drift apart
#   once their labeled sets differ.
#
# Why ten seeds? Lesson 10 measures it: on digits the seed-to-seed spread of
# the paired differences is such that a lead of 1-2 points of AULC needs
# 7-30 seeds to be told from noise. Five seeds, a common habit, called every
# strategy here "within noise of random".
#
# ## What surprised us
#
# - Seed 0 ranks the four margin (AUC 0.836), badge (0.827), coreset
#   (0.805), random (0.797). The ten-seed means rank them margin (0.836),
#   badge (0.833), coreset (0.824), random (0.816): seed 0 was one of
#   coreset's weaker seeds, and margin's seed-0 lead over random (0.039) is about
#   twice its mean paired lead (+0.020).
# - With ten seeds margin (+0.020, 95% [+0.005, +0.035]) and badge (+0.017,
#   [+0.002, +0.032]) are significantly better than random; coreset (+0.008,
#   [−0.006, +0.023]) is not, and the spread suggests about 26 seeds to tell.
#   With the first five seeds alone no interval excluded 0.
# - Paired by seed, margin's lead over `random` is significant at 30 and 50
#   labels but not at 40 (+2.3 points, hollow marker); badge's from 40 labels
#   on; coreset's at no round.
# - Among the three the order is still mostly noise: margin beats badge on
#   7 of 10 seeds and coreset on 6; badge beats coreset on 7.
# - coreset is the gamble: the widest interval (AULC ± 0.021, against ± 0.009
#   for margin and ± 0.013 for badge), best of all on seeds 1 and 2 (0.863,
#   0.870) and last, below random, on seeds 3, 6 and 8.
# - In round 0, from the same labeled set and the same model, the four
#   strategies share at most one pick pairwise (Jaccard ≤ 0.05); at seed 0
#   random's 40 picks hold not a single 1, coreset's are the most even (2 to
#   6 per class).
