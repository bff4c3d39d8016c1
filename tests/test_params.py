"""Declared parameters, checked by one validator: a generated suite over every strategy, model and oracle.

For every declared parameter, values that none of its constraints allows (a wrong type, out of range, a
nonsense string, ...) must raise ``InvalidParameterError`` naming the parameter and what is allowed; and
every ``__init__`` parameter of every class has a declared constraint. Nothing here trains anything
(strategies fail at ``get()``, models at the first check of ``fit``, oracles at ``check``).
"""
from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import alviz
from alviz._params import _holds, describe, merged_constraints
from alviz._validation import InvalidParameterError
from alviz.models import CNN, MLP, TorchModel
from alviz.oracles import Human, Noisy, Simulated
from alviz.strategies import available
from alviz.strategies.base import _REGISTRY

from .conftest import make_context

#: candidate wrong values; a case uses those that none of the parameter's constraints allows
CANDIDATES = [object(), "nonsense-value", -(10**9), 10**12, -0.5, 1.5, 0, True, 2.5e9, float("nan"), (0,), ()]

MODELS = [MLP, CNN, TorchModel]
ORACLES = [Noisy, Simulated, Human]


def _init_params(cls) -> list:
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p.name for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self" and p.kind in kinds]


def _cases():
    out = []
    classes = [(f"strategy:{name}", _REGISTRY[name]) for name in available()]
    classes += [(f"model:{c.__name__}", c) for c in MODELS] + [(f"oracle:{c.__name__}", c) for c in ORACLES]
    for label, cls in classes:
        for param, allowed in merged_constraints(cls).items():
            if param not in _init_params(cls):
                continue
            bad = [v for v in CANDIDATES if not any(_holds(c, v) for c in allowed)]
            for j, value in enumerate(bad):
                out.append(pytest.param(label, cls, param, value, id=f"{label}-{param}-{j}"))
    return out


def _build(label: str, cls, param: str, value):
    """Raise the validator's error for ``cls`` with ``param=value`` the cheapest way its kind allows."""
    if label.startswith("strategy:"):
        alviz.strategies.get(cls.name, **{param: value})
    elif label.startswith("model:"):
        base = {"module": lambda: None} if cls is TorchModel else {}
        base[param] = value
        cls(**base).fit(np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1]))
    else:
        cls(**{param: value}).check(3)


@pytest.mark.parametrize("label, cls, param, value", _cases())
def test_an_invalid_value_of_a_declared_parameter_is_refused_by_name(label, cls, param, value):
    allowed = merged_constraints(cls)[param]
    with pytest.raises(InvalidParameterError) as info:
        _build(label, cls, param, value)
    message = str(info.value)
    assert info.value.parameter == param
    assert re.search(rf"\b{re.escape(param)}=", message), message
    assert describe(allowed) in message, message


class _WorkStarted(Exception):
    """Raised by a stand-in ``_query``: the strategy accepted its parameters and started work."""


@pytest.fixture(scope="module")
def small_context():
    return make_context(alviz.datasets.make_toy("blobs", n=60, seed=0), 12, model=MLP(hidden=(8,), steps=5))


def _first_bad_value_per_strategy_parameter():
    seen, out = set(), []
    for p in _cases():
        label, cls, param, value = p.values
        if label.startswith("strategy:") and (label, param) not in seen:
            seen.add((label, param))
            out.append(pytest.param(cls.name, param, value, id=f"{cls.name}-{param}"))
    return out


@pytest.mark.parametrize("name, param, value", _first_bad_value_per_strategy_parameter())
def test_a_bad_value_set_later_is_refused_before_any_work(name, param, value, small_context, monkeypatch):
    """Set with set_params after get(), a bad value is still refused by the validator before the work starts."""
    strategy = alviz.strategies.get(name)
    strategy.set_params(**{param: value})
    monkeypatch.setattr(strategy, "_query", lambda *a, **k: (_ for _ in ()).throw(_WorkStarted(param)))
    with pytest.raises(InvalidParameterError) as info:
        strategy.query(small_context, 2, rng=0)
    assert info.value.parameter == param


def test_the_generated_suite_covers_every_class_and_each_kind_of_wrong_value():
    cases = _cases()
    labels = {c.values[0] for c in cases}
    assert {f"strategy:{n}" for n in available() if merged_constraints(_REGISTRY[n])} <= labels
    assert {"model:MLP", "model:CNN", "model:TorchModel", "oracle:Noisy"} <= labels
    assert len(cases) > 200
    values = [c.values[3] for c in cases]
    assert any(isinstance(v, str) for v in values) and any(type(v) is object for v in values)


@pytest.mark.parametrize("cls", [_REGISTRY[n] for n in available()] + MODELS + ORACLES,
                         ids=lambda c: c.__name__)
def test_every_init_parameter_has_a_declared_constraint(cls):
    declared = merged_constraints(cls)
    missing = [p for p in _init_params(cls) if p not in declared]
    assert not missing, f"{cls.__name__}: declare {missing} in _parameter_constraints"


def test_mlp_with_no_steps_gets_the_typed_error_naming_steps():
    with pytest.raises(InvalidParameterError, match=r"MLP: steps=0 is not valid; it must be an int >= 1"):
        MLP(steps=0).fit(np.zeros((4, 2), np.float32), np.array([0, 1, 0, 1]))


def test_a_session_checks_its_models_parameters_when_it_is_made():
    ds = alviz.datasets.make_toy("blobs", n=40, seed=0)
    with pytest.raises(InvalidParameterError, match=r"MLP: lr=-1 is not valid"):
        alviz.Session(ds, model=MLP(lr=-1))


def test_a_mistyped_option_gets_the_nearest_one():
    with pytest.raises(InvalidParameterError, match=r"did you mean 'bootstrap'\?"):
        alviz.strategies.get("qbc_kl", committee="Bootstrap")


def test_valid_defaults_pass_everywhere():
    for name in available():
        alviz.strategies.get(name)
    for cls in MODELS[:2]:
        cls()._validate_params()
    for cls in ORACLES:
        cls().check(3)
