"""`nnblocks compare-engines`: one network trained on both engines, a table and a recommendation."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from nnblocks.analysis.engine_comparison import (ENGINE_NAMES, EngineComparison, compare_engines, format_bytes,
                                                 format_duration)
from nnblocks.cli.common import data_source, fail, friendly_errors, option_wording, stderr_console, stdout_console
from nnblocks.cli.options import (TRAINING, Activation, BatchSize, Csv, Dataset, Epochs, Hidden,
                                 LearningRate, Optimizer, Samples, Seed, Target)
from nnblocks.cli.train import make_spec
from nnblocks.errors import NNBlocksError
from nnblocks.runs import suggested_training

OPTIONS = {"n_samples": "--samples"}
METRIC_NAMES = {"accuracy": "accuracy", "r2": "R²"}


@friendly_errors
def compare_engines_command(
    dataset: Dataset = None,
    csv: Csv = None,
    target: Target = None,
    samples: Samples = 500,
    hidden: Hidden = "16,16",
    activation: Activation = "tanh",
    optimizer: Optimizer = "adam",
    learning_rate: LearningRate = None,
    epochs: Epochs = None,
    batch_size: BatchSize = None,
    seed: Seed = 0,
    device: Annotated[str, typer.Option(
        metavar="NAME", rich_help_panel=TRAINING,
        help="Where PyTorch computes: cpu, cuda, mps, or auto (CUDA, then MPS, then the CPU).")] = "auto",
    threads: Annotated[int | None, typer.Option(
        metavar="N", show_default="each library's default", rich_help_panel=TRAINING,
        help="CPU threads for both engines. On a machine busy with other work, 1 gives the steadiest "
             "numbers.")] = None,
) -> None:
    """Train one network with the NumPy and the PyTorch engine, and say which suits it.

    Both engines train a fresh copy of the same network (same seed: same weights, same
    batches). The table gives each engine's time per step and samples per second (training
    steps only, median over the epochs), its peak memory, and the final test metric; a
    recommendation in plain words follows, drawn from those numbers.

    Examples: `nnblocks compare-engines`, `nnblocks compare-engines --dataset digits --hidden 256,128
    --epochs 20 --batch-size 128`, `nnblocks compare-engines --csv data.csv --target label --device cuda`.
    """
    dataset = data_source(dataset, csv, target)
    training = suggested_training(dataset)
    try:
        spec = make_spec(
            dataset=dataset, csv=csv, target=target, n_samples=samples, hidden=hidden, activation=activation,
            optimizer=optimizer, learning_rate=training["learning_rate"] if learning_rate is None else learning_rate,
            epochs=training["epochs"] if epochs is None else epochs,
            batch_size=training["batch_size"] if batch_size is None else batch_size, seed=seed)
        progress = stderr_console()
        result = compare_engines(spec, device=device, threads=threads,
                                 report=lambda line: progress.print(Text(line, style="dim")))
    except NNBlocksError as error:
        # The library names its own parameters; the user typed options: "--epochs", "--device" ...
        raise fail(option_wording(str(error).replace("parameter of compare_engines", "parameter of RunSpec"),
                                  OPTIONS)) from None
    console = stdout_console()
    console.print(engines_table(result, spec.data_name))
    console.print(Text(result.recommendation))
    for note in result.notes:
        console.print(Text(f"Note: {note}", style="yellow"))


def engines_table(result: EngineComparison, data_name: str) -> Table:
    """One row per engine: device, time per step, samples/s, peak memory, memory growth, final metric."""
    threads = ", ".join(f"{pool} {count}" for pool, count in result.threads.items()) or "unknown"
    methods = "; ".join(f"{ENGINE_NAMES[run.engine]} {run.memory_method}" for run in result.runs.values())
    first = next(iter(result.runs.values()))
    table = Table(title=f"NumPy vs PyTorch: {data_name}, {result.parameters:,} parameters, {result.epochs} epochs "
                        f"of {first.steps_per_epoch} steps, batch {result.batch_size}",
                  caption=f"Time per step, samples/s: training steps only, median over the epochs; threads: "
                          f"{threads}. Peak memory: {methods}. RSS growth: the process's peak resident memory "
                          "over one epoch, measured alike for both.")
    columns = ["engine", "device", "time per step", "samples/s", "peak memory", "RSS growth",
               f"{result.evaluated_on} {METRIC_NAMES[result.metric]}"]
    for index, name in enumerate(columns):
        table.add_column(name, justify="left" if index < 2 else "right")
    for run in result.runs.values():
        table.add_row(ENGINE_NAMES[run.engine], run.device, format_duration(run.seconds_per_step),
                      f"{run.samples_per_second:,.0f}", format_bytes(run.peak_memory_bytes),
                      format_bytes(run.resident_growth_bytes), f"{run.metrics.get(result.metric, float('nan')):.4f}")
    return table
