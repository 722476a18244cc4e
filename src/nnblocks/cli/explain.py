"""`nnblocks explain-step`: backpropagation for one example of a saved run, number by number."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.console import Console

from nnblocks.analysis.chain_rule import explain_step as explain
from nnblocks.cli.common import fail, friendly_errors, stderr_console, stdout_console
from nnblocks.errors import ParameterError
from nnblocks.io import atomic_write_text
from nnblocks.runs import load_run, load_run_data, split_run_data

SPLITS = ("train", "validation", "test")
FORMATS = ("table", "markdown", "html")
SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html", ".txt": "table"}
WEIGHT = re.compile(r"^\s*([^:]+?)\s*:\s*(\d+)\s*,\s*(\d+)\s*$")


@friendly_errors
def explain_step(
    run: Annotated[Path, typer.Argument(help="A run folder written by `nnblocks train`.", show_default=False)],
    index: Annotated[int, typer.Option(help="Which example of the split (0 is the first).", metavar="N")] = 0,
    split: Annotated[str, typer.Option(
        help="The part of the run's data to take the example from: train, validation or test.",
        metavar="PART")] = "train",
    output_format: Annotated[str | None, typer.Option(
        "--format", help="table (the terminal view), markdown or html. Default: from --out's suffix "
                         "(.md, .html), else table.", metavar="FORMAT", show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        help="Write the explanation to this file (atomically) instead of printing it.", metavar="FILE")] = None,
    weight: Annotated[list[str] | None, typer.Option(
        help="The weight to write out for one layer, as LAYER:i,j (layer name or position, input i, unit j), "
             "e.g. dense_1:3,0. Repeat for more layers. Default: each layer's largest |dL/dW|.",
        metavar="LAYER:i,j", show_default=False)] = None,
    plot: Annotated[Path | None, typer.Option(
        help="Also save the diagram (layers, values, gradients, chosen weights) as an image, e.g. chain.png.",
        metavar="FILE")] = None,
    digits: Annotated[int, typer.Option(help="Significant digits of the numbers shown.", metavar="N")] = 4,
) -> None:
    """Show backpropagation for ONE example: every number the chain rule uses, layer by layer.

    The run's train / validation / test parts are rebuilt from its spec.json (as `nnblocks
    evaluate` does) and example N of the chosen part is sent through a float64 copy of the
    model, in inference mode (dropout off). A learner sees:

    - **forward**, from the inputs up: the inputs a⁽⁰⁾ after scaling, then one table per Dense
      layer with each unit's pre-activation z = a_prev·W + b and activation a = f(z);
    - **the loss**: the scores s, the probability p, the target y, L and ∂L/∂s (p − y);
    - **backward**: in the same tables, ∂L/∂a, f'(z) and ∂L/∂z = f'(z)·∂L/∂a (= ∂L/∂b);
    - **the chain rule written out** from the loss down: for one weight per layer (the largest
      |∂L/∂W|, or --weight), ∂L/∂W[i,j] = a_prev[i] × f'(z[j]) × ∂L/∂a[j] with its numbers, and
      how ∂L/∂a[j] came from the layer above (Σ over its units of ∂L/∂z_next[k] × W_next[j,k]).
    """
    if split not in SPLITS:
        raise fail(f"--split must be one of {', '.join(SPLITS)}; got {split!r}.")
    chosen_format = _format(output_format, out)
    if digits < 1 or digits > 12:
        raise fail(f"--digits must be a whole number from 1 to 12; got {digits}.")
    weights = _parse_weights(weight or [])
    result = load_run(run)
    parts = split_run_data(result.spec, load_run_data(result.spec))
    x, y = {"train": (parts.x_train, parts.y_train), "validation": (parts.x_validation, parts.y_validation),
            "test": (parts.x_test, parts.y_test)}[split]
    count = len(y)
    if count == 0:
        raise fail(f"The {split} part of {result.path} is empty (the run was trained without one). "
                   "Fix: choose another --split.")
    if not 0 <= index < count:
        raise fail(f"--index {index} is out of range: the {split} part of {result.path} has {count} examples, "
                   f"so --index must be from 0 to {count - 1}.")
    x_row = x.iloc[[index]] if isinstance(x, pd.DataFrame) else np.asarray(x)[index:index + 1]
    y_row = np.asarray(y)[index:index + 1]
    source = result.spec.dataset if result.spec.csv is None else Path(result.spec.csv).name
    description = f"Example {index} of the {split} part ({count} examples) of the run {result.path} ({source})."
    try:
        explanation = explain(result.model, x_row, y_row, weights=weights, digits=digits, description=description)
    except ParameterError as error:
        raise fail(_option_wording(str(error))) from None

    if plot is not None:
        from nnblocks.viz.chain_rule import plot_chain_rule  # matplotlib only when a diagram is asked for

        plot_chain_rule(explanation).savefig(plot, dpi=120)
        stderr_console().print(f"Wrote the diagram to {plot}", markup=False)
    if chosen_format == "table":
        if out is None:
            stdout_console().print(explanation)
            return
        buffer = Console(file=io.StringIO(), width=110, highlight=False, soft_wrap=False, record=True)
        buffer.print(explanation)
        text = buffer.export_text()
    else:
        text = explanation.to_markdown() if chosen_format == "markdown" else explanation.to_html()
        if out is None:
            typer.echo(text, nl=False)
            return
    atomic_write_text(out, text)
    stderr_console().print(f"Wrote the {chosen_format} explanation to {out}", markup=False)


def _format(output_format: str | None, out: Path | None) -> str:
    if output_format is None:
        return SUFFIXES.get(out.suffix.lower(), "table") if out is not None else "table"
    if output_format.lower() not in FORMATS:
        raise fail(f"--format must be one of {', '.join(FORMATS)}; got {output_format!r}.")
    return output_format.lower()


def _option_wording(text: str) -> str:
    """"The 'weights['dense_1']' parameter of explain_step must be ..." -> "--weight for 'dense_1' must be ..."."""
    def replace(match: re.Match) -> str:
        return "--weight" + (f" for {match.group(1)}" if match.group(1) else "")

    return re.sub(r"The 'weights(?:\[(.*?)\])?' parameter of explain_step", replace, text)


def _parse_weights(entries: list[str]) -> dict:
    weights = {}
    for entry in entries:
        match = WEIGHT.match(entry)
        if not match:
            raise fail(f"--weight takes LAYER:i,j (a layer name or position, then the input index i and the unit "
                       f"index j), e.g. dense_1:3,0; got {entry!r}.")
        layer, i, j = match.groups()
        key = int(layer) if layer.isdigit() else layer
        weights[key] = (int(i), int(j))
    return weights
