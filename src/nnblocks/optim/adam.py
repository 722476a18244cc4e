"""Adam and AdamW: steps scaled by running averages of the gradient and of its square."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnblocks.optim.base import Optimizer, check_flag, check_fraction
from nnblocks.validation import check_number


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): momentum on the gradient, divided by the root of a running mean of g².

    Update rule (PyTorch ``torch.optim.Adam``), at step t = 1, 2, ... for parameter p with gradient g::

        g <- g + weight_decay * p                        (Adam: L2 folded into the gradient)
        m <- beta_1 * m + (1 - beta_1) * g               (exp_avg, starts at 0)
        v <- beta_2 * v + (1 - beta_2) * g²              (exp_avg_sq, starts at 0)
        v_max <- max(v_max, v);  v <- v_max              (only with amsgrad)
        denominator = sqrt(v) / sqrt(1 - beta_2^t) + epsilon
        p <- p - learning_rate / (1 - beta_1^t) * m / denominator

    The two ``1 - beta^t`` terms undo the bias of m and v towards their zero start. Epsilon sits
    outside the square root, after the bias correction, exactly where torch puts it.

    Args:
        learning_rate: step size (> 0). beta_1, beta_2: decay rates of m and v, in [0, 1).
        epsilon: keeps the division finite (> 0). weight_decay: L2 penalty (>= 0).
        amsgrad: divide by the largest v seen so far (Reddi et al., 2018), so steps never grow.

    Example:
        >>> p, g = {"w": np.array([1.0])}, {"w": np.array([0.5])}
        >>> Adam(learning_rate=0.1).step(p, g); p["w"]     # first step moves by about lr
        array([0.9])
    """

    type_name = "adam"
    slot_names = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")
    elementwise = True
    decoupled_weight_decay = False  # AdamW sets True

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False) -> None:
        super().__init__(learning_rate)
        owner = type(self).__name__
        self.beta_1 = check_fraction("beta_1", beta_1, owner)
        self.beta_2 = check_fraction("beta_2", beta_2, owner)
        self.epsilon = check_number("epsilon", epsilon, owner, 0.0, strict_minimum=True)
        self.weight_decay = check_number("weight_decay", weight_decay, owner, 0.0)
        self.amsgrad = check_flag("amsgrad", amsgrad, owner)

    def _create_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        slots = {"exp_avg": np.zeros_like(param), "exp_avg_sq": np.zeros_like(param),
                 "_scratch": np.empty_like(param)}
        if self.amsgrad:
            slots["max_exp_avg_sq"] = np.zeros_like(param)
        if self.weight_decay and not self.decoupled_weight_decay:
            slots["_decayed_grad"] = np.empty_like(param)  # g + wd * p is needed by both m and v
        return slots

    def _prepare_step(self, learning_rate: float) -> None:
        t = self.step_count
        correction_2_root = math.sqrt(1.0 - self.beta_2 ** t)
        # torch: p -= lr / c1 * m / (sqrt(v) / sqrt(c2) + eps). Multiplying the fraction above and
        # below by sqrt(c2) gives p -= (lr * sqrt(c2) / c1) * m / (sqrt(v) + eps * sqrt(c2)): the same
        # number (to rounding), one pass over the array fewer. Computed once per step, not per parameter.
        self._step_size = learning_rate * correction_2_root / (1.0 - self.beta_1 ** t)
        self._epsilon_hat = self.epsilon * correction_2_root
        self._shrink = 1.0 - learning_rate * self.weight_decay  # AdamW's decoupled decay
        self._mix_1, self._mix_2 = 1.0 - self.beta_1, 1.0 - self.beta_2

    def _update(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        scratch, exp_avg, exp_avg_sq = slots["_scratch"], slots["exp_avg"], slots["exp_avg_sq"]
        if self.weight_decay:
            if self.decoupled_weight_decay:
                param *= self._shrink  # p <- p - lr * wd * p, before the Adam step (torch's AdamW)
            else:
                decayed = slots["_decayed_grad"]
                np.multiply(param, self.weight_decay, out=decayed)
                decayed += grad
                grad = decayed
        exp_avg *= self.beta_1
        exp_avg += np.multiply(grad, self._mix_1, out=scratch)
        exp_avg_sq *= self.beta_2
        np.multiply(grad, grad, out=scratch)
        scratch *= self._mix_2
        exp_avg_sq += scratch
        second_moment = exp_avg_sq
        if self.amsgrad:  # divide by the largest v so far instead of the current one
            second_moment = np.maximum(slots["max_exp_avg_sq"], exp_avg_sq, out=slots["max_exp_avg_sq"])
        denominator = np.sqrt(second_moment, out=scratch)
        denominator += self._epsilon_hat
        step = np.divide(exp_avg, denominator, out=scratch)
        step *= self._step_size
        param -= step

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                "weight_decay": self.weight_decay, "amsgrad": self.amsgrad}


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019), as PyTorch ``torch.optim.AdamW``.

    The decay shrinks the parameter directly instead of entering the gradient, so it is not
    divided by sqrt(v) (large-gradient weights decay as much as the others)::

        p <- p - learning_rate * weight_decay * p        (first)
        then the Adam update above, with weight_decay = 0 in the gradient

    Same arguments as Adam; weight_decay defaults to 0.01.
    """

    type_name = "adamw"
    elementwise = True
    decoupled_weight_decay = True

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, weight_decay: float = 0.01, amsgrad: bool = False) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, weight_decay, amsgrad)
