"""Dropout: during training, zero each input with probability ``rate``.

Inverted dropout (as in PyTorch and Keras): survivors are scaled by 1/(1 − rate)
so the expected activation is unchanged and inference needs no rescaling.

    training:   y = x ⊙ m / (1 − rate),   m ~ Bernoulli(1 − rate)
    inference:  y = x
    backward:   dL/dx = dL/dy ⊙ m / (1 − rate)     (the same mask)
"""

from __future__ import annotations

import numpy as np

from nnblocks.blocks.base import Layer
from nnblocks.blocks.registry import register_layer
from nnblocks.validation import check_number


@register_layer("dropout")
class Dropout(Layer):
    """Randomly silence inputs while training; a regulariser against co-adaptation."""

    def __init__(self, rate: float = 0.5, name: str | None = None) -> None:
        super().__init__(name)
        self.rate = check_number("rate", rate, "Dropout", minimum=0.0, maximum=0.999)
        self.rng = np.random.default_rng(0)

    def build(self, input_shape, rng, dtype):
        # Its own stream, split from the network's, so a seed fixes every mask.
        self.rng = np.random.default_rng(rng.integers(2**63))
        return super().build(input_shape, rng, dtype)

    def forward(self, x, training=False):
        if not training or self.rate == 0:
            self.scaled_mask = None
            return x
        keep = 1.0 - self.rate
        self.scaled_mask = (self.rng.random(x.shape) < keep).astype(x.dtype) / x.dtype.type(keep)
        return x * self.scaled_mask

    def backward(self, grad_output, need_input_gradient=True):
        if self.scaled_mask is None:
            return grad_output
        return grad_output * self.scaled_mask

    def get_config(self):
        return {"name": self.name, "rate": self.rate}
