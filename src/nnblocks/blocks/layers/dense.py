"""Dense (fully connected) layer: a weighted sum per neuron, then an activation.

    z = x @ W + b          (N, D) @ (D, H) + (H,)  -> (N, H)
    a = f(z)

Backward, by the chain rule, from grad_a = dL/da:

    dL/dz = f'(z) ⊙ grad_a            (the activation's backward)
    dL/dW = xᵀ @ dL/dz                (D, N) @ (N, H) -> (D, H)
    dL/db = Σₙ dL/dz                  summed over the batch
    dL/dx = dL/dz @ Wᵀ                passed on to the layer below

Computed with "the bias trick": append a column of ones to x and the bias to W as its last row,

    z = [x | 1] @ [W; b]                      (N, D + 1) @ (D + 1, H): x @ W + 1·b
    [dL/dW; dL/db] = [x | 1]ᵀ @ dL/dz         the row of ones sums dL/dz over the batch

so one product does the forward pass and one gives both gradients. On the playground's batches
of 10 a NumPy call costs more than its arithmetic, and adding b row by row (a broadcast) costs
more than a product: this makes a training step about 15 % faster. W and b therefore live in
one (D + 1, H) array, whose rows :D are ``params["weight"]`` and whose last row is
``params["bias"]`` (views; likewise their gradients), and x is copied into a kept [x | 1].
A Network's flat buffer keeps each weight right before its bias, so the two stay one array.

L1/L2 penalties on W (Keras' kernel_regularizer) add l1·Σ|W| + l2·ΣW² to the loss and
l1·sign(W) + 2·l2·W to dL/dW. The bias is not penalised (as in Keras and TF Playground).

The products are written ``np.dot``: for 2-D arrays it is the same product as ``@`` and costs
about a third less per call. (With ``out=`` it wants the result's exact dtype; the network
hands every layer its own dtype.)
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
        self._stacked_weight = self._inputs_and_ones = None   # filled by _stacks and _with_ones

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ParameterError(message("input_shape", f"Dense layer {self.name or ''}".strip(),
                                         "one feature axis, (features,)", input_shape,
                                         "put a Flatten() layer before this Dense layer."))
        return (self.units,)

    def build(self, input_shape, rng, dtype):
        output_shape = super().build(input_shape, rng, dtype)
        self.create_parameters((input_shape[0], self.units), self.units, rng, dtype)  # weight (D, H), bias (H,)
        self._stacks()   # from here on W and b (and their gradients) are the rows of one array each
        return output_shape

    def forward(self, x, training=False):
        self.inputs = x                                  # (N, D), kept for the chain-rule inspector
        self.inputs_and_ones = self._with_ones(x)        # (N, D + 1) [x | 1], kept for dL/dW and dL/db
        weight_and_bias, _ = self._stacks()
        z = np.dot(self.inputs_and_ones, weight_and_bias)   # (N, H): [x | 1] @ [W; b] = x @ W + b
        self.z = z                                       # pre-activation, kept for f'(z)
        self.a = self.activation.forward(z)              # activation, kept for f'(z) written via a
        return self.a

    def backward(self, grad_output, need_input_gradient=True):
        grad_z = self.activation.backward(self.z, self.a, grad_output)   # (N, H) dL/dz
        self.grad_z = grad_z                             # kept so the chain-rule inspector can show it
        _, gradients = self._stacks()
        np.dot(self.inputs_and_ones.T, grad_z, out=gradients)   # (D + 1, H) [dL/dW; dL/db] = [x | 1]ᵀ @ dL/dz
        self.add_penalty_gradient()                      # + l1·sign(W) + 2·l2·W
        if not need_input_gradient:
            return None
        return np.dot(grad_z, self.params["weight"].T)   # (N, D) dL/dx = dL/dz @ Wᵀ

    def __getstate__(self) -> dict:
        """For ``copy.deepcopy`` and pickling: the kept working arrays are left out, since views do not
        survive copying (a copied [x | 1] would no longer be the array its part writes into)."""
        state = dict(self.__dict__)
        state.update(_stacked_weight=None, _inputs_and_ones=None)
        state.pop("_stacked", None)
        state.pop("_inputs_part", None)
        return state

    def _with_ones(self, x: np.ndarray) -> np.ndarray:
        """[x | 1], written into an array kept between calls (made anew when the batch size or dtype
        changes); x itself for a layer without a bias."""
        if not self.use_bias:
            return x
        kept = self._inputs_and_ones
        if kept is None or len(kept) != len(x) or kept.dtype != x.dtype:
            kept = self._inputs_and_ones = np.ones((len(x), x.shape[1] + 1), x.dtype)
            self._inputs_part = kept[:, :-1]
        self._inputs_part[...] = x
        return kept

    def _stacks(self) -> tuple[np.ndarray, np.ndarray]:
        """[W; b] and [dL/dW; dL/db], each one (D + 1, H) array; kept, and found again only when the
        weight array was replaced (moved into a Network's flat buffer, or copied)."""
        if self.params["weight"] is not self._stacked_weight:
            self._stacked = (stack_rows(self.params, self.use_bias), stack_rows(self.grads, self.use_bias))
            self._stacked_weight = self.params["weight"]
        return self._stacked

    def multiply_adds(self):
        return int(self.input_shape[0] * self.units) if self.input_shape else 0

    def get_config(self):
        return {"name": self.name, "units": self.units, **self.weighted_config()}

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation.type_name!r})"


def stack_rows(arrays: dict, use_bias: bool) -> np.ndarray:
    """``arrays["weight"]`` (D, H) and ``arrays["bias"]`` (H,) as one (D + 1, H) array [W; b]
    (the weight alone without a bias).

    When the bias sits right after the weight in memory (``Dense.build`` puts it there, and a
    Network's flat buffer keeps it there) the result is a view of both, spanning their memory.
    Otherwise (a copied layer) they are copied into one new array, and ``arrays`` then holds
    views of its rows.
    """
    weight = arrays["weight"]
    if not use_bias:
        return weight
    bias = arrays["bias"]
    if weight.flags.c_contiguous and bias.flags.c_contiguous and bias.dtype == weight.dtype \
            and bias.ctypes.data == weight.ctypes.data + weight.nbytes:
        return np.lib.stride_tricks.as_strided(weight, (weight.shape[0] + 1, weight.shape[1]), weight.strides)
    stacked = np.concatenate([weight, bias[np.newaxis]])
    arrays["weight"], arrays["bias"] = stacked[:-1], stacked[-1]
    return stacked
