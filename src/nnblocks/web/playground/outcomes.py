"""What the playground's trainer hands out besides numbers: how a problem and a loss become the
output layer, a frozen snapshot of the network for one frame, and a divergence explained.

Kept apart from ``trainer.py`` so that file holds only the training session itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

LOSS_NAMES = {"squared_error": "mse", "absolute_error": "mae", "huber": "huber"}


@dataclass(frozen=True)
class OutputDesign:
    """How a problem and a loss become the last layer, the nnblocks loss and the shown output."""

    units: int
    activation: str      # of the last layer
    loss: str            # nnblocks loss name
    targets: str         # "column" (N, 1) floats, "codes" (N,) ints, "one_hot" (N, K)
    shown: str           # "sigmoid", "softmax" or "as_is": what turns the last layer into the map


def output_design(problem: str, loss: str, classes: int) -> OutputDesign:
    """Cross-entropy pairs with logits (the loss applies sigmoid / softmax itself); squared error on a
    classification puts sigmoid / softmax in the last layer and compares probabilities with 0/1."""
    if problem == "regression":
        return OutputDesign(1, "linear", LOSS_NAMES[loss], "column", "as_is")
    if loss == "cross_entropy":
        if classes <= 2:
            return OutputDesign(1, "linear", "binary_cross_entropy", "column", "sigmoid")
        return OutputDesign(classes, "linear", "softmax_cross_entropy", "codes", "softmax")
    if classes <= 2:
        return OutputDesign(1, "sigmoid", "mse", "column", "as_is")
    return OutputDesign(classes, "softmax", "mse", "one_hot", "as_is")


def suggest_learning_rate(learning_rate: float) -> float:
    """A tenth of the rate, rounded down onto the 1-3-10 ladder the page offers (3 -> 0.3, 0.5 -> 0.03)."""
    target = learning_rate / 10
    ladder = sorted(k * 10.0 ** e for e in range(-7, 7) for k in (1, 3))
    below = [value for value in ladder if value <= target * (1 + 1e-9)]
    return float(f"{below[-1]:.10g}") if below else float(f"{target:.3g}")


@dataclass
class Snapshot:
    """What a frame needs of the network at one moment: copies, untouched by further training."""

    epoch: int
    matrices: list[np.ndarray]   # [Wᵀ | b] per layer, for the maps' forward pass

    @property
    def weights(self) -> list[np.ndarray]:
        """Each layer's W, (in, out) as nnblocks stores it: read back from its matrix."""
        return [matrix[:, :-1].T for matrix in self.matrices]

    @property
    def biases(self) -> list[np.ndarray]:
        return [matrix[:, -1] for matrix in self.matrices]


@dataclass
class Divergence:
    """Where the loss stopped being a number, and what to do."""

    epoch: int           # the epoch it happened in, counting from 1
    step: int            # the minibatch within that epoch, counting from 1
    loss: float
    learning_rate: float
    largest_weight: float

    @property
    def suggested_learning_rate(self) -> float:
        return suggest_learning_rate(self.learning_rate)

    @property
    def message(self) -> str:
        what = "NaN" if math.isnan(self.loss) else "infinite"
        if not math.isfinite(self.largest_weight):
            cause = "the weights overflowed (some are now infinite or NaN)"
        else:
            cause = f"the updates grew too large (the largest weight is now {self.largest_weight:.3g})"
        return (f"The loss became {what} in epoch {self.epoch}, step {self.step}: with learning rate "
                f"{self.learning_rate:g} {cause}. Lower the learning rate — try {self.suggested_learning_rate:g} — "
                "and reset the network.")
