"""One training run from a RunSpec: data, split, network, fit, evaluate, run folder.

This is the orchestration every front end shares (the CLI today, web pages later):

1. load the data the spec names and split it (stratified for classifiers, seeded);
2. build ``Sequential([Dense(h, activation) for h in hidden] + [Dense(outputs)])``
   with an ``Inputs`` block that learns its scaling from the training part only;
3. fit with the validation part watched after every epoch;
4. evaluate the train, validation and test parts;
5. write the run folder (see run_folder.py), atomically, ``spec.json`` last; with
   ``figures=True`` and two numeric inputs, also its figures (decision boundary, neuron
   maps, network, loss curves and a GIF of the boundary during training, recorded by a
   ``TrainingRecorder`` while the network trains; see ``nnblocks.viz.run_figures``).

Training that stops early (a non-finite loss, Ctrl-C) still writes the folder: the
model keeps the weights it had, and ``RunResult.stop_reason`` says what happened.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnblocks.blocks.inputs import Inputs
from nnblocks.blocks.layers import Dense, Dropout
from nnblocks.data import Dataset, Split
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.io import atomic_write_text, write_history_csv, write_metrics_json
from nnblocks.model import Sequential
from nnblocks.runs.data import load_run_data, split_run_data, split_sizes
from nnblocks.runs.figure_names import FIGURE_FILES, FIGURE_NAMES, check_figure_names
from nnblocks.runs.run_folder import (HISTORY_CSV, METRICS_JSON, MODEL_FOLDER, README_MD, SPEC_JSON, RunResult,
                                      render_readme, write_empty_history, write_spec_json)
from nnblocks.runs.spec import RunSpec
from nnblocks.validation import check_integer, message

LOSS_FOR_TASK = {"binary": "binary_cross_entropy", "multiclass": "softmax_cross_entropy", "regression": "mse"}


def output_units(task: str, y_train) -> int:
    """1 for binary and regression (one logit / one value), K for K classes."""
    if task != "multiclass":
        return 1
    labels = np.asarray(y_train)
    try:
        return len(np.unique(labels))
    except TypeError:  # labels of mixed types: counted as text, as Sequential does
        return len(np.unique(labels.astype(str)))


def build_model(spec: RunSpec, task: str, outputs: int) -> Sequential:
    """The network the spec describes, for a task with ``outputs`` output units (not yet built)."""
    layers = []
    for units in spec.hidden:
        layers.append(Dense(units, activation=spec.activation, l2=spec.l2))
        if spec.dropout > 0:
            layers.append(Dropout(spec.dropout))
    layers.append(Dense(outputs, l2=spec.l2))
    return Sequential(layers, loss=spec.loss or LOSS_FOR_TASK[task], inputs=Inputs(scaling=spec.scaling),
                      seed=spec.seed)


def evaluate_split(model: Sequential, split: Split) -> dict[str, dict[str, float]]:
    """``{"train": {...}, "validation": {...}, "test": {...}}``; an empty part gives ``{}``."""
    parts = {"train": (split.x_train, split.y_train), "validation": (split.x_validation, split.y_validation),
             "test": (split.x_test, split.y_test)}
    return {name: finite(model.evaluate(x, y)) if len(y) else {} for name, (x, y) in parts.items()}


def finite(metrics: dict[str, float]) -> dict[str, float]:
    """Drop undefined metrics (NaN, e.g. ROC AUC on a part with one class): JSON cannot hold them."""
    return {name: float(value) for name, value in metrics.items() if math.isfinite(value)}


@dataclass
class PreparedRun:
    """A run ready to train: its data loaded and split, its network built (inputs adapted)."""

    spec: RunSpec
    data: Dataset
    split: Split
    model: Sequential

    @property
    def sizes(self) -> dict[str, int]:
        """Rows in each part: ``{"train": ..., "validation": ..., "test": ...}``."""
        return split_sizes(self.split)


def prepare_run(spec: RunSpec) -> PreparedRun:
    """Load and split the data, build the network and adapt its inputs to the training part.

    Front ends call this first to show the data and the network summary before training;
    ``train_run`` accepts the result. Raises ParameterError / DataError for bad settings or data.
    """
    if not isinstance(spec, RunSpec):
        raise ParameterTypeError(message("spec", "prepare_run", "a RunSpec", type(spec).__name__))
    if spec.csv is not None:  # stored absolute, so `evaluate` works from any working directory
        spec = spec.replace(csv=str(Path(spec.csv).resolve()))
    data = load_run_data(spec)
    split = split_run_data(spec, data)
    model = build_model(spec, data.task, output_units(data.task, split.y_train))
    # What fit would do first; done here so the network can be summarised before training starts.
    model.inputs.adapt(split.x_train)
    model.build((model.inputs.output_size,))
    return PreparedRun(spec, data, split, model)


def fit_prepared(prepared: PreparedRun, progress: bool | None = None, callbacks=()):
    """Fit the prepared run's network as its spec says (the validation part watched); return the History.

    The one place a run is trained, so training it again (``nnblocks plot`` re-records the
    animation this way) repeats exactly the same steps.
    """
    spec, split, model = prepared.spec, prepared.split, prepared.model
    validation = (split.x_validation, split.y_validation) if len(split.y_validation) else None
    return model.fit(split.x_train, split.y_train, epochs=spec.epochs, batch_size=spec.batch_size,
                     optimizer=spec.optimizer, learning_rate=spec.learning_rate, validation_data=validation,
                     callbacks=list(callbacks), verbose=progress, seed=spec.seed, engine=spec.engine,
                     device=spec.device)


def train_run(spec: RunSpec | PreparedRun, out_dir: str | os.PathLike, progress: bool | None = None,
              callbacks=(), figures: bool | Sequence[str] = False, frames: int = 20) -> RunResult:
    """Train the run ``spec`` describes and write its folder ``out_dir``; return the RunResult.

    Args:
        spec: the run's settings, or a PreparedRun from ``prepare_run``.
        out_dir: the run folder (created; files already there are replaced).
        progress: show a progress bar: None only on a terminal, True always, False never.
        callbacks: extra training callbacks (``nnblocks.training.Callback``).
        figures: also write the run's figures into the folder: True for all five, or some of
            their names (``nnblocks.runs.FIGURE_NAMES``). Only when the data has
            two numeric features (the plane is the data itself); otherwise ``result.figure_notes``
            says why none were drawn (``nnblocks plot RUN --method pca`` draws them on a chosen plane).
        frames: frames of ``training.gif``, recorded while the network trains.

    Raises:
        ParameterError / DataError for bad settings or data, before anything is written.

    Example:
        >>> result = train_run(RunSpec(dataset="xor", epochs=20), "runs/xor", progress=False)  # doctest: +SKIP
        >>> result.metrics["test"]["accuracy"]                                                # doctest: +SKIP
        0.984
    """
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise ParameterError(message("out_dir", "train_run", "a folder path", str(folder),
                                     "that path is a file; choose a new folder name."))
    prepared = spec if isinstance(spec, PreparedRun) else prepare_run(spec)
    spec, split, model = prepared.spec, prepared.split, prepared.model
    plan = FigurePlan.make(figures, frames, prepared)
    history = fit_prepared(prepared, progress, [*callbacks, *plan.callbacks])
    metrics = evaluate_split(model, split)
    result = RunResult(folder, spec, model, {key: list(values) for key, values in history.history.items()},
                       metrics, history.stop_reason)
    write_run_folder(result, prepared.data, split, plan)
    return result


@dataclass
class FigurePlan:
    """Which figures a run will draw, and the recorder that watches training for the animation."""

    names: tuple[str, ...] = ()
    recorder: object = None        # a nnblocks.viz TrainingRecorder, or None
    reason: str | None = None      # why no figure is drawn, when figures were asked for

    @property
    def callbacks(self) -> list:
        return [self.recorder] if self.recorder is not None else []

    @classmethod
    def make(cls, figures: bool | Sequence[str], frames: int, prepared: PreparedRun) -> "FigurePlan":
        if figures is False or figures is None:
            return cls()
        names = FIGURE_NAMES if figures is True else check_figure_names(figures, "train_run")
        # Imported here: drawing needs matplotlib, which training without figures never loads.
        from nnblocks.viz.animation import TrainingRecorder
        from nnblocks.viz.run_figures import RECORDING_RESOLUTION, has_two_numeric_inputs, held_out_test

        frames = check_integer("frames", frames, "train_run", minimum=1, maximum=1000)
        model, split = prepared.model, prepared.split
        if not has_two_numeric_inputs(model):
            count = len(model.inputs.input_names)
            return cls(reason=f"the data has {count} input column{'s' if count != 1 else ''}, not two numeric ones, "
                              "so there is no single plane to draw; `nnblocks plot RUN --method pca` (or --method "
                              "slice --features a,b) draws them on a plane you choose")
        recorder = None
        if "training" in names:
            x_test, y_test = held_out_test(split)
            recorder = TrainingRecorder(split.x_train, split.y_train, epochs=frames,
                                        resolution=RECORDING_RESOLUTION, x_test=x_test, y_test=y_test)
        return cls(names, recorder)


def write_run_folder(result: RunResult, data: Dataset, split: Split, plan: FigurePlan | None = None) -> Path:
    """Write every file of the run folder; ``spec.json`` last, as the mark of a complete run."""
    folder = result.path
    folder.mkdir(parents=True, exist_ok=True)
    (folder / SPEC_JSON).unlink(missing_ok=True)  # an older run here is no longer complete
    result.model.save(folder / MODEL_FOLDER)
    if result.history:
        write_history_csv(folder / HISTORY_CSV, result.history)
    else:
        write_empty_history(folder / HISTORY_CSV)
    write_metrics_json(folder / METRICS_JSON, result.metrics)
    write_figures(result, split, plan or FigurePlan())
    atomic_write_text(folder / README_MD, render_readme(result, data.description, split_sizes(split)))
    write_spec_json(folder / SPEC_JSON, result.spec, result.stop_reason)
    return folder


def write_figures(result: RunResult, split: Split, plan: FigurePlan) -> None:
    """Draw the planned figures into the run folder; record what was written in ``result``.

    A figure that fails to draw must not cost the trained model: the error is noted in
    ``result.figure_notes`` and the rest of the folder is still written. Figure files of an
    earlier run in the same folder are removed: they would show another model.
    """
    if plan.reason:
        result.figure_notes.append(f"No figures: {plan.reason}.")
    elif plan.names:
        from nnblocks.viz.run_figures import write_run_figures

        try:
            report = write_run_figures((result.model, split, result.history), result.path, plan.names,
                                       recorder=plan.recorder)
            result.figures.update({name: path.name for name, path in report.written.items()})
            result.figure_notes.extend(f"{FIGURE_FILES[name]} skipped: {why}." for name, why in report.skipped.items())
        except Exception as error:  # noqa: BLE001 - any drawing failure; the run itself is fine
            text = f"The figures could not be drawn ({type(error).__name__}: {error}); the run folder is complete."
            result.figure_notes.append(text)
            warnings.warn(text, RuntimeWarning, stacklevel=3)
    for name, file in FIGURE_FILES.items():
        if name not in result.figures:
            (result.path / file).unlink(missing_ok=True)
