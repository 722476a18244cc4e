"""Neuron maps: what every unit of the network computes, over the 2-D plane of the data.

TensorFlow Playground's signature view. Each input feature and each neuron gets a small
square picture: the plane of the data, coloured by the value that unit takes at each
point (orange negative, white zero, blue positive). The pictures are laid out as the
network is — one column per layer, neurons stacked — so a learner sees simple features
(lines, bumps) combine, layer by layer, into the final decision.

All values come from one ``model.layer_outputs`` call on the grid's points; map j of a
column is column j of that layer's (R·R, H) output, reshaped to the (R, R) grid.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from nnblocks.errors import ParameterTypeError
from nnblocks.validation import check_integer, message
from nnblocks.viz.network_diagram import (DIVERGING, NEGATIVE, POSITIVE, column_title, line_width, network_columns,
                                          shown_units)
from nnblocks.viz.plane import make_plane
from nnblocks.viz.style import INK

BOUNDED = {"tanh": (-1.0, 1.0), "sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0)}  # ranges known in advance
SIDE, ROW, GAP = 1.0, 1.3, 1.5          # map side, vertical pitch, empty space between columns (layout units)


def plot_neuron_maps(model, x, y=None, *, resolution: int = 50, method: str = "auto", features=(0, 1),
                     show_weights: bool = True, max_neurons_per_layer: int = 16, ax=None, fig=None) -> Figure:
    """One heatmap per input feature and per neuron, laid out like the network.

    Args:
        model: a fitted Sequential (it needs ``layer_outputs``).
        x: data whose range the plane covers (array or DataFrame, as given to ``fit``).
        y: labels (or targets) of x; when given, the points are drawn on the output maps —
            blue for the class an output unit scores (class 1 for one logit), orange for the rest.
        resolution: the grid is resolution × resolution points.
        method, features: how a plane is chosen for data with more than two columns
            (see ``nnblocks.viz.plane.make_plane``); the figure says which plane it is.
        show_weights: draw a line per weight between consecutive columns (width ∝ |w|,
            blue positive, orange negative).
        max_neurons_per_layer: draw the first this-many units of a layer and note "+N more".
        ax: an Axes to lay the maps out in; fig: a Figure to fill. Neither: a new Figure.

    Returns:
        The Figure. Every map is an AxesImage whose gid is ``"neuron-map:<column>:<unit>"``,
        <column> being "inputs" or the Dense layer's name.

    What each column shows:

    - **inputs**: the columns the network actually reads, after derived features and
      scaling, named by ``model.inputs.output_names`` (so ``x1*x2`` has its own map).
    - **each Dense layer**: its neurons after the activation. Layers that act on each
      neuron separately and keep the width — Activation, BatchNorm, Dropout — have no
      neurons of their own: they are folded into the Dense layer before them, the map shows
      the value after them (what the next Dense layer reads), and the column title names
      them. Dropout changes nothing at inference, so it changes no map.
    - **output**: the last layer's raw values (logits for classifiers), drawn larger, with the data.

    Colours are symmetric around zero within a column (white = 0): tanh uses [-1, 1],
    sigmoid [0, 1] (white = 0.5); other columns use their largest |value|, and the scale bar
    under a column starts at 0 when no value is negative (relu). Weight line widths are
    normalised by the largest |w| in the figure.

    Example:
        >>> figure = plot_neuron_maps(model, data.x, data.y)    # doctest: +SKIP
        >>> figure.savefig("neurons.png", dpi=120)              # doctest: +SKIP
    """
    resolution = check_integer("resolution", resolution, "plot_neuron_maps", minimum=2, maximum=500)
    cap = check_integer("max_neurons_per_layer", max_neurons_per_layer, "plot_neuron_maps", minimum=1)
    if not hasattr(model, "layer_outputs"):
        raise ParameterTypeError(message("model", "plot_neuron_maps", "a fitted Sequential (with layer_outputs)",
                                         type(model).__name__, "build the model with nnblocks.Sequential and fit it."))
    columns = network_columns(model)
    plane = make_plane(x, resolution=resolution, method=method, features=features)
    outputs = model.layer_outputs(plane.to_inputs(plane.points))        # key -> (R·R, H)
    layout = _Layout(model, columns, cap, plane, y)
    if ax is None:
        figure = fig if fig is not None else Figure(layout=None)
        if fig is None:
            figure.set_size_inches(layout.scale * layout.width, layout.scale * layout.height)
        ax = figure.add_axes((0, 0, 1, 1))
    for _ in range(2):      # fit the layout to the Axes (a new figure fits already; a given Axes may not)
        layout = _Layout(model, columns, cap, plane, y, scale=layout.fitting_scale(ax))
    figure = ax.figure
    text = layout.text
    ax.set_axis_off()

    bounds = (plane.first.min(), plane.first.max(), plane.second.min(), plane.second.max())
    projected = plane.project(x) if y is not None else None             # (N, 2) data in plane coordinates
    last = len(columns) - 1
    for index, column in enumerate(columns):
        values = outputs[column.output_key]                             # (R·R, H)
        norm, low, high = _colour_limits(column.activation, values[:, : layout.shown[index]])
        side = layout.sides[index]
        for unit, (left, bottom) in enumerate(layout.boxes[index]):
            # Every map is an image placed in the one layout Axes (an Axes per neuron would be slow).
            ax.imshow(values[:, unit].reshape(plane.first.shape), origin="lower", cmap=DIVERGING, norm=norm,
                      extent=(left, left + side, bottom, bottom + side), interpolation="bilinear",
                      gid=f"neuron-map:{column.key}:{unit}", zorder=2)
            frame = Rectangle((left, bottom), side, side, facecolor="none", edgecolor="#999999", linewidth=0.6,
                              zorder=3)
            ax.add_patch(frame)
            if index == 0:
                ax.text(left - 0.12, bottom + side / 2, layout.input_labels[unit], ha="right", va="center",
                        fontsize=9 * text)
            elif index == last:
                if column.names:
                    ax.text(left + side / 2, bottom + side + 0.08, column.names[unit], ha="center", va="bottom",
                            fontsize=9 * text)
                ax.text(left + side + 0.08, bottom + side / 2, f"{plane.axis_names[1]} →", rotation=90,
                        ha="left", va="center", fontsize=7.5 * text, color="#666666")
                if unit == len(layout.boxes[index]) - 1:
                    ax.text(left + side / 2, bottom - 0.06, f"{plane.axis_names[0]} →", ha="center", va="top",
                            fontsize=7.5 * text, color="#666666")
                if projected is not None:
                    inside = [left, bottom] + side * (projected - [bounds[0], bounds[2]]) / [
                        bounds[1] - bounds[0], bounds[3] - bounds[2]]
                    _draw_points(ax, frame, model, inside, y, unit, column.units, norm, text)
        centre = layout.lefts[index] + side / 2
        if column.units > layout.shown[index]:
            left, bottom = layout.boxes[index][-1]
            ax.text(centre, bottom - layout.pitches[index] + side / 2, f"+{column.units - layout.shown[index]} more",
                    ha="center", va="center", fontsize=8.5 * text, color="#555555", style="italic")
        ax.text(centre, layout.body / 2 + 0.35, layout.titles[index], ha="center", va="bottom", fontsize=9 * text,
                linespacing=1.2)
        _scale_bar(ax, layout.lefts[index], -layout.body / 2 - 0.75, side, norm, low, high, text)
    if show_weights:
        _draw_weights(ax, columns, layout.boxes, layout.sides)
    ax.text(sum(layout.x_range) / 2, layout.y_range[0] + 0.08 * layout.text / layout.scale, "\n".join(layout.caption),
            ha="center", va="bottom", fontsize=8 * text, color=INK, linespacing=1.3)
    ax.set_xlim(*layout.x_range)
    ax.set_ylim(*layout.y_range)
    ax.set_aspect("equal")
    return figure


class _Layout:
    """Where everything goes, in layout units (a hidden neuron's map is SIDE × SIDE).

    Columns are centred on y = 0; ``scale`` (inches per unit) makes a new figure about
    12 inches tall at most; text sizes are in points, so their room is divided by ``scale``.
    """

    def __init__(self, model, columns, cap: int, plane, y, scale: float | None = None) -> None:
        self.shown = [shown_units(column.units, cap) for column in columns]
        rows = [count + (column.units > count) for count, column in zip(self.shown, columns)]  # "+N more" row
        last = len(columns) - 1
        tallest = max((ROW * count for count in rows[:-1]), default=ROW)
        # the output maps are drawn larger, as big as the column beside them allows
        big = min(5.0, max(2.6, 0.45 * tallest), max(1.6, (tallest - 0.6 * rows[-1]) / rows[-1])) if last else SIDE
        self.sides = [SIDE] * last + [big]
        self.pitches = [ROW] * last + [big + 0.6]
        self.lefts = np.cumsum([0.0] + [self.sides[index] + GAP + (0.5 if index == 0 else 0.0)
                                        for index in range(last)])
        self.body = max(tallest, self.pitches[-1] * rows[-1])
        self.boxes = []                                     # (left, bottom) of each drawn map, per column
        for index in range(len(columns)):
            side, pitch = self.sides[index], self.pitches[index]
            top = rows[index] * pitch / 2 - (pitch - side) / 2
            self.boxes.append([(float(self.lefts[index]), top - side - unit * pitch)
                               for unit in range(self.shown[index])])
        self.scale = float(np.clip(12.0 / (self.body + 3.5), 0.5, 1.0)) if scale is None else scale
        self.text = float(np.clip(self.scale / 0.5, 0.7, 1.0))         # font-size factor: smaller in a small Axes
        room = self.scale / self.text                                   # inches per unit, in 'text' terms
        characters = int((SIDE + GAP) * room * 72 / (9 * 0.6))         # that fit between two columns at 9 pt
        self.titles = [column_title(model, columns, index, characters) for index in range(len(columns))]
        held = plane.method == "slice"
        raw = set(model.inputs.input_names) - set(plane.axis_names) if held else set()   # the columns held fixed
        self.input_labels = [f"{name} (held)" if name in raw else name for name in columns[0].names]
        label_width = (max(len(name) for name in self.input_labels) * 9 * 0.62 / 72 + 0.1) / room
        title_width = max(len(line) for line in self.titles[0].split("\n")) * 9 * 0.6 / 72 / room
        self.x_range = (min(-0.4 - label_width, SIDE / 2 - title_width / 2 - 0.2),
                        float(self.lefts[-1]) + self.sides[-1] + 0.6)
        self.width = self.x_range[1] - self.x_range[0]
        self.caption = self._caption(model, columns, plane, y, room)
        title_lines = max(title.count("\n") + 1 for title in self.titles)
        self.y_range = (-self.body / 2 - 0.8 - (0.2 + 0.155 * len(self.caption)) / room,
                        self.body / 2 + 0.35 + (title_lines * 0.16 + 0.1) / room)
        self.height = self.y_range[1] - self.y_range[0]

    def _caption(self, model, columns, plane, y, room: float) -> list[str]:
        sigmoid = any(column.activation in ("sigmoid", "softmax") for column in columns)
        lines = [f"Each square: one unit's value at every point of the plane ({plane.description}).",
                 f"Colours: orange < 0 < blue{' (sigmoid: white = 0.5)' if sigmoid else ', white = 0'}; "
                 "each column has its own scale, the bar under it."]
        if y is not None and getattr(model, "classes", None) is not None and model.task != "regression":
            lines.append("Points: blue = the class this output scores, orange = the other class(es).")
        characters = int(self.width * room * 72 / (8 * 0.55))          # per caption line at 8 pt
        return [part for line in lines for part in textwrap.wrap(line, max(characters, 40))]

    def fitting_scale(self, ax) -> float:
        """Inches per unit at which this layout fills the Axes (width or height, whichever binds)."""
        box = ax.get_position()
        width, height = ax.figure.get_size_inches()
        return min(box.width * width / self.width, box.height * height / self.height)


def _colour_limits(activation: str, values: np.ndarray) -> tuple[Normalize, float, float]:
    """Norm of a column (white in the middle) and the range its scale bar shows."""
    if activation in BOUNDED:
        low, high = BOUNDED[activation]
        return Normalize(low, high), low, high
    # the 99th percentile of |value|, not the maximum, so a few extreme corners do not wash out the map
    largest = float(np.percentile(np.abs(values), 99)) if values.size else 0.0
    largest = largest if largest > 0 else 1.0
    low = 0.0 if values.size and float(np.min(values)) >= 0 else -largest
    return Normalize(-largest, largest), low, largest


def _scale_bar(ax, left: float, bottom: float, width: float, norm: Normalize, low: float, high: float,
               text: float) -> None:
    """A thin colour gradient under a column, labelled with its two ends."""
    ax.imshow(np.linspace(low, high, 64)[None, :], cmap=DIVERGING, norm=norm, aspect="auto",
              extent=(left, left + width, bottom, bottom + 0.16), gid="colour-scale", zorder=2)
    ax.add_patch(Rectangle((left, bottom), width, 0.16, facecolor="none", edgecolor="#777777", linewidth=0.4))
    for position, value, align in ((left, low, "left"), (left + width, high, "right")):
        ax.text(position, bottom - 0.04, f"{value:.2g}", ha=align, va="top", fontsize=7 * text, color=INK)


def _draw_weights(ax, columns, boxes, sides) -> None:
    """One line per drawn weight, from the right edge of a map to the left edge of the next column's map."""
    largest = max(float(np.max(np.abs(column.dense.params["weight"]))) for column in columns[1:]) if \
        len(columns) > 1 else 0.0
    for index in range(1, len(columns)):
        weight = columns[index].dense.params["weight"]                      # (D, H)
        for source, (left0, bottom0) in enumerate(boxes[index - 1]):
            for target, (left1, bottom1) in enumerate(boxes[index]):
                value = float(weight[source, target])
                ax.add_line(Line2D([left0 + sides[index - 1], left1],
                                   [bottom0 + sides[index - 1] / 2, bottom1 + sides[index] / 2],
                                   linewidth=0.6 * line_width(abs(value), largest), alpha=0.6,
                                   color=POSITIVE if value >= 0 else NEGATIVE, zorder=0.5 + abs(value) / largest,
                                   gid=f"weight:{columns[index].key}:{source}:{target}"))


def _draw_points(ax, frame, model, points: np.ndarray, y, unit: int, units: int, norm: Normalize,
                 text: float) -> None:
    """The data on an output map: class members in blue, the rest in orange (targets coloured for regression).

    ``points`` are already placed inside the map's square; ``frame`` (the square) clips them.
    """
    labels = np.asarray(y)
    labels = labels.ravel() if labels.ndim == 2 and labels.shape[1] == 1 else labels
    classes = getattr(model, "classes", None)
    size = float(np.clip(3000 / max(len(points), 1), 5, 18)) * text ** 2   # fewer points, bigger dots
    if classes is None or model.task == "regression":
        target = labels[:, unit] if labels.ndim == 2 else labels
        ax.scatter(points[:, 0], points[:, 1], c=target.astype(float), cmap=DIVERGING, norm=norm, s=size,
                   edgecolors=INK, linewidths=0.4, zorder=4, clip_path=frame)
        return
    positive = classes[1] if units == 1 else classes[unit]
    if labels.dtype.kind != classes.dtype.kind and classes.dtype.kind in "UO":
        labels = labels.astype(str)
    member = labels == positive
    for mask, colour in ((~member, NEGATIVE), (member, POSITIVE)):
        ax.scatter(points[mask, 0], points[mask, 1], s=size, color=colour, edgecolors="white", linewidths=0.5,
                   zorder=4, clip_path=frame)
