"""The contract every layer follows: forward and backward side by side.

A layer is one step of the chain rule. ``forward`` computes its output and keeps
exactly what ``backward`` will need; ``backward`` receives dL/d(output) and
returns dL/d(input), filling ``grads`` for its own parameters on the way.

Shapes use a fixed set of letters: N examples in a batch, D features, H hidden
units, K classes/outputs. Weights are laid out (in, out), as in Keras and
scikit-learn, so ``z = x @ weight + bias``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np


class Layer:
    """Base class of every layer.

    Attributes:
        params: parameter name -> array, e.g. ``{"weight": W, "bias": b}``.
        grads: the same keys as ``params``, holding dL/d(parameter) after ``backward``.
        buffers: non-trained state saved with the model (BatchNorm's running mean).
        name: unique within a network ("dense", "dense_1", ...), set by the network.

    ``params`` and ``grads`` are written **in place** after ``build`` (``out=``, ``+=``,
    ``np.copyto``), never rebound: the network turns every parameter into a view of one flat
    buffer (and every gradient into a view of another) so that the optimiser can update them
    all at once.
    """

    type_name: ClassVar[str] = "layer"

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None

    # --- building -----------------------------------------------------------------
    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator, dtype: np.dtype) -> tuple[int, ...]:
        """Create parameters for inputs of ``input_shape`` (without the batch axis); return the output shape."""
        self.input_shape = tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        return self.output_shape

    def compute_output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of one example's output for one example's input shape."""
        return input_shape

    # --- the two passes ---------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray, need_input_gradient: bool = True) -> np.ndarray | None:
        """Return dL/d(input) from dL/d(output); fill ``self.grads``.

        ``need_input_gradient=False`` lets the first layer skip a product nobody uses.
        """
        raise NotImplementedError

    # --- regularisation ---------------------------------------------------------
    def penalty(self) -> float:
        """The regularisation term this layer adds to the loss (0 when it has none)."""
        return 0.0

    # --- description ------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as plain JSON values; ``type(**config)`` rebuilds the layer."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Layer":
        return cls(**config)

    def multiply_adds(self) -> int:
        """Multiply-add operations for one example's forward pass (0 for layers without products)."""
        return 0

    def parameter_count(self) -> int:
        return int(sum(value.size for value in self.params.values()))

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items() if key != "name")
        return f"{type(self).__name__}({arguments})"
