"""Conv2D, MaxPool2D, AvgPool2D, GlobalAvgPool2D and their im2col helpers.

tests/test_blocks.py already runs every registered layer through the gradient check, torch
agreement and dtype tests on a few cases each; this file adds a wider grid of shapes, strides
and paddings against torch, the corner cases (ties in max pooling, windows that overlap or
skip pixels, "same" with even kernels), the kernel layout, configs, and the error messages.
Tolerances as in conftest.py: forward ≤ 1e-10, gradients ≤ 1e-8 (float64, max abs difference).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import FORWARD_TOLERANCE, GRADIENT_CHECK_TOLERANCE, GRADIENT_TOLERANCE, max_difference, to_torch

from nnblocks import AvgPool2D, Conv2D, Dense, Flatten, GlobalAvgPool2D, MaxPool2D, Network
from nnblocks.analysis.gradient_check import check_layer
from nnblocks.blocks.layers.im2col import col2im, windows
from nnblocks.errors import DataError, ParameterError, ParameterTypeError

FLOAT64 = np.dtype(np.float64)


def built(layer, input_shape, seed=0, dtype=FLOAT64):
    rng = np.random.default_rng(seed)
    layer.build(input_shape, rng, np.dtype(dtype))
    for value in layer.params.values():
        value[...] = rng.normal(0.0, 0.5, value.shape)     # a random bias too, not the initial zeros
    return layer


def run_both(layer, x, torch_function, seed=0):
    """Our forward/backward and torch's on the same x and upstream gradient; returns the differences."""
    rng = np.random.default_rng(seed + 100)
    y = layer.forward(x, training=True)
    upstream = rng.standard_normal(y.shape)
    grad_x = layer.backward(upstream)
    x_torch = to_torch(x, requires_grad=True)
    params = {key: to_torch(value, requires_grad=True) for key, value in layer.params.items()}
    y_torch = torch_function(x_torch, params)
    (y_torch * to_torch(upstream)).sum().backward()
    differences = {"forward": max_difference(y, y_torch), "input": max_difference(grad_x, x_torch.grad)}
    differences.update({key: max_difference(layer.grads[key], params[key].grad) for key in params})
    return differences


def assert_close_to_torch(differences, record_error, kind):
    record_error(f"torch forward ({kind})", differences["forward"])
    assert differences["forward"] <= FORWARD_TOLERANCE, differences
    for key, value in differences.items():
        if key != "forward":
            record_error(f"torch gradient ({kind})", value)
            assert value <= GRADIENT_TOLERANCE, f"dL/d{key}: {differences}"


# =================================================================================================
# Conv2D against torch: shapes × kernels × strides × paddings
# =================================================================================================
CONV_CASES = [
    # (filters, kernel, stride, padding, input (C, H, W), batch)
    (1, 1, 1, 0, (1, 1, 1), 1),                    # the smallest convolution there is
    (3, 3, 1, 0, (1, 8, 8), 2),
    (4, 3, 1, 1, (3, 7, 9), 3),
    (2, 5, 2, 2, (2, 11, 10), 2),
    (5, 3, 3, 0, (2, 10, 8), 2),                   # stride = kernel: windows tile the image
    (3, 2, 3, 0, (2, 9, 8), 2),                    # stride > kernel: some pixels are never read
    (2, (3, 5), (2, 1), (1, 2), (3, 7, 6), 2),     # pairs everywhere
    (3, (1, 4), (1, 3), (0, 1), (2, 4, 13), 2),
    (6, 5, 1, 0, (1, 5, 5), 4),                    # kernel = image: one output pixel (LeNet's C5)
    (2, 11, 4, 2, (3, 35, 35), 1),                 # AlexNet's conv1 in miniature
]


@pytest.mark.parametrize("filters, kernel, stride, padding, shape, batch", CONV_CASES)
@pytest.mark.parametrize("activation", ["linear", "tanh"])
def test_conv2d_matches_torch(filters, kernel, stride, padding, shape, batch, activation, record_error):
    layer = built(Conv2D(filters, kernel, stride=stride, padding=padding, activation=activation), shape)
    x = np.random.default_rng(1).standard_normal((batch, *shape))

    def torch_conv(x_torch, params):
        z = F.conv2d(x_torch, params["weight"].permute(3, 2, 0, 1), params["bias"], stride=stride, padding=padding)
        return torch.tanh(z) if activation == "tanh" else z

    assert_close_to_torch(run_both(layer, x, torch_conv), record_error, "conv grid")


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")   # torch's note on its own copy
@pytest.mark.parametrize("kernel", [1, 2, 3, 4, 5, (2, 5), (4, 3)])
def test_same_padding_keeps_the_size_and_pads_like_torch(kernel, record_error):
    """'same' at stride 1: torch puts the odd row/column of an even kernel at the bottom/right; so do we."""
    layer = built(Conv2D(3, kernel, padding="same"), (2, 6, 7))
    assert layer.output_shape == (3, 6, 7)
    module = torch.nn.Conv2d(2, 3, kernel, padding="same", dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(to_torch(layer.params["weight"]).permute(3, 2, 0, 1))
        module.bias.copy_(to_torch(layer.params["bias"]))
    x = np.random.default_rng(2).standard_normal((2, 2, 6, 7))
    differences = run_both(layer, x, lambda x_torch, params: F.conv2d(
        x_torch, params["weight"].permute(3, 2, 0, 1), params["bias"], padding="same"))
    assert_close_to_torch(differences, record_error, "conv grid")
    assert max_difference(layer.forward(x), module(to_torch(x))) <= FORWARD_TOLERANCE


@pytest.mark.parametrize("filters, kernel, stride, padding, shape", [
    (2, 3, 2, 1, (2, 6, 7)), (3, 2, 3, 0, (1, 8, 7)), (2, (2, 3), (1, 2), "same", (2, 5, 5))])
def test_conv2d_gradient_check_beyond_the_table(filters, kernel, stride, padding, shape, record_error):
    if padding == "same":
        stride = 1
    layer = built(Conv2D(filters, kernel, stride=stride, padding=padding, activation="tanh", l1=0.01, l2=0.03),
                  shape)
    x = np.random.default_rng(3).standard_normal((3, *shape))
    report = check_layer(layer, x)
    record_error("gradient check (conv)", report.max_relative_error)
    assert report.max_relative_error <= GRADIENT_CHECK_TOLERANCE, str(report)


def test_kernel_is_kh_kw_in_out_and_torch_conv2d_is_its_permutation():
    """Our kernel is (kh, kw, C_in, C_out); torch.nn.Conv2d stores (C_out, C_in, kh, kw) = permute(3, 2, 0, 1)."""
    layer = built(Conv2D(4, (3, 2)), (3, 5, 6))
    assert layer.params["weight"].shape == (3, 2, 3, 4) and layer.params["bias"].shape == (4,)
    module = torch.nn.Conv2d(3, 4, (3, 2), dtype=torch.float64)
    assert tuple(module.weight.shape) == (4, 3, 3, 2)
    with torch.no_grad():
        module.weight.copy_(to_torch(layer.params["weight"]).permute(3, 2, 0, 1))
        module.bias.copy_(to_torch(layer.params["bias"]))
    x = np.random.default_rng(4).standard_normal((2, 3, 5, 6))
    upstream = np.random.default_rng(5).standard_normal((2, 4, 3, 5))
    y = layer.forward(x)
    layer.backward(upstream)
    y_torch = module(to_torch(x))
    (y_torch * to_torch(upstream)).sum().backward()
    assert max_difference(y, y_torch) <= FORWARD_TOLERANCE
    assert max_difference(layer.grads["weight"], module.weight.grad.permute(2, 3, 1, 0)) <= GRADIENT_TOLERANCE
    # A (kh, kw) slip — reading the kernel as (kw, kh, ...) — would not match: the test sees layout errors.
    swapped = layer.params["weight"].reshape(2, 3, 3, 4)
    assert not np.allclose(swapped, module.weight.detach().numpy().transpose(3, 2, 1, 0))


def test_first_layer_skips_the_input_gradient_but_fills_its_own():
    layer = built(Conv2D(2, 3, stride=2, padding=1), (1, 6, 6))
    x = np.random.default_rng(6).standard_normal((2, 1, 6, 6))
    upstream = np.ones_like(layer.forward(x))
    assert layer.backward(upstream, need_input_gradient=False) is None
    weight_gradient = layer.grads["weight"].copy()
    layer.backward(upstream, need_input_gradient=True)
    np.testing.assert_array_equal(weight_gradient, layer.grads["weight"])


def test_conv2d_multiply_adds_and_parameters():
    layer = built(Conv2D(16, 5, stride=1), (6, 14, 14))                  # LeNet-5's C3
    assert layer.output_shape == (16, 10, 10)
    assert layer.multiply_adds() == 10 * 10 * 5 * 5 * 6 * 16 == 240_000
    assert layer.parameter_count() == 5 * 5 * 6 * 16 + 16 == 2_416
    strided = built(Conv2D(96, 11, stride=4, padding=2), (3, 224, 224))  # AlexNet's conv1: 55 × 55
    assert strided.output_shape == (96, 55, 55)
    assert strided.multiply_adds() == 55 * 55 * 11 * 11 * 3 * 96
    assert Conv2D(3, 3, use_bias=False).build((2, 4, 4), np.random.default_rng(0), FLOAT64) == (3, 2, 2)


def test_conv2d_initialiser_uses_the_receptive_field():
    """glorot_uniform on (kh, kw, C_in, C_out): limit sqrt(6 / (kh·kw·(C_in + C_out)))."""
    layer = Conv2D(32, 5, weight_initializer="glorot_uniform")
    layer.build((16, 20, 20), np.random.default_rng(0), FLOAT64)
    limit = np.sqrt(6 / (25 * 16 + 25 * 32))
    weight = layer.params["weight"]
    assert np.max(np.abs(weight)) <= limit and np.max(np.abs(weight)) > 0.99 * limit
    np.testing.assert_array_equal(layer.params["bias"], 0.0)


def test_conv2d_keeps_float32():
    layer = Conv2D(4, 3, stride=2, padding="valid", activation="relu", l2=0.01)
    layer.build((3, 9, 9), np.random.default_rng(0), np.dtype(np.float32))
    x = np.random.default_rng(1).standard_normal((2, 3, 9, 9)).astype(np.float32)
    y = layer.forward(x, training=True)
    grad_x = layer.backward(np.ones_like(y))
    assert y.dtype == grad_x.dtype == layer.grads["weight"].dtype == layer.grads["bias"].dtype == np.float32
    assert y.shape == (2, 4, 4, 4) and grad_x.shape == x.shape


# =================================================================================================
# Pooling against torch
# =================================================================================================
POOL_CASES = [
    # (pool, stride, padding, input (C, H, W))
    (2, None, 0, (2, 6, 6)),
    (2, None, 0, (1, 7, 5)),                      # odd sizes: the last row/column is dropped (floor)
    (3, 2, 0, (2, 13, 13)),                       # AlexNet's overlapping 3/2 pooling
    (3, 2, 1, (2, 8, 9)),
    (3, 1, 1, (1, 5, 5)),                         # every pixel in up to 9 windows
    (2, 3, 0, (2, 8, 8)),                         # stride > pool: pixels skipped
    ((2, 3), (1, 2), (1, 1), (2, 6, 7)),
    (4, None, 2, (1, 5, 6)),
]


@pytest.mark.parametrize("pool, stride, padding, shape", POOL_CASES)
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_matches_torch(pool, stride, padding, shape, kind, record_error):
    layer_type, torch_pool = {"max": (MaxPool2D, F.max_pool2d), "avg": (AvgPool2D, F.avg_pool2d)}[kind]
    layer = built(layer_type(pool, stride=stride, padding=padding), shape)
    x = np.random.default_rng(7).standard_normal((3, *shape))
    if kind == "max":
        x -= 10.0   # all negative: a padded −∞ must never win, and a padded 0 would
    differences = run_both(layer, x, lambda x_torch, params: torch_pool(
        x_torch, pool, stride if stride is not None else pool, padding))
    assert_close_to_torch(differences, record_error, "pooling grid")
    report = check_layer(layer, x)
    record_error("gradient check (pooling)", report.max_relative_error)
    assert report.max_relative_error <= GRADIENT_CHECK_TOLERANCE, str(report)


@pytest.mark.parametrize("stride", [1, 2])
def test_max_pool_ties_go_to_the_first_maximum_like_torch(stride):
    """Equal values in a window: the whole gradient goes to the first in row-major order, as in torch."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 2:, 2:] = [[1.0, 1.0], [1.0, 0.5]]
    layer = built(MaxPool2D(2, stride=stride), (1, 4, 4))
    y = layer.forward(x)
    grad = layer.backward(np.arange(1.0, y.size + 1).reshape(y.shape))
    x_torch = to_torch(x, requires_grad=True)
    y_torch = F.max_pool2d(x_torch, 2, stride)
    (y_torch * torch.arange(1.0, y.size + 1, dtype=torch.float64).reshape(y.shape)).sum().backward()
    np.testing.assert_array_equal(y, y_torch.detach().numpy())
    np.testing.assert_array_equal(grad, x_torch.grad.numpy())
    if stride == 2:   # an all-zero window gives everything to its top-left pixel
        assert grad[0, 0, 0, 0] == 1.0 and grad[0, 0, 2, 2] == 4.0 and np.count_nonzero(grad) == 4


def test_avg_pool_counts_the_padding_like_torch_default():
    x = np.ones((1, 1, 4, 4))
    layer = built(AvgPool2D(3, stride=1, padding=1), (1, 4, 4))
    y = layer.forward(x)
    assert y[0, 0, 0, 0] == pytest.approx(4 / 9)    # a corner window holds 4 pixels and 5 zeros
    assert y[0, 0, 1, 1] == pytest.approx(1.0)
    np.testing.assert_allclose(y, F.avg_pool2d(to_torch(x), 3, 1, 1, count_include_pad=True).numpy())


@pytest.mark.parametrize("shape", [(3, 4, 5), (1, 1, 1), (5, 7, 2)])
def test_global_avg_pool_matches_adaptive_avg_pool(shape, record_error):
    layer = built(GlobalAvgPool2D(), shape)
    assert layer.output_shape == (shape[0],)
    x = np.random.default_rng(8).standard_normal((4, *shape))
    differences = run_both(layer, x, lambda x_torch, params: F.adaptive_avg_pool2d(x_torch, 1).flatten(1))
    assert_close_to_torch(differences, record_error, "pooling grid")


def test_pooling_has_no_parameters_or_multiply_adds_and_keeps_float32():
    for layer in (MaxPool2D(2), AvgPool2D(3, stride=2, padding=1), GlobalAvgPool2D()):
        layer.build((2, 6, 6), np.random.default_rng(0), np.dtype(np.float32))
        x = np.random.default_rng(1).standard_normal((3, 2, 6, 6)).astype(np.float32)
        y = layer.forward(x)
        grad_x = layer.backward(np.ones_like(y))
        assert layer.parameter_count() == 0 and layer.multiply_adds() == 0
        assert y.dtype == grad_x.dtype == np.float32 and grad_x.shape == x.shape


# =================================================================================================
# The im2col helpers
# =================================================================================================
@pytest.mark.parametrize("kernel, stride", [((3, 3), (1, 1)), ((2, 3), (2, 1)), ((2, 2), (3, 3))])
def test_col2im_is_the_adjoint_of_windows(kernel, stride):
    """<windows(x), G> = <x, col2im(G)> for every x and G: col2im is exactly windows' backward."""
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 3, 7, 8))
    view = windows(x, kernel, stride)
    grad_windows = rng.standard_normal(view.shape)
    assert np.sum(view * grad_windows) == pytest.approx(np.sum(x * col2im(grad_windows, x.shape, stride)), rel=1e-12)
    assert view.base is not None and np.shares_memory(view, x)   # a view: im2col copies no pixel itself


# =================================================================================================
# Configs and networks
# =================================================================================================
@pytest.mark.parametrize("layer", [
    Conv2D(8, (3, 5), stride=(2, 1), padding=(1, 2), activation="relu", l1=0.01, l2=0.02, use_bias=False,
           weight_initializer="he_normal"),
    Conv2D(4, 3, padding="same"),
    MaxPool2D(3, stride=2, padding=1), AvgPool2D((2, 3)), GlobalAvgPool2D(),
], ids=["conv-pairs", "conv-same", "max", "avg", "global"])
def test_config_survives_json_and_rebuilds_the_same_layer(layer):
    config = json.loads(json.dumps(layer.get_config()))
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == layer.get_config()
    assert repr(rebuilt) == repr(layer)


def test_a_conv_network_round_trips_through_its_config(record_error):
    network = Network([Conv2D(4, 3, padding=1, activation="relu"), MaxPool2D(2), Conv2D(6, 3, activation="tanh"),
                       AvgPool2D(2, stride=1), GlobalAvgPool2D(), Dense(3)], loss="softmax_cross_entropy",
                      dtype="float64", seed=3).build((2, 8, 8))
    copy = Network.from_config(json.loads(json.dumps(network.get_config())))
    copy.set_weights(network.get_weights())
    x = np.random.default_rng(10).standard_normal((5, 2, 8, 8))
    np.testing.assert_array_equal(network.forward(x), copy.forward(x))
    assert [layer.output_shape for layer in network.layers] == [(4, 8, 8), (4, 4, 4), (6, 2, 2), (6, 1, 1), (6,),
                                                                 (3,)]


def test_flatten_after_conv_is_in_torch_order():
    """NCHW: Flatten after a convolution gives torch.flatten(x, 1)'s order, so Dense weights transfer as they are."""
    network = Network([Conv2D(3, 2), Flatten()], dtype="float64").build((2, 4, 5))
    x = np.random.default_rng(11).standard_normal((2, 2, 4, 5))
    y = network.forward(x)
    conv = network.layers[0]
    y_torch = torch.flatten(F.conv2d(to_torch(x), to_torch(conv.params["weight"]).permute(3, 2, 0, 1),
                                     to_torch(conv.params["bias"])), 1)
    assert max_difference(y, y_torch) <= FORWARD_TOLERANCE


# =================================================================================================
# Error messages
# =================================================================================================
def test_kernel_larger_than_the_image_is_refused_with_the_sizes():
    with pytest.raises(ParameterError) as error:
        Conv2D(4, 5).build((1, 3, 3), np.random.default_rng(0), FLOAT64)
    text = str(error.value)
    assert "'kernel_size'" in text and "Conv2D" in text and "(5, 5)" in text and "(3, 3)" in text
    assert "padding" in text   # the fix
    Conv2D(4, 5, padding=1).build((1, 3, 3), np.random.default_rng(0), FLOAT64)   # padded to 5 × 5: fine
    with pytest.raises(ParameterError, match="'pool_size'"):
        MaxPool2D(4).build((2, 3, 8), np.random.default_rng(0), FLOAT64)


@pytest.mark.parametrize("filters, error_type", [(0, ParameterError), (-2, ParameterError), (2.5, ParameterTypeError),
                                                 ("8", ParameterTypeError)])
def test_filters_must_be_a_positive_integer(filters, error_type):
    with pytest.raises(error_type) as error:
        Conv2D(filters, 3)
    assert "'filters'" in str(error.value) and "Conv2D" in str(error.value) and repr(filters) in str(error.value)


@pytest.mark.parametrize("make", [lambda: Conv2D(3), MaxPool2D, AvgPool2D, GlobalAvgPool2D],
                         ids=["conv", "max", "avg", "global"])
@pytest.mark.parametrize("input_shape", [(28, 28), (10,), (1, 1, 28, 28)])
def test_wrong_input_rank_says_channels_height_width_and_how_to_reshape(make, input_shape):
    with pytest.raises(ParameterError) as error:
        make().build(input_shape, np.random.default_rng(0), FLOAT64)
    text = str(error.value)
    assert "(channels, height, width)" in text and "(N, 1, H, W)" in text and repr(input_shape) in text


def test_a_batch_of_grey_images_without_a_channel_axis_is_explained():
    layer = built(Conv2D(2, 3), (1, 8, 8))
    with pytest.raises(DataError) as error:
        layer.forward(np.zeros((5, 8, 8)))
    assert "(5, 8, 8)" in str(error.value) and "(N, 1, H, W)" in str(error.value)
    with pytest.raises(DataError, match="channel"):
        layer.forward(np.zeros((5, 8, 8, 1)))   # channels last


@pytest.mark.parametrize("make, parameter", [
    (lambda: Conv2D(3, 0), "kernel_size"),
    (lambda: Conv2D(3, (3, 3, 3)), "kernel_size"),
    (lambda: Conv2D(3, 3, stride=0), "stride"),
    (lambda: Conv2D(3, 3, padding=-1), "padding"),
    (lambda: Conv2D(3, 3, padding="full"), "padding"),
    (lambda: Conv2D(3, 3, stride=2, padding="same"), "padding"),
    (lambda: Conv2D(3, 3, activation="relu6"), "activation"),
    (lambda: Conv2D(3, 3, l2=-1), "l2"),
    (lambda: MaxPool2D(2, padding=2), "padding"),    # more than half the pool: a window of padding only
    (lambda: AvgPool2D((2, 2.5)), "pool_size"),
    (lambda: MaxPool2D(2, stride=0), "stride"),
])
def test_bad_options_name_the_parameter(make, parameter):
    with pytest.raises((ParameterError, ParameterTypeError), match=f"'{parameter}'"):
        make()


def test_same_padding_with_a_stride_suggests_a_number():
    with pytest.raises(ParameterError) as error:
        Conv2D(8, 3, stride=2, padding="same")
    assert "stride" in str(error.value) and "padding=1" in str(error.value)
