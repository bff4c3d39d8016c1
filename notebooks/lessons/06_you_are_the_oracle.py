# %% [markdown]
# # You are the oracle
#
# So far the labels came from the dataset, instantly and always right. In a
# real project a **person** labels the picks, slowly and sometimes wrongly.
# Here you take that seat: the strategy proposes, you label, the model
# retrains on *your* labels.
#
# alviz splits a round in two for this: `session.propose()` fits the model and
# lets the strategy pick; `session.label(labels)` takes one label per pick (a
# class index or a class name, in pick order) and commits the round. With the
# `Human()` oracle, `session.step()` refuses and tells you so.

# %%
import numpy as np
import alviz

ds = alviz.datasets.load_digits(seed=0)
session = alviz.Session(ds, strategy="margin", initial=20, budget=10, seed=0, oracle=alviz.oracles.Human())
try:
    session.step()
except RuntimeError as exc:
    print("step() refused:", exc)

# %% [markdown]
# ## One round by hand
#
# `propose()` returns the picks; they wait in `session.pending` (a Round whose
# `given_labels` is still None) together with the model's probabilities, so
# you can see what the model guesses. Calling `propose()` again returns the
# same picks: nothing is recomputed until you label.

# %%
picks = session.propose()
guess = session.pending.predicted[picks]
print("picks:", picks.tolist())
print("model guesses:", [ds.class_names[g] for g in guess])
print("same picks on a second propose():", np.array_equal(picks, session.propose()))

# %% [markdown]
# A wrong number of labels, or a class that does not exist, is refused and
# the session stays exactly as it was. Here we give the true classes, as a
# careful person would, written as class names:

# %%
try:
    session.label(["7"] * 3)
except ValueError as exc:
    print("refused:", exc)
rnd = session.label([ds.class_names[c] for c in ds.y[picks]])
print(f"round {rnd.index} committed: given {rnd.given_labels.tolist()}, "
      f"label accuracy {rnd.metrics['label_accuracy']:.0%}, test accuracy {rnd.metrics['accuracy']:.3f}")

# %% [markdown]
# ## Three labelers, the same strategy
#
# Who labels matters. Three runs from the same 20 labeled digits, same seed,
# margin, six rounds of 10:
#
# - **careful**: always the true class;
# - **agrees with the model**: a tired person who accepts the model's guess
#   for every pick (it is a dropdown pre-set to the guess, after all);
# - **noisy 30%**: `alviz.oracles.Noisy(rate=0.3)`, a label is wrong three
#   times in ten (uniformly another class).

# %%
def label_rounds(session, labeler, rounds):
    for _ in range(rounds):
        picks = session.propose()
        session.label(labeler(session, picks))
    return session


def careful(session, picks):
    return ds.y[picks]


def agrees_with_model(session, picks):
    return session.pending.predicted[picks]


def start(oracle):
    return alviz.Session(ds, strategy="margin", initial=20, budget=10, seed=0, oracle=oracle)


runs = {
    "careful": label_rounds(start(alviz.oracles.Human()), careful, 6),
    "agrees with the model": label_rounds(start(alviz.oracles.Human()), agrees_with_model, 6),
    "noisy 30%": start(alviz.oracles.Noisy(rate=0.3)),
}
runs["noisy 30%"].run(6)
for name, s in runs.items():
    acc = alviz.scenarios.label_accuracy(s)
    wrong = sum(int(np.sum(r.given_labels != ds.y[r.selected])) for r in s.rounds)
    print(f"{name:22s} label accuracy by round {np.round(acc, 2).tolist()}  wrong labels {wrong:2d}/60  "
          f"final test accuracy {s.rounds[-1].metrics['accuracy']:.3f}")

# %% [markdown]
# The learning curves (test accuracy of the model each round trained on, against
# the number of labels). The test set is always scored against the true classes.

# %%
alviz.plot.learning_curves(runs)

# %% [markdown]
# ## In the explorer
#
# With a `Human()` oracle, **Next round** proposes and opens a labeling panel
# under the status line: each pick's image, what the model guesses, and a
# class choice (Tab moves from pick to pick, typing a digit chooses it). The
# choices start empty, so you have to look at every pick; **Submit labels**
# becomes active when all have a class, commits the round and redraws. While
# the picks wait, the picture rings and numbers them.

# %%
person = alviz.Session(ds, strategy="margin", initial=20, budget=10, seed=0, oracle=alviz.oracles.Human())
coords = alviz.projection.reference(ds, seed=0)
explorer = alviz.widgets.RoundExplorer(person, coords)
explorer.next_round()
explorer

# %% [markdown]
# Labeling from code does what your clicks do (this is how the notebook runs
# unattended): choose a class in each dropdown, click **Submit labels**. Then
# the next proposal waits for you in the explorer above.

# %%
panel = explorer.labeling_panel
for choice, i in zip(panel.choices, person.pending.selected):
    choice.value = int(ds.y[i])
panel.submit.click()
print(f"explorer committed round {person.rounds[-1].index} with labels {person.rounds[-1].given_labels.tolist()}")
explorer.next_round()
print(f"round {person.pending.index} proposed: {len(person.pending.selected)} picks wait for your labels")

# %% [markdown]
# ## What surprised us
#
# Measured in the runs above (digits, margin, 6 rounds of 10, seed 0):
#
# - **Agreeing with the model is worse than random noise.** We expected the
#   "agrees with the model" labeler to be roughly as good as the model, i.e.
#   mostly right. It was right on only 21 of 60 picks (label accuracy 0.2 to
#   0.5 per round): margin picks exactly the samples the model is unsure about,
#   so its guess there is mostly wrong. Test accuracy *fell* with every round,
#   from 0.753 at 20 labels to 0.620 at 70: sixty confirmations of the model's
#   own mistakes taught it to be wrong with confidence.
# - **Thirty percent noise did not just slow learning down, it undid it.** We
#   expected the noisy run to climb, only more slowly than the careful one. It
#   did not: 0.753 → 0.702 over the six rounds, while the careful labeler went
#   0.753 → 0.924. With only 20 clean labels at the start, 21 wrong ones among
#   the next 60 are enough to pull the small model down.
# - The careful labeler is the Simulated oracle by another name: its labels are
#   the dataset's, and its run reproduces `alviz.Session(..., oracle=None)`
#   exactly (same seed, same picks).
