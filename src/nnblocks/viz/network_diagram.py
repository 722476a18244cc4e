"""The network drawn as a graph: inputs, neurons, every weight and every bias.

    inputs        hidden layers            output
     (x1) ──w──> (b) ──w──> (b) ──w──> (b)

Each line is one weight: its width grows with |w| (normalised by the largest |w| in the
figure) and its colour gives the sign (blue positive, orange negative, as in TensorFlow
Playground). Each neuron's circle holds its bias, printed and as fill colour.

Only Dense layers own neurons here. Layers that act on each neuron separately and keep
the width (Activation, BatchNorm, Dropout) are folded into the Dense layer before them
and named in its column title; their own parameters (BatchNorm's γ, β) are not drawn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle

from nnblocks.blocks.layers import Dense
from nnblocks.errors import ParameterError
from nnblocks.validation import check_integer
from nnblocks.viz.style import BLUE, INK, ORANGE, diverging_colormap

POSITIVE, NEGATIVE = BLUE, ORANGE   # weight signs and bias colours, as in TF Playground
DIVERGING = diverging_colormap()    # orange (negative) ↔ white (0) ↔ blue (positive)
THINNEST, THICKEST = 0.25, 4.0      # line widths (points) for |w| = 0 and for the largest |w|
UNIT = 0.5                          # inches per layout unit (one neuron's row is one unit)


@dataclass
class Column:
    """One column of neurons: the inputs, or a Dense layer plus the per-neuron layers after it.

    ``output_key`` is the ``layer_outputs`` key of the values that leave the column (what
    the next Dense layer reads); ``names`` label the units (input features, classes) or are None.
    """

    key: str
    output_key: str
    units: int
    activation: str
    dense: Dense | None = None
    folded: list = field(default_factory=list)
    names: list[str] | None = None

    @property
    def steps(self) -> list[str]:
        """What happens to each neuron, in order: the Dense activation, then the folded layers."""
        return [self.dense.activation.type_name] + [
            layer.activation.type_name if layer.type_name == "activation" else layer.type_name
            for layer in self.folded]


def network_columns(model) -> list[Column]:
    """The model as columns of neurons: inputs first, then one per Dense layer.

    Raises ParameterError for a layer that changes the width without being Dense
    (there is no per-neuron picture of, say, a convolution here).
    """
    model.require_built("be drawn")
    width = int(np.prod(model.input_shape))
    inputs = model.inputs
    names = list(inputs.output_names) if inputs is not None and inputs.is_adapted else \
        [f"x{index + 1}" for index in range(width)]
    columns = [Column("inputs", "inputs", width, "linear", names=names)]
    for layer in model.layers:
        if isinstance(layer, Dense):
            columns.append(Column(layer.name, layer.name, layer.units, layer.activation.type_name, dense=layer))
            continue
        if tuple(layer.output_shape) != (columns[-1].units,):
            raise ParameterError(f"The layer {layer.name!r} ({layer.type_name}) changes the shape to "
                                 f"{layer.output_shape}, so it has no neurons to draw one by one. Network "
                                 "pictures handle Dense layers and the per-neuron layers after them "
                                 "(Activation, BatchNorm, Dropout).")
        columns[-1].folded.append(layer)
        columns[-1].output_key = layer.name
        if hasattr(layer, "activation"):
            columns[-1].activation = layer.activation.type_name
    last = columns[-1]
    classes = getattr(model, "class_names", None)
    if classes and last.units == len(classes) and len(classes) > 2:
        last.names = [f"class {name}" for name in classes]
    elif classes and last.units == 1:
        last.names = [f"class {classes[1]}\nvs {classes[0]}"]  # two lines: long class names stay inside
    return columns


def output_note(model) -> str:
    """How the output column is read: logits turned into probabilities by the loss, or plain values."""
    loss = getattr(model, "loss", None)
    kind = getattr(loss, "type_name", None)
    if kind == "binary_cross_entropy":
        return "logit (sigmoid → P)"
    if kind == "softmax_cross_entropy":
        return "logits (softmax → P)"
    if kind == "hinge":
        return "score (sign → class)"
    return "value"


def column_title(model, columns: list[Column], index: int, width: int = 24) -> str:
    """A column's title: its name, what it computes (wrapped to ``width`` characters), its size or role."""
    column = columns[index]
    if column.dense is None:
        scaling = getattr(model.inputs, "scaling", None) if getattr(model, "inputs", None) is not None else None
        count = f"{column.units} feature{'s' if column.units != 1 else ''}"
        return "\n".join(["inputs", f"after {scaling} scaling" if scaling else "as given", count])
    lines = [column.key] + _wrap(column.steps, width)
    if index == len(columns) - 1:
        lines.append(output_note(model))
    else:
        lines.append(f"{column.units} neuron{'s' if column.units != 1 else ''}")
    return "\n".join(lines)


def _wrap(steps: list[str], width: int) -> list[str]:
    """Join steps with arrows, starting a new line (which begins with the arrow) when one gets too long."""
    lines = [steps[0]]
    for step in steps[1:]:
        if len(lines[-1]) + 3 + len(step) > width:
            lines.append(f"→ {step}")
        else:
            lines[-1] += f" → {step}"
    return lines


def format_bias(value: float) -> str:
    """How a bias is printed inside its node (tests use the same format)."""
    return f"{value:+.2f}"


def line_width(magnitude: float, largest: float) -> float:
    """Line width in points for a weight of size |w|, linear between THINNEST and THICKEST."""
    return THINNEST + (THICKEST - THINNEST) * (magnitude / largest if largest > 0 else 0.0)


def shown_units(units: int, cap: int) -> int:
    """How many of a column's units are drawn; with more than ``cap`` the last slot says '+N more'."""
    return units if units <= cap else cap


def plot_network(model, *, max_neurons_per_layer: int = 16, ax=None) -> Figure:
    """Draw the network as a graph: every weight as a line, every bias in its neuron.

    Args:
        model: a built Sequential (or Network); input names come from its Inputs block.
        max_neurons_per_layer: draw at most this many neurons of a layer (the first ones);
            the rest are summarised by a "+N more" marker, and their weights are not drawn.
        ax: an Axes to draw on; None makes a Figure sized to the network.

    Returns:
        The matplotlib Figure (save it with ``figure.savefig("network.png")``).

    Line width is proportional to |w| / max |w| over the whole figure (THINNEST to THICKEST
    points); blue is a positive weight, orange a negative one. Node fill and the number in
    it are the bias (same colours, symmetric around 0); input nodes have no bias.

    Example:
        >>> figure = plot_network(model)           # doctest: +SKIP
        >>> figure.savefig("network.png")          # doctest: +SKIP
    """
    cap = check_integer("max_neurons_per_layer", max_neurons_per_layer, "plot_network", minimum=1)
    columns = network_columns(model)
    shown = [shown_units(column.units, cap) for column in columns]
    tallest = max(count + (column.units > count) for count, column in zip(shown, columns))  # "+N more" takes a row
    gap = 4.2                                          # layout units between columns
    titles = [column_title(model, columns, index, width=26) for index in range(len(columns))]
    title_height = max(title.count("\n") + 1 for title in titles) * 9 * 1.25 / 72 / UNIT   # layout units
    if ax is None:
        figure = Figure(figsize=(UNIT * (gap * (len(columns) - 1) + 6.5), UNIT * (tallest + 2.3 + title_height)),
                        layout=None)
        ax = figure.add_axes((0, 0, 1, 1))
    figure = ax.figure
    ax.set_axis_off()
    ax.set_aspect("equal")

    def centre(column_index: int, unit: int) -> tuple[float, float]:
        count = shown[column_index] + (columns[column_index].units > shown[column_index])
        return gap * column_index, (count - 1) / 2 - unit

    largest = max((float(np.max(np.abs(column.dense.params["weight"]))) for column in columns[1:]), default=0.0)
    biases = [column.dense.params["bias"][: shown[index]] for index, column in enumerate(columns)
              if column.dense is not None and column.dense.use_bias]
    bias_limit = max((float(np.max(np.abs(values))) for values in biases), default=0.0) or 1.0

    # connections first, thin under thick, so strong weights stay visible
    for index in range(1, len(columns)):
        weight = columns[index].dense.params["weight"]             # (D, H)
        for source in range(shown[index - 1]):
            for target in range(shown[index]):
                value = float(weight[source, target])
                (x0, y0), (x1, y1) = centre(index - 1, source), centre(index, target)
                ax.add_line(Line2D([x0, x1], [y0, y1], linewidth=line_width(abs(value), largest),
                                   color=POSITIVE if value >= 0 else NEGATIVE, alpha=0.75, solid_capstyle="butt",
                                   zorder=1 + abs(value) / (largest or 1.0), gid=f"weight:{columns[index].key}:"
                                   f"{source}:{target}"))
    for index, column in enumerate(columns):
        _draw_nodes(ax, column, [centre(index, unit) for unit in range(shown[index] + 1)], shown[index],
                    bias_limit, is_output=index == len(columns) - 1 and index > 0)
        ax.text(gap * index, (tallest - 1) / 2 + 0.9, titles[index], ha="center", va="bottom", fontsize=9,
                color=INK, linespacing=1.25)
    _legend(ax, largest)
    half = (tallest - 1) / 2
    ax.set_xlim(-3.2, gap * (len(columns) - 1) + 3.3)
    ax.set_ylim(-half - 2.2, half + 1.1 + title_height)
    return figure


def _draw_nodes(ax, column: Column, centres: list[tuple[float, float]], shown: int, bias_limit: float,
                is_output: bool, radius: float = 0.42) -> None:
    """A column's circles: input names on the left; neurons filled and labelled with their bias."""
    for unit in range(shown):
        x, y = centres[unit]
        if column.dense is None:
            ax.add_patch(Circle((x, y), radius, facecolor="white", edgecolor="#555555", linewidth=1, zorder=3))
            ax.text(x - radius - 0.15, y, column.names[unit], ha="right", va="center", fontsize=9, color=INK,
                    zorder=4)
            continue
        bias = float(column.dense.params["bias"][unit]) if column.dense.use_bias else None
        fill = DIVERGING(0.5 + 0.5 * bias / bias_limit) if bias is not None else "white"
        strong = bias is not None and abs(bias) > 0.6 * bias_limit      # dark fill: white text reads better
        ax.add_patch(Circle((x, y), radius, facecolor=fill, edgecolor="#444444", linewidth=1, zorder=3))
        ax.text(x, y, format_bias(bias) if bias is not None else "no b", ha="center", va="center", fontsize=6.5,
                color="white" if strong else INK, zorder=4, gid=f"bias:{column.key}:{unit}")
        if is_output and column.names:
            ax.text(x + radius + 0.2, y, column.names[unit], ha="left", va="center", fontsize=8.5, color=INK,
                    zorder=4)
    if column.units > shown:
        x, y = centres[shown]
        ax.text(x, y, f"+{column.units - shown} more", ha="center", va="center", fontsize=8, color="#555555",
                style="italic", zorder=4)


def _legend(ax, largest: float) -> None:
    handles = [Line2D([], [], color=POSITIVE, linewidth=THICKEST, label=f"weight +{largest:.2g} (largest |w|)"),
               Line2D([], [], color=NEGATIVE, linewidth=line_width(largest / 2, largest),
                      label=f"weight −{largest / 2:.2g}"),
               Line2D([], [], color="none", marker="o", markersize=11, markerfacecolor=DIVERGING(0.8),
                      markeredgecolor="#444444", label="neuron: colour and number = its bias")]
    ax.legend(handles=handles, loc="lower center", ncols=3, fontsize=8, frameon=False, handlelength=2.4,
              bbox_to_anchor=(0.5, 0.0))
