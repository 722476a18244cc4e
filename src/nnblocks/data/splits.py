"""Split examples into training, validation and test parts, stratified when labels allow.

Sizes: the test part gets ``round(N * test)`` rows and the validation part
``round(N * validation)`` (at least one each when the fraction is positive); training
gets the rest. Stratified splits share each split's rows out among the classes by
largest remainder, so every class is within one example of its exact share and the
totals still match; then a class with enough examples (one per split) that missed a
split borrows one example from its training rows, so every class appears everywhere
when possible. Rows inside each part are shuffled. Works on NumPy arrays, lists and
pandas objects alike (pandas rows are taken with ``iloc`` and keep their index).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from nnblocks.data.tasks import infer_task
from nnblocks.errors import DataError, ParameterError, ParameterTypeError
from nnblocks.validation import check_integer, check_number, message


class Split(NamedTuple):
    """The six parts of a train / validation / test split, in that order."""

    x_train: Any
    y_train: Any
    x_validation: Any
    y_validation: Any
    x_test: Any
    y_test: Any


class Holdout(NamedTuple):
    """A single holdout: the training part and the part held out."""

    x_train: Any
    y_train: Any
    x_holdout: Any
    y_holdout: Any


def train_validation_test_split(x: Any, y: Any, validation: float = 0.25, test: float = 0.25,
                                stratify: bool | None = None, seed: int = 0) -> Split:
    """Shuffle the rows of ``x`` and ``y`` together and cut them into three parts.

    Args:
        x: inputs (N, ...), an array or a DataFrame.
        y: targets (N,), an array, list or Series.
        validation: fraction of rows for validation, in [0, 1); 0 gives empty validation parts.
        test: fraction of rows for testing, in (0, 1); ``validation + test`` must stay below 1.
        stratify: keep class proportions in every part; None decides from ``infer_task(y)``
            (yes for classification, no for regression).
        seed: seed of the random generator, so the same call gives the same split.

    Example:
        >>> parts = train_validation_test_split(np.arange(8)[:, None], np.arange(8) % 2, seed=1)
        >>> len(parts.x_train), len(parts.x_validation), len(parts.x_test)
        (4, 2, 2)
    """
    owner = "train_validation_test_split"
    validation = check_number("validation", validation, owner, minimum=0.0, maximum=1.0)
    test = check_number("test", test, owner, minimum=0.0, maximum=1.0, strict_minimum=True)
    if validation + test >= 1.0:
        raise ParameterError(message("validation", owner, "a fraction with validation + test < 1 so rows are "
                                     "left for training", f"validation={validation:g}, test={test:g}",
                                     "lower one of them, e.g. validation=0.2, test=0.2."))
    train_rows, (test_rows, validation_rows) = _split_indices(y, x, [test, validation], stratify, seed, owner)
    return Split(_take(x, train_rows), _take(y, train_rows), _take(x, validation_rows), _take(y, validation_rows),
                 _take(x, test_rows), _take(y, test_rows))


def split_fraction(x: Any, y: Any, fraction: float = 0.25, stratify: bool | None = None, seed: int = 0) -> Holdout:
    """Hold out ``fraction`` of the rows (stratified like above); return ``Holdout`` parts."""
    fraction = check_number("fraction", fraction, "split_fraction", minimum=0.0, maximum=1.0, strict_minimum=True)
    if fraction >= 1.0:
        raise ParameterError(message("fraction", "split_fraction", "a fraction in (0, 1)", fraction,
                                     "leave rows for training, e.g. fraction=0.2."))
    train_rows, (holdout_rows,) = _split_indices(y, x, [fraction], stratify, seed, "split_fraction")
    return Holdout(_take(x, train_rows), _take(y, train_rows), _take(x, holdout_rows), _take(y, holdout_rows))


def _split_indices(y: Any, x: Any, fractions: list[float], stratify: bool | None, seed: int,
                   owner: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """Row indices of the training part and of each fraction's part, in the order of ``fractions``."""
    seed = check_integer("seed", seed, owner, minimum=0)
    if stratify is not None and not isinstance(stratify, bool):
        raise ParameterTypeError(message("stratify", owner, "True, False or None (automatic)", stratify))
    count = len(y)
    if len(x) != count:
        raise DataError(f"x has {len(x)} rows but y has {count}; {owner} needs one target per example. "
                        "Fix: pass x and y from the same data set.")
    sizes = [max(1, round(count * fraction)) if fraction > 0 else 0 for fraction in fractions]
    if sum(sizes) >= count:
        raise DataError(f"{count} rows are too few to split into parts of {sizes} rows and still train. "
                        "Fix: use more data or smaller fractions.")
    generator = np.random.default_rng(seed)
    labels = np.asarray(y)
    if stratify is None:
        stratify = _is_classification(y)
    if not stratify:
        *parts, train = np.split(generator.permutation(count), np.cumsum(sizes))
        return train, parts
    if labels.ndim != 1:
        raise DataError(f"Stratifying needs one label per row, but y has shape {labels.shape}. "
                        "Fix: pass class labels (N,), not one-hot rows, or stratify=False.")
    if not _is_classification(y):
        raise DataError("Stratifying keeps each class's share in every part, but y looks like a regression "
                        f"target ({len(np.unique(labels))} distinct values in {count} rows), not class labels. "
                        "Fix: pass stratify=False (or leave stratify=None to decide automatically).")
    classes, codes = np.unique(labels.astype(str) if labels.dtype == object else labels, return_inverse=True)
    class_sizes = np.bincount(codes.reshape(-1), minlength=len(classes))
    shares = [_largest_remainder(class_sizes, fraction, size) for fraction, size in zip(fractions, sizes)]
    shares = _fill_empty_parts(np.array(shares), class_sizes, fractions)  # (P, K)
    parts: list[list[np.ndarray]] = [[] for _ in range(len(fractions) + 1)]
    for label in range(len(classes)):
        members = generator.permutation(np.flatnonzero(codes == label))
        bounds = np.cumsum(shares[:, label])
        for part, rows in zip(parts, np.split(members, bounds)):
            part.append(rows)
    *held_out, train = [generator.permutation(np.concatenate(part)) for part in parts]
    return train, held_out


def _largest_remainder(class_sizes: np.ndarray, fraction: float, total: int) -> np.ndarray:
    """Share ``total`` rows among classes in proportion to their sizes (Hamilton's method)."""
    exact = class_sizes * fraction
    share = np.floor(exact).astype(np.int64)
    leftover = total - int(share.sum())
    # the classes whose exact share was rounded down the most get one more row each
    order = np.argsort(-(exact - share), kind="stable")
    share[order[:max(leftover, 0)]] += 1
    return np.minimum(share, class_sizes)


def _fill_empty_parts(shares: np.ndarray, class_sizes: np.ndarray, fractions: list[float]) -> np.ndarray:
    """Give each class at least one row in every non-empty part when it has enough rows, taken from training."""
    wanted_parts = 1 + sum(fraction > 0 for fraction in fractions)  # training plus the non-empty parts
    for label, size in enumerate(class_sizes):
        # a class can take more than its rows when shares round up twice; give back from the largest part
        while shares[:, label].sum() > size:
            shares[np.argmax(shares[:, label]), label] -= 1
        if size >= wanted_parts:
            for part, fraction in enumerate(fractions):
                if fraction > 0 and shares[part, label] == 0:
                    shares[part, label] = 1
        # training keeps at least one row of every class, even of a class too rare for every part
        while size > 0 and size - shares[:, label].sum() < 1:
            shares[np.argmax(shares[:, label]), label] -= 1
    return shares


def _is_classification(y: Any) -> bool:
    try:
        return infer_task(y) != "regression"
    except DataError:  # a single class or missing labels: nothing sensible to stratify on
        return False


def _take(data: Any, rows: np.ndarray) -> Any:
    """Rows of an array, list or pandas object, by position."""
    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.iloc[rows]
    return np.asarray(data)[rows]
