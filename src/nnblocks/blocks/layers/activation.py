"""An activation on its own, as a layer (after BatchNorm, for instance).

Dense layers carry their activation inside; this layer exists for the places where
the non-linearity must stand apart: Dense(linear) -> BatchNorm -> Activation("relu").
"""

from __future__ import annotations

from nnblocks.blocks.activations import get_activation
from nnblocks.blocks.base import Layer
from nnblocks.blocks.registry import register_layer


@register_layer("activation")
class Activation(Layer):
    """a = f(z) element-wise; backward is the activation's own derivative."""

    def __init__(self, activation="relu", name: str | None = None) -> None:
        super().__init__(name)
        self.activation = get_activation(activation, owner="Activation")

    def forward(self, x, training=False):
        self.z = x
        self.a = self.activation.forward(x)
        return self.a

    def backward(self, grad_output, need_input_gradient=True):
        return self.activation.backward(self.z, self.a, grad_output)

    def get_config(self):
        return {"name": self.name, "activation": self.activation.get_config()}
