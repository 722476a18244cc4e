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

Rendering (rich, markdown, HTML) lives in ``chain_rule_render.py``; the figure in
``nnblocks.viz.chain_rule``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nnblocks.blocks.layers import Dense, Dropout, Flatten
from nnblocks.errors import DataError, NotFittedError, ParameterError, ParameterTypeError
from nnblocks.validation import check_integer, message

OWNER = "explain_step"
MODE_NOTE = ("Computed on a float64 copy of the model, in inference mode (dropout off, batch norm uses its running "
             "statistics); the model itself is unchanged. Indices start at 0.")

# f'(z) written the way each activation's backward computes it ("a" is f(z)).
DERIVATIVES = {"linear": "1", "relu": "1 if z > 0 else 0", "tanh": "1 − a²", "sigmoid": "a·(1 − a)",
               "leaky_relu": "1 if z > 0 else slope", "elu": "1 if z > 0 else a + α", "softplus": "sigmoid(z)",
               "silu": "s + z·s·(1 − s), s = sigmoid(z)", "gelu": "Φ(z) + z·φ(z)"}
# ∂L/∂s for one example, per loss (K = number of outputs).
LOSS_GRADIENTS = {"binary_cross_entropy": "p − y", "softmax_cross_entropy": "p − y", "mse": "2·(s − y)/K",
                  "mae": "sign(s − y)/K", "huber": "(s − y)/K, clipped to ±δ/K", "hinge": "−t/K if t·s < 1 else 0"}
LOSS_FORMULAS = {"binary_cross_entropy": "L = −[y·log p + (1 − y)·log(1 − p)],  p = sigmoid(s)",
                 "softmax_cross_entropy": "L = −log p[y],  p = softmax(s)", "mse": "L = mean((s − y)²)",
                 "mae": "L = mean(|s − y|)", "huber": "L = mean(huber(s − y))",
                 "hinge": "L = mean(max(0, 1 − t·s)),  t = 2y − 1"}


@dataclass
class Factor:
    """One number in a written-out product: its symbol (``a_prev[3]``) and value."""

    symbol: str
    value: float


@dataclass
class ChainProduct:
    """∂L/∂W[row, column] written as the chain rule's product of factors (plus a penalty term).

    ``value`` is the ∂L/∂W entry the inspector reports; ``product`` multiplies the factors
    again, so a reader (or a test) can see that they agree.
    """

    layer: str
    row: int
    column: int
    factors: list[Factor]
    value: float
    penalty: Factor | None = None   # l1·sign(W) + 2·l2·W, when the layer is regularised

    @property
    def symbol(self) -> str:
        return f"∂L/∂W[{self.row},{self.column}]"

    @property
    def product(self) -> float:
        """The factors multiplied (and the penalty term added): equals ``value`` up to rounding."""
        return math.prod(factor.value for factor in self.factors) + (self.penalty.value if self.penalty else 0.0)

    def formula(self) -> str:
        """``a_prev[0] × f'(z[3]) × ∂L/∂a[3]`` (+ the penalty term)."""
        symbols = " × ".join(factor.symbol for factor in self.factors)
        return symbols + (f" + {self.penalty.symbol}" if self.penalty is not None else "")

    def numbers(self, digits: int = 4) -> str:
        """``0.512 × 0.781 × (−0.204) = −0.0816``: the factors' values and the result."""
        values = " × ".join(format_factor(factor.value, digits) for factor in self.factors)
        if self.penalty is not None:
            values += f" + {format_factor(self.penalty.value, digits)}"
        return f"{values} = {format_number(self.value, digits)}"

    def text(self, digits: int = 4) -> str:
        """``∂L/∂W[0,3] = a_prev[0] × f'(z[3]) × ∂L/∂a[3] = 0.512 × 0.781 × (−0.204) = −0.0816``."""
        return f"{self.symbol} = {self.formula()} = {self.numbers(digits)}"


@dataclass
class Upstream:
    """How ∂L/∂a[unit] of a Dense layer came from the layer above.

    ``source`` is "loss" for the top layer (∂L/∂a is ∂L/∂scores), the name of the next
    Dense layer (``terms`` then hold (k, ∂L/∂z_next[k], W_next[unit, k]) for every k),
    or the name of another layer whose backward produced it.
    """

    unit: int
    source: str
    value: float
    terms: list[tuple[int, float, float]] = field(default_factory=list)
    through: list[str] = field(default_factory=list)   # layers passed on the way (Dropout in inference)
    note: str = ""


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


@dataclass
class LossStep:
    """The loss block for one example: scores, the link (probability), target, L and ∂L/∂s."""

    type_name: str
    task: str
    scores: np.ndarray             # s (K,)
    link: np.ndarray               # p = sigmoid/softmax(s), or s itself
    targets: np.ndarray            # y as the gradient sees it (K,): 0/1, one-hot, or values
    grad_scores: np.ndarray        # ∂L/∂s (K,)
    value: float                   # the loss without penalty
    penalty: float
    unit_names: list[str]
    target_label: str
    predicted_label: str
    link_name: str                 # "p" for probabilities, "s" otherwise
    classes: list[str] | None = None

    @property
    def total(self) -> float:
        return self.value + self.penalty

    @property
    def formula(self) -> str:
        return LOSS_FORMULAS.get(self.type_name, f"L = {self.type_name}(s, y)")

    @property
    def gradient_formula(self) -> str:
        return LOSS_GRADIENTS.get(self.type_name, "from the loss's backward")


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
    _check_fitted(model)
    network = _float64_copy(model)
    x = _one_row(x_row, network)
    features, targets = network._prepare(x, _one_target(y_row, network))
    choices = _weight_choices(weights, network.layers)

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
            grad = _dense_backward(step, layer)
        else:   # Dropout, BatchNorm, ...: the layer's own backward, in inference mode
            grad = layer.backward(grad, True)
            step.parameter_grads = {key: value.copy() for key, value in layer.grads.items()}
        step.grad_inputs = grad[0].copy()

    _name_units(steps, network)
    for step in steps:
        if step.is_dense:
            step.chain = _chain_product(step, network.layers[step.position], choices.get(step.position))
            step.upstream = _upstream(step, steps)
    loss = _loss_step(network, scores[0], targets, grad_scores[0], loss_value, penalty)
    return StepExplanation(steps, loss, list(network.inputs.output_names), _raw_inputs(x, network),
                           description=description, digits=digits, mode_note=_mode_note(network))


def _forward_step(position: int, layer, inputs: np.ndarray, outputs: np.ndarray) -> LayerStep:
    step = LayerStep(position, layer.name, layer.type_name, inputs.copy(), outputs.copy(),
                     np.zeros_like(outputs), np.zeros_like(inputs), [])
    if isinstance(layer, Dense):
        step.activation = layer.activation.type_name
        step.z = layer.z[0].copy()
        step.weight = layer.params["weight"].copy()
        step.bias = layer.params["bias"].copy() if layer.use_bias else None
    elif isinstance(layer, Dropout):
        step.note = f"Dropout (rate {layer.rate:g}) is off in inference mode: a = a_prev, ∂L/∂a_prev = ∂L/∂a."
    elif isinstance(layer, Flatten):
        step.note = "Flatten only reshapes: the values and their gradients pass through unchanged."
    elif layer.type_name == "batch_norm":
        step.note = ("BatchNorm in inference mode: a = γ·(a_prev − running mean)/√(running var + ε) + β, "
                     "so ∂L/∂a_prev = ∂L/∂a · γ/√(running var + ε).")
    elif layer.type_name == "activation":
        step.note = f"Activation {layer.activation.type_name}: a = f(a_prev), ∂L/∂a_prev = f'(a_prev) ⊙ ∂L/∂a."
    return step


def _dense_backward(step: LayerStep, layer: Dense) -> np.ndarray:
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


def _chain_product(step: LayerStep, layer: Dense, choice: tuple[int, int] | None) -> ChainProduct:
    if choice is None:
        # The largest |∂L/∂W|, judged by its chain-rule part a_prev[i]·∂L/∂z[j]: with an L1/L2 penalty the
        # penalty term alone could otherwise win, on a weight the example itself does not move at all.
        backprop = np.abs(np.outer(step.inputs, step.grad_z))
        row, column = np.unravel_index(int(np.argmax(backprop)), backprop.shape)
    else:
        row, column = choice
    row, column = int(row), int(column)
    factors = [Factor(f"a_prev[{row}]", float(step.inputs[row]))]
    if step.derivative is not None:
        factors += [Factor(f"f'(z[{column}])", float(step.derivative[column])),
                    Factor(f"∂L/∂a[{column}]", float(step.grad_outputs[column]))]
    else:
        factors.append(Factor(f"∂L/∂z[{column}]", float(step.grad_z[column])))
    penalty = None
    weight = float(step.weight[row, column])
    if layer.l1 or layer.l2:
        terms, value = [], 0.0
        if layer.l1:
            terms.append(f"{layer.l1:g}·sign(W[{row},{column}])")
            value += layer.l1 * float(np.sign(weight))
        if layer.l2:
            terms.append(f"2·{layer.l2:g}·W[{row},{column}]")
            value += 2 * layer.l2 * weight
        penalty = Factor(" + ".join(terms), value)
    return ChainProduct(step.name, row, column, factors, float(step.grad_weight[row, column]), penalty)


def _upstream(step: LayerStep, steps: list[LayerStep]) -> Upstream:
    """Where ∂L/∂a[j] of ``step`` (j = its chosen weight's column) came from."""
    unit = step.chain.column
    value = float(step.grad_outputs[unit])
    through = []
    for above in steps[step.position + 1:]:
        if above.type_name in ("dropout", "flatten"):
            through.append(above.name)
            continue
        if above.is_dense:
            terms = [(k, float(above.grad_z[k]), float(above.weight[unit, k])) for k in range(len(above.grad_z))]
            return Upstream(unit, above.name, value, terms, through)
        return Upstream(unit, above.name, value, through=through,
                        note=f"from the backward pass of {above.name}" + (
                            f" ({above.type_name})" if above.name != above.type_name else ""))
    return Upstream(unit, "loss", value, through=through, note="∂L/∂s from the loss")


def _loss_step(network, scores: np.ndarray, targets: np.ndarray, grad_scores: np.ndarray, value: float,
               penalty: float) -> LossStep:
    loss = network.loss
    task = loss.task
    classes = network.class_names
    if task == "multiclass":
        index = int(targets[0]) if targets.ndim == 1 else int(np.argmax(targets[0]))
        target_vector = np.eye(len(scores))[index] if targets.ndim == 1 else targets[0].astype(np.float64)
        target_label = classes[index] if classes else str(index)
        predicted = int(np.argmax(scores))
        predicted_label = classes[predicted] if classes else str(predicted)
    elif task == "binary":
        target_vector = targets[0].astype(np.float64)
        target_label = classes[int(target_vector[0])] if classes else f"{target_vector[0]:g}"
        predicted = int(scores[0] > 0)
        predicted_label = classes[predicted] if classes else str(predicted)
    else:
        target_vector = targets[0].astype(np.float64)
        target_label = ", ".join(format_number(float(v), 4) for v in target_vector)
        predicted_label = ", ".join(format_number(float(v), 4) for v in scores)
    probabilistic = task != "regression" and loss.type_name != "hinge"
    link = loss.link(scores[None, :])[0] if probabilistic else scores.copy()
    return LossStep(loss.type_name, task, scores.copy(), link, target_vector, grad_scores.copy(), float(value),
                    float(penalty), _output_names(network), target_label, predicted_label,
                    "p" if probabilistic else "s", classes)


def _name_units(steps: list[LayerStep], network) -> None:
    outputs = _output_names(network)
    for step in steps:
        step.unit_names = [str(unit) for unit in range(len(step.outputs))]
    if steps and len(steps[-1].outputs) == len(outputs):
        steps[-1].unit_names = outputs


def _output_names(network) -> list[str]:
    units = network.layers[-1].output_shape[0]
    classes = network.class_names
    if network.loss.task == "multiclass" and classes and len(classes) == units:
        return [f"{unit} ({name})" for unit, name in enumerate(classes)]
    return [str(unit) for unit in range(units)]


def _mode_note(network) -> str:
    note = MODE_NOTE
    if network.penalty():
        note += " The loss L includes the L1/L2 penalty, and so does ∂L/∂W."
    return note


# --- inputs ---------------------------------------------------------------------------------
def _check_fitted(model) -> None:
    required = getattr(model, "_require_fitted", None)
    if required is not None:
        required("explain a step")
    elif not getattr(model, "built", False) or getattr(model, "loss", None) is None:
        raise NotFittedError("explain_step needs a fitted model (built, with a loss). Fix: call model.fit first.")


def _float64_copy(model):
    """An exact float64 twin of the model (as gradient_check makes one): same weights, classes, inputs."""
    config = model.get_config()
    config["dtype"] = "float64"
    copy = type(model).from_config(config)
    copy.set_weights(model.get_weights())
    copy.classes = getattr(model, "classes", None)
    return copy


def _one_row(x_row, network):
    """The example as a one-row table the Inputs block accepts."""
    if isinstance(x_row, pd.DataFrame):
        if len(x_row) != 1:
            raise DataError(f"explain_step explains ONE example, but x_row has {len(x_row)} rows. "
                            "Fix: pass x.iloc[[i]] (a one-row DataFrame) or x[i].")
        return x_row
    if isinstance(x_row, pd.Series):
        return pd.DataFrame([x_row.to_dict()])
    values = np.asarray(x_row)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2 or len(values) != 1:
        raise DataError(f"explain_step explains ONE example, but x_row has shape {values.shape}. "
                        "Fix: pass one row, shaped (D,) or (1, D).")
    return values


def _one_target(y_row, network) -> np.ndarray:
    values = np.asarray(y_row.to_numpy() if isinstance(y_row, (pd.Series, pd.DataFrame)) else y_row)
    units = network.layers[-1].output_shape[0]
    if network.loss.task == "regression":
        values = values.reshape(1, -1)
        if values.shape[1] != units:
            raise DataError(f"y_row must hold the {units} target value(s) of one example; got {values.size} "
                            "values. Fix: pass y[i].")
        return values
    if values.size != 1:
        raise DataError(f"y_row must be the label of one example; got {values.size} values. Fix: pass y[i] "
                        "or y[i:i+1].")
    return values.reshape(1)


def _raw_inputs(x, network) -> dict[str, object]:
    names = network.inputs.input_names
    if isinstance(x, pd.DataFrame):
        return {name: _plain(x[name].iloc[0]) for name in names if name in x.columns}
    return {name: _plain(value) for name, value in zip(names, np.asarray(x)[0])}


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def _weight_choices(weights, layers) -> dict[int, tuple[int, int]]:
    """``{position: (i, j)}`` from ``{layer name or position: (i, j)}``, every entry checked."""
    if weights is None:
        return {}
    if not isinstance(weights, dict):
        raise ParameterTypeError(message("weights", OWNER, "a dict {layer name or position: (i, j)}", weights))
    names = {layer.name: position for position, layer in enumerate(layers)}
    dense = [f"{layer.name} (position {position}, W is {layer.params['weight'].shape[0]}×"
             f"{layer.params['weight'].shape[1]})" for position, layer in enumerate(layers) if isinstance(layer, Dense)]
    choices = {}
    for key, entry in weights.items():
        if isinstance(key, str) and key in names:
            position = names[key]
        elif isinstance(key, numbers.Integral) and not isinstance(key, bool) and 0 <= key < len(layers):
            position = int(key)
        else:
            raise ParameterError(message("weights", OWNER, f"keyed by a Dense layer's name or position: "
                                         f"{', '.join(dense)}", key))
        layer = layers[position]
        if not isinstance(layer, Dense):
            raise ParameterError(message("weights", OWNER, f"keyed by a Dense layer; {layer.name} is a "
                                         f"{layer.type_name} layer without weights. The Dense layers are "
                                         f"{', '.join(dense)}", key))
        rows, columns = layer.params["weight"].shape
        valid = (isinstance(entry, (tuple, list)) and len(entry) == 2
                 and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in entry)
                 and 0 <= entry[0] < rows and 0 <= entry[1] < columns)
        if not valid:
            raise ParameterError(message(f"weights[{key!r}]", OWNER, f"a pair (i, j) with 0 <= i <= {rows - 1} "
                                         f"(inputs) and 0 <= j <= {columns - 1} (units) for {layer.name}", entry))
        choices[position] = (int(entry[0]), int(entry[1]))
    return choices


# --- numbers as a learner reads them ---------------------------------------------------------
def format_number(value: float, digits: int = 4) -> str:
    """``digits`` significant digits, a real minus sign (−) and no "-0"."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def format_factor(value: float, digits: int = 4) -> str:
    """A number inside a product: negatives in parentheses, ``(−0.204)``."""
    text = format_number(value, digits)
    return f"({text})" if text.startswith("−") else text
