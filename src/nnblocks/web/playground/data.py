"""The points a playground session learns from: generated, uploaded as CSV, drawn or erased.

``Points`` holds the raw table (N rows of D numeric columns, before any derived feature),
the targets (class codes 0..K-1 or values), which rows are for training, and what the page
needs to draw them: the plane's extent and the names of its two axes. Columns are always
called x1, x2, ... inside the session, so the feature toggles (x1², sin x2 ...) mean the same
thing for every table; ``column_names`` keeps a CSV's own names for the page and the exports.

Generated sets come from ``nnblocks.data`` with TF Playground's noise semantics (the slider's
0-50 divided by 100). The train/test split shuffles the rows with the state's seed and takes
the first ``train_ratio`` per cent, as TF Playground does. Drawn points always go to training.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from nnblocks.data import read_csv, spiral_classes
from nnblocks.data.playground import circle, gauss, multi_gaussian, plane, spiral, xor
from nnblocks.data.tasks import infer_task
from nnblocks.web.playground.state import DATASETS, LIMITS, FieldError, bad

GENERATORS = {"circle": circle, "xor": xor, "gauss": gauss, "spiral": spiral, "plane": plane,
              "multi_gaussian": multi_gaussian}
PLAYGROUND_EXTENT = (-6.0, 6.0, -6.0, 6.0)   # TF Playground's plane: x1 and x2 from -6 to 6


@dataclass
class Table:
    """An uploaded CSV, kept whole so the split can be redrawn (ratio, seed) without a new upload."""

    x: np.ndarray                    # (N, D) float64 feature columns, in the chosen order
    y: np.ndarray                    # (N,) class codes (int64) or values (float64)
    column_names: list[str]
    target_name: str
    class_names: list[str] | None    # None: the target can only be a value (regression)
    labels: np.ndarray | None        # the class labels themselves (text or numbers), in code order
    values: np.ndarray | None        # (N,) the target as numbers when it is numeric, for regression
    problems: tuple[str, ...]        # the problems this target allows, the inferred one first


@dataclass
class Points:
    """Raw rows, targets and split of one session's data."""

    x: np.ndarray                    # (N, D) float64
    y: np.ndarray                    # (N,) int64 class codes or float64 values
    train: np.ndarray                # (N,) bool, True for training rows
    problem: str                     # "classification" or "regression"
    class_names: list[str] | None
    column_names: list[str]          # what x1, x2, ... are called (a CSV's headers)
    extent: tuple[float, float, float, float]   # x1 from, x1 to, x2 from, x2 to
    source: dict = field(default_factory=dict)  # how to make it again: the generator call, or "csv"
    edited: bool = False             # points were drawn or erased since it was made
    held: dict[int, float] = field(default_factory=dict)   # column -> value the learner set for the slice

    @property
    def columns(self) -> int:
        return self.x.shape[1]

    @property
    def classes(self) -> int:
        return len(self.class_names) if self.class_names else 0

    def training_rows(self) -> np.ndarray:
        return self.x[self.train] if self.train.any() else self.x

    def training_means(self) -> np.ndarray:
        rows = self.training_rows()
        return rows.mean(axis=0) if len(rows) else np.zeros(self.columns)

    def slice_values(self) -> np.ndarray:
        """A row whose columns 3, 4, ... place the 2-D slice the page shows: the values the learner
        chose (``held``), else the training means. Columns 1 and 2 are the plane's axes."""
        values = self.training_means()
        for column, value in self.held.items():
            values[column] = value
        return values

    def slice_controls(self) -> list[dict]:
        """For the page's sliders: each column beyond the first two, its training range, mean and slice value."""
        rows, means, values = self.training_rows(), self.training_means(), self.slice_values()
        found = []
        for column in range(2, self.columns):
            low, high = (float(rows[:, column].min()), float(rows[:, column].max())) if len(rows) else (0.0, 0.0)
            found.append({"column": column, "name": self.column_names[column], "low": low, "high": high,
                          "mean": float(means[column]), "value": float(values[column]), "held": column in self.held})
        return found

    def hold(self, values: list) -> None:
        """Set the slice: one entry per column beyond the first two, a number or None (back to the mean).

        A number may lie up to one range-width outside the column's training range (to look a little
        beyond the data), no further: far outside, the picture would show only extrapolation.
        """
        extra = self.columns - 2
        if not isinstance(values, list) or len(values) != extra:
            raise bad("values", f"a list of {extra} numbers or nulls, one per column after the first two "
                      f"({', '.join(self.column_names[2:]) or 'there are none'})", values)
        held = {}
        for control, value in zip(self.slice_controls(), values):
            if value is None:
                continue
            span = max(control["high"] - control["low"], 1.0)
            low, high = control["low"] - span, control["high"] + span
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not low <= value <= high:
                raise bad(f"values[{control['column'] - 2}]", f"a number from {low:.4g} to {high:.4g} for "
                          f"{control['name']!r}, or null for its training mean", value)
            held[control["column"]] = float(value)
        self.held = held


def split(count: int, train_ratio: float, seed: int) -> np.ndarray:
    """TF Playground's split: shuffle (seeded), the first ``train_ratio`` % train, the rest test."""
    order = np.random.default_rng([seed, 1]).permutation(count)
    mask = np.zeros(count, dtype=bool)
    mask[order[: int(count * train_ratio / 100)]] = True
    return mask


def generate(state: dict) -> Points:
    """The built-in data set the state names, with its noise, size, seed and split."""
    name = state["dataset"]
    problem, count, _ = DATASETS[name]
    noise = state["noise"] / 100
    if name == "spiral_classes":
        data = spiral_classes(count, n_classes=state["classes"], noise=noise, rng=state["seed"])
        source = {"function": "spiral_classes", "n_samples": count, "n_classes": state["classes"], "noise": noise}
    else:
        data = GENERATORS[name](count, noise=noise, rng=state["seed"])
        source = {"function": name, "n_samples": count, "noise": noise}
    source["seed"] = state["seed"]
    x = np.asarray(data.x, dtype=np.float64)
    y = np.asarray(data.y, dtype=np.int64 if problem == "classification" else np.float64)
    extent = PLAYGROUND_EXTENT if name in GENERATORS else padded_extent(x)
    return Points(x, y, split(len(y), state["train_ratio"], state["seed"]), problem,
                  list(data.class_names) if data.class_names else None, ["x1", "x2"], extent, source)


def from_table(table: Table, state: dict) -> Points:
    """The uploaded table as points, for the state's problem, ratio and seed."""
    if state["problem"] == "regression":
        y, class_names = table.values, None
    else:
        y, class_names = table.y, table.class_names
    return Points(table.x.copy(), y.copy(), split(len(y), state["train_ratio"], state["seed"]), state["problem"],
                  class_names, list(table.column_names), padded_extent(table.x), {"function": "csv"})


def padded_extent(x: np.ndarray) -> tuple[float, float, float, float]:
    """The plane around the first two columns, 5 % wider on each side (a constant column gets +-1)."""
    bounds = []
    for column in (0, 1):
        low, high = (float(x[:, column].min()), float(x[:, column].max())) if len(x) else (-1.0, 1.0)
        pad = (high - low) * 0.05 if high > low else 1.0
        bounds += [low - pad, high + pad]
    return tuple(bounds)


def read_table(text: object, features: object, target: object) -> Table:
    """Parse an uploaded CSV (``nnblocks.read_csv``'s checks and messages) into a numeric Table."""
    if not isinstance(text, str) or not text.strip():
        raise bad("text", "the CSV file's text, with a header row", text if not isinstance(text, str) else "")
    if len(text.encode("utf-8", "surrogatepass")) > LIMITS["max_csv_bytes"]:
        raise FieldError("text", f"'text' is {len(text) / 1e6:.1f} MB; the playground takes CSV files up to "
                                 f"{LIMITS['max_csv_bytes'] / 1e6:g} MB. Use a sample of the rows.")
    if not isinstance(features, list) or len(features) < 2 or not all(isinstance(name, str) for name in features):
        raise bad("features", "a list of at least two column names (the plane has two axes)", features)
    if len(set(features)) != len(features):
        raise bad("features", "a list of different column names", features)
    if not isinstance(target, str):
        raise bad("target", "the name of the column to predict", target)
    if target in features:
        raise bad("target", "a column that is not also a feature", target)
    with tempfile.TemporaryDirectory(prefix="nnblocks-playground-") as folder:
        path = os.path.join(folder, "upload.csv")
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        data = read_csv(path, target=target, features=list(features))
    frame = data.x
    for name in features:
        if not pd.api.types.is_numeric_dtype(frame[name]):
            raise FieldError("features", f"Column '{name}' holds text; the playground draws numeric columns on its "
                                         "plane. Choose numeric feature columns.")
        missing = int(frame[name].isna().sum())
        if missing:
            raise FieldError("features", f"Column '{name}' has {missing} missing value(s). Fill or drop those rows "
                                         "before uploading.")
    if len(frame) > LIMITS["max_csv_rows"]:
        raise FieldError("text", f"The table has {len(frame)} rows; the playground takes up to "
                                 f"{LIMITS['max_csv_rows']}. Upload a sample of the rows.")
    if len(frame) < 4:
        raise FieldError("text", f"The table has {len(frame)} rows; it needs at least 4 (some to train on, "
                                 "some to test on).")
    x = frame[list(features)].to_numpy(dtype=np.float64)
    if not np.isfinite(x).all():
        raise FieldError("features", "A feature column holds an infinite value. Fix the file and upload it again.")
    labels = pd.Series(data.y)
    numeric = pd.api.types.is_numeric_dtype(labels) and not pd.api.types.is_bool_dtype(labels)
    values = labels.to_numpy(dtype=np.float64) if numeric else None
    task = infer_task(labels, name=f"target column '{target}'")
    classes, codes = np.unique(labels.to_numpy() if numeric else labels.astype(str).to_numpy(), return_inverse=True)
    problems = ["classification"] if len(classes) <= LIMITS["max_classes"] else []
    if numeric:   # a number can always be predicted as a value; first when it looks like one
        problems.insert(0 if task == "regression" else len(problems), "regression")
    if not problems:
        raise FieldError("target", f"The target '{target}' has {len(classes)} different labels; the playground "
                                   f"colours at most {LIMITS['max_classes']} classes. Choose another target column.")
    class_names = [_label(value) for value in classes] if "classification" in problems else None
    return Table(x, codes.astype(np.int64).reshape(-1), list(features), target, class_names,
                 classes if class_names else None, values, tuple(problems))


def _label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# --- drawing and erasing ------------------------------------------------------------------------
def add_point(points: Points, x: float, y: float, label: float) -> None:
    """A new training row at (x, y); other columns take their slice value."""
    if len(points.y) >= LIMITS["max_points"]:
        raise FieldError("action", f"The data already has {len(points.y)} points, the most the playground keeps.")
    if points.problem == "classification":
        if not float(label).is_integer() or not 0 <= label < points.classes:
            raise bad("label", f"a class number from 0 to {points.classes - 1}", label)
        target = np.array([int(label)], dtype=np.int64)
    else:
        target = np.array([float(label)], dtype=np.float64)
    row = points.slice_values()
    row[0], row[1] = x, y
    points.x = np.vstack([points.x, row[None, :]])
    points.y = np.concatenate([points.y, target])
    points.train = np.concatenate([points.train, [True]])
    points.edited = True


def erase_points(points: Points, x: float, y: float, radius: float) -> int:
    """Remove every row (training or test) within ``radius`` of (x, y) on the plane; return how many."""
    distance = np.hypot(points.x[:, 0] - x, points.x[:, 1] - y)
    keep = distance > radius
    removed = int((~keep).sum())
    if removed:
        points.x, points.y, points.train = points.x[keep], points.y[keep], points.train[keep]
        points.edited = True
    return removed


def csv_text(points: Points) -> str:
    """The points as CSV (used by exports that embed data the learner drew or uploaded)."""
    frame = pd.DataFrame(points.x, columns=points.column_names)
    frame["target"] = points.y
    frame["train"] = points.train.astype(int)
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format="%.6g")
    return buffer.getvalue()


def check_plane_number(field_name: str, value: object) -> float:
    """A finite coordinate or value from a message."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise bad(field_name, "a finite number", value)
    return float(value)


__all__ = ["GENERATORS", "PLAYGROUND_EXTENT", "Points", "Table", "add_point", "check_plane_number", "csv_text",
           "erase_points", "from_table", "generate", "padded_extent", "read_table", "split"]
