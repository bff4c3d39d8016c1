"""A torch thread policy for alviz's small networks (task models, VAE, contrastive encoder)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Sequence

import numpy as np
import torch

__all__ = ["threads_for"]

#: samples with at most this many values train on one torch thread (see threads_for)
_ONE_THREAD_MAX_VALUES = 1024


@contextmanager
def threads_for(input_shape: Sequence[int]):
    """Train small inputs on one torch thread, restoring the setting after.

    alviz's networks are small: for vectors and images of up to 1024 values
    (8×8 digits, 28×28 MNIST) splitting each op across OpenMP threads costs
    about as much as the work on an idle machine, and on a busy one (other
    processes on the cores) the threads' barriers make a step 3-20× slower
    (measured: an MNIST contrastive step 0.2 s on one thread, 0.8 s on two).
    Larger images (CIFAR) keep torch's setting.
    """
    if int(np.prod(input_shape)) > _ONE_THREAD_MAX_VALUES:
        yield
        return
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)
