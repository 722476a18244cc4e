"""The fit loop: learning, reproducibility, stopping on NaN, Ctrl-C, validation, callbacks."""

import math
import warnings

import numpy as np
import pytest

from nnblocks import (SGD, BatchNorm, Dense, Dropout, EarlyStopping, Inputs, Sequential, load_dataset,
                      train_validation_test_split)
from nnblocks.training.callbacks import Callback


def spiral_model(seed=0, **kwargs):
    return Sequential([Dense(16, activation="tanh"), Dense(16, activation="tanh"), Dense(1)],
                      inputs=Inputs(scaling="standard"), seed=seed, **kwargs)


@pytest.fixture(scope="module")
def spiral():
    data = load_dataset("spiral", n_samples=300, seed=0)
    return train_validation_test_split(data.x, data.y, validation=0.2, test=0.2, seed=0)


def test_fit_learns_xor_and_history_has_keras_keys():
    data = load_dataset("xor", n_samples=200, seed=1)
    model = spiral_model()
    history = model.fit(data.x, data.y, epochs=30, batch_size=10, learning_rate=0.01, validation_split=0.25,
                        verbose=False)
    assert set(history.history) >= {"loss", "accuracy", "roc_auc", "val_loss", "val_accuracy", "val_roc_auc",
                                    "learning_rate"}
    assert len(history.epoch) == 30
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    assert model.evaluate(data.x, data.y)["accuracy"] > 0.95


def test_same_seed_gives_bitwise_identical_runs(spiral):
    runs = []
    for _ in range(2):
        model = Sequential([Dense(8, activation="relu"), Dropout(0.2), Dense(8, activation="tanh"), Dense(1)],
                           inputs=Inputs(scaling="standard"), seed=3)
        model.fit(spiral.x_train, spiral.y_train, epochs=5, batch_size=7, verbose=False)
        runs.append(model.get_weights())
    assert all(np.array_equal(runs[0][name], runs[1][name]) for name in runs[0])
    other = spiral_model(seed=4)
    other.fit(spiral.x_train, spiral.y_train, epochs=1, verbose=False)
    assert not np.array_equal(other.get_weights()["dense.weight"], runs[0]["dense.weight"])


def test_non_finite_loss_stops_within_a_batch_and_keeps_last_good_weights():
    plane = load_dataset("plane", n_samples=200, seed=0)
    model = Sequential([Dense(16, activation="relu"), Dense(16, activation="relu"), Dense(1)], seed=0)
    model.fit(plane.x, plane.y, epochs=2, learning_rate=0.001, verbose=False)
    batches_seen = []

    class CountBatches(Callback):
        def on_batch_end(self, batch, logs=None):
            batches_seen.append(batch)

    # An absurd learning rate makes the weights explode, and the squared error with them.
    with pytest.warns(RuntimeWarning, match="lower it"):
        history = model.fit(plane.x, plane.y, epochs=50, batch_size=10, optimizer=SGD(learning_rate=1000.0),
                            callbacks=[CountBatches()], verbose=False)
    reason = history.stop_reason
    assert "loss became" in reason and "epoch 1," in reason and "now 1000" in reason and "try 100" in reason
    assert len(batches_seen) < 20, "training must stop within the batch where the loss went non-finite"
    assert len(history.epoch) == 0
    weights = model.get_weights()
    assert all(np.all(np.isfinite(value)) for value in weights.values())
    assert math.isfinite(model.evaluate(plane.x, plane.y)["loss"])


def test_ctrl_c_keeps_the_trained_model(spiral):
    class Interrupt(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 2:
                raise KeyboardInterrupt

    model = spiral_model()
    before = None
    model.build((2,))
    before = model.get_weights()
    history = model.fit(spiral.x_train, spiral.y_train, epochs=100, callbacks=[Interrupt()], verbose=False)
    assert "interrupted" in history.stop_reason
    assert not np.array_equal(before["dense.weight"], model.get_weights()["dense.weight"])
    assert model.predict(spiral.x_test).shape == (len(spiral.x_test),)


def test_early_stopping_restores_best_weights(spiral):
    model = spiral_model()
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(spiral.x_train, spiral.y_train, epochs=400, learning_rate=0.05,
                        validation_data=(spiral.x_validation, spiral.y_validation), callbacks=[stopper],
                        verbose=False)
    best = int(np.nanargmin(history.history["val_loss"]))
    assert len(history.epoch) < 400
    assert model.evaluate(spiral.x_validation, spiral.y_validation)["loss"] == pytest.approx(
        history.history["val_loss"][best], rel=1e-5)


def test_multiclass_and_regression_tasks_choose_their_loss():
    iris = load_dataset("iris")
    classifier = Sequential([Dense(16, activation="relu"), Dense(3)], inputs=Inputs(), seed=0)
    classifier.fit(iris.x, iris.y, epochs=60, batch_size=16, learning_rate=0.01, verbose=False)
    assert classifier.loss.type_name == "softmax_cross_entropy"
    assert classifier.evaluate(iris.x, iris.y)["accuracy"] > 0.9
    probabilities = classifier.predict_proba(iris.x)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(classifier.predict(iris.x), classifier.classes[probabilities.argmax(axis=1)])

    plane = load_dataset("plane", n_samples=300, seed=0)
    regressor = Sequential([Dense(8, activation="tanh"), Dense(1)], inputs=Inputs(), seed=0)
    regressor.fit(plane.x, plane.y, epochs=40, learning_rate=0.01, verbose=False)
    assert regressor.loss.type_name == "mse"
    metrics = regressor.evaluate(plane.x, plane.y)
    assert set(metrics) == {"loss", "mae", "rmse", "r2"} and metrics["r2"] > 0.95


def test_string_labels_round_trip_through_predict(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 2))
    y = np.where(x[:, 0] > 0, "fraud", "legit")
    model = Sequential([Dense(4, activation="tanh"), Dense(1)], inputs=Inputs(), seed=0)
    model.fit(x, y, epochs=30, learning_rate=0.05, verbose=False)
    assert set(model.predict(x)) <= {"fraud", "legit"}
    assert (model.predict(x) == y).mean() > 0.95
    model.save(tmp_path / "model")
    loaded = Sequential.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    np.testing.assert_array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_batch_norm_network_trains_and_saves(tmp_path, spiral):
    model = Sequential([Dense(16), BatchNorm(), Dense(16, activation="relu"), Dense(1)], inputs=Inputs(), seed=0)
    model.fit(spiral.x_train, spiral.y_train, epochs=20, learning_rate=0.01, verbose=False)
    model.save(tmp_path / "bn")
    loaded = Sequential.load(tmp_path / "bn")
    np.testing.assert_array_equal(loaded.get_weights()["batch_norm.running_mean"],
                                  model.get_weights()["batch_norm.running_mean"])
    np.testing.assert_array_equal(loaded.decision_function(spiral.x_test), model.decision_function(spiral.x_test))


def test_regularisation_is_part_of_the_reported_loss(spiral):
    plain = spiral_model()
    penalised = Sequential([Dense(16, activation="tanh", l2=0.1), Dense(16, activation="tanh", l2=0.1), Dense(1)],
                           inputs=Inputs(scaling="standard"))
    for model in (plain, penalised):
        model.fit(spiral.x_train, spiral.y_train, epochs=1, verbose=False)
    penalised.set_weights(plain.get_weights())
    difference = penalised.evaluate(spiral.x_test, spiral.y_test)["loss"] - plain.evaluate(spiral.x_test,
                                                                                           spiral.y_test)["loss"]
    expected = 0.1 * sum(np.sum(penalised[name].params["weight"] ** 2) for name in ("dense", "dense_1"))
    assert difference == pytest.approx(expected, rel=1e-5)


def test_no_warnings_in_a_plain_run(spiral):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        spiral_model().fit(spiral.x_train, spiral.y_train, epochs=3, verbose=False)


def test_choose_threshold_on_validation_data_helps_a_shifted_class_balance(tmp_path):
    rng = np.random.default_rng(0)

    def sample(count, positive_share):
        y = (rng.random(count) < positive_share).astype(int)
        x = rng.normal(size=(count, 2)) + y[:, None] * 1.2
        return x, y

    x_train, y_train = sample(600, 0.9)      # training data: mostly positive
    x_validation, y_validation = sample(400, 0.4)  # deployment-like data: mostly negative
    model = Sequential([Dense(8, activation="tanh"), Dense(1)], inputs=Inputs(), seed=0)
    model.fit(x_train, y_train, epochs=30, learning_rate=0.01, verbose=False)
    before = model.evaluate(x_validation, y_validation)["accuracy"]
    threshold = model.choose_threshold(x_validation, y_validation, metric="accuracy")
    after = model.evaluate(x_validation, y_validation)["accuracy"]
    assert threshold > 0.5 and after > before
    predicted = model.predict(x_validation)
    np.testing.assert_array_equal(predicted, (model.predict_proba(x_validation)[:, 1] > threshold).astype(int))
    model.save(tmp_path / "m")
    assert Sequential.load(tmp_path / "m").threshold == threshold


def test_digits_report_top_5_accuracy_and_a_confusion_matrix():
    digits = load_dataset("digits")
    model = Sequential([Dense(32, activation="relu"), Dense(10)], inputs=Inputs(), seed=0)
    history = model.fit(digits.x[:600], digits.y[:600], epochs=5, learning_rate=0.01, verbose=False)
    assert "top_5_accuracy" in history.history
    metrics = model.evaluate(digits.x[600:], digits.y[600:])
    assert metrics["top_5_accuracy"] >= metrics["accuracy"]
    matrix = model.confusion_matrix(digits.x[600:], digits.y[600:])
    assert matrix.shape == (10, 10) and matrix.sum() == len(digits.y) - 600
    assert np.trace(matrix) / matrix.sum() == pytest.approx(metrics["accuracy"])
