"""The output columns of an ``Inputs`` block, in order, as they follow from its learned state.

A plan is a list of ``("onehot", column name)`` blocks (K columns, one per category) and
``("feature", DerivedFeature)`` columns (one numeric column each, scaled unless scaling is off).
``Inputs`` fills its output matrix from the plan; ``input_state`` checks a saved state against it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.blocks.features import GRAMMAR, DerivedFeature, describe_names
from nnblocks.errors import ParameterError

NUMERIC, CATEGORICAL = "numeric", "categorical"


def plan_columns(state: dict[str, Any], features: list[DerivedFeature],
                 include_original: bool) -> list[tuple[str, Any]]:
    """The output columns in order: ("onehot", column) blocks and ("feature", DerivedFeature) columns.

    Originals come first, in input order (when ``include_original``), then the derived features.
    """
    kinds = dict(zip(state["input_names"], state["input_kinds"]))
    plan: list[tuple[str, Any]] = []
    if include_original:
        plan = [_plan_entry(DerivedFeature("identity", (name,)), kinds) for name in state["input_names"]]
    for feature in features:
        _check_operands(feature, kinds)
        entry = _plan_entry(feature, kinds)
        if entry not in plan:  # x1 listed in derived while originals are kept, or x1² next to x1^2
            plan.append(entry)
    return plan


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


def column_widths(plan: list, state: dict[str, Any]) -> list[int]:
    """How many output columns each plan entry fills: K categories for a one-hot block, else 1."""
    return [len(state["categories"][item]) if source == "onehot" else 1 for source, item in plan]


def scaled_positions(plan: list, state: dict[str, Any]) -> list[int]:
    """Output column indices of the numeric (scaled) features; one-hot columns are left as 0/1."""
    starts = np.cumsum([0] + column_widths(plan, state))
    return [int(start) for (source, _), start in zip(plan, starts) if source == "feature"]


def output_names_of(plan: list, state: dict[str, Any]) -> list[str]:
    names = []
    for source, item in plan:
        if source == "onehot":
            names.extend(f"{item}={_format_category(value)}" for value in state["categories"][item])
        else:
            names.append(item.name)
    return names


def _format_category(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
