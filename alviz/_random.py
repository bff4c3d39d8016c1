"""A session's named random streams: one helper, so that no module builds one from a magic constant.

Everything random in a run comes from its ``seed``. Each use draws from its own stream, so that one never
shifts another (a field drawn or not never changes the picks; an oracle's flips never change the model):

========== =========================== ==========================================================
name       seeded with                 used for
========== =========================== ==========================================================
"round"    ``[seed, r]``               round r: the model's fit, then the strategy's query
"field"    ``[seed, r, 1]``            round r's field on 2-D data (:func:`alviz.fields.compute`)
"oracle"   ``[seed, r, 104729]``       round r's labels from a noisy oracle
"initial"  ``[seed, 2**31 - 1]``       the seeded initial labeled set (no round)
========== =========================== ==========================================================

The seed words are those alviz has always used, so saved sessions continue bit for bit.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

__all__ = ["STREAMS", "streams"]

#: each stream's words after ``[seed, r]`` (``"initial"`` has no round: its word replaces r)
STREAMS: Dict[str, Tuple[int, ...]] = {"round": (), "field": (1,), "oracle": (104729,), "initial": (2**31 - 1,)}


def streams(seed: int, r: Optional[int] = None, name: str = "round") -> np.random.Generator:
    """The generator of stream ``name`` of round ``r`` in a run seeded ``seed``.

    Parameters
    ----------
    seed : int
        The run's seed (>= 0).
    r : int or None
        The round index (0-based); None for the ``"initial"`` stream, which belongs to no round.
    name : str
        One of :data:`STREAMS`: ``"round"``, ``"field"``, ``"oracle"`` or ``"initial"``.

    Returns
    -------
    numpy.random.Generator
    """
    if name not in STREAMS:
        raise ValueError(f"unknown random stream {name!r}; choose one of {list(STREAMS)}")
    if name == "initial":
        if r is not None:
            raise ValueError("the 'initial' stream belongs to no round: pass r=None")
        return np.random.default_rng([int(seed), *STREAMS[name]])
    if r is None:
        raise ValueError(f"the {name!r} stream belongs to a round: pass its index r")
    return np.random.default_rng([int(seed), int(r), *STREAMS[name]])
