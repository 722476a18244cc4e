"""The backward pass of each layer, written out for ONE example of the chain-rule inspector.

For a Dense layer with input a_prev (D,), weights W (D, H), bias b (H,) and activation f,
``dense_backward`` computes, directly from the recorded forward values:

    ∂L/∂z = f'(z) ⊙ ∂L/∂a     (element by element; softmax is the exception, see below)
    ∂L/∂W = a_prevᵀ ∂L/∂z     (+ the L1/L2 penalty's gradient, when the layer has one)
    ∂L/∂b = ∂L/∂z
    ∂L/∂a_prev = ∂L/∂z Wᵀ

It does not read the engine's buffers, so the tests can hold these formulas against
``Network.backward`` and against central differences. Other layers (Dropout, Flatten,
BatchNorm, Activation) run their own backward; ``layer_note`` says in words what it does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from nnblocks.blocks.layers import Dense, Dropout, Flatten

if TYPE_CHECKING:  # for the annotation only: chain_rule.py imports this module
    from nnblocks.analysis.chain_rule import LayerStep

# f'(z) written the way each activation's backward computes it ("a" is f(z)).
DERIVATIVES = {"linear": "1", "relu": "1 if z > 0 else 0", "tanh": "1 − a²", "sigmoid": "a·(1 − a)",
               "leaky_relu": "1 if z > 0 else slope", "elu": "1 if z > 0 else a + α", "softplus": "sigmoid(z)",
               "silu": "s + z·s·(1 − s), s = sigmoid(z)", "gelu": "Φ(z) + z·φ(z)"}


def dense_backward(step: LayerStep, layer: Dense) -> np.ndarray:
    """The Dense layer's backward written out (the formulas of the module docstring), for one row."""
    z, a, grad_a = step.z[None, :], step.outputs[None, :], step.grad_outputs[None, :]
    activation = layer.activation
    if activation.type_name == "softmax":   # not element-wise: its Jacobian is diag(a) − a aᵀ
        step.derivative = None
        grad_z = activation.backward(z, a, grad_a)[0]
    else:
        step.derivative = activation.backward(z, a, np.ones_like(z))[0]   # f'(z), element by element
        grad_z = step.derivative * step.grad_outputs
    step.grad_z = grad_z
    step.grad_weight = np.outer(step.inputs, grad_z)                      # a_prevᵀ ∂L/∂z, (D, H)
    if layer.l1:
        step.grad_weight += layer.l1 * np.sign(step.weight)
    if layer.l2:
        step.grad_weight += (2 * layer.l2) * step.weight
    step.grad_bias = grad_z.copy() if step.bias is not None else None
    return (grad_z @ step.weight.T)[None, :]                              # ∂L/∂a_prev = ∂L/∂z Wᵀ


def layer_note(layer) -> str:
    """What a layer without weights does to the values and their gradients, in one sentence ("" if unknown)."""
    if isinstance(layer, Dropout):
        return f"Dropout (rate {layer.rate:g}) is off in inference mode: a = a_prev, ∂L/∂a_prev = ∂L/∂a."
    if isinstance(layer, Flatten):
        return "Flatten only reshapes: the values and their gradients pass through unchanged."
    if layer.type_name == "batch_norm":
        return ("BatchNorm in inference mode: a = γ·(a_prev − running mean)/√(running var + ε) + β, "
                "so ∂L/∂a_prev = ∂L/∂a · γ/√(running var + ε).")
    if layer.type_name == "activation":
        return f"Activation {layer.activation.type_name}: a = f(a_prev), ∂L/∂a_prev = f'(a_prev) ⊙ ∂L/∂a."
    return ""
