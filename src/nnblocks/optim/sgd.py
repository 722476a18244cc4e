"""Stochastic gradient descent, with optional momentum (heavy ball or Nesterov) and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.errors import ParameterError
from nnblocks.optim.base import Optimizer, check_flag, check_fraction
from nnblocks.validation import check_number, message


class SGD(Optimizer):
    r"""Gradient descent: step against the gradient, optionally with a running "velocity".

    Update rule (PyTorch ``torch.optim.SGD``), for each parameter p with gradient g::

        g <- g + weight_decay * p                      if weight_decay != 0
        if momentum != 0:
            b <- g                                     on the first step
            b <- momentum * b + (1 - dampening) * g    on later steps
            g <- g + momentum * b    if nesterov,   else   g <- b
        p <- p - learning_rate * g

    Args:
        learning_rate: step size (> 0).
        momentum: how much of the previous step is kept, in [0, 1); 0 is plain SGD.
        dampening: how much of the new gradient is *not* added to the buffer, in [0, 1].
        nesterov: look ahead along the buffer (needs momentum > 0 and dampening 0, as in torch).
        weight_decay: L2 penalty folded into the gradient (>= 0).

    Example:
        >>> p, g = {"w": np.array([1.0, 2.0])}, {"w": np.array([0.5, -1.0])}
        >>> SGD(learning_rate=0.1).step(p, g); p["w"]
        array([0.95, 2.1 ])
    """

    type_name = "sgd"
    slot_names = ("momentum_buffer",)
    elementwise = True

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, dampening: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0) -> None:
        super().__init__(learning_rate)
        self.momentum = check_fraction("momentum", momentum, "SGD")
        self.dampening = check_number("dampening", dampening, "SGD", 0.0, 1.0)
        self.nesterov = check_flag("nesterov", nesterov, "SGD")
        self.weight_decay = check_number("weight_decay", weight_decay, "SGD", 0.0)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ParameterError(message("nesterov", "SGD", "False unless momentum > 0 and dampening == 0",
                                         nesterov, f"momentum is {self.momentum} and dampening is "
                                         f"{self.dampening}; set momentum=0.9, dampening=0 for Nesterov."))

    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        if self.momentum or self.weight_decay:
            super().step(params, grads)
            return
        # Plain SGD has no state and needs no scratch: it is the one line below, and it is the
        # most-timed loop in the lab, so it skips the per-parameter bookkeeping of the general path.
        self.step_count += 1
        learning_rate = float(self.learning_rate)
        for key, param in params.items():
            param -= learning_rate * grads[key]

    def _update(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        learning_rate, scratch = self._learning_rate, slots["_scratch"]
        if self.weight_decay:
            np.multiply(param, self.weight_decay, out=scratch)
            scratch += grad  # g + wd * p, never written into the caller's gradient
            grad = scratch
        momentum = self.momentum
        if not momentum:
            param -= learning_rate * grad  # weight decay without momentum
            return
        buffer = slots.get("momentum_buffer")
        if buffer is None:  # made here, not in _create_slots: the first step sets b = g, undamped (as torch)
            slots["momentum_buffer"] = buffer = grad.copy()
        else:
            buffer *= momentum
            if self.dampening:
                buffer += np.multiply(grad, 1.0 - self.dampening, out=scratch)
            else:
                buffer += grad
        if self.nesterov:
            # p - lr * (g + m * b), as two subtractions so no second scratch array is needed.
            param -= np.multiply(grad, learning_rate, out=scratch)
            param -= np.multiply(buffer, learning_rate * momentum, out=scratch)
        else:
            param -= np.multiply(buffer, learning_rate, out=scratch)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov, "weight_decay": self.weight_decay}
