"""Files in a training run folder: the history as CSV, the final metrics as JSON.

Both are written atomically (see atomic.py), so a run interrupted while saving keeps
its previous history and metrics files whole. Readers treat the files as untrusted
and raise ModelFileError naming the file and the problem.
"""

from __future__ import annotations

import csv
import io
import math
import numbers
import os
from pathlib import Path

import numpy as np

from nnblocks.errors import ModelFileError, ParameterError, ParameterTypeError
from nnblocks.io.atomic import atomic_write_json, atomic_write_text
from nnblocks.io.model_files import MAX_JSON_BYTES, read_json_file, short
from nnblocks.validation import message

SPLITS = ("train", "validation", "test")


def write_history_csv(path: str | os.PathLike, history: dict[str, list[float]]) -> Path:
    """Write ``history`` as CSV: an ``epoch`` column (1, 2, ...) then one column per key.

    Every list must have one value per epoch. NaN is written as ``nan`` (a diverged run
    is still a record worth keeping). Floats use ``repr`` so they read back exactly.

    Example:
        >>> write_history_csv("runs/xor/history.csv", {"loss": [0.7, 0.5]})  # doctest: +SKIP
    """
    columns = _check_history(history)
    epochs = len(next(iter(columns.values()), []))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["epoch", *columns])
    for row in range(epochs):
        writer.writerow([row + 1, *(repr(values[row]) for values in columns.values())])
    return atomic_write_text(path, buffer.getvalue())


def read_history_csv(path: str | os.PathLike) -> dict[str, list[float]]:
    """Read a file written by write_history_csv; return ``{key: [value per epoch]}`` without ``epoch``."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path} does not exist; a run folder's history is written by write_history_csv.")
    if path.stat().st_size > MAX_JSON_BYTES:
        raise ModelFileError(f"{path} is {path.stat().st_size} bytes, too large for a history file.")
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (UnicodeDecodeError, csv.Error) as error:
        raise ModelFileError(f"{path} is not a readable CSV file ({error}).") from None
    if not rows or not rows[0] or rows[0][0] != "epoch":
        raise ModelFileError(f"{path} is not a history file: its first column must be 'epoch'.")
    names = rows[0][1:]
    history: dict[str, list[float]] = {name: [] for name in names}
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(rows[0]):
            raise ModelFileError(f"{path}, line {line}: expected {len(rows[0])} columns, found {len(row)}.")
        try:
            for name, cell in zip(names, row[1:]):
                history[name].append(float(cell))
        except ValueError:
            raise ModelFileError(f"{path}, line {line}: {short(cell)} is not a number.") from None
    return history


def write_metrics_json(path: str | os.PathLike, metrics: dict[str, dict[str, float]]) -> Path:
    """Write ``{"train": {...}, "validation": {...}, "test": {...}}`` as JSON; any split may be left out.

    Values must be finite numbers (stored as floats); NaN is refused with its location,
    since JSON cannot hold it.
    """
    return atomic_write_json(path, _check_metrics(metrics, "metrics", "write_metrics_json", ParameterError))


def read_metrics_json(path: str | os.PathLike) -> dict[str, dict[str, float]]:
    """Read a file written by write_metrics_json and check its shape."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path} does not exist; a run folder's metrics are written by write_metrics_json.")
    document = read_json_file(path, "Fix: write it again with write_metrics_json.")
    return _check_metrics(document, str(path), "read_metrics_json", ModelFileError)


def _check_history(history: object) -> dict[str, list[float]]:
    owner = "write_history_csv"
    if not isinstance(history, dict) or not history:
        raise ParameterTypeError(message("history", owner, "a non-empty dict of name -> list of numbers",
                                         short(history)))
    columns, lengths = {}, set()
    for name, values in history.items():
        if not isinstance(name, str) or name in ("", "epoch"):
            raise ParameterError(message("history", owner, "a dict whose keys are names other than 'epoch'",
                                         name, "the epoch column is written for you."))
        values = values.tolist() if isinstance(values, np.ndarray) else values
        if not isinstance(values, (list, tuple)) or not all(_is_number(value) for value in values):
            raise ParameterTypeError(message(f"history[{name!r}]", owner, "a list of numbers", short(values)))
        columns[name] = [float(value) for value in values]
        lengths.add(len(columns[name]))
    if len(lengths) > 1:
        found = {name: len(values) for name, values in columns.items()}
        raise ParameterError(message("history", owner, "lists of equal length (one value per epoch)", found))
    return columns


def _check_metrics(metrics: object, name: str, owner: str, error: type[Exception]) -> dict:
    # One check for writing (a ParameterError) and reading (a ModelFileError), so both agree on the shape.
    if not isinstance(metrics, dict):
        raise error(message(name, owner, "a dict like {'train': {...}, 'validation': {...}, 'test': {...}}",
                            type(metrics).__name__))
    result = {}
    for split in SPLITS:  # a fixed order, whatever order the caller used
        if split in metrics:
            values = metrics[split]
            if not isinstance(values, dict) or not all(isinstance(key, str) for key in values):
                raise error(message(f"{name}[{split!r}]", owner, "a dict of metric name -> number", short(values)))
            for key, value in values.items():
                if not _is_number(value) or not math.isfinite(value):
                    raise error(message(f"{name}[{split!r}][{key!r}]", owner, "a finite number",
                                        value if _is_number(value) else short(value)))
            result[split] = {key: float(value) for key, value in values.items()}
    unknown = sorted(set(metrics) - set(SPLITS), key=str)
    if unknown:
        raise error(message(name, owner, "a dict with keys from " + ", ".join(map(repr, SPLITS)), short(unknown),
                            "rename those splits."))
    return result


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
