"""Checking what an ``Inputs`` block is given: constructor lists, and a learned state read from a config.

A config may come from a file, so ``check_state`` validates the state ``adapt`` learned before
``Inputs.from_config`` uses it, and ``copy_json`` keeps it plain JSON (NumPy scalars converted).
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any

import numpy as np

from nnblocks.blocks.input_plan import CATEGORICAL, NUMERIC, output_names_of, plan_columns
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.validation import message

if TYPE_CHECKING:  # for the annotation only: inputs.py imports this module
    from nnblocks.blocks.inputs import Inputs


def check_text_list(parameter: str, value, example: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, (list, tuple)) \
            or not all(isinstance(item, str) for item in value):
        raise ParameterTypeError(message(parameter, "Inputs", "a list of strings", value,
                                         f"pass a list such as {example}."))
    return list(value)


def copy_json(value):
    """A deep copy made of plain lists, dicts, str, int, float and bool (NumPy scalars converted)."""
    if isinstance(value, dict):
        return {str(key): copy_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [copy_json(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def check_state(state, inputs: "Inputs") -> dict[str, Any]:
    """Validate a learned state read from a config (it may come from a file) before using it."""
    def bad(problem: str) -> ParameterError:
        return ParameterError(f"The 'config' parameter of Inputs.from_config has an invalid 'state': {problem}. "
                              "Fix: pass the dict Inputs.get_config() returned, unchanged.")
    if not isinstance(state, dict):
        raise bad(f"expected a dict, got {type(state).__name__}")
    state = copy_json(state)
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
    plan = plan_columns(state, inputs.features, inputs.include_original)
    expected_scaled = [item.name for source, item in plan if source == "feature"]
    if state.get("scaled_columns") != expected_scaled:
        raise bad(f"'scaled_columns' must be {expected_scaled}")
    if "output_names" in state and state.pop("output_names") != output_names_of(plan, state):
        raise bad("'output_names' do not match the schema and the derived features")
    keys = {"standard": ("means", "stds"), "minmax": ("mins", "maxes"), None: ()}[inputs.scaling]
    for key in keys:
        values = state.get(key)
        if not isinstance(values, list) or len(values) != len(expected_scaled) or not all(
                isinstance(number, numbers.Real) and not isinstance(number, bool) and np.isfinite(number)
                for number in values):
            raise bad(f"'{key}' must be {len(expected_scaled)} finite numbers, one per scaled column")
    return state
