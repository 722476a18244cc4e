"""The public gradient check: passes on correct maths, fails on a broken backward."""

import numpy as np
import pytest

from nnblocks import Dense, Inputs, Sequential, gradient_check, load_dataset
from nnblocks.blocks.activations import Tanh


@pytest.fixture(scope="module")
def fitted():
    data = load_dataset("spiral", n_samples=120, seed=0)
    model = Sequential([Dense(6, activation="tanh", l2=0.01), Dense(5, activation="relu"), Dense(1)],
                       inputs=Inputs(scaling="standard"), seed=0)
    model.fit(data.x, data.y, epochs=3, verbose=False)
    return model, data


def test_a_correct_network_passes_and_reports_every_parameter(fitted):
    model, data = fitted
    report = gradient_check(model, data.x[:16], data.y[:16])
    assert report.passed and report.max_relative_error < 1e-6
    assert [row.name for row in report.rows] == list(model.parameters)
    assert "PASSED" in str(report) and "dense_1.weight" in str(report)
    assert model.dtype == np.float32, "the check works on a float64 copy and leaves the model as it was"


def test_a_wrong_derivative_fails(fitted, monkeypatch):
    model, data = fitted
    monkeypatch.setattr(Tanh, "backward", lambda self, z, a, grad_a: grad_a * (1 - a))  # should be 1 - a²
    report = gradient_check(model, data.x[:16], data.y[:16])
    assert not report.passed and report.max_relative_error > 1e-2
    assert "FAILED" in str(report)


def test_an_exactly_zero_gradient_is_not_failed_on_rounding_noise():
    # MAE with four residuals of each sign: the output bias's gradient is exactly 0.
    model = Sequential([Dense(1)], loss="mae", dtype="float64", seed=0)
    x = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0], [6.0], [7.0]])
    model.fit(x, x[:, 0], epochs=1, verbose=False)
    weight = model.parameters["dense.weight"][0, 0]
    bias = model.parameters["dense.bias"][0]
    y = np.array([weight * value + bias + (0.5 if index % 2 else -0.5) for index, value in enumerate(x[:, 0])])
    report = gradient_check(model, x, y)
    bias = report["dense.bias"]
    assert bias.max_absolute_error < 1e-8 and bias.max_absolute_error <= bias.noise
    assert bias.relative_error > 1e-6, "relative to a zero gradient, the noise looks large ..."
    assert report.passed, "... yet it is only rounding noise, so the check passes"
    assert "below rounding noise" in str(report)
