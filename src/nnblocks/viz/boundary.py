"""Decision boundaries: what a trained model answers at every point of a 2-D plane.

Two steps, kept apart so each can be tested on its own:

1. ``boundary_values(model, plane)`` asks the model about every grid point, through the
   public API only (``predict``, ``predict_proba``, ``decision_function``), in batches;
2. ``plot_decision_boundary(model, x, y, ...)`` paints those answers (TF Playground style)
   and puts the data on top: training points, test points, and rings round the mistakes.

Which plane: with two input features, the input space itself; with more, a slice through
two features or the plane of the first two principal components (see ``plane.py``). The
figure says which in a caption, because a slice shows only part of what the model does.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.lines import Line2D

from nnblocks.errors import DataError, NotFittedError, ParameterError
from nnblocks.validation import check_integer, message
from nnblocks.viz import style
from nnblocks.viz.plane import Plane, make_plane

OWNER = "plot_decision_boundary"


@dataclass
class BoundaryValues:
    """The model's answers on a plane's (R, R) grid.

    Attributes:
        classes: class indices (into ``model.classes``) the figure paints, equal to
            ``model.predict`` on the grid; None for regression.
        confidence: probability of the painted class, in [0, 1]; None for regression. For a
            hinge (margin) model, which gives no probabilities, it is read from the score
            ``s``: P(class 1) ≈ clip((1 + s) / 2, 0, 1), so the margin |s| ≥ 1 counts as certain.
        value: binary: P(class 1) (hinge: the estimate above); multi-class: the highest class
            probability; regression: the predicted value.
        task: "binary", "multiclass" or "regression".
        value_name: what ``value`` is, in words (for a colour-bar label).
        class_labels: ``model.classes`` (None for regression).
        plane: the plane the grid belongs to.
        probabilities: (R, R, K) probability of every class (None for regression); the
            borders between classes are drawn where the top two are equal.
    """

    classes: np.ndarray | None
    confidence: np.ndarray | None
    value: np.ndarray
    task: str
    value_name: str
    class_labels: np.ndarray | None
    plane: Plane
    probabilities: np.ndarray | None = None


def boundary_values(model, plane: Plane, batch_size: int = 8192) -> BoundaryValues:
    """Evaluate ``model`` on every point of ``plane``'s grid, ``batch_size`` points at a time."""
    batch_size = check_integer("batch_size", batch_size, "boundary_values", minimum=1)
    if getattr(model, "loss", None) is None or not getattr(model, "built", False):
        raise NotFittedError("This model is not fitted yet, so there is no boundary to draw. Fix: call "
                             "model.fit(x, y) first, or load a trained model with Sequential.load(path).")
    task = model.task
    shape = plane.first.shape
    points = plane.points
    predictions, probabilities, scores = [], [], []
    probabilistic = task != "regression" and model.loss.type_name != "hinge"
    for start in range(0, len(points), batch_size):
        inputs = plane.to_inputs(points[start:start + batch_size])
        predictions.append(np.asarray(model.predict(inputs)))
        if probabilistic:
            probabilities.append(model.predict_proba(inputs))
        elif task == "binary":
            scores.append(model.decision_function(inputs)[:, 0])
    predicted = np.concatenate(predictions)
    if task == "regression":
        if predicted.ndim != 1:
            raise DataError(f"A boundary plot shows one predicted value per point, but this model predicts "
                            f"{predicted.shape[1]} targets. Fix: train a model with one output for the plot.")
        return BoundaryValues(None, None, predicted.reshape(shape), task, "predicted value", None, plane)

    classes = label_indices(predicted, model.classes)
    if probabilistic:
        probability = np.concatenate(probabilities)                  # (M, K)
    else:                                                            # hinge: a probability-like reading of s
        positive = np.clip((1.0 + np.concatenate(scores)) / 2.0, 0.0, 1.0)
        probability = np.column_stack([1.0 - positive, positive])
    confidence = probability[np.arange(len(classes)), classes]
    if task == "binary":
        value, name = probability[:, 1], f"P({model.class_names[1]})"
        if not probabilistic:
            name += " from the margin"
    else:
        value, name = probability.max(axis=1), "highest class probability"
    return BoundaryValues(classes.reshape(shape), confidence.reshape(shape), value.reshape(shape), task, name,
                          np.asarray(model.classes), plane, probability.reshape(*shape, -1))


def label_indices(labels, classes) -> np.ndarray:
    """Position of each label in ``classes`` (N,), comparing as text when the types differ."""
    labels, classes = np.asarray(labels).ravel(), np.asarray(classes)
    matches = labels[:, None] == classes[None, :]
    if not np.all(matches.any(axis=1)):
        matches = labels.astype(str)[:, None] == classes.astype(str)[None, :]
    unknown = ~matches.any(axis=1)
    if np.any(unknown):
        raise DataError(f"y contains labels the model was not trained on: {sorted(set(labels[unknown].tolist()))[:10]}."
                        f" The model's classes are {classes.tolist()}. Fix: plot data with the same classes.")
    return np.argmax(matches, axis=1)


def plot_decision_boundary(model, x, y, *, x_test=None, y_test=None, resolution: int = 200, method: str = "auto",
                           features: tuple = (0, 1), feature_names=None, class_names=None, discretize: bool = False,
                           show_test: bool = True, highlight_misclassified: bool = True, colorbar: bool = True,
                           title: str | None = None, ax=None):
    """Paint what ``model`` predicts over the range of ``x`` and show the data on top.

    - Binary: the diverging orange ↔ white ↔ blue map of P(class 1) and its 0.5 contour.
    - Multi-class: one colour per class, lighter where the model is less sure (white at chance
      level 1/K), and dark lines on the borders between classes.
    - Regression: the diverging map of the predicted value, with a few labelled levels.

    Training points are circles with a white edge, test points circles with a dark edge, both
    coloured by their true class (or value); misclassified points get a red ring. The title gives
    train and test accuracy (R² and RMSE for regression) from ``model.evaluate``.

    Args:
        model: a fitted ``Sequential``.
        x, y: the training data (the grid spans x's range).
        x_test, y_test: optional test data, drawn with dark edges when ``show_test``.
        resolution: grid points per side.
        method: the plane for data with more than two features: "auto" (slice), "slice" or "pca".
        features: the two features that vary in a slice (names or positions).
        feature_names: display names of all input columns, in order (axis labels, caption).
        class_names: display names of the classes, in the order of ``model.classes``.
        discretize: paint hard classes instead of probabilities (TF Playground's "discretize output").
        colorbar: add a colour bar for the binary / regression map.
        title: a first title line above the metrics.
        ax: an existing Axes to draw into; a new Figure is made when None.

    Returns:
        The Figure.

    Example:
        >>> figure = plot_decision_boundary(model, data.x, data.y, resolution=100)   # doctest: +SKIP
        >>> figure.savefig("boundary.png")                                           # doctest: +SKIP
    """
    has_test = x_test is not None and y_test is not None
    plane = make_plane(x, resolution=resolution, method=method, features=features)
    values = boundary_values(model, plane)
    figure, ax = style.figure_and_axes(ax)
    extent = (plane.first[0, 0], plane.first[0, -1], plane.second[0, 0], plane.second[-1, 0])

    if values.task == "regression":
        value_map, value_norm = _paint_regression(ax, values, y, extent, colorbar)
    else:
        names = _class_display_names(model, class_names)
        colors = style.class_colors(len(names)) if len(names) > 2 else [style.ORANGE, style.BLUE]
        _paint_classes(ax, values, colors, names, extent, discretize, colorbar)

    parts = {"train": (x, y)}
    if has_test and show_test:
        parts["test"] = (x_test, y_test)
    mistakes = []
    for part, (inputs, targets) in parts.items():
        where = plane.project(inputs)
        point_style = style.TRAIN_POINTS if part == "train" else style.TEST_POINTS
        if values.task == "regression":
            if part == "train":   # values near 0 are white on white: a grey edge keeps them visible
                point_style = {**point_style, "edgecolors": "#8c8c8c", "linewidths": 0.5}
            ax.scatter(where[:, 0], where[:, 1], c=np.asarray(targets, dtype=float).ravel(), cmap=value_map,
                       norm=value_norm, label=part, gid=f"{part}-points", **point_style)
            continue
        truth = label_indices(targets, model.classes)
        ax.scatter(where[:, 0], where[:, 1], c=[colors[index] for index in truth], label=part,
                   gid=f"{part}-points", **point_style)
        if highlight_misclassified:
            wrong = label_indices(model.predict(inputs), model.classes) != truth
            mistakes.append(where[wrong])
    if mistakes:
        wrong_points = np.vstack(mistakes)
        ax.scatter(wrong_points[:, 0], wrong_points[:, 1], label=f"misclassified ({len(wrong_points)})",
                   gid="misclassified-points", **style.MISCLASSIFIED_POINTS)

    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    # No fixed (equal) aspect: matplotlib's constrained layout mis-sizes the margins of fixed-aspect
    # axes (the y label gets clipped), and the data sets here span nearly square ranges anyway.
    axis_names = _axis_names(plane, x, feature_names)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    style.style_axes(ax)

    evaluated = {"train": model.evaluate(x, y)}
    if has_test:
        evaluated["test"] = model.evaluate(x_test, y_test)
    shown = ("r2", "rmse") if values.task == "regression" else ("accuracy",)
    ax.set_title(style.title_with_metrics(title, style.metrics_line(evaluated, shown)),
                 fontsize=style.FONT_SIZES["title"], color=style.INK)
    if plane.method in ("slice", "pca"):
        caption = _caption(plane, axis_names)
        ax.annotate(textwrap.fill(caption, 78), xy=(0.5, 0.0), xycoords="axes fraction", xytext=(0, -34),
                    textcoords="offset points", ha="center", va="top", fontsize=style.FONT_SIZES["caption"],
                    color="#555555", style="italic", gid="plane-caption")
    _legend(ax, values.task, names if values.task != "regression" else None,
            colors if values.task != "regression" else None, has_test and show_test,
            sum(len(points) for points in mistakes) if mistakes else None)
    return figure


# --- painting ----------------------------------------------------------------------------------
def _paint_classes(ax, values: BoundaryValues, colors: list[str], names: list[str], extent, discretize: bool,
                   colorbar: bool) -> None:
    grid = values.plane
    if values.task == "binary" and not discretize:
        value_name = f"P({names[1]})" + (" from the margin" if values.value_name.endswith("margin") else "")
        image = ax.imshow(values.value, origin="lower", extent=extent, cmap=style.diverging_colormap(
            style.BACKGROUND_STRENGTH), vmin=0.0, vmax=1.0, interpolation="bilinear", aspect="auto", zorder=0)
        if colorbar:
            _colorbar(ax, image, value_name, ticks=[0, 0.25, 0.5, 0.75, 1])
    else:
        count = len(colors)
        confidence = np.ones_like(values.confidence) if discretize else values.confidence
        shading = style.class_shading(values.classes, confidence, colors, floor=1.0 / count)
        ax.imshow(shading, origin="lower", extent=extent, interpolation="bilinear", aspect="auto", zorder=0)
    # The decision boundary: the 0.5 level of P(class 1); for K classes, the edge of each class's
    # region, where its probability equals the best of the others (smooth, unlike the class grid).
    if values.task == "binary":
        fields = [values.value - 0.5]
    else:
        fields = []
        for index in np.unique(values.classes):
            others = np.delete(values.probabilities, index, axis=2).max(axis=2)
            fields.append(values.probabilities[:, :, index] - others)
    for field in fields:
        if field.min() < 0.0 < field.max():                        # only draw a level that is crossed
            ax.contour(grid.first, grid.second, field, levels=[0.0], colors=style.INK, linewidths=1.3, zorder=2)


def _paint_regression(ax, values: BoundaryValues, y, extent, colorbar: bool):
    """Paint the predicted value; return the (colormap, norm) that the points must share."""
    grid = values.plane
    targets = np.asarray(y, dtype=float).ravel()
    low = float(min(values.value.min(), targets.min()))
    high = float(max(values.value.max(), targets.max()))
    # White at 0 when the values straddle 0 (TF Playground's regression view), else at the middle.
    norm = TwoSlopeNorm(0.0, low, high) if low < 0.0 < high else Normalize(low, high)
    image = ax.imshow(values.value, origin="lower", extent=extent, cmap=style.diverging_colormap(
        style.BACKGROUND_STRENGTH), norm=norm, interpolation="bilinear", aspect="auto", zorder=0)
    lines = ax.contour(grid.first, grid.second, values.value, levels=7, colors=style.INK, linewidths=0.6,
                       alpha=0.6, negative_linestyles="solid", zorder=2)
    ax.clabel(lines, fontsize=style.FONT_SIZES["tick"] - 1, fmt="%.2g")
    if colorbar:
        _colorbar(ax, image, values.value_name)
    return style.diverging_colormap(), norm


def _colorbar(ax, image, label: str, ticks=None) -> None:
    """A short colour bar in the right margin, under the legend (inset axes follow the plot's box)."""
    holder = ax.inset_axes([1.05, 0.0, 0.04, 0.42])
    bar = ax.figure.colorbar(image, cax=holder, ticks=ticks)
    bar.set_label(label, fontsize=style.FONT_SIZES["legend"])
    bar.ax.tick_params(labelsize=style.FONT_SIZES["tick"] - 0.5, length=2)
    bar.outline.set_visible(False)


# --- words ---------------------------------------------------------------------------------------
def _class_display_names(model, class_names) -> list[str]:
    if class_names is None:   # bare numbers read better as "class 0", "class 1"
        return [f"class {name}" if name.lstrip("-").isdigit() else name for name in model.class_names]
    names = [str(name) for name in class_names]
    if len(names) != len(model.classes):
        raise ParameterError(message("class_names", OWNER, f"{len(model.classes)} names, one per class of the model",
                                     class_names))
    return names


def _axis_names(plane: Plane, x, feature_names) -> tuple[str, str]:
    """The plane's axis names, with ``feature_names`` put in for the column names they stand for."""
    if feature_names is None or plane.method == "pca":
        return plane.axis_names
    columns = [str(name) for name in x.columns] if hasattr(x, "columns") else [
        f"x{index + 1}" for index in range(np.shape(x)[1])]
    names = [str(name) for name in feature_names]
    if len(names) != len(columns):
        raise ParameterError(message("feature_names", OWNER, f"{len(columns)} names, one per input column",
                                     feature_names))
    display = dict(zip(columns, names))
    return display.get(plane.axis_names[0], plane.axis_names[0]), display.get(plane.axis_names[1], plane.axis_names[1])


def _caption(plane: Plane, axis_names: tuple[str, str]) -> str:
    text = plane.description
    if plane.method == "slice":
        text = text.replace(f"through {plane.axis_names[0]} and {plane.axis_names[1]};",
                            f"through {axis_names[0]} and {axis_names[1]};")
    return text[0].upper() + text[1:] + "."


def _legend(ax, task: str, names, colors, has_test: bool, mistakes: int | None) -> None:
    def point(color, edge, **extra):
        return Line2D([], [], linestyle="none", marker="o", markerfacecolor=color, markeredgecolor=edge,
                      **{"markersize": 7, **extra})

    handles, labels = [], []
    if names is not None:
        handles += [point(color, style.WHITE) for color in colors]
        labels += names
    neutral = "#b0b0b0"
    handles.append(point(neutral, style.WHITE, markeredgewidth=0.8))
    labels.append("train")
    if has_test:
        handles.append(point(neutral, style.INK, markeredgewidth=1.3))
        labels.append("test")
    if mistakes is not None:
        handles.append(point("none", style.MISTAKE, markeredgewidth=1.5, markersize=10))
        labels.append(f"misclassified ({mistakes})")
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0),
              fontsize=style.FONT_SIZES["legend"], frameon=False, handletextpad=0.3, borderaxespad=0.0)
