"""The PyTorch twin: the same network, weights, losses, optimisers and loop as the NumPy engine.

Acceptance: in float64, with the same config, seed and batches, 50 steps of SGD, SGD with
momentum, Adam and AdamW leave NumPy's and torch's weights within 1e-9 of each other, for
MLPs (tanh/relu, BatchNorm, L2) ending in BCE, softmax cross-entropy and MSE, and for conv
nets. Both ``train_step`` by hand and ``fit`` (the loop owns the shuffling rng) are checked.
The largest differences are printed at the end of the run (conftest's record_error).

The learning rates are moderate on purpose: in an oscillating run (too large a rate) any two
correct engines drift apart exponentially from their first rounding difference.
"""

from __future__ import annotations

import importlib
import sys
import warnings

import numpy as np
import pytest
import torch

from nnblocks import (AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, EarlyStopping, Flatten, GlobalAvgPool2D,
                      ImageInputs, Inputs, LearningRateScheduler, MaxPool2D, ModelCheckpoint, Network, ParameterError,
                      ReduceLROnPlateau, Sequential, get_optimizer, load_dataset, train_validation_test_split)
from nnblocks.engines.torch import (TorchEngine, compile_network, copy_weights_from_torch, copy_weights_to_torch,
                                    torch_scheduler)
from nnblocks.optim import schedules

PARITY = 1e-9          # NumPy vs torch weights after 50 steps, float64
FORWARD = 1e-12        # one forward pass, float64
LOSSES = {"binary_cross_entropy": 1, "softmax_cross_entropy": 3, "mse": 2}   # loss -> output units
OPTIMIZERS = {"sgd": ("sgd", 0.05), "momentum": ("momentum", 0.01), "adam": ("adam", 0.01), "adamw": ("adamw", 0.01)}
ACTIVATIONS = [{"type": "relu"}, {"type": "leaky_relu", "negative_slope": 0.2}, {"type": "elu", "alpha": 0.7},
               {"type": "gelu", "approximate": "tanh"}, {"type": "gelu"}, {"type": "softplus"}, {"type": "sigmoid"},
               {"type": "silu"}, {"type": "tanh"}, {"type": "linear"}, {"type": "softmax"}]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


# --- networks and data ------------------------------------------------------------------------------
def mlp(loss: str, dtype: str = "float64", seed: int = 3, cls=Network) -> Network:
    layers = [Dense(8, activation="tanh", l2=1e-3), BatchNorm(), Dense(8, activation="relu", l2=1e-3),
              Dense(LOSSES[loss])]
    if cls is Network:
        return cls(layers, loss=loss, dtype=dtype, seed=seed).build((3,))
    return cls(layers, loss=loss, dtype=dtype, seed=seed)


def convnet(loss: str = "softmax_cross_entropy", head: str = "flatten", seed: int = 1) -> Network:
    layers = [Conv2D(3, 2, padding="same", activation="tanh", l2=1e-3),   # even kernel: padding 0 top, 1 bottom
              MaxPool2D(2), Conv2D(4, 3, padding=1, activation="relu", l1=1e-4),
              AvgPool2D(2, stride=1, padding=1)]
    layers += [Flatten(), BatchNorm()] if head == "flatten" else [GlobalAvgPool2D()]
    return Network([*layers, Dense(LOSSES[loss])], loss=loss, dtype="float64", seed=seed).build((2, 6, 6))


def targets_for(loss: str, rng: np.random.Generator, count: int) -> np.ndarray:
    if loss == "binary_cross_entropy":
        return rng.integers(0, 2, (count, 1)).astype(np.float64)
    if loss == "softmax_cross_entropy":
        return rng.integers(0, 3, count)
    return rng.normal(size=(count, 2))


def twin(network: Network) -> Network:
    """The same network again: same config, same weights."""
    copy = type(network).from_config(network.get_config())
    copy.set_weights(network.get_weights())
    return copy


def largest_difference(first: dict, second: dict) -> float:
    assert first.keys() == second.keys()
    return max(float(np.max(np.abs(first[name] - second[name]))) for name in first)


def drive_both(network: Network, optimizer: str, x: np.ndarray, y: np.ndarray, steps: int = 50,
               batch_size: int = 8) -> tuple[float, float]:
    """``steps`` train_steps of NumPy and torch on the same batches; (weight difference, loss difference)."""
    name, rate = OPTIMIZERS[optimizer]
    ours = twin(network)
    ours.optimizer = get_optimizer(name, learning_rate=rate)
    engine = TorchEngine(network, device="cpu", optimizer=get_optimizer(name, learning_rate=rate))
    rng, loss_gap = np.random.default_rng(7), 0.0
    for _ in range(steps):
        batch = rng.choice(len(x), batch_size, replace=False)
        loss, scores = ours.train_step(x[batch], y[batch])
        torch_loss, torch_scores = engine.train_step(x[batch], y[batch])
        loss_gap = max(loss_gap, abs(loss - torch_loss), float(np.max(np.abs(scores - torch_scores))))
    return largest_difference(ours.get_weights(), engine.get_weights()), loss_gap


# --- 1. parity ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_train_steps_agree_with_numpy_mlp(loss, optimizer, record_error):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(64, 3)), targets_for(loss, rng, 64)
    weights, losses = drive_both(mlp(loss), optimizer, x, y)
    record_error(f"torch engine parity, {optimizer}", weights)
    assert weights <= PARITY and losses <= PARITY


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("head", ["flatten", "global"])
def test_train_steps_agree_with_numpy_convnet(head, optimizer, record_error):
    rng = np.random.default_rng(1)
    loss = "softmax_cross_entropy" if head == "flatten" else "binary_cross_entropy"
    x, y = rng.normal(size=(40, 2, 6, 6)), targets_for(loss, rng, 40)
    weights, losses = drive_both(convnet(loss, head), optimizer, x, y)
    record_error(f"torch engine parity, {optimizer}", weights)
    assert weights <= PARITY and losses <= PARITY


@pytest.mark.parametrize("optimizer", [{"type": "sgd", "learning_rate": 0.02, "momentum": 0.8, "dampening": 0.3,
                                        "weight_decay": 1e-2},
                                       {"type": "sgd", "learning_rate": 0.01, "momentum": 0.9, "nesterov": True},
                                       {"type": "rmsprop", "learning_rate": 0.003, "momentum": 0.5, "centered": True,
                                        "weight_decay": 1e-3},
                                       {"type": "adagrad", "learning_rate": 0.05, "learning_rate_decay": 0.01,
                                        "initial_accumulator_value": 0.1},
                                       {"type": "adam", "learning_rate": 0.01, "amsgrad": True, "weight_decay": 1e-2}],
                         ids=["sgd-dampening-decay", "nesterov", "rmsprop-centred", "adagrad", "adam-amsgrad"])
def test_every_optimiser_setting_maps_to_torch(optimizer, record_error):
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(64, 3)), targets_for("mse", rng, 64)
    ours, theirs = mlp("mse"), mlp("mse")
    ours.optimizer = get_optimizer(optimizer)
    engine = TorchEngine(theirs, device="cpu", optimizer=get_optimizer(optimizer))
    for step in range(50):
        batch = np.arange(step % 8 * 8, step % 8 * 8 + 8)
        ours.train_step(x[batch], y[batch])
        engine.train_step(x[batch], y[batch])
    difference = largest_difference(ours.get_weights(), engine.get_weights())
    record_error(f"torch engine parity, {optimizer['type']}", difference)
    assert difference <= PARITY


def fit_both(loss: str, optimizer: str, epochs: int = 10, callbacks=lambda: []):
    """fit() of two identical Sequentials, NumPy and torch, same seed, 40 training rows in batches of 8.

    Returns (numpy model, torch model, numpy history, torch history, x, y); ``callbacks`` makes a fresh list
    for each run.
    """
    rng = np.random.default_rng(4)
    x = rng.normal(size=(50, 3))
    y = {"binary_cross_entropy": (x[:, 0] > 0).astype(int), "softmax_cross_entropy": np.digitize(x[:, 1], [-0.4, 0.4]),
         "mse": np.column_stack([x[:, 0] * x[:, 1], np.sin(x[:, 2])])}[loss]
    name, rate = OPTIMIZERS[optimizer]
    models, histories = [], []
    for engine in ("numpy", "torch"):
        model = mlp(loss, cls=Sequential)
        devices = {"device": "cpu"} if engine == "torch" else {}
        histories.append(model.fit(x[10:], y[10:], epochs=epochs, batch_size=8, optimizer=name, learning_rate=rate,
                                   verbose=False, seed=11, validation_data=(x[:10], y[:10]), callbacks=callbacks(),
                                   engine=engine, **devices))
        models.append(model)
    return (*models, *histories, x[10:], y[10:])


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
@pytest.mark.parametrize("loss", list(LOSSES))
def test_fit_agrees_with_numpy(loss, optimizer, record_error):
    ours, theirs, our_history, their_history, x, y = fit_both(loss, optimizer)   # 5 steps x 10 epochs
    difference = largest_difference(ours.get_weights(), theirs.get_weights())
    # Again, without passing an optimiser: both continue with their optimiser state (Adam's moments).
    engine = theirs.torch_engine
    ours.fit(x, y, epochs=3, batch_size=8, verbose=False)
    theirs.fit(x, y, epochs=3, batch_size=8, verbose=False, engine="torch", device="cpu")
    difference = max(difference, largest_difference(ours.get_weights(), theirs.get_weights()))
    record_error(f"torch engine parity, {optimizer}", difference)
    assert difference <= PARITY
    for key in our_history.history:
        np.testing.assert_allclose(their_history.history[key], our_history.history[key], rtol=1e-9, atol=1e-12)
    assert theirs.torch_engine is engine                       # reused: its optimiser state carried on


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_fit_agrees_with_numpy_on_images(optimizer, record_error):
    rng = np.random.default_rng(6)
    images, labels = rng.integers(0, 256, (50, 2, 6, 6)).astype(np.uint8), rng.integers(0, 3, 50)
    name, rate = OPTIMIZERS[optimizer]
    weights = []
    for engine, devices in (("numpy", {}), ("torch", {"device": "cpu"})):
        network = convnet()
        model = Sequential(network.layers, loss="softmax_cross_entropy", inputs=ImageInputs(scaling="standard"),
                           dtype="float64", seed=1)
        model.fit(images, labels, epochs=5, batch_size=5, optimizer=name, learning_rate=rate, verbose=False,
                  seed=3, engine=engine, **devices)                                  # 10 steps x 5 epochs
        weights.append(model.get_weights())
    difference = largest_difference(*weights)
    record_error(f"torch engine parity, {optimizer}", difference)
    assert difference <= PARITY


def test_dropout_masks_repeat_with_the_seed_and_leave_torch_global_state_alone():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)), rng.integers(0, 2, 32)
    state = torch.random.get_rng_state()
    weights = []
    for _ in range(2):
        model = Sequential([Dense(16, activation="relu"), Dropout(0.5), Dense(1)], seed=4)
        model.fit(x, y, epochs=3, batch_size=8, verbose=False, engine="torch", device="cpu")
        weights.append(model.get_weights())
    assert largest_difference(*weights) == 0
    assert torch.equal(torch.random.get_rng_state(), state)


# --- 2. layout, round trips, forward --------------------------------------------------------------------
def test_dense_weight_is_transposed_and_kernel_permuted():
    network = Network([Conv2D(4, (2, 3), activation="relu"), Flatten(), Dense(5, activation="tanh")],
                      dtype="float64").build((3, 4, 5))
    module = compile_network(network)
    dense = network["dense"].params["weight"]                                        # ours (in, out)
    assert dense.shape == (4 * 3 * 3, 5)
    assert module.dense.linear.weight.shape == (5, 36)                               # torch (out, in)
    np.testing.assert_array_equal(module.dense.linear.weight.detach().numpy(), dense.T)
    kernel = network["conv2d"].params["weight"]                                      # (kh, kw, C_in, C_out)
    torch_kernel = module.conv2d.conv.weight.detach().numpy()                        # (C_out, C_in, kh, kw)
    assert kernel.shape == (2, 3, 3, 4) and torch_kernel.shape == (4, 3, 2, 3)
    assert torch_kernel[1, 2, 0, 2] == kernel[0, 2, 2, 1]
    np.testing.assert_array_equal(torch_kernel, kernel.transpose(3, 2, 0, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_weights_round_trip_exactly(dtype):
    network = Network([Dense(6, activation="relu"), BatchNorm(momentum=0.3), Dense(2)], dtype=dtype, seed=5).build((4,))
    network.forward(np.random.default_rng(0).normal(size=(9, 4)).astype(dtype), training=True)  # move the stats
    before = network.get_weights()
    module = compile_network(network)
    assert module.dense.linear.weight.dtype == getattr(torch, dtype)
    network.set_weights({name: np.zeros_like(value) for name, value in before.items()})
    copy_weights_from_torch(module, network)
    after = network.get_weights()
    for name in before:
        assert after[name].dtype == before[name].dtype
        np.testing.assert_array_equal(after[name], before[name])
    with torch.no_grad():
        module.dense.linear.weight.mul_(2)
    copy_weights_from_torch(module, network)
    np.testing.assert_array_equal(network["dense"].params["weight"], 2 * before["dense.weight"])
    copy_weights_to_torch(network, module)                     # in place: the parameter objects stay
    np.testing.assert_array_equal(module.dense.linear.weight.detach().numpy(), 2 * before["dense.weight"].T)


@pytest.mark.parametrize("activation", ACTIVATIONS, ids=lambda config: str(config))
def test_compiled_forward_equals_ours(activation, record_error):
    network = Network([Dense(7, activation=activation), BatchNorm(epsilon=1e-3), Dense(4, activation=activation),
                       Dropout(0.3), Dense(2)], dtype="float64", seed=2).build((3,))
    x = 3 * np.random.default_rng(1).normal(size=(16, 3))
    network.forward(x, training=True)                          # running statistics away from 0 and 1
    module = compile_network(network).eval()
    difference = float(np.max(np.abs(module(torch.from_numpy(x)).detach().numpy() - network.forward(x))))
    record_error("torch engine forward", difference)
    assert difference <= FORWARD


@pytest.mark.parametrize("head", ["flatten", "global"])
def test_compiled_convnet_forward_equals_ours(head, record_error):
    network = convnet(head=head)
    x = np.random.default_rng(3).normal(size=(5, 2, 6, 6))
    module = compile_network(network).eval()
    difference = float(np.max(np.abs(module(torch.from_numpy(x)).detach().numpy() - network.forward(x))))
    record_error("torch engine forward", difference)
    assert difference <= FORWARD
    train_mode = module.train()(torch.from_numpy(x)).detach().numpy()  # batch statistics, as ours in training
    assert np.max(np.abs(train_mode - network.forward(x, training=True))) <= FORWARD


def test_engine_stands_in_for_the_numpy_model():
    network = mlp("mse", dtype="float32")
    engine = TorchEngine(network, device="cpu", optimizer="sgd")
    assert engine.loss is network.loss and engine.device == torch.device("cpu")
    x, y = np.ones((4, 3), np.float32), np.zeros((4, 2), np.float32)
    loss, scores = engine.train_step(x, y)
    assert isinstance(loss, float) and scores.dtype == np.float32 and scores.shape == (4, 2)
    assert engine.parameter_count() == network.parameter_count()   # read from the NumPy model, synced first
    np.testing.assert_array_equal(network["dense"].params["weight"], engine.get_weights()["dense.weight"])
    assert engine.penalty() == pytest.approx(network.penalty(), rel=1e-6)
    engine.optimizer.learning_rate = 0.25
    assert all(group["lr"] == 0.25 for group in engine.optimizer.torch_optimizer.param_groups)
    assert engine.optimizer.get_config()["learning_rate"] == 0.25
    with pytest.raises(ParameterError, match="missing"):
        engine.set_weights({"dense.weight": np.zeros((3, 8))})


# --- 3. fit(engine="torch") and the callbacks -----------------------------------------------------------
def test_fit_with_torch_learns_the_spiral():
    data = load_dataset("spiral", seed=0)
    split = train_validation_test_split(data.x, data.y, validation=0.0, test=0.25, seed=0)
    model = Sequential([Dense(32, activation="tanh"), Dense(32, activation="tanh"), Dense(1)],
                       inputs=Inputs(scaling="standard"), seed=0)
    model.fit(split.x_train, split.y_train, epochs=150, batch_size=32, learning_rate=0.02, verbose=False,
              engine="torch", device="cpu")
    assert model.evaluate(split.x_test, split.y_test)["accuracy"] >= 0.95
    assert isinstance(model.torch_engine.module, torch.nn.Module)
    np.testing.assert_array_equal(model.get_weights()["dense.weight"], model.torch_engine.get_weights()["dense.weight"])


def test_callbacks_drive_the_torch_engine_as_the_numpy_one(tmp_path):
    folders = iter(["numpy", "torch"])

    def callbacks():
        return [EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
                ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0),
                ModelCheckpoint(tmp_path / next(folders), monitor="val_loss", save_best_only=True)]
    ours, theirs, our_history, their_history, *_ = fit_both("softmax_cross_entropy", "adam", 40, callbacks)
    assert their_history.history["learning_rate"][:4] == [0.01, 0.01, 0.005, 0.0025]  # halved: never 10 better
    assert their_history.history["learning_rate"] == pytest.approx(our_history.history["learning_rate"])
    assert their_history.stop_reason == our_history.stop_reason and "early stopping" in their_history.stop_reason
    assert largest_difference(ours.get_weights(), theirs.get_weights()) <= PARITY   # the best epoch's, restored
    assert theirs.optimizer.learning_rate == theirs.torch_engine.optimizer.learning_rate < 0.01
    saved = Sequential.load(tmp_path / "torch")                # ModelCheckpoint saved through the engine
    assert largest_difference(saved.get_weights(), theirs.get_weights()) == 0


def test_learning_rate_scheduler_on_the_torch_engine():
    def callbacks():
        return [LearningRateScheduler("cosine", max_epochs=6)]
    ours, theirs, our_history, their_history, *_ = fit_both("mse", "sgd", epochs=6, callbacks=callbacks)
    expected = [0.05 * (1 + np.cos(np.pi * epoch / 6)) / 2 for epoch in range(6)]
    np.testing.assert_allclose(their_history.history["learning_rate"], expected, rtol=1e-12)
    assert largest_difference(ours.get_weights(), theirs.get_weights()) <= PARITY


def test_a_non_finite_loss_stops_with_the_same_message():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)), 100 * rng.normal(size=40)
    reasons = []
    for engine in ("numpy", "torch"):
        model = Sequential([Dense(8, activation="relu"), Dense(1)], dtype="float64", seed=0)
        options = {"device": "cpu"} if engine == "torch" else {}
        with pytest.warns(RuntimeWarning, match="Training stopped: the loss became"):
            history = model.fit(x, y, epochs=20, batch_size=8, optimizer="sgd", learning_rate=10.0, verbose=False,
                                engine=engine, **options)
        assert all(np.isfinite(value).all() for value in model.get_weights().values())
        reasons.append(history.stop_reason)
    assert reasons[1] == reasons[0] and "lower it (try 1)" in reasons[1]


# --- 4. schedules -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda optimizer: schedules.StepLR(optimizer, step_size=7, gamma=0.5),
                                  lambda optimizer: schedules.ExponentialLR(optimizer, gamma=0.9),
                                  lambda optimizer: schedules.CosineAnnealingLR(optimizer, 12, 1e-4),
                                  lambda optimizer: schedules.ReduceLROnPlateau(optimizer, factor=0.5, patience=2,
                                                                                cooldown=1, threshold=0.05)],
                         ids=["step", "exponential", "cosine", "plateau"])
@pytest.mark.parametrize("start", [0, 5])
@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
def test_torch_scheduler_sets_our_learning_rates(make, start):
    metrics = [1.0, 0.9, 0.88, 0.87, 0.86, 0.8, 0.79, 0.8, 0.81, 0.5] * 4
    numpy_optimizer = get_optimizer("sgd", learning_rate=0.1)
    engine = TorchEngine(mlp("mse"), device="cpu", optimizer="sgd")
    engine.optimizer.learning_rate = 0.1
    ours = make(numpy_optimizer)
    plateau = isinstance(ours, schedules.ReduceLROnPlateau)
    for epoch in range(start):                                 # a schedule already under way is picked up
        ours.step(metrics[epoch]) if plateau else ours.step()
    theirs = torch_scheduler(ours, engine.optimizer)
    assert engine.optimizer.learning_rate == pytest.approx(numpy_optimizer.learning_rate, rel=1e-12)
    for epoch in range(start, start + 30):
        if plateau:
            ours.step(metrics[epoch])
            theirs.step(metrics[epoch])
        else:
            ours.step()
            theirs.step()
        assert engine.optimizer.learning_rate == pytest.approx(numpy_optimizer.learning_rate, rel=1e-9), epoch


def test_torch_scheduler_needs_a_torch_optimiser():
    with pytest.raises(TypeError, match="engine.optimizer"):
        torch_scheduler(schedules.StepLR(get_optimizer("sgd"), step_size=2))


# --- 5. devices, amp, compile, errors ------------------------------------------------------------------------
def test_amp_on_cpu_warns_and_trains_in_float32():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(24, 3)), rng.integers(0, 2, 24)
    weights = []
    for amp in (True, False):
        model = mlp("binary_cross_entropy", dtype="float32", cls=Sequential)
        if amp:
            with pytest.warns(UserWarning, match="amp=True needs a CUDA GPU"):
                model.fit(x, y, epochs=2, batch_size=8, verbose=False, engine="torch", device="cpu", amp=True)
            assert model.torch_engine.amp is False and model.torch_engine.scaler is None
            assert model.torch_engine.module.dense.linear.weight.dtype == torch.float32
        else:
            model.fit(x, y, epochs=2, batch_size=8, verbose=False, engine="torch", device="cpu")
        weights.append(model.get_weights())
    assert largest_difference(*weights) == 0


@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")  # inside torch
def test_compile_trains_a_tiny_network():
    dynamo = getattr(torch, "_dynamo", None)
    if not hasattr(torch, "compile") or dynamo is None or not dynamo.is_dynamo_supported():
        pytest.skip("torch.compile is not supported by this torch / Python")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 2)).astype(np.float32), rng.normal(size=16)
    model = Sequential([Dense(4, activation="tanh"), Dense(1)], seed=0)
    try:
        history = model.fit(x, y, epochs=2, batch_size=16, verbose=False, engine="torch", device="cpu", compile=True)
    except Exception as error:  # noqa: BLE001 - a compiler missing here (no C++ toolchain...) is not our failure
        if not type(error).__module__.startswith(("torch._dynamo", "torch._inductor")):
            raise
        pytest.skip(f"torch.compile cannot compile here: {type(error).__name__}: {str(error)[:200]}")
    assert model.torch_engine.compiled and np.isfinite(history.history["loss"]).all()
    reference = Sequential([Dense(4, activation="tanh"), Dense(1)], seed=0)
    reference.fit(x, y, epochs=2, batch_size=16, verbose=False)
    assert largest_difference(model.get_weights(), reference.get_weights()) <= 1e-5   # float32, fused kernels


def test_device_and_engine_errors_name_the_fix():
    model = mlp("mse", cls=Sequential)
    x, y = np.ones((4, 3)), np.ones((4, 2))
    with pytest.raises(ParameterError, match="'numpy', 'torch'"):
        model.fit(x, y, engine="jax")
    with pytest.raises(ParameterError, match="'cuda'"):
        model.fit(x, y, engine="torch", device="tpu")
    with pytest.raises(ParameterError, match="engine='torch'"):
        model.fit(x, y, device="cuda")
    if not torch.cuda.is_available():
        with pytest.raises(ParameterError, match="no CUDA GPU"):
            model.fit(x, y, engine="torch", device="cuda", verbose=False)


def test_auto_picks_the_best_device_present():
    engine = TorchEngine(mlp("mse"), device="auto", optimizer="sgd")
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert engine.device.type == expected


def test_without_torch_fit_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)            # `import torch` now fails
    for name in [name for name in sys.modules if name.startswith("nnblocks.engines.torch")]:
        monkeypatch.delitem(sys.modules, name)
    importlib.invalidate_caches()
    model = mlp("mse", cls=Sequential)
    with pytest.raises(ParameterError, match=r'pip install "nnblocks\[torch\]"'):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), engine="torch", verbose=False)


def test_the_cli_and_run_spec_train_with_torch(tmp_path):
    from typer.testing import CliRunner

    from nnblocks.cli.main import app
    from nnblocks.runs import RunSpec
    from nnblocks.runs.run_folder import read_spec_json

    spec = RunSpec(dataset="xor", engine="Torch", device="cpu")
    assert spec.engine == "torch" and RunSpec.from_dict(spec.to_dict()) == spec
    assert RunSpec.from_dict({"dataset": "xor"}).engine == "numpy"      # spec.json files from before
    with pytest.raises(ParameterError, match="engine='torch'"):
        RunSpec(device="cuda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(app, ["train", "--dataset", "xor", "--samples", "60", "--epochs", "2",
                                          "--hidden", "4", "--engine", "torch", "--device", "cpu", "--quiet",
                                          "--no-plots", "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    spec, _ = read_spec_json(tmp_path / "run" / "spec.json")
    assert (spec.engine, spec.device) == ("torch", "cpu")
