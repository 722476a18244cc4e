"""Dense (fully connected) layer: a weighted sum per neuron, then an activation.

    z = x @ W + b          (N, D) @ (D, H) + (H,)  -> (N, H)
    a = f(z)

Backward, by the chain rule, from grad_a = dL/da:

    dL/dz = f'(z) ⊙ grad_a            (the activation's backward)
    dL/dW = xᵀ @ dL/dz                (D, N) @ (N, H) -> (D, H)
    dL/db = Σₙ dL/dz                  summed over the batch
    dL/dx = dL/dz @ Wᵀ                passed on to the layer below

L1/L2 penalties on W (Keras' kernel_regularizer) add l1·Σ|W| + l2·ΣW² to the loss and
l1·sign(W) + 2·l2·W to dL/dW. The bias is not penalised (as in Keras and TF Playground).
"""

from __future__ import annotations

import numpy as np

from nnblocks.blocks.activations import get_activation
from nnblocks.blocks.base import Layer
from nnblocks.blocks.registry import register_layer
from nnblocks.blocks.weights import get_initializer
from nnblocks.errors import ParameterError
from nnblocks.validation import check_integer, check_number, message


@register_layer("dense")
class Dense(Layer):
    """A fully connected layer of ``units`` neurons.

    Args:
        units: number of neurons H.
        activation: name, config or Activation object ("linear" when None).
        weight_initializer / bias_initializer: initialiser names or configs.
        l1, l2: penalty strengths on the weights.
        use_bias: whether to add b.

    Example:
        >>> layer = Dense(3, activation="tanh")
        >>> layer.build((2,), np.random.default_rng(0), np.float64)
        (3,)
        >>> layer.forward(np.ones((4, 2))).shape
        (4, 3)
    """

    def __init__(self, units: int, activation=None, weight_initializer="glorot_uniform",
                 bias_initializer="zeros", l1: float = 0.0, l2: float = 0.0, use_bias: bool = True,
                 name: str | None = None) -> None:
        super().__init__(name)
        self.units = check_integer("units", units, "Dense", minimum=1)
        self.activation = get_activation(activation, owner="Dense")
        self.weight_initializer = get_initializer(weight_initializer, "weight_initializer", "Dense")
        self.bias_initializer = get_initializer(bias_initializer, "bias_initializer", "Dense")
        self.l1 = check_number("l1", l1, "Dense", minimum=0.0)
        self.l2 = check_number("l2", l2, "Dense", minimum=0.0)
        self.use_bias = bool(use_bias)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ParameterError(message("input_shape", f"Dense layer {self.name or ''}".strip(),
                                         "one feature axis, (features,)", input_shape,
                                         "put a Flatten() layer before this Dense layer."))
        return (self.units,)

    def build(self, input_shape, rng, dtype):
        output_shape = super().build(input_shape, rng, dtype)
        fan_in = input_shape[0]
        self.params["weight"] = self.weight_initializer((fan_in, self.units), rng, dtype)  # (D, H)
        self.grads["weight"] = np.zeros_like(self.params["weight"])
        if self.use_bias:
            self.params["bias"] = self.bias_initializer((self.units,), rng, dtype)  # (H,)
            self.grads["bias"] = np.zeros_like(self.params["bias"])
        return output_shape

    def forward(self, x, training=False):
        self.inputs = x                                  # (N, D) kept for dL/dW
        z = x @ self.params["weight"]                    # (N, H)
        if self.use_bias:
            z += self.params["bias"]
        self.z = z                                       # pre-activation, kept for f'(z)
        self.a = self.activation.forward(z)              # activation, kept for f'(z) written via a
        return self.a

    def backward(self, grad_output, need_input_gradient=True):
        grad_z = self.activation.backward(self.z, self.a, grad_output)   # (N, H) dL/dz
        self.grad_z = grad_z                             # kept so the chain-rule inspector can show it
        weight = self.params["weight"]
        np.matmul(self.inputs.T, grad_z, out=self.grads["weight"])       # (D, H) dL/dW
        if self.l1:
            self.grads["weight"] += self.l1 * np.sign(weight)
        if self.l2:
            self.grads["weight"] += (2 * self.l2) * weight
        if self.use_bias:
            np.add.reduce(grad_z, axis=0, out=self.grads["bias"])               # (H,) dL/db
        if not need_input_gradient:
            return None
        return grad_z @ weight.T                         # (N, D) dL/dx

    def penalty(self):
        if not (self.l1 or self.l2):
            return 0.0
        weight = self.params["weight"]
        return float(self.l1 * np.sum(np.abs(weight)) + self.l2 * np.sum(weight * weight))

    def multiply_adds(self):
        return int(self.input_shape[0] * self.units) if self.input_shape else 0

    def get_config(self):
        return {"name": self.name, "units": self.units, "activation": self.activation.get_config(),
                "weight_initializer": self.weight_initializer.get_config(),
                "bias_initializer": self.bias_initializer.get_config(),
                "l1": self.l1, "l2": self.l2, "use_bias": self.use_bias}

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation.type_name!r})"
