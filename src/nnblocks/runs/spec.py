"""RunSpec: everything that defines one training run, as plain data.

A run is reproducible from its spec alone: the data (a built-in set or a CSV file),
how it is split, the network, and how it is trained. ``train_run`` writes the spec
into the run folder as ``spec.json``, so ``evaluate`` can rebuild exactly the same
train / validation / test parts later.

The defaults are TensorFlow Playground's: 500 generated points, half of them for
training (validation 0.25, test 0.25), two hidden layers of 16 tanh units, batch 10.

Example:
    >>> spec = RunSpec(dataset="xor", hidden=(8,), epochs=50)
    >>> RunSpec.from_dict(spec.to_dict()) == spec
    True
"""

from __future__ import annotations

import dataclasses
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnblocks.blocks.activations import get_activation
from nnblocks.blocks.losses import get_loss
from nnblocks.blocks.registry import ACTIVATIONS, LOSSES
from nnblocks.data import DATASET_NAMES
from nnblocks.engines import DEVICES, ENGINES
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.optim import OPTIMIZERS, PRESETS, get_optimizer
from nnblocks.validation import check_choice, check_integer, check_number, message

OWNER = "RunSpec"
SCALINGS = ("standard", "minmax")
# The names each choice accepts, for help texts and listings (the registries stay the authority).
ACTIVATION_NAMES: tuple[str, ...] = tuple(sorted(ACTIVATIONS))
OPTIMIZER_NAMES: tuple[str, ...] = tuple(sorted({*OPTIMIZERS, *PRESETS}))
LOSS_NAMES: tuple[str, ...] = tuple(sorted(LOSSES))

# Training settings that suit a data set better than the Playground defaults (300 epochs of
# batch 10 at learning rate 0.01, made for 250 two-feature points). Digits has 900 training
# images of 64 pixels: at the defaults Adam overfits it (test accuracy ~0.95, then falls);
# 100 epochs of batch 32 at 0.001 reach 0.96-0.98 in a tenth of the time.
SUGGESTED_TRAINING: dict[str, dict[str, Any]] = {
    "digits": {"epochs": 100, "batch_size": 32, "learning_rate": 0.001},
}


def suggested_training(dataset: str | None) -> dict[str, Any]:
    """``{"epochs", "batch_size", "learning_rate"}`` suggested for ``dataset`` (the RunSpec defaults otherwise)."""
    defaults = {"epochs": 300, "batch_size": 10, "learning_rate": 0.01}
    key = dataset.strip().replace("-", "_").lower() if isinstance(dataset, str) else None
    return {**defaults, **SUGGESTED_TRAINING.get(key, {})}


@dataclass(frozen=True)
class RunSpec:
    """The recipe of one training run.

    Data:
        dataset: a name from ``nnblocks.data.DATASET_NAMES`` (ignored when ``csv`` is given).
        csv, target: a CSV file and the column to predict (instead of ``dataset``).
        n_samples, noise: size and noise of generated sets (bundled sets ignore them).
        validation_fraction, test_fraction: the held-out parts (stratified for classifiers);
            training gets the rest.
        scaling: "standard", "minmax" or None, learned from the training part only.
    Network:
        hidden: units of each hidden Dense layer, e.g. (16, 16); () is a linear model.
        activation: the hidden layers' activation ("tanh", "relu", ...).
        l2: L2 penalty on every Dense layer's weights. dropout: a Dropout rate after each hidden layer.
        loss: a loss name, or None to choose from the task (binary cross-entropy,
            softmax cross-entropy or mean squared error).
    Training:
        optimizer, learning_rate, epochs, batch_size, seed (the seed also fixes the data
        generation, the split, the initial weights and the shuffling).
        engine: "numpy" (the reference) or "torch"; device: where torch computes
            ("auto": CUDA, then MPS, then the CPU; "cpu", "cuda", "mps").
    """

    dataset: str | None = "spiral"
    csv: str | None = None
    target: str | None = None
    n_samples: int = 500
    noise: float = 0.0
    hidden: tuple[int, ...] = field(default=(16, 16))
    activation: str = "tanh"
    optimizer: str = "adam"
    learning_rate: float = 0.01
    epochs: int = 300
    batch_size: int = 10
    seed: int = 0
    validation_fraction: float = 0.25
    test_fraction: float = 0.25
    scaling: str | None = "standard"
    l2: float = 0.0
    dropout: float = 0.0
    loss: str | None = None
    engine: str = "numpy"
    device: str = "auto"

    def __post_init__(self) -> None:
        normalised = _check(self)
        for name, value in normalised.items():
            object.__setattr__(self, name, value)  # frozen: normalise once, here

    # --- plain data ------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The spec as plain JSON data (``hidden`` becomes a list)."""
        data = dataclasses.asdict(self)
        data["hidden"] = list(self.hidden)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunSpec":
        """Rebuild a spec from ``to_dict()`` output; unknown keys are refused, missing ones take defaults."""
        if not isinstance(data, dict):
            raise ParameterTypeError(message("data", "RunSpec.from_dict", "a dict from RunSpec.to_dict()",
                                             type(data).__name__))
        known = {spec_field.name for spec_field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known, key=str)
        if unknown:
            raise ParameterError(message("data", "RunSpec.from_dict", f"a dict with keys from {sorted(known)}",
                                         f"unknown keys {unknown}", "remove or correct them."))
        return cls(**data)

    def replace(self, **changes: Any) -> "RunSpec":
        """A copy with some fields changed (and checked again)."""
        return dataclasses.replace(self, **changes)

    # --- derived names ---------------------------------------------------------------
    @property
    def data_name(self) -> str:
        """A short name for the data: the dataset name or the CSV file's stem."""
        if self.csv is not None:
            return Path(self.csv).stem or "csv"
        return str(self.dataset)


def parse_hidden(text: str) -> tuple[int, ...]:
    """Read hidden layer sizes written as ``"16,16"`` (``""`` or ``"none"``: no hidden layer).

    Raises ParameterError explaining the format for anything else.

    Example:
        >>> parse_hidden("32, 16")
        (32, 16)
    """
    if not isinstance(text, str):
        raise ParameterTypeError(message("hidden", OWNER, "a text such as '16,16'", text))
    stripped = text.strip()
    if stripped.lower() in ("", "none", "0"):
        return ()
    sizes = []
    for part in stripped.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1:
            raise ParameterError(message(
                "hidden", OWNER, "comma-separated positive whole numbers, one per hidden layer, such as '16,16'",
                text, f"{part!r} is not a positive whole number; write e.g. '16,16' for two layers of 16 units, "
                "'64' for one layer, or 'none' for no hidden layer."))
        sizes.append(int(part))
    return tuple(sizes)


def _check(spec: RunSpec) -> dict[str, Any]:
    """Check every field (one message template, see nnblocks.validation); return normalised values."""
    values: dict[str, Any] = {}
    if spec.csv is not None:
        if not isinstance(spec.csv, str) or not spec.csv.strip():
            raise ParameterTypeError(message("csv", OWNER, "the path of a CSV file (a non-empty str) or None",
                                             spec.csv))
        if not isinstance(spec.target, str) or not spec.target:
            raise ParameterError(message("target", OWNER, "the name of the column to predict when 'csv' is given",
                                         spec.target, "name the target column, e.g. target='label'."))
        values["dataset"] = None
    else:
        if spec.target is not None:
            raise ParameterError(message("target", OWNER, "None unless 'csv' is given (built-in data sets have "
                                         "their own target)", spec.target, "pass csv=... as well, or drop target."))
        name = spec.dataset.strip().replace("-", "_") if isinstance(spec.dataset, str) else spec.dataset
        values["dataset"] = check_choice("dataset", name, DATASET_NAMES, OWNER)
    values["n_samples"] = check_integer("n_samples", spec.n_samples, OWNER, minimum=2)
    values["noise"] = check_number("noise", spec.noise, OWNER, minimum=0.0)
    values["hidden"] = _check_hidden(spec.hidden)
    if not isinstance(spec.activation, str):
        raise ParameterTypeError(message("activation", OWNER, "an activation name such as 'tanh'", spec.activation))
    values["activation"] = get_activation(spec.activation, owner=OWNER).type_name
    if not isinstance(spec.optimizer, str):
        raise ParameterTypeError(message("optimizer", OWNER, "an optimiser name such as 'adam'", spec.optimizer))
    values["learning_rate"] = check_number("learning_rate", spec.learning_rate, OWNER, minimum=0.0,
                                           strict_minimum=True)
    values["optimizer"] = check_choice("optimizer", spec.optimizer, OPTIMIZER_NAMES, OWNER)
    get_optimizer(values["optimizer"], learning_rate=values["learning_rate"])  # its own checks, e.g. the rate
    values["epochs"] = check_integer("epochs", spec.epochs, OWNER, minimum=1)
    values["batch_size"] = check_integer("batch_size", spec.batch_size, OWNER, minimum=1)
    values["seed"] = check_integer("seed", spec.seed, OWNER, minimum=0)
    values["validation_fraction"] = check_number("validation_fraction", spec.validation_fraction, OWNER,
                                                 minimum=0.0, maximum=0.9)
    values["test_fraction"] = check_number("test_fraction", spec.test_fraction, OWNER, minimum=0.0, maximum=0.9,
                                           strict_minimum=True)
    if values["validation_fraction"] + values["test_fraction"] >= 1.0:
        raise ParameterError(message("validation_fraction", OWNER, "a fraction with validation_fraction + "
                                     "test_fraction < 1, so rows are left for training",
                                     values["validation_fraction"], "lower one of them, e.g. 0.2 and 0.2."))
    if spec.scaling is None or (isinstance(spec.scaling, str) and spec.scaling.lower() == "none"):
        values["scaling"] = None
    else:
        values["scaling"] = check_choice("scaling", spec.scaling, (*SCALINGS, "none"), OWNER)
    values["l2"] = check_number("l2", spec.l2, OWNER, minimum=0.0)
    values["dropout"] = check_number("dropout", spec.dropout, OWNER, minimum=0.0, maximum=0.95)
    if spec.loss is not None:
        if not isinstance(spec.loss, str):
            raise ParameterTypeError(message("loss", OWNER, "a loss name such as 'mse', or None", spec.loss))
        values["loss"] = get_loss(spec.loss, owner=OWNER).type_name
    values["engine"] = check_choice("engine", spec.engine, ENGINES, OWNER)
    values["device"] = check_choice("device", spec.device, DEVICES, OWNER)
    if values["engine"] == "numpy" and values["device"] not in ("auto", "cpu"):
        raise ParameterError(message("device", OWNER, "'auto' or 'cpu' with the NumPy engine", spec.device,
                                     "pass engine='torch' to train on a GPU."))
    return values


def _check_hidden(hidden: object) -> tuple[int, ...]:
    if isinstance(hidden, str):
        return parse_hidden(hidden)
    if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
        hidden = (hidden,)
    if not isinstance(hidden, (list, tuple)):
        raise ParameterTypeError(message("hidden", OWNER, "a tuple of layer sizes such as (16, 16)", hidden))
    return tuple(check_integer(f"hidden[{index}]", size, OWNER, minimum=1) for index, size in enumerate(hidden))
