"""The playground's settings: every field of the protocol's state, its default, and its check.

A learner's whole set-up is one flat dict (docs/playground-protocol.md, "State") that the page
keeps in its URL. ``check_fields`` reads a partial update field by field: each bad field
becomes a ``FieldError`` that names it, and the good ones still apply, so one wrong value in
a hand-edited link never throws the rest away. ``settle`` then makes the fields agree with
each other (a regression data set implies the regression problem, a loss that does not fit
the problem falls back to the problem's default, ...).

The defaults are TensorFlow Playground's (circle, 4-2 tanh network, learning rate 0.03,
batch 10, half the points for training), except the classification loss: cross-entropy,
which nnblocks teaches as the right loss for probabilities (squared error is one click away).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from nnblocks.errors import ParameterError

# --- what can be chosen ------------------------------------------------------------------------
# name -> (problem, number of points, description). Sizes follow TF Playground (500 points to
# classify, 1200 to regress); spiral_classes is nnblocks' multi-class spiral (CS231n).
DATASETS: dict[str, tuple[str, int, str]] = {
    "circle": ("classification", 500, "a disc inside a ring"),
    "xor": ("classification", 500, "four quadrants, exclusive or"),
    "gauss": ("classification", 500, "two Gaussian clouds"),
    "spiral": ("classification", 500, "two interleaved spirals"),
    "spiral_classes": ("classification", 500, "spiral arms, one class each (multi-class)"),
    "plane": ("regression", 1200, "a tilted plane"),
    "multi_gaussian": ("regression", 1200, "six signed bumps"),
}
CSV_DATASET = "csv"   # the learner's uploaded table; chosen by upload_csv, not by configure
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")   # TF Playground's seven toggles
HIDDEN_ACTIVATIONS = ("tanh", "relu", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw")
REGULARIZATIONS = ("none", "l1", "l2")
PROBLEMS = ("classification", "regression")
# The playground's loss names -> the problems they suit. How each maps onto nnblocks losses
# and output layers is decided in outcomes.py (``output_design``).
LOSSES: dict[str, tuple[str, ...]] = {
    "cross_entropy": ("classification",),
    "squared_error": ("classification", "regression"),
    "absolute_error": ("regression",),
    "huber": ("regression",),
}
DEFAULT_LOSS = {"classification": "cross_entropy", "regression": "squared_error"}
DEFAULT_DATASET = {"classification": "circle", "regression": "plane"}

# Limits: TF Playground stops at 6 layers of 8; these stay interactive on a laptop core.
LIMITS = {
    "max_layers": 8, "max_neurons": 16, "max_classes": 8, "max_batch_size": 1000, "max_epochs_per_frame": 1000,
    "max_learning_rate": 1e6, "max_regularization_rate": 1e3, "max_csv_rows": 20_000, "max_csv_bytes": 10_000_000,
    "max_points": 25_000,
}

DEFAULTS: dict[str, Any] = {
    "dataset": "circle", "noise": 0, "train_ratio": 50, "batch_size": 10, "seed": 0,
    "features": ["x1", "x2"], "hidden": [4, 2], "activation": "tanh", "learning_rate": 0.03,
    "regularization": "none", "regularization_rate": 0.0, "problem": "classification", "classes": 3,
    "optimizer": "sgd", "loss": "cross_entropy", "epochs_per_frame": 1, "stop_epochs": None, "stop_loss": None,
    "discretize": False, "show_test": False, "hide": [],
}

# Which changes rebuild what. Everything else applies live, between two training steps.
DATA_FIELDS = frozenset({"dataset", "noise", "train_ratio", "seed", "classes", "problem"})
NETWORK_FIELDS = frozenset({"features", "hidden", "activation", "loss"})


class FieldError(ParameterError):
    """One field of a message is wrong; ``field`` names it for the error frame."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field


def describe(value: object) -> str:
    """A short repr for messages (long strings and lists cut)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def bad(field: str, expected: str, value: object, fix: str | None = None) -> FieldError:
    """The one message template (as nnblocks.validation.message): the field, what it must be, what came."""
    text = f"'{field}' must be {expected}; got {describe(value)}."
    return FieldError(field, text + (f" {fix}" if fix else ""))


# --- single values -----------------------------------------------------------------------------
def number(field: str, value: object, low: float, high: float, strict_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise bad(field, f"a number from {low:g} to {high:g}", value)
    if value < low or value > high or (strict_low and value <= low):
        bound = f"greater than {low:g}" if strict_low else f"at least {low:g}"
        raise bad(field, f"a number {bound} and at most {high:g}", value)
    return float(value)


def integer(field: str, value: object, low: int, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)   # JSON from a browser may say 10.0
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise bad(field, f"a whole number from {low} to {high}", value)
    if not low <= value <= high:
        raise bad(field, f"a whole number from {low} to {high}", value)
    return int(value)


def choice(field: str, value: object, choices) -> str:
    if not isinstance(value, str) or value not in choices:
        raise bad(field, "one of " + ", ".join(choices), value)
    return value


def flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise bad(field, "true or false", value)
    return value


def optional(check):
    """``check`` that also lets None (JSON null, "no such stop condition") through."""
    def checked(field: str, value: object):
        return None if value is None else check(field, value)
    return checked


def hidden_sizes(field: str, value: object) -> list[int]:
    if not isinstance(value, list) or len(value) > LIMITS["max_layers"]:
        raise bad(field, f"a list of at most {LIMITS['max_layers']} layer sizes, e.g. [4, 2]", value)
    return [integer(f"{field}[{index}]", size, 1, LIMITS["max_neurons"]) for index, size in enumerate(value)]


def feature_list(field: str, value: object, allowed: tuple[str, ...]) -> list[str]:
    if not isinstance(value, list) or not value:
        raise bad(field, "a non-empty list of input features, e.g. [\"x1\", \"x2\"]", value,
                  "A network needs at least one input.")
    for item in value:
        if item not in allowed:
            raise bad(field, "a list of features from " + ", ".join(allowed), value)
    if len(set(value)) != len(value):
        raise bad(field, "a list without repeats", value)
    return [name for name in allowed if name in value]   # the canonical order, whatever order came


def text_list(field: str, value: object) -> list[str]:
    if not isinstance(value, list) or len(value) > 50 or not all(isinstance(item, str) and len(item) <= 40
                                                                  for item in value):
        raise bad(field, "a list of control names (at most 50, each at most 40 characters)", value)
    return list(value)


CHECKS = {
    "dataset": lambda field, value: choice(field, value, (*DATASETS, CSV_DATASET)),
    "noise": lambda field, value: number(field, value, 0, 50),
    "train_ratio": lambda field, value: number(field, value, 10, 90),
    "batch_size": lambda field, value: integer(field, value, 1, LIMITS["max_batch_size"]),
    "seed": lambda field, value: integer(field, value, 0, 2**31 - 1),
    "features": None,   # depends on the data: see check_fields
    "hidden": hidden_sizes,
    "activation": lambda field, value: choice(field, value, HIDDEN_ACTIVATIONS),
    "learning_rate": lambda field, value: number(field, value, 0, LIMITS["max_learning_rate"], strict_low=True),
    "regularization": lambda field, value: choice(field, value, REGULARIZATIONS),
    "regularization_rate": lambda field, value: number(field, value, 0, LIMITS["max_regularization_rate"]),
    "problem": lambda field, value: choice(field, value, PROBLEMS),
    "classes": lambda field, value: integer(field, value, 2, LIMITS["max_classes"]),
    "optimizer": lambda field, value: choice(field, value, OPTIMIZERS),
    "loss": lambda field, value: choice(field, value, tuple(LOSSES)),
    "epochs_per_frame": lambda field, value: integer(field, value, 1, LIMITS["max_epochs_per_frame"]),
    "stop_epochs": optional(lambda field, value: integer(field, value, 1, 10**9)),
    "stop_loss": optional(lambda field, value: number(field, value, 0, 1e12)),
    "discretize": flag,
    "show_test": flag,
    "hide": text_list,
}


def check_fields(partial: object, feature_names: tuple[str, ...]) -> tuple[dict[str, Any], list[FieldError]]:
    """Check a partial state field by field: (the good fields, one FieldError per bad one).

    ``feature_names`` are the features the current data allows (the seven toggles, and x3, x4 ...
    for a CSV with more than two feature columns).
    """
    if not isinstance(partial, dict):
        return {}, [bad("state", "an object of settings, e.g. {\"learning_rate\": 0.01}", partial)]
    good: dict[str, Any] = {}
    errors: list[FieldError] = []
    for field, value in partial.items():
        if field not in CHECKS:
            errors.append(FieldError(str(field), f"'{describe(field)[1:-1]}' is not a state field; the fields are "
                                     + ", ".join(CHECKS) + "."))
            continue
        try:
            good[field] = feature_list(field, value, feature_names) if field == "features" else \
                CHECKS[field](field, value)
        except FieldError as error:
            errors.append(error)
    return good, errors


def settle(state: dict[str, Any], changed: dict[str, Any], csv_problems: tuple[str, ...] | None) -> list[FieldError]:
    """Apply ``changed`` to ``state`` in place and make the fields agree; return refusals.

    ``csv_problems`` lists the problems the uploaded table allows (None: no table). The
    refusals are fields that contradict another one in the same message (kept as they were).
    """
    errors: list[FieldError] = []
    if changed.get("dataset") == CSV_DATASET and csv_problems is None:
        # Most often a shared link: it names the uploaded table, but a link cannot carry the file.
        errors.append(FieldError("dataset", "This set-up used an uploaded CSV file, which a link cannot carry, so a "
                                 "built-in data set is shown instead. To go on with your table, upload it again "
                                 "(Data → Upload CSV). The protocol's rule: 'dataset' can be 'csv' only after "
                                 "upload_csv."))
        changed.pop("dataset")
    problem_before = state["problem"]
    state.update(changed)
    dataset = state["dataset"]
    if dataset in DATASETS:
        problem = DATASETS[dataset][0]
        if "problem" in changed and changed["problem"] != problem:
            if "dataset" in changed:
                errors.append(bad("problem", f"'{problem}' for the {dataset} data set", changed["problem"]))
            else:   # TF Playground: choosing the problem type switches to a data set of that type
                state["dataset"] = DEFAULT_DATASET[changed["problem"]]
                problem = changed["problem"]
        state["problem"] = problem
    elif csv_problems is not None and state["problem"] not in csv_problems:
        if "problem" in changed:
            errors.append(bad("problem", " or ".join(f"'{name}'" for name in csv_problems) +
                              " for this table's target", changed["problem"]))
        state["problem"] = csv_problems[0]
    if state["problem"] != problem_before and "loss" not in changed:
        # A new problem type starts from its own loss (TF Playground has one per type), rather than
        # keeping squared error for classes or cross-entropy for values without the learner asking.
        state["loss"] = DEFAULT_LOSS[state["problem"]]
    if state["problem"] not in LOSSES[state["loss"]]:
        if "loss" in changed:
            errors.append(bad("loss", "a loss for " + state["problem"] + ": " +
                              ", ".join(name for name, problems in LOSSES.items() if state["problem"] in problems),
                              changed["loss"]))
        state["loss"] = DEFAULT_LOSS[state["problem"]]
    return errors


def options() -> dict[str, Any]:
    """What GET /api/options returns: every choice the page offers, the limits and the defaults."""
    return {
        "datasets": [{"name": name, "problem": problem, "points": points, "description": text,
                      "classes": _classes_of(name, problem), "multiclass": name == "spiral_classes"}
                     for name, (problem, points, text) in DATASETS.items()],
        "features": list(FEATURES),
        "activations": list(HIDDEN_ACTIVATIONS),
        "optimizers": list(OPTIMIZERS),
        "regularizations": list(REGULARIZATIONS),
        "problems": list(PROBLEMS),
        "losses": [{"name": name, "problems": list(problems)} for name, problems in LOSSES.items()],
        "limits": dict(LIMITS),
        "defaults": {key: (list(value) if isinstance(value, list) else value) for key, value in DEFAULTS.items()},
        "output_resolution": OUTPUT_RESOLUTION,
        "neuron_resolution": NEURON_RESOLUTION,
    }


def _classes_of(name: str, problem: str) -> int | None:
    """How many classes a data set has by default (None for regression)."""
    if name == "spiral_classes":
        return DEFAULTS["classes"]
    return 2 if problem == "classification" else None


# Map sizes. The neuron maps are an exact subsample of the output grid: 100 / 20 = 5 is odd, so
# every fifth pixel centre of the 100-grid (rows and columns 2, 7, 12, ...) is a pixel centre of
# the 20-grid, and one forward pass over the 100 x 100 points gives both.
OUTPUT_RESOLUTION = 100
NEURON_RESOLUTION = 20


MAX_EDIT = 1e6   # a weight or bias typed into the editor


def read_index(message: dict, name: str) -> int:
    """A message field that must be a position (layer, unit, source, target): an int >= 0."""
    value = message.get(name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise bad(name, "a whole number, 0 or more", value)
    return value


def read_edit_value(message: dict) -> float:
    """The number a learner typed for a weight or bias: finite and at most MAX_EDIT in size."""
    value = message.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or abs(value) > MAX_EDIT:
        raise bad("value", f"a number from {-MAX_EDIT:g} to {MAX_EDIT:g}", value)
    return float(value)
