"""The shared look of nnblocks figures, after TensorFlow Playground.

- Two classes and signed values use one diverging map: orange (negative, class 0) ↔ white ↔
  blue (positive, class 1) — TF Playground's colours (``playground.ts``: ``#f59322``, ``#0877bd``).
- K classes use a qualitative palette that starts with the same orange and blue, then tab10's
  colours; red is left out of it because red marks mistakes.
- Backgrounds are lighter versions of the point colours, so points always stand out.
- Points: training data are filled circles with a thin white edge; test data the same with a
  dark edge; misclassified points get a red ring.

Everything here builds matplotlib objects directly (``Figure()``, colormaps): no pyplot, no
global rcParams changes, no registered colormaps, so importing nnblocks changes nothing else.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure

ORANGE = "#f59322"     # negative values, class 0
BLUE = "#0877bd"       # positive values, class 1
WHITE = "#ffffff"      # zero, probability 0.5, "not sure"
MISTAKE = "#d62728"    # the ring around a misclassified point
INK = "#333333"        # text, contour lines, test-point edges

# Orange and blue first (so 2 classes look the same in every plot), then tab10 without its red.
CLASS_PALETTE = (ORANGE, BLUE, "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
                 "#1f3a93")

# How far the background moves from white towards a class colour at full confidence (0..1).
BACKGROUND_STRENGTH = 0.45

FIGURE_SIZE = (6.4, 5.2)     # inches; one boundary plot with its legend
DPI = 110
FONT_SIZES = {"title": 11.5, "label": 10.5, "tick": 9, "legend": 9, "caption": 8.5}

TRAIN_POINTS = {"marker": "o", "s": 26, "edgecolors": WHITE, "linewidths": 0.7, "zorder": 3}
TEST_POINTS = {"marker": "o", "s": 30, "edgecolors": INK, "linewidths": 1.1, "zorder": 4}
MISCLASSIFIED_POINTS = {"marker": "o", "s": 95, "facecolors": "none", "edgecolors": MISTAKE, "linewidths": 1.4,
                        "zorder": 5}


def diverging_colormap(strength: float = 1.0) -> LinearSegmentedColormap:
    """Orange (0) ↔ white (0.5) ↔ blue (1); ``strength`` < 1 gives lighter ends, for backgrounds."""
    ends = [blend_with_white(ORANGE, strength), blend_with_white(BLUE, strength)]
    return LinearSegmentedColormap.from_list(f"nnblocks_diverging_{strength:g}", [ends[0], WHITE, ends[1]])


def class_colors(count: int) -> list[str]:
    """``count`` distinct class colours: orange, blue, then the rest of the palette (repeats past 10)."""
    return [CLASS_PALETTE[index % len(CLASS_PALETTE)] for index in range(count)]


def blend_with_white(color, amount) -> np.ndarray:
    """RGB of ``color`` mixed with white: ``amount`` 0 is white, 1 the colour; arrays broadcast.

    ``white + amount · (colour − white)``; with ``amount`` of shape (R, R) the result is (R, R, 3).
    """
    amount = np.asarray(amount, dtype=float)[..., None]
    return 1.0 + amount * (np.asarray(to_rgb(color)) - 1.0)


def class_shading(classes: np.ndarray, confidence: np.ndarray, colors: list[str], floor: float) -> np.ndarray:
    """An (R, R, 3) image: each pixel the colour of its class, lighter where the model is unsure.

    Intensity rises linearly from white at ``floor`` (chance level, 1/K) to the background
    strength at confidence 1, so white regions mean "the model cannot tell".
    """
    intensity = np.clip((confidence - floor) / max(1.0 - floor, 1e-12), 0.0, 1.0) * BACKGROUND_STRENGTH
    palette = np.array([to_rgb(color) for color in colors])          # (K, 3)
    return 1.0 + intensity[..., None] * (palette[classes] - 1.0)


def new_figure(size: tuple[float, float] | None = None) -> Figure:
    """A Figure with the house size and dpi, laid out by matplotlib's constrained layout."""
    return Figure(figsize=size or FIGURE_SIZE, dpi=DPI, layout="constrained")


def figure_and_axes(ax=None, size: tuple[float, float] | None = None):
    """(figure, axes): a new figure with one Axes, or the given Axes and its figure."""
    if ax is not None:
        return ax.figure, ax
    figure = new_figure(size)
    return figure, figure.add_subplot()


def style_axes(ax) -> None:
    """House look for one Axes: readable ticks, light spines, no top/right frame clutter."""
    ax.tick_params(which="both", labelsize=FONT_SIZES["tick"], colors=INK)
    ax.tick_params(which="major", length=3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color("#999999")
    ax.xaxis.label.set_size(FONT_SIZES["label"])
    ax.yaxis.label.set_size(FONT_SIZES["label"])


METRIC_LABELS = {"accuracy": "accuracy", "r2": "R²", "rmse": "RMSE", "mae": "MAE", "roc_auc": "ROC AUC",
                 "loss": "loss"}


def format_metric(name: str, value: float) -> str:
    """One metric value for people: accuracy as a percentage, others with 3 significant digits."""
    return f"{value:.1%}" if name == "accuracy" else f"{value:.3g}"


def metrics_line(parts: dict[str, dict[str, float]], names: tuple[str, ...]) -> str:
    """``{"train": {...}, "test": {...}}`` -> "accuracy: train 98.0% · test 95.5%" (short enough for a panel)."""
    pieces = []
    for name in names:
        shown = [f"{part} {format_metric(name, metrics[name])}" for part, metrics in parts.items() if name in metrics]
        if shown:
            pieces.append(f"{METRIC_LABELS.get(name, name)}: " + " · ".join(shown))
    return "   ".join(pieces)


def title_with_metrics(title: str | None, metrics: str) -> str:
    """The user's title on the first line (when given), the metrics under it."""
    return "\n".join(text for text in (title, metrics) if text)


def figure_to_png(figure: Figure, dpi: float | None = None) -> bytes:
    """Render a Figure to PNG bytes with the Agg canvas (no pyplot, no display needed)."""
    FigureCanvasAgg(figure)          # attaches itself as figure.canvas
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi or "figure", facecolor="white")
    return buffer.getvalue()
