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

from typing import Any

import numpy as np

from nnblocks.blocks.features import describe_names, parse_feature
from nnblocks.blocks.input_plan import (CATEGORICAL, NUMERIC, column_widths, output_names_of, plan_columns,
                                        scaled_positions)
from nnblocks.blocks.input_state import check_state, check_text_list, copy_json
from nnblocks.blocks.input_table import InputTable, check_finite, learn_categories, one_hot
from nnblocks.errors import DataError, NotFittedError, ParameterError, ParameterTypeError
from nnblocks.validation import message

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
        self.derived = check_text_list("derived", derived, "['x1^2', 'x1*x2']")
        self.features = [parse_feature(text) for text in self.derived]  # syntax errors surface here, early
        if scaling is None or (isinstance(scaling, str) and scaling.lower() == "none"):
            self.scaling = None
        elif isinstance(scaling, str) and scaling.lower() in SCALINGS:
            self.scaling = scaling.lower()
        else:
            raise ParameterError(message("scaling", "Inputs", "'standard', 'minmax' or None", scaling,
                                         "use 'standard' (mean 0, std 1), 'minmax' (to [-1, 1]) or None."))
        self.categorical = check_text_list("categorical", categorical, "['color']")
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
        table = InputTable(x, "adapt")
        names = table.names
        for name in self.categorical:
            if name not in names:
                raise ParameterError(message("categorical", "Inputs", f"a list of input column names "
                                             f"({describe_names(names)})", self.categorical,
                                             f"remove or correct {name!r}; it is not a column of x."))
        kinds = {name: CATEGORICAL if name in self.categorical or table.looks_categorical(name) else NUMERIC
                 for name in names}
        categories = {name: learn_categories(table.categorical_column(name), name)
                      for name in names if kinds[name] == CATEGORICAL}
        state = {"input_names": names, "input_kinds": [kinds[name] for name in names], "categories": categories}
        plan = self._plan(state)
        state["scaled_columns"] = [item.name for source, item in plan if source == "feature"]
        if self.scaling is not None:
            unscaled = self._assemble(table, state, plan, warn_unknown=False)  # (N, D_out)
            state.update(self._learn_statistics(unscaled[:, scaled_positions(plan, state)], state["scaled_columns"]))
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
        table = InputTable(x, "transform", expected_names=self._state["input_names"])
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
        return output_names_of(self._plan(state), state)

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
            config["state"] = copy_json(state)
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
            inputs._state = check_state(config["state"], inputs)
        return inputs

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={getattr(self, key)!r}" for key in ARGUMENTS)
        status = f"{len(self.input_names)} -> {self.output_size} columns" if self.is_adapted else "not adapted"
        return f"Inputs({arguments})  # {status}"

    # --- the machinery ---------------------------------------------------------------
    def _plan(self, state: dict[str, Any]) -> list[tuple[str, Any]]:
        """The output columns in order (see ``input_plan.plan_columns``)."""
        return plan_columns(state, self.features, self.include_original)

    def _assemble(self, table: InputTable, state: dict[str, Any], plan: list, warn_unknown: bool,
                  scale: bool = False) -> np.ndarray:
        """Fill the (N, D_out) matrix with derived features (scaled when ``scale``) and one-hot blocks.

        Each feature is computed and scaled as one contiguous column before it is written into the
        row-major output, which keeps large inputs fast (a row-major result slices cheaply into batches).
        """
        kinds = dict(zip(state["input_names"], state["input_kinds"]))
        raw = {name: table.numeric_column(name) for name in state["input_names"] if kinds[name] == NUMERIC}
        shifts, scales = self._shift_and_scale() if scale else ([], [])
        widths = column_widths(plan, state)
        output = np.zeros((table.rows, sum(widths)))  # (N, D_out)
        start, feature_index = 0, 0
        for (source, item), width in zip(plan, widths):
            if source == "onehot":
                block = output[:, start:start + width]  # (N, K) view
                one_hot(table.categorical_column(item), item, state["categories"][item], block, warn_unknown)
            else:
                with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported below, by column name
                    values = item.compute(raw)  # (N,) from the raw, unscaled inputs
                if item.operation in ("square", "product"):  # the only operations that can overflow finite input
                    check_finite(values, f"derived feature {item.name!r}", table.stage,
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
