"""The chain-rule inspector: one example's forward and backward pass, number by number.

Backpropagation is the chain rule applied layer by layer. For a Dense layer with
input a_prev (D,), weights W (D, H), bias b (H,) and activation f:

    forward:   z = a_prev·W + b          a = f(z)
    backward:  ∂L/∂z = f'(z) ⊙ ∂L/∂a     (element by element)
               ∂L/∂W = a_prevᵀ ∂L/∂z     so ∂L/∂W[i,j] = a_prev[i] × f'(z[j]) × ∂L/∂a[j]
               ∂L/∂b = ∂L/∂z
               ∂L/∂a_prev = ∂L/∂z Wᵀ     so ∂L/∂a_prev[i] = Σⱼ ∂L/∂z[j] × W[i,j]

and the top layer's ∂L/∂a is ∂L/∂(scores), which the loss gives (p − y for the
cross-entropies). ``explain_step`` records all of it for ONE example, computing the
backward formulas above directly (not by reading the engine's buffers), so that the
tests can hold them against ``Network.backward`` and against central differences.

It works on a float64 copy of the model (as ``gradient_check`` does), so the numbers
are exact and the model is untouched, and in inference mode: Dropout passes values
through unchanged and BatchNorm uses its running statistics.

Example:
    >>> step = explain_step(model, x[:1], y[:1])            # doctest: +SKIP
    >>> print(step.chain_lines()[0])                          # doctest: +SKIP
    ∂L/∂W[7,0] = a_prev[7] × f'(z[0]) × ∂L/∂a[0] = 0.9514 × 1 × (−0.08994) = −0.08557

The module reads top-down: the records (``LayerStep``, ``StepExplanation``), then
``explain_step``, which runs the forward pass and then the backward pass from the loss down.
Its helpers live beside it, one idea a file:

    chain_rule_inputs.py     checking the model, the example and the ``weights`` choice
    chain_rule_backward.py   each layer's backward, written out (Dense) or described
    chain_rule_products.py   one ∂L/∂W entry as its product of factors, and its upstream sum
    chain_rule_loss.py       the loss block: L, the link p and ∂L/∂s
    chain_rule_numbers.py    numbers as a learner reads them (−0.204, "(−0.204)" in a product)

Rendering (rich, markdown, HTML) lives in ``chain_rule_render.py``; the figure in
``nnblocks.viz.chain_rule``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnblocks.analysis.chain_rule_backward import DERIVATIVES, dense_backward, layer_note
from nnblocks.analysis.chain_rule_inputs import (OWNER, check_fitted, float64_copy, one_row, one_target, raw_inputs,
                                                 weight_choices)
from nnblocks.analysis.chain_rule_loss import LOSS_FORMULAS, LOSS_GRADIENTS, LossStep, loss_step, output_names
from nnblocks.analysis.chain_rule_numbers import format_factor, format_number
from nnblocks.analysis.chain_rule_products import ChainProduct, Factor, Upstream, chain_product, upstream_of
from nnblocks.blocks.layers import Dense
from nnblocks.validation import check_integer

__all__ = ["DERIVATIVES", "LOSS_FORMULAS", "LOSS_GRADIENTS", "MODE_NOTE", "OWNER", "ChainProduct", "Factor",
           "LayerStep", "LossStep", "StepExplanation", "Upstream", "explain_step", "format_factor", "format_number"]

MODE_NOTE = ("Computed on a float64 copy of the model, in inference mode (dropout off, batch norm uses its running "
             "statistics); the model itself is unchanged. Indices start at 0.")


@dataclass
class LayerStep:
    """One layer's part of the forward and backward pass, for one example (1-D arrays)."""

    position: int                  # index in model.layers
    name: str
    type_name: str
    inputs: np.ndarray             # a_prev (D,)
    outputs: np.ndarray            # a (H,)
    grad_outputs: np.ndarray       # ∂L/∂a (H,)
    grad_inputs: np.ndarray        # ∂L/∂a_prev (D,)
    unit_names: list[str]
    activation: str | None = None  # Dense only, from here on
    z: np.ndarray | None = None
    weight: np.ndarray | None = None
    bias: np.ndarray | None = None
    derivative: np.ndarray | None = None   # f'(z); None for softmax (not element-wise)
    grad_z: np.ndarray | None = None
    grad_weight: np.ndarray | None = None
    grad_bias: np.ndarray | None = None
    chain: ChainProduct | None = None
    upstream: Upstream | None = None
    note: str = ""
    parameter_grads: dict[str, np.ndarray] = field(default_factory=dict)   # other layers' (BatchNorm γ, β)

    @property
    def is_dense(self) -> bool:
        return self.type_name == "dense"

    @property
    def shape_text(self) -> str:
        return f"{len(self.inputs)} → {len(self.outputs)}"



@dataclass(repr=False)
class StepExplanation:
    """Everything ``explain_step`` found, ready to be rendered (rich, markdown, HTML, figure)."""

    layers: list[LayerStep]
    loss: LossStep
    feature_names: list[str]       # the columns after the Inputs block (a⁽⁰⁾)
    raw_inputs: dict[str, object]  # the example before the Inputs block
    description: str = ""
    digits: int = 4
    mode_note: str = MODE_NOTE

    @property
    def dense_layers(self) -> list[LayerStep]:
        return [layer for layer in self.layers if layer.is_dense]

    @property
    def features(self) -> np.ndarray:
        return self.layers[0].inputs

    @property
    def grad_features(self) -> np.ndarray:
        return self.layers[0].grad_inputs

    @property
    def gradients(self) -> dict[str, np.ndarray]:
        """∂L/∂W and ∂L/∂b by parameter name, as ``network.gradients`` names them ("dense.weight")."""
        found = {}
        for layer in self.layers:
            if layer.is_dense:
                found[f"{layer.name}.weight"] = layer.grad_weight
                if layer.grad_bias is not None:
                    found[f"{layer.name}.bias"] = layer.grad_bias
            found.update({f"{layer.name}.{key}": value for key, value in layer.parameter_grads.items()})
        return found

    @property
    def chains(self) -> list[ChainProduct]:
        """One written-out product per Dense layer, from the top layer down (backward order)."""
        return [layer.chain for layer in reversed(self.dense_layers)]

    def layer(self, name: str) -> LayerStep:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(f"no layer named {name!r}; the layers are {[layer.name for layer in self.layers]}")

    def chain_lines(self) -> list[str]:
        return [chain.text(self.digits) for chain in self.chains]

    # --- rendering (chain_rule_render.py) ------------------------------------------------
    def __rich__(self):
        from nnblocks.analysis.chain_rule_render import to_rich
        return to_rich(self)

    def to_markdown(self) -> str:
        from nnblocks.analysis.chain_rule_render import to_markdown
        return to_markdown(self)

    def to_html(self, full_page: bool = True) -> str:
        from nnblocks.analysis.chain_rule_render import to_html
        return to_html(self, full_page=full_page)

    def _repr_html_(self) -> str:
        return self.to_html(full_page=False)

    def __repr__(self) -> str:
        layers = ", ".join(f"{layer.name} {layer.shape_text}" for layer in self.layers)
        return f"StepExplanation([{layers}], loss={self.loss.total:.6g})"


# --- the computation ------------------------------------------------------------------------
def explain_step(model, x_row, y_row, weights: dict | None = None, digits: int = 4,
                 description: str = "") -> StepExplanation:
    """Follow one example through the network and back, recording every number the chain rule uses.

    Args:
        model: a fitted ``Sequential`` (it is copied to float64; the original is not changed).
        x_row: one example's raw features: shape (D,) or (1, D), or a one-row DataFrame.
        y_row: its label (classifiers) or target value(s) (regression).
        weights: the weight to write out per Dense layer, ``{layer name or position: (i, j)}``;
            layers left out get the entry with the largest |∂L/∂W| (judged without the L1/L2
            penalty term, which is not part of the chain rule).
        digits: significant digits in the rendered numbers.
        description: a line saying which example this is (shown as the title's subtitle).

    Returns:
        a StepExplanation; render it with rich, ``to_markdown()``, ``to_html()`` or
        ``nnblocks.viz.plot_chain_rule``.
    """
    digits = check_integer("digits", digits, OWNER, minimum=1, maximum=12)
    check_fitted(model)
    network = float64_copy(model)
    x = one_row(x_row, network)
    features, targets = network._prepare(x, one_target(y_row, network))
    choices = weight_choices(weights, network.layers)

    # Forward, in inference mode, keeping each layer's input and output.
    steps: list[LayerStep] = []
    values = features
    for position, layer in enumerate(network.layers):
        inputs = values
        values = layer.forward(values, training=False)
        steps.append(_forward_step(position, layer, inputs[0], values[0]))
    scores = values
    loss_value = network.loss.forward(scores, targets)
    penalty = network.penalty()
    grad_scores = network.loss.backward()   # ∂L/∂s, shape (1, K)

    # Backward: the chain rule, from the loss down.
    grad = grad_scores
    for step, layer in zip(reversed(steps), reversed(network.layers)):
        step.grad_outputs = grad[0].copy()
        if step.is_dense:
            grad = dense_backward(step, layer)
        else:   # Dropout, BatchNorm, ...: the layer's own backward, in inference mode
            grad = layer.backward(grad, True)
            step.parameter_grads = {key: value.copy() for key, value in layer.grads.items()}
        step.grad_inputs = grad[0].copy()

    _name_units(steps, network)
    for step in steps:
        if step.is_dense:
            step.chain = chain_product(step, network.layers[step.position], choices.get(step.position))
            step.upstream = upstream_of(step, steps)
    loss = loss_step(network, scores[0], targets, grad_scores[0], loss_value, penalty)
    return StepExplanation(steps, loss, list(network.inputs.output_names), raw_inputs(x, network),
                           description=description, digits=digits, mode_note=_mode_note(network))


def _forward_step(position: int, layer, inputs: np.ndarray, outputs: np.ndarray) -> LayerStep:
    """The layer's forward record: a_prev and a, plus z, W and b for a Dense layer (gradients come later)."""
    step = LayerStep(position, layer.name, layer.type_name, inputs.copy(), outputs.copy(),
                     np.zeros_like(outputs), np.zeros_like(inputs), [])
    if isinstance(layer, Dense):
        step.activation = layer.activation.type_name
        step.z = layer.z[0].copy()
        step.weight = layer.params["weight"].copy()
        step.bias = layer.params["bias"].copy() if layer.use_bias else None
    else:   # Dropout, Flatten, BatchNorm, Activation: a sentence on what they do to values and gradients
        step.note = layer_note(layer)
    return step


def _name_units(steps: list[LayerStep], network) -> None:
    outputs = output_names(network)
    for step in steps:
        step.unit_names = [str(unit) for unit in range(len(step.outputs))]
    if steps and len(steps[-1].outputs) == len(outputs):
        steps[-1].unit_names = outputs


def _mode_note(network) -> str:
    note = MODE_NOTE
    if network.penalty():
        note += " The loss L includes the L1/L2 penalty, and so does ∂L/∂W."
    return note
