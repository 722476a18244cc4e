"""Training curves: loss and the main metric per epoch, training against validation.

The x axis counts epochs from 1, as people do (``History`` stores them from 0). The best
epoch — lowest ``val_loss``, or lowest ``loss`` when there was no validation — gets a
dashed vertical line on every panel, so over-fitting shows as the curves drifting apart
after it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.ticker import FuncFormatter

from nnblocks.errors import DataError, ParameterError, ParameterTypeError
from nnblocks.validation import message
from nnblocks.viz import style

OWNER = "plot_history"
MAIN_METRICS = ("accuracy", "roc_auc", "r2")          # the first one recorded is the "main" metric
TITLES = {"loss": "Loss", "accuracy": "Accuracy", "roc_auc": "ROC AUC", "r2": "R²", "mae": "MAE", "rmse": "RMSE"}
TRAIN_COLOR, VALIDATION_COLOR = style.BLUE, style.ORANGE


def plot_history(history, metrics: Sequence[str] | None = None, ax=None, log_scale: bool = False):
    """Plot training (solid) and validation (dashed) curves per epoch, one panel per metric.

    Args:
        history: a ``History`` (what ``fit`` returns) or its ``history`` dict of lists.
        metrics: the panels, by logs name without ``val_`` (e.g. ``["loss", "rmse"]``); default:
            loss and the main metric (accuracy, else ROC AUC, else R²) when recorded.
        ax: an Axes (draws the first panel only) or a sequence of Axes (one per panel); None
            makes a new Figure with the panels side by side.
        log_scale: a logarithmic y axis for the loss panel (useful when the loss falls by decades).

    Returns:
        The Figure.

    Example:
        >>> figure = plot_history(model.fit(x, y, validation_split=0.2))   # doctest: +SKIP
    """
    records, epochs = _records(history)
    panels = list(metrics) if metrics is not None else ["loss", *[name for name in MAIN_METRICS
                                                                  if name in records][:1]]
    if not panels:
        raise ParameterError(message("metrics", OWNER, "a non-empty list of recorded names", metrics))
    for name in panels:
        if name not in records and f"val_{name}" not in records:
            raise ParameterError(message("metrics", OWNER, f"names recorded in the history {sorted(records)}", name,
                                         "pick from those (without the val_ prefix)."))
    figure, axes = _figure_and_axes(ax, len(panels))
    panels = panels[:len(axes)]
    monitor = "val_loss" if _has_values(records.get("val_loss")) else "loss"
    best = _best_epoch(history, records, epochs, monitor) if _has_values(records.get(monitor)) else None
    x = np.asarray(epochs) + 1                                       # people count epochs from 1

    for axes_item, name in zip(axes, panels):
        for key, label, color, dashes in ((name, "training", TRAIN_COLOR, None),
                                          (f"val_{name}", "validation", VALIDATION_COLOR, (5, 2))):
            if key not in records:
                continue
            values = np.asarray(records[key], dtype=float)
            finite = np.isfinite(values)                             # validation may skip epochs (NaN)
            if not finite.any():
                continue
            line = axes_item.plot(x[finite], values[finite], color=color, linewidth=1.8, label=label,
                                  marker="o" if finite.sum() <= 12 else None, markersize=3.5)[0]
            if dashes:
                line.set_dashes(dashes)
        if best is not None:
            best_value = records[monitor][epochs.index(best)]
            _mark_best(axes_item, best + 1, f"best epoch {best + 1} ({monitor} {best_value:.3g})",
                       late=best + 1 > 0.6 * x[-1], at_top=not _maximised(name))
        axes_item.set_title(TITLES.get(name, name), fontsize=style.FONT_SIZES["title"], color=style.INK)
        axes_item.set_xlabel("epoch")
        if name == "loss" and log_scale:
            axes_item.set_yscale("log")
            axes_item.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))   # 0.1, not 10⁻¹
            axes_item.yaxis.set_minor_formatter(FuncFormatter(_sparse_minor_label))
        axes_item.set_xlim(0.5 if len(x) < 2 else 1, max(x[-1], 2) if len(x) else 2)
        axes_item.grid(True, color="#e6e6e6", linewidth=0.8)
        axes_item.set_axisbelow(True)
        style.style_axes(axes_item)
    handles = [line for line in axes[0].lines if line.get_gid() != "best-epoch"]
    axes[0].legend(handles=handles, fontsize=style.FONT_SIZES["legend"], frameon=False)
    return figure


def history_png(history, **options) -> bytes:
    """``plot_history(history, **options)`` rendered to PNG bytes (for a notebook's ``_repr_png_``)."""
    return style.figure_to_png(plot_history(history, **options))


def _sparse_minor_label(value: float, _position) -> str:
    """Label minor log ticks 2, 3 and 5 (× a power of ten) only, so the axis stays readable."""
    if value <= 0:
        return ""
    mantissa = round(value / 10 ** math.floor(math.log10(value)), 6)
    return f"{value:g}" if mantissa in (2, 3, 5) else ""


def _maximised(name: str) -> bool:
    """Accuracy-like curves climb to the top of the panel; losses fall to the bottom."""
    return any(word in name for word in ("accuracy", "auc", "r2"))


def _mark_best(ax, epoch: int, label: str, late: bool, at_top: bool) -> None:
    """A dashed vertical line at the best epoch, labelled where the curves are not (text on the side with room)."""
    ax.axvline(epoch, color=style.INK, linestyle=(0, (2, 2)), linewidth=1.1, alpha=0.8, gid="best-epoch",
               label=label)
    ax.annotate(label, xy=(epoch, 1.0 if at_top else 0.0), xycoords=ax.get_xaxis_transform(),
                xytext=(-4 if late else 4, -4 if at_top else 4), textcoords="offset points",
                ha="right" if late else "left", va="top" if at_top else "bottom",
                fontsize=style.FONT_SIZES["legend"] - 0.5, color=style.INK,
                bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.85})


def _records(history) -> tuple[dict[str, list[float]], list[int]]:
    """(the dict of lists, the 0-based epochs) from a History or a plain dict."""
    records = getattr(history, "history", history)
    if not isinstance(records, Mapping):
        raise ParameterTypeError(message("history", OWNER, "a History or a dict of per-epoch lists", history))
    if not records or not any(len(values) for values in records.values()):
        raise DataError("The history is empty: no epoch was recorded. Fix: plot the History that fit() returns "
                        "after at least one epoch.")
    length = max(len(values) for values in records.values())
    epochs = list(getattr(history, "epoch", None) or range(length))
    return dict(records), [int(epoch) for epoch in epochs]


def _has_values(values) -> bool:
    return values is not None and any(math.isfinite(float(value)) for value in values)


def _best_epoch(history, records: dict, epochs: list[int], monitor: str) -> int:
    """History.best_epoch when available (one rule everywhere), else the same rule on the dict."""
    if hasattr(history, "best_epoch"):
        return history.best_epoch(monitor)
    values = np.asarray(records[monitor], dtype=float)
    values = np.where(np.isfinite(values), values, np.nan)
    return epochs[int(np.nanargmin(values))]


def _figure_and_axes(ax, count: int):
    if ax is None:
        figure = style.new_figure((4.2 * count + 0.6, 3.6))
        return figure, list(figure.subplots(1, count, squeeze=False)[0])
    axes = list(ax) if isinstance(ax, (list, tuple, np.ndarray)) else [ax]
    axes = list(np.ravel(axes))
    return axes[0].figure, axes
