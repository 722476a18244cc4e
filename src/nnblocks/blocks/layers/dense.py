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

    def compute_output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ParameterError(message("input_shape", f"Dense layer {self.name or ''}".strip(),
                                         "one feature axis, (features,)", input_shape,
                                         "put a Flatten() layer before this Dense layer."))
        return (self.units,)

    # Working arrays kept between calls (class-level defaults, so a layer unpickled from an older
    # version has them too): the [x | 1] of training steps and the arrays [W; b], [dL/dW; dL/db].
    _kept_inputs = _kept_part = _stacked_weight = _stacked_gradient = None

    def build(self, input_shape, rng, dtype):
        output_shape = super().build(input_shape, rng, dtype)
        self.create_parameters((input_shape[0], self.units), self.units, rng, dtype)  # weight (D, H), bias (H,)
        self._parameter_stack(), self._gradient_stack()   # from here on W and b are the rows of one array
        return output_shape

    def forward(self, x, training=False):
        self.inputs = x                                  # (N, D): what this layer saw (the playground shows it)
        self.inputs_and_ones = self._with_ones(x, training)   # (N, D + 1) [x | 1], kept for dL/dW and dL/db
        z = np.dot(self.inputs_and_ones, self._parameter_stack())   # (N, H): [x | 1] @ [W; b] = x @ W + b
        self.z = z                                       # pre-activation, kept for f'(z)
        self.a = self.activation.forward(z)              # activation, kept for f'(z) written via a
        return self.a

    def backward(self, grad_output, need_input_gradient=True):
        grad_z = self.activation.backward(self.z, self.a, grad_output)   # (N, H) dL/dz
        self.grad_z = grad_z                             # kept so the chain-rule inspector can show it
        # (D + 1, H) [dL/dW; dL/db] = [x | 1]ᵀ @ dL/dz: the row of ones makes the last row Σₙ dL/dz
        np.dot(self.inputs_and_ones.T, grad_z, out=self._gradient_stack())
        self.add_penalty_gradient()                      # + l1·sign(W) + 2·l2·W
        if not need_input_gradient:
            return None
        return np.dot(grad_z, self.params["weight"].T)   # (N, D) dL/dx = dL/dz @ Wᵀ

    def _with_ones(self, x: np.ndarray, training: bool) -> np.ndarray:
        """[x | 1] (x itself without a bias). In training it is written into an array kept between
        steps of the same shape and dtype; otherwise it is a new array, so that threads predicting
        at once never share one."""
        if not self.use_bias:
            return x
        kept = self._kept_part   # x's place in the kept [x | 1]: reused for a batch of its shape and dtype
        if training and kept is not None and x.shape == kept.shape and x.dtype is kept.dtype:
            kept[...] = x
            return self._kept_inputs
        if x.ndim != 2:
            raise ParameterError(message("x", f"Dense layer {self.name or ''}".strip(), "a batch of rows, (N, features)",
                                         x.shape, "give one row per example, e.g. x.reshape(1, -1) for one."))
        inputs_and_ones = np.ones((x.shape[0], x.shape[1] + 1), x.dtype)
        inputs_and_ones[:, :-1] = x
        if training:
            self._kept_inputs, self._kept_part = inputs_and_ones, inputs_and_ones[:, :-1]
        return inputs_and_ones

    def _parameter_stack(self) -> np.ndarray:
        """[W; b] as one (D + 1, H) array, found again only when the weight array was replaced
        (moved into a Network's flat buffer, or copied)."""
        if self.params["weight"] is not self._stacked_weight:
            self._parameters_stacked = stack_rows(self.params, self.use_bias, "params")
            self._stacked_weight = self.params["weight"]
        return self._parameters_stacked

    def _gradient_stack(self) -> np.ndarray:
        """[dL/dW; dL/db] as one (D + 1, H) array (as ``_parameter_stack``)."""
        if self.grads["weight"] is not self._stacked_gradient:
            self._gradients_stacked = stack_rows(self.grads, self.use_bias, "grads")
            self._stacked_gradient = self.grads["weight"]
        return self._gradients_stacked

    def __getstate__(self) -> dict:
        """For ``copy.deepcopy`` and pickling: the kept working arrays are left out (views do not
        survive copying: a copied [x | 1] would no longer be the array its part writes into)."""
        working = ("_kept_inputs", "_kept_part", "_stacked_weight", "_stacked_gradient", "_parameters_stacked",
                   "_gradients_stacked", "inputs_and_ones")
        return {key: value for key, value in self.__dict__.items() if key not in working}

    def multiply_adds(self):
        return int(self.input_shape[0] * self.units) if self.input_shape else 0

    def get_config(self):
        return {"name": self.name, "units": self.units, **self.weighted_config()}

    def __repr__(self):
        return f"Dense({self.units}, activation={self.activation.type_name!r})"


def stack_rows(arrays: dict, use_bias: bool, which: str) -> np.ndarray:
    """``arrays["weight"]`` (D, H) and ``arrays["bias"]`` (H,) as one (D + 1, H) array [W; b]
    (the weight alone without a bias). ``which``: "params" or "grads", for the error message.

    When both are views of one buffer with the bias right after the weight (a Network's flat
    buffer keeps them so, and so does this function's own array) the result is a view spanning
    both. Arrays of their own (a layer just built, or copied) are first copied into one new
    array, and ``arrays`` then holds views of its rows. Views of some other layout would be cut
    off from their buffer that way, so they are an error.
    """
    weight = arrays["weight"]
    if not use_bias:
        return weight
    bias = arrays["bias"]
    rows, units = weight.shape
    if weight.base is not None and bias.base is weight.base and weight.flags.c_contiguous \
            and bias.flags.c_contiguous and bias.dtype == weight.dtype \
            and bias.ctypes.data == weight.ctypes.data + weight.nbytes:
        return np.lib.stride_tricks.as_strided(weight, (rows + 1, units), (units * weight.itemsize, weight.itemsize))
    if weight.base is not None or bias.base is not None:
        raise ValueError(f"Dense: {which}['weight'] and {which}['bias'] are views that are not one after the other "
                         "in one buffer, so they cannot be used as one array [W; b]; lay each weight right before its "
                         "bias (as Network's flat buffer does), or give the layer arrays of their own.")
    stacked = np.concatenate([weight, bias[np.newaxis]])
    arrays["weight"], arrays["bias"] = stacked[:-1], stacked[-1]
    return stacked
