# %% [markdown]
# # Can you beat the strategy?
#
# Until now a strategy chose what to label and you watched. Here **you** choose.
# Studies of people as labelers (Bernard et al., *Comparing visual-interactive
# labeling with active learning*, TVCG 2018) found a pattern: people start with
# dense areas and clusters, the obvious examples, and only later turn to the
# borders between classes. That beats uncertainty sampling when labels are few
# and loses when they are many: the low-budget / high-budget crossover that
# TypiClust and ProbCover were built around. You will feel it by racing a
# strategy.
#
# The playground is a 2-D toy set where the input space is the picture. Click a
# grey point and it gets its label: the model refits at once (warm, from its
# last weights), the decision regions, the boundary and the strategy's field
# (green: where it wants a label) redraw, and the ring marks the strategy's
# next pick. On the right, the race: your test accuracy and the strategy's,
# run alone from the same 4 labels, after as many labels as you gave.

# %%
import numpy as np
import alviz

toy = alviz.datasets.make_toy("moons", n=300, seed=0)
pg = alviz.widgets.Playground(toy, strategy="margin", initial=4, seed=0)
pg

# %% [markdown]
# Click away in the widget above (a person's turn), press **strategy's turn**
# to let margin choose one of your labels, or **Play** to let it choose one
# after another. For the notebook to run unattended, the cells below label
# with `pg.label(i)`, which is exactly what a click does. The "person" they
# simulate labels the way people were seen to: the densest place that is still
# far from every label given so far (how many points lie within 0.35, times the
# distance to the nearest label).

# %%
X = toy.X
d2 = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1)
density = (d2 < 0.35 ** 2).sum(axis=1)


def dense_and_far(session):
    """The pool point a person labels next: dense, and far from every label so far."""
    lab = session.labeled_mask
    score = density * np.sqrt(d2[:, lab].min(axis=1))
    score[lab] = -np.inf
    return int(np.argmax(score))


for _ in range(40):
    pg.label(dense_and_far(pg.session))
you, margin = pg.curves().values()
print("labels           ", you[0][::4].astype(int).tolist())
print("you (dense first)", np.round(you[1][::4], 2).tolist())
print("margin alone     ", np.round(margin[1][::4], 2).tolist())
ahead = you[1] > margin[1]
print(f"you are ahead after {int(ahead.sum())} of {len(ahead)} label counts; "
      f"mean percentile of your picks under margin's score: "
      f"{np.nanmean([r.metrics['your_picks_percentile'] for r in pg.session.rounds]):.0f}")

# %% [markdown]
# The two learning curves (each point: the model trained on that many labels,
# scored on the held-out test set):

# %%
alviz.plot.learning_curves({"you (dense first)": pg.session, "margin alone": pg.race})

# %% [markdown]
# ## Against TypiClust
#
# TypiClust (Hacohen et al., ICML 2022) is a strategy that does what the person
# does: it clusters the pool (in a contrastive embedding) and labels the most
# typical point of the largest cluster without a label. Race it with the same
# person, over fewer labels, where it is meant to shine.

# %%
pg_typ = alviz.widgets.Playground(toy, strategy=alviz.strategies.get("typiclust", progress=False), initial=4,
                                  seed=0)
for _ in range(20):
    pg_typ.label(dense_and_far(pg_typ.session))
you_t, typ = pg_typ.curves().values()
print("labels           ", you_t[0][::4].astype(int).tolist())
print("you (dense first)", np.round(you_t[1][::4], 2).tolist())
print("typiclust alone  ", np.round(typ[1][::4], 2).tolist())

# %% [markdown]
# ## On MNIST: pick yourself
#
# On images the picture is not the input space, so there is no field to click
# on, but the round explorer has a **pick yourself** mode: clicks toggle points
# into your selection (box and lasso selection add many), the picture rings
# your picks and, faintly, the strategy's own picks for the round, and **query
# my picks** runs the round on yours (`session.step(picks=...)`). The round
# still records what the strategy would have chosen (`strategy_picks`) and how
# it ranked yours (`metrics["your_picks_percentile"]`: 100 = where it would
# pick first, 50 = what random picks score). **Play** runs rounds on their own.
# The picture is the PCA of the pixels here, so the notebook needs no UMAP fit.

# %%
ds = alviz.datasets.load_mnist(seed=0, test_size=0.6)
mine = alviz.Session(ds, strategy="margin", model=alviz.models.MLP(), initial=20, budget=10, seed=0)
mine.step()
explorer = alviz.widgets.RoundExplorer(mine, coords=alviz.projection.pca(ds.flat()))
explorer.pick_mode.value = True  # computes margin's picks for the next round, drawn faintly
explorer

# %% [markdown]
# The person this time picks with their eyes: one clear example of each digit
# (the unlabeled image nearest to the mean image of its class), ten picks.
# Clicking them does what `toggle_pick` does here.

# %%
flat = ds.flat()


def clear_examples(session):
    """One clear image of each digit that is not labeled yet: the one nearest to its class's mean image."""
    free = ~session.labeled_mask
    picks = []
    for c in range(ds.n_classes):
        idx = np.flatnonzero(free & (ds.y == c))
        centre = flat[idx].mean(axis=0)
        picks.append(int(idx[np.argmin(((flat[idx] - centre) ** 2).sum(axis=1))]))
    return picks


for i in clear_examples(mine):
    explorer.toggle_pick(i)
explorer.query_picks()
rnd = mine.rounds[-1]
print(f"round {rnd.index} chosen by {rnd.chosen_by}: your classes {ds.y[rnd.selected].tolist()}, "
      f"margin's would have been {sorted(ds.y[rnd.strategy_picks].tolist())}; "
      f"your picks' percentile under margin: {rnd.metrics['your_picks_percentile']:.0f}")

# %% [markdown]
# A short race on MNIST: four more rounds of clear examples against margin
# alone, from the same start.

# %%
theirs = alviz.Session(ds, strategy="margin", model=alviz.models.MLP(), initial=20, budget=10, seed=0)
theirs.run(2)
for _ in range(4):
    mine.step(picks=clear_examples(mine))
    theirs.step()
for name, s in {"you (clear examples)": mine, "margin alone": theirs}.items():
    n, acc = s.learning_curve()
    print(f"{name:21s} labels {n.tolist()}  test accuracy {np.round(acc, 3).tolist()}")

# %% [markdown]
# ## What to look for
#
# - **The early / late crossover.** On the moons the dense-first person is
#   behind for the first few labels (a handful of points in the middle of each
#   moon says little about the border), then well ahead in the middle, while
#   margin spends its labels on the border of a model that is still wrong
#   elsewhere; once the border is all that is left to learn, margin catches up.
#   On MNIST the same happens later and the other way round at the end: clear
#   examples pull ahead for a round, then margin's border cases win. Where the
#   curves cross is the budget at which "label what is typical" stops paying
#   and "label what is uncertain" starts.
# - **TypiClust is the person, made into a rule**, and it starts like one: at 8
#   labels it is ahead of the person, as margin is.
# - **Your picks' percentile** under the strategy's score: 50 is what random
#   picks get, 100 is the strategy's own choice. A person's picks sit at or
#   below the middle: the strategy would not have chosen them.
#
# ## What surprised us
#
# (Numbers from the runs above: moons n=300 from 4 labels, MNIST 2 000 from 20,
# seed 0.)
#
# - **Margin lost for longer than we expected.** We expected uncertainty
#   sampling to trail a person only for the first few labels. The dense-first
#   person was ahead from 12 labels to 36, by up to 9 points (0.94 against 0.85
#   at 16 labels); margin drew level only at 40 labels (0.98 each).
# - **The person did not start ahead.** We expected the typical points to win
#   at once. At 8 labels margin (0.81) and TypiClust (0.79) were both ahead of
#   the person (0.72): the first dense points of each moon leave the border
#   wherever the first model happened to put it.
# - **The person also beat TypiClust on the moons** (0.98 against 0.91 at 20
#   labels), although both label typical points: TypiClust clusters a
#   contrastive embedding of the plane, the person measures density on the
#   plane itself, which on two moons is the better picture.
# - **On MNIST the crossover came within three rounds.** Clear examples of each
#   digit were ahead at 50 labels (0.721 against 0.705) and behind from 60 on
#   (0.709 against 0.767 at 70): ten typical images per round stop telling the
#   model anything new quickly. Margin ranked them at the 38th percentile.
