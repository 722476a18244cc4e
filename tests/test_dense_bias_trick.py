"""Tests of Dense's "bias trick": z = [x | 1] @ [W; b] and [dL/dW; dL/db] = [x | 1]ᵀ @ dL/dz.

The trick is an optimisation only: the numbers must be the textbook ones (x @ W + b, xᵀ g, Σₙ g),
W and b must stay the rows of one array wherever the layer lives (alone, in a Network's flat
buffer, after a copy), and its kept [x | 1] must follow any batch size and dtype.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from nnblocks.blocks.layers import Dense
from nnblocks.network import Network


def built_dense(units=4, features=3, dtype=np.float64, **options) -> Dense:
    layer = Dense(units, activation="tanh", bias_initializer="glorot_uniform", **options)
    layer.build((features,), np.random.default_rng(3), np.dtype(dtype))
    return layer


def textbook(layer: Dense, x: np.ndarray, grad_a: np.ndarray):
    """z, dL/dW, dL/db, dL/dx written out plainly, in float64."""
    weight = layer.params["weight"].astype(np.float64)
    bias = layer.params["bias"].astype(np.float64) if layer.use_bias else 0.0
    z = x.astype(np.float64) @ weight + bias
    grad_z = grad_a * (1 - np.tanh(z) ** 2)
    return z, x.T @ grad_z, grad_z.sum(axis=0), grad_z @ weight.T


def are_rows_of_one_array(weight: np.ndarray, bias: np.ndarray) -> bool:
    return bias.ctypes.data == weight.ctypes.data + weight.nbytes


@pytest.mark.parametrize("batch_sizes", [(10,), (10, 7, 10, 1)])
def test_forward_and_backward_equal_the_textbook_products_for_any_batch_size(batch_sizes):
    layer = built_dense()
    rng = np.random.default_rng(0)
    for size in batch_sizes:
        x, grad_a = rng.standard_normal((size, 3)), rng.standard_normal((size, 4))
        a = layer.forward(x, training=True)
        grad_x = layer.backward(grad_a)
        z, grad_weight, grad_bias, expected_grad_x = textbook(layer, x, grad_a)
        assert np.allclose(layer.z, z, rtol=0, atol=1e-14) and np.allclose(a, np.tanh(z), rtol=0, atol=1e-14)
        assert np.allclose(layer.grads["weight"], grad_weight, rtol=0, atol=1e-13)
        assert np.allclose(layer.grads["bias"], grad_bias, rtol=0, atol=1e-13)
        assert np.allclose(grad_x, expected_grad_x, rtol=0, atol=1e-13)
        assert layer.inputs is x   # the inspector still sees the plain inputs


def test_weight_and_bias_are_the_rows_of_one_array_alone_and_in_a_network():
    layer = built_dense()
    assert are_rows_of_one_array(layer.params["weight"], layer.params["bias"])
    assert are_rows_of_one_array(layer.grads["weight"], layer.grads["bias"])
    network = Network([Dense(5, activation="tanh"), Dense(1)], loss="mse", dtype="float64", seed=1).build((3,))
    x = np.random.default_rng(1).standard_normal((6, 3))
    before = network.forward(x).copy()
    for layer in network.layers:
        assert are_rows_of_one_array(layer.params["weight"], layer.params["bias"])
        assert np.shares_memory(layer.params["weight"], network.flat_parameters)
    # The forward pass reads the flat buffer itself: a change there is a change of the output.
    first = network.layers[0]
    start, stop, _ = network.parameter_layout[f"{first.name}.bias"]
    network.flat_parameters[start:stop] += 1.0
    expected = np.tanh(x @ first.params["weight"] + first.params["bias"]) @ network.layers[1].params["weight"] \
        + network.layers[1].params["bias"]
    assert not np.allclose(network.forward(x), before) and np.allclose(network.forward(x), expected, atol=1e-14)
    # ... and the gradients land in the flat gradient buffer, where the optimiser reads them.
    network.compute_loss(x, np.zeros((6, 1)), training=True)
    network.backward(network.loss.backward())
    for layer in network.layers:
        for key in ("weight", "bias"):
            start, stop, shape = network.parameter_layout[f"{layer.name}.{key}"]
            assert np.array_equal(network.flat_gradients[start:stop].reshape(shape), layer.grads[key])
    assert np.any(network.flat_gradients != 0)


def test_a_copied_layer_computes_as_the_original_and_shares_nothing_with_it():
    layer = built_dense(dtype=np.float32)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    layer.forward(x, training=True)                      # fills the kept [x | 1] and the stacks
    twin = copy.deepcopy(layer)
    for key in ("weight", "bias"):
        assert not np.shares_memory(twin.params[key], layer.params[key])
    other = rng.standard_normal((8, 3)).astype(np.float32)   # the same batch size: the kept [x | 1] is reused
    grad_a = rng.standard_normal((8, 4)).astype(np.float32)
    for each in (layer, twin):
        each.forward(other, training=True)
        each.backward(grad_a)
    assert np.array_equal(twin.a, layer.a)
    for key in ("weight", "bias"):
        assert np.array_equal(twin.grads[key], layer.grads[key])
    assert are_rows_of_one_array(twin.params["weight"], twin.params["bias"])   # put back into one array
    twin.params["weight"][0, 0] += 1.0                   # the copy's own weights, not the original's
    assert twin.params["weight"][0, 0] != layer.params["weight"][0, 0]


def test_without_a_bias_and_with_inputs_of_another_dtype():
    layer = built_dense(use_bias=False)
    x = np.random.default_rng(4).standard_normal((6, 3))
    assert np.allclose(layer.forward(x), np.tanh(x @ layer.params["weight"]), rtol=0, atol=1e-14)
    assert "bias" not in layer.params
    mixed = built_dense()                                 # float64 layer, float32 inputs: a float64 result, as before
    x32 = x.astype(np.float32)
    z, grad_weight, grad_bias, _ = textbook(mixed, x32, np.ones((6, 4)))
    assert mixed.forward(x32).dtype == np.float64 and np.allclose(mixed.z, z, atol=1e-12)
    mixed.backward(np.ones((6, 4)))
    assert np.allclose(mixed.grads["weight"], grad_weight, atol=1e-12)
    assert np.allclose(mixed.grads["bias"], grad_bias, atol=1e-12)


def test_predicting_uses_a_new_inputs_array_each_time_and_training_keeps_one():
    layer = built_dense()
    rng = np.random.default_rng(5)
    first, second = rng.standard_normal((6, 3)), rng.standard_normal((6, 3))
    layer.forward(first)
    kept = layer.inputs_and_ones
    layer.forward(second)
    assert not np.shares_memory(kept, layer.inputs_and_ones)   # threads predicting at once share nothing
    assert np.array_equal(kept[:, :-1], first) and np.all(kept[:, -1] == 1)
    layer.forward(first, training=True)
    kept = layer.inputs_and_ones
    layer.forward(second, training=True)
    assert layer.inputs_and_ones is kept and np.array_equal(kept[:, :-1], second)


def test_inputs_of_the_wrong_shape_are_refused_not_broadcast():
    from nnblocks.errors import ParameterError

    layer = built_dense()
    layer.forward(np.ones((5, 3)), training=True)
    with pytest.raises(ValueError):
        layer.forward(np.ones((5, 1)), training=True)   # one column would otherwise fill all three
    with pytest.raises(ParameterError, match="one row per example"):
        layer.forward(np.ones(3), training=True)


def test_weight_and_bias_views_of_some_other_layout_are_an_error_not_a_silent_copy():
    layer = built_dense()
    buffer = np.zeros(3 * 4 + 1 + 4)                      # a gap between the weight and the bias
    layer.params["weight"] = buffer[:12].reshape(3, 4)
    layer.params["bias"] = buffer[13:]
    with pytest.raises(ValueError, match="not one after the other"):
        layer.forward(np.ones((2, 3)))


def test_the_activations_one_minus_forms_are_the_textbook_ones_bit_for_bit():
    from nnblocks.blocks.activations import Sigmoid, Tanh

    rng = np.random.default_rng(6)
    for dtype in (np.float32, np.float64):
        a = np.tanh(rng.standard_normal((10, 8)) * 4).astype(dtype)
        p = (1 / (1 + np.exp(-rng.standard_normal((10, 8)) * 4))).astype(dtype)
        grad = rng.standard_normal((10, 8)).astype(dtype)
        assert np.array_equal(Tanh().backward(None, a, grad), grad * (1 - a * a))
        assert np.array_equal(Sigmoid().backward(None, p, grad), grad * p * (1 - p))
        assert Tanh().backward(None, a, grad).dtype == dtype
