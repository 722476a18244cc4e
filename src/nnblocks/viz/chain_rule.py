"""The chain rule drawn: one example's forward values and backward gradients on the network.

``plot_chain_rule(explanation)`` draws what ``nnblocks.analysis.chain_rule.explain_step``
found: one column per layer (the inputs, then each Dense layer), one box per unit with
its forward value a (top line) and its backward gradient ∂L/∂z (bottom line, and the
box's colour), the loss on the right, and for each Dense layer the chosen weight W[i,j]
as a thick orange edge labelled with ∂L/∂W[i,j]. Under the diagram, each chosen
weight's chain-rule product is written out with its numbers.

Layers wider than ``max_units`` show the units on the chosen path and those with the
largest |∂L/∂z|, plus a "⋮ N more" mark. Uses matplotlib's object API only (no pyplot).
"""

from __future__ import annotations

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from nnblocks.analysis.chain_rule import StepExplanation, format_number
from nnblocks.errors import ParameterTypeError
from nnblocks.validation import check_integer, message

COLUMN_GAP = 4.7      # data units between columns
BOX_WIDTH, BOX_HEIGHT = 2.1, 0.78
CHOSEN = "#e8590c"
COLORMAP = "RdBu_r"   # red: ∂L/∂z > 0 (the loss rises with z), blue: < 0


def plot_chain_rule(explanation: StepExplanation, max_units: int = 8, show_products: bool = True) -> Figure:
    """A diagram of the layers with forward values, gradients and the chosen weights' chain products.

    Args:
        explanation: what ``explain_step`` returned.
        max_units: most units drawn per layer (the chosen path's units come first).
        show_products: write each chosen weight's chain-rule product under the diagram.

    Returns:
        a matplotlib Figure (save it with ``figure.savefig("chain.png")``).
    """
    if not isinstance(explanation, StepExplanation):
        raise ParameterTypeError(message("explanation", "plot_chain_rule", "a StepExplanation from explain_step",
                                         type(explanation).__name__))
    max_units = check_integer("max_units", max_units, "plot_chain_rule", minimum=2)
    digits = min(explanation.digits, 4)
    number = lambda value: format_number(float(value), digits)  # noqa: E731
    dense = explanation.dense_layers
    columns = _columns(explanation, max_units)
    tallest = max(len(column["units"]) + (1 if column["hidden"] else 0) for column in columns)
    products = [f"{chain.layer}:  {chain.text(digits)}" for chain in explanation.chains] if show_products else []

    width = COLUMN_GAP * len(columns) + 3.6
    figure = Figure(figsize=(max(9.0, 0.78 * width), 1.35 + 0.66 * tallest + 0.3 * (len(products) + 1)),
                    layout="constrained")
    axes = figure.add_subplot()
    axes.set_axis_off()
    cmap = _colormap()

    positions: list[dict[int, float]] = []
    for index, column in enumerate(columns):
        x = index * COLUMN_GAP
        ys = _ys(len(column["units"]) + (1 if column["hidden"] else 0))
        positions.append({unit: y for unit, y in zip(column["units"], ys)})
        axes.text(x, tallest / 2 + 0.75, column["title"], ha="center", va="bottom", fontsize=9.5, fontweight="bold")
        if column["hidden"]:
            axes.text(x, ys[-1], f"⋮  {column['hidden']} more", ha="center", va="center", fontsize=8.5, color="0.4")

    # Edges first (under the boxes): thin for every weight shown, thick orange for the chosen one.
    for index, layer in enumerate(dense, start=1):
        left, right = positions[index - 1], positions[index]
        weights = layer.weight
        largest = float(np.max(np.abs(weights))) or 1.0
        for i, y_in in left.items():
            for j, y_out in right.items():
                if (i, j) == (layer.chain.row, layer.chain.column):
                    continue
                w = weights[i, j]
                axes.plot([(index - 1) * COLUMN_GAP + BOX_WIDTH / 2, index * COLUMN_GAP - BOX_WIDTH / 2],
                          [y_in, y_out], color="#c92a2a" if w > 0 else "#1c7ed6", alpha=0.12 + 0.25 * abs(w) / largest,
                          linewidth=0.4 + 1.4 * abs(w) / largest, zorder=1)
        i, j = layer.chain.row, layer.chain.column
        x0, x1 = (index - 1) * COLUMN_GAP + BOX_WIDTH / 2, index * COLUMN_GAP - BOX_WIDTH / 2
        axes.plot([x0, x1], [left[i], right[j]], color=CHOSEN, linewidth=3.2, zorder=2, solid_capstyle="round")
        t = 0.42   # a little left of the middle, clear of the next column's unit indices
        axes.text(x0 + t * (x1 - x0), left[i] + t * (right[j] - left[i]) + 0.05,
                  f"W[{i},{j}] = {number(weights[i, j])}\n∂L/∂W[{i},{j}] = {number(layer.chain.value)}",
                  ha="center", va="center", fontsize=8, color=CHOSEN, zorder=6,
                  bbox={"boxstyle": "round,pad=0.25", "facecolor": "white", "edgecolor": CHOSEN, "linewidth": 0.8})

    # Boxes: forward value on top, gradient below, coloured by the gradient.
    for index, column in enumerate(columns):
        x = index * COLUMN_GAP
        scale = float(np.max(np.abs(column["gradient"]))) or 1.0   # colours compare units within one layer
        norm = TwoSlopeNorm(vcenter=0.0, vmin=-scale, vmax=scale)
        for unit, y in positions[index].items():
            gradient = column["gradient"][unit]
            chosen = unit in column["chosen"]
            axes.add_patch(FancyBboxPatch((x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2), BOX_WIDTH, BOX_HEIGHT,
                                          boxstyle="round,pad=0.02,rounding_size=0.12", zorder=3,
                                          facecolor=cmap(norm(gradient)),
                                          edgecolor=CHOSEN if chosen else "0.35", linewidth=2.0 if chosen else 0.8))
            axes.text(x, y + 0.16, f"{column['value_name']} = {number(column['value'][unit])}", ha="center",
                      va="center", fontsize=8.3, zorder=4)
            axes.text(x, y - 0.17, f"{column['gradient_name']} = {number(gradient)}", ha="center", va="center",
                      fontsize=8.3, zorder=4, fontweight="bold" if chosen else "normal")
            axes.text(x - BOX_WIDTH / 2 - 0.1, y, column["labels"][unit], ha="right", va="center", fontsize=8.5,
                      color="0.25", zorder=5, bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6,
                                                    "alpha": 0.85})

    _draw_loss(axes, explanation, positions[-1], len(columns) - 1, number, tallest)

    bottom = -tallest / 2 - 0.55
    if products:
        axes.text(-BOX_WIDTH / 2 - 1.3, bottom, "The chain rule for each orange weight (from the loss down):",
                  ha="left", va="top", fontsize=9, fontweight="bold")
        for row, text in enumerate(products, start=1):
            axes.text(-BOX_WIDTH / 2 - 1.3, bottom - 0.42 * row, text, ha="left", va="top", fontsize=8.6,
                      family="DejaVu Sans Mono", color="0.1")
    lowest = bottom - 0.42 * (len(products) + 1)
    axes.set_xlim(-BOX_WIDTH / 2 - 1.5, (len(columns) - 1) * COLUMN_GAP + BOX_WIDTH / 2 + 3.9)
    axes.set_ylim(lowest, tallest / 2 + 1.5)
    title = "Backpropagation for one example: each box shows a unit's forward value and its gradient"
    subtitle = explanation.description or ""
    figure.suptitle(title + (f"\n{subtitle}" if subtitle else ""), fontsize=11)
    axes.text(-BOX_WIDTH / 2 - 1.3, tallest / 2 + 1.35, "Colour: red where ∂L/∂z > 0 (raising z raises the loss), "
              "blue where < 0, compared within each layer.  Orange: in each layer, the weight whose chain rule is "
              "written out below.  Small numbers: unit indices.",
              ha="left", va="bottom", fontsize=8, color="0.35")
    return figure


def _columns(explanation: StepExplanation, max_units: int) -> list[dict]:
    """What each column draws: units shown, values, gradients, labels, the chosen units."""
    dense = explanation.dense_layers
    columns = []
    inputs_chosen = {dense[0].chain.row} if dense else set()
    units, hidden = _pick(explanation.grad_features, inputs_chosen, max_units)
    columns.append({"title": "inputs a⁽⁰⁾", "units": units, "hidden": hidden, "value": explanation.features,
                    "value_name": "a", "gradient": explanation.grad_features, "gradient_name": "∂L/∂a",
                    "labels": [f"{_unquoted(name)} [{unit}]" for unit, name in enumerate(explanation.feature_names)],
                    "chosen": inputs_chosen})
    for index, layer in enumerate(dense):
        chosen = {layer.chain.column}
        if index + 1 < len(dense):
            chosen.add(dense[index + 1].chain.row)
        units, hidden = _pick(layer.grad_z, chosen, max_units)
        last = index == len(dense) - 1
        between = [step.name for step in explanation.layers
                   if not step.is_dense and _between(explanation, dense, index, step)]
        title = f"{layer.name}: {layer.activation}\n{layer.shape_text}"
        if between:
            title += f"  (after {', '.join(between)})"
        labels = [str(unit) for unit in range(len(layer.outputs))]
        classes = explanation.loss.classes
        if last and explanation.loss.task == "multiclass" and classes and len(classes) == len(labels):
            labels = [label if name == label else f"{name} [{label}]" for label, name in zip(labels, classes)]
        columns.append({"title": title, "units": units, "hidden": hidden, "value": layer.outputs,
                        "value_name": "s" if last else "a", "gradient": layer.grad_z,
                        "gradient_name": "∂L/∂z", "labels": labels, "chosen": chosen})
    return columns


def _unquoted(name: str) -> str:
    return name[1:-1] if len(name) > 1 and name[0] == name[-1] == "'" else name


def _between(explanation, dense, index, step) -> bool:
    """Whether a non-Dense layer sits between Dense layer index-1 and index (so before this column)."""
    start = dense[index - 1].position if index > 0 else -1
    return start < step.position < dense[index].position


def _pick(gradient: np.ndarray, chosen: set[int], max_units: int) -> tuple[list[int], int]:
    size = len(gradient)
    if size <= max_units:
        return list(range(size)), 0
    keep = set(chosen)
    for unit in np.argsort(-np.abs(gradient), kind="stable"):
        if len(keep) >= max_units - 1:   # one row is left for the "⋮ N more" mark
            break
        keep.add(int(unit))
    return sorted(keep), size - len(keep)


def _ys(count: int) -> list[float]:
    """Evenly spaced, centred heights, top to bottom."""
    return [(count - 1) / 2 - position for position in range(count)]


def _draw_loss(axes, explanation: StepExplanation, last_positions: dict[int, float], last_index: int, number,
               tallest: int) -> None:
    loss = explanation.loss
    x = last_index * COLUMN_GAP + BOX_WIDTH / 2 + 1.8
    lines = [f"loss: {loss.type_name.replace('_', ' ')}"]
    if loss.link_name == "p":
        if loss.task == "binary":
            lines.append(f"p = sigmoid(s) = {number(loss.link[0])}")
        else:
            target = int(np.argmax(loss.targets))
            lines.append(f"p[{target}] = softmax(s)[{target}] = {number(loss.link[target])}")
    lines.append(f"target: {loss.target_label}")
    lines.append(f"L = {number(loss.total)}")
    lines.append(f"∂L/∂s = {loss.gradient_formula}")
    if len(loss.grad_scores) == 1:
        lines[-1] += f" = {number(loss.grad_scores[0])}"
    else:
        lines.append("(one per score, on the boxes)")
    axes.text(x, 0, "\n".join(lines), ha="center", va="center", fontsize=8.5, zorder=5,
              bbox={"boxstyle": "round,pad=0.45", "facecolor": "#fff9db", "edgecolor": "0.4"})
    for unit, y in last_positions.items():
        axes.add_patch(FancyArrowPatch((x - 1.25, 0), (last_index * COLUMN_GAP + BOX_WIDTH / 2 + 0.05, y),
                                       arrowstyle="-|>", mutation_scale=9, color="0.45", linewidth=0.9, zorder=2))


def _colormap():
    from matplotlib import colormaps

    base = colormaps[COLORMAP]
    # Light tints only, so black text stays readable on every box.
    return lambda value: tuple(0.45 * np.asarray(base(value)[:3]) + 0.55) + (1.0,)
