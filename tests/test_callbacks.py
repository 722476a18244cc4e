"""Callbacks driven by hand with a small fake model, hook by hook as the fit loop calls them."""

import csv
import math
from io import StringIO
from types import SimpleNamespace

import numpy as np
import pytest
from rich.console import Console

from nnblocks.errors import DataError, ParameterError, ParameterTypeError
from nnblocks.training.callbacks import (Callback, CallbackList, CSVLogger, EarlyStopping, History, ModelCheckpoint,
                                         TerminateOnNaN)
from nnblocks.training.progress import ProgressDisplay, summary


class FakeModel:
    """What the fit loop exposes to callbacks; weights are marked with the epoch that produced them."""

    def __init__(self):
        self.stop_training = False
        self.weights = {"w": np.zeros((2, 2)), "b": np.zeros(2)}
        self.optimizer = SimpleNamespace(learning_rate=3.0)
        self.saved = []

    def get_weights(self):
        return {name: value.copy() for name, value in self.weights.items()}

    def set_weights(self, weights):
        self.weights = {name: value.copy() for name, value in weights.items()}

    def save(self, path):
        self.saved.append(str(path))


def drive(callbacks, values, key="val_loss", model=None, extra=None):
    """Run the hook sequence of a fit over ``values`` (one per epoch); return (model, epochs run)."""
    model = model or FakeModel()
    hooks = CallbackList(callbacks, model=model, params={"epochs": len(values), "steps": 1, "verbose": True})
    hooks.on_train_begin()
    ran = 0
    for epoch, value in enumerate(values):
        model.weights = {"w": np.full((2, 2), float(epoch)), "b": np.full(2, epoch + 0.5)}  # "training"
        hooks.on_epoch_begin(epoch)
        hooks.on_batch_end(0, {"loss": 1.0, "size": 4})
        hooks.on_epoch_end(epoch, {"loss": 1.0, key: value, **(extra or {})})
        ran += 1
        if model.stop_training:
            break
    hooks.on_train_end()
    return model, ran


# --- CallbackList -------------------------------------------------------------------------------

def test_callback_list_forwards_every_hook_in_order():
    calls = []

    class Recorder(Callback):
        def __init__(self, name):
            self.name = name

        def on_train_begin(self, logs=None): calls.append((self.name, "train_begin"))
        def on_epoch_begin(self, epoch, logs=None): calls.append((self.name, "epoch_begin", epoch))
        def on_batch_end(self, batch, logs=None): calls.append((self.name, "batch_end", batch))
        def on_epoch_end(self, epoch, logs=None): calls.append((self.name, "epoch_end", epoch))
        def on_train_end(self, logs=None): calls.append((self.name, "train_end"))

    first, second = Recorder("a"), Recorder("b")
    model, _ = drive([first], [1.0])
    hooks = CallbackList([first])
    hooks.append(second)
    hooks.set_model(model)
    hooks.set_params({"epochs": 1, "steps": 1, "verbose": False})
    assert second.model is model and second.params["epochs"] == 1 and len(hooks) == 2
    calls.clear()
    hooks.on_epoch_end(3, {})
    assert calls == [("a", "epoch_end", 3), ("b", "epoch_end", 3)]
    with pytest.raises(ParameterTypeError, match="Callback"):
        hooks.append(lambda logs: None)


def test_base_callback_hooks_do_nothing():
    model, ran = drive([Callback()], [1.0, 2.0])
    assert ran == 2 and not model.stop_training


# --- EarlyStopping ------------------------------------------------------------------------------

def test_early_stopping_min_mode_stops_after_patience():
    stopper = EarlyStopping(patience=2)
    model, ran = drive([stopper], [1.0, 0.8, 0.9, 0.85, 0.7])
    assert ran == 4 and stopper.stopped_epoch == 3 and model.stop_training
    assert stopper.best == 0.8 and stopper.best_epoch == 1
    assert "epoch 4" in stopper.reason and "epoch 2" in stopper.reason


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    stopper = EarlyStopping(monitor="loss", patience=0)
    _, ran = drive([stopper], [3.0, 2.0, 2.0, 1.0], key="loss")
    assert ran == 3 and stopper.stopped_epoch == 2


def test_early_stopping_auto_mode_maximises_accuracy_auc_r2():
    for key in ("val_accuracy", "val_roc_auc", "r2"):
        stopper = EarlyStopping(monitor=key, patience=1)
        assert stopper.mode == "max"
        _, ran = drive([stopper], [0.5, 0.6, 0.6, 0.9], key=key)
        assert ran == 3, key  # equal is not an improvement
    assert EarlyStopping(monitor="val_mae").mode == "min"


def test_early_stopping_explicit_max_mode():
    stopper = EarlyStopping(monitor="val_score", mode="max", patience=1)
    _, ran = drive([stopper], [1.0, 2.0, 1.5, 3.0], key="val_score")
    assert ran == 3 and stopper.best == 2.0


def test_early_stopping_min_delta_requires_a_big_enough_gain():
    values = [1.0, 0.95, 0.92, 0.5]
    strict = EarlyStopping(patience=2, min_delta=0.1)
    _, ran = drive([strict], values)
    assert ran == 3 and strict.best == 1.0
    _, ran = drive([EarlyStopping(patience=2)], values)
    assert ran == 4
    assert EarlyStopping(min_delta=-0.1).min_delta == 0.1  # sign ignored, as in Keras


def test_early_stopping_baseline_counts_epochs_that_do_not_beat_it():
    values = [0.9, 0.8, 0.85, 0.7]
    with_baseline = EarlyStopping(patience=2, baseline=0.5)
    _, ran = drive([with_baseline], values)
    assert ran == 3 and with_baseline.stopped_epoch == 2
    _, ran = drive([EarlyStopping(patience=2)], values)
    assert ran == 4


def test_early_stopping_restores_best_weights_exactly():
    stopper = EarlyStopping(patience=2, restore_best_weights=True)
    model, ran = drive([stopper], [1.0, 0.5, 0.7, 0.9, 0.1])
    assert ran == 4
    np.testing.assert_array_equal(model.weights["w"], np.full((2, 2), 1.0))
    np.testing.assert_array_equal(model.weights["b"], np.full(2, 1.5))


def test_early_stopping_restores_best_weights_even_without_stopping():
    stopper = EarlyStopping(patience=10, restore_best_weights=True)
    model, ran = drive([stopper], [1.0, 0.2, 0.7])
    assert ran == 3 and not model.stop_training and stopper.stopped_epoch == 0 and stopper.reason is None
    np.testing.assert_array_equal(model.weights["w"], np.full((2, 2), 1.0))


def test_early_stopping_without_restore_keeps_last_weights():
    model, _ = drive([EarlyStopping(patience=1)], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(model.weights["w"], np.full((2, 2), 1.0))  # stopped after epoch index 1


def test_early_stopping_start_from_epoch_ignores_warm_up():
    stopper = EarlyStopping(patience=0, start_from_epoch=2)
    _, ran = drive([stopper], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert ran == 4 and stopper.best_epoch == 2


def test_early_stopping_nan_is_never_an_improvement():
    stopper = EarlyStopping(patience=1, restore_best_weights=True)
    model, ran = drive([stopper], [1.0, math.nan, 0.5])
    assert ran == 2
    np.testing.assert_array_equal(model.weights["w"], np.zeros((2, 2)))


def test_early_stopping_warns_once_when_monitor_missing():
    stopper = EarlyStopping(monitor="val_loss", patience=0)
    with pytest.warns(UserWarning, match=r"'val_loss'.*\['loss', 'other'\]") as record:
        _, ran = drive([stopper], [1.0, 2.0, 3.0], key="other")
    assert len(record) == 1 and ran == 3


def test_early_stopping_reuse_resets_state():
    stopper = EarlyStopping(patience=0)
    drive([stopper], [1.0, 2.0])
    _, ran = drive([stopper], [5.0, 4.0, 3.0])
    assert ran == 3 and stopper.best == 3.0


def test_early_stopping_checks_parameters():
    with pytest.raises(ParameterError, match="'mode' parameter of EarlyStopping"):
        EarlyStopping(mode="maximum")
    with pytest.raises(ParameterError, match="'patience'"):
        EarlyStopping(patience=-1)
    with pytest.raises(ParameterTypeError, match="'monitor'"):
        EarlyStopping(monitor=None)


# --- ModelCheckpoint ----------------------------------------------------------------------------

def test_model_checkpoint_saves_only_on_improvement():
    checkpoint = ModelCheckpoint("best-{epoch:02d}", save_best_only=True)
    model, _ = drive([checkpoint], [1.0, 0.8, 0.9, 0.8, 0.3])
    assert model.saved == ["best-01", "best-02", "best-05"] and checkpoint.last_saved == "best-05"


def test_model_checkpoint_max_mode_and_every_epoch(tmp_path):
    model, _ = drive([ModelCheckpoint(tmp_path / "m", monitor="val_accuracy", save_best_only=True)],
                     [0.5, 0.4, 0.7], key="val_accuracy")
    assert model.saved == [str(tmp_path / "m")] * 2
    model, _ = drive([ModelCheckpoint("e{epoch}-{val_loss:.1f}")], [1.0, 2.0])
    assert model.saved == ["e1-1.0", "e2-2.0"]


def test_model_checkpoint_bad_field_names_the_keys():
    with pytest.raises(ParameterError, match="'path' parameter of ModelCheckpoint.*val_loss"):
        drive([ModelCheckpoint("m-{val_acc}")], [1.0])


def test_model_checkpoint_missing_monitor_warns_and_skips():
    with pytest.warns(UserWarning, match="ModelCheckpoint"):
        model, _ = drive([ModelCheckpoint("m", save_best_only=True)], [1.0], key="loss_x")
    assert model.saved == []


# --- TerminateOnNaN -----------------------------------------------------------------------------

@pytest.mark.parametrize("bad, word", [(math.nan, "NaN"), (math.inf, "inf")])
def test_terminate_on_nan_stops_within_the_batch(bad, word):
    stop, model = TerminateOnNaN(), FakeModel()
    hooks = CallbackList([stop], model=model)
    hooks.on_train_begin()
    hooks.on_epoch_begin(11)
    hooks.on_batch_end(0, {"loss": 0.5, "size": 8})
    assert not model.stop_training and stop.reason is None
    hooks.on_batch_end(1, {"loss": bad, "size": 8})
    assert model.stop_training
    assert f"loss became {word} at epoch 12, batch 2" in stop.reason and "(now 3)" in stop.reason


# --- CSVLogger ----------------------------------------------------------------------------------

def read_rows(path, separator=","):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle, delimiter=separator))


def test_csv_logger_writes_header_and_one_flushed_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger, model = CSVLogger(path), FakeModel()
    logger.set_model(model)
    logger.on_train_begin()
    logger.on_epoch_end(0, {"val_loss": 0.5, "loss": np.float32(0.25), "accuracy": 0.1})
    assert read_rows(path) == [["epoch", "accuracy", "loss", "val_loss"], ["0", "0.1", "0.25", "0.5"]]  # flushed
    logger.on_epoch_end(1, {"loss": 0.125, "accuracy": 1 / 3})
    logger.on_train_end()
    rows = read_rows(path)
    assert rows[2] == ["1", repr(1 / 3), "0.125", "NA"] and float(rows[2][1]) == 1 / 3


def test_csv_logger_append_and_separator(tmp_path):
    path = tmp_path / "log.tsv"
    drive([CSVLogger(path, separator="\t")], [1.0])
    drive([CSVLogger(path, separator="\t", append=True)], [2.0, 3.0])
    rows = read_rows(path, "\t")
    assert rows == [["epoch", "loss", "val_loss"], ["0", "1.0", "1.0"], ["0", "1.0", "2.0"], ["1", "1.0", "3.0"]]
    drive([CSVLogger(path, separator="\t")], [4.0])  # append=False overwrites
    assert len(read_rows(path, "\t")) == 2
    with pytest.raises(ParameterError, match="'separator'"):
        CSVLogger(path, separator=", ")


# --- History ------------------------------------------------------------------------------------

def test_history_records_and_finds_best_epoch():
    history = History()
    drive([history], [0.9, 0.4, 0.6], extra={"val_accuracy": 0.5})
    assert history.epoch == [0, 1, 2] and history.history["val_loss"] == [0.9, 0.4, 0.6]
    assert history.best_epoch() == 1 and history.best_epoch("val_loss", mode="max") == 0
    history.history["val_accuracy"] = [0.5, 0.7, 0.9]
    assert history.best_epoch("val_accuracy") == 2
    assert "epochs=3" in repr(history) and len(repr(history)) < 120


def test_history_aligns_keys_that_appear_late_and_skips_nan():
    history = History()
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.7})
    history.on_epoch_end(2, {"loss": 0.4})
    val_loss = history.history["val_loss"]
    assert val_loss[1] == 0.7 and np.isnan(val_loss[0]) and np.isnan(val_loss[2])
    assert len(history.history["val_loss"]) == 3 and history.best_epoch() == 1
    with pytest.raises(ParameterError, match="recorded keys"):
        history.best_epoch("val_accuracy")
    history.history["bad"] = [math.nan] * 3
    with pytest.raises(DataError, match="no finite value"):
        history.best_epoch("bad")
    history.stop_reason = "early stopping"
    assert "early stopping" in repr(history)


# --- ProgressDisplay ----------------------------------------------------------------------------

def test_progress_display_prints_nothing_when_not_a_terminal():
    out = StringIO()
    display = ProgressDisplay(console=Console(file=out))
    drive([display], [0.5, 0.4], extra={"accuracy": 0.9})
    assert not display.active and out.getvalue() == ""


def test_progress_display_disabled_or_quiet_prints_nothing():
    for enabled, verbose in ((False, True), (None, False)):
        out = StringIO()
        display = ProgressDisplay(enabled=enabled, console=Console(file=out, force_terminal=True))
        display.set_params({"epochs": 2, "steps": 1, "verbose": verbose})
        display.on_train_begin()
        display.on_epoch_end(0, {"loss": 1.0})
        display.on_train_end()
        assert out.getvalue() == ""


def test_progress_display_renders_when_forced():
    out = StringIO()
    display = ProgressDisplay(enabled=True, console=Console(file=out, width=160))
    drive([display], [0.5, 0.25], extra={"accuracy": 0.875, "val_accuracy": 0.75})
    text = out.getvalue()
    assert "2/2" in text and "val_loss 0.2500" in text and "accuracy 0.8750" in text
    assert "val_accuracy 0.7500" in text


def test_progress_summary_picks_the_main_metric():
    assert summary({"loss": 0.5, "val_loss": math.nan, "r2": 0.9, "mae": 0.1, "learning_rate": 0.1}) == \
        "loss 0.5000 · val_loss nan · r2 0.9000"
    assert summary({"loss": 1.0}) == "loss 1.0000"
