"""Using a run after training: evaluate it again, predict with it, check its gradients.

Each function takes a RunResult from ``load_run`` (or ``train_run``) and returns plain
data; printing is left to the front ends.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from nnblocks.analysis.gradient_check import GradientCheckReport, gradient_check
from nnblocks.data import read_csv
from nnblocks.errors import ParameterError
from nnblocks.model import Sequential
from nnblocks.runs.data import load_run_data, read_inputs_csv, split_run_data
from nnblocks.runs.run_folder import RunResult
from nnblocks.runs.spec import RunSpec
from nnblocks.runs.train_run import build_model, evaluate_split, finite, output_units
from nnblocks.validation import check_integer, message


def evaluate_run(run: RunResult, csv: str | os.PathLike | None = None,
                 target: str | None = None) -> dict[str, dict[str, float]]:
    """Metrics of the run's model on its own splits, rebuilt from the spec, or on a CSV file.

    Returns ``{"train": {...}, "validation": {...}, "test": {...}}``, or ``{"csv": {...}}``
    for ``csv`` + ``target`` (the file must hold the model's input columns and the target).
    """
    model = run.model
    if csv is not None:
        if not target:
            raise ParameterError(message("target", "evaluate_run", "the target column's name when 'csv' is given",
                                         target, "name the column to compare the predictions with."))
        data = read_csv(csv, target, features=model.inputs.input_names)
        return {"csv": finite(model.evaluate(data.x, data.y))}
    data = load_run_data(run.spec)
    return evaluate_split(model, split_run_data(run.spec, data))


def predict_frame(model: Sequential, x) -> pd.DataFrame:
    """Predictions as a table: ``prediction`` and, for probabilistic classifiers, ``probability_<class>``."""
    table = pd.DataFrame({"prediction": model.predict(x)})
    if model.task != "regression" and model.loss.type_name != "hinge":
        probabilities = model.predict_proba(x)
        for index, name in enumerate(model.class_names):
            table[f"probability_{name}"] = probabilities[:, index]
    return table


def predict_csv(run: RunResult, csv: str | os.PathLike) -> pd.DataFrame:
    """Read the model's input columns from ``csv`` (other columns are ignored) and predict."""
    x = read_inputs_csv(csv, run.model.inputs.input_names)
    return predict_frame(run.model, x)


def check_run_gradients(run: RunResult, examples: int = 8, max_entries: int | None = None,
                        seed: int = 0) -> GradientCheckReport:
    """Gradient-check a run's model (as a float64 copy) on ``examples`` training rows."""
    data = load_run_data(run.spec)
    split = split_run_data(run.spec, data)
    x, y = _sample(split.x_train, split.y_train, examples, seed)
    return gradient_check(run.model, x, y, max_entries_per_parameter=max_entries, seed=seed)


def check_spec_gradients(spec: RunSpec, examples: int = 8, max_entries: int | None = None,
                         seed: int = 0) -> GradientCheckReport:
    """Gradient-check the network ``spec`` describes, after one short epoch of training on its data.

    The epoch is there so the inputs learn their scaling and the loss its classes; the
    check itself runs on a float64 copy and ``examples`` rows chosen at random.
    """
    data = load_run_data(spec)
    x_all, y_all = _sample(data.x, data.y, max(examples, min(len(data.y), 200)), seed)
    model = build_model(spec, data.task, output_units(data.task, y_all))
    model.fit(x_all, y_all, epochs=1, batch_size=spec.batch_size, optimizer=spec.optimizer,
              learning_rate=spec.learning_rate, verbose=False, seed=spec.seed)
    x, y = _sample(x_all, y_all, examples, seed)
    return gradient_check(model, x, y, max_entries_per_parameter=max_entries, seed=seed)


def _sample(x, y, count: int, seed: int):
    count = check_integer("examples", count, "gradient check", minimum=1)
    rows = np.random.default_rng(seed).permutation(len(y))[:count]
    x_part = x.iloc[rows] if isinstance(x, pd.DataFrame) else np.asarray(x)[rows]
    return x_part, np.asarray(y)[rows]
