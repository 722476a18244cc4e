"""Optimisers: agreement with torch.optim, hand-worked steps, convergence, in-place float32, checkpoints, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnblocks.errors import ModelFileError, ParameterError, ParameterTypeError
from nnblocks.optim import OPTIMIZERS, SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop, get_optimizer

torch = pytest.importorskip("torch")

SHAPES = {"dense.weight": (3, 4), "dense.bias": (4,), "conv.kernel": (2, 3, 2), "out.bias": (1,)}

# (our class, our arguments); every option of every optimiser, alone and combined.
CASES = [
    (SGD, {"learning_rate": 0.05}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.8, "dampening": 0.3}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, {"learning_rate": 0.05, "weight_decay": 0.1}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.7, "dampening": 0.2, "weight_decay": 0.05}),
    (SGD, {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05}),
    (RMSprop, {"learning_rate": 0.01}),
    (RMSprop, {"learning_rate": 0.01, "alpha": 0.9, "epsilon": 1e-6}),
    (RMSprop, {"learning_rate": 0.01, "centered": True}),
    (RMSprop, {"learning_rate": 0.01, "momentum": 0.8}),
    (RMSprop, {"learning_rate": 0.01, "weight_decay": 0.1}),
    (RMSprop, {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "weight_decay": 0.05}),
    (Adagrad, {"learning_rate": 0.1}),
    (Adagrad, {"learning_rate": 0.1, "learning_rate_decay": 0.05}),
    (Adagrad, {"learning_rate": 0.1, "weight_decay": 0.1}),
    (Adagrad, {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-6}),
    (Adagrad, {"learning_rate": 0.1, "learning_rate_decay": 0.01, "weight_decay": 0.02,
               "initial_accumulator_value": 0.1}),
    (Adam, {"learning_rate": 0.01}),
    (Adam, {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.95, "epsilon": 1e-6}),
    (Adam, {"learning_rate": 0.01, "amsgrad": True}),
    (Adam, {"learning_rate": 0.01, "weight_decay": 0.1}),
    (Adam, {"learning_rate": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    (AdamW, {"learning_rate": 0.01}),
    (AdamW, {"learning_rate": 0.01, "weight_decay": 0.2, "amsgrad": True}),
    (AdamW, {"learning_rate": 0.01, "beta_1": 0.5, "beta_2": 0.9, "weight_decay": 0.0}),
]
CASE_IDS = [f"{cls.__name__}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for cls, kw in CASES]

TORCH_NAMES = {"learning_rate": "lr", "epsilon": "eps", "learning_rate_decay": "lr_decay"}


def torch_optimizer(cls, arguments, tensors):
    """The torch.optim twin of one of our optimisers (single-tensor code path, the plainest one)."""
    kwargs = {TORCH_NAMES.get(key, key): value for key, value in arguments.items() if not key.startswith("beta")}
    if cls in (Adam, AdamW):
        kwargs["betas"] = (arguments.get("beta_1", 0.9), arguments.get("beta_2", 0.999))
        if cls is AdamW:
            kwargs.setdefault("weight_decay", 0.01)  # both default to 0.01; explicit is safer
    torch_class = getattr(torch.optim, cls.__name__)
    return torch_class(tensors, foreach=False, **kwargs)


def random_problem(seed, dtype=np.float64, steps=20):
    rng = np.random.default_rng(seed)
    params = {key: rng.standard_normal(shape).astype(dtype) for key, shape in SHAPES.items()}
    grads = [{key: rng.standard_normal(shape).astype(dtype) for key, shape in SHAPES.items()} for _ in range(steps)]
    return params, grads


@pytest.mark.parametrize(("cls", "arguments"), CASES, ids=CASE_IDS)
def test_matches_torch_optim_for_20_steps(cls, arguments):
    params, grads = random_problem(seed=len(arguments))
    tensors = {key: torch.tensor(value.copy(), requires_grad=True) for key, value in params.items()}
    ours, theirs = cls(**arguments), torch_optimizer(cls, arguments, list(tensors.values()))
    for batch in grads:
        ours.step(params, batch)
        for key, tensor in tensors.items():
            tensor.grad = torch.tensor(batch[key])
        theirs.step()
        for key, tensor in tensors.items():
            np.testing.assert_allclose(params[key], tensor.detach().numpy(), rtol=0, atol=1e-10)
    # The saved slots carry torch's names and torch's values, so checkpoints mean the same thing.
    for key, tensor in tensors.items():
        torch_state = {name: value for name, value in theirs.state[tensor].items() if name != "step"}
        assert set(torch_state) == set(name for name in ours.state.get(key, {}) if not name.startswith("_"))
        for name, value in torch_state.items():
            np.testing.assert_allclose(ours.state[key][name], value.numpy(), rtol=0, atol=1e-10)
    assert ours.step_count == 20


# --- single steps worked by hand ------------------------------------------------------------
def test_sgd_single_step_by_hand():
    params = {"w": np.array([1.0, -2.0])}
    SGD(learning_rate=0.1).step(params, {"w": np.array([0.5, 0.25])})
    # p - lr * g = [1 - 0.1 * 0.5, -2 - 0.1 * 0.25] = [0.95, -2.025]
    np.testing.assert_allclose(params["w"], [0.95, -2.025], rtol=0, atol=1e-15)


def test_momentum_and_nesterov_two_steps_by_hand():
    heavy, nesterov = {"w": np.array([1.0])}, {"w": np.array([1.0])}
    heavy_ball, look_ahead = SGD(0.1, momentum=0.9), SGD(0.1, momentum=0.9, nesterov=True)
    for gradient in (1.0, 0.5):
        heavy_ball.step(heavy, {"w": np.array([gradient])})
        look_ahead.step(nesterov, {"w": np.array([gradient])})
    # heavy ball: step 1 b = g = 1, p = 1 - 0.1 * 1 = 0.9
    #             step 2 b = 0.9 * 1 + 0.5 = 1.4, p = 0.9 - 0.1 * 1.4 = 0.76
    np.testing.assert_allclose(heavy["w"], [0.76], rtol=0, atol=1e-15)
    # Nesterov:   step 1 b = 1, g + 0.9 b = 1.9, p = 1 - 0.19 = 0.81
    #             step 2 b = 1.4, g + 0.9 b = 0.5 + 1.26 = 1.76, p = 0.81 - 0.176 = 0.634
    np.testing.assert_allclose(nesterov["w"], [0.634], rtol=0, atol=1e-15)
    np.testing.assert_allclose(heavy_ball.state["w"]["momentum_buffer"], [1.4], rtol=0, atol=1e-15)


def test_adam_two_steps_by_hand():
    params, adam = {"w": np.array([1.0])}, Adam(learning_rate=0.1)
    adam.step(params, {"w": np.array([0.5])})
    # m = 0.1 * 0.5 = 0.05,  v = 0.001 * 0.25 = 0.00025
    # m / (1 - 0.9) = 0.5,   sqrt(v / (1 - 0.999)) = sqrt(0.25) = 0.5
    # p = 1 - 0.1 * 0.5 / (0.5 + 1e-8) = 1 - 0.1 * 0.99999998 = 0.900000002
    np.testing.assert_allclose(params["w"], [0.900000002], rtol=0, atol=1e-15)
    adam.step(params, {"w": np.array([-1.0])})
    # m = 0.9 * 0.05 - 0.1 = -0.055,  v = 0.999 * 0.00025 + 0.001 * 1 = 0.00124975
    # m / (1 - 0.81) = -0.28947368421,  sqrt(v / (1 - 0.998001)) = sqrt(0.62518759380) = 0.79068805088
    # p = 0.900000002 + 0.1 * 0.28947368421 / (0.79068805088 + 1e-8) = 0.900000002 + 0.03661035224
    expected = 0.900000002 + 0.1 * (0.055 / 0.19) / (np.sqrt(0.00124975 / 0.001999) + 1e-8)
    assert abs(expected - 0.93661035424) < 1e-10  # the hand value above
    np.testing.assert_allclose(params["w"], [expected], rtol=0, atol=1e-14)


# --- convergence ----------------------------------------------------------------------------
def rosenbrock_gradient(point):
    x, y = point  # f = (1 - x)² + 100 (y - x²)²
    return np.array([-2.0 * (1.0 - x) - 400.0 * x * (y - x * x), 200.0 * (y - x * x)])


@pytest.mark.parametrize(("optimizer", "steps"), [(Adam(learning_rate=0.02), 3000),
                                                  (SGD(learning_rate=1e-3, momentum=0.9), 5000)],
                         ids=["adam", "sgd-momentum"])
def test_reaches_the_rosenbrock_minimum(optimizer, steps):
    params = {"xy": np.array([-1.5, 2.0])}
    for _ in range(steps):
        optimizer.step(params, {"xy": rosenbrock_gradient(params["xy"])})
    np.testing.assert_allclose(params["xy"], [1.0, 1.0], atol=1e-3)


def test_plain_sgd_is_slower_than_momentum_on_rosenbrock():
    # Same learning rate and steps: momentum is what gets SGD through the curved valley.
    params, optimizer = {"xy": np.array([-1.5, 2.0])}, SGD(learning_rate=1e-3)
    for _ in range(5000):
        optimizer.step(params, {"xy": rosenbrock_gradient(params["xy"])})
    assert np.abs(params["xy"] - 1.0).max() > 0.05


# --- in place, dtype, gradients untouched -----------------------------------------------------
@pytest.mark.parametrize(("cls", "arguments"), CASES, ids=CASE_IDS)
def test_float32_parameters_stay_float32_and_are_updated_in_place(cls, arguments):
    params, grads = random_problem(seed=1, dtype=np.float32, steps=3)
    originals = {key: value for key, value in params.items()}
    views = {key: value.reshape(-1) for key, value in params.items()}  # what a layer might hold
    before = {key: value.copy() for key, value in params.items()}
    grads_before = [{key: value.copy() for key, value in batch.items()} for batch in grads]
    optimizer = cls(**arguments)
    optimizer.learning_rate = np.float64(optimizer.learning_rate)  # a numpy scalar must not upcast
    for batch in grads:
        optimizer.step(params, batch)
    reference, _ = random_problem(seed=1, dtype=np.float64, steps=3)
    twin = cls(**arguments)
    for batch in grads:
        twin.step(reference, {key: value.astype(np.float64) for key, value in batch.items()})
    for key, value in params.items():
        assert value is originals[key] and np.shares_memory(value, views[key])
        assert value.dtype == np.float32
        assert not np.array_equal(value, before[key])
        np.testing.assert_allclose(value, reference[key], rtol=1e-4, atol=1e-5)
        assert all(slot.dtype == np.float32 for slot in optimizer.state.get(key, {}).values())
    for batch, saved in zip(grads, grads_before):  # gradients belong to the network: never written
        for key in batch:
            np.testing.assert_array_equal(batch[key], saved[key])


# --- checkpoints ------------------------------------------------------------------------------
@pytest.mark.parametrize(("cls", "arguments"), CASES, ids=CASE_IDS)
def test_state_arrays_round_trip_continues_the_run_exactly(cls, arguments):
    params, grads = random_problem(seed=7, steps=10)
    uninterrupted = cls(**arguments)
    for batch in grads[:5]:
        uninterrupted.step(params, batch)
    saved = {name: array.copy() for name, array in uninterrupted.state_arrays().items()}
    assert all("/" in name and not name.rsplit("/", 1)[1].startswith("_") for name in saved)
    json.dumps(uninterrupted.get_config())  # the config goes into a JSON file next to the arrays
    restored = get_optimizer(uninterrupted.get_config())
    restored.load_state_arrays(saved, uninterrupted.step_count)
    resumed = {key: value.copy() for key, value in params.items()}
    for batch in grads[5:]:
        uninterrupted.step(params, batch)
        restored.step(resumed, batch)
    for key in params:
        np.testing.assert_array_equal(resumed[key], params[key])
    assert restored.step_count == 10


def test_state_arrays_names_parameter_and_slot():
    params, grads = random_problem(seed=0, steps=1)
    adam = Adam(amsgrad=True)
    adam.step(params, grads[0])
    assert set(adam.state_arrays()) == {f"{key}/{slot}" for key in SHAPES
                                        for slot in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")}


def test_loading_state_of_another_optimizer_is_refused():
    with pytest.raises(ModelFileError, match="exp_avg"):
        SGD(momentum=0.9).load_state_arrays({"w/exp_avg": np.zeros(2)}, 3)
    with pytest.raises(ParameterTypeError, match="step_count"):
        Adam().load_state_arrays({}, 1.5)


# --- registry and configs -------------------------------------------------------------------
@pytest.mark.parametrize(("name", "cls", "settings"), [
    ("sgd", SGD, {"momentum": 0.0}), ("momentum", SGD, {"momentum": 0.9, "nesterov": False}),
    ("nesterov", SGD, {"momentum": 0.9, "nesterov": True}), ("rmsprop", RMSprop, {}),
    ("adagrad", Adagrad, {}), ("adam", Adam, {"weight_decay": 0.0}), ("AdamW", AdamW, {"weight_decay": 0.01})])
def test_get_optimizer_by_name(name, cls, settings):
    optimizer = get_optimizer(name, learning_rate=0.5)
    assert type(optimizer) is cls and optimizer.learning_rate == 0.5
    assert {key: optimizer.get_config()[key] for key in settings} == settings


def test_get_optimizer_keywords_override_presets():
    optimizer = get_optimizer("nesterov", learning_rate=0.2, momentum=0.5, weight_decay=0.01)
    assert (optimizer.learning_rate, optimizer.momentum, optimizer.nesterov, optimizer.weight_decay) == \
        (0.2, 0.5, True, 0.01)
    assert get_optimizer("adam").learning_rate == 0.001 and get_optimizer("sgd").learning_rate == 0.01


def test_get_optimizer_passes_an_instance_through():
    adam = Adam(learning_rate=0.1)
    assert get_optimizer(adam) is adam and adam.learning_rate == 0.1
    assert get_optimizer(adam, learning_rate=0.01) is adam and adam.learning_rate == 0.01
    with pytest.raises(ParameterError, match="momentum"):
        get_optimizer(adam, momentum=0.9)


@pytest.mark.parametrize("cls", list(OPTIMIZERS.values()))
def test_config_round_trip(cls):
    optimizer = cls(learning_rate=0.3)
    config = json.loads(json.dumps(optimizer.get_config()))
    assert config["type"] == cls.type_name
    assert get_optimizer(config).get_config() == config == cls.from_config(config).get_config()
    other = next(name for name in OPTIMIZERS if name != cls.type_name)
    with pytest.raises(ParameterError, match="type"):
        cls.from_config({**config, "type": other})


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(ParameterError) as error:
        get_optimizer("adamx")
    text = str(error.value)
    assert "'adamx'" in text and "'optimizer'" in text
    for name in ("sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "adamw"):
        assert f"'{name}'" in text
    with pytest.raises(ParameterTypeError, match="optimizer"):
        get_optimizer(3)
    with pytest.raises(ParameterError, match="betas"):
        get_optimizer("adam", betas=(0.9, 0.99))


# --- argument checks ------------------------------------------------------------------------
@pytest.mark.parametrize(("build", "error", "fragments"), [
    (lambda: SGD(learning_rate=0), ParameterError, ["'learning_rate'", "SGD", "0.0", "> 0"]),
    (lambda: Adam(learning_rate=float("nan")), ParameterError, ["'learning_rate'", "nan"]),
    (lambda: Adam(learning_rate="fast"), ParameterTypeError, ["'learning_rate'", "'fast'"]),
    (lambda: SGD(momentum=1.0), ParameterError, ["'momentum'", "[0, 1)", "1.0"]),
    (lambda: SGD(momentum=-0.1), ParameterError, ["'momentum'", "-0.1"]),
    (lambda: SGD(dampening=1.5), ParameterError, ["'dampening'", "1.5"]),
    (lambda: SGD(nesterov=True), ParameterError, ["'nesterov'", "momentum is 0.0"]),
    (lambda: SGD(momentum=0.9, dampening=0.1, nesterov=True), ParameterError, ["'nesterov'", "dampening is 0.1"]),
    (lambda: SGD(nesterov="yes"), ParameterTypeError, ["'nesterov'", "'yes'"]),
    (lambda: SGD(weight_decay=-1), ParameterError, ["'weight_decay'", "-1"]),
    (lambda: Adam(beta_1=1.0), ParameterError, ["'beta_1'", "Adam", "[0, 1)"]),
    (lambda: AdamW(beta_2=-0.5), ParameterError, ["'beta_2'", "AdamW", "-0.5"]),
    (lambda: Adam(epsilon=0), ParameterError, ["'epsilon'", "0.0"]),
    (lambda: Adam(amsgrad=1), ParameterTypeError, ["'amsgrad'", "True or False", "1"]),
    (lambda: AdamW(weight_decay=-0.01), ParameterError, ["'weight_decay'", "AdamW", "-0.01"]),
    (lambda: RMSprop(alpha=1.5), ParameterError, ["'alpha'", "RMSprop", "1.5"]),
    (lambda: RMSprop(centered="no"), ParameterTypeError, ["'centered'", "'no'"]),
    (lambda: RMSprop(momentum=2), ParameterError, ["'momentum'", "RMSprop"]),
    (lambda: Adagrad(learning_rate_decay=-1), ParameterError, ["'learning_rate_decay'", "-1"]),
    (lambda: Adagrad(initial_accumulator_value=-0.1), ParameterError, ["'initial_accumulator_value'", "-0.1"]),
    (lambda: Adagrad(epsilon=-1e-10), ParameterError, ["'epsilon'", "Adagrad"]),
])
def test_bad_arguments_are_named(build, error, fragments):
    with pytest.raises(error) as raised:
        build()
    for fragment in fragments:
        assert fragment in str(raised.value), (fragment, str(raised.value))


def test_every_optimizer_is_an_optimizer_with_torch_slot_names():
    for cls in OPTIMIZERS.values():
        assert issubclass(cls, Optimizer) and cls.slot_names
        assert all(not name.startswith("_") for name in cls.slot_names)
