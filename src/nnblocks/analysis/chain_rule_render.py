"""Rendering a StepExplanation: the same document as rich tables, markdown or HTML.

``document`` turns an explanation into a short list of blocks (headings, notes, tables,
formula lines); each renderer only maps blocks to its format, so the terminal,
the markdown file and the notebook always say the same thing.

Order: the forward pass from the inputs up (one table per layer, whose columns also hold
that layer's backward values), the loss, then the backward pass written out from the
loss down: for each Dense layer one weight's chain-rule product with its numbers.

The document and its blocks live in ``chain_rule_document.py`` (the written-out backward
lines in ``chain_rule_formulas.py``), the renderers in ``chain_rule_formats.py``; this
module keeps the names importable from one place.
"""

from __future__ import annotations

from nnblocks.analysis.chain_rule_document import (CHOSEN_MARK, MAX_ROWS, TOP_WEIGHTS, Formulas, Heading, Note,
                                                   Table, document)
from nnblocks.analysis.chain_rule_formats import STYLE, to_html, to_markdown, to_rich
from nnblocks.analysis.chain_rule_formulas import MAX_TERMS, SHOWN_TERMS

__all__ = ["CHOSEN_MARK", "MAX_ROWS", "MAX_TERMS", "SHOWN_TERMS", "STYLE", "TOP_WEIGHTS", "Formulas", "Heading",
           "Note", "Table", "document", "to_html", "to_markdown", "to_rich"]
