"""The data of a run: load it from a spec, split it, read a CSV of new inputs.

Every function here is deterministic given the spec, which is what lets
``evaluate`` rebuild a run's train / validation / test parts from ``spec.json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nnblocks.data import Dataset, Split, load_dataset, read_csv, train_validation_test_split
from nnblocks.errors import DataError
from nnblocks.runs.spec import RunSpec


def load_run_data(spec: RunSpec) -> Dataset:
    """The data set the spec names, with ``x`` as a DataFrame whose columns are the feature names.

    Built-in sets come as arrays; naming their columns means the saved model knows its
    inputs by name, so ``predict`` can read a CSV whose columns are in any order. Their
    class codes 0..K-1 become the class names ("negative"/"positive", "setosa", ...), so
    the model predicts names and its probability columns are named after the classes.
    """
    if spec.csv is not None:
        return read_csv(spec.csv, spec.target)
    data = load_dataset(spec.dataset, n_samples=spec.n_samples, noise=spec.noise, seed=spec.seed)
    if not isinstance(data.x, pd.DataFrame):
        data.x = pd.DataFrame(np.asarray(data.x), columns=list(data.feature_names))
    if data.class_names is not None:
        data.y = np.asarray(data.class_names, dtype=object)[np.asarray(data.y, dtype=np.int64)]
    return data


def split_run_data(spec: RunSpec, data: Dataset) -> Split:
    """Train / validation / test parts, stratified for classifiers, seeded by ``spec.seed``."""
    return train_validation_test_split(data.x, data.y, validation=spec.validation_fraction, test=spec.test_fraction,
                                       stratify=data.task != "regression", seed=spec.seed)


def split_sizes(split: Split) -> dict[str, int]:
    return {"train": len(split.y_train), "validation": len(split.y_validation), "test": len(split.y_test)}


def read_inputs_csv(path: str | Path, input_names: list[str]) -> pd.DataFrame:
    """Read the input columns ``input_names`` from a CSV file (other columns are ignored).

    Raises DataError when the file is missing or unreadable, or lacks one of the columns.
    """
    path = Path(path)
    if not path.is_file():
        where = "is a folder" if path.is_dir() else "does not exist"
        raise DataError(f"The CSV file {path} {where}. Fix: pass the path of a CSV file with the columns "
                        f"{_listing(input_names)} (relative paths start from {Path.cwd()}).")
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"The CSV file {path} is empty. Fix: write a header line ({','.join(input_names)}) "
                        "and one row per example.") from None
    except (UnicodeDecodeError, pd.errors.ParserError) as error:
        raise DataError(f"The file {path} cannot be read as CSV ({str(error).strip()[:200]}). "
                        "Fix: save it as UTF-8 text with commas between the columns.") from None
    frame.columns = [str(column) for column in frame.columns]
    missing = [name for name in input_names if name not in frame.columns]
    if missing:
        raise DataError(f"The CSV file {path} lacks the input column(s) {_listing(missing)}. The model needs the "
                        f"columns {_listing(input_names)}; the file has {_listing(list(frame.columns))}. "
                        "Fix: add the missing columns (names must match exactly).")
    if len(frame) == 0:
        raise DataError(f"The CSV file {path} has a header but no rows. Fix: add one row per example.")
    return frame[input_names]


def _listing(names: list[str], limit: int = 12) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")
