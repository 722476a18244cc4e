"""A network's summary: what each layer outputs, how many parameters it has, what it costs.

Multiply-adds count the products in one example's forward pass (a Dense layer of
D inputs and H units does D·H), the usual yardstick for compute cost.
"""

from __future__ import annotations

import html
from dataclasses import dataclass


@dataclass(frozen=True)
class SummaryRow:
    name: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: int
    multiply_adds: int
    detail: str


@dataclass(frozen=True)
class Summary:
    title: str
    input_shape: tuple[int, ...]
    rows: list[SummaryRow]
    loss: str

    @classmethod
    def of(cls, network) -> "Summary":
        network.require_built("summarise itself")
        rows = []
        for layer in network.layers:
            activation = getattr(layer, "activation", None)
            detail = getattr(activation, "type_name", "") if activation is not None else ""
            if getattr(layer, "rate", None) is not None:
                detail = f"rate {layer.rate:g}"
            rows.append(SummaryRow(layer.name, type(layer).__name__, tuple(layer.output_shape),
                                   layer.parameter_count(), layer.multiply_adds(), detail))
        loss = network.loss.type_name if network.loss else "(chosen at fit)"
        return cls(network.name, tuple(network.input_shape), rows, loss)

    @property
    def total_parameters(self) -> int:
        return sum(row.parameters for row in self.rows)

    @property
    def total_multiply_adds(self) -> int:
        return sum(row.multiply_adds for row in self.rows)

    def _table(self) -> tuple[list[str], list[list[str]]]:
        header = ["Layer", "Type", "Activation", "Output shape", "Parameters", "Multiply-adds"]
        body = [[row.name, row.kind, row.detail, _shape(row.output_shape), f"{row.parameters:,}",
                 f"{row.multiply_adds:,}"] for row in self.rows]
        return header, body

    def _footer(self) -> list[str]:
        return [f"Input shape: {_shape(self.input_shape)}    Loss: {self.loss}",
                f"Total parameters: {self.total_parameters:,}    "
                f"Multiply-adds per example: {self.total_multiply_adds:,}"]

    def __str__(self) -> str:
        header, body = self._table()
        widths = [max(len(cell) for cell in column) for column in zip(header, *body)]
        line = "  ".join("-" * width for width in widths)
        rows = ["  ".join(cell.ljust(width) for cell, width in zip(cells, widths)) for cells in [header, *body]]
        return "\n".join([self.title, line, rows[0], line, *rows[1:], line, *self._footer()])

    __repr__ = __str__

    def __rich__(self):
        from rich.table import Table

        header, body = self._table()
        table = Table(title=self.title, caption="\n".join(self._footer()))
        for index, column in enumerate(header):
            table.add_column(column, justify="right" if index >= 4 else "left")
        for cells in body:
            table.add_row(*cells)
        return table

    def _repr_html_(self) -> str:
        header, body = self._table()
        head = "".join(f"<th>{html.escape(cell)}</th>" for cell in header)
        rows = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>" for cells in body)
        footer = "<br>".join(html.escape(text) for text in self._footer())
        return (f"<table><caption>{html.escape(self.title)}</caption><thead><tr>{head}</tr></thead>"
                f"<tbody>{rows}</tbody></table><p>{footer}</p>")


def _shape(shape: tuple[int, ...]) -> str:
    return "(N, " + ", ".join(str(size) for size in shape) + ")"
