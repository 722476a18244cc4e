"""One forward pass over many points at once: the output map, every neuron's map, and the
scores of the training and test points, all from the same matrices.

This is ``Sequential.layer_outputs`` for a fixed set of points, laid out for speed:

- **two blocks of points**: the picture's points (the first ``exact_from``: the 100 x 100
  grid) and the rows after them (the training and test points), each its own contiguous
  array, so each layer's product writes one block in one call and the picture may take the
  shortcuts below while the data rows stay exact;
- **feature-major**: each layer's values are a (units, points) array, so one neuron's map is
  one contiguous row and the points axis is long (SIMD-friendly);
- **the bias folded in**: under each layer's values sits a row of ones, and the next layer's
  matrix is [Wᵀ | b], so ``z = [Wᵀ | b] @ [a; 1]`` is one product with no separate addition;
- **buffers kept**: the arrays are allocated once per change of data or network, and the
  common activations (tanh, relu, sigmoid, linear) are applied in place with the same NumPy /
  SciPy functions as ``nnblocks.blocks.activations``; any other activation calls the library's
  own ``forward``. A test holds the result equal to ``layer_outputs``;
- **tanh for pictures**: on the picture's points tanh is computed as 1 - 2 / (e^(2z) + 1),
  through NumPy's vectorised exp: here 2x faster than ``np.tanh`` on float32 (which has no
  SIMD loop on AVX2 machines) and within 2e-7 of it, far below a colour step of the picture
  (1/256). The data rows keep ``np.tanh``, so the losses and accuracies shown are the
  library's own numbers;
- **two of its passes folded into the matrices**: in a hidden tanh layer the picture's ×2
  goes into that layer's matrix (the product is 2z itself), and its "1 +" into the next
  layer's bias column: the picture keeps tanh z - 1, and since Wᵀ(a - 1) + (b + Wᵀ1) = Wᵀa + b
  the next layer uses b + Wᵀ1 there. Three passes over each hidden layer's 10,000 pixels
  instead of five; ``draw`` adds the 1 back on the 20 x 20 thumbnails only
  (``PlaneEvaluator.shifted`` says which layers).

One thread: cutting the points into column blocks evaluated in parallel threads was measured
(bench_playground.py) and gained nothing on two cores — the threads queue for the GIL between
their NumPy calls — so the simpler loop stays.
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
    """z <- tanh(z) in place as 1 - 2 / (e^(2z) + 1): 5 vectorised passes; overflow gives exactly ±1."""
    with np.errstate(over="ignore"):
        np.multiply(z, 2.0, out=z)
    tanh_minus_one_from_doubled(z)
    z += 1.0


def tanh_minus_one_from_doubled(doubled: np.ndarray) -> None:
    """u = 2z <- tanh z - 1 = -2 / (e^u + 1) in place: ``tanh_for_pictures`` without its first and
    last pass, which the matrices of a hidden layer take over (module notes)."""
    with np.errstate(over="ignore"):
        np.exp(doubled, out=doubled)
    doubled += 1.0
    np.divide(-2.0, doubled, out=doubled)


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
        exact_from: how many of the first points only colour a picture (the output grid, row-major,
            the top row first); the rows after them are numbers to report. None (the default):
            no picture, every row is exact.
    """

    def __init__(self, features: np.ndarray, dtype, exact_from: int | None = None) -> None:
        count = len(features)
        self.count = count
        self.exact_from = 0 if exact_from is None or exact_from <= 0 else min(int(exact_from), count)
        self.dtype = np.dtype(dtype)
        self.features = features   # (M, F) as given: what a frame process is sent
        self.picture_inputs = with_ones(features[:self.exact_from], self.dtype)   # (F + 1, G)
        self.exact_inputs = with_ones(features[self.exact_from:], self.dtype)     # (F + 1, N)
        self.picture_buffers: list[np.ndarray] = []
        self.exact_buffers: list[np.ndarray] = []
        self.shapes: list[int] = []
        self.shifted: list[bool] = []   # per layer, after ``run``: its picture holds tanh z - 1

    def _allocate(self, sizes: list[int]) -> None:
        if sizes != self.shapes:   # (H + 1, points) each: the values, then a row of ones
            self.picture_buffers = [np.ones((size + 1, self.exact_from), self.dtype) for size in sizes]
            self.exact_buffers = [np.ones((size + 1, self.count - self.exact_from), self.dtype) for size in sizes]
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

    def run(self, activations, matrices: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Every layer's values on the picture's points and on the exact rows: two lists of
        (units, points) arrays (views: valid until the next run).

        ``activations``: each layer's Activation; ``matrices``: each layer's [Wᵀ | b] (``matrices``).
        Where ``self.shifted[layer]``, that layer's picture holds tanh z - 1 (module notes).
        """
        self._allocate([matrix.shape[0] for matrix in matrices])
        pictures, exact = self.picture_inputs, self.exact_inputs
        last = len(matrices) - 1
        self.shifted = []
        for index, (activation, matrix) in enumerate(zip(activations, matrices)):
            picture_buffer, exact_buffer = self.picture_buffers[index], self.exact_buffers[index]
            np.matmul(matrix, exact, out=exact_buffer[:-1])   # (H, D + 1) @ (D + 1, N): Wᵀa + b
            activate_in_place(activation, exact_buffer[:-1])
            picture_matrix = matrix
            if index > 0 and self.shifted[-1]:   # its inputs are a - 1: the bias column b + Wᵀ1
                picture_matrix = matrix.copy()
                picture_matrix[:, -1] += matrix[:, :-1].sum(axis=1)
            fold = index < last and self.exact_from > 0 and type(activation) is ACTIVATIONS.get("tanh")
            if fold:
                picture_matrix = picture_matrix * 2.0   # the product is then 2z, the exponent of e^(2z)
            np.matmul(picture_matrix, pictures, out=picture_buffer[:-1])
            if fold:
                tanh_minus_one_from_doubled(picture_buffer[:-1])
            else:
                activate_in_place(activation, picture_buffer[:-1], picture=True)
            self.shifted.append(fold)
            pictures, exact = picture_buffer, exact_buffer
        return [buffer[:-1] for buffer in self.picture_buffers], [buffer[:-1] for buffer in self.exact_buffers]

    def draw(self, activations, matrices: list[np.ndarray], shown: str) -> "Maps":
        """What a frame shows, from one ``run``: the picture's points must be the output grid."""
        pictures, exact = self.run(activations, matrices)

        def thumbnails(values: np.ndarray) -> np.ndarray:   # (H, G) -> (H, 20, 20), exact pixel centres
            grid = values.reshape(-1, OUTPUT_RESOLUTION, OUTPUT_RESOLUTION)   # a view: rows of the plane
            return np.ascontiguousarray(grid[:, _FIRST::_EVERY, _FIRST::_EVERY])   # one strided copy

        hidden = [thumbnails(values) for values in pictures[:-1]]
        for pixels, shifted in zip(hidden, self.shifted):
            if shifted:
                pixels += 1.0   # they hold tanh z - 1 (module notes)
        return Maps(np.array(exact[-1]), shown_values(pictures[-1], shown),
                    thumbnails(self.picture_inputs[:-1]), hidden)


def with_ones(features: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """(M, F) -> (F + 1, M): the features feature-major, then a row of ones (for the bias column)."""
    block = np.ones((features.shape[1] + 1, len(features)), dtype=dtype)
    block[:-1] = features.T
    return block


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
