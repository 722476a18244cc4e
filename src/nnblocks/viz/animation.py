"""Watching a network learn: record the decision boundary during training, then make a GIF.

Two pieces:

- ``TrainingRecorder`` is a training callback. At the epochs you choose it computes the
  model's boundary values on one fixed grid (``make_plane`` over the training data, built
  once, so every frame shows the same patch of the plane) and notes the loss so far.
- ``save_training_gif`` draws each recorded frame — the boundary with the data on the
  left, the loss curve up to that epoch on the right — and writes an animated GIF.

Epochs are counted as people count them, from 1 (the fit loop's callbacks count from 0).

Example:
    >>> recorder = TrainingRecorder(x, y, epochs=20)                       # doctest: +SKIP
    >>> model.fit(x, y, epochs=300, callbacks=[recorder], verbose=False)   # doctest: +SKIP
    >>> save_training_gif(recorder, "training.gif")                        # doctest: +SKIP
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.figure import Figure
from PIL import Image

from nnblocks.errors import DataError, ParameterError, ParameterTypeError
from nnblocks.io import atomic_write_bytes
from nnblocks.training.callbacks import Callback
from nnblocks.validation import check_integer, check_number, message
from nnblocks.viz import style
from nnblocks.viz.boundary import boundary_values, label_indices
from nnblocks.viz.plane import make_plane

OWNER = "TrainingRecorder"
# Said under the boundary's title when the plane is not simply the two inputs.
PLANE_NOTES = {"pca": "\nplane of the first two principal components",
               "slice": "\nslice: other features at their median / most frequent value"}


@dataclass
class Frame:
    """One recorded moment: the epoch (1-based) and the model's answers on the recorder's (R, R) grid.

    ``value``: P(class 1) (binary), the highest class probability (K classes) or the predicted
    value (regression); ``classes`` and ``confidence``: the predicted class index and its
    probability (None for regression). As ``boundary_values`` gives them, kept in float32.
    """

    epoch: int
    value: np.ndarray
    classes: np.ndarray | None = None
    confidence: np.ndarray | None = None


class TrainingRecorder(Callback):
    """A callback that records the decision boundary at chosen epochs, for an animation.

    Args:
        x, y: the data whose range the grid spans and whose points every frame shows
            (usually the training part).
        epochs: which epochs to record, counted from 1:
            ``None`` every epoch; a list such as ``[1, 10, 50, 300]`` those epochs; an int ``N``
            N frames spread evenly over the run, from epoch 1 to the last epoch (fewer when the
            run has fewer than N epochs).
        resolution: grid points per side (80 keeps recording cheap: 6,400 predictions a frame).
        x_test, y_test: optional held-out points, drawn with a dark edge on every frame.
        method, features: which plane, for data with more than two features (see ``make_plane``).

    After training, ``frames`` holds one ``Frame`` per recorded epoch and ``history`` the
    loss (and validation loss) of every epoch. If training stops early, the last epoch that
    finished is recorded too (so an int N can give fewer frames, never a stale last frame).
    """

    def __init__(self, x, y, epochs: int | Sequence[int] | None = None, resolution: int = 80, x_test=None,
                 y_test=None, method: str = "auto", features: tuple = (0, 1)) -> None:
        self.requested = _check_epochs(epochs)
        self.resolution = check_integer("resolution", resolution, OWNER, minimum=2, maximum=1000)
        if len(y) != len(x):
            raise DataError(f"{OWNER}: x and y must have the same number of rows. Got {len(x)} and {len(y)}. "
                            "Fix: pass the matching targets.")
        self.plane = make_plane(x, resolution=self.resolution, method=method, features=features)
        self.points, self.y = self.plane.project(x), np.asarray(y)       # (N, 2), (N,)
        self.test_points = self.plane.project(x_test) if x_test is not None else None
        self.y_test = np.asarray(y_test) if y_test is not None else None
        self.frames: list[Frame] = []
        self.history: dict[str, list[float]] = {}
        self.planned: list[int] = []
        self.total_epochs: int | None = None

    # --- callback hooks -----------------------------------------------------------------
    def set_params(self, params: dict) -> None:
        super().set_params(params)
        self.total_epochs = int(params["epochs"])
        self.planned = planned_epochs(self.requested, self.total_epochs)

    def on_train_begin(self, logs=None) -> None:
        self.frames, self.history = [], {}
        self._wanted = set(self.planned)

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        logs = logs or {}
        for key in ("loss", "val_loss"):
            if key in logs:
                self.history.setdefault(key, []).append(float(logs[key]))
        if epoch + 1 in self._wanted:
            self.record(epoch + 1)

    def on_train_end(self, logs=None) -> None:
        finished = len(self.history.get("loss", []))
        stopped_early = self.total_epochs is not None and finished < self.total_epochs
        if stopped_early and finished and (not self.frames or self.frames[-1].epoch != finished):
            self.record(finished)  # end on the weights training ended with

    def record(self, epoch: int) -> None:
        """Compute the boundary values on the plane now and keep them as the frame of ``epoch``."""
        values = boundary_values(self.model, self.plane)
        self.frames.append(Frame(epoch, values.value.astype(np.float32),
                                 None if values.classes is None else values.classes.astype(np.int16),
                                 None if values.confidence is None else values.confidence.astype(np.float32)))

    @property
    def epochs(self) -> list[int]:
        """The epochs recorded so far (1-based)."""
        return [frame.epoch for frame in self.frames]

    def __repr__(self) -> str:
        return f"TrainingRecorder(frames={len(self.frames)}, planned={len(self.planned)}, resolution={self.resolution})"


def planned_epochs(requested: int | tuple[int, ...] | None, total: int) -> list[int]:
    """The 1-based epochs to record in a run of ``total`` epochs.

    ``None`` -> every epoch; a tuple -> those epochs (each must be within the run); an int N ->
    N epochs spread evenly from 1 to ``total`` (both included), ``min(N, total)`` of them.

    Example:
        >>> planned_epochs(5, 300)
        [1, 76, 151, 225, 300]
    """
    if requested is None:
        return list(range(1, total + 1))
    if isinstance(requested, tuple):
        beyond = [epoch for epoch in requested if epoch > total]
        if beyond:
            raise ParameterError(message("epochs", OWNER, f"epochs between 1 and {total} (the run's length)",
                                         list(requested), f"drop {beyond} or train for longer."))
        return sorted(set(requested))
    count = min(requested, total)
    if count == 1:
        return [total]
    # Spacing (total - 1) / (count - 1) >= 1, so rounding half up keeps the epochs distinct.
    return [int(math.floor(value + 0.5)) for value in np.linspace(1, total, count)]


def _check_epochs(epochs) -> int | tuple[int, ...] | None:
    if epochs is None:
        return None
    if isinstance(epochs, (int, np.integer)) and not isinstance(epochs, bool):
        return check_integer("epochs", epochs, OWNER, minimum=1)
    if isinstance(epochs, (list, tuple, range, np.ndarray)) and len(epochs) > 0:
        return tuple(check_integer("epochs", value, OWNER, minimum=1) for value in epochs)
    raise ParameterTypeError(message("epochs", OWNER, "None (every epoch), a frame count such as 20, or a list of "
                                     "epochs counted from 1 such as [1, 10, 100]", epochs))


# --- rendering ---------------------------------------------------------------------------
def render_frames(recorder: TrainingRecorder, dpi: int = 80) -> list[Image.Image]:
    """Draw every recorded frame as an RGB image.

    Cheap by construction: one Figure is laid out and drawn once with everything that never
    changes (axes, ticks, labels, legend); each frame then restores that background and draws
    only what moves — the boundary image and line, the points on top of it, the loss curves,
    the epoch marker and the title (matplotlib's "blitting").
    """
    if not recorder.frames:
        raise DataError("The recorder holds no frames. Fix: pass it to fit(callbacks=[recorder]) and train for "
                        "at least one epoch before drawing.")
    dpi = check_integer("dpi", dpi, "render_frames", minimum=20, maximum=400)
    plane, frames = recorder.plane, recorder.frames
    colouring = FrameColouring.for_model(recorder.model, frames, recorder.y)
    figure = Figure(figsize=(9.6, 4.2), dpi=dpi, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    boundary_axes, loss_axes = figure.subplots(1, 2, width_ratios=[1, 1.1])

    extent = (plane.first.min(), plane.first.max(), plane.second.min(), plane.second.max())
    image = boundary_axes.imshow(colouring.rgb(frames[0]), extent=extent, origin="lower", aspect="auto",
                                 interpolation="bilinear")
    points = [_scatter(boundary_axes, colouring, recorder.points, recorder.y, training=True)]
    if recorder.test_points is not None and recorder.y_test is not None:
        points.append(_scatter(boundary_axes, colouring, recorder.test_points, recorder.y_test, training=False))
    boundary_axes.set_xlim(extent[0], extent[1])
    boundary_axes.set_ylim(extent[2], extent[3])
    boundary_axes.set_aspect("equal" if plane.method != "slice" else "auto", adjustable="box")
    boundary_axes.set_xlabel(plane.axis_names[0])
    boundary_axes.set_ylabel(plane.axis_names[1])
    boundary_axes.set_title(colouring.title + PLANE_NOTES.get(plane.method, ""), fontsize=style.FONT_SIZES["label"],
                            color=style.INK)

    losses = {key: np.asarray(values, dtype=float) for key, values in recorder.history.items()}
    lines = {key: loss_axes.plot([], [], label=label, color=colour, linewidth=1.8)[0]
             for key, label, colour in (("loss", "training", style.BLUE), ("val_loss", "validation", style.ORANGE))
             if key in losses}
    marker = loss_axes.axvline(frames[0].epoch, color=style.INK, linestyle=(0, (2, 2)), linewidth=1)
    dot = loss_axes.plot([], [], "o", color=style.BLUE, markersize=6)[0]
    _loss_limits(loss_axes, losses, frames[-1].epoch)
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("loss" + (" (log scale)" if loss_axes.get_yscale() == "log" else ""))
    loss_axes.set_title("loss so far", fontsize=style.FONT_SIZES["label"], color=style.INK)
    loss_axes.grid(True, color="#e6e6e6", linewidth=0.8)
    if lines:
        loss_axes.legend(loc="upper right", fontsize=style.FONT_SIZES["legend"], frameon=False)
    for axes in (boundary_axes, loss_axes):
        style.style_axes(axes)
    title = figure.suptitle(f"epoch {frames[-1].epoch}", fontsize=13, fontweight="bold", color=style.INK)

    moving = [image, *points, *lines.values(), marker, dot, title]
    for artist in moving:
        artist.set_animated(True)      # left out of canvas.draw(): they are drawn by hand below
    canvas.draw()                      # lays the figure out once and draws the still background
    figure.set_layout_engine("none")   # keep that layout: no re-measuring of ticks for every frame
    background = canvas.copy_from_bbox(figure.bbox)

    images, contours = [], None
    for frame in frames:
        canvas.restore_region(background)
        image.set_data(colouring.rgb(frame))
        if contours is not None:
            contours.remove()
        contours = colouring.contour(boundary_axes, plane, frame)
        for key, line in lines.items():
            shown = losses[key][:frame.epoch]
            line.set_data(np.arange(1, len(shown) + 1), shown)
        marker.set_xdata([frame.epoch, frame.epoch])
        if "loss" in losses and frame.epoch <= len(losses["loss"]):
            dot.set_data([frame.epoch], [losses["loss"][frame.epoch - 1]])
        title.set_text(f"epoch {frame.epoch}")
        for artist in [image, contours, *points]:
            if artist is not None:
                boundary_axes.draw_artist(artist)
        for artist in [*lines.values(), marker, dot]:
            loss_axes.draw_artist(artist)
        figure.draw_artist(title)
        images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy()))
    return images


def gif_bytes(images: list[Image.Image], fps: float = 5, hold_last: float = 4.0) -> bytes:
    """Encode RGB images as a looping GIF; the last frame stays ``hold_last`` times longer.

    All frames share one palette (taken from the last frame, which has the most detail), so
    colours do not flicker from frame to frame.
    """
    fps = check_number("fps", fps, "save_training_gif", minimum=0.1, maximum=50.0)
    palette = images[-1].quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    frames = [image.quantize(palette=palette, dither=Image.Dither.NONE) for image in images]
    duration = int(round(1000 / fps))
    durations = [duration] * (len(frames) - 1) + [int(round(duration * hold_last))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0,
                   optimize=False, disposal=1)
    return buffer.getvalue()


def save_training_gif(recorder: TrainingRecorder, path: str | os.PathLike, fps: float = 5, dpi: int = 80) -> Path:
    """Draw the recorder's frames and write them to ``path`` as an animated GIF (atomically).

    One GIF frame per recorded epoch, titled "epoch k": the boundary heatmap with the
    training points (and hollow test points) on the left, the loss up to epoch k on the right.
    Returns the path.
    """
    if not isinstance(recorder, TrainingRecorder):
        raise ParameterTypeError(message("recorder", "save_training_gif", "a TrainingRecorder used in fit",
                                         type(recorder).__name__))
    return atomic_write_bytes(path, gif_bytes(render_frames(recorder, dpi=dpi), fps=fps))


def _scatter(axes, colouring: "FrameColouring", points: np.ndarray, y: np.ndarray, training: bool) -> None:
    """Points as every nnblocks boundary shows them: training with a white edge, test with a dark one."""
    looks = dict(style.TRAIN_POINTS if training else style.TEST_POINTS)
    looks["s"] = looks["s"] * 0.6   # the animation's panel is smaller than a boundary figure
    return axes.scatter(points[:, 0], points[:, 1], c=colouring.point_colours(y), **looks)


def _loss_limits(axes, losses: dict[str, np.ndarray], last_epoch: int) -> None:
    """Fixed axes for the whole animation, so the curve grows instead of the axes jumping."""
    axes.set_xlim(0.5, max(last_epoch, 2) + 0.5)
    values = np.concatenate([values[:last_epoch] for values in losses.values()]) if losses else np.array([1.0])
    values = values[np.isfinite(values)]
    if values.size == 0:
        return
    low, high = float(values.min()), float(values.max())
    if low > 0 and high / low > 30:  # losses that fall over orders of magnitude read better on a log scale
        axes.set_yscale("log")
        axes.set_ylim(low / 1.3, high * 1.3)
    else:
        margin = max(high - low, 1e-6) * 0.06
        axes.set_ylim(max(0.0, low - margin) if low >= 0 else low - margin, high + margin)




class FrameColouring:
    """How frames become colours, fixed once for the whole animation, as ``plot_decision_boundary`` paints:

    - two classes: P(class 1) on the orange ↔ white ↔ blue map, the 0.5 contour as the boundary;
    - K classes: each pixel its predicted class's colour, paler where the model is unsure,
      with lines between classes (``style.class_shading``);
    - regression: the predicted value on the diverging map, over the range of every frame and y.
    """

    def __init__(self, task: str, colours: list[str], classes: list | None, norm, title: str):
        self.task, self.colours, self.classes, self.norm, self.title = task, colours, classes, norm, title
        self.map = style.diverging_colormap(style.BACKGROUND_STRENGTH)
        self.point_map = style.diverging_colormap()

    @classmethod
    def for_model(cls, model, frames: list[Frame], y: np.ndarray) -> "FrameColouring":
        task = model.task
        if task == "regression":
            stacked = np.concatenate([frame.value.ravel() for frame in frames] + [np.asarray(y, float).ravel()])
            stacked = stacked[np.isfinite(stacked)]
            low, high = (float(stacked.min()), float(stacked.max())) if stacked.size else (0.0, 1.0)
            high = max(high, low + 1e-12)
            # White at 0 when the values straddle it (as the boundary figure does), else in the middle.
            norm = TwoSlopeNorm(0.0, low, high) if low < 0.0 < high else Normalize(low, high)
            return cls(task, [], None, norm, "colour: predicted value")
        classes = list(model.classes)
        colours = [style.ORANGE, style.BLUE] if len(classes) == 2 else style.class_colors(len(classes))
        if task == "binary":
            return cls(task, colours, classes, Normalize(0.0, 1.0), f"colour: P({classes[1]}); line: 0.5")
        return cls(task, colours, classes, None, "colour: predicted class (paler = less sure)")

    def rgb(self, frame: Frame) -> np.ndarray:
        """(R, R, 3) colours of one frame."""
        if self.task == "multiclass":
            count = len(self.colours)
            return style.class_shading(frame.classes, frame.confidence, self.colours, 1.0 / count)
        return self.map(self.norm(np.nan_to_num(frame.value)))[..., :3]

    def contour(self, axes, plane, frame: Frame):
        """The boundary line(s) of one frame, or None where no line crosses the plane (yet)."""
        if self.task == "regression":
            return None
        if self.task == "binary":
            field, levels = frame.value, [0.5]
        else:
            field, levels = frame.classes.astype(float), np.arange(len(self.colours) - 1) + 0.5
        levels = [level for level in levels if field.min() < level < field.max()]
        if not levels:
            return None  # e.g. epoch 1 predicts one class everywhere
        return axes.contour(plane.first, plane.second, field, levels=levels, colors=style.INK, linewidths=1.2)

    def point_colours(self, y: np.ndarray):
        """One colour per point: its class's colour, or (regression) its value on the map."""
        if self.task == "regression":
            return self.point_map(self.norm(np.asarray(y, dtype=float).ravel()))
        return [self.colours[index] for index in label_indices(y, self.classes)]


__all__ = ["Frame", "TrainingRecorder", "planned_epochs", "render_frames", "save_training_gif"]
