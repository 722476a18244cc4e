"""Tests of nnblocks.data: generators against their defining rules, bundled sets, CSV errors, splits."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_moons

from nnblocks.data import (DATASET_NAMES, Dataset, circle, encode_labels, gauss, infer_task, load_dataset, moons,
                           multi_gaussian, plane, read_csv, spiral, spiral_classes, split_fraction,
                           train_validation_test_split, xor)
from nnblocks.errors import DataError, ParameterError, ParameterTypeError

PLAYGROUND_CLASSIFIERS = [circle, xor, gauss, spiral]
PLAYGROUND_REGRESSORS = [plane, multi_gaussian]
MOVIELENS = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "movielens-latest-small"


# --- TensorFlow Playground generators --------------------------------------------------------------------
@pytest.mark.parametrize("generator", PLAYGROUND_CLASSIFIERS + PLAYGROUND_REGRESSORS)
def test_playground_shape_range_and_dtypes(generator):
    data = generator(n_samples=400, noise=0.0, rng=0)
    assert isinstance(data, Dataset) and len(data) == 400
    assert data.x.shape == (400, 2) and data.x.dtype == np.float64
    assert data.feature_names == ["x1", "x2"]
    assert np.all(np.abs(data.x) <= 6.0)
    if data.task == "binary":
        assert data.y.dtype == np.int64 and set(np.unique(data.y)) == {0, 1}
        assert data.class_names == ["negative", "positive"]
    else:
        assert data.task == "regression" and data.y.dtype == np.float64 and data.class_names is None


@pytest.mark.parametrize("generator", PLAYGROUND_CLASSIFIERS + PLAYGROUND_REGRESSORS)
def test_playground_seeds_reproduce_and_differ(generator):
    first, again, other = generator(100, 0.2, rng=3), generator(100, 0.2, rng=np.random.default_rng(3)), \
        generator(100, 0.2, rng=4)
    np.testing.assert_array_equal(first.x, again.x)
    np.testing.assert_array_equal(first.y, again.y)
    assert not np.array_equal(first.x, other.x)


def test_generators_leave_global_random_state_alone():
    before = np.random.get_state()[1].copy()
    for name in DATASET_NAMES:
        load_dataset(name, n_samples=50, noise=0.1, seed=1)
    np.testing.assert_array_equal(before, np.random.get_state()[1])


@pytest.mark.parametrize("generator", [circle, gauss, spiral])
def test_balanced_generators_put_positives_first_and_keep_odd_sizes(generator):
    data = generator(n_samples=301, rng=0)
    assert len(data) == 301
    np.testing.assert_array_equal(data.y, [1] * 151 + [0] * 150)


def test_circle_label_rule_and_noise_flips():
    data = circle(500, noise=0.0, rng=1)
    radius = np.hypot(data.x[:, 0], data.x[:, 1])
    np.testing.assert_array_equal(data.y, (radius < 2.5).astype(int))
    assert np.all((radius[data.y == 0] >= 3.5) & (radius[data.y == 0] <= 5.0))  # TF's ring: 0.7 * 5 to 5
    noisy = circle(500, noise=0.5, rng=1)
    flipped = noisy.y != (np.hypot(noisy.x[:, 0], noisy.x[:, 1]) < 2.5)
    assert 0 < flipped.sum() < 250


def test_xor_label_rule_padding_and_noise_flips():
    data = xor(500, noise=0.0, rng=2)
    np.testing.assert_array_equal(data.y, (data.x[:, 0] * data.x[:, 1] >= 0).astype(int))
    assert np.all(np.abs(data.x) >= 0.3) and np.all(np.abs(data.x) <= 5.3)
    assert 200 < data.y.sum() < 300  # each quadrant equally likely
    noisy = xor(500, noise=0.3, rng=2)
    assert 0 < np.sum(noisy.y != (noisy.x[:, 0] * noisy.x[:, 1] >= 0)) < 250


def test_gauss_centres_and_variance_follow_noise():
    data = gauss(4000, noise=0.0, rng=0)
    np.testing.assert_allclose(data.x[data.y == 1].mean(axis=0), [2, 2], atol=0.05)
    np.testing.assert_allclose(data.x[data.y == 0].mean(axis=0), [-2, -2], atol=0.05)
    np.testing.assert_allclose(data.x[data.y == 1].var(axis=0), [0.5, 0.5], rtol=0.1)
    wide = gauss(4000, noise=0.5, rng=0)  # TF's varianceScale maps noise 0.5 to variance 4
    np.testing.assert_allclose(wide.x[wide.y == 1].var(axis=0), [4, 4], rtol=0.1)


def test_spiral_geometry_matches_tf_formula():
    data = spiral(500, noise=0.0, rng=0)
    positives, negatives = data.x[data.y == 1], data.x[data.y == 0]
    index = np.arange(250)
    np.testing.assert_allclose(np.hypot(*positives.T), index / 250 * 5)
    angle = 1.75 * index / 250 * 2 * np.pi
    np.testing.assert_allclose(positives, np.column_stack([np.sin(angle), np.cos(angle)]) * (index / 250 * 5)[:, None],
                               atol=1e-12)
    np.testing.assert_allclose(negatives, -positives, atol=1e-12)  # the negative arm is turned by pi
    jitter = spiral(500, noise=0.5, rng=0).x - data.x
    assert 0 < np.abs(jitter).max() <= 0.5


def test_plane_value_rule_and_noise():
    data = plane(300, noise=0.0, rng=0)
    np.testing.assert_allclose(data.y, data.x.sum(axis=1) / 10)
    noisy = plane(300, noise=0.2, rng=0)
    assert not np.allclose(noisy.y, noisy.x.sum(axis=1) / 10)


def _multi_gaussian_reference(x: float, y: float) -> float:
    """A literal transcription of TF's regressGaussian.getLabel, scanning with a strict '>'."""
    label = 0.0
    for centre_x, centre_y, sign in [(-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1),
                                     (4, -2.5, -1)]:
        scaled = min(1.0, max(0.0, 1 - math.dist((x, y), (centre_x, centre_y)) / 2))
        if abs(sign * scaled) > abs(label):
            label = sign * scaled
    return label


def test_multi_gaussian_matches_a_literal_reference():
    data = multi_gaussian(300, noise=0.0, rng=5)
    expected = [_multi_gaussian_reference(*point) for point in data.x]
    np.testing.assert_allclose(data.y, expected, atol=1e-12)
    assert data.y.max() > 0.5 and data.y.min() < -0.5 and np.any(data.y == 0)


@pytest.mark.parametrize("arguments, error", [
    ({"n_samples": 1}, ParameterError), ({"noise": 0.6}, ParameterError), ({"noise": -0.1}, ParameterError),
    ({"n_samples": 10.5}, ParameterTypeError), ({"rng": "seed"}, ParameterTypeError), ({"rng": -1}, ParameterError),
])
def test_playground_rejects_bad_parameters(arguments, error):
    with pytest.raises(error, match="parameter of spiral"):
        spiral(**arguments)


# --- moons and CS231n spirals --------------------------------------------------------------------------------
@pytest.mark.parametrize("n_samples", [100, 101])
def test_moons_geometry_matches_scikit_learn(n_samples):
    ours = moons(n_samples, noise=0.0, rng=0)
    reference_x, reference_y = make_moons(n_samples, shuffle=False, noise=0.0)
    np.testing.assert_allclose(ours.x, reference_x, atol=1e-12)
    np.testing.assert_array_equal(ours.y, reference_y)


def test_moons_noise_is_a_gaussian_standard_deviation():
    clean, noisy = moons(4000, 0.0, rng=0), moons(4000, 0.2, rng=0)
    assert abs((noisy.x - clean.x).std() - 0.2) < 0.01


def test_spiral_classes_is_balanced_and_bounded():
    data = spiral_classes(302, n_classes=4, noise=0.2, rng=0)
    assert data.task == "multiclass" and data.class_names == ["arm 0", "arm 1", "arm 2", "arm 3"]
    np.testing.assert_array_equal(np.bincount(data.y), [76, 76, 75, 75])
    radius = np.hypot(*data.x.T)
    np.testing.assert_allclose(radius[data.y == 0], np.linspace(0, 6, 76), atol=1e-12)  # noise only turns points
    assert radius.max() == pytest.approx(6.0)
    assert spiral_classes(100, n_classes=2, rng=0).task == "binary"


# --- bundled sets and the registry --------------------------------------------------------------------------
@pytest.mark.parametrize("name, shape, task, classes", [
    ("iris", (150, 4), "multiclass", ["setosa", "versicolor", "virginica"]),
    ("wine", (178, 13), "multiclass", ["cultivar 1", "cultivar 2", "cultivar 3"]),
    ("breast_cancer", (569, 30), "binary", ["malignant", "benign"]),
    ("digits", (1797, 64), "multiclass", [str(digit) for digit in range(10)]),
    ("diabetes", (442, 10), "regression", None),
])
def test_bundled_sets(name, shape, task, classes):
    data = load_dataset(name, n_samples=7, noise=0.4)  # both ignored for bundled sets
    assert data.x.shape == shape and data.y.shape == (shape[0],) and data.x.dtype == np.float64
    assert data.task == task and data.class_names == classes and len(data.feature_names) == shape[1]
    assert data.name == name and data.description and name in repr(data)
    if classes:
        assert set(np.unique(data.y)) == set(range(len(classes)))


def test_registry_covers_every_generator_and_rejects_unknown_names():
    for name in DATASET_NAMES:
        assert len(load_dataset(name, n_samples=60, seed=2)) > 0
    assert len(load_dataset("Multi-Gaussian", n_samples=60)) == 60
    with pytest.raises(ParameterError, match="'circle'.*'xor'") as caught:
        load_dataset("spirals")
    assert "spirals" in str(caught.value)


# --- task inference --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("labels, task", [
    (["cat", "dog", "cat"], "binary"), (["a", "b", "c", "a"], "multiclass"), ([True, False, True], "binary"),
    ([0, 1, 1, 0], "binary"), (np.arange(100) % 5, "multiclass"), (np.arange(100), "regression"),
    (np.array([1.0, 2.0, 3.0] * 10), "multiclass"), (np.linspace(0, 1, 30), "regression"),
    (np.array([0.5, 1.0, 1.5] * 10), "regression"),
])
def test_infer_task(labels, task):
    assert infer_task(labels) == task


def test_infer_task_refuses_a_single_class_and_missing_values():
    with pytest.raises(DataError, match="single class"):
        infer_task([3, 3, 3])
    with pytest.raises(DataError, match="NaN"):
        infer_task([1.0, np.nan, 2.0])


def test_encode_labels():
    codes, names = encode_labels(["dog", "cat", "dog", "bird"])
    np.testing.assert_array_equal(codes, [2, 1, 2, 0])
    assert names == ["bird", "cat", "dog"]
    assert encode_labels(np.array([2.0, 1.0]))[1] == ["1", "2"]


# --- CSV ------------------------------------------------------------------------------------------------------
def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_read_csv_keeps_text_columns_categorical(tmp_path):
    text = "age,colour,weight,kind\n1,red,3.5,cat\n2,blue,10,dog\n3,,4,cat\n4,red,20,dog\n"
    path = _write(tmp_path, "pets.csv", text)
    data = read_csv(path, target="kind")
    assert data.task == "binary" and data.class_names == ["cat", "dog"] and data.name == "pets"
    assert isinstance(data.x, pd.DataFrame) and data.feature_names == ["age", "colour", "weight"]
    assert data.x["age"].dtype == np.float64 and data.x["weight"].dtype == np.float64
    assert isinstance(data.x["colour"].dtype, pd.CategoricalDtype)
    assert sorted(data.x["colour"].cat.categories) == ["blue", "red"] and data.x["colour"].isna().sum() == 1
    assert list(data.y) == ["cat", "dog", "cat", "dog"]
    chosen = read_csv(path, target="kind", features=["weight", "age"])
    assert chosen.feature_names == ["weight", "age"] and list(chosen.x.columns) == ["weight", "age"]


@pytest.mark.parametrize("target_values, task", [
    (["0", "1", "0", "1", "1", "0"], "binary"), (["0", "1", "2", "0", "1", "2", "0", "1", "2", "0"], "multiclass"),
    (["1.5", "2.25", "3.75", "0.5", "9.5", "4.0"], "regression"), (["no", "yes", "maybe", "no", "no", "yes"],
                                                                  "multiclass"),
])
def test_read_csv_infers_the_task(tmp_path, target_values, task):
    rows = "".join(f"{index},{value}\n" for index, value in enumerate(target_values))
    data = read_csv(_write(tmp_path, "data.csv", "x,target\n" + rows), target="target")
    assert data.task == task
    assert (data.class_names is None) == (task == "regression")


@pytest.mark.parametrize("content, target, features, fragments", [
    ("a,b,label\n1,2,x\n3,4,y\n", "lable", None, ["'lable'", "'a', 'b', 'label'", "did you mean 'label'"]),
    ("a,label\n1,x\n2,\n3,y\n4,\n", "label", None, ["'label'", "NaN", "2 missing", "line 3"]),
    ("a,label\n1,x\n2,x\n", "label", None, ["'label'", "single class", "'x'"]),
    ("age,height,label\n1,2,x\n3,4,y\n", "label", ["age", "heigth"], ["features", "['heigth']",
                                                                        "did you mean 'height'"]),
    ("label\nx\ny\n", "label", None, ["No feature columns", "'label'"]),
    ("a,label\n1,x\n2,y\n", "label", [], ["No feature columns"]),
    ("a,label\n1,x\n2,y\n", "label", ["a", "label"], ["features", "target 'label'"]),
    ("a;b;label\n1;2;x\n", "label", None, ["separator"]),
    ("a,b\n1,2\n3,4,5,6\n", "a", None, ["well-formed CSV", "Expected 2 fields"]),
    ("a,b,label\n", "label", None, ["no rows", "'a', 'b', 'label'"]),
    ("", "label", None, ["empty"]),
])
def test_read_csv_errors_name_the_problem(tmp_path, content, target, features, fragments):
    path = _write(tmp_path, "broken.csv", content)
    with pytest.raises(DataError) as caught:
        read_csv(path, target=target, features=features)
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_read_csv_path_errors(tmp_path):
    with pytest.raises(DataError, match="existing CSV file.*missing.csv"):
        read_csv(tmp_path / "missing.csv", target="y")
    _write(tmp_path, "inside.csv", "a,y\n1,2\n")
    with pytest.raises(DataError, match="not a folder.*inside.csv"):
        read_csv(tmp_path, target="y")
    binary = tmp_path / "picture.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(DataError, match="binary"):
        read_csv(binary, target="y")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("name,y\ncaf\xe9,1\nthe,2\n".encode("latin-1"))
    with pytest.raises(DataError, match="UTF-8"):
        read_csv(latin, target="y")


@pytest.mark.skipif(not MOVIELENS.is_dir(), reason="the shared MovieLens folder is absent outside this workplace")
def test_read_csv_on_movielens_ratings():
    data = read_csv(MOVIELENS / "ratings.csv", target="rating")
    assert len(data) == 100_836 and data.task == "regression" and data.class_names is None
    assert data.feature_names == ["userId", "movieId", "timestamp"]
    assert data.y.dtype == np.float64 and data.y.min() == 0.5 and data.y.max() == 5.0
    assert all(data.x[column].dtype == np.float64 for column in data.feature_names)


# --- splits ---------------------------------------------------------------------------------------------------
def test_split_sizes_cover_every_row_once():
    x, y = np.arange(200)[:, None], np.linspace(0, 1, 200)  # regression: not stratified
    parts = train_validation_test_split(x, y, validation=0.2, test=0.1, seed=0)
    assert (len(parts.x_train), len(parts.x_validation), len(parts.x_test)) == (140, 40, 20)
    rows = np.concatenate([parts.x_train[:, 0], parts.x_validation[:, 0], parts.x_test[:, 0]])
    np.testing.assert_array_equal(np.sort(rows), np.arange(200))  # no overlap, nothing lost
    np.testing.assert_array_equal(parts.y_test, y[parts.x_test[:, 0]])  # x and y stay paired


def test_stratified_split_keeps_class_proportions():
    y = np.repeat([0, 1, 2], [120, 60, 20])
    x = np.arange(len(y))[:, None]
    parts = train_validation_test_split(x, y, validation=0.25, test=0.15, seed=3)
    for part, fraction in [(parts.y_train, 0.6), (parts.y_validation, 0.25), (parts.y_test, 0.15)]:
        counts = np.bincount(part, minlength=3)
        assert np.all(np.abs(counts - fraction * np.array([120, 60, 20])) <= 1), (counts, fraction)


def test_stratified_split_keeps_rare_classes_in_every_part():
    y = np.array([0] * 97 + [1] * 3)
    parts = train_validation_test_split(np.zeros((100, 1)), y, validation=0.1, test=0.1, seed=0)
    for part in (parts.y_train, parts.y_validation, parts.y_test):
        assert set(part) == {0, 1}


def test_split_keeps_dataframe_rows_aligned_and_is_reproducible():
    frame = pd.DataFrame({"a": np.arange(40.0), "colour": pd.Categorical(["red", "blue"] * 20)},
                         index=[f"row{index}" for index in range(40)])
    labels = pd.Series(np.arange(40) % 2, index=frame.index)
    parts = train_validation_test_split(frame, labels, validation=0.0, test=0.25, seed=7)
    assert len(parts.x_validation) == 0 and len(parts.x_test) == 10
    for x_part, y_part in [(parts.x_train, parts.y_train), (parts.x_test, parts.y_test)]:
        assert list(x_part.index) == list(y_part.index)
        np.testing.assert_array_equal(x_part["a"].to_numpy() % 2, y_part.to_numpy())
    again = train_validation_test_split(frame, labels, validation=0.0, test=0.25, seed=7)
    assert list(again.x_test.index) == list(parts.x_test.index)
    other = train_validation_test_split(frame, labels, validation=0.0, test=0.25, seed=8)
    assert list(other.x_test.index) != list(parts.x_test.index)


def test_split_fraction_holdout():
    data = load_dataset("iris")
    holdout = split_fraction(data.x, data.y, fraction=0.2, seed=1)
    assert len(holdout.x_train) == 120 and len(holdout.y_holdout) == 30
    np.testing.assert_array_equal(np.bincount(holdout.y_holdout), [10, 10, 10])


@pytest.mark.parametrize("arguments, error", [
    ({"validation": 0.5, "test": 0.5}, ParameterError), ({"test": 0.0}, ParameterError),
    ({"validation": -0.1}, ParameterError), ({"test": "a lot"}, ParameterTypeError),
    ({"stratify": "yes"}, ParameterTypeError),
])
def test_split_rejects_bad_fractions(arguments, error):
    with pytest.raises(error):
        train_validation_test_split(np.zeros((20, 1)), np.arange(20) % 2, **arguments)


def test_split_rejects_mismatched_lengths_and_tiny_data():
    with pytest.raises(DataError, match="x has 5 rows but y has 4"):
        train_validation_test_split(np.zeros((5, 1)), np.zeros(4))
    with pytest.raises(DataError, match="too few"):
        train_validation_test_split(np.zeros((2, 1)), np.array([0.0, 1.5]))
    with pytest.raises(ParameterError, match="fraction"):
        split_fraction(np.zeros((4, 1)), np.zeros(4), fraction=1.0)
