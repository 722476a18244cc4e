"""The Inputs building block: what goes into a network, and how it is prepared.

A network only sees a matrix of numbers. ``Inputs`` turns a learner's data — a NumPy
array or a pandas DataFrame — into that matrix, and remembers how it did so:

1. **Schema.** The names and kinds (numeric or categorical) of the input columns.
   Arrays have the columns ``x1, x2, ...`` in order; DataFrames use their column names
   and are matched BY NAME later, so their column order may change.
2. **Derived features** (``derived=["x1^2", "x1*x2", "sin(x1)"]``), as in TensorFlow
   Playground, computed on the raw values. See ``nnblocks.blocks.features.GRAMMAR``.
3. **One-hot encoding** of categorical columns, with the categories seen by ``adapt``
   (sorted). A category that ``adapt`` never saw becomes an all-zeros row for that
   column and a warning, like scikit-learn's ``OneHotEncoder(handle_unknown="ignore")``.
4. **Scaling** of every non-one-hot output column: ``"standard"`` (x - mean) / std, or
   ``"minmax"`` to [-1, 1]; a constant column maps to 0 instead of dividing by zero.

Everything is learned by ``adapt`` from TRAINING data only, then reused by
``transform`` on any data, so validation and test sets never leak into the statistics.

Example:
    >>> import numpy as np
    >>> inputs = Inputs(derived=["x1^2", "x2^2"], include_original=False).adapt(np.random.randn(100, 2))
    >>> inputs.output_names
    ['x1^2', 'x2^2']
    >>> inputs.transform(np.zeros((5, 2))).shape   # (N, D_out)
    (5, 2)
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np
import pandas as pd

from nnblocks.blocks.features import GRAMMAR, DerivedFeature, describe_names, parse_feature
from nnblocks.errors import DataError, NotFittedError, ParameterError, ParameterTypeError
from nnblocks.validation import message

NUMERIC, CATEGORICAL = "numeric", "categorical"
SCALINGS = ("standard", "minmax")
ARGUMENTS = ("derived", "scaling", "categorical", "include_original")


class Inputs:
    """Schema of a network's inputs + the preprocessing fitted on training data.

    Args:
        derived: extra feature expressions such as ``["x1^2", "x1*x2", "sin(x1)"]``;
            duplicates of an output column already present are skipped.
        scaling: ``"standard"``, ``"minmax"`` (to [-1, 1]) or ``None``; one-hot columns are never scaled.
        categorical: names of columns to one-hot encode even though they hold numbers
            (text, category and bool DataFrame columns are categorical anyway).
        include_original: ``False`` keeps only the ``derived`` columns (TF Playground's feature toggles).
    """

    def __init__(self, derived: list[str] | None = None, scaling: str | None = "standard",
                 categorical: list[str] | None = None, include_original: bool = True) -> None:
        self.derived = _check_text_list("derived", derived, "['x1^2', 'x1*x2']")
        self.features = [parse_feature(text) for text in self.derived]  # syntax errors surface here, early
        if scaling is None or (isinstance(scaling, str) and scaling.lower() == "none"):
            self.scaling = None
        elif isinstance(scaling, str) and scaling.lower() in SCALINGS:
            self.scaling = scaling.lower()
        else:
            raise ParameterError(message("scaling", "Inputs", "'standard', 'minmax' or None", scaling,
                                         "use 'standard' (mean 0, std 1), 'minmax' (to [-1, 1]) or None."))
        self.categorical = _check_text_list("categorical", categorical, "['color']")
        if not isinstance(include_original, bool):
            raise ParameterTypeError(message("include_original", "Inputs", "True or False", include_original))
        if not include_original and not self.derived:
            raise ParameterError(message("include_original", "Inputs", "True when 'derived' is empty", False,
                                         "list the features to use in derived=[...], or keep include_original=True; "
                                         "otherwise the network would have no inputs at all."))
        self.include_original = include_original
        self._state: dict[str, Any] | None = None  # everything adapt learns; None until then

    # --- learning the schema and statistics ---------------------------------------------
    def adapt(self, x) -> "Inputs":
        """Learn names, kinds, categories and scaling statistics from TRAINING data ``x``; return self."""
        table = _Table(x, "adapt")
        names = table.names
        for name in self.categorical:
            if name not in names:
                raise ParameterError(message("categorical", "Inputs", f"a list of input column names "
                                             f"({describe_names(names)})", self.categorical,
                                             f"remove or correct {name!r}; it is not a column of x."))
        kinds = {name: CATEGORICAL if name in self.categorical or table.looks_categorical(name) else NUMERIC
                 for name in names}
        categories = {name: _learn_categories(table.categorical_column(name), name)
                      for name in names if kinds[name] == CATEGORICAL}
        state = {"input_names": names, "input_kinds": [kinds[name] for name in names], "categories": categories}
        plan = self._plan(state)
        state["scaled_columns"] = [item.name for source, item in plan if source == "feature"]
        if self.scaling is not None:
            unscaled = self._assemble(table, state, plan, warn_unknown=False)  # (N, D_out)
            state.update(self._learn_statistics(unscaled[:, _scaled_positions(plan, state)], state["scaled_columns"]))
        else:
            self._assemble(table, state, plan, warn_unknown=False)  # still checks every value of x
        self._state = state
        return self

    def _learn_statistics(self, values: np.ndarray, names: list[str]) -> dict[str, list[float]]:
        """Means and stds, or mins and maxes, of the (N, D_scaled) unscaled feature columns."""
        lowest, highest = values.min(axis=0), values.max(axis=0)
        if self.scaling == "standard":
            # A constant column (min == max, tested exactly) gets mean = its value and std 1, so it maps to
            # exactly 0; its computed std would be 0 or float dust like 1e-17, and dividing by that gives noise.
            constant = lowest == highest
            with np.errstate(over="ignore", invalid="ignore"):
                statistics = {"means": np.where(constant, lowest, values.mean(axis=0)),
                              "stds": np.where(constant, 1.0, values.std(axis=0))}  # population std, as StandardScaler
        else:
            statistics = {"mins": lowest, "maxes": highest}
        for key, numbers_found in statistics.items():
            if not np.isfinite(numbers_found).all():  # sums of values near 1e308 overflow
                name = names[int(np.argmin(np.isfinite(numbers_found)))]
                raise DataError(f"The {key} of column {name!r} overflowed while adapting Inputs (its values are too "
                                f"large, up to {np.abs(values[:, names.index(name)]).max():.3g}). Fix: rescale "
                                "that column (e.g. divide it by a constant) before adapt.")
        return {key: numbers_found.tolist() for key, numbers_found in statistics.items()}

    def transform(self, x) -> np.ndarray:
        """Return the (N, D_out) float64 matrix for ``x``, after checking it against the learned schema."""
        if self._state is None:
            raise NotFittedError("This Inputs block has not been adapted yet, so it does not know the columns or "
                                 "their statistics. Fix: call inputs.adapt(x_train) (fit on the training data) "
                                 "before transform or forward.")
        table = _Table(x, "transform", expected_names=self._state["input_names"])
        plan = self._plan(self._state)
        return self._assemble(table, self._state, plan, warn_unknown=True, scale=self.scaling is not None)

    def forward(self, x, training: bool = False) -> np.ndarray:
        """The first block of the forward pass: the same as ``transform`` (``training`` changes nothing)."""
        return self.transform(x)

    # --- what was learned ----------------------------------------------------------
    @property
    def is_adapted(self) -> bool:
        return self._state is not None

    @property
    def input_names(self) -> list[str]:
        """Names of the columns ``transform`` expects (``x1, x2, ...`` for arrays)."""
        return list(self._require_state("input_names")["input_names"])

    @property
    def input_kinds(self) -> dict[str, str]:
        """Input column name -> ``"numeric"`` or ``"categorical"``."""
        state = self._require_state("input_kinds")
        return dict(zip(state["input_names"], state["input_kinds"]))

    @property
    def categories(self) -> dict[str, list]:
        """Categorical column name -> its sorted categories, in one-hot column order."""
        return {name: list(values) for name, values in self._require_state("categories")["categories"].items()}

    @property
    def output_names(self) -> list[str]:
        """Names of the columns ``transform`` produces: ``x1``, ``color=red``, ``x1^2`` ..."""
        state = self._require_state("output_names")
        return _output_names(self._plan(state), state)

    @property
    def output_size(self) -> int:
        """D_out, the number of columns ``transform`` produces (the next layer's input size)."""
        return len(self.output_names)

    # --- saving and loading ------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Plain JSON: the constructor arguments and, once adapted, the learned state under ``"state"``."""
        config = {"derived": list(self.derived), "scaling": self.scaling, "categorical": list(self.categorical),
                  "include_original": self.include_original, "state": None}
        if self._state is not None:
            state = {key: value for key, value in self._state.items()}
            state["output_names"] = self.output_names  # kept in the file so a reader can see it
            config["state"] = _copy_json(state)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Inputs":
        """Rebuild an Inputs block, learned state included, from ``get_config()`` output."""
        if not isinstance(config, dict):
            raise ParameterTypeError(message("config", "Inputs.from_config", "a dict from Inputs.get_config()",
                                             type(config).__name__))
        unknown = sorted(set(config) - set(ARGUMENTS) - {"state"})
        if unknown:
            raise ParameterError(message("config", "Inputs.from_config", f"a dict with the keys "
                                         f"{', '.join(ARGUMENTS)}, state", f"unknown keys {unknown}",
                                         "pass the dict that Inputs.get_config() returned."))
        inputs = cls(**{key: config[key] for key in ARGUMENTS if key in config})
        if config.get("state") is not None:
            inputs._state = _check_state(config["state"], inputs)
        return inputs

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={getattr(self, key)!r}" for key in ARGUMENTS)
        status = f"{len(self.input_names)} -> {self.output_size} columns" if self.is_adapted else "not adapted"
        return f"Inputs({arguments})  # {status}"

    # --- the machinery ---------------------------------------------------------------
    def _plan(self, state: dict[str, Any]) -> list[tuple[str, Any]]:
        """The output columns in order: ("onehot", column) blocks and ("feature", DerivedFeature) columns.

        Originals come first, in input order (when ``include_original``), then the derived features.
        """
        kinds = dict(zip(state["input_names"], state["input_kinds"]))
        plan: list[tuple[str, Any]] = []
        if self.include_original:
            plan = [_plan_entry(DerivedFeature("identity", (name,)), kinds) for name in state["input_names"]]
        for feature in self.features:
            _check_operands(feature, kinds)
            entry = _plan_entry(feature, kinds)
            if entry not in plan:  # x1 listed in derived while originals are kept, or x1² next to x1^2
                plan.append(entry)
        return plan

    def _assemble(self, table: "_Table", state: dict[str, Any], plan: list, warn_unknown: bool,
                  scale: bool = False) -> np.ndarray:
        """Fill the (N, D_out) matrix with derived features (scaled when ``scale``) and one-hot blocks.

        Each feature is computed and scaled as one contiguous column before it is written into the
        row-major output, which keeps large inputs fast (a row-major result slices cheaply into batches).
        """
        kinds = dict(zip(state["input_names"], state["input_kinds"]))
        raw = {name: table.numeric_column(name) for name in state["input_names"] if kinds[name] == NUMERIC}
        shifts, scales = self._shift_and_scale() if scale else ([], [])
        widths = _widths(plan, state)
        output = np.zeros((table.rows, sum(widths)))  # (N, D_out)
        start, feature_index = 0, 0
        for (source, item), width in zip(plan, widths):
            if source == "onehot":
                block = output[:, start:start + width]  # (N, K) view
                _one_hot(table.categorical_column(item), item, state["categories"][item], block, warn_unknown)
            else:
                with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, by column name
                    values = item.compute(raw)  # (N,) from the raw, unscaled inputs
                if item.operation in ("square", "product"):  # the only operations that can overflow finite input
                    _check_finite(values, f"derived feature {item.name!r}", table.stage,
                                  "the raw values are too large for this feature; rescale that column first.")
                if scale:
                    values = (values - shifts[feature_index]) / scales[feature_index]
                output[:, start] = values
                feature_index += 1
            start += width
        return output

    def _shift_and_scale(self) -> tuple[np.ndarray, np.ndarray]:
        """(x - shift) / scale: mean and std, or the midpoint and half range; constant columns get scale 1 -> 0."""
        state = self._state
        if self.scaling == "standard":
            shift, scale = np.array(state["means"], dtype=float), np.array(state["stds"], dtype=float)
        else:
            low, high = np.array(state["mins"], dtype=float), np.array(state["maxes"], dtype=float)
            shift, scale = (low + high) / 2, (high - low) / 2
        # A constant column (min == max) has scale 0: divide by 1 so it maps to 0 instead of NaN.
        return shift, np.where(scale == 0, 1.0, scale)

    def _require_state(self, what: str) -> dict[str, Any]:
        if self._state is None:
            raise NotFittedError(f"Inputs.{what} is known only after adapt. Fix: call inputs.adapt(x_train) first.")
        return self._state


# ----------------------------------------------------------------------------------------
# Reading data: one small class so adapt and transform check x in exactly the same way.
# ----------------------------------------------------------------------------------------
class _Table:
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
        _check_finite(values, f"column {name!r}", self.stage,
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


def _check_finite(values: np.ndarray, what: str, stage: str, fix: str) -> None:
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


def _learn_categories(column: np.ndarray, name: str) -> list:
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


def _one_hot(column: np.ndarray, name: str, categories: list, block: np.ndarray, warn_unknown: bool) -> None:
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


def _plan_entry(feature: DerivedFeature, kinds: dict[str, str]) -> tuple[str, Any]:
    """A categorical column on its own becomes its one-hot block; anything else is one numeric feature."""
    if feature.operation == "identity" and kinds[feature.operands[0]] == CATEGORICAL:
        return ("onehot", feature.operands[0])
    return ("feature", feature)


def _check_operands(feature: DerivedFeature, kinds: dict[str, str]) -> None:
    """Every column a derived feature names must exist, and be numeric unless it stands alone."""
    numeric = describe_names([name for name, kind in kinds.items() if kind == NUMERIC]) or "none"
    for operand in feature.operands:
        if operand not in kinds:
            raise ParameterError(f"The 'derived' parameter of Inputs names the column {operand!r} in "
                                 f"{feature.name!r}, but x has no such column. The numeric columns are: "
                                 f"{numeric}. Fix: use one of those names.\n{GRAMMAR}")
        if kinds[operand] == CATEGORICAL and feature.operation != "identity":
            raise ParameterError(f"The 'derived' parameter of Inputs uses the categorical column {operand!r} "
                                 f"in {feature.name!r}; derived expressions need numeric columns ({numeric}). "
                                 f"Fix: use a numeric column, or list {operand!r} alone to include its one-hot "
                                 f"columns.\n{GRAMMAR}")


def _widths(plan: list, state: dict[str, Any]) -> list[int]:
    """How many output columns each plan entry fills: K categories for a one-hot block, else 1."""
    return [len(state["categories"][item]) if source == "onehot" else 1 for source, item in plan]


def _scaled_positions(plan: list, state: dict[str, Any]) -> list[int]:
    """Output column indices of the numeric (scaled) features; one-hot columns are left as 0/1."""
    starts = np.cumsum([0] + _widths(plan, state))
    return [int(start) for (source, _), start in zip(plan, starts) if source == "feature"]


def _output_names(plan: list, state: dict[str, Any]) -> list[str]:
    names = []
    for source, item in plan:
        if source == "onehot":
            names.extend(f"{item}={_format_category(value)}" for value in state["categories"][item])
        else:
            names.append(item.name)
    return names


def _format_category(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _check_text_list(parameter: str, value, example: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)) \
            or not all(isinstance(item, str) for item in value):
        raise ParameterTypeError(message(parameter, "Inputs", "a list of strings", value,
                                         f"pass a list such as {example}."))
    return list(value)


def _copy_json(value):
    """A deep copy made of plain lists, dicts, str, int, float and bool (NumPy scalars converted)."""
    if isinstance(value, dict):
        return {str(key): _copy_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy_json(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _check_state(state, inputs: Inputs) -> dict[str, Any]:
    """Validate a learned state read from a config (it may come from a file) before using it."""
    def bad(problem: str) -> ParameterError:
        return ParameterError(f"The 'config' parameter of Inputs.from_config has an invalid 'state': {problem}. "
                              "Fix: pass the dict Inputs.get_config() returned, unchanged.")
    if not isinstance(state, dict):
        raise bad(f"expected a dict, got {type(state).__name__}")
    state = _copy_json(state)
    names, kinds = state.get("input_names"), state.get("input_kinds")
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise bad("'input_names' must be a non-empty list of strings")
    if not isinstance(kinds, list) or len(kinds) != len(names) or not set(kinds) <= {NUMERIC, CATEGORICAL}:
        raise bad(f"'input_kinds' must list {NUMERIC!r} or {CATEGORICAL!r} for each of the {len(names)} inputs")
    categories = state.get("categories")
    wanted = {name for name, kind in zip(names, kinds) if kind == CATEGORICAL}
    if not isinstance(categories, dict) or set(categories) != wanted or not all(
            isinstance(values, list) and values and all(isinstance(value, (str, int, float)) for value in values)
            for values in categories.values()):
        raise bad(f"'categories' must give a non-empty list of strings, numbers or booleans for each "
                  f"categorical input ({sorted(wanted)})")
    plan = inputs._plan(state)
    expected_scaled = [item.name for source, item in plan if source == "feature"]
    if state.get("scaled_columns") != expected_scaled:
        raise bad(f"'scaled_columns' must be {expected_scaled}")
    if "output_names" in state and state.pop("output_names") != _output_names(plan, state):
        raise bad("'output_names' do not match the schema and the derived features")
    keys = {"standard": ("means", "stds"), "minmax": ("mins", "maxes"), None: ()}[inputs.scaling]
    for key in keys:
        values = state.get(key)
        if not isinstance(values, list) or len(values) != len(expected_scaled) or not all(
                isinstance(number, numbers.Real) and not isinstance(number, bool) and np.isfinite(number)
                for number in values):
            raise bad(f"'{key}' must be {len(expected_scaled)} finite numbers, one per scaled column")
    return state
