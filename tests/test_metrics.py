"""Every metric against scikit-learn on random data, ties and edge cases included."""

import math

import numpy as np
import pytest
from sklearn import metrics as skm

from nnblocks.errors import DataError, ParameterError
from nnblocks.training import metrics as m

SEEDS = range(8)


@pytest.mark.parametrize("seed", SEEDS)
def test_accuracy_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, 4, 50), rng.integers(0, 4, 50)
    assert m.accuracy(y, p) == pytest.approx(skm.accuracy_score(y, p))


def test_accuracy_accepts_column_vectors_and_rejects_mismatch():
    assert m.accuracy(np.array([[1], [0], [1]]), np.array([1, 1, 1])) == pytest.approx(2 / 3)
    with pytest.raises(DataError, match="3 values but y_pred has 2"):
        m.accuracy([1, 0, 1], [1, 0])
    with pytest.raises(DataError, match="no samples"):
        m.accuracy([], [])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("levels", [None, 3, 10])  # None: continuous scores; 3/10: many ties
def test_roc_auc_matches_sklearn(seed, levels):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 80)
    scores = rng.normal(size=80) + y if levels is None else rng.integers(0, levels, 80).astype(float)
    assert m.roc_auc(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-12)


def test_roc_auc_perfect_reversed_and_all_tied():
    y = np.array([0, 0, 1, 1])
    assert m.roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert m.roc_auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert m.roc_auc(y, [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert m.roc_auc(np.array([[0], [1]], dtype=float), np.array([[0.3], [0.7]])) == 1.0


def test_roc_auc_single_class_or_nonfinite_scores_is_nan_not_an_error():
    assert math.isnan(m.roc_auc([1, 1, 1], [0.2, 0.5, 0.9]))
    assert math.isnan(m.roc_auc([0, 0], [0.2, 0.5]))
    assert math.isnan(m.roc_auc([0, 1], [np.nan, 0.5]))


def test_roc_auc_rejects_labels_other_than_0_1():
    with pytest.raises(DataError, match="only 0 and 1"):
        m.roc_auc([0, 2, 1], [0.1, 0.2, 0.3])


@pytest.mark.filterwarnings("ignore:'k' .* greater than or equal")  # sklearn's note for k=5 of 5 classes
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("ties", [False, True])
def test_top_k_accuracy_matches_sklearn(seed, k, ties):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 3, (60, 5)).astype(float) if ties else rng.normal(size=(60, 5))
    y = rng.integers(0, 5, 60)
    expected = skm.top_k_accuracy_score(y, scores, k=k, labels=np.arange(5))
    assert m.top_k_accuracy(y, scores, k) == pytest.approx(expected)


def test_top_k_accuracy_checks_inputs():
    assert m.top_k_accuracy([0, 1], [[0.9, 0.1], [0.8, 0.2]], 1) == 0.5
    with pytest.raises(DataError, match="shape"):
        m.top_k_accuracy([0, 1], [0.1, 0.2], 1)
    with pytest.raises(DataError, match=r"\[0, 2\)"):
        m.top_k_accuracy([0, 2], [[0.9, 0.1], [0.8, 0.2]], 1)
    with pytest.raises(ParameterError, match="'k' parameter"):
        m.top_k_accuracy([0, 1], [[0.9, 0.1], [0.8, 0.2]], 0)


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, 4, 70), rng.integers(0, 4, 70)
    got = m.confusion_matrix(y, p, 5)  # class 4 never occurs: a row and column of zeros
    np.testing.assert_array_equal(got, skm.confusion_matrix(y, p, labels=np.arange(5)))
    assert got.dtype == np.int64 and got.sum() == 70


def test_confusion_matrix_rejects_out_of_range_labels():
    with pytest.raises(DataError, match=r"\[0, 2\)"):
        m.confusion_matrix([0, 1, 2], [0, 1, 1], 2)
    with pytest.raises(DataError, match="integers"):
        m.confusion_matrix([0, 1.5], [0, 1], 2)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(40,), (40, 1), (40, 3)])
def test_regression_metrics_match_sklearn(seed, shape):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=shape)
    p = y + rng.normal(scale=[0.3] if len(shape) == 1 else [0.1 * (j + 1) for j in range(shape[1])], size=shape)
    assert m.mean_absolute_error(y, p) == pytest.approx(skm.mean_absolute_error(y, p))
    assert m.root_mean_squared_error(y, p) == pytest.approx(skm.root_mean_squared_error(y, p))
    assert m.r2_score(y, p) == pytest.approx(skm.r2_score(y, p))


def test_rmse_is_averaged_per_output_not_pooled():
    y = np.zeros((4, 2))
    p = np.column_stack([np.ones(4), 3 * np.ones(4)])
    assert m.root_mean_squared_error(y, p) == pytest.approx(2.0)  # pooled would be sqrt(5)


def test_r2_constant_target_and_tiny_inputs_follow_sklearn():
    y = np.column_stack([np.ones(5), np.arange(5.0)])
    for p in (y.copy(), y + np.array([0.5, 0.0]), y + 0.1):
        assert m.r2_score(y, p) == pytest.approx(skm.r2_score(y, p))
    assert math.isnan(m.r2_score([1.0], [2.0]))
    assert m.r2_score([1.0, 3.0], [1.0, 3.0]) == 1.0


def test_regression_metrics_reject_mismatched_shapes():
    with pytest.raises(DataError, match="shape"):
        m.mean_absolute_error(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(DataError, match="no samples"):
        m.r2_score([], [])


def test_task_metrics_names_and_values():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 30)
    prob = rng.random(30)
    out = m.task_metrics("binary", y, np.log(prob / (1 - prob)), prob, (prob > 0.5).astype(int))
    assert set(out) == {"accuracy", "roc_auc"}
    assert out["roc_auc"] == pytest.approx(skm.roc_auc_score(y, prob))
    assert all(type(v) is float for v in out.values())
    two_col = np.column_stack([1 - prob, prob])  # (n, 2) probabilities: the positive column is used
    assert m.task_metrics("binary", y, None, two_col, y)["roc_auc"] == pytest.approx(out["roc_auc"])

    labels = rng.integers(0, 3, 30)
    assert m.task_metrics("multiclass", labels, None, None, labels) == {"accuracy": 1.0}

    t = rng.normal(size=(30, 2))
    out = m.task_metrics("regression", t, None, None, t * 0.9)
    assert set(out) == {"mae", "rmse", "r2"}
    assert out["r2"] == pytest.approx(skm.r2_score(t, t * 0.9))
    with pytest.raises(ParameterError, match="'task' parameter"):
        m.task_metrics("ranking", y, None, None, y)
