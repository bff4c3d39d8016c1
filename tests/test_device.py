"""The device option: "cpu" / "cuda" / "auto" on models and on the strategies that train their own networks."""
import numpy as np
import pytest
import torch
from torch import nn

import alviz
from alviz._device import resolve_device
from alviz.models import CNN, MLP, TorchModel
from tests.conftest import make_context

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")

#: strategies that train or run a network of their own get a device parameter (default "cpu")
OWN_NETWORK = ["vaal", "contrastive_coreset", "typiclust", "prototype", "probcover", "eer", "loss_prediction", "waal",
               "ta_vaal", "sraal", "coregcn", "uncertaingcn"]


class Tiny(nn.Module):
    def __init__(self):
        super().__init__()
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        return self.out(x.flatten(1))


def test_resolve_device():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    for bad in ("gpu", "tpu", 0, None, "mps"):
        with pytest.raises(ValueError, match="use 'cpu', 'cuda'"):
            resolve_device(bad)


@no_cuda
def test_cuda_without_cuda_fails_at_once_naming_cuda():
    with pytest.raises(RuntimeError, match="needs CUDA.*no CUDA GPU.*device='auto'"):
        resolve_device("cuda")
    with pytest.raises(RuntimeError, match="CUDA"):
        resolve_device("cuda:1")


@no_cuda
@pytest.mark.parametrize("model", [MLP(device="cuda"), CNN(device="cuda"), TorchModel(Tiny, device="cuda")])
def test_models_refuse_cuda_without_cuda(digits, model):
    X = digits.X[:40] if not isinstance(model, CNN) else digits.X[:40].reshape(-1, 1, 8, 8)
    with pytest.raises(RuntimeError, match="needs CUDA"):
        model.fit(X, digits.y[:40], n_classes=10)
    assert not hasattr(model, "network_")


@no_cuda
@pytest.mark.parametrize("name", OWN_NETWORK)
def test_strategies_with_their_own_network_refuse_cuda_before_any_work(digits, name, monkeypatch):
    import alviz.contrastive_encoder as enc

    def never(*a, **k):
        raise AssertionError("training started before the device was checked")

    monkeypatch.setattr(enc, "_train_contrastive", never)
    monkeypatch.setattr("alviz.strategies.vaal.train_vaal", never)
    ctx = make_context(digits, n_labeled=30)
    with pytest.raises(RuntimeError, match="needs CUDA"):
        alviz.strategies.get(name, device="cuda").query(ctx, 5, rng=0)


@no_cuda
def test_a_session_with_a_cuda_model_fails_clearly(digits):
    s = alviz.Session(digits, strategy="dfal", model=MLP(device="cuda"), initial=20, budget=5, seed=0)
    with pytest.raises(RuntimeError, match="needs CUDA"):
        s.step()


@pytest.mark.parametrize("name", OWN_NETWORK)
def test_device_is_a_parameter_defaulting_to_cpu(name):
    assert alviz.strategies.get(name).get_params()["device"] == "cpu"
    with pytest.raises(ValueError, match="device='gpu' is not valid; it must be a device"):
        alviz.strategies.get(name, device="gpu")._validate_params()


def test_auto_runs_where_it_can_and_matches_cpu(digits):
    X, y = digits.X[:200], digits.y[:200]
    a = MLP(steps=20, device="auto").fit(X, y, n_classes=10)
    c = MLP(steps=20, device="cpu").fit(X, y, n_classes=10)
    assert a.device_.type in ("cpu", "cuda")
    np.testing.assert_allclose(a.predict_proba(X), c.predict_proba(X), atol=1e-4)
