"""NNClassifier and NNRegressor: scikit-learn's own estimator checks, then behaviour on real data."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from nnblocks import Adam, Sequential
from nnblocks.estimators import NNClassifier, NNRegressor


# --- scikit-learn's estimator checks (defaults, nothing skipped) -----------------------------
@parametrize_with_checks([NNClassifier(), NNRegressor()])
def test_sklearn_estimator_checks(estimator, check, monkeypatch):
    # check_array_api_input raises SkipTest unless SCIPY_ARRAY_API is set. For an estimator without
    # array API support it only runs NumPy inputs with dispatch switched on, which needs no SciPy
    # array-API mode, so the variable is set for this one check instead of skipping it.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


# --- data --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def iris():
    x, y = load_iris(return_X_y=True)
    return train_test_split(x, y, stratify=y, random_state=0)


@pytest.fixture(scope="module")
def cancer():
    x, y = load_breast_cancer(return_X_y=True)
    return train_test_split(x, y, stratify=y, random_state=0)


# --- behaviour on real data ---------------------------------------------------------------------
def test_iris_accuracy(iris):
    x_train, x_test, y_train, y_test = iris
    model = NNClassifier(learning_rate=0.01, epochs=100, random_state=0).fit(x_train, y_train)
    assert model.score(x_test, y_test) >= 0.9
    assert list(model.classes_) == [0, 1, 2]
    assert model.predict_proba(x_test).shape == (len(x_test), 3)
    assert model.decision_function(x_test).shape == (len(x_test), 3)
    assert model.n_iter_ == 100 and len(model.loss_curve_) == 100
    assert model.loss_curve_[-1] < model.loss_curve_[0]
    assert isinstance(model.model_, Sequential) and list(model.model_.classes) == [0, 1, 2]


def test_breast_cancer_probabilities_and_auc(cancer):
    x_train, x_test, y_train, y_test = cancer
    model = NNClassifier(learning_rate=0.01, epochs=30, random_state=0).fit(x_train, y_train)
    probabilities = model.predict_proba(x_test)
    assert probabilities.shape == (len(x_test), 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-12)
    assert roc_auc_score(y_test, probabilities[:, 1]) >= 0.95
    scores = model.decision_function(x_test)
    assert scores.shape == (len(x_test),)
    np.testing.assert_array_equal(model.predict(x_test), model.classes_[(scores > 0).astype(int)])
    np.testing.assert_allclose(model.predict_log_proba(x_test), np.log(probabilities))


def test_diabetes_regression_is_comparable_to_mlp(record_property):
    x, y = load_diabetes(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, random_state=0)
    ours = NNRegressor(hidden_layer_sizes=(32,), learning_rate=0.01, epochs=100, random_state=0)
    ours_r2 = ours.fit(x_train, y_train).score(x_test, y_test)
    mlp = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), learning_rate_init=0.01, max_iter=100,
                                                       batch_size=32, alpha=0.0, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter
        mlp_r2 = mlp.fit(x_train, y_train).score(x_test, y_test)
    record_property("r2_nnblocks", ours_r2)
    record_property("r2_mlp", mlp_r2)
    print(f"diabetes test R²: NNRegressor {ours_r2:.3f}, MLPRegressor {mlp_r2:.3f}")
    assert ours_r2 > 0.2
    assert ours_r2 >= mlp_r2 - 0.1
    assert ours.predict(x_test).shape == (len(x_test),)


def test_multi_output_regression_and_column_y():
    x, y = make_regression(n_samples=120, n_features=4, n_targets=3, noise=1.0, random_state=0)
    y = y / y.std(axis=0)
    model = NNRegressor(hidden_layer_sizes=(16,), learning_rate=0.01, epochs=60, random_state=0).fit(x, y)
    assert model.n_outputs_ == 3 and model.predict(x).shape == (120, 3)
    assert model.score(x, y) > 0.8
    column = NNRegressor(epochs=5, random_state=0).fit(x, y[:, :1])
    flat = NNRegressor(epochs=5, random_state=0).fit(x, y[:, 0])
    np.testing.assert_allclose(column.predict(x), flat.predict(x))
    assert column.predict(x).shape == (120,)


# --- scikit-learn tooling ------------------------------------------------------------------------
def test_pipeline_and_grid_search(iris):
    x_train, x_test, y_train, y_test = iris
    pipeline = make_pipeline(StandardScaler(), NNClassifier(learning_rate=0.01, epochs=30, random_state=0))
    search = GridSearchCV(pipeline, {"nnclassifier__hidden_layer_sizes": [(4,), (16,)],
                                     "nnclassifier__learning_rate": [0.01, 0.05]}, cv=3)
    search.fit(x_train, y_train)
    assert set(search.best_params_) == {"nnclassifier__hidden_layer_sizes", "nnclassifier__learning_rate"}
    assert search.score(x_test, y_test) >= 0.85
    assert search.best_estimator_[-1].n_iter_ == 30


def test_get_set_params_and_clone():
    model = NNRegressor(hidden_layer_sizes=(8, 4), dropout=0.1)
    params = model.get_params()
    assert params["hidden_layer_sizes"] == (8, 4) and params["dropout"] == 0.1 and params["patience"] == 10
    copy = clone(model.set_params(epochs=7))
    assert copy.epochs == 7 and copy.hidden_layer_sizes == (8, 4) and not hasattr(copy, "model_")


def test_random_state_gives_identical_predictions(iris):
    x_train, x_test, y_train, _ = iris
    settings = dict(hidden_layer_sizes=(8,), dropout=0.2, learning_rate=0.01, epochs=10, validation_split=0.2)
    first = NNClassifier(random_state=3, **settings).fit(x_train, y_train).predict_proba(x_test)
    second = NNClassifier(random_state=3, **settings).fit(x_train, y_train).predict_proba(x_test)
    other = NNClassifier(random_state=4, **settings).fit(x_train, y_train).predict_proba(x_test)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(first, other)
    rng_state = NNClassifier(random_state=np.random.RandomState(0), **settings)
    assert rng_state.fit(x_train, y_train).predict_proba(x_test).shape == first.shape


def test_fit_twice_starts_fresh():
    rng = np.random.default_rng(0)
    model = NNClassifier(epochs=3, random_state=0)
    model.fit(rng.normal(size=(30, 4)), np.arange(30) % 3)
    first_network = model.model_
    model.fit(rng.normal(size=(20, 2)), np.where(np.arange(20) % 2, "yes", "no"))
    assert model.model_ is not first_network
    assert model.n_features_in_ == 2 and list(model.classes_) == ["no", "yes"]
    assert model.predict(rng.normal(size=(5, 2))).dtype.kind == "U"


# --- inputs and targets -----------------------------------------------------------------------------
def test_string_labels_and_dataframe_feature_names(iris):
    x_train, x_test, y_train, y_test = iris
    names = np.array(["setosa", "versicolor", "virginica"])
    columns = ["sepal length", "sepal width", "petal length", "petal width"]
    model = NNClassifier(learning_rate=0.01, epochs=60, random_state=0)
    model.fit(pd.DataFrame(x_train, columns=columns), names[y_train])
    assert list(model.feature_names_in_) == columns
    assert list(model.classes_) == list(names)
    assert model.score(pd.DataFrame(x_test, columns=columns), names[y_test]) >= 0.9
    assert model.model_.class_names == list(names)


def test_object_arrays_and_float32():
    x = np.arange(40, dtype=float).reshape(20, 2)
    y = (x[:, 0] > 20).astype(int)
    model = NNClassifier(epochs=5, random_state=0, dtype="float32").fit(x.astype(object), y)
    assert model.model_.dtype == np.float32
    assert model.predict_proba(x).dtype == np.float64


def test_clear_errors():
    x, y = np.random.default_rng(0).normal(size=(10, 3)), np.arange(10) % 2
    with pytest.raises(NotFittedError):
        NNClassifier().predict(x)
    with pytest.raises(TypeError, match="Sparse data was passed"):
        NNClassifier(epochs=1).fit(sparse.csr_matrix(x), y)
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="Input X contains NaN"):
        NNRegressor(epochs=1).fit(bad, y)
    with pytest.raises(ValueError, match="1 class"):
        NNClassifier(epochs=1).fit(x, np.ones(10))
    with pytest.raises(ValueError, match="Unknown label type"):
        NNClassifier(epochs=1).fit(x, np.linspace(0, 1, 10))
    with pytest.raises(ValueError, match="'hidden_layer_sizes' parameter of NNClassifier"):
        NNClassifier(hidden_layer_sizes=(4, 0)).fit(x, y)
    with pytest.raises(ValueError, match="'dropout' parameter of NNRegressor"):
        NNRegressor(dropout=1.0).fit(x, y)
    with pytest.raises(ValueError, match="'activation' parameter"):
        NNRegressor(activation="relux").fit(x, y)
    with pytest.raises(ValueError, match="X has 2 features, but NNClassifier is expecting 3"):
        NNClassifier(epochs=1).fit(x, y).predict(x[:, :2])


def test_empty_hidden_layers_is_logistic_regression(cancer):
    x_train, x_test, y_train, y_test = cancer
    model = NNClassifier(hidden_layer_sizes=(), learning_rate=0.01, epochs=20, random_state=0).fit(x_train, y_train)
    assert len(model.model_.layers) == 1 and model.score(x_test, y_test) > 0.9


# --- training options ----------------------------------------------------------------------------
def test_early_stopping_restores_and_stops(cancer):
    x_train, x_test, y_train, y_test = cancer
    model = NNClassifier(learning_rate=0.05, epochs=200, early_stopping=True, patience=3, random_state=0)
    model.fit(x_train, y_train)
    assert model.n_iter_ < 200 and "val_loss" in model.history_.history
    assert model.score(x_test, y_test) > 0.9


def test_validation_split_keeps_every_class_in_training():
    # 4 + 4 + 1 rows with 30 % held out: a plain stratified split can hold the lone class-2 row out.
    x = np.random.default_rng(0).normal(size=(9, 2))
    y = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2])
    model = NNClassifier(epochs=2, validation_split=0.3, random_state=0).fit(x, y)
    assert model.model_.layers[-1].units == 3
    assert "val_accuracy" in model.history_.history


def test_optimizer_instance_is_copied_not_trained(iris):
    x_train, _, y_train, _ = iris
    optimizer = Adam(learning_rate=0.5)
    model = NNClassifier(optimizer=optimizer, learning_rate=0.01, epochs=2, random_state=0).fit(x_train, y_train)
    assert optimizer.step_count == 0 and optimizer.learning_rate == 0.5
    assert model.model_.optimizer is not optimizer and model.model_.optimizer.learning_rate == 0.01


def test_pickle_round_trip_keeps_predictions(iris):
    x_train, x_test, y_train, _ = iris
    model = NNClassifier(epochs=5, random_state=0).fit(x_train, y_train)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(x_test), model.predict_proba(x_test))
