"""Read a user's CSV file into a Dataset, with an error for every way it can go wrong.

The features stay a pandas DataFrame: numeric columns become float64 and text
columns become pandas categoricals of strings (the Inputs block one-hot encodes
them). The target keeps its original values; its task comes from ``infer_task``.
Missing values in *feature* columns are kept as NaN for the Inputs block to handle;
missing values in the *target* are refused, since there is nothing to learn from.
"""

from __future__ import annotations

import difflib
from pathlib import Path

import numpy as np
import pandas as pd

from nnblocks.data.dataset import Dataset
from nnblocks.data.tasks import encode_labels, infer_task
from nnblocks.errors import DataError
from nnblocks.validation import message

OWNER = "read_csv"
SNIFF_BYTES = 8192  # enough of the file's start to tell text from binary


def read_csv(path: str | Path, target: str, features: list[str] | None = None) -> Dataset:
    """Read ``path`` and return its ``target`` column as ``y`` and the ``features`` as ``x``.

    Args:
        path: a comma-separated text file with a header row.
        target: the name of the column to predict.
        features: the input columns, in the order wanted; None takes every other column.

    Returns:
        A Dataset whose ``x`` is a DataFrame and whose ``y`` is a NumPy array of the
        target's original values (float64 for regression).

    Raises:
        DataError: the file is missing, a folder, empty, binary or not parseable as CSV;
            the target or a feature is not a column; the target has NaN or one class;
            no feature column is left.

    Example:
        >>> data = read_csv("ratings.csv", target="rating")  # doctest: +SKIP
        >>> data.task  # doctest: +SKIP
        'regression'
    """
    path = Path(path)
    frame = _read_frame(path)
    columns = [str(column) for column in frame.columns]
    frame.columns = columns
    if target not in columns:
        raise DataError(message("target", OWNER, f"one of the columns of {path.name} ({_listing(columns)})", target,
                                _suggestion(target, columns)))
    labels = frame[target]
    missing = int(labels.isna().sum())
    if missing:
        first = int(np.flatnonzero(labels.isna().to_numpy())[0]) + 2  # +1 for the header, +1 to count from 1
        raise DataError(f"The target column '{target}' of {path.name} has {missing} missing value(s) (NaN) "
                        f"in {len(labels)} rows; the first is on line {first} of the file. "
                        "Fix: drop or fill those rows, or choose another target column.")
    task = infer_task(labels, name=f"target column '{target}' of {path.name}")
    feature_names = _choose_features(features, columns, target, path.name)
    x = pd.DataFrame({name: _feature_column(frame[name]) for name in feature_names}, index=frame.index)
    if task == "regression":
        y, class_names = labels.to_numpy(dtype=np.float64), None
    else:
        y, class_names = labels.to_numpy(), encode_labels(labels)[1]
    return Dataset(x=x, y=y, feature_names=feature_names, target_name=target, task=task, class_names=class_names,
                   name=path.stem, description=f"{len(frame)} rows of {path}; target '{target}' ({task}).")


def _read_frame(path: Path) -> pd.DataFrame:
    """Open the file with pandas, turning each failure into a DataError that says what to do."""
    expected = "the path of an existing CSV file"
    if not path.exists():
        raise DataError(message("path", OWNER, expected, str(path),
                                f"check the spelling; relative paths start from {Path.cwd()}."))
    if path.is_dir():
        csv_files = sorted(child.name for child in path.glob("*.csv"))[:5]
        hint = f"pick a file inside it, e.g. {', '.join(csv_files)}." if csv_files else "pick a .csv file."
        raise DataError(message("path", OWNER, expected + ", not a folder", str(path), hint))
    with path.open("rb") as handle:
        start = handle.read(SNIFF_BYTES)
    if b"\x00" in start:  # text files never hold NUL bytes; images, archives and spreadsheets do
        raise DataError(message("path", OWNER, "a text CSV file", str(path),
                                "this looks like a binary file (a spreadsheet, image or archive?); "
                                "export it as CSV first."))
    try:
        frame = pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError(message("path", OWNER, "a CSV file with a header row and data rows", str(path),
                                "the file is empty; write a header line such as 'x1,x2,label' and rows below it.")
                        ) from None
    except UnicodeDecodeError as error:
        raise DataError(message("path", OWNER, "a UTF-8 text CSV file", str(path),
                                f"re-save the file as UTF-8 ({error.reason} at byte {error.start}).")) from None
    except pd.errors.ParserError as error:
        raise DataError(message("path", OWNER, "a well-formed CSV file", str(path),
                                f"pandas could not parse it ({str(error).strip()}); check that every line has "
                                "the same number of commas and that quotes are closed.")) from None
    if len(frame) == 0:
        raise DataError(message("path", OWNER, "a CSV file with data rows", str(path),
                                f"the file has a header ({_listing([str(c) for c in frame.columns])}) but no rows."))
    return frame


def _choose_features(features: list[str] | None, columns: list[str], target: str, file_name: str) -> list[str]:
    """Check the requested feature columns, or take every column but the target."""
    if features is None:
        chosen = [column for column in columns if column != target]
    else:
        chosen = [features] if isinstance(features, str) else [str(name) for name in features]
        unknown = [name for name in chosen if name not in columns]
        if unknown:
            hints = "; ".join(f"for {name!r}, {_suggestion(name, columns)}" for name in unknown)
            raise DataError(message("features", OWNER, f"columns of {file_name} ({_listing(columns)})", unknown,
                                    hints))
        if target in chosen:
            raise DataError(message("features", OWNER, f"columns other than the target '{target}'", chosen,
                                    f"remove '{target}' from the features; a model cannot be given its answer."))
    if not chosen:
        raise DataError(f"No feature columns are left in {file_name}: its columns are {_listing(columns)} and "
                        f"'{target}' is the target. Fix: add input columns to the file, or pass features=[...].")
    return chosen


def _feature_column(column: pd.Series) -> pd.Series:
    """Numbers and booleans as float64; anything else as a categorical of strings."""
    if pd.api.types.is_numeric_dtype(column):  # bools count as numeric: True -> 1.0
        return column.astype(np.float64)
    return column.astype("category")  # missing cells stay missing (NaN), they do not become a "nan" category


def _listing(columns: list[str]) -> str:
    return ", ".join(f"'{column}'" for column in columns)


def _suggestion(name: object, columns: list[str]) -> str:
    """'did you mean ...?' from difflib, case-insensitively, or a generic fix."""
    if len(columns) == 1 and any(mark in columns[0] for mark in ";\t|"):  # one column named 'a;b;c'
        return "the file seems to use another separator than ','; save it with commas."
    lowered = {column.lower(): column for column in columns}
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=3, cutoff=0.6)
    if close:
        return f"did you mean {' or '.join(repr(lowered[match]) for match in close)}?"
    return "use one of the listed column names."
