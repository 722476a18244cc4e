"""Parameter checks with one message template.

Every check produces the same shape of message, after scikit-learn's
``_param_validation``::

    The 'units' parameter of Dense must be a positive integer. Got 0 instead. Fix: ...

so a user always learns which parameter, what was expected and what was received.
Checks are cheap and run when objects are built, never inside the training hot path.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

from nnblocks.errors import ParameterError, ParameterTypeError


def message(name: str, owner: str, expected: str, received: object, fix: str | None = None) -> str:
    """Format the one message template used for every parameter error."""
    text = f"The '{name}' parameter of {owner} must be {expected}. Got {received!r} instead."
    if fix:
        text += f" Fix: {fix}"
    return text


def check_choice(name: str, value: object, choices: Iterable[str], owner: str) -> str:
    """Return ``value`` if it is one of ``choices`` (case-insensitive), else raise listing them."""
    options = sorted(choices)
    if isinstance(value, str) and value.lower() in options:
        return value.lower()
    expected = "one of " + ", ".join(repr(option) for option in options)
    raise ParameterError(message(name, owner, expected, value, "use one of the names listed."))


def check_integer(name: str, value: object, owner: str, minimum: int | None = None,
                  maximum: int | None = None) -> int:
    """Return ``value`` as int if it is an integer in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterTypeError(message(name, owner, _describe_range("an integer", minimum, maximum), value))
    value = int(value)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ParameterError(message(name, owner, _describe_range("an integer", minimum, maximum), value))
    return value


def check_number(name: str, value: object, owner: str, minimum: float | None = None,
                 maximum: float | None = None, strict_minimum: bool = False) -> float:
    """Return ``value`` as float if it is a finite real number in range.

    ``strict_minimum`` makes the lower bound exclusive (a learning rate must be > 0).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterTypeError(message(name, owner, _describe_range("a number", minimum, maximum, strict_minimum),
                                         value))
    value = float(value)
    too_small = minimum is not None and (value <= minimum if strict_minimum else value < minimum)
    too_big = maximum is not None and value > maximum
    if value != value or too_small or too_big:  # value != value catches NaN
        raise ParameterError(message(name, owner, _describe_range("a number", minimum, maximum, strict_minimum),
                                     value))
    return value


def _describe_range(kind: str, minimum: float | None, maximum: float | None, strict: bool = False) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} in the range [{minimum}, {maximum}]" if not strict else f"{kind} in ({minimum}, {maximum}]"
    if minimum is not None:
        if minimum == 0 and strict:
            return f"a positive {kind.split()[-1]} (> 0)"
        if minimum == 1 and kind == "an integer":
            return "a positive integer (>= 1)"
        return f"{kind} {'>' if strict else '>='} {minimum}"
    if maximum is not None:
        return f"{kind} <= {maximum}"
    return kind
