"""Reading an ``Inputs`` block's data: a 2-D array or DataFrame, checked, column by column.

``InputTable`` checks ``x``'s shape and column names, and that every value is a finite number
(or, in a categorical column, present), with a ``DataError`` that names the column and says how
to fix it. Categorical columns are also learned (``learn_categories``) and one-hot encoded
(``one_hot``) here, since both work on the raw column values.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import pandas as pd

from nnblocks.blocks.features import describe_names
from nnblocks.errors import DataError


# Reading data: one small class so adapt and transform check x in exactly the same way.
class InputTable:
    """A 2-D array or DataFrame, checked, with its columns fetched by name."""

    def __init__(self, x, stage: str, expected_names: list[str] | None = None) -> None:
        self.stage = stage
        self.frame: pd.DataFrame | None = None
        if isinstance(x, pd.Series):
            raise _shape_error(stage, f"a pandas Series of length {len(x)} (1-D)",
                               "pass x.to_frame() for one feature, or a DataFrame with one column per feature.")
        if isinstance(x, pd.DataFrame):
            self.frame, self.array = x, None
            self.names = [str(column) for column in x.columns]
            if len(set(self.names)) < len(self.names):
                repeated = sorted({name for name in self.names if self.names.count(name) > 1})
                raise DataError(f"The 'x' argument of Inputs.{stage} has repeated column names: {repeated}. "
                                "Fix: rename the columns so every name is unique.")
            self.rows = len(x)
        else:
            self.array = _as_array(x, stage)
            self.rows, width = self.array.shape
            self.names = [f"x{index + 1}" for index in range(width)]
        if self.rows == 0:
            raise DataError(f"The 'x' argument of Inputs.{stage} must have at least 1 row. Got 0 rows "
                            f"(shape ({self.rows}, {len(self.names)})) instead. Fix: check the data loading "
                            "or filtering that produced x.")
        if not self.names:
            raise DataError(f"The 'x' argument of Inputs.{stage} must have at least 1 column (feature). "
                            f"Got 0 columns instead. Fix: pass the feature columns.")
        if expected_names is not None:
            self._match(expected_names)

    def _match(self, expected: list[str]) -> None:
        """Check the columns against the schema: arrays by position, DataFrames by name."""
        if self.frame is None:
            if len(self.names) != len(expected):
                raise DataError(f"Inputs.transform expected {len(expected)} features ({describe_names(expected)}), "
                                f"got {len(self.names)} (an array of shape {self.array.shape}). Fix: pass the same "
                                "columns, in the same order, as the data given to adapt.")
            self.names = list(expected)  # arrays are matched by position
            return
        missing = [name for name in expected if name not in self.names]
        extra = [name for name in self.names if name not in expected]
        if missing or extra:
            problems = []
            if missing:
                problems.append(f"missing the column(s) {missing} that adapt saw")
            if extra:
                problems.append(f"has the column(s) {extra} that adapt did not see")
            fix = f"add the missing column(s); drop the others with x.drop(columns={extra})" if extra else \
                "add the missing column(s)"
            if len(missing) == len(extra):
                fix += "; if only the names differ, rename them, or pass x.to_numpy() to match columns by position"
            raise DataError(f"The DataFrame given to Inputs.transform is {' and '.join(problems)}. Expected the "
                            f"columns {describe_names(expected)} (any order). Fix: {fix}.")

    def _raw(self, name: str):
        """The column as adapt/transform received it: a pandas Series or a 1-D array slice."""
        if self.frame is not None:
            return self.frame.iloc[:, self.names.index(name)]
        return self.array[:, self.names.index(name)]

    def looks_categorical(self, name: str) -> bool:
        """DataFrame columns of text, object, category or bool dtype are categorical."""
        if self.frame is None:
            return False
        dtype = self._raw(name).dtype
        return (pd.api.types.is_bool_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)
                or pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))

    def numeric_column(self, name: str) -> np.ndarray:
        """The column as finite float64 values (N,), or a DataError naming the column."""
        column = self._raw(name)
        dtype = column.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            column, dtype = column.astype(object), np.dtype(object)
        if pd.api.types.is_bool_dtype(dtype) or (pd.api.types.is_numeric_dtype(dtype)
                                                 and not pd.api.types.is_complex_dtype(dtype)):
            values = column.to_numpy(dtype=float, na_value=np.nan) if self.frame is not None \
                else column.astype(float)
        elif pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            values = _text_to_numbers(column, name, self.stage)
        else:
            raise DataError(f"Column {name!r} of x in Inputs.{self.stage} must hold real numbers. Got the dtype "
                            f"{dtype} instead. Fix: convert it to numbers (e.g. a timestamp to seconds), or drop it.")
        check_finite(values, f"column {name!r}", self.stage,
                     "impute them (e.g. fill with the column mean, or sklearn.impute.SimpleImputer) "
                     "or drop those rows (df.dropna()).")
        return values

    def categorical_column(self, name: str) -> np.ndarray:
        """The column as an object array (N,) of categories, with no missing values."""
        column = self._raw(name)
        if self.frame is not None:
            column = column.astype(object).to_numpy()
        missing = pd.isna(column)
        if missing.any():
            raise DataError(f"Categorical column {name!r} of x in Inputs.{self.stage} has {int(missing.sum())} missing "
                            f"values (of {len(column)} rows, first at row {int(np.argmax(missing))}). Fix: fill them "
                            f"with a category of their own (df[{name!r}].fillna('missing')) or drop those rows.")
        return column


def _as_array(x, stage: str) -> np.ndarray:
    """Turn array-like ``x`` into a 2-D NumPy array, or raise a DataError that says how to fix it."""
    try:
        array = np.asarray(x)
    except ValueError as error:  # ragged nested lists
        raise DataError(f"The 'x' argument of Inputs.{stage} must be a 2-D array (n_samples, n_features). Got "
                        f"rows of different lengths instead ({error}). Fix: make every row the same length.") from None
    if array.ndim == 1:
        raise _shape_error(stage, f"a 1-D array of shape {array.shape}",
                           "use x.reshape(-1, 1) if it is one feature, or x.reshape(1, -1) if it is one sample.")
    if array.ndim != 2:
        raise _shape_error(stage, f"a {array.ndim}-D array of shape {array.shape}",
                           "flatten each sample first, e.g. x.reshape(len(x), -1), or use a layer made for images.")
    if array.dtype.kind not in "biufOUS":
        raise DataError(f"The 'x' argument of Inputs.{stage} must hold real numbers. Got an array of dtype "
                        f"{array.dtype} instead. Fix: convert it with x.astype(float), or pass a pandas DataFrame "
                        "so text columns become categorical.")
    return array


def _shape_error(stage: str, received: str, fix: str) -> DataError:
    return DataError(f"The 'x' argument of Inputs.{stage} must be 2-D (n_samples, n_features). Got {received} "
                     f"instead. Fix: {fix}")


def _text_to_numbers(column, name: str, stage: str) -> np.ndarray:
    """Convert an object/text column to floats; name the column and show a bad value if one is not a number."""
    series = pd.Series(np.asarray(column, dtype=object))
    numbers_found = pd.to_numeric(series, errors="coerce")
    bad = numbers_found.isna() & series.notna()
    if bad.any():
        example = series[bad].iloc[0]
        raise DataError(f"Column {name!r} of x in Inputs.{stage} must hold numbers. Got text such as {example!r} "
                        f"in {int(bad.sum())} of {len(series)} rows (first at row {int(np.argmax(bad.to_numpy()))}) "
                        f"instead. Fix: clean the column (pd.to_numeric(df[{name!r}], errors='coerce') then impute), "
                        f"or list it in categorical=[{name!r}] when adapting to one-hot encode it.")
    return numbers_found.to_numpy(dtype=float, na_value=np.nan)


def check_finite(values: np.ndarray, what: str, stage: str, fix: str) -> None:
    finite = np.isfinite(values)
    if finite.all():
        return
    not_a_number = int(np.isnan(values).sum())
    infinite = int((~finite).sum()) - not_a_number
    counts = " and ".join(text for count, text in ((not_a_number, f"{not_a_number} NaN"),
                                                   (infinite, f"{infinite} infinite")) if count)
    raise DataError(f"The {what} of x in Inputs.{stage} must be finite. Got {counts} value(s) "
                    f"({not_a_number + infinite} of {len(values)} rows, first at row {int(np.argmin(finite))}) "
                    f"instead. Fix: {fix}")


def learn_categories(column: np.ndarray, name: str) -> list:
    """The sorted distinct values of a categorical column, as plain JSON values (str, int, float or bool)."""
    distinct = pd.unique(column)
    kinds = {"boolean" if isinstance(value, (bool, np.bool_)) else
             "number" if isinstance(value, numbers.Real) else
             "text" if isinstance(value, str) else type(value).__name__ for value in distinct}
    if len(kinds) > 1 or not kinds <= {"boolean", "number", "text"}:
        raise DataError(f"Categorical column {name!r} must hold values of one kind (all text, all numbers or all "
                        f"booleans). Got {sorted(kinds)} instead. Fix: convert it, e.g. df[{name!r}].astype(str).")
    kind = kinds.pop()
    plain = {"boolean": bool, "text": str,
             "number": lambda value: int(value) if isinstance(value, numbers.Integral) else float(value)}[kind]
    return sorted(plain(value) for value in distinct)


def one_hot(column: np.ndarray, name: str, categories: list, block: np.ndarray, warn_unknown: bool) -> None:
    """Write the one-hot encoding of ``column`` into ``block`` (N, K); unseen values stay all-zeros."""
    codes = pd.Index(categories, dtype=object).get_indexer(column)  # -1 for a value adapt never saw
    known = codes >= 0
    block[np.flatnonzero(known), codes[known]] = 1.0
    if warn_unknown and not known.all():
        unseen = pd.unique(column[~known])
        shown = ", ".join(repr(value) for value in unseen[:5]) + (", ..." if len(unseen) > 5 else "")
        warnings.warn(f"Column {name!r} has {len(unseen)} value(s) that adapt never saw ({shown}) in "
                      f"{int((~known).sum())} row(s); their one-hot columns are all zeros (like scikit-learn's "
                      f"OneHotEncoder(handle_unknown='ignore')). Known categories: {categories[:10]}.",
                      UserWarning, stacklevel=4)
