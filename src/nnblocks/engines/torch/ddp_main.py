"""The data-parallel entry point: ``torchrun ... -m nnblocks.engines.torch.ddp`` lands here.

    torchrun --nproc-per-node 2 -m nnblocks.engines.torch.ddp --dataset spiral --batch-size 20 --out runs/ddp
    torchrun --nproc-per-node 4 -m nnblocks.engines.torch.ddp --npz pneumoniamnist.npz --hidden 128 --out runs/pneu

Every process reads torchrun's RANK / LOCAL_RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT, joins
the process group (nccl on GPUs, gloo on CPUs), loads and splits the data itself (the same on
every rank, from the seed), builds the same network from the seed and trains it with
``fit_data_parallel`` (ddp.py). Rank 0 prints the progress and writes the run folder; every
process leaves the process group at the end, whatever happened.

This file is orchestration, as ``nnblocks.runs`` is: it imports the run, data and io layers,
which sit above the engines, and lives here only because it needs torch.distributed. The
library layer, ``ddp.py``, imports none of them.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import numpy as np
import torch.distributed as dist

from nnblocks.engines.torch.ddp import (BACKENDS, Placement, fit_data_parallel, init_distributed,
                                        placement_from_environment, process_device, shard_bounds)
from nnblocks.errors import NNBlocksError, ParameterError
from nnblocks.training.callbacks import Callback
from nnblocks.validation import message

OWNER = "train_data_parallel"
DDP_JSON = "ddp.json"


# --- a RunSpec, trained data-parallel ------------------------------------------------------------
def join_group(backend: str, placement: Placement | None, init_method: str | None):
    """(owns the group, backend, placement, device): joins the process group unless one is already joined."""
    if dist.is_available() and dist.is_initialized():
        backend = dist.get_backend()
        placement = placement or Placement(dist.get_rank(), placement_from_environment().local_rank,
                                           dist.get_world_size())
        return False, backend, placement, process_device(backend, placement.local_rank)
    return (True, *init_distributed(backend, placement, init_method))


def train_data_parallel(spec, out_dir=None, *, placement: Placement | None = None, backend: str = "auto",
                        init_method: str | None = None, progress: bool | None = None, callbacks=()):
    """Train the run a ``RunSpec`` describes on all ranks; rank 0 writes the run folder ``out_dir``.

    Every rank loads and splits the data itself (deterministic from the spec), builds the
    network from the spec's seed and trains it with ``fit_data_parallel``; ``spec.batch_size``
    is the global batch. The folder is an ordinary run folder (``nnblocks evaluate`` reads it)
    plus ``ddp.json``, which says how the work was spread.

    Args:
        spec: a RunSpec.
        out_dir: the run folder, or None to write nothing.
        placement: rank, local rank and world size (default: torchrun's environment variables).
        backend: "auto" (nccl on GPUs, else gloo), "gloo" or "nccl".
        init_method: where the ranks meet (default "env://": MASTER_ADDR and MASTER_PORT).
        progress, callbacks: as in ``train_run``; callbacks run on every rank.

    Returns:
        The RunResult, on every rank (each evaluates the model; the numbers are the same).
    """
    from nnblocks.io import atomic_write_json
    from nnblocks.runs import RunSpec, evaluate_split, prepare_run
    from nnblocks.runs.run_folder import RunResult
    from nnblocks.runs.train_run import write_run_folder

    if not isinstance(spec, RunSpec):
        raise ParameterError(message("spec", OWNER, "a RunSpec", type(spec).__name__))
    owns_group, backend, placement, device = join_group(backend, placement, init_method)
    folder = None if out_dir is None else Path(out_dir)
    try:
        if folder is not None and placement.rank == 0:
            check_folder(folder)  # before training: a bad path should not cost the run
        spec = spec.replace(engine="torch", device=device.type)
        prepared = prepare_run(spec)
        split, model = prepared.split, prepared.model
        validation = (split.x_validation, split.y_validation) if len(split.y_validation) else None
        history = fit_data_parallel(model, split.x_train, split.y_train, epochs=spec.epochs,
                                    batch_size=spec.batch_size, optimizer=spec.optimizer,
                                    learning_rate=spec.learning_rate, device=device, validation_data=validation,
                                    callbacks=callbacks, verbose=progress, seed=spec.seed)
        result = RunResult(folder, spec, model, {key: list(values) for key, values in history.history.items()},
                           evaluate_split(model, split), history.stop_reason)
        if folder is not None and placement.rank == 0:
            atomic_write_json(folder / DDP_JSON, describe(backend, placement, device, spec.batch_size))
            write_run_folder(result, prepared.data, split)  # spec.json last: the mark of a complete run
        return result
    finally:
        if owns_group:
            dist.destroy_process_group()


# --- images from a MedMNIST-style .npz, trained data-parallel --------------------------------------
def train_npz_data_parallel(path, out_dir=None, *, hidden=(128,), activation="relu", optimizer="adam",
                            learning_rate=0.001, epochs=10, batch_size=64, seed=0, placement=None,
                            backend="auto", init_method=None, progress=None, callbacks=()) -> dict:
    """An MLP (Flatten, Dense hidden..., Dense out) on the train/val/test splits of an .npz archive.

    Pixels are scaled to [0, 1] (``ImageInputs("unit")``). Rank 0 writes ``model/``,
    ``history.csv``, ``metrics.json``, ``ddp.json`` and ``README.md`` into ``out_dir``.
    Returns ``{"model", "history", "metrics"}`` on every rank.
    """
    from nnblocks import Dense, Flatten, ImageInputs, Sequential
    from nnblocks.data import read_medmnist_splits
    from nnblocks.io import atomic_write_json, atomic_write_text, write_history_csv, write_metrics_json
    from nnblocks.runs.run_folder import markdown_metrics
    from nnblocks.runs.train_run import LOSS_FOR_TASK, finite

    owns_group, backend, placement, device = join_group(backend, placement, init_method)
    folder = None if out_dir is None else Path(out_dir)
    try:
        if folder is not None and placement.rank == 0:
            check_folder(folder)
        parts = read_medmnist_splits(path)
        train, validation, test = parts["train"], parts["val"], parts["test"]
        outputs = 1 if train.task == "binary" else len(train.class_names)
        layers = [Flatten(), *[Dense(units, activation=activation) for units in hidden], Dense(outputs)]
        model = Sequential(layers, loss=LOSS_FOR_TASK[train.task], inputs=ImageInputs(scaling="unit"), seed=seed)
        model.inputs.adapt(train.x)
        model.build(model.inputs.shape)
        history = fit_data_parallel(model, train.x, train.y, epochs=epochs, batch_size=batch_size,
                                    optimizer=optimizer, learning_rate=learning_rate, device=device,
                                    validation_data=(validation.x, validation.y) if len(validation) else None,
                                    callbacks=callbacks, verbose=progress, seed=seed)
        metrics = {name: finite(model.evaluate(part.x, part.y)) if len(part) else {}
                   for name, part in (("train", train), ("validation", validation), ("test", test))}
        history = {key: list(values) for key, values in history.history.items()}
        if folder is not None and placement.rank == 0:
            settings = {"npz": str(Path(path).resolve()), "hidden": list(hidden), "activation": activation,
                        "optimizer": optimizer, "learning_rate": learning_rate, "epochs": epochs, "seed": seed}
            atomic_write_json(folder / DDP_JSON, {**describe(backend, placement, device, batch_size), **settings})
            model.save(folder / "model")
            write_history_csv(folder / "history.csv", history)
            write_metrics_json(folder / "metrics.json", metrics)
            atomic_write_text(folder / "README.md", "\n".join([
                f"# Run {folder.name}", "", f"Data-parallel training on {placement.world_size} processes "
                f"({backend}) of an MLP on the images of `{Path(path).name}`: {train.description}", "",
                "```", str(model.summary()), "```", "", *markdown_metrics(metrics), "",
                "Load the model with `nnblocks.Sequential.load(\"model\")`; `ddp.json` holds the settings.", ""]))
        return {"model": model, "history": history, "metrics": metrics}
    finally:
        if owns_group:
            dist.destroy_process_group()


def describe(backend: str, placement: Placement, device, global_batch: int) -> dict:
    """What ddp.json records: how the run was spread over processes."""
    import torch

    sizes = sorted({stop - start for start, stop in (shard_bounds(global_batch, placement.world_size, rank)
                                                     for rank in range(placement.world_size))})
    return {"world_size": placement.world_size, "backend": backend, "device_type": device.type,
            "global_batch_size": global_batch, "examples_per_process_per_step": sizes,
            "torch_version": torch.__version__}


def check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ParameterError(message("out", OWNER, "a folder path", str(folder),
                                     "that path is a file; choose a new folder name."))
    folder.mkdir(parents=True, exist_ok=True)


class EpochPrinter(Callback):
    """Rank 0's progress under torchrun (its output is not a terminal, so no progress bar): a line every few epochs."""

    def __init__(self, every: int) -> None:
        self.every = max(1, int(every))

    def on_epoch_end(self, epoch: int, logs=None):
        epochs = self.params.get("epochs", 0)
        if (epoch + 1) % self.every == 0 or epoch + 1 == epochs or epoch == 0:
            shown = "  ".join(f"{key} {value:.4f}" for key, value in (logs or {}).items()
                              if key != "learning_rate" and np.isfinite(value))
            print(f"epoch {epoch + 1:>4}/{epochs}  {shown}", flush=True)


# --- the command line -----------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from nnblocks.data import DATASET_NAMES
    from nnblocks.runs import ACTIVATION_NAMES, OPTIMIZER_NAMES

    parser = argparse.ArgumentParser(
        prog="torchrun --nproc-per-node N -m nnblocks.engines.torch.ddp",
        description="Data-parallel training with torch DDP: every process trains on its share of each global "
                    "batch; the gradients are averaged, so all processes keep the same weights.")
    data = parser.add_argument_group("data (one of --dataset, --csv, --npz)")
    data.add_argument("--dataset", metavar="NAME", help=f"a built-in data set: {', '.join(DATASET_NAMES)}")
    data.add_argument("--csv", metavar="PATH", help="a CSV file (with --target)")
    data.add_argument("--target", metavar="COLUMN", help="with --csv: the column to predict")
    data.add_argument("--npz", metavar="PATH", help="a MedMNIST-style .npz archive of images (train/val/test)")
    data.add_argument("--samples", type=int, default=500, metavar="N", help="points of a generated set (500)")
    data.add_argument("--noise", type=float, default=0.0, help="noise of a generated set (0)")
    data.add_argument("--validation-fraction", type=float, default=0.25, metavar="F")
    data.add_argument("--test-fraction", type=float, default=0.25, metavar="F")
    data.add_argument("--scaling", default="standard", help="standard, minmax or none (not for --npz)")
    network = parser.add_argument_group("network")
    network.add_argument("--hidden", default=None, metavar="SIZES",
                         help="hidden layer sizes, e.g. 16,16 (default 16,16; 128 with --npz)")
    network.add_argument("--activation", default=None, help=f"{', '.join(ACTIVATION_NAMES)} (tanh; relu with --npz)")
    network.add_argument("--l2", type=float, default=0.0)
    network.add_argument("--loss", default=None, help="a loss name (default: chosen from the task)")
    training = parser.add_argument_group("training")
    training.add_argument("--optimizer", default="adam", help=f"{', '.join(OPTIMIZER_NAMES)}")
    training.add_argument("--learning-rate", type=float, default=None, metavar="LR", help="(0.01; 0.001 with --npz)")
    training.add_argument("--epochs", type=int, default=None, metavar="N", help="(300; 10 with --npz)")
    training.add_argument("--batch-size", type=int, default=None, metavar="B",
                          help="the GLOBAL batch: examples per step over all processes together (10; 64 with --npz)")
    training.add_argument("--seed", type=int, default=0, help="fixes data, split, weights and shuffling (0)")
    parallel = parser.add_argument_group("processes")
    parallel.add_argument("--backend", default="auto", choices=BACKENDS, help="auto: nccl on GPUs, gloo on CPUs")
    parallel.add_argument("--out", metavar="DIR", help="the run folder rank 0 writes (default runs/<data>-ddp-<time>)")
    parallel.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def spec_from_arguments(arguments: argparse.Namespace):
    """The RunSpec the options describe (--dataset or --csv)."""
    from nnblocks.runs import RunSpec, parse_hidden

    chosen = {"hidden": parse_hidden(arguments.hidden) if arguments.hidden is not None else None,
              "activation": arguments.activation, "learning_rate": arguments.learning_rate,
              "epochs": arguments.epochs, "batch_size": arguments.batch_size}
    return RunSpec(dataset=arguments.dataset or "spiral", csv=arguments.csv, target=arguments.target,
                   n_samples=arguments.samples, noise=arguments.noise,
                   validation_fraction=arguments.validation_fraction, test_fraction=arguments.test_fraction,
                   scaling=arguments.scaling, l2=arguments.l2, loss=arguments.loss, optimizer=arguments.optimizer,
                   seed=arguments.seed, **{key: value for key, value in chosen.items() if value is not None})


def main(argv=None) -> int:
    """Run one data-parallel training from the command line; 0 on success, 1 with a message otherwise."""
    arguments = build_parser().parse_args(argv)
    placement = placement_from_environment()
    lead = placement.rank == 0
    try:
        if sum(option is not None for option in (arguments.dataset, arguments.csv, arguments.npz)) > 1:
            raise ParameterError(message("--dataset/--csv/--npz", "nnblocks.engines.torch.ddp", "one data source",
                                         "several", "pass only one of them."))
        name = Path(arguments.npz or arguments.csv or "x").stem if (arguments.npz or arguments.csv) \
            else (arguments.dataset or "spiral")
        out = arguments.out or f"runs/{name}-ddp-{datetime.datetime.now():%Y%m%d-%H%M%S}"
        if arguments.npz:
            from nnblocks.runs import parse_hidden

            epochs = arguments.epochs or 10
            callbacks = [] if arguments.quiet or not lead else [EpochPrinter(max(1, epochs // 10))]
            if lead:
                announce(placement, arguments.batch_size or 64, f"the images of {arguments.npz}")
            outcome = train_npz_data_parallel(
                arguments.npz, out, hidden=parse_hidden(arguments.hidden or "128"),
                activation=arguments.activation or "relu", optimizer=arguments.optimizer,
                learning_rate=arguments.learning_rate or 0.001, epochs=epochs,
                batch_size=arguments.batch_size or 64, seed=arguments.seed, backend=arguments.backend,
                progress=False, callbacks=callbacks)
            metrics = outcome["metrics"]
        else:
            spec = spec_from_arguments(arguments)
            callbacks = [] if arguments.quiet or not lead else [EpochPrinter(max(1, spec.epochs // 10))]
            if lead:
                announce(placement, spec.batch_size, f"{spec.data_name}")
            metrics = train_data_parallel(spec, out, backend=arguments.backend, progress=False,
                                          callbacks=callbacks).metrics
    except NNBlocksError as error:
        print(f"rank {placement.rank}: error: {error}", file=sys.stderr, flush=True)
        return 1
    if lead:
        for part, values in metrics.items():
            print(f"{part:>10}: " + "  ".join(f"{key} {value:.4f}" for key, value in values.items()), flush=True)
        print(f"run folder: {out}", flush=True)
    return 0


def announce(placement: Placement, global_batch: int, data: str) -> None:
    low = min(stop - start for start, stop in (shard_bounds(global_batch, placement.world_size, rank)
                                               for rank in range(placement.world_size)))
    share = f"{low}" if global_batch % placement.world_size == 0 else f"{low} or {low + 1}"
    print(f"data-parallel training on {placement.world_size} process(es): {data}, global batch {global_batch} "
          f"= {share} example(s) per process per step", flush=True)


if __name__ == "__main__":
    sys.exit(main())
