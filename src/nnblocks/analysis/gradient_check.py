"""Gradient check: compare backpropagation with central differences, in float64.

For every parameter entry θᵢ the numerical derivative is

    ∂L/∂θᵢ ≈ (L(θ + ε eᵢ) − L(θ − ε eᵢ)) / 2ε

and the analytic one is what ``backward`` produced. For each parameter the report gives

    relative error = max|analytic − numerical| / max(max|analytic|, max|numerical|)

i.e. the largest disagreement measured against the size of that parameter's gradient
(an element-wise ratio explodes on entries whose gradient is ~0 and only rounding is left).
A parameter also passes when its largest difference is below the check's own rounding
noise, 10·ulp(L)/ε: one whose true gradient is exactly 0 would otherwise "fail" on noise
alone (its relative error is then noise divided by noise).
In float64 a correct backward gives errors around 1e-9; a wrong one, 1e-2 or more.

Randomness is frozen while checking: dropout masks are replayed and BatchNorm's running
statistics restored, so every evaluation of L sees the same function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnblocks.blocks.base import Layer
from nnblocks.blocks.losses import Loss

TOLERANCE = 1e-6


@dataclass
class ParameterCheck:
    name: str
    shape: tuple[int, ...]
    checked: int
    max_absolute_error: float
    relative_error: float
    noise: float = 0.0

    def passed(self, tolerance: float = TOLERANCE) -> bool:
        return self.relative_error <= tolerance or self.max_absolute_error <= self.noise


@dataclass
class GradientCheckReport:
    """What the check found, parameter by parameter."""

    rows: list[ParameterCheck] = field(default_factory=list)
    epsilon: float = 1e-6
    tolerance: float = TOLERANCE

    @property
    def max_relative_error(self) -> float:
        return max((row.relative_error for row in self.rows), default=0.0)

    @property
    def passed(self) -> bool:
        return all(row.passed(self.tolerance) for row in self.rows)

    def __getitem__(self, name: str) -> ParameterCheck:
        return next(row for row in self.rows if row.name == name)

    def __str__(self) -> str:
        lines = [f"{'parameter':<24} {'shape':<14} {'checked':>8} {'max |a-n|':>11} {'relative':>10}"]
        for row in self.rows:
            note = "  (below rounding noise)" if row.relative_error > self.tolerance and row.passed(self.tolerance) else ""
            lines.append(f"{row.name:<24} {str(row.shape):<14} {row.checked:>8} {row.max_absolute_error:>11.2e} "
                         f"{row.relative_error:>10.2e}{note}")
        verdict = "PASSED" if self.passed else "FAILED"
        lines.append(f"{verdict}: largest relative error {self.max_relative_error:.2e} "
                     f"(tolerance {self.tolerance:g}, epsilon {self.epsilon:g})")
        return "\n".join(lines)


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> tuple[float, float]:
    """(max absolute error, relative error as defined in the module docstring)."""
    absolute = float(np.max(np.abs(analytic - numerical))) if analytic.size else 0.0
    scale = max(float(np.max(np.abs(analytic), initial=0.0)), float(np.max(np.abs(numerical), initial=0.0)))
    return absolute, (absolute / scale if scale > 0 else absolute)


def rounding_noise(loss: float, epsilon: float) -> float:
    """How far a central difference can stray on rounding alone: 10·ulp(L)/ε."""
    return 10 * np.finfo(np.float64).eps * max(1.0, abs(loss)) / epsilon


def numerical_gradient(function, array: np.ndarray, epsilon: float, entries: np.ndarray) -> np.ndarray:
    """Central differences of the scalar ``function()`` with respect to ``array``'s flat ``entries``."""
    flat = array.reshape(-1)
    gradient = np.zeros(len(entries))
    for position, index in enumerate(entries):
        original = flat[index]
        flat[index] = original + epsilon
        plus = function()
        flat[index] = original - epsilon
        minus = function()
        flat[index] = original
        gradient[position] = (plus - minus) / (2 * epsilon)
    return gradient


def _entries(size: int, limit: int | None, rng: np.random.Generator) -> np.ndarray:
    if limit is None or size <= limit:
        return np.arange(size)
    return np.sort(rng.choice(size, limit, replace=False))


class _Frozen:
    """Replays the same dropout masks and keeps BatchNorm statistics fixed across evaluations."""

    def __init__(self, layers: list[Layer]) -> None:
        self.layers = layers
        self.rng_states = [layer.rng.bit_generator.state if hasattr(layer, "rng") else None for layer in layers]
        self.buffers = [{key: value.copy() for key, value in layer.buffers.items()} for layer in layers]

    def reset(self) -> None:
        for layer, state, buffers in zip(self.layers, self.rng_states, self.buffers):
            if state is not None:
                layer.rng.bit_generator.state = state
            for key, value in buffers.items():
                layer.buffers[key][...] = value


def check_network(network, x: np.ndarray, targets: np.ndarray, epsilon: float = 1e-6,
                  max_entries_per_parameter: int | None = None, training: bool = True,
                  seed: int = 0) -> GradientCheckReport:
    """Check every parameter of a built float64 network on preprocessed ``x`` and encoded ``targets``.

    Use ``gradient_check`` for a fitted model and raw data; this is the array-level core.
    """
    if network.dtype != np.float64:
        raise ValueError("check_network needs a float64 network; gradient_check converts one for you.")
    frozen = _Frozen(network.layers)

    def loss_value() -> float:
        frozen.reset()
        return network.compute_loss(x, targets, training)[0]

    noise = rounding_noise(loss_value(), epsilon)
    frozen.reset()
    network.compute_loss(x, targets, training)
    network.backward(network.loss.backward())
    analytic = {name: gradient.copy() for name, gradient in network.gradients.items()}
    rng = np.random.default_rng(seed)
    report = GradientCheckReport(epsilon=epsilon)
    for name, parameter in network.parameters.items():
        entries = _entries(parameter.size, max_entries_per_parameter, rng)
        numerical = numerical_gradient(loss_value, parameter, epsilon, entries)
        absolute, relative = relative_error(analytic[name].reshape(-1)[entries], numerical)
        report.rows.append(ParameterCheck(name, parameter.shape, len(entries), absolute, relative, noise))
    frozen.reset()
    return report


def gradient_check(model, x, y, epsilon: float = 1e-6, max_entries_per_parameter: int | None = None,
                   seed: int = 0) -> GradientCheckReport:
    """Gradient-check a fitted model on raw data (x, y), on a float64 copy of it.

    The model itself is not changed. Example:
        >>> report = gradient_check(model, x[:8], y[:8])        # doctest: +SKIP
        >>> report.passed, report.max_relative_error             # doctest: +SKIP
        (True, 3.1e-10)
    """
    features, targets = model._prepare(x, y)
    config = model.get_config()
    config["dtype"] = "float64"
    copy = type(model).from_config(config)
    copy.set_weights(model.get_weights())
    copy.classes = getattr(model, "classes", None)
    features = features.astype(np.float64)
    if targets.dtype.kind == "f":
        targets = targets.astype(np.float64)
    return check_network(copy, features, targets, epsilon, max_entries_per_parameter, seed=seed)


def check_layer(layer: Layer, x: np.ndarray, epsilon: float = 1e-6, seed: int = 0,
                training: bool = True) -> GradientCheckReport:
    """Check one built float64 layer on input x with L = Σ R ⊙ layer(x) + penalty, R random.

    The random weighting R makes every output matter with O(1) weight, so the check sees
    each path through the layer. Reports the parameters and the input ("input").
    """
    frozen = _Frozen([layer])
    rng = np.random.default_rng(seed)
    frozen.reset()
    weighting = rng.standard_normal(layer.forward(x, training).shape)

    def loss_value() -> float:
        frozen.reset()
        return float(np.sum(weighting * layer.forward(x, training))) + layer.penalty()

    noise = rounding_noise(loss_value(), epsilon)
    frozen.reset()
    layer.forward(x, training)
    grad_input = layer.backward(weighting, need_input_gradient=True)
    analytic = {"input": grad_input, **{name: value.copy() for name, value in layer.grads.items()}}
    arrays = {"input": x, **layer.params}
    report = GradientCheckReport(epsilon=epsilon)
    for name, array in arrays.items():
        entries = np.arange(array.size)
        numerical = numerical_gradient(loss_value, array, epsilon, entries)
        absolute, relative = relative_error(analytic[name].reshape(-1), numerical)
        report.rows.append(ParameterCheck(name, array.shape, len(entries), absolute, relative, noise))
    frozen.reset()
    return report


def check_loss(loss: Loss, scores: np.ndarray, targets: np.ndarray, epsilon: float = 1e-6) -> GradientCheckReport:
    """Check a loss's gradient with respect to its scores (float64)."""
    noise = rounding_noise(loss.forward(scores, targets), epsilon)
    analytic = loss.backward().copy()
    numerical = numerical_gradient(lambda: loss.forward(scores, targets), scores, epsilon, np.arange(scores.size))
    absolute, relative = relative_error(analytic.reshape(-1), numerical)
    return GradientCheckReport([ParameterCheck("scores", scores.shape, scores.size, absolute, relative, noise)],
                               epsilon)
