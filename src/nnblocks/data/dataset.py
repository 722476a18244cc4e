"""The one container every data source returns.

A ``Dataset`` is deliberately plain: the inputs, the targets and enough words
around them (feature names, class names, the task) for a plot, a report or a
saved model to describe itself without guessing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nnblocks.validation import check_choice

if TYPE_CHECKING:  # pandas is only needed for the annotation, not at import time
    import pandas as pd

TASKS = ("binary", "multiclass", "regression")


@dataclass(repr=False)
class Dataset:
    """Inputs, targets and their description.

    Attributes:
        x: the inputs. A float64 array (N, D) for generated and bundled sets; a pandas
            DataFrame for CSV data, whose text columns are kept as categorical strings
            (the Inputs block one-hot encodes them later).
        y: the targets (N,): int class labels 0..K-1 for generated and bundled
            classification sets, the file's original labels for CSV data, floats for
            regression.
        feature_names: one name per input column, in order.
        target_name: what ``y`` measures ("label", "species", "rating").
        task: "binary", "multiclass" or "regression".
        class_names: the name of each class in label order, or None for regression.
        name: a short identifier ("spiral", "iris", the CSV file's stem).
        description: one or two sentences for people: where the data came from.

    Example:
        >>> data = Dataset(np.zeros((2, 1)), np.array([0, 1]), ["x1"], "label", "binary", ["no", "yes"])
        >>> len(data)
        2
    """

    x: np.ndarray | pd.DataFrame
    y: np.ndarray
    feature_names: list[str]
    target_name: str
    task: str
    class_names: list[str] | None = None
    name: str = "dataset"
    description: str = ""

    def __post_init__(self) -> None:
        self.task = check_choice("task", self.task, TASKS, "Dataset")

    def __len__(self) -> int:
        """Number of examples (rows)."""
        return len(self.y)

    @property
    def number_of_features(self) -> int:
        """Number of input columns, D."""
        return len(self.feature_names)

    @property
    def number_of_classes(self) -> int | None:
        """K for classification, None for regression."""
        return None if self.class_names is None else len(self.class_names)

    def __repr__(self) -> str:
        classes = "" if self.class_names is None else f", classes={len(self.class_names)}"
        return (f"Dataset(name={self.name!r}, task={self.task!r}, examples={len(self)}, "
                f"features={self.number_of_features}{classes})")
