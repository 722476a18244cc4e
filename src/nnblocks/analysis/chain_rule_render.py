"""Rendering a StepExplanation: the same document as rich tables, markdown or HTML.

``document`` turns an explanation into a short list of blocks (headings, notes, tables,
formula lines); each renderer below only maps blocks to its format, so the terminal,
the markdown file and the notebook always say the same thing.

Order: the forward pass from the inputs up (one table per layer, whose columns also hold
that layer's backward values), the loss, then the backward pass written out from the
loss down: for each Dense layer one weight's chain-rule product with its numbers.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np

from nnblocks.analysis.chain_rule import (DERIVATIVES, ChainProduct, LayerStep, StepExplanation, format_factor,
                                          format_number)

MAX_ROWS = 16      # units shown per layer table; bigger layers show the chosen unit and the largest |∂L/∂z|
MAX_TERMS = 6      # Σ terms written out in full; more are summarised by the largest few
SHOWN_TERMS = 4
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


def _chain_lines(step: StepExplanation, layer: LayerStep, below: str | None, number) -> list[tuple[str, bool]]:
    chain: ChainProduct = layer.chain
    i, j = chain.row, chain.column
    digits = step.digits
    factor = lambda value: format_factor(float(value), digits)  # noqa: E731
    lines = [(text, False) for text in _forward_lines(layer, j, number, factor)]
    lines += _upstream_lines(step, layer, number, factor)
    if layer.derivative is not None:
        lines.append((_derivative_line(layer, j, number, factor), False))
        lines.append((f"∂L/∂z[{j}] = f'(z[{j}]) × ∂L/∂a[{j}] = {factor(layer.derivative[j])} × "
                      f"{factor(layer.grad_outputs[j])} = {number(layer.grad_z[j])}", False))
    else:
        lines.append((f"∂L/∂z[{j}] = a[{j}]·(∂L/∂a[{j}] − Σₖ ∂L/∂a[k]·a[k]) = {number(layer.grad_z[j])}"
                      "   (softmax: every a[k] depends on every z)", False))
    lines.append((f"{chain.symbol} = {chain.formula()}", True))       # the chain rule, then its numbers
    lines.append((" " * len(chain.symbol) + f" = {chain.numbers(digits)}", True))
    if layer.grad_bias is not None:
        lines.append((f"∂L/∂b[{j}] = ∂L/∂z[{j}] = {number(layer.grad_bias[j])}", False))
    lines.append((f"update: W[{i},{j}] ← {number(layer.weight[i, j])} − η × {factor(chain.value)}   "
                  "(gradient descent, rate η)", False))
    destination = f"the ∂L/∂a column of {below}" if below else "∂L/∂a⁽⁰⁾, the inputs' gradient"
    lines.append((f"∂L/∂a_prev = ∂L/∂z Wᵀ ({len(layer.inputs)} values) → {destination}", False))
    return lines


def _forward_lines(layer: LayerStep, j: int, number, factor) -> list[str]:
    """``forward: z[j] = Σᵢ a_prev[i] × W[i,j] + b[j] = …`` and ``a[j] = f(z[j]) = …``."""
    size = len(layer.inputs)
    bias = f" + b[{j}]" if layer.bias is not None else ""
    lines = [f"forward: z[{j}] = Σᵢ a_prev[i] × W[i,{j}]{bias}"]
    if size <= 3:   # few enough inputs to write the weighted sum out
        terms = " + ".join(f"{factor(layer.inputs[i])} × {factor(layer.weight[i, j])}" for i in range(size))
        if layer.bias is not None:
            terms += f" + {factor(layer.bias[j])}"
        lines.append(" " * len(f"forward: z[{j}] ") + f"= {terms} = {number(layer.z[j])}")
    else:
        lines[0] += f" = {number(layer.z[j])}   ({size} terms)"
    lines.append(f"         a[{j}] = {layer.activation}(z[{j}]) = {number(layer.outputs[j])}")
    return lines


def _upstream_lines(step: StepExplanation, layer: LayerStep, number, factor) -> list[tuple[str, bool]]:
    upstream = layer.upstream
    j = upstream.unit
    via = f" (via {', '.join(upstream.through)}: off in inference)" if upstream.through else ""
    if upstream.source == "loss":
        loss = step.loss
        if loss.gradient_formula == "p − y":
            return [(f"∂L/∂a[{j}] = ∂L/∂s[{j}] = p[{j}] − y[{j}] = {factor(loss.link[j])} − "
                     f"{factor(loss.targets[j])} = {number(upstream.value)}   (from the loss){via}", False)]
        return [(f"∂L/∂a[{j}] = ∂L/∂s[{j}] = {number(upstream.value)}   (from the loss: ∂L/∂s = "
                 f"{loss.gradient_formula}){via}", False)]
    if not upstream.terms:
        return [(f"∂L/∂a[{j}] = {number(upstream.value)}  ({upstream.note}){via}", False)]
    terms = upstream.terms
    units = f"the {len(terms)} units" if len(terms) > 1 else "the 1 unit"
    lines = [(f"∂L/∂a[{j}] = Σₖ ∂L/∂z_next[k] × W_next[{j},k], k over {units} of {upstream.source}{via}", False)]
    shown = terms if len(terms) <= MAX_TERMS else sorted(terms, key=lambda t: -abs(t[1] * t[2]))[:SHOWN_TERMS]
    label = len(terms) > MAX_TERMS
    pieces = [f"{factor(gradient)} × {factor(weight)}" + (f"   [k={k}]" if label else "")
              for k, gradient, weight in shown]
    if label:
        pieces.append(f"… ({len(terms) - SHOWN_TERMS} smaller terms)")
    indent = " " * len(f"∂L/∂a[{j}] ")
    if len(pieces) <= 2:
        lines.append((f"{indent}= {' + '.join(pieces)} = {number(upstream.value)}", False))
    else:
        lines.append((f"{indent}=   {pieces[0]}", False))
        lines += [(f"{indent}  + {piece}", False) for piece in pieces[1:]]
        lines.append((f"{indent}= {number(upstream.value)}", False))
    return lines


def _derivative_line(layer: LayerStep, j: int, number, factor) -> str:
    f, z, a, value = layer.activation, layer.z[j], layer.outputs[j], layer.derivative[j]
    if f == "tanh":
        return f"f'(z[{j}]) = 1 − a[{j}]² = 1 − {factor(a)}² = {number(value)}   (f = tanh)"
    if f == "sigmoid":
        return f"f'(z[{j}]) = a[{j}]·(1 − a[{j}]) = {factor(a)} × {factor(1 - a)} = {number(value)}   (f = sigmoid)"
    if f == "relu":
        return f"f'(z[{j}]) = {number(value)}   (f = relu, z[{j}] = {number(z)} {'>' if z > 0 else '≤'} 0)"
    if f == "linear":
        return f"f'(z[{j}]) = 1   (f = linear: a = z)"
    return f"f'(z[{j}]) = {number(value)}   (f = {f}, f'(z) = {DERIVATIVES.get(f, 'its derivative')})"


# --- rich (the terminal) ---------------------------------------------------------------------------
def to_rich(step: StepExplanation):
    from rich import box
    from rich.console import Group
    from rich.padding import Padding
    from rich.rule import Rule
    from rich.table import Table as RichTable
    from rich.text import Text

    parts = []
    for block in document(step):
        if isinstance(block, Heading):
            if block.level == 1:
                parts.append(Rule(Text(block.text, style="bold")))
            elif block.level == 2:
                parts += [Text(""), Text(block.text, style="bold cyan")]
            else:
                parts += [Text(""), Text(block.text, style="bold")]
        elif isinstance(block, Note):
            parts.append(Text(block.text, style="dim"))
        elif isinstance(block, Table):
            table = RichTable(title=block.title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                              pad_edge=False)
            for position, column in enumerate(block.columns):
                table.add_column(column, justify="left" if position < 2 and not _numeric(block, position)
                                 else "right")
            for position, row in enumerate(block.rows):
                table.add_row(*row, style="bold yellow" if position in block.highlight else None)
            parts.append(table)
            if block.caption:   # full width under the table (a table caption would wrap to the table's width)
                parts.append(Text(block.caption, style="dim"))
            parts.append(Text(""))
        elif isinstance(block, Formulas):
            for text, emphasised in block.lines:   # a wrapped line stays indented under its start
                parts.append(Padding(Text(text, style="bold yellow" if emphasised else ""), (0, 0, 0, 2),
                                     expand=False))
    return Group(*parts)


def _numeric(block: Table, position: int) -> bool:
    return position > 0 and all(not row[position] or row[position][0] in "−0123456789" for row in block.rows)


# --- markdown ------------------------------------------------------------------------------------------
def to_markdown(step: StepExplanation) -> str:
    out: list[str] = []
    for block in document(step):
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Note):
            out += [f"*{_md(block.text)}*", ""]
        elif isinstance(block, Table):
            out += [f"**{_md(block.title)}**", ""]
            out.append("| " + " | ".join(_md(column) for column in block.columns) + " |")
            out.append("|" + "|".join("---:" if _numeric(block, position) else "---"
                                      for position in range(len(block.columns))) + "|")
            for position, row in enumerate(block.rows):
                cells = [_md(cell) for cell in row]
                if position in block.highlight:
                    cells = [f"**{cell}**" if cell else cell for cell in cells]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
            if block.caption:
                out += [_md(block.caption), ""]
        elif isinstance(block, Formulas):
            out += ["```text", *(text for text, _ in block.lines), "```", ""]
    return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*")


# --- HTML --------------------------------------------------------------------------------------------
STYLE = """
.nnb-chain { font-family: system-ui, sans-serif; line-height: 1.4; max-width: 70rem; }
.nnb-chain table { border-collapse: collapse; margin: 0.4rem 0 0.2rem; font-variant-numeric: tabular-nums; }
.nnb-chain caption { text-align: left; font-weight: 600; padding-bottom: 0.2rem; }
.nnb-chain th, .nnb-chain td { padding: 0.15rem 0.7rem; border-bottom: 1px solid #ddd; text-align: right; }
.nnb-chain th.text, .nnb-chain td.text { text-align: left; }
.nnb-chain tr.chosen td { background: #fff3c4; font-weight: 600; }
.nnb-chain p.note { color: #555; margin: 0.3rem 0; }
.nnb-chain p.caption { color: #555; font-size: 0.9em; margin: 0 0 0.8rem; }
.nnb-chain pre { background: #f6f8fa; padding: 0.6rem 0.8rem; overflow-x: auto; }
.nnb-chain pre strong { color: #9a3412; }
"""


def to_html(step: StepExplanation, full_page: bool = True) -> str:
    out = ['<div class="nnb-chain">', f"<style>{STYLE}</style>"]
    for block in document(step):
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Note):
            out.append(f'<p class="note">{html.escape(block.text)}</p>')
        elif isinstance(block, Table):
            align = ["" if _numeric(block, position) else ' class="text"' for position in range(len(block.columns))]
            out.append(f"<table><caption>{html.escape(block.title)}</caption><thead><tr>")
            out.append("".join(f"<th{css}>{html.escape(column)}</th>" for column, css in zip(block.columns, align))
                       + "</tr></thead><tbody>")
            for position, row in enumerate(block.rows):
                css = ' class="chosen"' if position in block.highlight else ""
                out.append(f"<tr{css}>" + "".join(f"<td{cell_css}>{html.escape(cell)}</td>"
                                                  for cell, cell_css in zip(row, align)) + "</tr>")
            out.append("</tbody></table>")
            if block.caption:
                out.append(f'<p class="caption">{html.escape(block.caption)}</p>')
        elif isinstance(block, Formulas):
            lines = [f"<strong>{html.escape(text)}</strong>" if emphasised else html.escape(text)
                     for text, emphasised in block.lines]
            out.append("<pre>" + "\n".join(lines) + "</pre>")
    out.append("</div>")
    body = "\n".join(out)
    if not full_page:
        return body
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>nnblocks: the chain rule, one example</title>\n</head>\n<body>\n" + body + "\n</body>\n</html>\n")
