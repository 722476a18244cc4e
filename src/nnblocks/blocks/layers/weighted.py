"""What Dense and Conv2D share: a weight and a bias, an activation, and L1/L2 penalties.

The penalties (Keras' kernel_regularizer) act on the weight only, never the bias:

    penalty      = l1·Σ|W| + l2·ΣW²
    dpenalty/dW  = l1·sign(W) + 2·l2·W     (added to dL/dW in backward)

Each subclass keeps its own forward and backward side by side; this base only holds the
arguments, creates the arrays, and adds the penalty.
"""

from __future__ import annotations

import numpy as np

from nnblocks.blocks.activations import get_activation
from nnblocks.blocks.base import Layer
from nnblocks.blocks.weights import get_initializer
from nnblocks.validation import check_number


class WeightedLayer(Layer):
    """Base of the layers with a weight, a bias and an activation (Dense, Conv2D)."""

    def __init__(self, activation=None, weight_initializer="glorot_uniform", bias_initializer="zeros",
                 l1: float = 0.0, l2: float = 0.0, use_bias: bool = True, name: str | None = None) -> None:
        super().__init__(name)
        owner = type(self).__name__
        self.activation = get_activation(activation, owner=owner)
        self.weight_initializer = get_initializer(weight_initializer, "weight_initializer", owner)
        self.bias_initializer = get_initializer(bias_initializer, "bias_initializer", owner)
        self.l1 = check_number("l1", l1, owner, minimum=0.0)
        self.l2 = check_number("l2", l2, owner, minimum=0.0)
        self.use_bias = bool(use_bias)

    def create_parameters(self, weight_shape: tuple[int, ...], bias_size: int, rng, dtype) -> None:
        """Draw the weight (and the bias) and allocate their gradients."""
        self.params["weight"] = self.weight_initializer(weight_shape, rng, dtype)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        if self.use_bias:
            self.params["bias"] = self.bias_initializer((bias_size,), rng, dtype)
            self.grads["bias"] = np.zeros_like(self.params["bias"])

    def add_penalty_gradient(self) -> None:
        """dL/dW += l1·sign(W) + 2·l2·W (after dL/dW from the data has been written)."""
        weight = self.params["weight"]
        if self.l1:
            self.grads["weight"] += self.l1 * np.sign(weight)
        if self.l2:
            self.grads["weight"] += (2 * self.l2) * weight

    def penalty(self):
        if not (self.l1 or self.l2):
            return 0.0
        weight = self.params["weight"]
        return float(self.l1 * np.sum(np.abs(weight)) + self.l2 * np.sum(weight * weight))

    def weighted_config(self) -> dict:
        """The shared constructor arguments as JSON, for get_config."""
        return {"activation": self.activation.get_config(), "weight_initializer": self.weight_initializer.get_config(),
                "bias_initializer": self.bias_initializer.get_config(), "l1": self.l1, "l2": self.l2,
                "use_bias": self.use_bias}
