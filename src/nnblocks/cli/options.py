"""Command-line options that `nnblocks train` and `nnblocks compare-engines` share, written once.

Each is an ``Annotated`` type: the parameter's type, its typer option (help text, metavar, help
panel); a command writes ``hidden: Hidden = "16,16"`` and keeps its own default.
"""

from __future__ import annotations

from typing import Annotated

import typer

from nnblocks.runs import ACTIVATION_NAMES, OPTIMIZER_NAMES

DATA, NETWORK, TRAINING = "Data", "Network", "Training"

Dataset = Annotated[str | None, typer.Option(
    metavar="NAME", show_default="spiral", rich_help_panel=DATA,
    help="A built-in data set; `nnblocks datasets` lists them.")]
Csv = Annotated[str | None, typer.Option(
    metavar="PATH", rich_help_panel=DATA,
    help="Train on this CSV file (header row, one example per row) instead of a built-in set.")]
Target = Annotated[str | None, typer.Option(
    metavar="COLUMN", rich_help_panel=DATA,
    help="With --csv: the column to predict. Classification or regression is decided from its values.")]
Samples = Annotated[int, typer.Option(
    metavar="N", rich_help_panel=DATA, help="Points to generate (generated 2-D sets only).")]
Hidden = Annotated[str, typer.Option(
    metavar="SIZES", rich_help_panel=NETWORK,
    help="Hidden layer sizes, comma-separated: 16,16 is two layers of 16 units; none for no hidden layer.")]
Activation = Annotated[str, typer.Option(
    metavar="NAME", rich_help_panel=NETWORK,
    help=f"Activation of the hidden layers: {', '.join(ACTIVATION_NAMES)}.")]
Optimizer = Annotated[str, typer.Option(
    metavar="NAME", rich_help_panel=TRAINING, help=f"The optimiser: {', '.join(OPTIMIZER_NAMES)}.")]
LearningRate = Annotated[float | None, typer.Option(
    metavar="X", show_default="0.01; digits: 0.001", rich_help_panel=TRAINING, help="Step size of the optimiser.")]
Epochs = Annotated[int | None, typer.Option(
    metavar="N", show_default="300; digits: 100", rich_help_panel=TRAINING, help="Passes over the training data.")]
BatchSize = Annotated[int | None, typer.Option(
    metavar="N", show_default="10; digits: 32", rich_help_panel=TRAINING, help="Examples per gradient step.")]
Seed = Annotated[int, typer.Option(
    metavar="N", rich_help_panel=TRAINING,
    help="Fixes the data, the split, the initial weights and the shuffling.")]
