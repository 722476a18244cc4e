"""What ``explain_step`` is given, checked and made ready: the model, one example and its target.

The model is copied to float64 (as ``gradient_check`` does), so the numbers are exact and
the original is untouched. The example may be a 1-D array, a one-row array or a one-row
DataFrame; anything else is refused with a message that says how to pass one row.
``weight_choices`` checks which weight the caller wants written out for each Dense layer.
"""

from __future__ import annotations

import numbers

import numpy as np
import pandas as pd

from nnblocks.blocks.layers import Dense
from nnblocks.errors import DataError, NotFittedError, ParameterError, ParameterTypeError
from nnblocks.validation import message

OWNER = "explain_step"


def check_fitted(model) -> None:
    """Refuse a model that has not been fitted (not built, or without a loss)."""
    required = getattr(model, "_require_fitted", None)
    if required is not None:
        required("explain a step")
    elif not getattr(model, "built", False) or getattr(model, "loss", None) is None:
        raise NotFittedError("explain_step needs a fitted model (built, with a loss). Fix: call model.fit first.")


def float64_copy(model):
    """An exact float64 twin of the model (as gradient_check makes one): same weights, classes, inputs."""
    config = model.get_config()
    config["dtype"] = "float64"
    copy = type(model).from_config(config)
    copy.set_weights(model.get_weights())
    copy.classes = getattr(model, "classes", None)
    return copy


def one_row(x_row, network):
    """The example as a one-row table the Inputs block accepts."""
    if isinstance(x_row, pd.DataFrame):
        if len(x_row) != 1:
            raise DataError(f"explain_step explains ONE example, but x_row has {len(x_row)} rows. "
                            "Fix: pass x.iloc[[i]] (a one-row DataFrame) or x[i].")
        return x_row
    if isinstance(x_row, pd.Series):
        return pd.DataFrame([x_row.to_dict()])
    values = np.asarray(x_row)
    if values.ndim == 1:
        values = values[None, :]
    if values.ndim != 2 or len(values) != 1:
        raise DataError(f"explain_step explains ONE example, but x_row has shape {values.shape}. "
                        "Fix: pass one row, shaped (D,) or (1, D).")
    return values


def one_target(y_row, network) -> np.ndarray:
    """The example's label (shape (1,)) or target value(s) (shape (1, K)), as ``network._prepare`` takes it."""
    values = np.asarray(y_row.to_numpy() if isinstance(y_row, (pd.Series, pd.DataFrame)) else y_row)
    units = network.layers[-1].output_shape[0]
    if network.loss.task == "regression":
        values = values.reshape(1, -1)
        if values.shape[1] != units:
            raise DataError(f"y_row must hold the {units} target value(s) of one example; got {values.size} "
                            "values. Fix: pass y[i].")
        return values
    if values.size != 1:
        raise DataError(f"y_row must be the label of one example; got {values.size} values. Fix: pass y[i] "
                        "or y[i:i+1].")
    return values.reshape(1)


def raw_inputs(x, network) -> dict[str, object]:
    """The example before the Inputs block, ``{column name: plain Python value}``."""
    names = network.inputs.input_names
    if isinstance(x, pd.DataFrame):
        return {name: _plain(x[name].iloc[0]) for name in names if name in x.columns}
    return {name: _plain(value) for name, value in zip(names, np.asarray(x)[0])}


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def weight_choices(weights, layers) -> dict[int, tuple[int, int]]:
    """``{position: (i, j)}`` from ``{layer name or position: (i, j)}``, every entry checked."""
    if weights is None:
        return {}
    if not isinstance(weights, dict):
        raise ParameterTypeError(message("weights", OWNER, "a dict {layer name or position: (i, j)}", weights))
    names = {layer.name: position for position, layer in enumerate(layers)}
    dense = [f"{layer.name} (position {position}, W is {layer.params['weight'].shape[0]}×"
             f"{layer.params['weight'].shape[1]})" for position, layer in enumerate(layers) if isinstance(layer, Dense)]
    choices = {}
    for key, entry in weights.items():
        if isinstance(key, str) and key in names:
            position = names[key]
        elif isinstance(key, numbers.Integral) and not isinstance(key, bool) and 0 <= key < len(layers):
            position = int(key)
        else:
            raise ParameterError(message("weights", OWNER, f"keyed by a Dense layer's name or position: "
                                         f"{', '.join(dense)}", key))
        layer = layers[position]
        if not isinstance(layer, Dense):
            raise ParameterError(message("weights", OWNER, f"keyed by a Dense layer; {layer.name} is a "
                                         f"{layer.type_name} layer without weights. The Dense layers are "
                                         f"{', '.join(dense)}", key))
        rows, columns = layer.params["weight"].shape
        valid = (isinstance(entry, (tuple, list)) and len(entry) == 2
                 and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in entry)
                 and 0 <= entry[0] < rows and 0 <= entry[1] < columns)
        if not valid:
            raise ParameterError(message(f"weights[{key!r}]", OWNER, f"a pair (i, j) with 0 <= i <= {rows - 1} "
                                         f"(inputs) and 0 <= j <= {columns - 1} (units) for {layer.name}", entry))
        choices[position] = (int(entry[0]), int(entry[1]))
    return choices
