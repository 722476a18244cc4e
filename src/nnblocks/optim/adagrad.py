"""Adagrad: divide each gradient by the root of the sum of all its past squares."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.optim.base import Optimizer
from nnblocks.validation import check_number


class Adagrad(Optimizer):
    r"""Adagrad (Duchi et al., 2011): weights with a history of large gradients take smaller steps.

    Update rule (PyTorch ``torch.optim.Adagrad``), at step t = 1, 2, ... for parameter p with gradient g::

        g <- g + weight_decay * p                            if weight_decay != 0
        rate = learning_rate / (1 + (t - 1) * learning_rate_decay)
        s <- s + g²                                          (sum, starts at initial_accumulator_value)
        p <- p - rate * g / (sqrt(s) + epsilon)

    The sum only grows, so steps only shrink: good for sparse features, too timid for long runs.

    Args:
        learning_rate: step size (> 0). learning_rate_decay: the 1 / (1 + (t-1) * decay) factor (>= 0).
        weight_decay: L2 penalty (>= 0). initial_accumulator_value: start of s (>= 0).
        epsilon: keeps the division finite (> 0).

    Example:
        >>> p, g = {"w": np.array([1.0])}, {"w": np.array([0.5])}
        >>> Adagrad(learning_rate=0.1).step(p, g); p["w"]    # 1 - 0.1 * 0.5 / sqrt(0.25)
        array([0.9])
    """

    type_name = "adagrad"
    slot_names = ("sum",)
    elementwise = True

    def __init__(self, learning_rate: float = 0.01, learning_rate_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, epsilon: float = 1e-10) -> None:
        super().__init__(learning_rate)
        self.learning_rate_decay = check_number("learning_rate_decay", learning_rate_decay, "Adagrad", 0.0)
        self.weight_decay = check_number("weight_decay", weight_decay, "Adagrad", 0.0)
        self.initial_accumulator_value = check_number("initial_accumulator_value", initial_accumulator_value,
                                                      "Adagrad", 0.0)
        self.epsilon = check_number("epsilon", epsilon, "Adagrad", 0.0, strict_minimum=True)

    def _create_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        slots = {"sum": np.full_like(param, self.initial_accumulator_value), "_scratch": np.empty_like(param)}
        if self.weight_decay:
            slots["_decayed_grad"] = np.empty_like(param)
        return slots

    def _prepare_step(self, learning_rate: float) -> None:
        self._rate = learning_rate / (1.0 + (self.step_count - 1) * self.learning_rate_decay)

    def _update(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        scratch, total = slots["_scratch"], slots["sum"]
        if self.weight_decay:
            decayed = slots["_decayed_grad"]
            np.multiply(param, self.weight_decay, out=decayed)
            decayed += grad
            grad = decayed
        total += np.multiply(grad, grad, out=scratch)
        denominator = np.sqrt(total, out=scratch)
        denominator += self.epsilon
        step = np.divide(grad, denominator, out=scratch)
        step *= self._rate
        param -= step

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "learning_rate_decay": self.learning_rate_decay,
                "weight_decay": self.weight_decay, "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
