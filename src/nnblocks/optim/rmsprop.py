"""RMSprop: divide each gradient by the root of a running mean of its square."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.optim.base import Optimizer, check_flag, check_fraction
from nnblocks.validation import check_number


class RMSprop(Optimizer):
    r"""RMSprop (Hinton, 2012): a per-weight step size from the recent size of that weight's gradient.

    Update rule (PyTorch ``torch.optim.RMSprop``), for parameter p with gradient g::

        g <- g + weight_decay * p                          if weight_decay != 0
        v <- alpha * v + (1 - alpha) * g²                  (square_avg, starts at 0)
        if centered:
            a <- alpha * a + (1 - alpha) * g               (grad_avg, starts at 0)
            denominator = sqrt(v - a²) + epsilon           (a running variance, not a mean square)
        else:
            denominator = sqrt(v) + epsilon
        if momentum > 0:
            b <- momentum * b + g / denominator            (momentum_buffer, starts at 0)
            p <- p - learning_rate * b
        else:
            p <- p - learning_rate * g / denominator

    Args:
        learning_rate: step size (> 0). alpha: decay of the running averages, in [0, 1).
        epsilon: keeps the division finite (> 0). weight_decay: L2 penalty (>= 0).
        momentum: in [0, 1). centered: normalise by the variance estimate instead of the mean square.

    Example:
        >>> p, g = {"w": np.array([1.0])}, {"w": np.array([0.5])}
        >>> RMSprop(learning_rate=0.01).step(p, g); p["w"]   # 1 - 0.01 * 0.5 / (sqrt(0.01 * 0.25) + 1e-8)
        array([0.90000002])
    """

    type_name = "rmsprop"
    slot_names = ("square_avg", "grad_avg", "momentum_buffer")
    elementwise = True

    def __init__(self, learning_rate: float = 0.01, alpha: float = 0.99, epsilon: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False) -> None:
        super().__init__(learning_rate)
        self.alpha = check_fraction("alpha", alpha, "RMSprop")
        self.epsilon = check_number("epsilon", epsilon, "RMSprop", 0.0, strict_minimum=True)
        self.weight_decay = check_number("weight_decay", weight_decay, "RMSprop", 0.0)
        self.momentum = check_fraction("momentum", momentum, "RMSprop")
        self.centered = check_flag("centered", centered, "RMSprop")

    def _create_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        slots = {"square_avg": np.zeros_like(param), "_scratch": np.empty_like(param)}
        if self.centered:
            slots["grad_avg"] = np.zeros_like(param)
        if self.momentum:
            slots["momentum_buffer"] = np.zeros_like(param)
        if self.weight_decay:
            slots["_decayed_grad"] = np.empty_like(param)  # the scratch array is busy with g² and the root
        return slots

    def _prepare_step(self, learning_rate: float) -> None:
        self._learning_rate, self._mix = learning_rate, 1.0 - self.alpha

    def _update(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        scratch, square_avg, mix = slots["_scratch"], slots["square_avg"], self._mix
        if self.weight_decay:
            decayed = slots["_decayed_grad"]
            np.multiply(param, self.weight_decay, out=decayed)
            decayed += grad
            grad = decayed
        square_avg *= self.alpha
        np.multiply(grad, grad, out=scratch)
        scratch *= mix
        square_avg += scratch
        if self.centered:
            grad_avg = slots["grad_avg"]
            grad_avg *= self.alpha
            grad_avg += np.multiply(grad, mix, out=scratch)
            np.multiply(grad_avg, grad_avg, out=scratch)
            np.subtract(square_avg, scratch, out=scratch)
            denominator = np.sqrt(scratch, out=scratch)
        else:
            denominator = np.sqrt(square_avg, out=scratch)
        denominator += self.epsilon
        ratio = np.divide(grad, denominator, out=scratch)
        if self.momentum:
            buffer = slots["momentum_buffer"]
            buffer *= self.momentum
            buffer += ratio
            param -= np.multiply(buffer, self._learning_rate, out=scratch)
        else:
            ratio *= self._learning_rate
            param -= ratio

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "alpha": self.alpha, "epsilon": self.epsilon,
                "weight_decay": self.weight_decay, "momentum": self.momentum, "centered": self.centered}
