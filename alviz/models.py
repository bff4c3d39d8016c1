"""Torch task models behind one small classifier API.

``fit(X, y, n_classes)``, ``predict_proba(X)``, ``embed(X)`` (penultimate
features) and ``logits(x)`` (a differentiable torch tensor, for gradient
strategies). They are scikit-learn estimators (``get_params``/``clone`` work),
seeded by ``random_state`` and deterministic on the CPU. Training seeds torch
inside ``torch.random.fork_rng`` so the global torch state is left alone.
"""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np
from numpy.typing import ArrayLike
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from torch import nn

from ._device import resolve_device, seeded
from ._params import Integral, Interval, Real, Satisfies, merged_constraints, validate_params
from ._threads import threads_for
from ._validation import check_features, check_labels, torch_seed

__all__ = [
    "MLP",
    "CNN",
    "TorchModel",
    "TorchClassifier",
    "OutputNotLogitsError",
    "output_kind",
    "ForwardRecord",
    "default_model",
    "is_torch_model",
    "has_embedding",
    "model_input",
    "fit_fresh",
    "fit_warm",
    "warm_steps",
]


class _Net(nn.Module):
    """features: input -> penultimate h (n, d); head: h -> logits (n, C)."""

    def __init__(self, features: nn.Module, head: nn.Module):
        super().__init__()
        self.features = features
        self.head = head

    def forward(self, x):
        return self.head(self.features(x))


class OutputNotLogitsError(ValueError):
    """A network whose outputs are already probabilities (it ends in softmax); log-probabilities are accepted,
    since the softmax of log-probabilities is the probabilities and their differences are the logits'."""


def output_kind(out: torch.Tensor, atol: float = 1e-4) -> str:
    """What a network's (m, C) outputs are: "probabilities", "log-probabilities" or "logits".

    Rows that are non-negative and sum to 1 are probabilities (a final softmax); rows that are
    non-positive and whose exponentials sum to 1 are log-probabilities (a final log-softmax);
    anything else is taken as logits. Random logits pass this test with probability zero.

    Parameters
    ----------
    out : torch.Tensor of shape (m, C)
    atol : float, the tolerance on the row sums.

    Returns
    -------
    str
    """
    o = out.detach().double()
    if o.shape[-1] < 2:
        return "logits"
    ones = torch.ones(o.shape[0], dtype=o.dtype, device=o.device)
    if bool((o >= 0).all()) and torch.allclose(o.sum(dim=1), ones, atol=atol):
        return "probabilities"
    if bool((o <= 0).all()) and torch.allclose(o.exp().sum(dim=1), ones, atol=atol):
        return "log-probabilities"
    return "logits"


def _widths_ok(value: Any) -> bool:
    return (
        isinstance(value, (tuple, list))
        and len(value) > 0
        and all(isinstance(w, (int, np.integer)) and not isinstance(w, bool) and w >= 1 for w in value)
    )


#: layer widths: a non-empty tuple of ints >= 1
_WIDTHS = Satisfies(_widths_ok, "a non-empty tuple of ints >= 1 (layer widths)")


class TorchClassifier(ClassifierMixin, BaseEstimator):
    """Shared training and inference; subclasses build the network and say which layer is its head.

    The embedding (penultimate features) is always the **input of the head**
    (an ``nn.Linear``), read with a forward hook: the same mechanism for
    alviz's own networks and a user's module, which is never rewritten.
    Networks live on ``device`` (resolved by :func:`alviz._device.resolve_device`
    at fit time, in ``device_``); every result comes back as a numpy array.
    """

    #: the input shape (without the batch axis) this model accepts; set by fit
    input_shape_: tuple
    #: the declared constraints of the parameters (see :mod:`alviz._params`), merged along the MRO and
    #: checked by :meth:`_validate_params` at fit (scikit-learn's habit) and when a Session takes the model
    _parameter_constraints: Dict[str, list] = {
        "steps": [Interval(Integral, 1, None, hint="Adam steps per fit")],
        "lr": [Interval(Real, 0, None, closed="right")],
        "weight_decay": [Interval(Real, 0, None)],
        "batch_size": [Interval(Integral, 1, None)],
        "random_state": [Interval(Integral, 0, None), None],
        "device": ["device"],
    }
    weight_decay: float = 0.0
    device: str = "cpu"

    def _set_training(self, steps, lr, weight_decay, batch_size, random_state, device) -> None:
        """Keep the training parameters every alviz torch model takes (its constructor's shared part)."""
        self.steps = steps
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.random_state = random_state
        self.device = device

    def _build(self, input_shape: tuple, n_classes: int) -> nn.Module:  # pragma: no cover - abstract
        raise NotImplementedError

    def _find_head(self, net: nn.Module) -> nn.Linear:
        """The head layer of a built network (alviz's own: ``net.head``)."""
        return net.head

    def _check_input(self, X) -> np.ndarray:
        return check_features(X, "X")

    def _check_output(self, net: nn.Module, X: np.ndarray, n_classes: int, device) -> None:
        """One forward pass on a few samples: the output must be (m, n_classes) logits, not probabilities."""
        net.eval()
        m = min(len(X), 8)
        with torch.no_grad():
            out = net(torch.as_tensor(X[:1], dtype=torch.float32, device=device))
            if isinstance(out, torch.Tensor) and tuple(out.shape) == (1, n_classes) and m > 1:
                out = net(torch.as_tensor(X[:m], dtype=torch.float32, device=device))
        if not isinstance(out, torch.Tensor) or tuple(out.shape) != (m, n_classes):
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"the network's output for one sample has shape {got}, expected (1, {n_classes}): "
                f"it must return one logit per class ({n_classes} classes); make its last layer "
                f"nn.Linear(..., {n_classes})"
            )
        if output_kind(out) == "probabilities":  # log-probabilities are fine: softmax(log p) = p
            raise OutputNotLogitsError(
                "the network's outputs are already probabilities (every row is non-negative and sums to 1): it "
                "ends in nn.Softmax (or softmax). alviz trains on logits with the cross-entropy and applies the "
                "softmax itself, so a second softmax would squash every probability towards 1/C; remove that "
                "last layer (return the output of the final nn.Linear; a final log_softmax is fine)"
            )

    def _validate_params(self) -> None:
        """Check the parameters against the declared ``_parameter_constraints``.

        Raises
        ------
        InvalidParameterError
            Naming the model, the parameter, its value and what is allowed.
        """
        validate_params(type(self).__name__, merged_constraints(type(self)), self.get_params(deep=False))

    # ------------------------------------------------------------------ training
    def fit(self, X, y, n_classes: Optional[int] = None, init_from: Optional["TorchClassifier"] = None):
        """Train on (X, y): from scratch, or from the weights of ``init_from``.

        Parameters
        ----------
        X : (n, *input_shape) array.
        y : (n,) int labels.
        n_classes : int, optional, the output size (default max(y)+1).
        init_from : TorchClassifier, optional
            A fitted model of the same architecture (the same parameters, inputs and classes) whose
            weights this fit starts from instead of a fresh initialisation (a warm start,
            :func:`fit_warm`); it is not changed.

        Returns
        -------
        self
        """
        self._validate_params()
        device = resolve_device(self.device)
        X = self._check_input(X)
        y = check_labels(y, len(X), n_classes)
        C = int(n_classes) if n_classes is not None else int(y.max()) + 1
        if C < 2:
            raise ValueError("n_classes must be at least 2")
        self.n_classes_ = C
        self.classes_ = np.arange(C)
        self.input_shape_ = tuple(X.shape[1:])
        seed = 0 if self.random_state is None else int(self.random_state)
        with seeded(seed, device), threads_for(self.input_shape_):
            net = self._build(self.input_shape_, C).to(device)
            if init_from is not None:
                self._load_weights(net, init_from, C)
            head = self._find_head(net)
            self._check_output(net, X, C, device)
            opt = torch.optim.Adam(net.parameters(), lr=self.lr, weight_decay=self.weight_decay)
            Xt = torch.as_tensor(X, dtype=torch.float32).to(device)
            yt = torch.as_tensor(y).to(device)
            gen = torch.Generator().manual_seed(seed)
            n = len(Xt)
            bs = min(self.batch_size, n)
            net.train()
            loss_fn = nn.CrossEntropyLoss()
            for _ in range(self.steps):
                idx = torch.randperm(n, generator=gen)[:bs].to(device) if bs < n else slice(None)
                opt.zero_grad()
                loss = loss_fn(net(Xt[idx]), yt[idx])
                loss.backward()
                opt.step()
            self.final_loss_ = float(loss.detach())
        net.eval()
        self.network_ = net
        self.head_ = head
        self.device_ = device
        return self

    def _load_weights(self, net: nn.Module, init_from: "TorchClassifier", n_classes: int) -> None:
        """Copy ``init_from``'s weights into the freshly built ``net``, or a ValueError saying why not."""
        if not hasattr(init_from, "network_"):
            raise ValueError("a warm start needs a fitted model to start from; the one given is not fitted")
        if (
            type(init_from) is not type(self)
            or getattr(init_from, "input_shape_", None) != self.input_shape_
            or getattr(init_from, "n_classes_", None) != n_classes
        ):
            raise ValueError(
                f"a warm start needs a model of the same kind, inputs and classes: got a "
                f"{type(init_from).__name__} on {getattr(init_from, 'input_shape_', None)} with "
                f"{getattr(init_from, 'n_classes_', None)} classes for a {type(self).__name__} on "
                f"{self.input_shape_} with {n_classes}"
            )
        state = {k: v.detach().clone() for k, v in init_from.network_.state_dict().items()}
        try:
            net.load_state_dict(state)
        except RuntimeError as exc:  # torch's message names the mismatched tensors
            raise ValueError(f"a warm start needs the same architecture; the weights do not fit: {exc}") from None

    # ------------------------------------------------------------------ inference
    def _check_fitted(self):
        if not hasattr(self, "network_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit(X, y) first")

    def _tensor(self, X) -> torch.Tensor:
        self._check_fitted()
        X = self._check_input(X)
        if tuple(X.shape[1:]) != self.input_shape_:
            raise ValueError(
                f"X has samples of shape {tuple(X.shape[1:])} but the model was fitted on {self.input_shape_}"
            )
        return torch.as_tensor(X, dtype=torch.float32)

    def _batch_size(self) -> int:
        """Inference batch: about 2**18 input values (256 MNIST images, 4096 vectors of 64): activations
        that stay in the CPU caches run a CNN ~2x faster than batches of thousands of images."""
        return int(np.clip(2**18 // max(1, int(np.prod(self.input_shape_))), 64, 4096))

    def _batched(self, fn, X, batch: Optional[int] = None) -> np.ndarray:
        Xt = self._tensor(X)
        batch = self._batch_size() if batch is None else batch
        self.network_.eval()
        with torch.no_grad(), threads_for(self.input_shape_):
            out = [fn(Xt[i : i + batch].to(self.device_)).cpu() for i in range(0, len(Xt), batch)]
        return torch.cat(out).numpy()

    def predict_proba(self, X) -> np.ndarray:
        """(n, C) class probabilities."""
        return self._batched(lambda x: torch.softmax(self.network_(x), dim=1), X).astype(np.float64)

    def predict(self, X) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)

    def _with_head_input(self, x: torch.Tensor):
        """(output, h) of one forward pass over a batch: the network's output and its head's input
        (m, d), read with a forward hook (the network is not changed)."""
        seen = []
        hook = self.head_.register_forward_hook(lambda module, inputs, output: seen.append(inputs[0]))
        try:
            out = self.network_(x)
        finally:
            hook.remove()
        if not seen:
            raise RuntimeError(
                f"the head layer {type(self.head_).__name__} was not called in the forward pass, so the "
                "embedding (its input) cannot be read; name a layer the forward pass uses (head=...)"
            )
        return out, seen[-1].flatten(1)

    def _embed_tensor(self, x: torch.Tensor) -> torch.Tensor:
        """(m, d) input of the head for a batch."""
        return self._with_head_input(x)[1]

    def embed(self, X) -> np.ndarray:
        """(n, d) penultimate-layer features h: the input of the head."""
        return self._batched(self._embed_tensor, X)

    def proba_and_embed(self, X):
        """(predict_proba(X), embed(X)) from one forward pass over X (half the work of both calls)."""
        d = None

        def both(x):
            nonlocal d
            logits, h = self._with_head_input(x)
            d = h.shape[1]
            return torch.cat([torch.softmax(logits, dim=1), h], dim=1)  # (m, C + d)

        out = self._batched(both, X)
        C = out.shape[1] - d
        return out[:, :C].astype(np.float64), np.ascontiguousarray(out[:, C:])

    #: rows per forward pass of :meth:`mc_dropout_proba` (part of its numbers: the masks are drawn per batch)
    _MC_BATCH = 4096

    def mc_dropout_proba(
        self, X, n_samples: int, seed: int, consistent: bool = False, embedding: Optional[np.ndarray] = None
    ) -> np.ndarray:
        """(T, n, C) float64: T = ``n_samples`` stochastic forward passes over ``X`` with only the
        network's Dropout layers sampling (MC dropout, Gal & Ghahramani 2016), everything else in eval mode.

        The model asks its own network; nothing outside it flips layers. Seeded by ``seed``
        (the global torch state is left alone) and deterministic on the CPU: the same ``seed`` gives the
        same masks' stream for any ``X``. The network is back in eval mode afterwards, even on an error.

        Parameters
        ----------
        X : (n, *input_shape) array.
        n_samples : int, T.
        seed : int, seeds the masks.
        consistent : bool, default False
            False: every sample of every pass draws its own mask (``nn.Dropout`` in train mode).
            True: pass t draws one mask per Dropout layer and applies it to every input, so pass t is
            one network (one parameter sample ω_t) for all of ``X`` and a later call with other inputs
            and the same ``seed`` gives the same T networks (BatchBALD's consistent MC dropout, Kirsch
            et al. 2019: joint predictions of several samples need it; fields drawn from it are smooth).
            The masks are drawn on the CPU, so CPU and GPU sample the same networks.
        embedding : (n, d) array or None
            ``embed(X)`` when the caller has it already (the round's pool embedding): with
            ``consistent=True`` and the only dropout layer feeding the head, no forward pass runs.

        Returns
        -------
        (T, n, C) float64

        Raises
        ------
        ValueError
            The network has no Dropout layer with p > 0 (every pass would be the same).

        References
        ----------
        Kirsch, A., van Amersfoort, J. & Gal, Y. (2019). BatchBALD: efficient and diverse batch
        acquisition for deep Bayesian active learning. NeurIPS.
        """
        self._check_fitted()
        net = self.network_
        drops = [m for m in net.modules() if isinstance(m, nn.Dropout) and m.p > 0]
        if not drops:
            raise ValueError(
                f"MC-dropout sampling needs a network with dropout > 0 (e.g. alviz.models.MLP(dropout=0.2)); "
                f"this {type(self).__name__} has no Dropout layer with p > 0"
            )
        if consistent:
            return self._consistent_mc_proba(X, int(n_samples), int(seed), drops, embedding)
        Xt = self._tensor(X)
        b = self._MC_BATCH
        out = []
        with seeded(int(seed), self.device_), torch.no_grad():
            net.eval()
            for m in drops:
                m.train()  # only the dropout layers are stochastic
            try:
                for _ in range(int(n_samples)):
                    p = [torch.softmax(net(Xt[i : i + b].to(self.device_)), dim=1).cpu() for i in range(0, len(Xt), b)]
                    out.append(torch.cat(p).numpy().astype(np.float64))  # (n, C)
            finally:
                net.eval()
        return np.stack(out)

    def _dropout_feeds_head(self, drops: list) -> bool:
        """True when the network's only Dropout layer is the last of ``features`` and feeds the head."""
        net = self.network_
        feats = getattr(net, "features", None)
        return (
            isinstance(feats, nn.Sequential)
            and len(drops) == 1
            and len(feats) > 0
            and feats[-1] is drops[0]
            and getattr(net, "head", None) is self.head_
        )

    def _consistent_mc_proba(
        self, X, T: int, seed: int, drops: list, embedding: Optional[np.ndarray] = None
    ) -> np.ndarray:
        """Consistent MC dropout (see :meth:`mc_dropout_proba`): pass t multiplies each Dropout layer's
        output by one mask m_t (drawn once, Bernoulli(1 - p) / (1 - p), of the layer's per-sample shape)
        for every input; the layers stay in eval mode (identity) and forward hooks apply the masks.

        When the only Dropout layer feeds the head directly (alviz's MLP and CNN: ``features`` ends with
        it), the head's input h is computed once and pass t is ``head(h ⊙ m_t)``: the same numbers
        (the same masks, drawn in the same order) at the cost of one forward pass.
        """
        gen = torch.Generator().manual_seed(seed)
        net = self.network_
        masks: dict = {}  # (pass, layer) -> mask, drawn in first-use order

        def mask(t: int, j: int, shape: tuple) -> torch.Tensor:
            if (t, j) not in masks:
                p = float(drops[j].p)
                keep = (torch.rand(shape, generator=gen) >= p).to(torch.float32)
                masks[(t, j)] = (keep / (1.0 - p)).to(self.device_)
            return masks[(t, j)]

        if self._dropout_feeds_head(drops):
            # (n, d): the dropout layer's output in eval mode
            h = torch.as_tensor(np.asarray(self.embed(X) if embedding is None else embedding, dtype=np.float32))
            if h.shape[0] != len(X):
                raise ValueError(f"embedding has {h.shape[0]} rows for {len(X)} inputs")
            out = []
            with torch.no_grad():
                for t in range(T):
                    m = mask(t, 0, tuple(h.shape[1:]))
                    logits = torch.cat(
                        [self.head_(h[i : i + 4096].to(self.device_) * m) for i in range(0, len(h), 4096)]
                    )
                    out.append(torch.softmax(logits, dim=1).cpu().numpy().astype(np.float64))
            return np.stack(out)
        Xt = self._tensor(X)
        b = self._batch_size()
        current = [0]
        index = {id(m): j for j, m in enumerate(drops)}
        hooks = [
            m.register_forward_hook(
                lambda mod, inp, output: output * mask(current[0], index[id(mod)], tuple(output.shape[1:]))
            )
            for m in drops
        ]
        out = []
        try:
            net.eval()
            with torch.no_grad(), threads_for(self.input_shape_):
                for t in range(T):
                    current[0] = t
                    p = [torch.softmax(net(Xt[i : i + b].to(self.device_)), dim=1).cpu() for i in range(0, len(Xt), b)]
                    out.append(torch.cat(p).numpy().astype(np.float64))
        finally:
            for hk in hooks:
                hk.remove()
            net.eval()
        return np.stack(out)

    def recording_logits(self) -> "ForwardRecord":
        """A differentiable ``logits(x)`` (as :meth:`logits`) that also keeps what each call saw: the
        probabilities and the embedding of its samples, from the same forward pass (see
        :class:`ForwardRecord`)."""
        self._check_fitted()
        return ForwardRecord(self)

    def logits(self, x) -> torch.Tensor:
        """Logits (n, C) as a differentiable tensor; ``x`` is a tensor (n, *input_shape) or an array.

        The network runs on the model's device; the logits come back on ``x``'s
        device (a tensor already there, e.g. in :mod:`alviz.perturbation`, stays put).
        """
        self._check_fitted()
        if not isinstance(x, torch.Tensor):
            x = self._tensor(x)
        self.network_.eval()
        return self.network_(x.to(self.device_)).to(x.device)

    @property
    def n_embedding_(self) -> int:
        """Width of the penultimate layer (the head's input)."""
        self._check_fitted()
        return int(self.head_.in_features)


class MLP(TorchClassifier):
    """A multilayer perceptron on flattened inputs.

    Parameters
    ----------
    hidden : tuple of int, widths of the hidden layers; the last is the embedding.
    dropout : float, dropout before the output layer (used by MC-dropout committees).
    steps : int, Adam steps per fit (minibatches of ``batch_size``).
    device : "cpu" (default) | "cuda" | "auto", where the network trains and runs.
    """

    _parameter_constraints = {
        "hidden": [_WIDTHS],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden: Sequence[int] = (128,),
        dropout: float = 0.1,
        steps: int = 300,
        lr: float = 1e-2,
        weight_decay: float = 1e-4,
        batch_size: int = 64,
        random_state: Optional[int] = 0,
        device: str = "cpu",
    ):
        self._set_training(steps, lr, weight_decay, batch_size, random_state, device)
        self.hidden = hidden
        self.dropout = dropout

    def _build(self, input_shape, n_classes):
        d = int(np.prod(input_shape))
        layers: list = [nn.Flatten()]
        for w in self.hidden:
            layers += [nn.Linear(d, int(w)), nn.ReLU()]
            d = int(w)
        layers.append(nn.Dropout(self.dropout))
        return _Net(nn.Sequential(*layers), nn.Linear(d, n_classes))


class CNN(TorchClassifier):
    """A small two-block convnet for image tensors (n, channels, H, W).

    ``device``: "cpu" (default) | "cuda" | "auto", where the network trains and runs.
    """

    _parameter_constraints = {
        "channels": [_WIDTHS],
        "embedding_dim": [Interval(Integral, 1, None)],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        channels: Sequence[int] = (16, 32),
        embedding_dim: int = 64,
        dropout: float = 0.1,
        steps: int = 300,
        lr: float = 3e-3,
        weight_decay: float = 1e-4,
        batch_size: int = 64,
        random_state: Optional[int] = 0,
        device: str = "cpu",
    ):
        self._set_training(steps, lr, weight_decay, batch_size, random_state, device)
        self.channels = channels
        self.embedding_dim = embedding_dim
        self.dropout = dropout

    def _check_input(self, X):
        X = check_features(X, "X")
        if X.ndim != 4:
            raise ValueError(
                f"CNN needs image tensors of shape (n, channels, H, W), got {X.shape}; "
                "reshape your data (e.g. X.reshape(-1, 1, 8, 8)) or use alviz.models.MLP"
            )
        return X

    def _build(self, input_shape, n_classes):
        c = input_shape[0]
        layers: list = []
        for w in self.channels:
            layers += [nn.Conv2d(c, int(w), 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, ceil_mode=True)]
            c = int(w)
        layers += [
            nn.AdaptiveAvgPool2d(2),
            nn.Flatten(),
            nn.Linear(c * 4, int(self.embedding_dim)),
            nn.ReLU(),
            nn.Dropout(self.dropout),
        ]
        return _Net(nn.Sequential(*layers), nn.Linear(int(self.embedding_dim), n_classes))


class TorchModel(TorchClassifier):
    """Your own ``torch.nn.Module`` as the task model, for every strategy (gradient ones included).

    alviz builds a fresh network each fit by calling ``module()`` (seeded from
    ``random_state`` inside ``torch.random.fork_rng``), trains it with Adam on
    the cross-entropy of its output, and reads the embedding (penultimate
    features: BADGE, core-set, the projections) as the **input of the head**
    with a forward hook; the module itself is never rewritten.

    Parameters
    ----------
    module : an ``nn.Module`` subclass, or a zero-argument callable that returns a new module
        (``lambda: MyNet(width=64)``). Its ``forward(x)`` takes a float tensor (n, *input_shape)
        of the dataset's samples and returns logits (n, n_classes): a network that ends in a softmax
        is refused (:class:`OutputNotLogitsError`), one that ends in a log-softmax is fine.
        A session whose model is built from a lambda or function cannot be saved (a session file holds
        data, not code: ``session.save`` refuses it and says so); give the class, or a subclass that
        sets the constructor's arguments, to save and load (``Session.load(path, classes=[MyNet])``).
    head : str, optional
        The name (as in ``module.named_modules()``, e.g. ``"classifier.2"``) of the
        ``nn.Linear`` whose input is the embedding; default the module's last ``nn.Linear``.
    device : "cpu" (default) | "cuda" | "auto", where the network trains and runs.
    steps, lr, weight_decay, batch_size : Adam steps per fit, on minibatches of ``batch_size``.
    random_state : int, the seed of each fit (the Session sets it per round).

    Examples
    --------
    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.body = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU())
    ...         self.out = nn.Linear(32, 10)
    ...     def forward(self, x):
    ...         return self.out(self.body(x))
    >>> model = TorchModel(Net, device="auto")   # doctest: +SKIP
    """

    _parameter_constraints = {
        "module": ["callable"],
        "head": [str, None],
    }

    def __init__(
        self,
        module,
        head: Optional[str] = None,
        device: str = "cpu",
        steps: int = 300,
        lr: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int = 64,
        random_state: Optional[int] = 0,
    ):
        self.module = module
        self.head = head
        self._set_training(steps, lr, weight_decay, batch_size, random_state, device)

    def _build(self, input_shape, n_classes):
        if isinstance(self.module, nn.Module):
            raise TypeError(
                f"module is an instance ({type(self.module).__name__}); give the class or a zero-argument "
                f"callable that builds a new one (e.g. lambda: {type(self.module).__name__}(...)): alviz trains "
                "a fresh copy every round"
            )
        if not callable(self.module):
            raise TypeError(f"module must be an nn.Module class or a zero-argument callable, got {self.module!r}")
        net = self.module()
        if not isinstance(net, nn.Module):
            raise TypeError(f"module() returned a {type(net).__name__}, not a torch.nn.Module")
        return net

    def _find_head(self, net):
        layers = dict(net.named_modules())
        if self.head is not None:
            if self.head not in layers:
                names = [k for k, m in layers.items() if isinstance(m, nn.Linear)]
                raise ValueError(
                    f"head={self.head!r} is not a layer of {type(net).__name__}; its nn.Linear layers are: "
                    f"{', '.join(map(repr, names)) or '(none)'}"
                )
            head = layers[self.head]
            if not isinstance(head, nn.Linear):
                raise ValueError(
                    f"head={self.head!r} is a {type(head).__name__}; the head must be an nn.Linear "
                    "(its input is the embedding)"
                )
            return head
        linears = [m for m in net.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError(
                f"{type(net).__name__} has no nn.Linear layer to use as the head; the embedding is the head's "
                "input, so end the network with nn.Linear(..., n_classes) or name a head (head='...')"
            )
        return linears[-1]


def default_model(dataset: Any, random_state: int = 0) -> TorchClassifier:
    """A sensible task model for ``dataset``: a CNN for image tensors, an MLP otherwise."""
    if dataset.is_image:
        return CNN(random_state=random_state)
    if dataset.is_2d:
        return MLP(hidden=(32, 32), random_state=random_state)
    return MLP(hidden=(128,), random_state=random_state)


def is_torch_model(model: Any) -> bool:
    """True for a fitted-or-not alviz torch classifier (gradient strategies need one)."""
    return isinstance(model, TorchClassifier)


def has_embedding(model: Any) -> bool:
    """True when ``model`` has ``embed(X)`` (penultimate features), as alviz's torch models do.

    Parameters
    ----------
    model : object
        A classifier, fitted or not.

    Returns
    -------
    bool
    """
    return callable(getattr(model, "embed", None))


def model_input(model: Any, X: np.ndarray) -> np.ndarray:
    """torch models take the pool as it is; other classifiers get it flattened to (n, features)."""
    return X if is_torch_model(model) else np.asarray(X).reshape(len(X), -1)


def fit_fresh(
    template: Any, X: ArrayLike, y: ArrayLike, n_classes: int, rng: Any = None, params: Optional[dict] = None
) -> Any:
    """A fresh clone of ``template`` fitted on (X, y): the one place a task model is cloned, seeded and fitted.

    Parameters
    ----------
    template : an unfitted alviz torch model or scikit-learn classifier (never changed).
    X : (n, *input_shape) array; a non-torch classifier gets it flattened (:func:`model_input`).
    y : (n,) int labels.
    n_classes : int, the output size of a torch model (every class of the pool, seen or not).
    rng : None or numpy Generator
        When given and the clone has a ``random_state``, it is set to one draw
        ``torch_seed(rng)`` (so the caller's stream advances by one draw exactly then);
        None keeps the template's own ``random_state``.
    params : dict, optional
        Parameters set on the clone where it has them (e.g. ``{"steps": 100}`` for an alviz torch
        model); a parameter the clone does not have is skipped.

    Returns
    -------
    The fitted clone.
    """
    from sklearn.base import clone

    m = clone(template)
    if rng is not None and "random_state" in m.get_params():
        m.set_params(random_state=torch_seed(rng))
    if params:
        own = m.get_params()
        m.set_params(**{k: v for k, v in params.items() if k in own})
    if is_torch_model(m):
        return m.fit(X, y, n_classes=n_classes)
    return m.fit(model_input(m, np.asarray(X)), y)


def warm_steps(model: "TorchClassifier") -> int:
    """The training steps of a warm refit: a tenth of ``model.steps`` (at least 1).

    Parameters
    ----------
    model : an alviz torch model.

    Returns
    -------
    int
    """
    return max(1, int(getattr(model, "steps", 300)) // 10)


def fit_warm(
    template: "TorchClassifier",
    previous: "TorchClassifier",
    X: ArrayLike,
    y: ArrayLike,
    n_classes: int,
    rng: Any = None,
) -> "TorchClassifier":
    """A clone of ``template`` that starts from ``previous``'s weights and trains :func:`warm_steps` steps.

    The warm start of ``Session(..., warm_start=True)``: the labeled set grew by a few samples, so the
    last round's network is already close; a few Adam steps (a fresh optimiser) move it to the new set.

    Parameters
    ----------
    template : the unfitted alviz torch model the session clones (never changed); its ``steps`` sets
        the warm steps.
    previous : a fitted clone of ``template`` (the last round's model; never changed).
    X : (n, *input_shape) array.
    y : (n,) int labels.
    n_classes : int, the output size (every class of the pool).
    rng : None or numpy Generator
        As in :func:`fit_fresh`: one draw ``torch_seed(rng)`` seeds the minibatches, so the caller's
        stream advances exactly as a cold fit's would.

    Returns
    -------
    The fitted clone.
    """
    from sklearn.base import clone

    m = clone(template)
    if rng is not None and "random_state" in m.get_params():
        m.set_params(random_state=torch_seed(rng))
    m.set_params(steps=warm_steps(template))
    return m.fit(X, y, n_classes=n_classes, init_from=previous)


class ForwardRecord:
    """A task model's differentiable logits function that records, call by call, softmax(logits) and
    the head's input (detached, on the CPU).

    A strategy whose own gradient pass runs the model over the whole pool once, in order (gradnorm),
    hands the record to :meth:`alviz.strategies.QueryContext.share_forward_pass`, so the Session's
    probabilities and embedding of the round come from that pass instead of a second one.
    """

    def __init__(self, model: "TorchClassifier"):
        self.model = model
        self._proba: list = []
        self._embedding: list = []

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        m = self.model
        if not isinstance(x, torch.Tensor):
            x = m._tensor(x)
        m.network_.eval()
        logits, h = m._with_head_input(x.to(m.device_))
        self._proba.append(torch.softmax(logits.detach(), dim=1).cpu())
        self._embedding.append(h.detach().cpu())
        return logits.to(x.device)

    @property
    def n_seen(self) -> int:
        return int(sum(len(p) for p in self._proba))

    def proba_and_embed(self):
        """(proba (n, C) float64, embedding (n, d) float32) of every sample seen, in call order."""
        if not self._proba:
            raise ValueError("the record saw no samples: call it on the inputs first")
        return (
            torch.cat(self._proba).numpy().astype(np.float64),
            np.ascontiguousarray(torch.cat(self._embedding).numpy()),
        )
