"""Evaluation metrics as plain NumPy functions, each with its formula.

Every function returns a Python ``float`` (or an int array for the confusion matrix) and agrees
with the scikit-learn function of the same name; the tests check that on random data.
Bad inputs (shapes that do not match, labels out of range) raise :class:`DataError`; a metric
that is merely undefined for the data at hand (AUC with one class) returns NaN instead, because
it is computed inside training where an exception would throw the run away.
"""

from __future__ import annotations

import numpy as np

from nnblocks.errors import DataError
from nnblocks.validation import check_choice, check_integer


def _pair(y_true, y_pred, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Flatten two label/value vectors and check they have the same, non-zero length."""
    a, b = np.asarray(y_true).ravel(), np.asarray(y_pred).ravel()
    if a.size != b.size:
        raise DataError(f"{name}: y_true has {a.size} values but y_pred has {b.size}; they must match one to one.")
    if a.size == 0:
        raise DataError(f"{name}: got no samples; it needs at least one.")
    return a, b


def accuracy(y_true, y_pred) -> float:
    """Fraction of exact matches: ``accuracy = (1/n) * sum_i [y_true_i == y_pred_i]``.

    Both arguments are label vectors (any shape with the same number of elements).
    """
    a, b = _pair(y_true, y_pred, "accuracy")
    return int(np.count_nonzero(a == b)) / a.size   # the mean of the matches, without np.mean's Python layer


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks of ``values``; tied values all get the mean of the ranks they span.

    Sort once; a tie group is a run of equal sorted values, occupying sorted positions
    start .. stop - 1, i.e. ranks start + 1 .. stop, whose mean is (start + stop + 1) / 2.
    (As scipy.stats.rankdata(method="average"); a few passes, no np.unique.)
    """
    count = len(values)
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    group_starts = np.empty(count, dtype=bool)
    group_starts[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=group_starts[1:])
    group_of = np.cumsum(group_starts) - 1                     # each sorted position's tie group
    starts = np.flatnonzero(group_starts)
    stops = np.append(starts[1:], count)
    ranks = np.empty(count)
    ranks[order] = ((starts + stops + 1) / 2.0)[group_of]
    return ranks


def roc_auc(y_true01, scores) -> float:
    """Area under the ROC curve for a binary problem, via the Mann–Whitney U statistic.

    With ``R+`` the sum of the (average, for ties) ranks of the positive samples' scores among
    all scores, ``n+`` positives and ``n-`` negatives::

        AUC = (R+ - n+ (n+ + 1) / 2) / (n+ * n-)

    which is the probability that a random positive scores above a random negative, ties
    counting one half. ``scores`` may be probabilities, logits or any monotone score.

    Returns NaN (does not raise) when ``y_true01`` holds a single class — AUC compares positives
    with negatives, so it is undefined without both, and a validation batch can easily be
    all one class — and when any score is NaN/inf (a diverged model; training reports that).
    """
    labels, scores = _pair(y_true01, scores, "roc_auc")
    if not ((labels == 0) | (labels == 1)).all():   # (np.isin costs ten times more on small arrays)
        raise DataError(f"roc_auc: y_true must hold only 0 and 1; found {np.unique(labels)[:10].tolist()}.")
    scores = scores.astype(float)
    positive = labels == 1
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0 or not np.isfinite(scores).all():
        return float("nan")
    rank_sum = _average_ranks(scores)[positive].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def top_k_accuracy(y_true, scores, k: int) -> float:
    """Fraction of samples whose true class is among the ``k`` highest-scoring classes.

    ``top_k = (1/n) * sum_i [y_true_i in argtop_k(scores_i)]`` with ``scores`` of shape
    (n, n_classes) and integer labels in [0, n_classes). Ties in scores are broken as in
    scikit-learn (among equal scores the higher class index ranks first); ``k >= n_classes``
    gives 1.0.
    """
    k = check_integer("k", k, "top_k_accuracy", minimum=1)
    scores = np.asarray(scores, dtype=float)
    labels = np.asarray(y_true).ravel()
    if scores.ndim != 2 or scores.shape[0] != labels.size or labels.size == 0:
        raise DataError(f"top_k_accuracy: scores must have shape (n_samples, n_classes) = ({labels.size}, C); "
                        f"got {scores.shape}.")
    _check_labels(labels, scores.shape[1], "top_k_accuracy")
    ranked = np.argsort(scores, axis=1, kind="mergesort")[:, ::-1][:, :k]
    return float(np.mean((ranked == labels[:, None].astype(int)).any(axis=1)))


def _check_labels(labels: np.ndarray, n_classes: int, name: str) -> None:
    whole = np.issubdtype(labels.dtype, np.integer) or (labels.size and np.all(np.mod(labels, 1) == 0))
    if not whole or labels.min() < 0 or labels.max() >= n_classes:
        raise DataError(f"{name}: labels must be integers in [0, {n_classes}); "
                        f"found values from {labels.min()} to {labels.max()}.")


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """Counts ``C[i, j]`` = number of samples with true class ``i`` predicted as class ``j``.

    Rows are true classes and columns predictions (scikit-learn's layout); the diagonal holds
    the correct ones. Returns an int64 array of shape (n_classes, n_classes).
    """
    n_classes = check_integer("n_classes", n_classes, "confusion_matrix", minimum=1)
    a, b = _pair(y_true, y_pred, "confusion_matrix")
    _check_labels(a, n_classes, "confusion_matrix")
    _check_labels(b, n_classes, "confusion_matrix")
    flat = a.astype(np.int64) * n_classes + b.astype(np.int64)  # one bin per (true, predicted) cell
    return np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, n_classes)


def _columns(y_true, y_pred, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Regression targets as (n, outputs) float arrays; (n,) and (n, 1) are treated alike."""
    a, b = np.atleast_1d(np.asarray(y_true, dtype=float)), np.atleast_1d(np.asarray(y_pred, dtype=float))
    if a.size == 0 or b.size == 0:
        raise DataError(f"{name}: got no samples; it needs at least one.")
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    if a.shape != b.shape:
        raise DataError(f"{name}: y_true has shape {a.shape} but y_pred has shape {b.shape}; they must match.")
    return a, b


def mean_absolute_error(y_true, y_pred) -> float:
    """``MAE = mean over outputs of (1/n) * sum_i |y_i - ŷ_i|`` (uniform average of outputs)."""
    a, b = _columns(y_true, y_pred, "mean_absolute_error")
    return float(np.mean(np.abs(a - b)))  # every output has n rows, so the global mean is the average


def root_mean_squared_error(y_true, y_pred) -> float:
    """``RMSE = mean over outputs of sqrt((1/n) * sum_i (y_i - ŷ_i)^2)``.

    The square root is taken per output before averaging, as in scikit-learn, so it is not the
    square root of the overall mean squared error when there are several outputs.
    """
    a, b = _columns(y_true, y_pred, "root_mean_squared_error")
    return float(np.mean(np.sqrt(np.mean((a - b) ** 2, axis=0))))


def r2_score(y_true, y_pred) -> float:
    """Coefficient of determination, uniform average over outputs.

    Per output: ``R² = 1 - SS_res / SS_tot`` with ``SS_res = sum_i (y_i - ŷ_i)^2`` and
    ``SS_tot = sum_i (y_i - mean(y))^2``. A constant output (``SS_tot = 0``) scores 1.0 when
    predicted perfectly and 0.0 otherwise, as scikit-learn does. With fewer than two samples
    R² is undefined and NaN is returned.
    """
    a, b = _columns(y_true, y_pred, "r2_score")
    if len(a) < 2:
        return float("nan")
    ss_res = np.sum((a - b) ** 2, axis=0)
    ss_tot = np.sum((a - a.mean(axis=0)) ** 2, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.where(ss_tot > 0, 1.0 - ss_res / ss_tot, np.where(ss_res == 0, 1.0, 0.0))
    return float(np.mean(scores))


def _binary_scores(scores) -> np.ndarray:
    """One score per sample: a (n,) or (n, 1) array as is; for (n, 2) the positive column."""
    scores = np.asarray(scores, dtype=float)
    if scores.ndim == 2 and scores.shape[1] == 2:
        return scores[:, 1]
    return scores.ravel()


def task_metrics(task: str, y_true, scores, probabilities, predictions) -> dict[str, float]:
    """The standard metrics for a task, named as they appear in the training logs.

    - ``"binary"``: ``{"accuracy", "roc_auc"}`` — accuracy of ``predictions`` (0/1 labels), AUC of
      ``scores`` (falls back to ``probabilities`` when ``scores`` is None).
    - ``"multiclass"``: ``{"accuracy"}`` of ``predictions`` (class indices).
    - ``"regression"``: ``{"mae", "rmse", "r2"}`` of ``predictions`` (falls back to ``scores``).
    """
    task = check_choice("task", task, ("binary", "multiclass", "regression"), "task_metrics")
    if task == "binary":
        ranking = scores if scores is not None else probabilities
        return {"accuracy": accuracy(y_true, predictions), "roc_auc": roc_auc(y_true, _binary_scores(ranking))}
    if task == "multiclass":
        return {"accuracy": accuracy(y_true, predictions)}
    values = predictions if predictions is not None else scores
    return {"mae": mean_absolute_error(y_true, values), "rmse": root_mean_squared_error(y_true, values),
            "r2": r2_score(y_true, values)}
