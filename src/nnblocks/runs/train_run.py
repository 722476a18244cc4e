"""One training run from a RunSpec: data, split, network, fit, evaluate, run folder.

This is the orchestration every front end shares (the CLI today, web pages later):

1. load the data the spec names and split it (stratified for classifiers, seeded);
2. build ``Sequential([Dense(h, activation) for h in hidden] + [Dense(outputs)])``
   with an ``Inputs`` block that learns its scaling from the training part only;
3. fit with the validation part watched after every epoch;
4. evaluate the train, validation and test parts;
5. write the run folder (see run_folder.py), atomically, ``spec.json`` last.

Training that stops early (a non-finite loss, Ctrl-C) still writes the folder: the
model keeps the weights it had, and ``RunResult.stop_reason`` says what happened.
"""

from __future__ import annotations

import math
import os
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
from nnblocks.runs.run_folder import (HISTORY_CSV, METRICS_JSON, MODEL_FOLDER, README_MD, SPEC_JSON, RunResult,
                                      render_readme, write_empty_history, write_spec_json)
from nnblocks.runs.spec import RunSpec
from nnblocks.validation import message

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


def train_run(spec: RunSpec | PreparedRun, out_dir: str | os.PathLike, progress: bool | None = None,
              callbacks=()) -> RunResult:
    """Train the run ``spec`` describes and write its folder ``out_dir``; return the RunResult.

    Args:
        spec: the run's settings, or a PreparedRun from ``prepare_run``.
        out_dir: the run folder (created; files already there are replaced).
        progress: show a progress bar: None only on a terminal, True always, False never.
        callbacks: extra training callbacks (``nnblocks.training.Callback``).

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
    validation = (split.x_validation, split.y_validation) if len(split.y_validation) else None
    history = model.fit(split.x_train, split.y_train, epochs=spec.epochs, batch_size=spec.batch_size,
                        optimizer=spec.optimizer, learning_rate=spec.learning_rate, validation_data=validation,
                        callbacks=list(callbacks), verbose=progress, seed=spec.seed)
    metrics = evaluate_split(model, split)
    result = RunResult(folder, spec, model, {key: list(values) for key, values in history.history.items()},
                       metrics, history.stop_reason)
    write_run_folder(result, prepared.data, split)
    return result


def write_run_folder(result: RunResult, data: Dataset, split: Split) -> Path:
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
    atomic_write_text(folder / README_MD, render_readme(result, data.description, split_sizes(split)))
    write_spec_json(folder / SPEC_JSON, result.spec, result.stop_reason)
    return folder
