"""`nnblocks predict`: a saved run's predictions for the rows of a CSV file."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nnblocks.cli.common import friendly_errors, stderr_console
from nnblocks.io import atomic_write_text
from nnblocks.runs import load_run, predict_csv


@friendly_errors
def predict(
    run: Annotated[Path, typer.Argument(help="A run folder written by `nnblocks train`.", show_default=False)],
    csv: Annotated[str, typer.Option(
        help="The inputs: a CSV file with the model's input columns (other columns are ignored).",
        metavar="PATH", show_default=False)],
    out: Annotated[Path | None, typer.Option(
        help="Write the predictions to this CSV file (atomically) instead of printing them.",
        metavar="FILE")] = None,
) -> None:
    """Predict with a saved run's model; print the predictions as CSV.

    One output row per input row, in order: the column `prediction` and, for classifiers,
    one `probability_<class>` column per class.
    """
    result = load_run(run)
    table = predict_csv(result, csv)
    text = table.to_csv(index=False)
    if out is None:
        sys.stdout.write(text)
        return
    atomic_write_text(out, text)
    stderr_console().print(f"Wrote {len(table)} predictions to {out}", markup=False)
