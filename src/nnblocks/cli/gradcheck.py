"""`nnblocks gradcheck`: does backpropagation agree with central differences?"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from nnblocks.cli.common import fail, friendly_errors, stdout_console
from nnblocks.runs import (ACTIVATION_NAMES, RunSpec, check_run_gradients, check_spec_gradients, load_run,
                           parse_hidden)

FAILED = 1


@friendly_errors
def gradcheck(
    run: Annotated[Path | None, typer.Argument(
        help="A run folder to check; leave out to check a fresh network built from the options.",
        show_default=False)] = None,
    dataset: Annotated[str | None, typer.Option(
        help="Without RUN: the built-in data set to check on.", show_default="spiral", metavar="NAME")] = None,
    hidden: Annotated[str | None, typer.Option(
        help="Without RUN: hidden layer sizes, comma-separated.", show_default="16,16", metavar="SIZES")] = None,
    activation: Annotated[str | None, typer.Option(
        help=f"Without RUN: activation of the hidden layers ({', '.join(ACTIVATION_NAMES)}).",
        show_default="tanh", metavar="NAME")] = None,
    examples: Annotated[int, typer.Option(help="Examples in the batch the loss is computed on.", metavar="N")] = 8,
    max_entries: Annotated[int | None, typer.Option(
        help="Check at most this many entries of each parameter (chosen at random).",
        show_default="all", metavar="N")] = None,
    seed: Annotated[int, typer.Option(help="Fixes the data, the weights and the rows checked.", metavar="N")] = 0,
) -> None:
    """Gradient check: compare every weight's gradient from backpropagation with a numerical one.

    Runs on a float64 copy of the network and a small batch; for each parameter prints the
    largest relative error. In float64 a correct backward pass gives about 1e-9; a wrong one
    1e-2 or more. Prints PASSED or FAILED; exits with code 1 on FAILED.
    """
    if max_entries is not None and max_entries < 1:
        raise fail(f"--max-entries must be a positive whole number; got {max_entries}.")
    if run is not None:
        given = [name for name, value in (("--dataset", dataset), ("--hidden", hidden), ("--activation", activation))
                 if value is not None]
        if given:
            raise fail(f"{', '.join(given)} describe a fresh network; a RUN folder already has one. Give one or "
                       "the other.")
        result = load_run(run)
        report = check_run_gradients(result, examples=examples, max_entries=max_entries, seed=seed)
        title = f"Gradient check of {result.path}"
    else:
        spec = RunSpec(dataset=dataset or "spiral", hidden=parse_hidden(hidden if hidden is not None else "16,16"),
                       activation=activation or "tanh", seed=seed)
        report = check_spec_gradients(spec, examples=examples, max_entries=max_entries, seed=seed)
        title = (f"Gradient check: {spec.dataset}, hidden {','.join(map(str, spec.hidden)) or 'none'}, "
                 f"{spec.activation}")
    console = stdout_console()
    table = Table(title=title)
    for column in ("parameter", "shape", "checked", "max |a-n|", "relative error", ""):
        table.add_column(column, justify="left" if column in ("parameter", "shape") else "right")
    for row in report.rows:
        good = row.passed(report.tolerance)
        table.add_row(row.name, str(row.shape), str(row.checked), f"{row.max_absolute_error:.2e}",
                      f"{row.relative_error:.2e}", Text("ok", style="green") if good else Text("BAD", style="red"))
    console.print(table)
    verdict = "PASSED" if report.passed else "FAILED"
    console.print(Text(f"{verdict}: largest relative error {report.max_relative_error:.2e} (tolerance "
                       f"{report.tolerance:g}, epsilon {report.epsilon:g}, float64, {examples} examples)",
                       style="bold green" if report.passed else "bold red"))
    if not report.passed:
        raise typer.Exit(FAILED)
