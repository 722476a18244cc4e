"""Derived features: the small, closed set of expressions an ``Inputs`` block can add.

TensorFlow Playground lets a learner switch on extra input features (x1², x1·x2,
sin x1, ...) and watch a network with no hidden layer solve the circle. This module
reads those expressions, generalised to any numeric column name::

    NAME            the column itself                        x1
    NAME^2          its square (also written NAME² or NAME**2) x1^2, x1²
    NAME*OTHER      the product of two columns (also NAME·OTHER) x1*x2, x1·x2
    sin(NAME)       the sine of the column                   sin(x1)
    cos(NAME)       the cosine of the column                 cos(x1)

The reader is a tiny hand-written tokenizer and parser. Nothing is ever evaluated:
an expression becomes a ``DerivedFeature`` (an operation name from a fixed table
plus column names), so a hostile model file can only ask for these five operations.

Example:
    >>> feature = parse_feature("x1·x2")
    >>> feature.name, feature.operation, feature.operands
    ('x1*x2', 'product', ('x1', 'x2'))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nnblocks.errors import ParameterError

GRAMMAR = """Derived features use this grammar (NAME is the name of a numeric input column):
  NAME          the column itself (any column: a categorical   x1
                one gives its one-hot columns)
  NAME^2        its square (also NAME² or NAME**2)             x1^2, x1²
  NAME*OTHER    the product of two columns (also NAME·OTHER)   x1*x2, x1·x2
  sin(NAME)     the sine of the column                         sin(x1)
  cos(NAME)     the cosine of the column                       cos(x1)
Write a NAME that has spaces or symbols in quotes: "petal length"^2.
Array inputs have the columns x1, x2, ... in order; DataFrames use their column names."""

# The closed set of operations: name -> (number of operands, NumPy function, output-name pattern).
# Derived features are computed on the raw (unscaled) values, as TF Playground does.
OPERATIONS = {
    "identity": (1, lambda column: column, "{0}"),
    "square": (1, np.square, "{0}^2"),
    "product": (2, np.multiply, "{0}*{1}"),
    "sin": (1, np.sin, "sin({0})"),
    "cos": (1, np.cos, "cos({0})"),
}
FUNCTIONS = ("sin", "cos")  # the words that name a function when an opening bracket follows


@dataclass(frozen=True)
class DerivedFeature:
    """One derived feature: an operation from ``OPERATIONS`` applied to input columns."""

    operation: str
    operands: tuple[str, ...]

    @property
    def name(self) -> str:
        """The canonical spelling (ASCII, e.g. ``x1^2`` for ``x1²``), used as the output column name."""
        pattern = OPERATIONS[self.operation][2]
        return pattern.format(*(_spell_name(operand) for operand in self.operands))

    def compute(self, columns: Mapping[str, np.ndarray]) -> np.ndarray:
        """Return the feature for every row, from the raw 1-D float columns named by ``operands``."""
        function = OPERATIONS[self.operation][1]
        return function(*(columns[operand] for operand in self.operands))


def parse_feature(text: object) -> DerivedFeature:
    """Read one expression of the grammar in ``GRAMMAR``; raise ParameterError naming the problem."""
    if not isinstance(text, str):
        _fail(text, "each derived feature must be a string such as 'x1^2'")
    tokens = _tokenize(text)
    position = 0

    def take(kind: str, value: str | None = None, expected: str = "") -> str:
        nonlocal position
        token_kind, token_value, column = tokens[position]
        if token_kind != kind or (value is not None and token_value != value):
            found = "the end" if token_kind == "end" else repr(token_value)
            _fail(text, f"expected {expected or repr(value) or kind} at position {column}, found {found}")
        position += 1
        return token_value

    def peek(offset: int = 0) -> tuple[str, str]:
        token_kind, token_value, _ = tokens[min(position + offset, len(tokens) - 1)]
        return token_kind, token_value

    # sin(NAME) / cos(NAME)
    if peek() in {("name", word) for word in FUNCTIONS} and peek(1) == ("symbol", "("):
        function = take("name")
        take("symbol", "(")
        operand = take("name", expected="a column name")
        take("symbol", ")")
        take("end", expected="the end of the expression")
        return DerivedFeature(function, (operand,))

    first = take("name", expected="a column name or sin(/cos(")
    kind, value = peek()
    if kind == "end":
        return DerivedFeature("identity", (first,))
    if (kind, value) == ("symbol", "²"):
        take("symbol")
    elif (kind, value) in {("symbol", "^"), ("symbol", "**")}:
        take("symbol")
        take("name", "2", expected="the power 2 (only squares are supported)")
    elif (kind, value) in {("symbol", "*"), ("symbol", "·")}:
        take("symbol")
        second = take("name", expected="a second column name after the product sign")
        take("end", expected="the end of the expression")
        return DerivedFeature("product", (first, second))
    else:
        _fail(text, f"expected ^2, ², *, · or the end after {first!r}, found {value!r}")
    take("end", expected="the end of the expression")
    return DerivedFeature("square", (first,))


def describe_names(names: Sequence[str], limit: int = 8) -> str:
    """``x1, x2, x3`` — or the first few and a count, so a 784-column message stays readable."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown}, ... ({len(names)} in all)"


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    """Split ``text`` into (kind, value, position) tokens; kinds are name, symbol and end."""
    tokens = []
    index = 0
    while index < len(text):
        character = text[index]
        if character.isspace():
            index += 1
        elif text.startswith("**", index):  # before "*", so x1**2 reads as a square
            tokens.append(("symbol", "**", index))
            index += 2
        elif character in "()*^²·":
            tokens.append(("symbol", character, index))
            index += 1
        elif character in "'\"":  # a quoted column name runs to the matching quote
            end = text.find(character, index + 1)
            if end < 0:
                _fail(text, f"the quote opened at position {index} is never closed")
            tokens.append(("name", text[index + 1:end], index))
            index = end + 1
        elif _is_word_character(character):
            start = index
            while index < len(text) and _is_word_character(text[index]):
                index += 1
            tokens.append(("name", text[start:index], start))
        else:
            _fail(text, f"the character {character!r} at position {index} is not part of the grammar")
    tokens.append(("end", "", len(text)))
    return tokens


def _is_word_character(character: str) -> bool:
    # "²" counts as alphanumeric in Unicode, but here it is the square sign, never part of a name.
    return character != "²" and (character.isalnum() or character in "_.")


def _spell_name(name: str) -> str:
    """Write a column name so the canonical expression reads back the same (quotes when needed)."""
    if name and all(_is_word_character(character) for character in name):
        return name
    return f"'{name}'" if "'" not in name else f'"{name}"'


def _fail(text: object, problem: str) -> None:
    raise ParameterError(
        f"The 'derived' parameter of Inputs cannot read the expression {text!r}: {problem}. "
        f"Fix: write it in the grammar below.\n{GRAMMAR}")
