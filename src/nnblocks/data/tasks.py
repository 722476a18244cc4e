"""Decide what kind of problem a target column poses, and turn labels into codes.

The rule used by :func:`infer_task`, in order:

1. A target with a missing value (NaN/None) or no rows at all is refused (DataError).
2. One distinct value is refused: there is nothing to learn (DataError, "single class").
3. Text, booleans, categories and other objects are labels: classification.
4. Integers are labels when there are exactly two distinct values, or when there are
   at most ``MAXIMUM_CLASSES`` (20) distinct values that make up less than
   ``MAXIMUM_UNIQUE_FRACTION`` (50 %) of the rows. Otherwise they are counts or
   amounts: regression.
5. Floats follow the integer rule when every value is a whole number (a CSV column
   of 0.0/1.0 is still labels); any fractional value makes them regression.

Two classes give "binary", more give "multiclass".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nnblocks.errors import DataError

MAXIMUM_CLASSES = 20
MAXIMUM_UNIQUE_FRACTION = 0.5


def infer_task(y: object, name: str = "target") -> str:
    """Return "binary", "multiclass" or "regression" for the targets ``y``.

    Args:
        y: the targets, any 1-D array-like (array, list, pandas Series).
        name: how to call ``y`` in error messages (a column name, say).

    Returns:
        The task name; see the module docstring for the rule.

    Raises:
        DataError: ``y`` is empty, holds missing values, or has a single distinct value.

    Example:
        >>> infer_task(["cat", "dog", "cat"])
        'binary'
    """
    series = _as_series(y, name)
    distinct = series.unique()
    if len(distinct) == 1:
        raise DataError(
            f"The {name} has a single class: every one of its {len(series)} rows is '{_label_text(distinct[0])}'. "
            "A model needs at least two different target values to learn anything. "
            "Fix: choose another target column, or add rows of the other classes.")
    if _looks_like_labels(series, len(distinct)):
        return "binary" if len(distinct) == 2 else "multiclass"
    return "regression"


def encode_labels(y: object, name: str = "target") -> tuple[np.ndarray, list[str]]:
    """Map class labels to codes 0..K-1 in sorted order of the labels.

    Returns:
        ``(codes, class_names)``: int64 codes (N,) and the K labels as strings, so that
        ``class_names[codes[i]]`` names example i. Whole-number floats are written
        without ".0" (the label 1.0 is named "1").

    Example:
        >>> encode_labels(["dog", "cat", "dog"])
        (array([1, 0, 1]), ['cat', 'dog'])
    """
    series = _as_series(y, name)
    try:
        classes, codes = np.unique(series.to_numpy(), return_inverse=True)
    except TypeError:  # mixed types such as 1 and "a" cannot be sorted together; compare as text
        classes, codes = np.unique(series.astype(str).to_numpy(), return_inverse=True)
    return codes.astype(np.int64).reshape(-1), [_label_text(value) for value in classes]


def _as_series(y: object, name: str) -> pd.Series:
    """Check ``y`` is a non-empty 1-D column without missing values and return it as a Series."""
    if np.ndim(y) != 1:
        raise DataError(f"The {name} must be one column of values (1-D). Got shape {np.shape(y)} instead. "
                        "Fix: pass a single column, e.g. data[:, 0] or frame['label'].")
    series = y if isinstance(y, pd.Series) else pd.Series(np.asarray(y))
    if len(series) == 0:
        raise DataError(f"The {name} has no rows. Fix: pass at least two examples.")
    missing = int(series.isna().sum())
    if missing:
        raise DataError(f"The {name} has {missing} missing value(s) (NaN) out of {len(series)} rows. "
                        "Fix: drop or fill those rows before training.")
    return series


def _looks_like_labels(series: pd.Series, distinct: int) -> bool:
    """Apply rules 3 to 5 of the module docstring."""
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        return True  # text, categories, objects: always labels
    if pd.api.types.is_float_dtype(series):
        values = series.to_numpy(dtype=np.float64)
        if not np.all(np.isfinite(values)) or not np.all(values == np.round(values)):
            return False  # a fractional value means a measured amount
    elif not pd.api.types.is_integer_dtype(series):
        return False  # complex numbers and the like: leave to regression checks downstream
    if distinct == 2:
        return True
    return distinct <= MAXIMUM_CLASSES and distinct < MAXIMUM_UNIQUE_FRACTION * len(series)


def _label_text(value: object) -> str:
    """Name a class: whole floats lose their '.0' so 1.0 reads as '1'."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)
