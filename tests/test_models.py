"""The torch task models: one API, deterministic, sensible."""
import numpy as np
import pytest
import torch
from sklearn.base import clone

from alviz.models import CNN, MLP, default_model


def test_mlp_api_and_quality(digits):
    m = MLP(random_state=0).fit(digits.X[:400], digits.y[:400], n_classes=10)
    p = m.predict_proba(digits.X_test)
    assert p.shape == (len(digits.X_test), 10)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert (m.predict(digits.X_test) == digits.y_test).mean() > 0.85
    h = m.embed(digits.X[:5])
    assert h.shape == (5, 128) and m.n_embedding_ == 128
    z = m.logits(torch.as_tensor(digits.X[:5]))
    assert z.requires_grad and z.shape == (5, 10)
    # the logits are the head applied to the embedding
    np.testing.assert_allclose(m.network_.head(torch.as_tensor(h)).detach().numpy(), z.detach().numpy(), atol=1e-5)


def test_missing_classes_keep_all_outputs(digits):
    few = np.flatnonzero(digits.y < 3)[:30]
    m = MLP().fit(digits.X[few], digits.y[few], n_classes=10)
    assert m.predict_proba(digits.X[:3]).shape == (3, 10)


def test_deterministic_and_leaves_global_rng_alone(digits):
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = MLP(random_state=5).fit(digits.X[:100], digits.y[:100], n_classes=10).predict_proba(digits.X[:50])
    after = torch.rand(1)
    assert torch.equal(before, after), "fit must not consume the global torch RNG"
    b = clone(MLP(random_state=5)).fit(digits.X[:100], digits.y[:100], n_classes=10).predict_proba(digits.X[:50])
    np.testing.assert_array_equal(a, b)


def test_cnn_on_image_tensors_and_clear_shape_error(digits):
    X = digits.X.reshape(-1, 1, 8, 8)
    m = CNN(steps=150).fit(X[:300], digits.y[:300], n_classes=10)
    assert m.predict_proba(X[:4]).shape == (4, 10) and m.embed(X[:4]).shape == (4, 64)
    assert (m.predict(digits.X_test.reshape(-1, 1, 8, 8)) == digits.y_test).mean() > 0.6
    with pytest.raises(ValueError, match="channels, H, W"):
        m.predict_proba(digits.X[:4])
    with pytest.raises(ValueError, match="channels, H, W"):
        CNN().fit(digits.X[:10], digits.y[:10])


def test_unfitted_and_default_models(digits, moons):
    with pytest.raises(RuntimeError, match="fit"):
        MLP().predict_proba(digits.X[:2])
    assert isinstance(default_model(digits), MLP) and default_model(moons).hidden == (32, 32)
    assert clone(CNN(embedding_dim=32)).embedding_dim == 32
