"""One forward pass over many points at once: the output map, every neuron's map, and the
scores of the training and test points, all from the same matrix products.

This is ``Sequential.layer_outputs`` for a fixed set of points, laid out for speed:

- **feature-major**: each layer's values are a (units, points) array, so one neuron's map is
  one contiguous row and the points axis is long (SIMD-friendly);
- **the bias folded in**: under each layer's values sits a row of ones, and the next layer's
  matrix is [Wᵀ | b], so ``z = [Wᵀ | b] @ [a; 1]`` is one product with no separate addition;
- **buffers kept**: the arrays are allocated once per change of data or network, and the
  common activations (tanh, relu, sigmoid, linear) are applied in place with the same NumPy /
  SciPy functions as ``nnblocks.blocks.activations``; any other activation calls the library's
  own ``forward``. A test holds the result equal to ``layer_outputs``;
- **tanh for pictures**: on the map's own points (the first ``exact_from`` columns) tanh is
  computed as 1 - 2 / (e^(2z) + 1), through NumPy's vectorised exp: here 2x faster than
  ``np.tanh`` on float32 (which has no SIMD loop on AVX2 machines) and within 2e-7 of it, far
  below a colour step of the picture (1/256). The rows after them (the training and test
  points) keep ``np.tanh``, so the losses and accuracies shown are the library's own numbers.

One thread: cutting the points into column blocks evaluated in parallel threads was measured
(bench_playground.py) and gained nothing on two cores — the threads queue for the GIL between
their NumPy calls — so the simpler loop stays.

The points are whatever the caller stacks: the playground puts the 100 x 100 grid first and
the training and test rows after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from nnblocks.blocks.activations import softmax
from nnblocks.blocks.registry import ACTIVATIONS
from nnblocks.web.playground.state import NEURON_RESOLUTION, OUTPUT_RESOLUTION

# Where the neuron maps' pixel centres sit in the output grid: every fifth row and column from 2.
_EVERY = OUTPUT_RESOLUTION // NEURON_RESOLUTION
_FIRST = _EVERY // 2

def tanh_for_pictures(z: np.ndarray) -> None:
    """z <- tanh(z) in place as 1 - 2 / (e^(2z) + 1): 4 vectorised passes; overflow gives exactly ±1."""
    with np.errstate(over="ignore"):
        np.multiply(z, 2.0, out=z)
        np.exp(z, out=z)
    z += 1.0
    np.divide(-2.0, z, out=z)
    z += 1.0


def activate_in_place(activation, z: np.ndarray, picture: bool = False) -> None:
    """z <- f(z) for a feature-major block (units, points), with the library's maths.

    ``picture``: the values only colour a map, so tanh may take its faster form (module notes).
    """
    name = activation.type_name
    if type(activation) is not ACTIVATIONS.get(name):   # a subclass may change forward: use it
        z[...] = activation.forward(z)
    elif name == "tanh":
        if picture:
            tanh_for_pictures(z)
        else:
            np.tanh(z, out=z)
    elif name == "relu":
        np.maximum(z, 0, out=z)
    elif name == "sigmoid":
        expit(z, out=z)   # nnblocks.blocks.activations.sigmoid is expit
    elif name == "linear":
        pass
    elif name == "softmax":   # along the units, which are the first axis here
        z[...] = activation.forward(z.T).T
    else:
        z[...] = activation.forward(z)


class PlaneEvaluator:
    """Evaluate a stack of Dense layers on fixed points, keeping every layer's values.

    Args:
        features: (M, F) the points after the Inputs block (derived features, scaling).
        dtype: the network's float type.
        exact_from: the first row whose values are numbers to report, not only a picture: the
            rows before it may use ``tanh_for_pictures``. None (the default): every row is exact.
    """

    def __init__(self, features: np.ndarray, dtype, exact_from: int | None = None) -> None:
        count, width = features.shape
        self.count = count
        self.exact_from = count if exact_from is None else 0 if exact_from <= 0 else min(int(exact_from), count)
        self.dtype = np.dtype(dtype)
        self.inputs = np.ones((width + 1, count), dtype=self.dtype)   # (F + 1, M): features, then ones
        self.inputs[:width] = features.T
        self.buffers: list[np.ndarray] = []
        self.shapes: list[int] = []

    def _allocate(self, sizes: list[int]) -> None:
        if sizes != self.shapes:
            self.buffers = [np.ones((size + 1, self.count), dtype=self.dtype) for size in sizes]   # (H + 1, M)
            self.shapes = list(sizes)

    def matrices(self, layers) -> list[np.ndarray]:
        """[Wᵀ | b] per layer, (H, D + 1): a copy of the weights, so training may go on meanwhile."""
        found = []
        for layer in layers:
            weight = layer.params["weight"]                                  # (D, H)
            matrix = np.empty((weight.shape[1], weight.shape[0] + 1), dtype=self.dtype)   # (H, D + 1)
            matrix[:, :-1] = weight.T
            matrix[:, -1] = layer.params["bias"] if layer.use_bias else 0
            found.append(matrix)
        return found

    def run(self, activations, matrices: list[np.ndarray]) -> list[np.ndarray]:
        """Every layer's activations, (units, M) each (views: valid until the next run).

        ``activations``: each layer's Activation; ``matrices``: each layer's [Wᵀ | b] (``matrices``).
        """
        self._allocate([matrix.shape[0] for matrix in matrices])
        values, middle = self.inputs, self.exact_from   # pictures in [0, middle), exact in [middle, M)
        for activation, matrix, buffer in zip(activations, matrices, self.buffers):
            np.matmul(matrix, values, out=buffer[:-1])   # (H, D + 1) @ (D + 1, M): W^T a + b
            if middle > 0:
                activate_in_place(activation, buffer[:-1, :middle], picture=True)
            if middle < self.count:
                activate_in_place(activation, buffer[:-1, middle:])
            values = buffer
        return [buffer[:-1] for buffer in self.buffers]

    def draw(self, activations, matrices: list[np.ndarray], shown: str) -> "Maps":
        """What a frame shows, from one ``run``: the points here must be the output grid (its first
        ``exact_from`` columns, row-major, the top row first) followed by the data rows."""
        outputs = self.run(activations, matrices)
        size = self.exact_from
        scores = outputs[-1]

        def thumbnails(values: np.ndarray) -> np.ndarray:   # (H, M) -> (H, 20, 20), exact pixel centres
            grid = values[:, :size].reshape(-1, OUTPUT_RESOLUTION, OUTPUT_RESOLUTION)   # a view: rows of the plane
            return np.ascontiguousarray(grid[:, _FIRST::_EVERY, _FIRST::_EVERY])      # one strided copy

        return Maps(np.array(scores[:, size:]), shown_values(scores[:, :size], shown),
                    thumbnails(self.inputs[:-1]), [thumbnails(values) for values in outputs[:-1]])


@dataclass
class Maps:
    """A frame's arrays: the data rows' scores (for the losses and metrics), the output map, the
    input features' and every hidden unit's 20 x 20 maps."""

    scores: np.ndarray          # (K, N) the last layer on the data rows, exact
    shown: np.ndarray           # (K or 1, G) what the output map shows
    inputs: np.ndarray          # (F, 20, 20)
    hidden: list[np.ndarray]    # per hidden layer (H, 20, 20)


def shown_values(scores: np.ndarray, kind: str) -> np.ndarray:
    """What the output map shows of the last layer's (K, G) values: P(class 1), K class probabilities,
    or the value itself."""
    if kind == "sigmoid":   # 1 / (1 + e^-s) through NumPy's vectorised exp: a picture
        with np.errstate(over="ignore"):    # (3x faster than expit on float32 here; e^-s = inf gives 0)
            shown = np.exp(-scores)
        shown += 1.0
        return np.divide(1.0, shown, out=shown)
    if kind == "softmax":
        return softmax(scores.T).T
    return np.array(scores)
