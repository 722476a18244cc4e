"""Learning-rate schedules against torch.optim.lr_scheduler, and the two Keras-named callbacks."""

from __future__ import annotations

import json
import math
import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.optim import (SGD, Adam, CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, StepLR,
                            get_schedule)
from nnblocks.training.callbacks import Callback, CallbackList
from nnblocks.training.lr_callbacks import LearningRateScheduler
from nnblocks.training.lr_callbacks import ReduceLROnPlateau as ReduceLROnPlateauCallback

torch = pytest.importorskip("torch")
from torch.optim import lr_scheduler  # noqa: E402

SHAPES = [(3, 4), (4,), (2,)]
TORCH_NAMES = {"max_epochs": "T_max", "minimum_learning_rate": "min_lr", "epsilon": "eps"}


def torch_arguments(cls, arguments):
    names = {**TORCH_NAMES, "minimum_learning_rate": "eta_min"} if cls is CosineAnnealingLR else TORCH_NAMES
    return {names.get(key, key): value for key, value in arguments.items()}


def plateau_metrics(epochs, mode, seed=0):
    """Improving, then wobbling on plateaus: enough bad epochs to trigger several reductions."""
    rng = np.random.default_rng(seed)
    changes = rng.choice([-0.2, 0.0, 0.0, 0.03, -1e-5], size=epochs)
    values = 5.0 + np.cumsum(changes)
    return list(values if mode == "min" else 10.0 - values)


SCHEDULE_CASES = [
    (StepLR, {"step_size": 3, "gamma": 0.5}, 25),
    (StepLR, {"step_size": 1}, 20),
    (ExponentialLR, {"gamma": 0.9}, 30),
    (CosineAnnealingLR, {"max_epochs": 10, "minimum_learning_rate": 0.001}, 35),  # past T_max: the cosine goes on
    (CosineAnnealingLR, {"max_epochs": 7}, 20),
    (ReduceLROnPlateau, {"factor": 0.5, "patience": 2}, 40),
    (ReduceLROnPlateau, {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.01,
                         "threshold_mode": "abs", "cooldown": 2}, 40),
    (ReduceLROnPlateau, {"factor": 0.5, "patience": 0, "cooldown": 1, "minimum_learning_rate": 0.02}, 40),
    (ReduceLROnPlateau, {"mode": "max", "threshold": 0.05, "patience": 3, "epsilon": 0.05}, 40),
]


@pytest.mark.parametrize(("cls", "arguments", "epochs"), SCHEDULE_CASES,
                         ids=[f"{cls.__name__}-{i}" for i, (cls, _, _) in enumerate(SCHEDULE_CASES)])
@pytest.mark.parametrize("optimizer_name", ["sgd", "adam"])
def test_schedule_drives_the_optimizer_like_torch(cls, arguments, epochs, optimizer_name):
    rng = np.random.default_rng(3)
    params = {str(i): rng.standard_normal(shape) for i, shape in enumerate(SHAPES)}
    tensors = {key: torch.tensor(value.copy(), requires_grad=True) for key, value in params.items()}
    if optimizer_name == "sgd":
        ours, theirs = SGD(0.1, momentum=0.9), torch.optim.SGD(list(tensors.values()), 0.1, 0.9, foreach=False)
    else:
        ours, theirs = Adam(0.1), torch.optim.Adam(list(tensors.values()), 0.1, foreach=False)
    schedule = cls(ours, **arguments)
    torch_schedule = getattr(lr_scheduler, cls.__name__)(theirs, **torch_arguments(cls, arguments))
    metrics = plateau_metrics(epochs, arguments.get("mode", "min"))
    rates = []
    for epoch in range(epochs):
        assert abs(ours.learning_rate - theirs.param_groups[0]["lr"]) <= 1e-12, epoch
        rates.append(ours.learning_rate)
        grads = {key: rng.standard_normal(value.shape) for key, value in params.items()}
        ours.step(params, grads)
        for key, tensor in tensors.items():
            tensor.grad = torch.tensor(grads[key])
        theirs.step()
        for key, tensor in tensors.items():
            np.testing.assert_allclose(params[key], tensor.detach().numpy(), rtol=0, atol=1e-10)
        if cls is ReduceLROnPlateau:
            schedule.step(metrics[epoch])
            torch_schedule.step(metrics[epoch])
        else:
            schedule.step()
            torch_schedule.step()
    assert len(set(rates)) >= 2  # the schedule really moved the rate (epsilon stops case 8 after one cut)
    assert schedule.base_learning_rate == 0.1 and schedule.epoch == epochs


@pytest.mark.parametrize(("cls", "arguments"), [(StepLR, {"step_size": 4, "gamma": 0.3}),
                                                (ExponentialLR, {"gamma": 0.8}),
                                                (CosineAnnealingLR, {"max_epochs": 6, "minimum_learning_rate": 0.01})])
def test_learning_rate_at_is_the_rate_after_that_many_steps(cls, arguments):
    optimizer = SGD(0.5)
    schedule = cls(optimizer, **arguments)
    for epoch in range(1, 15):
        schedule.step()
        assert optimizer.learning_rate == schedule.learning_rate_at(epoch)
    assert schedule.learning_rate_at(0) == 0.5


def test_closed_forms_by_hand():
    assert StepLR(SGD(1.0), step_size=2, gamma=0.5).learning_rate_at(5) == 0.25  # 1 · 0.5^⌊5/2⌋
    assert ExponentialLR(SGD(2.0), gamma=0.5).learning_rate_at(3) == 0.25  # 2 · 0.5³
    cosine = CosineAnnealingLR(SGD(1.0), max_epochs=4, minimum_learning_rate=0.2)
    assert cosine.learning_rate_at(2) == pytest.approx(0.6)  # halfway: 0.2 + 0.8 · (1 + cos(π/2)) / 2
    assert cosine.learning_rate_at(4) == pytest.approx(0.2) and cosine.learning_rate_at(8) == pytest.approx(1.0)


def test_schedule_configs_are_json_and_name_their_type():
    optimizer = SGD(0.1)
    for name, arguments in [("step", {"step_size": 2}), ("exponential", {"gamma": 0.9}),
                            ("cosine", {"max_epochs": 5}), ("plateau", {"patience": 3})]:
        config = json.loads(json.dumps(get_schedule(name, optimizer, **arguments).get_config()))
        assert config["type"] == name and all(config[key] == value for key, value in arguments.items())


@pytest.mark.parametrize(("build", "error", "fragments"), [
    (lambda: StepLR(SGD(), step_size=0), ParameterError, ["'step_size'", "StepLR", "0"]),
    (lambda: StepLR(SGD(), step_size=2.5), ParameterTypeError, ["'step_size'", "2.5"]),
    (lambda: ExponentialLR(SGD(), gamma=0), ParameterError, ["'gamma'", "ExponentialLR"]),
    (lambda: CosineAnnealingLR(SGD(), max_epochs=0), ParameterError, ["'max_epochs'", "CosineAnnealingLR"]),
    (lambda: CosineAnnealingLR(SGD(), 5, minimum_learning_rate=-1), ParameterError, ["'minimum_learning_rate'"]),
    (lambda: ReduceLROnPlateau(SGD(), factor=1.0), ParameterError, ["'factor'", "(0, 1)", "1.0"]),
    (lambda: ReduceLROnPlateau(SGD(), mode="median"), ParameterError, ["'mode'", "'min'", "'max'", "'median'"]),
    (lambda: ReduceLROnPlateau(SGD(), threshold_mode="pct"), ParameterError, ["'threshold_mode'", "'rel'"]),
    (lambda: ReduceLROnPlateau(SGD(), patience=-1), ParameterError, ["'patience'", "-1"]),
    (lambda: StepLR("adam", step_size=2), ParameterTypeError, ["'optimizer'", "StepLR", "'adam'"]),
    (lambda: get_schedule("linear", SGD()), ParameterError, ["'linear'", "'cosine'", "'plateau'"]),
])
def test_bad_schedule_arguments_are_named(build, error, fragments):
    with pytest.raises(error) as raised:
        build()
    for fragment in fragments:
        assert fragment in str(raised.value), (fragment, str(raised.value))


# --- callbacks ----------------------------------------------------------------------------------
def fake_model(learning_rate=0.1):
    return SimpleNamespace(optimizer=SGD(learning_rate), stop_training=False)


def drive(callback, model, epoch_logs):
    """Run the callback hooks the way the fit loop does; return the logs after each epoch."""
    callbacks = CallbackList([callback], model=model, params={"epochs": len(epoch_logs), "steps": 1})
    callbacks.on_train_begin()
    seen = []
    for epoch, logs in enumerate(epoch_logs):
        callbacks.on_epoch_begin(epoch)
        logs = dict(logs)
        callbacks.on_epoch_end(epoch, logs)
        seen.append(logs)
    callbacks.on_train_end()
    return seen


def test_reduce_on_plateau_callback_lowers_after_patience_epochs():
    model = fake_model(0.1)
    callback = ReduceLROnPlateauCallback(monitor="val_loss", factor=0.1, patience=2, min_delta=0.0)
    assert isinstance(callback, Callback)
    logs = drive(callback, model, [{"val_loss": value} for value in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95]])
    # epochs 0, 1 improve; 2 and 3 do not: the 2nd such epoch (epoch 3) lowers the rate; 4 and 5 again.
    assert [entry["learning_rate"] for entry in logs] == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.01, 0.01])
    assert model.optimizer.learning_rate == pytest.approx(0.001)


def keras_reduce_lr_on_plateau(metrics, learning_rate, factor, patience, min_delta, cooldown, min_lr, mode):
    """Keras 3's ReduceLROnPlateau.on_epoch_end, transcribed as the independent reference."""
    better = (lambda a, b: a < b - min_delta) if mode == "min" else (lambda a, b: a > b + min_delta)
    best, wait, cooldown_counter, rates = (math.inf if mode == "min" else -math.inf), 0, 0, []
    for current in metrics:
        rates.append(learning_rate)
        if cooldown_counter > 0:
            cooldown_counter -= 1
            wait = 0
        if better(current, best):
            best, wait = current, 0
        elif not cooldown_counter > 0:
            wait += 1
            if wait >= patience and learning_rate > min_lr:
                learning_rate = max(learning_rate * factor, min_lr)
                cooldown_counter, wait = cooldown, 0
    return rates


@pytest.mark.parametrize("patience", [0, 1, 2, 4])
@pytest.mark.parametrize("cooldown", [0, 1, 3])
@pytest.mark.parametrize("monitor", ["val_loss", "val_accuracy"])
def test_reduce_on_plateau_callback_counts_like_keras(patience, cooldown, monitor):
    mode = "max" if "accuracy" in monitor else "min"
    metrics = plateau_metrics(60, mode, seed=patience * 10 + cooldown)
    model = fake_model(1.0)
    callback = ReduceLROnPlateauCallback(monitor=monitor, factor=0.5, patience=patience, min_delta=1e-4,
                                         cooldown=cooldown, min_lr=0.01)
    logs = drive(callback, model, [{monitor: value, "loss": 1.0} for value in metrics])
    expected = keras_reduce_lr_on_plateau(metrics, 1.0, 0.5, patience, 1e-4, cooldown, 0.01, mode)
    assert [entry["learning_rate"] for entry in logs] == pytest.approx(expected, rel=1e-15)
    assert expected[-1] < 1.0  # the sequence did trigger reductions


def test_reduce_on_plateau_callback_warns_once_when_the_monitor_is_missing():
    model = fake_model(0.1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        logs = drive(ReduceLROnPlateauCallback(patience=0), model, [{"loss": 1.0, "accuracy": 0.5}] * 4)
    messages = [str(warning.message) for warning in caught]
    assert len(messages) == 1 and "'val_loss'" in messages[0] and "'accuracy'" in messages[0]
    assert model.optimizer.learning_rate == 0.1 and logs[-1]["learning_rate"] == 0.1


def test_callbacks_keep_a_learning_rate_already_in_the_logs():
    logs = drive(ReduceLROnPlateauCallback(patience=0), fake_model(0.1), [{"val_loss": 1.0, "learning_rate": 7.0}])
    assert logs[0]["learning_rate"] == 7.0


@pytest.mark.parametrize(("build", "error", "fragments"), [
    (lambda: ReduceLROnPlateauCallback(factor=1.5), ParameterError, ["'factor'", "1.5"]),
    (lambda: ReduceLROnPlateauCallback(patience=-2), ParameterError, ["'patience'", "-2"]),
    (lambda: ReduceLROnPlateauCallback(mode="up"), ParameterError, ["'mode'", "'auto'"]),
    (lambda: ReduceLROnPlateauCallback(min_lr=-1), ParameterError, ["'min_lr'"]),
    (lambda: LearningRateScheduler(3), ParameterTypeError, ["'schedule'", "3"]),
    (lambda: LearningRateScheduler("plateau"), ParameterError, ["'schedule'", "'cosine'", "'plateau'"]),
    (lambda: LearningRateScheduler(lambda epoch, rate: rate, gamma=0.5), ParameterError, ["gamma"]),
    (lambda: LearningRateScheduler(ReduceLROnPlateau(SGD())), ParameterError, ["ReduceLROnPlateau callback"]),
    (lambda: LearningRateScheduler("step", step_size=0), ParameterError, ["'step_size'", "StepLR"]),
])
def test_bad_callback_arguments_are_named(build, error, fragments):
    with pytest.raises(error) as raised:
        build()
    for fragment in fragments:
        assert fragment in str(raised.value), (fragment, str(raised.value))


def test_learning_rate_scheduler_with_a_function():
    model = fake_model(0.1)
    callback = LearningRateScheduler(lambda epoch, rate: rate if epoch < 2 else rate * 0.5)
    logs = drive(callback, model, [{"loss": 1.0}] * 5)
    assert [entry["learning_rate"] for entry in logs] == [0.1, 0.1, 0.05, 0.025, 0.0125]


@pytest.mark.parametrize("given", ["name", "class", "object"])
def test_learning_rate_scheduler_with_a_schedule_matches_torch(given):
    model = fake_model(0.1)
    if given == "name":
        callback = LearningRateScheduler("cosine", max_epochs=8, minimum_learning_rate=0.01)
    elif given == "class":
        callback = LearningRateScheduler(CosineAnnealingLR, max_epochs=8, minimum_learning_rate=0.01)
    else:
        callback = LearningRateScheduler(CosineAnnealingLR(model.optimizer, max_epochs=8, minimum_learning_rate=0.01))
    logs = drive(callback, model, [{"loss": 1.0}] * 24)
    theirs = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    torch_schedule = lr_scheduler.CosineAnnealingLR(theirs, T_max=8, eta_min=0.01)
    for entry in logs:
        assert abs(entry["learning_rate"] - theirs.param_groups[0]["lr"]) <= 1e-12
        theirs.step()
        torch_schedule.step()


def test_learning_rate_scheduler_refuses_a_schedule_of_another_optimizer():
    callback = LearningRateScheduler(StepLR(SGD(0.1), step_size=2))
    with pytest.raises(ParameterError, match="model's optimiser"):
        drive(callback, fake_model(0.1), [{"loss": 1.0}])


@pytest.mark.parametrize("bad", [None, "fast", float("nan"), -0.1])
def test_learning_rate_scheduler_checks_what_the_function_returns(bad):
    callback = LearningRateScheduler(lambda epoch, rate: rate if epoch == 0 else bad)
    with pytest.raises(ParameterError) as raised:
        drive(callback, fake_model(0.1), [{"loss": 1.0}] * 3)
    assert "'schedule'" in str(raised.value) and "epoch 1" in str(raised.value)
