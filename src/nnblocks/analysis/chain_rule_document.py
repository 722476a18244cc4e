"""The shared document behind every rendering of a StepExplanation.

``document`` turns an explanation into a short list of blocks (headings, notes, tables,
formula lines); each renderer (``chain_rule_formats.py``) only maps blocks to its format, so
the terminal, the markdown file and the notebook always say the same thing.

Order: the forward pass from the inputs up (one table per layer, whose columns also hold
that layer's backward values), the loss, then the backward pass written out from the
loss down: for each Dense layer one weight's chain-rule product with its numbers
(those lines are built in ``chain_rule_formulas.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnblocks.analysis.chain_rule import DERIVATIVES, LayerStep, StepExplanation, format_number
from nnblocks.analysis.chain_rule_formulas import _chain_lines

MAX_ROWS = 16      # units shown per layer table; bigger layers show the chosen unit and the largest |∂L/∂z|
TOP_WEIGHTS = 3    # "largest |∂L/∂W|" entries listed per layer
CHOSEN_MARK = "▶ "  # marks the row of the unit whose chain rule is written out (highlighted as well)


# --- the document ------------------------------------------------------------------------------
@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Note:
    text: str


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    highlight: set[int] = field(default_factory=set)   # row positions drawn emphasised
    caption: str = ""


@dataclass
class Formulas:
    lines: list[tuple[str, bool]]    # (text, emphasised)


def document(step: StepExplanation) -> list:
    """The blocks every renderer draws, in reading order."""
    digits = step.digits
    number = lambda value: format_number(float(value), digits)  # noqa: E731
    blocks: list = [Heading("The chain rule, one example", 1)]
    if step.description:
        blocks.append(Note(step.description))
    blocks.append(Note(step.mode_note))

    blocks.append(Heading("Forward pass, inputs → loss (the tables also hold the backward values)"))
    blocks.append(_inputs_table(step, number))
    previous = "the inputs a⁽⁰⁾"
    for layer in step.layers:
        if layer.is_dense:
            blocks.append(_dense_table(layer, previous, number))
        elif layer.type_name in ("dropout", "flatten"):
            blocks.append(Note(f"{layer.name}: {layer.note}"))
        else:
            blocks.append(_generic_table(layer, number))
        previous = f"the a column of {layer.name}"

    blocks += _loss_blocks(step, number)

    blocks.append(Heading("Backward pass, written out from the loss down"))
    blocks.append(Note("For each Dense layer, one weight W[i,j] (i: input, j: unit), the one with the largest "
                       "|∂L/∂W| (leaving out any penalty term) unless chosen: its gradient is the product of what "
                       "the chain rule passes along. Each product's numbers multiply to the value after the last '='."))
    dense = step.dense_layers
    for index, layer in reversed(list(enumerate(dense))):
        blocks.append(Heading(f"{layer.name}: Dense {layer.shape_text}, {layer.activation}", 3))
        below = dense[index - 1].name if index > 0 else None
        blocks.append(Formulas(_chain_lines(step, layer, below, number)))
    return blocks


def _shown_units(layer: LayerStep, size: int) -> tuple[list[int], int]:
    """Every unit when few; else the chosen unit(s) and the largest |∂L/∂(output)|, in index order."""
    if size <= MAX_ROWS:
        return list(range(size)), 0
    keep = set()
    if layer.chain is not None:
        keep.add(layer.chain.column)
    order = np.argsort(-np.abs(layer.grad_outputs if layer.grad_z is None else layer.grad_z), kind="stable")
    for unit in order:
        if len(keep) >= MAX_ROWS - 1:
            break
        keep.add(int(unit))
    return sorted(keep), size - len(keep)


def _inputs_table(step: StepExplanation, number) -> Table:
    first = step.layers[0]
    chosen = first.chain.row if first.chain is not None else None
    raw = step.raw_inputs
    raw_of = {name: _raw_name(name, raw) for name in step.feature_names}
    show_raw = any(key is not None for key in raw_of.values())
    columns = ["i", "feature"] + (["raw value"] if show_raw else []) + ["a⁽⁰⁾", "∂L/∂a⁽⁰⁾"]
    rows, highlight = [], set()
    units, hidden = _shown_units_inputs(step)
    for unit in units:
        name = step.feature_names[unit]
        row = [str(unit), name]
        if show_raw:
            value = raw.get(raw_of[name], "") if raw_of[name] is not None else ""
            row.append(number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value))
        row += [number(step.features[unit]), number(step.grad_features[unit])]
        if unit == chosen:
            highlight.add(len(rows))
            row[0] = f"{CHOSEN_MARK}{row[0]}"
        rows.append(row)
    if hidden:
        rows.append(["…", f"{hidden} more"] + [""] * (len(columns) - 2))
    extra = [name for name in raw if name not in raw_of.values()]
    caption = ("Raw columns: " + ", ".join(f"{name} = {raw[name]}" for name in raw)) if extra else ""
    caption = (caption + ". " if caption else "") + ("a⁽⁰⁾: the example after the Inputs block (derived features, "
                                                     "scaling): what the first layer sees.")
    return Table("Inputs a⁽⁰⁾", columns, rows, highlight, caption)


def _raw_name(feature: str, raw: dict) -> str | None:
    """The raw column a feature copies: itself, or its name without the quotes Inputs puts around spaces."""
    for name in (feature, feature[1:-1] if len(feature) > 1 and feature[0] == feature[-1] == "'" else None):
        if name is not None and name in raw:
            return name
    return None


def _shown_units_inputs(step: StepExplanation) -> tuple[list[int], int]:
    size = len(step.features)
    if size <= MAX_ROWS:
        return list(range(size)), 0
    keep = {step.layers[0].chain.row} if step.layers[0].chain is not None else set()
    for unit in np.argsort(-np.abs(step.grad_features), kind="stable"):
        if len(keep) >= MAX_ROWS - 1:
            break
        keep.add(int(unit))
    return sorted(keep), size - len(keep)


def _dense_table(layer: LayerStep, previous: str, number) -> Table:
    f = layer.activation
    columns = ["j", "z", "a", "f'(z)", "∂L/∂a", "∂L/∂z"]
    units, hidden = _shown_units(layer, len(layer.outputs))
    rows, highlight = [], set()
    for unit in units:
        derivative_value = number(layer.derivative[unit]) if layer.derivative is not None else "(Jacobian)"
        rows.append([layer.unit_names[unit], number(layer.z[unit]), number(layer.outputs[unit]), derivative_value,
                     number(layer.grad_outputs[unit]), number(layer.grad_z[unit])])
        if layer.chain is not None and unit == layer.chain.column:
            highlight.add(len(rows) - 1)
            rows[-1][0] = f"{CHOSEN_MARK}{rows[-1][0]}"
    if hidden:
        rows.append(["…", f"{hidden} more units", "", "", "", ""])
    flat = np.argsort(-np.abs(layer.grad_weight), axis=None, kind="stable")[:TOP_WEIGHTS]
    top = ", ".join(f"W[{i},{j}] {number(layer.grad_weight[i, j])}"
                    for i, j in (np.unravel_index(index, layer.grad_weight.shape) for index in flat))
    rows_in, units_out = layer.weight.shape
    if layer.derivative is not None:
        backward = f"f'(z) = {DERIVATIVES.get(f, 'the slope of f')},  ∂L/∂z = f'(z)·∂L/∂a = ∂L/∂b"
    else:
        backward = "∂L/∂z = a ⊙ (∂L/∂a − Σ ∂L/∂a·a) (softmax's Jacobian) = ∂L/∂b"
    caption = (f"Forward: z = a_prev·W + b,  a = {f}(z),  a_prev = {previous}.  Backward: {backward}.  "
               f"∂L/∂W = a_prevᵀ ∂L/∂z ({rows_in}×{units_out} entries), largest |∂L/∂W|: {top}."
               + _flat_units(layer))
    title = f"{layer.name}: Dense {layer.shape_text}, f = {f}"
    return Table(title, columns, rows, highlight, caption)


def _flat_units(layer: LayerStep) -> str:
    """A sentence on units whose f'(z) is (almost) 0: the gradient cannot get through them."""
    if layer.derivative is None or layer.activation == "linear":
        return ""
    flat = int(np.sum(np.abs(layer.derivative) < 0.01))
    if not flat:
        return ""
    if layer.activation in ("relu",):
        why = "z ≤ 0, so f'(z) = 0"
    else:
        why = "they are saturated, f'(z) < 0.01"
    return (f" {flat} of {len(layer.derivative)} units pass (almost) no gradient back for this example: {why}, "
            "so ∂L/∂z ≈ 0 whatever ∂L/∂a is.")


def _generic_table(layer: LayerStep, number) -> Table:
    columns = ["j", "a_prev (input)", "a (output)", "∂L/∂a", "∂L/∂a_prev"]
    units, hidden = _shown_units(layer, len(layer.outputs))
    rows = [[str(unit), number(layer.inputs[unit]), number(layer.outputs[unit]), number(layer.grad_outputs[unit]),
             number(layer.grad_inputs[unit])] for unit in units]
    if hidden:
        rows.append(["…", f"{hidden} more units", "", "", ""])
    kind = "" if layer.name == layer.type_name else f" ({layer.type_name})"
    return Table(f"{layer.name}{kind}: {layer.shape_text}", columns, rows, caption=layer.note)


def _loss_blocks(step: StepExplanation, number) -> list:
    loss = step.loss
    probabilistic = loss.link_name == "p"
    columns = ["k", "s"] + (["p"] if probabilistic else []) + ["y", "∂L/∂s"]
    rows = []
    for unit, name in enumerate(loss.unit_names):
        row = [name, number(loss.scores[unit])]
        if probabilistic:
            row.append(number(loss.link[unit]))
        rows.append(row + [number(loss.targets[unit]), number(loss.grad_scores[unit])])
    classes = loss.classes or []
    if loss.task == "binary" and len(classes) == 2:
        if probabilistic:
            meaning = (f"s: the last layer's output, the logit of '{classes[1]}'. p = sigmoid(s): the probability "
                       f"of '{classes[1]}'.")
        else:
            meaning = f"s: the last layer's output, a score: '{classes[1]}' where s > 0."
        meaning += f" y = 1 for '{classes[1]}', 0 for '{classes[0]}'."
    elif loss.task == "multiclass":
        meaning = ("s: the last layer's outputs, one logit per class. p = softmax(s): the class probabilities. "
                   "y: the true class, one-hot.")
    else:
        meaning = "s: the last layer's output, the prediction. y: the target."
    verdict = "correct" if loss.predicted_label == loss.target_label else "wrong"
    if loss.task == "regression":
        outcome = f"Prediction {loss.predicted_label}, target {loss.target_label}."
    else:
        outcome = f"Predicted class '{loss.predicted_label}', true class '{loss.target_label}' ({verdict})."
    caption = f"{meaning} ∂L/∂s = {loss.gradient_formula}. {outcome}"
    lines = [(loss.formula, False)]
    total = f"L = {number(loss.value)}"
    if loss.penalty:
        total += f" + penalty {number(loss.penalty)} = {number(loss.total)}"
    lines.append((total, True))
    if np.max(np.abs(loss.grad_scores)) < 0.01:
        lines.append(("The network already fits this example well (∂L/∂s is near 0), so every gradient below is "
                      "small: the example hardly moves the weights.", False))
    return [Heading(f"Loss: {loss.type_name.replace('_', ' ')}"),
            Table("Scores s and ∂L/∂s", columns, rows, caption=caption),
            Formulas(lines)]
