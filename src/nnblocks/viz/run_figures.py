"""The figures of a training run, written as files next to (or into) its run folder.

    decision_boundary.png   the boundary on the plane, training points filled, test points ringed
    neurons.png             what every hidden neuron computes, as a map over the same plane
    network.png             the network as a graph: every weight and bias
    loss.png                loss and metrics per epoch, training and validation
    training.gif            the boundary taking shape, epoch by epoch, beside the loss so far

``write_run_figures`` takes a run folder (or a loaded ``RunResult``), or the pieces of a
run in memory: ``(model, split, history)``. The animation needs boundaries recorded
*during* training: pass the ``TrainingRecorder`` that watched the fit, or, for a run
folder, let this module train the run again from its ``spec.json`` — same data, split,
initial weights and shuffling (all fixed by the seed), so the same run, frame by frame.

Every file is written atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.io import atomic_write_bytes
from nnblocks.runs.figure_names import FIGURE_DESCRIPTIONS, FIGURE_FILES, FIGURE_NAMES, check_figure_names
from nnblocks.validation import check_integer, message
from nnblocks.viz.animation import TrainingRecorder, gif_bytes, render_frames
from nnblocks.viz.boundary import plot_decision_boundary
from nnblocks.viz.curves import plot_history
from nnblocks.viz.network_diagram import plot_network
from nnblocks.viz.neurons import plot_neuron_maps
from nnblocks.viz.style import figure_to_png

OWNER = "write_run_figures"
GIF_FRAMES = 20            # frames of training.gif when nobody says otherwise
RECORDING_RESOLUTION = 80  # grid points per side of each animation frame (cheap to record)
NEURON_RESOLUTION = 60     # at most this many grid points per side of a neuron map


@dataclass
class RunFigures:
    """What ``write_run_figures`` did: the files written and, for each figure left out, why."""

    written: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    retrained: bool = False           # the run was trained again to record training.gif
    notes: list[str] = field(default_factory=list)   # anything a person should know (e.g. weights differed)


def has_two_numeric_inputs(model) -> bool:
    """True when the model reads exactly two numeric columns: the data *is* a plane, nothing to choose."""
    kinds = model.inputs.input_kinds
    return len(kinds) == 2 and all(kind == "numeric" for kind in kinds.values())


def write_run_figures(source, out_dir: str | os.PathLike | None = None, which: Sequence[str] = FIGURE_NAMES, *,
                      resolution: int = 200, frames: int = GIF_FRAMES, method: str = "auto",
                      features: tuple = (0, 1), recorder: TrainingRecorder | None = None, retrain: bool = True,
                      fps: float = 5) -> RunFigures:
    """Draw a run's figures and write them into ``out_dir``; return what was written and skipped.

    Args:
        source: a run folder (path), a ``RunResult``, or ``(model, split, history)`` with a
            ``nnblocks.data.Split`` and a History (or its ``{"loss": [...], ...}`` dict).
        out_dir: where the files go; defaults to the run folder (required for the tuple form).
            Written into a run folder, the figures are also listed in its README.md.
        which: names from ``FIGURE_NAMES``.
        resolution: grid points per side of the boundary (and of the neuron maps, up to 60:
            each map is small, and there is one per neuron).
        frames: animation frames when the run is trained again for ``training.gif``.
        method, features: the plane, for data with more than two features ("slice" or "pca").
        recorder: a TrainingRecorder that watched the training; needed for the tuple form's GIF.
        retrain: for a run folder without ``recorder``, train the run again from its spec
            (deterministic) to record the GIF; False skips the GIF instead.
        fps: frames per second of the GIF.

    Example:
        >>> write_run_figures("runs/spiral-20250101-120000").written   # doctest: +SKIP
        {'decision_boundary': PosixPath('runs/spiral-.../decision_boundary.png'), ...}
    """
    which = check_figure_names(which, OWNER)
    resolution = check_integer("resolution", resolution, OWNER, minimum=2, maximum=2000)
    frames = check_integer("frames", frames, OWNER, minimum=1, maximum=1000)
    run, (model, split, history) = _pieces(source)
    if out_dir is None:
        if run is None:
            raise ParameterError(message("out_dir", OWNER, "a folder for the figures when source is "
                                         "(model, split, history)", None))
        out_dir = run.path
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    report = RunFigures()
    plane = {"method": method, "features": features}
    x_test, y_test = held_out_test(split)
    drawers = {
        "decision_boundary": lambda: plot_decision_boundary(
            model, split.x_train, split.y_train, x_test=x_test, y_test=y_test, resolution=resolution, **plane),
        "neurons": lambda: plot_neuron_maps(model, split.x_train, split.y_train,
                                            resolution=min(resolution, NEURON_RESOLUTION), **plane),
        "network": lambda: plot_network(model),
        "loss": lambda: plot_history(history),
    }
    for name in which:
        path = folder / FIGURE_FILES[name]
        if name == "training":
            gif = _training_gif(run, model, split, recorder, retrain, frames, plane, fps, report)
            if gif is not None:
                report.written[name] = atomic_write_bytes(path, gif)
            continue
        if name == "loss" and not history.get("loss"):
            report.skipped[name] = "no epoch finished, so there is no loss curve to draw"
            continue
        figure = drawers[name]()
        report.written[name] = atomic_write_bytes(path, figure_to_png(figure))
    if run is not None and folder.resolve() == run.path.resolve():
        _list_in_readme(run.path)
    return report


def _list_in_readme(folder: Path) -> None:
    """The run's README lists the figure files now in its folder (a run trained without them gets the list)."""
    from nnblocks.runs import update_readme_figures

    update_readme_figures(folder, {name: file for name, file in FIGURE_FILES.items() if (folder / file).is_file()})


def _pieces(source):
    """(run or None, (model, split, history as a dict)) from any accepted source."""
    from nnblocks.runs import RunResult, load_run, load_run_data, split_run_data

    if isinstance(source, (str, os.PathLike)):
        source = load_run(source)
    if isinstance(source, RunResult):
        split = split_run_data(source.spec, load_run_data(source.spec))
        return source, (source.model, split, dict(source.history))
    if isinstance(source, tuple) and len(source) == 3:
        model, split, history = source
        if not hasattr(split, "x_train"):
            raise ParameterTypeError(message("source", OWNER, "(model, split, history) with a Split from "
                                             "train_validation_test_split", type(split).__name__))
        history = getattr(history, "history", history)
        if not isinstance(history, dict):
            raise ParameterTypeError(message("source", OWNER, "(model, split, history) with a History or its "
                                             "dict of per-epoch lists", type(history).__name__))
        return None, (model, split, history)
    raise ParameterTypeError(message("source", OWNER, "a run folder, a RunResult or (model, split, history)",
                                     type(source).__name__))


def _training_gif(run, model, split, recorder, retrain, frames, plane, fps, report) -> bytes | None:
    if recorder is None:
        if run is None:
            report.skipped["training"] = ("no TrainingRecorder watched this training; pass recorder= the one given "
                                          "to fit(callbacks=[...])")
            return None
        if not retrain:
            report.skipped["training"] = "drawing the animation means training the run again; retrain=False"
            return None
        recorder = record_run_again(run, split, frames, plane, report)
    if not recorder.frames:
        report.skipped["training"] = "no epoch finished, so there are no frames to animate"
        return None
    return gif_bytes(render_frames(recorder), fps=fps)


def record_run_again(run, split, frames: int, plane: dict, report: RunFigures | None = None) -> TrainingRecorder:
    """Train ``run`` again from its spec with a TrainingRecorder watching, and return the recorder.

    Same spec and seed, so the same data, split, initial weights and batches: the frames are
    those of the original training. A run that stopped early is trained for the epochs it ran.
    If the retrained weights differ from the saved ones (a run interrupted mid-epoch, another
    nnblocks version), a note says so.
    """
    from nnblocks.runs import fit_prepared, prepare_run

    spec = run.spec if run.epochs_run in (0, run.spec.epochs) else run.spec.replace(epochs=run.epochs_run)
    prepared = prepare_run(spec)
    x_test, y_test = held_out_test(split)
    recorder = TrainingRecorder(split.x_train, split.y_train, epochs=frames, resolution=RECORDING_RESOLUTION,
                                x_test=x_test, y_test=y_test, **plane)
    fit_prepared(prepared, progress=False, callbacks=[recorder])
    if report is not None:
        report.retrained = True
        saved, again = run.model.get_weights(), prepared.model.get_weights()
        if saved.keys() != again.keys() or any(not np.allclose(saved[key], again[key], rtol=1e-4, atol=1e-6)
                                               for key in saved):
            report.notes.append("training.gif: the retrained weights differ from the saved model's (training was "
                                "interrupted mid-epoch, or another nnblocks version trained it); the animation "
                                "shows the retrained run")
    return recorder


def held_out_test(split) -> tuple:
    """(x_test, y_test) of a split, or (None, None) when it has no test part."""
    return (split.x_test, split.y_test) if split.y_test is not None and len(split.y_test) else (None, None)


__all__ = ["FIGURE_DESCRIPTIONS", "FIGURE_FILES", "FIGURE_NAMES", "RunFigures", "check_figure_names",
           "has_two_numeric_inputs", "record_run_again", "held_out_test", "write_run_figures"]
