"""Loss functions: one number that says how wrong the network is, and its gradient.

Each loss keeps its value and its gradient side by side:

    forward(scores, targets) -> L   (mean over the batch, a Python float)
    backward()               -> dL/d(scores), same shape as scores

``scores`` are the raw outputs of the last layer (logits for classifiers), so the
losses that pair with sigmoid or softmax fuse the two: their gradients collapse to
the short, stable form p − y. ``link`` turns scores into what a user reads:
probabilities for classifiers, the values themselves for regression.

Shapes: scores (N, K); targets (N, K) for regression and binary losses, (N,) class
indices or (N, K) one-hot rows for softmax cross-entropy.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnblocks.blocks.activations import sigmoid, softmax
from nnblocks.blocks.registry import LOSSES, construct, lookup, register_loss
from nnblocks.validation import check_number


class Loss:
    """Base class. ``task`` tells the network how to read its outputs."""

    type_name: ClassVar[str] = "loss"
    task: ClassVar[str] = "regression"

    def forward(self, scores: np.ndarray, targets: np.ndarray) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        raise NotImplementedError

    def link(self, scores: np.ndarray) -> np.ndarray:
        """Map scores to the quantity the loss compares with targets (identity by default)."""
        return scores

    def get_config(self) -> dict[str, Any]:
        return {"type": self.type_name}

    def __repr__(self) -> str:
        return self.type_name


@register_loss("mse")
class MeanSquaredError(Loss):
    """L = mean((s − y)²),  dL/ds = 2(s − y) / n   (n = number of elements)."""

    def forward(self, scores, targets):
        self.error = scores - targets
        return _mean(self.error * self.error)

    def backward(self):
        return self.error * (2.0 / self.error.size)


@register_loss("mae")
class MeanAbsoluteError(Loss):
    """L = mean(|s − y|),  dL/ds = sign(s − y) / n  (0 where s = y, as in PyTorch)."""

    def forward(self, scores, targets):
        self.error = scores - targets
        return _mean(np.abs(self.error))

    def backward(self):
        return np.sign(self.error) / self.error.size


@register_loss("huber")
class Huber(Loss):
    """Quadratic near zero, linear far away; robust to outliers.

    With e = s − y and δ = delta:  ℓ = ½e² if |e| ≤ δ else δ(|e| − ½δ);
    dℓ/ds = e if |e| ≤ δ else δ·sign(e);  L = mean(ℓ).
    """

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = check_number("delta", delta, "Huber", minimum=0.0, strict_minimum=True)

    def forward(self, scores, targets):
        self.error = scores - targets
        absolute = np.abs(self.error)
        quadratic = absolute <= self.delta
        self.quadratic = quadratic
        values = np.where(quadratic, 0.5 * self.error**2, self.delta * (absolute - 0.5 * self.delta))
        return _mean(values)

    def backward(self):
        clipped = np.where(self.quadratic, self.error, self.delta * np.sign(self.error))
        return clipped / self.error.size

    def get_config(self):
        return {"type": self.type_name, "delta": self.delta}


@register_loss("binary_cross_entropy")
class BinaryCrossEntropy(Loss):
    """Binary cross-entropy on logits, fused with the sigmoid.

    With p = sigmoid(s):  ℓ = −y log p − (1 − y) log(1 − p)  =  log(1 + eˢ) − s·y,
    where log(1 + eˢ) = log(e⁰ + eˢ) is ``np.logaddexp(0, s)``, computed without overflow
    (at s = ±1e4 too); dℓ/ds = p − y;  L = mean(ℓ).
    """

    task = "binary"

    def forward(self, scores, targets):
        self.scores, self.targets = scores, targets
        values = np.logaddexp(0.0, scores)
        values -= scores * targets
        return _mean(values)

    def backward(self):
        return (sigmoid(self.scores) - self.targets) / self.scores.size

    def link(self, scores):
        return sigmoid(scores)


@register_loss("softmax_cross_entropy")
class SoftmaxCrossEntropy(Loss):
    """Softmax and cross-entropy as one block, on logits.

    log pₖ = sₖ − log Σⱼ e^(sⱼ)  (log-sum-exp after subtracting the max: stable),
    ℓ = −Σₖ yₖ log pₖ,   dℓ/ds = p − y   for one-hot (or probability) rows y;
    integer targets are class indices. L = mean over the N examples.
    """

    task = "multiclass"

    def forward(self, scores, targets):
        shifted = scores - np.max(scores, axis=1, keepdims=True)
        exponentials = np.exp(shifted)
        normaliser = np.add.reduce(exponentials, axis=1, keepdims=True)
        log_probabilities = shifted - np.log(normaliser)
        exponentials /= normaliser                       # reuse the exponentials as p: one exp, not two
        self.probabilities = exponentials
        self.targets = targets
        if targets.ndim == 1:  # class indices
            picked = log_probabilities[np.arange(len(targets)), targets]
            return float(-np.mean(picked))
        return float(-np.mean(np.sum(targets * log_probabilities, axis=1)))

    def backward(self):
        gradient = self.probabilities.copy()
        count = len(gradient)
        if self.targets.ndim == 1:
            gradient[np.arange(count), self.targets] -= 1
        else:
            # p·Σy − y equals p − y for rows that sum to one, and stays exact when they don't.
            gradient *= np.sum(self.targets, axis=1, keepdims=True)
            gradient -= self.targets
        gradient /= count
        return gradient

    def link(self, scores):
        return softmax(scores)


@register_loss("hinge")
class Hinge(Loss):
    """Binary hinge loss (the SVM loss) on scores, targets 0/1 read as t = −1/+1.

    ℓ = max(0, 1 − t·s),  dℓ/ds = −t where t·s < 1 else 0;  L = mean(ℓ).
    Predicts class 1 where s > 0; it yields scores, not probabilities.
    """

    task = "binary"

    def forward(self, scores, targets):
        self.signs = 2 * targets - 1
        self.margins = 1 - self.signs * scores
        return _mean(np.maximum(self.margins, 0))

    def backward(self):
        return -self.signs * (self.margins > 0) / self.margins.size


def _mean(values: np.ndarray) -> float:
    """Mean of all entries as a Python float (np.add.reduce skips np.mean's Python-level overhead)."""
    return float(np.add.reduce(values, axis=None)) / values.size


ALIASES = {"bce": "binary_cross_entropy", "binary_crossentropy": "binary_cross_entropy",
           "cross_entropy": "softmax_cross_entropy", "categorical_crossentropy": "softmax_cross_entropy",
           "mean_squared_error": "mse", "mean_absolute_error": "mae"}


def get_loss(spec: "str | dict | Loss", owner: str = "Sequential", from_file: bool = False) -> Loss:
    """Turn a name ("mse"), a config ({"type": "huber", "delta": 2.0}) or a Loss into a Loss."""
    if isinstance(spec, Loss):
        return spec
    arguments: dict[str, Any] = {}
    if isinstance(spec, dict):
        arguments = {key: value for key, value in spec.items() if key != "type"}
        spec = spec.get("type")
    if isinstance(spec, str):
        spec = ALIASES.get(spec.lower(), spec)
    cls = lookup(LOSSES, "loss", spec, "loss", owner, from_file=from_file)
    return construct(cls, arguments, "loss", owner)
