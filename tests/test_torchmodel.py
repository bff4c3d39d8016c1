"""TorchModel: a user's own nn.Module as the task model, for every strategy that works with CNN."""
import numpy as np
import pytest
import torch
from torch import nn

import alviz
from alviz.models import CNN, MLP, TorchModel


class Plain(nn.Module):
    """A user's network: the last nn.Linear is the head, its input (24 wide) the embedding."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 24), nn.ReLU())
        self.out = nn.Linear(24, 10)

    def forward(self, x):
        return self.out(self.body(x.flatten(1)))


class NamedHead(nn.Module):
    """The head is registered first, so "the last nn.Linear" is the wrong layer: head= names it."""

    def __init__(self):
        super().__init__()
        self.classifier = nn.Linear(16, 10)
        self.body = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Dropout(0.1))

    def forward(self, x):
        return self.classifier(self.body(x.flatten(1)))


class FiveOutputs(Plain):
    def __init__(self):
        super().__init__()
        self.out = nn.Linear(24, 5)


class NoLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 10, 64)

    def forward(self, x):
        return self.conv(x.reshape(len(x), 1, -1)).flatten(1)


@pytest.fixture(scope="module")
def small(digits):
    idx = np.random.default_rng(0).choice(len(digits.X), 200, replace=False)
    return digits.X[idx], digits.y[idx]


def test_embedding_is_the_head_input_read_by_a_hook(small):
    X, y = small
    m = TorchModel(Plain, steps=30).fit(X, y, n_classes=10)
    emb = m.embed(X)
    assert emb.shape == (200, 24) and m.n_embedding_ == 24
    with torch.no_grad():
        manual = m.network_.body(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(emb, manual, rtol=1e-5, atol=1e-6)
    assert isinstance(m.network_, Plain)  # the user's module, not rewritten
    assert not m.network_.out._forward_hooks  # the hook is gone after use


def test_named_head(small):
    X, y = small
    m = TorchModel(NamedHead, head="classifier", steps=30).fit(X, y, n_classes=10)
    assert m.embed(X).shape == (200, 16) and m.n_embedding_ == 16
    # without the name, the last nn.Linear (body.0) would be taken: its input is the raw 64 features
    assert TorchModel(NamedHead, steps=5).fit(X, y, n_classes=10).n_embedding_ == 64


def test_fit_is_seeded_and_a_fresh_copy_each_time(small):
    X, y = small
    a = TorchModel(Plain, steps=30, random_state=3).fit(X, y, n_classes=10)
    b = TorchModel(Plain, steps=30, random_state=3).fit(X, y, n_classes=10)
    c = TorchModel(Plain, steps=30, random_state=4).fit(X, y, n_classes=10)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    assert a.network_ is not b.network_


def test_lambda_builder_and_sklearn_clone(small):
    from sklearn.base import clone

    X, y = small
    m = clone(TorchModel(lambda: Plain(), steps=10)).fit(X, y, n_classes=10)
    assert m.predict_proba(X).shape == (200, 10)


def test_wrong_output_size_says_so(small):
    X, y = small
    with pytest.raises(ValueError, match=r"output .* shape \(1, 5\), expected \(1, 10\)"):
        TorchModel(FiveOutputs, steps=5).fit(X, y, n_classes=10)


def test_missing_head_name_says_which(small):
    X, y = small
    with pytest.raises(ValueError, match=r"head='fc' is not a layer of Plain.*'body.0', 'body.2', 'out'"):
        TorchModel(Plain, head="fc", steps=5).fit(X, y, n_classes=10)
    with pytest.raises(ValueError, match=r"head='body.1' is a ReLU"):
        TorchModel(Plain, head="body.1", steps=5).fit(X, y, n_classes=10)
    with pytest.raises(ValueError, match="no nn.Linear layer"):
        TorchModel(NoLinear, steps=5).fit(X, y, n_classes=10)


def test_an_instance_is_refused_with_what_to_do(small):
    X, y = small
    with pytest.raises(TypeError, match="give the class or a zero-argument callable"):
        TorchModel(Plain(), steps=5).fit(X, y, n_classes=10)


def test_mlp_and_cnn_share_the_hook_mechanism(digits):
    X, y = digits.X[:150], digits.y[:150]
    m = MLP(hidden=(20,), steps=10).fit(X, y, n_classes=10)
    with torch.no_grad():
        ref = m.network_.features(torch.as_tensor(X)).numpy()
    np.testing.assert_allclose(m.embed(X), ref, rtol=1e-5, atol=1e-6)
    Xi = X.reshape(-1, 1, 8, 8)
    c = CNN(steps=5, embedding_dim=12).fit(Xi, y, n_classes=10)
    assert c.embed(Xi).shape == (150, 12) and c.head_ is c.network_.head


@pytest.mark.parametrize("module,head,width", [(Plain, None, 24), (NamedHead, "classifier", 16)])
@pytest.mark.parametrize("strategy", ["dfal", "badge", "gradnorm", "margin", "vaal", "alfa_mix", "noise_stability"])
def test_user_module_runs_strategies_through_a_session(digits, module, head, width, strategy):
    params = {"steps": 20, "progress": False} if strategy == "vaal" else {}
    if strategy == "noise_stability":
        params = {"n_sampling": 5}
    if strategy == "dfal":
        params = {"max_candidates": 150}
    s = alviz.strategies.get(strategy, **params)
    session = alviz.Session(digits, strategy=s, model=TorchModel(module, head=head, steps=40), initial=20,
                            budget=5, seed=0)
    rnd = session.step()
    assert len(rnd.selected) == 5 and not np.isin(rnd.selected, rnd.labeled).any()
    assert session.model.embed(digits.X[:3]).shape == (3, width)
    if strategy == "badge":
        # BADGE's gradient embedding is built on the head's input
        assert np.isfinite(rnd.scores[rnd.selected]).all()
