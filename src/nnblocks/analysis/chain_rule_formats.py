"""The renderers: the shared document (``chain_rule_document.py``) as rich, markdown or HTML.

Each renderer only maps blocks to its format, so the terminal, the markdown file and the
notebook always say the same thing.
"""

from __future__ import annotations

import html

from nnblocks.analysis.chain_rule import StepExplanation
from nnblocks.analysis.chain_rule_document import Formulas, Heading, Note, Table, document


# --- rich (the terminal) ---------------------------------------------------------------------------
def to_rich(step: StepExplanation):
    from rich import box
    from rich.console import Group
    from rich.padding import Padding
    from rich.rule import Rule
    from rich.table import Table as RichTable
    from rich.text import Text

    parts = []
    for block in document(step):
        if isinstance(block, Heading):
            if block.level == 1:
                parts.append(Rule(Text(block.text, style="bold")))
            elif block.level == 2:
                parts += [Text(""), Text(block.text, style="bold cyan")]
            else:
                parts += [Text(""), Text(block.text, style="bold")]
        elif isinstance(block, Note):
            parts.append(Text(block.text, style="dim"))
        elif isinstance(block, Table):
            table = RichTable(title=block.title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD,
                              pad_edge=False)
            for position, column in enumerate(block.columns):
                table.add_column(column, justify="left" if position < 2 and not _numeric(block, position)
                                 else "right")
            for position, row in enumerate(block.rows):
                table.add_row(*row, style="bold yellow" if position in block.highlight else None)
            parts.append(table)
            if block.caption:   # full width under the table (a table caption would wrap to the table's width)
                parts.append(Text(block.caption, style="dim"))
            parts.append(Text(""))
        elif isinstance(block, Formulas):
            for text, emphasised in block.lines:   # a wrapped line stays indented under its start
                parts.append(Padding(Text(text, style="bold yellow" if emphasised else ""), (0, 0, 0, 2),
                                     expand=False))
    return Group(*parts)


def _numeric(block: Table, position: int) -> bool:
    return position > 0 and all(not row[position] or row[position][0] in "−0123456789" for row in block.rows)


# --- markdown ------------------------------------------------------------------------------------------
def to_markdown(step: StepExplanation) -> str:
    out: list[str] = []
    for block in document(step):
        if isinstance(block, Heading):
            out += ["#" * block.level + " " + block.text, ""]
        elif isinstance(block, Note):
            out += [f"*{_md(block.text)}*", ""]
        elif isinstance(block, Table):
            out += [f"**{_md(block.title)}**", ""]
            out.append("| " + " | ".join(_md(column) for column in block.columns) + " |")
            out.append("|" + "|".join("---:" if _numeric(block, position) else "---"
                                      for position in range(len(block.columns))) + "|")
            for position, row in enumerate(block.rows):
                cells = [_md(cell) for cell in row]
                if position in block.highlight:
                    cells = [f"**{cell}**" if cell else cell for cell in cells]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
            if block.caption:
                out += [_md(block.caption), ""]
        elif isinstance(block, Formulas):
            out += ["```text", *(text for text, _ in block.lines), "```", ""]
    return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*")


# --- HTML --------------------------------------------------------------------------------------------
STYLE = """
.nnb-chain { font-family: system-ui, sans-serif; line-height: 1.4; max-width: 70rem; }
.nnb-chain table { border-collapse: collapse; margin: 0.4rem 0 0.2rem; font-variant-numeric: tabular-nums; }
.nnb-chain caption { text-align: left; font-weight: 600; padding-bottom: 0.2rem; }
.nnb-chain th, .nnb-chain td { padding: 0.15rem 0.7rem; border-bottom: 1px solid #ddd; text-align: right; }
.nnb-chain th.text, .nnb-chain td.text { text-align: left; }
.nnb-chain tr.chosen td { background: #fff3c4; font-weight: 600; }
.nnb-chain p.note { color: #555; margin: 0.3rem 0; }
.nnb-chain p.caption { color: #555; font-size: 0.9em; margin: 0 0 0.8rem; }
.nnb-chain pre { background: #f6f8fa; padding: 0.6rem 0.8rem; overflow-x: auto; }
.nnb-chain pre strong { color: #9a3412; }
"""


def to_html(step: StepExplanation, full_page: bool = True) -> str:
    out = ['<div class="nnb-chain">', f"<style>{STYLE}</style>"]
    for block in document(step):
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
        elif isinstance(block, Note):
            out.append(f'<p class="note">{html.escape(block.text)}</p>')
        elif isinstance(block, Table):
            align = ["" if _numeric(block, position) else ' class="text"' for position in range(len(block.columns))]
            out.append(f"<table><caption>{html.escape(block.title)}</caption><thead><tr>")
            out.append("".join(f"<th{css}>{html.escape(column)}</th>" for column, css in zip(block.columns, align))
                       + "</tr></thead><tbody>")
            for position, row in enumerate(block.rows):
                css = ' class="chosen"' if position in block.highlight else ""
                out.append(f"<tr{css}>" + "".join(f"<td{cell_css}>{html.escape(cell)}</td>"
                                                  for cell, cell_css in zip(row, align)) + "</tr>")
            out.append("</tbody></table>")
            if block.caption:
                out.append(f'<p class="caption">{html.escape(block.caption)}</p>')
        elif isinstance(block, Formulas):
            lines = [f"<strong>{html.escape(text)}</strong>" if emphasised else html.escape(text)
                     for text, emphasised in block.lines]
            out.append("<pre>" + "\n".join(lines) + "</pre>")
    out.append("</div>")
    body = "\n".join(out)
    if not full_page:
        return body
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            "<title>nnblocks: the chain rule, one example</title>\n</head>\n<body>\n" + body + "\n</body>\n</html>\n")
