"""Where torch work runs: one helper that turns ``"cpu"`` / ``"cuda"`` / ``"auto"`` into a device.

Every alviz network (task models, VAAL's VAE and discriminator, the
contrastive encoder, EER's surrogate) resolves its ``device`` parameter here,
when work starts (scikit-learn manners: ``__init__`` only stores it). Results
always come back as numpy arrays on the CPU.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch

__all__ = ["DEVICES", "resolve_device", "check_device", "seeded"]

#: the values a ``device`` parameter accepts (plus "cuda:N" and torch.device objects)
DEVICES = ("cpu", "cuda", "auto")


def resolve_device(device="cpu") -> torch.device:
    """The torch device for ``device``.

    Parameters
    ----------
    device : "cpu" | "cuda" | "cuda:N" | "auto" | torch.device
        ``"auto"`` is CUDA when torch sees a GPU, else the CPU.

    Returns
    -------
    torch.device

    Raises
    ------
    RuntimeError
        ``"cuda"`` asked for on a machine where torch sees no CUDA GPU: said at
        once, before any training, with what to do instead.
    ValueError
        Anything else that is not a device name.
    """
    if isinstance(device, torch.device):
        dev = device
    elif isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    elif isinstance(device, str) and (device == "cpu" or device == "cuda" or device.startswith("cuda:")):
        try:
            dev = torch.device(device)
        except RuntimeError as exc:
            raise ValueError(f"device={device!r} is not a device; use 'cpu', 'cuda', 'cuda:N' or 'auto'") from exc
    else:
        raise ValueError(f"device={device!r} is not a device; use 'cpu', 'cuda', 'cuda:N' or 'auto'")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device={str(device)!r} needs CUDA, and torch sees no CUDA GPU on this machine "
                f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'none'}); "
                "use device='cpu', or device='auto' to take a GPU only when there is one"
            )
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device={str(device)!r}: torch sees {torch.cuda.device_count()} CUDA GPU(s); "
                "use 'cuda' or an index below that"
            )
    elif dev.type != "cpu":
        raise ValueError(f"device={device!r}: alviz runs on 'cpu' or 'cuda' (or 'auto')")
    return dev


def check_device(device) -> None:
    """Validate a ``device`` parameter (a strategy's ``_validate_params``): the errors of :func:`resolve_device`."""
    resolve_device(device)


@contextmanager
def seeded(seed: int, device: torch.device):
    """Seed torch for work on ``device`` inside ``fork_rng``: the caller's global torch state (CPU, and the
    GPU's when ``device`` is one) is restored afterwards."""
    devices = (
        [device.index if device.index is not None else torch.cuda.current_device()] if device.type == "cuda" else []
    )
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield
