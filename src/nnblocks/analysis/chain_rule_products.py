"""One weight's gradient written out as the chain rule's product, and where its ∂L/∂a came from.

For a Dense layer the chain rule gives, entry by entry,

    ∂L/∂W[i,j] = a_prev[i] × f'(z[j]) × ∂L/∂a[j]          (+ the L1/L2 penalty term)

``chain_product`` picks one entry (i, j) and records each factor with its symbol and value
(a ``ChainProduct``), so a reader can multiply the numbers and get the gradient back.
``upstream_of`` records where the last factor, ∂L/∂a[j], came from: the loss for the top
layer, or the sum over the next Dense layer's units,

    ∂L/∂a[j] = Σₖ ∂L/∂z_next[k] × W_next[j,k]

(an ``Upstream``), passing through Dropout and Flatten, which leave gradients unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from nnblocks.analysis.chain_rule_numbers import format_factor, format_number
from nnblocks.blocks.layers import Dense

if TYPE_CHECKING:  # for the annotation only: chain_rule.py imports this module
    from nnblocks.analysis.chain_rule import LayerStep


@dataclass
class Factor:
    """One number in a written-out product: its symbol (``a_prev[3]``) and value."""

    symbol: str
    value: float


@dataclass
class ChainProduct:
    """∂L/∂W[row, column] written as the chain rule's product of factors (plus a penalty term).

    ``value`` is the ∂L/∂W entry the inspector reports; ``product`` multiplies the factors
    again, so a reader (or a test) can see that they agree.
    """

    layer: str
    row: int
    column: int
    factors: list[Factor]
    value: float
    penalty: Factor | None = None   # l1·sign(W) + 2·l2·W, when the layer is regularised

    @property
    def symbol(self) -> str:
        return f"∂L/∂W[{self.row},{self.column}]"

    @property
    def product(self) -> float:
        """The factors multiplied (and the penalty term added): equals ``value`` up to rounding."""
        return math.prod(factor.value for factor in self.factors) + (self.penalty.value if self.penalty else 0.0)

    def formula(self) -> str:
        """``a_prev[0] × f'(z[3]) × ∂L/∂a[3]`` (+ the penalty term)."""
        symbols = " × ".join(factor.symbol for factor in self.factors)
        return symbols + (f" + {self.penalty.symbol}" if self.penalty is not None else "")

    def numbers(self, digits: int = 4) -> str:
        """``0.512 × 0.781 × (−0.204) = −0.0816``: the factors' values and the result."""
        values = " × ".join(format_factor(factor.value, digits) for factor in self.factors)
        if self.penalty is not None:
            values += f" + {format_factor(self.penalty.value, digits)}"
        return f"{values} = {format_number(self.value, digits)}"

    def text(self, digits: int = 4) -> str:
        """``∂L/∂W[0,3] = a_prev[0] × f'(z[3]) × ∂L/∂a[3] = 0.512 × 0.781 × (−0.204) = −0.0816``."""
        return f"{self.symbol} = {self.formula()} = {self.numbers(digits)}"


@dataclass
class Upstream:
    """How ∂L/∂a[unit] of a Dense layer came from the layer above.

    ``source`` is "loss" for the top layer (∂L/∂a is ∂L/∂scores), the name of the next
    Dense layer (``terms`` then hold (k, ∂L/∂z_next[k], W_next[unit, k]) for every k),
    or the name of another layer whose backward produced it.
    """

    unit: int
    source: str
    value: float
    terms: list[tuple[int, float, float]] = field(default_factory=list)
    through: list[str] = field(default_factory=list)   # layers passed on the way (Dropout in inference)
    note: str = ""


def chain_product(step: LayerStep, layer: Dense, choice: tuple[int, int] | None) -> ChainProduct:
    """∂L/∂W[i,j] of a Dense layer as its factors: (i, j) is ``choice``, or the largest entry if None."""
    if choice is None:
        # The largest |∂L/∂W|, judged by its chain-rule part a_prev[i]·∂L/∂z[j]: with an L1/L2 penalty the
        # penalty term alone could otherwise win, on a weight the example itself does not move at all.
        backprop = np.abs(np.outer(step.inputs, step.grad_z))
        row, column = np.unravel_index(int(np.argmax(backprop)), backprop.shape)
    else:
        row, column = choice
    row, column = int(row), int(column)
    factors = [Factor(f"a_prev[{row}]", float(step.inputs[row]))]
    if step.derivative is not None:
        factors += [Factor(f"f'(z[{column}])", float(step.derivative[column])),
                    Factor(f"∂L/∂a[{column}]", float(step.grad_outputs[column]))]
    else:
        factors.append(Factor(f"∂L/∂z[{column}]", float(step.grad_z[column])))
    penalty = None
    weight = float(step.weight[row, column])
    if layer.l1 or layer.l2:
        terms, value = [], 0.0
        if layer.l1:
            terms.append(f"{layer.l1:g}·sign(W[{row},{column}])")
            value += layer.l1 * float(np.sign(weight))
        if layer.l2:
            terms.append(f"2·{layer.l2:g}·W[{row},{column}]")
            value += 2 * layer.l2 * weight
        penalty = Factor(" + ".join(terms), value)
    return ChainProduct(step.name, row, column, factors, float(step.grad_weight[row, column]), penalty)


def upstream_of(step: LayerStep, steps: list[LayerStep]) -> Upstream:
    """Where ∂L/∂a[j] of ``step`` (j = its chosen weight's column) came from."""
    unit = step.chain.column
    value = float(step.grad_outputs[unit])
    through = []
    for above in steps[step.position + 1:]:
        if above.type_name in ("dropout", "flatten"):
            through.append(above.name)
            continue
        if above.is_dense:
            terms = [(k, float(above.grad_z[k]), float(above.weight[unit, k])) for k in range(len(above.grad_z))]
            return Upstream(unit, above.name, value, terms, through)
        return Upstream(unit, above.name, value, through=through,
                        note=f"from the backward pass of {above.name}" + (
                            f" ({above.type_name})" if above.name != above.type_name else ""))
    return Upstream(unit, "loss", value, through=through, note="∂L/∂s from the loss")
