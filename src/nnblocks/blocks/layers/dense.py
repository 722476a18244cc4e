"""Dense (fully connected) layer: a weighted sum per neuron, then an activation.

    z = x @ W + b          (N, D) @ (D, H) + (H,)  -> (N, H)
    a = f(z)

Backward, by the chain rule, from grad_a = dL/da:

    dL/dz = f'(z) ⊙ grad_a            (the activation's backward)
    dL/dW = xᵀ @ dL/dz                (D, N) @ (N, H) -> (D, H)
    dL/db = Σₙ dL/dz                  summed over the batch (computed as 1ᵀ @ dL/dz)
    dL/dx = dL/dz @ Wᵀ                passed on to the layer below

L1/L2 penalties on W (Keras' kernel_regularizer) add l1·Σ|W| + l2·ΣW² to the loss and
l1·sign(W) + 2·l2·W to dL/dW. The bias is not penalised (as in Keras and TF Playground).

The products are written ``np.dot``: for 2-D arrays it is the same product as ``@`` and costs
about a third less per call, which is most of the time on the playground's batches of 10. (With
``out=`` it wants the result's exact dtype; the network hands every layer its own dtype.)
"""

from __future__ import annotations

import numpy as np

from nnblocks.blocks.layers.weighted import WeightedLayer
from nnblocks.blocks.registry import register_layer
from nnblocks.errors import ParameterError
from nnblocks.validation import check_integer, message


@register_layer("dense")
class Dense(WeightedLayer):
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
        super().__init__(activation, weight_initializer, bias_initializer, l1, l2, use_bias, name)
        self.units = check_integer("units", units, "Dense", minimum=1)

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ParameterError(message("input_shape", f"Dense layer {self.name or ''}".strip(),
                                         "one feature axis, (features,)", input_shape,
                                         "put a Flatten() layer before this Dense layer."))
        return (self.units,)

    def build(self, input_shape, rng, dtype):
        output_shape = super().build(input_shape, rng, dtype)
        self.create_parameters((input_shape[0], self.units), self.units, rng, dtype)  # weight (D, H), bias (H,)
        return output_shape

    def forward(self, x, training=False):
        self.inputs = x                                  # (N, D) kept for dL/dW
        z = np.dot(x, self.params["weight"])             # (N, H): x @ W
        if self.use_bias:
            z += self.params["bias"]
        self.z = z                                       # pre-activation, kept for f'(z)
        self.a = self.activation.forward(z)              # activation, kept for f'(z) written via a
        return self.a

    def backward(self, grad_output, need_input_gradient=True):
        grad_z = self.activation.backward(self.z, self.a, grad_output)   # (N, H) dL/dz
        self.grad_z = grad_z                             # kept so the chain-rule inspector can show it
        weight = self.params["weight"]
        np.dot(self.inputs.T, grad_z, out=self.grads["weight"])          # (D, H) dL/dW = xᵀ @ dL/dz
        self.add_penalty_gradient()                                      # + l1·sign(W) + 2·l2·W
        if self.use_bias:   # (H,) dL/db = 1ᵀ @ dL/dz: the batch sum as one BLAS product, half the cost of a reduction
            np.dot(self._ones_for(grad_z), grad_z, out=self.grads["bias"])
        if not need_input_gradient:
            return None
        return np.dot(grad_z, weight.T)                  # (N, D) dL/dx = dL/dz @ Wᵀ

    def _ones_for(self, grad_z: np.ndarray) -> np.ndarray:
        """A vector of ones as long as the batch (kept, and remade when the batch size or dtype changes)."""
        ones = getattr(self, "_ones", None)
        if ones is None or len(ones) != len(grad_z) or ones.dtype != grad_z.dtype:
            ones = self._ones = np.ones(len(grad_z), grad_z.dtype)
        return ones

    def multiply_adds(self):
        return int(self.input_shape[0] * self.units) if self.input_shape else 0

    def get_config(self):
        return {"name": self.name, "units": self.units, **self.weighted_config()}

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation.type_name!r})"
