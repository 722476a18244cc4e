"""Flatten: (N, d1, d2, ...) -> (N, d1·d2·...), the bridge from images to Dense layers."""

from __future__ import annotations

import math

from nnblocks.blocks.base import Layer
from nnblocks.blocks.registry import register_layer


@register_layer("flatten")
class Flatten(Layer):
    """Reshape each example to one axis; backward reshapes the gradient back."""

    def compute_output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False):
        self.original_shape = x.shape
        return x.reshape(len(x), -1)

    def backward(self, grad_output, need_input_gradient=True):
        return grad_output.reshape(self.original_shape)
