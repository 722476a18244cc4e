"""`nnblocks evaluate`: the metrics of a saved run, on its own splits or on a CSV file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nnblocks.cli.common import fail, friendly_errors, metrics_table, stdout_console
from nnblocks.runs import evaluate_run, load_run


@friendly_errors
def evaluate(
    run: Annotated[Path, typer.Argument(help="A run folder written by `nnblocks train`.", show_default=False)],
    csv: Annotated[str | None, typer.Option(
        help="Evaluate on this CSV file instead of the run's own splits (needs --target).", metavar="PATH")] = None,
    target: Annotated[str | None, typer.Option(
        help="With --csv: the column holding the true values.", metavar="COLUMN")] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print the metrics as JSON.")] = False,
) -> None:
    """Evaluate a saved run's model again.

    Without --csv, the train / validation / test parts are rebuilt from the run's spec.json
    (same data, same seed, same split) and each is scored. With --csv PATH --target COLUMN,
    the file is scored instead; it needs the model's input columns and the target column.
    """
    if csv is not None and not target:
        raise fail("--csv needs --target COLUMN, the column holding the true values.")
    if csv is None and target is not None:
        raise fail("--target names a column of a CSV file; give --csv PATH as well.")
    result = load_run(run)
    metrics = evaluate_run(result, csv=csv, target=target)
    if as_json:
        typer.echo(json.dumps(metrics, indent=2))
        return
    title = f"Metrics of {result.path}" + (f" on {csv}" if csv else "")
    stdout_console().print(metrics_table(metrics, title=title))
