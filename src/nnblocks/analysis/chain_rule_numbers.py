"""Numbers as a learner reads them, for the chain-rule inspector's text, tables and figure.

``format_number`` gives a fixed number of significant digits with a real minus sign (−);
``format_factor`` puts negatives in parentheses, so a written-out product such as
``0.512 × 0.781 × (−0.204)`` never reads as a subtraction.
"""

from __future__ import annotations


def format_number(value: float, digits: int = 4) -> str:
    """``digits`` significant digits, a real minus sign (−) and no "-0"."""
    if value == 0:
        return "0"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", "−")


def format_factor(value: float, digits: int = 4) -> str:
    """A number inside a product: negatives in parentheses, ``(−0.204)``."""
    text = format_number(value, digits)
    return f"({text})" if text.startswith("−") else text
