"""Tests of nnblocks.network.Network, the engine core (not the Sequential front end).

Building and parameter names; the whole-network gradient check and agreement with a torch
model built by hand from the same weights, for every registered loss; the JSON config round
trip and what from_config refuses; set_weights' checks and in-place copies; the summary.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from conftest import (FORWARD_TOLERANCE, GRADIENT_CHECK_TOLERANCE, GRADIENT_TOLERANCE, LOSS_REFERENCES,
                      max_difference, to_torch)
from nnblocks.analysis.gradient_check import check_network
from nnblocks.blocks.layers import Activation, BatchNorm, Dense, Dropout, Flatten
from nnblocks.blocks.registry import ACTIVATIONS, LAYERS, LOSSES
from nnblocks.errors import ModelFileError, NotFittedError, ParameterError
from nnblocks.network import Network

FEATURES, HIDDEN, BATCH = 4, 6, 7   # an odd batch: a MAE bias gradient (mean of ±1 signs) is never exactly 0


def loss_params() -> list:
    """(name, case) for every registered loss; one failing param for a loss without a reference."""
    params = []
    for name in sorted(LOSSES):
        cases = LOSS_REFERENCES.get(name)
        if cases is None:
            params.append(pytest.param(name, None, id=f"{name}-NO-REFERENCE"))
        else:
            params += [pytest.param(name, case, id=case.id) for case in cases]
    return params


def randomise(network: Network, rng: np.random.Generator) -> None:
    """Random values in place of the initialiser's zero biases and unit gammas (which hide sign slips)."""
    for value in network.parameters.values():
        value[...] = rng.normal(0.0, 0.8, value.shape)


def mixed_network(loss, outputs: int, seed: int = 0) -> Network:
    """Dense(tanh, l2) -> BatchNorm -> Dropout -> Dense, float64, built and randomised."""
    network = Network([Dense(HIDDEN, activation="tanh", l2=0.01), BatchNorm(momentum=0.2), Dropout(0.3),
                       Dense(outputs)], loss=loss, dtype="float64", seed=seed).build((FEATURES,))
    randomise(network, np.random.default_rng(seed + 100))
    return network


def batch_for(network: Network, case, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = 1.5 * rng.standard_normal((BATCH, FEATURES))
    return x, case.targets(rng, network.forward(x, training=False))


# --- building -------------------------------------------------------------------------------------
def test_build_names_parameters_by_layer_and_shares_the_arrays():
    network = Network([Dense(4), Dense(3, activation="relu"), BatchNorm(), Dropout(0.2), Dense(2)]).build((5,))
    assert [layer.name for layer in network.layers] == ["dense", "dense_1", "batch_norm", "dropout", "dense_2"]
    assert {name: value.shape for name, value in network.parameters.items()} == {
        "dense.weight": (5, 4), "dense.bias": (4,),
        "dense_1.weight": (4, 3), "dense_1.bias": (3,),
        "batch_norm.gamma": (3,), "batch_norm.beta": (3,),
        "dense_2.weight": (3, 2), "dense_2.bias": (2,),
    }
    assert list(network.parameters) == list(network.gradients)
    assert list(network.buffers) == ["batch_norm.running_mean", "batch_norm.running_var"]
    # views, not copies: an optimiser updating network.parameters updates the layers
    assert network.parameters["dense_1.bias"] is network["dense_1"].params["bias"]
    assert network.gradients["dense_2.weight"] is network["dense_2"].grads["weight"]
    assert network[1] is network["dense_1"] and network.output_shape == (2,)
    assert all(value.dtype == np.float32 for value in network.parameters.values())
    assert network.parameter_count() == sum(value.size for value in network.parameters.values())


def test_given_names_are_kept_and_the_others_numbered_around_them():
    network = Network([Dense(3, name="hidden"), Dense(3), Dense(2, name="dense")])
    assert [layer.name for layer in network.layers] == ["hidden", "dense_1", "dense"]
    with pytest.raises(ParameterError, match="unique names"):
        Network([Dense(3, name="same"), Dense(2, name="same")])


def test_the_same_seed_gives_the_same_weights():
    def weights(seed):
        return Network([Dense(5), Dropout(0.5), Dense(2)], seed=seed).build((3,)).get_weights()

    first = weights(4)
    assert all(np.array_equal(first[name], value) for name, value in weights(4).items())
    assert not np.array_equal(first["dense.weight"], weights(5)["dense.weight"])


def test_an_unbuilt_network_says_how_to_build_it():
    network = Network([Dense(2)])
    for action in (network.get_weights, network.summary):
        with pytest.raises(NotFittedError, match="build"):
            action()


# --- gradients ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, case", loss_params())
@pytest.mark.parametrize("seed", [0, 1])
def test_check_network_passes_for_every_loss(name, case, seed, record_error):
    assert case is not None, f"loss {name!r} has no entry in LOSS_REFERENCES (tests/conftest.py)"
    network = mixed_network(case.config, outputs=case.shapes[0][1], seed=seed)
    x, targets = batch_for(network, case, seed)
    report = check_network(network, x, targets)
    assert {row.name for row in report.rows} == set(network.parameters)
    record_error("gradient check (network)", report.max_relative_error)
    assert report.max_relative_error <= GRADIENT_CHECK_TOLERANCE, str(report)


@pytest.mark.parametrize("name, case", loss_params())
@pytest.mark.parametrize("seed", [0, 1])
def test_network_gradients_equal_a_torch_model_with_the_same_weights(name, case, seed, record_error):
    assert case is not None, f"loss {name!r} has no entry in LOSS_REFERENCES (tests/conftest.py)"
    outputs = case.shapes[0][1]
    network = mixed_network(case.config, outputs, seed=seed)
    x, targets = batch_for(network, case, seed)
    dense, norm, dropout, head = network.layers
    weights = network.get_weights()

    # The torch twin, by hand. Linear stores (out, in): our (in, out) weights go in transposed.
    first = torch.nn.Linear(FEATURES, HIDDEN, dtype=torch.float64)
    batch_norm = torch.nn.BatchNorm1d(HIDDEN, momentum=norm.momentum, eps=norm.epsilon, dtype=torch.float64)
    last = torch.nn.Linear(HIDDEN, outputs, dtype=torch.float64)
    with torch.no_grad():
        for target, source in [(first.weight, weights["dense.weight"].T), (first.bias, weights["dense.bias"]),
                               (batch_norm.weight, weights["batch_norm.gamma"]),
                               (batch_norm.bias, weights["batch_norm.beta"]),
                               (batch_norm.running_mean, weights["batch_norm.running_mean"]),
                               (batch_norm.running_var, weights["batch_norm.running_var"]),
                               (last.weight, weights["dense_1.weight"].T), (last.bias, weights["dense_1.bias"])]:
            target.copy_(to_torch(source))

    loss, scores = network.compute_loss(x, targets, training=True)
    grad_x = network.backward(network.loss.backward(), need_input_gradient=True)

    x_torch = to_torch(x, requires_grad=True)
    hidden = batch_norm(torch.tanh(first(x_torch))) * to_torch(dropout.scaled_mask)   # our dropout mask
    scores_torch = last(hidden)
    loss_torch = case.torch(network.loss, scores_torch, to_torch(targets)) + dense.l2 * (first.weight ** 2).sum()
    loss_torch.backward()

    assert max_difference(scores, scores_torch) <= FORWARD_TOLERANCE
    assert abs(loss - loss_torch.item()) <= FORWARD_TOLERANCE
    torch_gradients = {"dense.weight": first.weight.grad.T, "dense.bias": first.bias.grad,
                       "batch_norm.gamma": batch_norm.weight.grad, "batch_norm.beta": batch_norm.bias.grad,
                       "dense_1.weight": last.weight.grad.T, "dense_1.bias": last.bias.grad, "input": x_torch.grad}
    ours = {**network.gradients, "input": grad_x}
    assert set(ours) == set(torch_gradients)
    for key, gradient in ours.items():
        difference = max_difference(gradient, torch_gradients[key])
        record_error("torch gradient (network)", difference)
        assert difference <= GRADIENT_TOLERANCE, f"{key}: {difference:.2e}"
    assert max_difference(network.buffers["batch_norm.running_mean"], batch_norm.running_mean) <= FORWARD_TOLERANCE
    assert max_difference(network.buffers["batch_norm.running_var"], batch_norm.running_var) <= FORWARD_TOLERANCE


# --- config --------------------------------------------------------------------------------------
@pytest.fixture
def trained_network() -> Network:
    """A network whose weights and running statistics are no longer the initial ones."""
    network = Network([Dense(5, activation={"type": "leaky_relu", "negative_slope": 0.2}, l1=0.01,
                             weight_initializer="he_normal", bias_initializer={"type": "constant", "value": 0.1}),
                       BatchNorm(momentum=0.2, epsilon=1e-4), Dropout(0.25), Activation("softplus"),
                       Dense(3, activation={"type": "gelu", "approximate": "tanh"}, use_bias=False, name="out")],
                      loss={"type": "huber", "delta": 2.0}, dtype="float64", seed=7, name="round_trip").build((4,))
    rng = np.random.default_rng(0)
    randomise(network, rng)
    for _ in range(3):
        network.forward(rng.standard_normal((10, 4)) + 1.0, training=True)
    return network


def test_config_survives_json_and_rebuilds_an_equivalent_network(trained_network):
    config = trained_network.get_config()
    rebuilt = Network.from_config(json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config
    assert repr(rebuilt) == repr(trained_network)
    assert [type(layer) for layer in rebuilt.layers] == [type(layer) for layer in trained_network.layers]

    x = np.random.default_rng(1).standard_normal((6, 4))
    assert not np.allclose(rebuilt.forward(x), trained_network.forward(x))   # weights not yet copied
    rebuilt.set_weights(trained_network.get_weights())
    np.testing.assert_array_equal(rebuilt.forward(x), trained_network.forward(x))


def test_config_names_only_registered_types(trained_network):
    config = trained_network.get_config()
    assert {entry["type"] for entry in config["layers"]} <= set(LAYERS)
    assert config["loss"]["type"] in LOSSES
    activations = [entry["config"]["activation"]["type"] for entry in config["layers"]
                   if "activation" in entry["config"]]
    assert activations and set(activations) <= set(ACTIVATIONS)


def test_from_config_refuses_an_unknown_layer_type_and_lists_the_allowed_ones(trained_network):
    config = json.loads(json.dumps(trained_network.get_config()))
    config["layers"][1]["type"] = "os.system"
    with pytest.raises(ModelFileError) as error:
        Network.from_config(config)
    text = str(error.value)
    assert "'os.system'" in text and all(name in text for name in LAYERS)


@pytest.mark.parametrize("where, owner", [("layer", "dense"), ("activation", "leakyrelu"), ("loss", "huber")])
def test_from_config_refuses_a_bogus_argument(trained_network, where, owner):
    config = json.loads(json.dumps(trained_network.get_config()))
    target = {"layer": config["layers"][0]["config"], "activation": config["layers"][0]["config"]["activation"],
              "loss": config["loss"]}[where]
    target["bogus"] = 1
    with pytest.raises(ModelFileError) as error:
        Network.from_config(config)
    text = str(error.value)
    assert owner in text.lower().replace("_", "")
    if where == "layer":
        assert "'bogus'" in text


@pytest.mark.parametrize("where, names", [("activation", ACTIVATIONS), ("loss", LOSSES)])
def test_from_config_refuses_unknown_activation_and_loss_names(trained_network, where, names):
    config = json.loads(json.dumps(trained_network.get_config()))
    if where == "activation":
        config["layers"][0]["config"]["activation"] = {"type": "__import__"}
    else:
        config["loss"] = {"type": "__import__"}
    with pytest.raises(ModelFileError) as error:
        Network.from_config(config)
    text = str(error.value)
    assert "__import__" in text and all(name in text for name in names)


@pytest.mark.parametrize("damage, fragment", [
    (lambda config: config.pop("layers"), "layers"),
    (lambda config: config.update(config_version=99), "Upgrade"),
    (lambda config: config.update(dtype="float16"), "dtype"),
    (lambda config: config["layers"][0]["config"].update(units=0), "units"),
])
def test_from_config_turns_damage_into_model_file_errors(trained_network, damage, fragment):
    config = json.loads(json.dumps(trained_network.get_config()))
    damage(config)
    with pytest.raises(ModelFileError, match=fragment):
        Network.from_config(config)


# --- set_weights -----------------------------------------------------------------------------------
def arrays_of(network: Network) -> dict[str, np.ndarray]:
    return {**network.parameters, **network.buffers}


def test_set_weights_copies_into_the_same_arrays(trained_network):
    before = {name: id(value) for name, value in arrays_of(trained_network).items()}
    new = {name: np.full_like(value, 0.5) for name, value in trained_network.get_weights().items()}
    trained_network.set_weights(new)
    assert {name: id(value) for name, value in arrays_of(trained_network).items()} == before
    assert all(np.all(value == 0.5) for value in arrays_of(trained_network).values())
    assert trained_network["out"].params["weight"] is trained_network.parameters["out.weight"]
    new["out.weight"][...] = 9.0                       # the network holds copies, not the caller's arrays
    assert np.all(trained_network.parameters["out.weight"] == 0.5)
    trained_network.get_weights()["out.weight"][...] = 9.0
    assert np.all(trained_network.parameters["out.weight"] == 0.5)


def _missing(weights):
    weights.pop("dense.bias")


def _extra(weights):
    weights["dense.kernel"] = np.zeros((4, 5))


def _wrong_shape(weights):
    weights["out.weight"] = np.zeros((9, 9))           # the last parameter: earlier ones must stay untouched too


def _wrong_buffer_shape(weights):
    weights["batch_norm.running_var"] = np.ones(4)


@pytest.mark.parametrize("damage, fragments", [
    (_missing, ["missing", "'dense.bias'"]),
    (_extra, ["unexpected", "'dense.kernel'"]),
    (_wrong_shape, ["'out.weight'", "(5, 3)", "(9, 9)"]),
    (_wrong_buffer_shape, ["'batch_norm.running_var'", "(5,)", "(4,)"]),
])
def test_set_weights_refuses_a_mismatch_and_changes_nothing(trained_network, damage, fragments):
    before = {name: (id(value), value.copy()) for name, value in arrays_of(trained_network).items()}
    weights = {name: value + 1.0 for name, value in trained_network.get_weights().items()}
    damage(weights)
    with pytest.raises(ParameterError) as error:
        trained_network.set_weights(weights)
    text = str(error.value)
    assert all(fragment in text for fragment in fragments), text
    after = arrays_of(trained_network)
    for name, (identity, values) in before.items():
        assert id(after[name]) == identity
        np.testing.assert_array_equal(after[name], values, err_msg=f"{name} changed by a refused set_weights")


# --- summary ---------------------------------------------------------------------------------------
def test_summary_of_a_784_256_128_10_mlp():
    network = Network([Dense(256, activation="relu"), Dense(128, activation="relu"), Dense(10)],
                      loss="softmax_cross_entropy", name="mnist_mlp").build((784,))
    summary = network.summary()
    parameters = 784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    assert summary.total_parameters == parameters == sum(v.size for v in network.parameters.values())
    assert summary.total_multiply_adds == 784 * 256 + 256 * 128 + 128 * 10
    assert [row.name for row in summary.rows] == ["dense", "dense_1", "dense_2"]
    assert [row.output_shape for row in summary.rows] == [(256,), (128,), (10,)]

    text, page = str(summary), summary._repr_html_()
    for name in ("dense", "dense_1", "dense_2"):
        assert f"<td>{name}</td>" in page
        assert any(line.split()[:1] == [name] for line in text.splitlines()), name
    for rendered in (text, page):
        assert "mnist_mlp" in rendered and f"{parameters:,}" in rendered and "softmax_cross_entropy" in rendered
        assert f"{784 * 256 + 256 * 128 + 128 * 10:,}" in rendered


def test_summary_counts_batch_norm_and_dropout():
    network = Network([Flatten(), Dense(8), BatchNorm(), Dropout(0.3)]).build((2, 3))
    rows = {row.name: row for row in network.summary().rows}
    assert rows["flatten"].output_shape == (6,) and rows["flatten"].parameters == 0
    assert rows["batch_norm"].parameters == 16 and rows["batch_norm"].multiply_adds == 8
    assert rows["dropout"].detail == "rate 0.3" and rows["dropout"].parameters == 0
