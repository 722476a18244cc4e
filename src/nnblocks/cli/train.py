"""`nnblocks train`: one training run, from options to a run folder."""

from __future__ import annotations

import datetime
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from nnblocks.cli.common import data_source, fail, friendly_errors, metrics_table, option_wording, stderr_console, stdout_console
from nnblocks.cli.options import (DATA, NETWORK, TRAINING, Activation, BatchSize, Csv, Dataset, Epochs, Hidden,
                                 LearningRate, Optimizer, Samples, Seed, Target)
from nnblocks.errors import NNBlocksError
from nnblocks.runs import RunSpec, parse_hidden, prepare_run, suggested_training, train_run

OPTIONS = {"n_samples": "--samples"}  # RunSpec fields whose option has another name


@friendly_errors
def train(
    dataset: Dataset = None,
    csv: Csv = None,
    target: Target = None,
    samples: Samples = 500,
    noise: Annotated[float, typer.Option(
        metavar="X", rich_help_panel=DATA,
        help="Noise of generated sets: 0 to 0.5 for the Playground sets (the Playground's slider / 100).")] = 0.0,
    validation_fraction: Annotated[float, typer.Option(
        metavar="FRACTION", rich_help_panel=DATA,
        help="Fraction of the examples held out and watched during training.")] = 0.25,
    test_fraction: Annotated[float, typer.Option(
        metavar="FRACTION", rich_help_panel=DATA,
        help="Fraction held out for the final test.")] = 0.25,
    scaling: Annotated[str, typer.Option(
        metavar="NAME", rich_help_panel=DATA,
        help="Input scaling learned from the training part: standard, minmax or none.")] = "standard",
    hidden: Hidden = "16,16",
    activation: Activation = "tanh",
    l2: Annotated[float, typer.Option(
        metavar="X", rich_help_panel=NETWORK,
        help="L2 penalty on the weights (0 turns it off).")] = 0.0,
    dropout: Annotated[float, typer.Option(
        metavar="X", rich_help_panel=NETWORK,
        help="Dropout rate after each hidden layer (0 turns it off).")] = 0.0,
    optimizer: Optimizer = "adam",
    learning_rate: LearningRate = None,
    epochs: Epochs = None,
    batch_size: BatchSize = None,
    seed: Seed = 0,
    engine: Annotated[str, typer.Option(
        metavar="NAME", rich_help_panel=TRAINING,
        help="numpy (the reference engine) or torch (PyTorch; pip install \"nnblocks[torch]\").")] = "numpy",
    device: Annotated[str, typer.Option(
        metavar="NAME", rich_help_panel=TRAINING,
        help="With --engine torch: cpu, cuda, mps, or auto (CUDA, then MPS, then the CPU).")] = "auto",
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", show_default="runs/<dataset>-<YYYYmmdd-HHMMSS>", rich_help_panel=TRAINING,
        help="The run folder to write.")] = None,
    quiet: Annotated[bool, typer.Option(
        "--quiet", "-q", metavar="", rich_help_panel=TRAINING,
        help="Print only the final metrics and the run folder (no summary, no progress bar).")] = False,
    no_plots: Annotated[bool, typer.Option(
        "--no-plots", metavar="", rich_help_panel=TRAINING,
        help="Write no figures. By default, data with two numeric features gets decision_boundary.png, "
             "neurons.png, network.png, loss.png and training.gif in the run folder.")] = False,
) -> None:
    """Train a network and write a run folder (model, history, metrics, spec, README, figures).

    Shows the network summary, a progress bar (on a terminal), then the train / validation /
    test metrics. Ctrl-C stops training early and still saves the model trained so far.
    For data with two numeric features the run folder also gets its figures, the GIF
    recorded while the network trains (`--no-plots` turns them off; `nnblocks plot RUN`
    draws them again, or on a chosen plane for other data).

    Examples: `nnblocks train`, `nnblocks train --dataset xor --hidden 8 --epochs 100`,
    `nnblocks train --csv data.csv --target label`.
    """
    dataset = data_source(dataset, csv, target)
    training = suggested_training(dataset)
    try:
        spec = make_spec(
            dataset=dataset, csv=csv, target=target, n_samples=samples, noise=noise, hidden=hidden,
            activation=activation, optimizer=optimizer,
            learning_rate=training["learning_rate"] if learning_rate is None else learning_rate,
            epochs=training["epochs"] if epochs is None else epochs,
            batch_size=training["batch_size"] if batch_size is None else batch_size, seed=seed,
            validation_fraction=validation_fraction, test_fraction=test_fraction,
            scaling=None if scaling.lower() == "none" else scaling, l2=l2, dropout=dropout, engine=engine,
            device=device)
    except NNBlocksError as error:
        raise fail(option_wording(str(error), OPTIONS)) from None
    folder = out if out is not None else default_folder(spec.data_name)
    console = stdout_console()
    prepared = prepare_run(spec)
    if not quiet:
        sizes = prepared.sizes
        console.print(Text(f"Data: {spec.data_name} ({prepared.data.task}, {len(prepared.data)} examples): "
                           f"{sizes['train']} training, {sizes['validation']} validation, {sizes['test']} test"))
        console.print(prepared.model.summary())
        console.print(Text(f"Training: {spec.optimizer}, learning rate {spec.learning_rate:g}, batch size "
                           f"{spec.batch_size}, {spec.epochs} epochs, seed {spec.seed}"
                           + (f", engine torch ({spec.device})" if spec.engine == "torch" else "")))
    with warnings.catch_warnings():
        # The loop warns when the loss diverges; the same text is printed below as the stop reason.
        warnings.filterwarnings("ignore", message="Training stopped", category=RuntimeWarning)
        result = train_run(prepared, folder, progress=False if quiet else None, figures=not no_plots)
    console.print(metrics_table(result.metrics, title=f"Final metrics after {result.epochs_run} epochs"))
    if result.stop_reason:
        reason = result.stop_reason
        stated = reason if reason.lower().startswith("training stopped") else f"Stopped early: {reason}"
        stderr_console().print(Text(stated, style="yellow"))
    print_figures(console, result.figures, result.figure_notes, quiet)
    console.print(Text(f"Run folder: {result.path}"))


def print_figures(console, figures: dict[str, str], notes: list[str], quiet: bool = False) -> None:
    """One line naming the figure files written, then any notes; nothing with --quiet.

    (A figure that failed to draw is also a warning on stderr, shown even with --quiet.)
    """
    if quiet:
        return
    if figures:
        console.print(Text(f"Figures: {', '.join(figures.values())}"))
    for note in notes:
        console.print(Text(note, style="dim"))


def make_spec(**settings) -> RunSpec:
    settings["hidden"] = parse_hidden(settings["hidden"])
    return RunSpec(**settings)


def default_folder(name: str) -> Path:
    """``runs/<name>-<YYYYmmdd-HHMMSS>``, with ``-2``, ``-3``... if two runs start in the same second."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = Path("runs") / f"{name}-{stamp}"
    counter = 2
    while folder.exists():
        folder = Path("runs") / f"{name}-{stamp}-{counter}"
        counter += 1
    return folder
