"""Tests of the flat parameter buffer (``share_one_buffer``) and ``Optimizer.step_contiguous``.

The flat path is an optimisation only: for every elementwise optimiser it must give the same
numbers, bit for bit, as the per-parameter ``step``, including the saved optimiser state, after a
checkpoint reload, when the two paths alternate, and when the state cannot be laid out flat.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnblocks.blocks.layers import Dense
from nnblocks.network import Network
from nnblocks.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

FEATURES, EXAMPLES, BATCH = 3, 32, 8

CONFIGURATIONS = {
    "sgd": (SGD, {"learning_rate": 0.1}),
    "sgd-momentum-dampening": (SGD, {"learning_rate": 0.1, "momentum": 0.9, "dampening": 0.1}),
    "sgd-nesterov-decay": (SGD, {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    "rmsprop-centred-momentum": (RMSprop, {"learning_rate": 0.01, "centered": True, "momentum": 0.5}),
    "adagrad-decay": (Adagrad, {"learning_rate": 0.1, "learning_rate_decay": 0.05, "weight_decay": 0.01}),
    "adam": (Adam, {"learning_rate": 0.01}),
    "adam-amsgrad-decay": (Adam, {"learning_rate": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    "adamw": (AdamW, {"learning_rate": 0.01}),
}
NAMES = list(CONFIGURATIONS)


def make_layers() -> list:
    return [Dense(5, activation="tanh"), Dense(4, activation="relu"), Dense(1)]


def make_network(configuration: str | None = None, dtype: str = "float64") -> Network:
    loss = "binary_cross_entropy" if dtype == "float64" else "mse"
    network = Network(make_layers(), loss=loss, dtype=dtype, seed=7).build((FEATURES,))
    if configuration is not None:
        cls, arguments = CONFIGURATIONS[configuration]
        network.optimizer = cls(**arguments)
    return network


def per_key_twin(configuration: str | None = None, dtype: str = "float64") -> Network:
    """The same network, but ``train_step`` calls ``optimizer.step`` (no layout, no flat path)."""
    network = make_network(configuration, dtype)
    network.parameter_layout = None
    return network


def batches(dtype: str = "float64", steps: int = 20):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((EXAMPLES, FEATURES)).astype(dtype)
    y = (x.sum(axis=1, keepdims=True) > 0).astype(dtype)
    return [(x[rows], y[rows]) for rows in (rng.choice(EXAMPLES, BATCH, replace=False) for _ in range(steps))]


def assert_identical(first: Network, second: Network) -> None:
    """Same parameters and same saved optimiser state, bit for bit."""
    for name, value in first.parameters.items():
        assert value.dtype == second.parameters[name].dtype
        assert np.array_equal(value, second.parameters[name]), name
    first_state, second_state = first.optimizer.state_arrays(), second.optimizer.state_arrays()
    assert first_state.keys() == second_state.keys()
    for name, array in first_state.items():
        assert array.dtype == second_state[name].dtype and np.array_equal(array, second_state[name]), name


def forbid_per_key_step(network: Network) -> None:
    """Make a silent fallback to the per-key path fail the test instead."""
    def refuse(params, grads):
        raise AssertionError("the flat path fell back to optimizer.step")
    network.optimizer.step = refuse


# --- the buffer ------------------------------------------------------------------------------------
def test_build_moves_parameters_and_gradients_into_views_of_the_flat_arrays():
    network = make_network()
    # The initialisers' own output from the same seed, with no network (and so no flattening) involved.
    rng, shape, reference = np.random.default_rng(network.seed), (FEATURES,), make_layers()
    for layer in reference:
        shape = layer.build(shape, rng, np.dtype("float64"))
    assert network.flat_parameters.size == network.parameter_count() == network.flat_gradients.size
    for layer, expected in zip(network.layers, reference):
        for key, value in layer.params.items():
            start, stop, shape = network.parameter_layout[f"{layer.name}.{key}"]
            assert value.shape == shape and np.array_equal(value, expected.params[key])
            assert np.shares_memory(value, network.flat_parameters)
            assert np.shares_memory(layer.grads[key], network.flat_gradients)
            assert np.array_equal(network.flat_parameters[start:stop], value.ravel())


def test_set_weights_writes_through_the_views_and_get_weights_copies():
    network = make_network()
    weights = {name: value + 1.0 for name, value in network.get_weights().items()}
    network.set_weights(weights)
    for layer in network.layers:
        for key, value in layer.params.items():
            assert np.shares_memory(value, network.flat_parameters)   # still attached after set_weights
    expected = np.concatenate([weights[name].ravel() for name in network.parameter_layout])
    assert np.array_equal(network.flat_parameters, expected)
    returned = network.get_weights()
    assert all(np.array_equal(returned[name], weights[name]) for name in weights)
    assert not any(np.shares_memory(value, network.flat_parameters) for value in returned.values())


# --- flat path == per-key path ---------------------------------------------------------------------
@pytest.mark.parametrize(("configuration", "dtype"), [(name, "float64") for name in NAMES]
                         + [("adam-amsgrad-decay", "float32"), ("sgd-momentum-dampening", "float32")])
def test_flat_steps_match_per_key_steps_bit_for_bit(configuration, dtype):
    flat, per_key = make_network(configuration, dtype), per_key_twin(configuration, dtype)
    forbid_per_key_step(flat)
    initial = flat.get_weights()
    for x, y in batches(dtype):
        flat.train_step(x, y)
        per_key.train_step(x, y)
    assert_identical(flat, per_key)
    assert not np.array_equal(flat.parameters["dense.weight"], initial["dense.weight"])   # it did train
    assert flat.optimizer.step_count == per_key.optimizer.step_count == 20


@pytest.mark.parametrize("configuration", NAMES)
def test_reloaded_state_continues_the_flat_run_exactly(configuration):
    original, data = make_network(configuration), batches()
    for x, y in data[:10]:
        original.train_step(x, y)
    # Copies, as a checkpoint file holds: the live arrays are views of the flat slots and go on changing.
    saved = {name: array.copy() for name, array in original.optimizer.state_arrays().items()}
    step_count = original.optimizer.step_count
    restored = make_network(configuration)
    restored.set_weights(original.get_weights())
    restored.optimizer.load_state_arrays(saved, step_count)
    for x, y in data[10:]:
        original.train_step(x, y)
        restored.train_step(x, y)
    assert_identical(original, restored)


@pytest.mark.parametrize("configuration", NAMES)
def test_alternating_per_key_and_flat_steps_match_per_key_steps(configuration):
    mixed, per_key = make_network(configuration), per_key_twin(configuration)
    layout = mixed.parameter_layout
    for step, (x, y) in enumerate(batches()):
        # per-key for steps 0-4 and 10-12 (SGD momentum makes its buffer there), flat otherwise:
        # each switch to flat must gather the state the per-key steps left behind.
        mixed.parameter_layout = None if step < 5 or 10 <= step < 13 else layout
        mixed.train_step(x, y)
        per_key.train_step(x, y)
    assert_identical(mixed, per_key)


# --- the other paths -----------------------------------------------------------------------------------
class PlainDescent(Optimizer):
    """A minimal non-elementwise optimiser: it must be driven one parameter at a time."""

    def _update(self, param, grad, slots):
        param -= self._learning_rate * grad


def test_non_elementwise_optimiser_trains_through_per_key_step():
    network = make_network()
    network.optimizer = PlainDescent(learning_rate=0.5)
    network.optimizer.step_contiguous = None   # calling it would raise TypeError
    x, y = batches()[0]
    before = network.get_weights()
    network.train_step(x, y)
    for name, value in network.parameters.items():
        expected = before[name] - 0.5 * network.gradients[name]
        assert np.array_equal(value, expected) and not np.array_equal(value, before[name]), name
    assert set(network.optimizer.state) == set(network.parameters)   # step made per-key slots


@pytest.mark.parametrize("configuration", ["sgd-momentum-dampening", "adam-amsgrad-decay"])
def test_state_for_only_some_parameters_falls_back_to_per_key_step(configuration):
    flat, per_key = make_network(configuration), per_key_twin(configuration)
    # Slots for the first weight only: the other five parameters have none, so no flat layout fits.
    slot_names = type(flat.optimizer).slot_names   # SGD: momentum_buffer; Adam: exp_avg, exp_avg_sq, max_...
    partial = {f"dense.weight/{slot}": np.full((FEATURES, 5), 0.3) for slot in slot_names}
    for network in (flat, per_key):
        network.optimizer.load_state_arrays(partial, step_count=4)
    for step, (x, y) in enumerate(batches()[:6]):
        flat.train_step(x, y)
        per_key.train_step(x, y)
        if step == 0:   # the fallback filled in the state of the parameters the checkpoint lacked
            assert set(flat.optimizer.state) == set(flat.parameters)
    assert_identical(flat, per_key)


@pytest.mark.parametrize("configuration", ["adam", "sgd-momentum-dampening"])
def test_a_deep_copy_trains_on_its_own_and_keeps_the_optimiser_state(configuration):
    import copy

    original, twin = make_network(configuration), make_network(configuration)
    steps = batches()
    for x, y in steps[:5]:
        original.train_step(x, y)
        twin.train_step(x, y)
    before = original.flat_parameters.copy()
    copied = copy.deepcopy(original)
    assert not np.shares_memory(copied.flat_parameters, original.flat_parameters)
    for layer in copied.layers:   # the copy's layers view the copy's own buffers
        for key in layer.params:
            assert np.shares_memory(layer.params[key], copied.flat_parameters)
            assert np.shares_memory(layer.grads[key], copied.flat_gradients)
    forbid_per_key_step(copied)
    for x, y in steps[5:]:
        copied.train_step(x, y)
        twin.train_step(x, y)
    assert_identical(copied, twin)   # the copy went on exactly as the never-copied twin
    assert np.array_equal(original.flat_parameters, before)   # and left the original alone


def test_a_copied_optimiser_saves_the_state_it_trains_with():
    import copy

    network = make_network("adam")
    steps = batches()
    for x, y in steps[:3]:
        network.train_step(x, y)
    network.optimizer = copy.deepcopy(network.optimizer)   # e.g. a copy kept as a checkpoint, then put back
    saved = {name: array.copy() for name, array in network.optimizer.state_arrays().items()}
    for x, y in steps[3:6]:
        network.train_step(x, y)
    moved = network.optimizer.state_arrays()
    assert all(not np.array_equal(moved[name], saved[name]) for name in saved if name.endswith("exp_avg"))


def test_a_subclass_that_changes_step_is_called():
    class ClippedAdam(Adam):   # inherits elementwise, but its own step must run
        calls = 0

        def step(self, params, grads):
            type(self).calls += 1
            for gradient in grads.values():
                np.clip(gradient, -0.1, 0.1, out=gradient)
            super().step(params, grads)

    network = make_network()
    network.optimizer = ClippedAdam(learning_rate=0.01)
    for x, y in batches(steps=4):
        network.train_step(x, y)
    assert ClippedAdam.calls == 4 and not network.optimizer.supports_contiguous()
    assert all(type(optimizer).__dict__.get("elementwise") for optimizer in
               (SGD(), RMSprop(), Adagrad(), Adam(), AdamW()))   # the library's own still take the flat path


def test_a_float32_network_takes_float64_batches():
    network = make_network("sgd", dtype="float32")
    x, y = batches("float64")[0]
    loss, _ = network.train_step(x, y)   # cast to the network's dtype, as Sequential.fit does
    assert np.isfinite(loss) and network.flat_parameters.dtype == np.float32
