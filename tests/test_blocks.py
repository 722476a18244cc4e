"""Every registered block, checked three ways: central differences, PyTorch autograd, shapes and dtypes.

The tests are parametrised over the registries ``ACTIVATIONS``, ``LAYERS`` and ``LOSSES``,
so a newly registered block is tested as soon as it is registered — and fails until it has
an entry in the reference tables below (``ACTIVATION_REFERENCES``, ``LAYER_REFERENCES``) or in
``LOSS_REFERENCES`` (conftest.py): the torch formula it must equal and the cases to try.

Tolerances (float64): gradient check relative error ≤ 1e-6; torch forward ≤ 1e-10 and
gradients ≤ 1e-8, both max absolute difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import nnblocks  # noqa: F401  (importing the package registers every block type)
from conftest import (FORWARD_TOLERANCE, GRADIENT_CHECK_TOLERANCE, GRADIENT_TOLERANCE, LOSS_REFERENCES,
                      away_from, max_difference, strict_numerics, to_torch)
from nnblocks.analysis.gradient_check import check_layer, check_loss
from nnblocks.blocks.activations import get_activation
from nnblocks.blocks.base import Layer
from nnblocks.blocks.layers import (Activation, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten,
                                     GlobalAvgPool2D, MaxPool2D)
from nnblocks.blocks.losses import get_loss
from nnblocks.blocks.registry import ACTIVATIONS, LAYERS, LOSSES
from nnblocks.blocks.weights import ALIASES as INITIALIZER_ALIASES
from nnblocks.blocks.weights import INITIALIZERS, fans, get_initializer
from nnblocks.errors import ModelFileError, ParameterError, ParameterTypeError

SEEDS = (0, 1, 2)


# =================================================================================================
# Reference tables: one entry per registered name
# =================================================================================================
@dataclass(frozen=True)
class ActivationReference:
    """torch(activation) returns the torch function equal to ``activation``; options are configs to try."""

    torch: Callable[[object], Callable[[torch.Tensor], torch.Tensor]]
    options: tuple[dict, ...] = ({},)


ACTIVATION_REFERENCES: dict[str, ActivationReference] = {
    "linear": ActivationReference(lambda activation: lambda z: z),
    "relu": ActivationReference(lambda activation: F.relu),
    "leaky_relu": ActivationReference(
        lambda activation: partial(F.leaky_relu, negative_slope=activation.negative_slope),
        ({}, {"negative_slope": 0.2}, {"negative_slope": 1.5})),
    "elu": ActivationReference(lambda activation: partial(F.elu, alpha=activation.alpha),
                               ({}, {"alpha": 0.5}, {"alpha": 2.0})),
    "gelu": ActivationReference(lambda activation: partial(F.gelu, approximate=activation.approximate),
                                ({}, {"approximate": "tanh"})),
    "sigmoid": ActivationReference(lambda activation: torch.sigmoid),
    "tanh": ActivationReference(lambda activation: torch.tanh),
    "softplus": ActivationReference(lambda activation: F.softplus),   # beta 1, threshold 20
    "silu": ActivationReference(lambda activation: F.silu),
    "softmax": ActivationReference(lambda activation: partial(F.softmax, dim=-1)),
}


def torch_activation(activation) -> Callable[[torch.Tensor], torch.Tensor]:
    return ACTIVATION_REFERENCES[activation.type_name].torch(activation)


@dataclass(frozen=True)
class LayerCase:
    """A layer to build, the shape of one example fed to it, and the mode to run it in."""

    id: str
    make: Callable[[], Layer]
    input_shape: tuple[int, ...]
    training: bool = True
    warmup: int = 0   # training batches run first, so running statistics are not their defaults


# torch(layer, x, params, buffers, training) -> output; params are leaf tensors named as in layer.params,
# buffers are copies of layer.buffers taken *before* our forward (torch updates them in place).
def torch_dense(layer, x, params, buffers, training):
    return torch_activation(layer.activation)(F.linear(x, params["weight"].T, params.get("bias")))


def torch_dense_penalty(layer, params):
    weight = params["weight"]
    return layer.l1 * weight.abs().sum() + layer.l2 * (weight * weight).sum()


def torch_batch_norm(layer, x, params, buffers, training):
    return F.batch_norm(x, buffers["running_mean"], buffers["running_var"], params["gamma"], params["beta"],
                        training=training, momentum=layer.momentum, eps=layer.epsilon)


def torch_dropout(layer, x, params, buffers, training):
    # The same mask as ours: torch's own dropout draws from another random stream.
    return x if layer.scaled_mask is None else x * to_torch(layer.scaled_mask)


def torch_conv2d(layer, x, params, buffers, training):
    # Our kernel is (kh, kw, C_in, C_out); torch's is (C_out, C_in, kh, kw). F.pad takes (left, right, top, bottom).
    (top, bottom), (left, right) = layer.pads
    z = F.conv2d(F.pad(x, (left, right, top, bottom)), params["weight"].permute(3, 2, 0, 1), params.get("bias"),
                 stride=layer.stride)
    return torch_activation(layer.activation)(z)


def torch_max_pool2d(layer, x, params, buffers, training):
    return F.max_pool2d(x, layer.pool_size, layer.stride, layer.padding)


def torch_avg_pool2d(layer, x, params, buffers, training):
    return F.avg_pool2d(x, layer.pool_size, layer.stride, layer.padding, count_include_pad=True)


@dataclass(frozen=True)
class LayerReference:
    torch: Callable
    cases: list[LayerCase]
    penalty: Callable = field(default=lambda layer, params: torch.zeros((), dtype=torch.float64))


def _activation_options() -> list[tuple[str, dict]]:
    return [(name, options) for name, reference in ACTIVATION_REFERENCES.items() for options in reference.options]


def _describe(name: str, options: dict) -> str:
    return "-".join([name, *(f"{key}={value}" for key, value in options.items())])


LAYER_REFERENCES: dict[str, LayerReference] = {
    "dense": LayerReference(torch_dense, [
        LayerCase("tanh", lambda: Dense(4, activation="tanh"), (3,)),
        LayerCase("relu-l1-l2", lambda: Dense(5, activation="relu", l1=0.01, l2=0.02), (4,)),
        LayerCase("sigmoid-l1", lambda: Dense(3, activation="sigmoid", l1=0.05), (2,)),
        LayerCase("linear-no-bias-l2", lambda: Dense(3, use_bias=False, l2=0.1), (6,)),
        LayerCase("gelu-tanh", lambda: Dense(4, activation={"type": "gelu", "approximate": "tanh"}), (3,)),
        LayerCase("softmax", lambda: Dense(4, activation="softmax"), (3,)),
    ], penalty=torch_dense_penalty),
    "batch_norm": LayerReference(torch_batch_norm, [
        LayerCase("training", lambda: BatchNorm(), (4,)),
        LayerCase("training-momentum0.3-eps1e-3", lambda: BatchNorm(momentum=0.3, epsilon=1e-3), (3,)),
        LayerCase("inference", lambda: BatchNorm(), (4,), training=False, warmup=3),
    ]),
    "dropout": LayerReference(torch_dropout, [
        LayerCase("training-rate0.5", lambda: Dropout(0.5), (6,)),
        LayerCase("training-rate0.2-2d", lambda: Dropout(0.2), (2, 3)),
        LayerCase("training-rate0", lambda: Dropout(0.0), (4,)),
        LayerCase("inference", lambda: Dropout(0.5), (6,), training=False),
    ]),
    "flatten": LayerReference(lambda layer, x, params, buffers, training: torch.flatten(x, 1), [
        LayerCase("3d", lambda: Flatten(), (2, 3, 4)),
        LayerCase("1d", lambda: Flatten(), (5,)),
        LayerCase("2d-ones", lambda: Flatten(), (3, 1)),
    ]),
    "conv2d": LayerReference(torch_conv2d, [
        LayerCase("3x3-tanh", lambda: Conv2D(3, 3, activation="tanh"), (2, 5, 4)),
        LayerCase("stride2-pad1-relu-l1-l2", lambda: Conv2D(4, 3, stride=2, padding=1, activation="relu", l1=0.01,
                                                            l2=0.02), (2, 5, 5)),
        LayerCase("pairs-sigmoid", lambda: Conv2D(2, (3, 2), stride=(2, 1), padding=(1, 2), activation="sigmoid"),
                  (2, 5, 4)),
        LayerCase("same-even-kernel-no-bias-l2", lambda: Conv2D(3, 4, padding="same", use_bias=False, l2=0.1),
                  (2, 4, 5)),
        LayerCase("1x1", lambda: Conv2D(4, 1), (3, 3, 3)),
        LayerCase("kernel-equals-image", lambda: Conv2D(3, 3, activation="tanh"), (2, 3, 3)),
    ], penalty=torch_dense_penalty),
    "max_pool2d": LayerReference(torch_max_pool2d, [
        LayerCase("2x2", lambda: MaxPool2D(2), (2, 4, 4)),
        LayerCase("3-stride2-pad1", lambda: MaxPool2D(3, stride=2, padding=1), (1, 5, 5)),
        LayerCase("pairs-overlapping", lambda: MaxPool2D((2, 3), stride=(1, 2), padding=(1, 0)), (1, 4, 5)),
    ]),
    "avg_pool2d": LayerReference(torch_avg_pool2d, [
        LayerCase("2x2", lambda: AvgPool2D(2), (2, 4, 4)),
        LayerCase("3-stride2-pad1", lambda: AvgPool2D(3, stride=2, padding=1), (1, 5, 5)),
        LayerCase("pairs-overlapping", lambda: AvgPool2D((2, 3), stride=(1, 2), padding=(1, 0)), (1, 4, 5)),
    ]),
    "global_avg_pool2d": LayerReference(
        lambda layer, x, params, buffers, training: F.adaptive_avg_pool2d(x, 1).flatten(1), [
            LayerCase("2x3x4", lambda: GlobalAvgPool2D(), (2, 3, 4)),
            LayerCase("1x2x2", lambda: GlobalAvgPool2D(), (1, 2, 2)),
        ]),
    "activation": LayerReference(lambda layer, x, params, buffers, training: torch_activation(layer.activation)(x), [
        LayerCase(_describe(name, options), partial(Activation, {"type": name, **options}), (4,))
        for name, options in _activation_options()
    ]),
}


# =================================================================================================
# Parametrisation over the registries
# =================================================================================================
MISSING = object()


def registered_cases(registry: dict, table: dict, cases_of: Callable) -> list:
    """pytest params (name, case) for every registered name; a name absent from ``table`` gets one
    MISSING case, so each parametrised test fails for it until a reference is written."""
    params = []
    for name in sorted(registry):
        if name not in table:
            params.append(pytest.param(name, MISSING, id=f"{name}-NO-REFERENCE"))
            continue
        params += [pytest.param(name, case, id=f"{name}-{case_id}") for case_id, case in cases_of(table[name], name)]
    return params


def require_reference(name: str, case) -> None:
    if case is MISSING:
        pytest.fail(f"{name!r} is registered but has no reference in tests/test_blocks.py or tests/conftest.py; "
                    "add its torch formula and cases to the table.")


ACTIVATION_PARAMS = registered_cases(
    ACTIVATIONS, ACTIVATION_REFERENCES,
    lambda reference, name: [(_describe(name, options)[len(name) + 1:] or "default", options)
                             for options in reference.options])
LAYER_PARAMS = registered_cases(LAYERS, LAYER_REFERENCES,
                                lambda reference, name: [(case.id, case) for case in reference.cases])
LOSS_PARAMS = registered_cases(LOSSES, LOSS_REFERENCES, lambda cases, name: [(case.id, case) for case in cases])


@pytest.mark.parametrize("kind, registry, table", [
    ("activation", ACTIVATIONS, ACTIVATION_REFERENCES),
    ("layer", LAYERS, LAYER_REFERENCES),
    ("loss", LOSSES, LOSS_REFERENCES),
])
def test_every_registered_block_has_a_reference(kind, registry, table):
    missing = sorted(set(registry) - set(table))
    stale = sorted(set(table) - set(registry))
    assert not missing, f"registered {kind}s without a torch reference / test cases: {missing}"
    assert not stale, f"reference entries for {kind}s that are not registered (renamed?): {stale}"


def test_the_activation_layer_covers_every_activation_option():
    covered = {case.id for case in LAYER_REFERENCES["activation"].cases}
    assert covered == {_describe(name, options) for name, options in _activation_options()}
    assert {name for name, _ in _activation_options()} >= set(ACTIVATIONS)


# =================================================================================================
# Helpers
# =================================================================================================
def build_layer(case: LayerCase, rng: np.random.Generator, dtype=np.float64, batch: int = 5) -> Layer:
    """Build, then replace every parameter with random values (not the initialiser's ones and zeros,
    which would hide a wrong sign in the bias or gamma terms); run the warm-up batches."""
    layer = case.make()
    layer.build(case.input_shape, rng, np.dtype(dtype))
    for value in layer.params.values():
        value[...] = rng.normal(0.0, 0.8, value.shape)
    for _ in range(case.warmup):
        layer.forward((3 + 2 * rng.standard_normal((batch, *case.input_shape))).astype(dtype), training=True)
    return layer


def layer_input(case: LayerCase, rng: np.random.Generator, batch: int, dtype=np.float64) -> np.ndarray:
    return away_from(1.5 * rng.standard_normal((batch, *case.input_shape)), 0.0).astype(dtype)


def activation_input(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return away_from(2.5 * rng.standard_normal(shape), 0.0)


# Huge logits, plus values either side of softplus' threshold (20), where it switches to f(z) = z.
EXTREME_LOGITS = np.array([[-1e4, -1e3, -50.0, -15.0, -1.0, 0.5, 1.0, 15.0, 19.5, 20.5, 50.0, 1e3, 1e4]])


# =================================================================================================
# Activations
# =================================================================================================
@pytest.mark.parametrize("name, options", ACTIVATION_PARAMS)
@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 6)])
@pytest.mark.parametrize("seed", SEEDS)
def test_activation_matches_torch(name, options, shape, seed, record_error):
    require_reference(name, options)
    rng = np.random.default_rng(seed)
    activation = get_activation({"type": name, **options})
    z, upstream = activation_input(rng, shape), rng.standard_normal(shape)
    a = activation.forward(z)
    grad_z = activation.backward(z, a, upstream)

    z_torch = to_torch(z, requires_grad=True)
    a_torch = torch_activation(activation)(z_torch)
    (a_torch * to_torch(upstream)).sum().backward()

    forward, gradient = max_difference(a, a_torch), max_difference(grad_z, z_torch.grad)
    record_error("torch forward (activations)", forward)
    record_error("torch gradient (activations)", gradient)
    assert forward <= FORWARD_TOLERANCE
    assert gradient <= GRADIENT_TOLERANCE


@pytest.mark.parametrize("name, options", ACTIVATION_PARAMS)
def test_activation_is_finite_and_equals_torch_at_extreme_inputs(name, options):
    require_reference(name, options)
    activation = get_activation({"type": name, **options})
    z = EXTREME_LOGITS.copy()
    upstream = np.ones_like(z)
    with strict_numerics():
        a = activation.forward(z)
        grad_z = activation.backward(z, a, upstream)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(grad_z))

    z_torch = to_torch(z, requires_grad=True)
    a_torch = torch_activation(activation)(z_torch)
    a_torch.sum().backward()
    assert max_difference(a, a_torch) <= FORWARD_TOLERANCE * max(1.0, np.max(np.abs(a)))
    assert max_difference(grad_z, z_torch.grad) <= GRADIENT_TOLERANCE


@pytest.mark.parametrize("name, options", ACTIVATION_PARAMS)
def test_activation_keeps_float32(name, options):
    require_reference(name, options)
    activation = get_activation({"type": name, **options})
    z = np.concatenate([EXTREME_LOGITS, 2 * np.random.default_rng(0).standard_normal((3, 13))]).astype(np.float32)
    with strict_numerics():
        a = activation.forward(z)
        grad_z = activation.backward(z, a, np.ones_like(z))
    assert a.dtype == np.float32, f"{name} turned float32 inputs into {a.dtype}"
    assert grad_z.dtype == np.float32, f"{name}'s backward turned float32 into {grad_z.dtype}"
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(grad_z))
    exact = activation.forward(z.astype(np.float64))
    np.testing.assert_allclose(a, exact, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name, options", ACTIVATION_PARAMS)
def test_activation_config_rebuilds_the_same_activation(name, options):
    require_reference(name, options)
    activation = get_activation({"type": name, **options})
    config = activation.get_config()
    assert config["type"] == name and config.items() >= options.items()
    assert get_activation(config).get_config() == config


# =================================================================================================
# Layers
# =================================================================================================
@pytest.mark.parametrize("name, case", LAYER_PARAMS)
@pytest.mark.parametrize("batch", [3, 6])   # not 2: BatchNorm maps any 2 examples to ±1, its dL/dx is ~0
@pytest.mark.parametrize("seed", SEEDS)
def test_layer_passes_gradient_check(name, case, batch, seed, record_error):
    require_reference(name, case)
    rng = np.random.default_rng(seed)
    layer = build_layer(case, rng)
    x = layer_input(case, rng, batch)
    report = check_layer(layer, x, seed=seed, training=case.training)
    assert {row.name for row in report.rows} == {"input", *layer.params}, "the check skipped an array"
    record_error("gradient check (layers)", report.max_relative_error)
    assert report.max_relative_error <= GRADIENT_CHECK_TOLERANCE, str(report)


@pytest.mark.parametrize("name, case", LAYER_PARAMS)
@pytest.mark.parametrize("seed", SEEDS)
def test_layer_matches_torch(name, case, seed, record_error):
    require_reference(name, case)
    reference = LAYER_REFERENCES[name]
    rng = np.random.default_rng(seed)
    layer = build_layer(case, rng)
    x = layer_input(case, rng, batch=6)
    buffers_before = {key: to_torch(value) for key, value in layer.buffers.items()}

    y = layer.forward(x, training=case.training)
    upstream = rng.standard_normal(y.shape)
    grad_x = layer.backward(upstream)
    penalty = layer.penalty()

    x_torch = to_torch(x, requires_grad=True)
    params = {key: to_torch(value, requires_grad=True) for key, value in layer.params.items()}
    y_torch = reference.torch(layer, x_torch, params, buffers_before, case.training)
    penalty_torch = reference.penalty(layer, params)
    ((y_torch * to_torch(upstream)).sum() + penalty_torch).backward()

    forward = max_difference(y, y_torch)
    record_error("torch forward (layers)", forward)
    assert forward <= FORWARD_TOLERANCE
    assert abs(penalty - penalty_torch.item()) <= FORWARD_TOLERANCE
    gradients = {"input": (grad_x, x_torch.grad), **{key: (layer.grads[key], params[key].grad) for key in params}}
    for key, (ours, theirs) in gradients.items():
        difference = max_difference(ours, theirs)
        record_error("torch gradient (layers)", difference)
        assert difference <= GRADIENT_TOLERANCE, f"dL/d{key} differs from torch by {difference:.2e}"
    for key, value in layer.buffers.items():
        assert max_difference(value, buffers_before[key]) <= FORWARD_TOLERANCE, f"buffer {key} differs"


@pytest.mark.parametrize("name, case", LAYER_PARAMS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_output_shape_and_dtype(name, case, dtype):
    require_reference(name, case)
    rng = np.random.default_rng(0)
    layer = case.make()
    built_shape = layer.build(case.input_shape, rng, np.dtype(dtype))
    x = layer_input(case, rng, batch=3, dtype=dtype)
    y = layer.forward(x, training=case.training)
    grad_x = layer.backward(np.ones_like(y))

    assert y.shape[1:] == layer.compute_output_shape(case.input_shape) == built_shape == layer.output_shape
    assert len(y) == 3 and grad_x.shape == x.shape
    arrays = {"output": y, "input gradient": grad_x, **layer.params, **layer.grads, **layer.buffers}
    upcast = {key: value.dtype for key, value in arrays.items() if value.dtype != dtype}
    assert not upcast, f"{dtype.__name__} in, but {upcast}"


def test_dense_weight_is_in_out_and_torch_linear_is_its_transpose(record_error):
    """Our weight is (in, out) (z = x @ W + b); torch.nn.Linear stores (out, in) (z = x @ Wᵀ + b)."""
    rng = np.random.default_rng(3)
    layer = Dense(3)
    layer.build((4,), rng, np.dtype(np.float64))
    layer.params["bias"][...] = rng.standard_normal(3)
    linear = torch.nn.Linear(4, 3, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(to_torch(layer.params["weight"].T))
        linear.bias.copy_(to_torch(layer.params["bias"]))
    assert layer.params["weight"].shape == (4, 3) and tuple(linear.weight.shape) == (3, 4)

    x = rng.standard_normal((5, 4))
    upstream = rng.standard_normal((5, 3))
    y = layer.forward(x)
    layer.backward(upstream)
    y_torch = linear(to_torch(x))
    (y_torch * to_torch(upstream)).sum().backward()

    assert max_difference(y, y_torch) <= FORWARD_TOLERANCE
    assert max_difference(layer.grads["weight"], linear.weight.grad.T) <= GRADIENT_TOLERANCE
    assert max_difference(layer.grads["bias"], linear.bias.grad) <= GRADIENT_TOLERANCE
    # Without the transpose the numbers do not match: the test would see a layout slip.
    assert not np.allclose(layer.grads["weight"][:3, :3], linear.weight.grad.numpy()[:3, :3])


@pytest.mark.parametrize("momentum, epsilon", [(0.1, 1e-5), (0.3, 1e-3), (1.0, 1e-5)])
def test_batch_norm_follows_torch_batchnorm1d_over_several_steps(momentum, epsilon, record_error):
    """Training steps with different batches (sizes, means, spreads), then inference."""
    rng = np.random.default_rng(11)
    layer = BatchNorm(momentum=momentum, epsilon=epsilon)
    layer.build((3,), rng, np.dtype(np.float64))
    layer.params["gamma"][...] = rng.uniform(0.5, 1.5, 3)
    layer.params["beta"][...] = rng.standard_normal(3)
    module = torch.nn.BatchNorm1d(3, momentum=momentum, eps=epsilon, dtype=torch.float64)
    with torch.no_grad():
        module.weight.copy_(to_torch(layer.params["gamma"]))
        module.bias.copy_(to_torch(layer.params["beta"]))

    for step, (batch, shift, spread) in enumerate([(4, 2.0, 1.0), (7, -1.0, 3.0), (2, 0.5, 0.2), (5, 4.0, 2.0)]):
        for mode in ("training", "inference"):
            training = mode == "training"
            module.train(training)
            module.zero_grad()
            x = shift + spread * rng.standard_normal((batch, 3))
            upstream = rng.standard_normal((batch, 3))
            y = layer.forward(x, training=training)
            grad_x = layer.backward(upstream)
            x_torch = to_torch(x, requires_grad=True)
            y_torch = module(x_torch)
            (y_torch * to_torch(upstream)).sum().backward()

            where = f"step {step}, {mode}"
            assert max_difference(y, y_torch) <= FORWARD_TOLERANCE, where
            for ours, theirs in [(grad_x, x_torch.grad), (layer.grads["gamma"], module.weight.grad),
                                 (layer.grads["beta"], module.bias.grad)]:
                difference = max_difference(ours, theirs)
                record_error("torch gradient (batch norm steps)", difference)
                assert difference <= GRADIENT_TOLERANCE, where
            running = max(max_difference(layer.buffers["running_mean"], module.running_mean),
                          max_difference(layer.buffers["running_var"], module.running_var))
            record_error("torch running statistics (batch norm)", running)
            assert running <= FORWARD_TOLERANCE, where


def test_batch_norm_training_needs_two_examples():
    layer = BatchNorm()
    layer.build((3,), np.random.default_rng(0), np.dtype(np.float64))
    with pytest.raises(ParameterError, match="batch_size"):
        layer.forward(np.ones((1, 3)), training=True)
    assert layer.forward(np.ones((1, 3)), training=False).shape == (1, 3)   # inference is fine


@pytest.mark.parametrize("rate", [0.1, 0.5, 0.9])
def test_dropout_drops_at_rate_and_scales_survivors(rate):
    layer = Dropout(rate)
    layer.build((200,), np.random.default_rng(0), np.dtype(np.float64))
    x = np.ones((500, 200))
    y = layer.forward(x, training=True)
    dropped = np.mean(y == 0)
    assert abs(dropped - rate) < 0.01
    np.testing.assert_array_equal(np.unique(y), [0.0, 1 / (1 - rate)])
    np.testing.assert_array_equal(y, layer.scaled_mask)
    assert layer.forward(x, training=False) is x


def test_dropout_masks_are_fixed_by_the_seed_and_differ_between_steps():
    def masks(seed):
        layer = Dropout(0.5)
        layer.build((20,), np.random.default_rng(seed), np.dtype(np.float64))
        return [layer.forward(np.ones((4, 20)), training=True) for _ in range(2)]

    first, second = masks(1)
    np.testing.assert_array_equal(first, masks(1)[0])
    assert not np.array_equal(first, second)
    assert not np.array_equal(first, masks(2)[0])


def test_gradient_check_catches_a_wrong_backward():
    """The harness itself: a Dense layer whose weight gradient is 1 % off must fail the check."""
    class SlightlyWrongDense(Dense):
        def backward(self, grad_output, need_input_gradient=True):
            grad_input = super().backward(grad_output, need_input_gradient)
            self.grads["weight"] *= 1.01
            return grad_input

    rng = np.random.default_rng(0)
    layer = SlightlyWrongDense(3, activation="tanh")
    layer.build((4,), rng, np.dtype(np.float64))
    report = check_layer(layer, rng.standard_normal((5, 4)))
    assert not report.passed
    assert report["weight"].relative_error > 1e-3 and report["input"].relative_error < 1e-8


# =================================================================================================
# Losses
# =================================================================================================
@pytest.mark.parametrize("name, case", LOSS_PARAMS)
@pytest.mark.parametrize("seed", SEEDS)
def test_loss_passes_gradient_check(name, case, seed, record_error):
    require_reference(name, case)
    rng = np.random.default_rng(seed)
    for shape in case.shapes:
        scores, targets = case.draw(rng, shape)
        report = check_loss(get_loss(case.config), scores, targets)
        record_error("gradient check (losses)", report.max_relative_error)
        assert report.max_relative_error <= GRADIENT_CHECK_TOLERANCE, f"{shape}\n{report}"


@pytest.mark.parametrize("name, case", LOSS_PARAMS)
@pytest.mark.parametrize("seed", SEEDS)
def test_loss_matches_torch(name, case, seed, record_error):
    require_reference(name, case)
    rng = np.random.default_rng(seed)
    for shape in case.shapes:
        scores, targets = case.draw(rng, shape)
        loss = get_loss(case.config)
        value = loss.forward(scores, targets)
        gradient = loss.backward()

        scores_torch = to_torch(scores, requires_grad=True)
        value_torch = case.torch(loss, scores_torch, to_torch(targets))
        value_torch.backward()

        assert isinstance(value, float)
        forward, backward = abs(value - value_torch.item()), max_difference(gradient, scores_torch.grad)
        record_error("torch forward (losses)", forward)
        record_error("torch gradient (losses)", backward)
        assert forward <= FORWARD_TOLERANCE, shape
        assert backward <= GRADIENT_TOLERANCE, shape


@pytest.mark.parametrize("name, case", LOSS_PARAMS)
def test_loss_keeps_float32(name, case):
    require_reference(name, case)
    rng = np.random.default_rng(0)
    scores, targets = case.draw(rng, case.shapes[0])
    scores = scores.astype(np.float32)
    if targets.dtype.kind == "f":          # class indices stay integers
        targets = targets.astype(np.float32)
    loss = get_loss(case.config)
    value = loss.forward(scores, targets)
    gradient = loss.backward()
    assert isinstance(value, float) and math.isfinite(value)
    assert gradient.dtype == np.float32 and gradient.shape == scores.shape


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_config_rebuilds_the_same_loss(name):
    loss = get_loss(name)
    assert loss.get_config()["type"] == name
    assert get_loss(loss.get_config()).get_config() == loss.get_config()


# The large logits sit on the right class and on the wrong one, with both signs.
EXTREME_SOFTMAX_LOGITS = np.array([[1e4, -1e4, 0.0], [-1e3, 1e3, 1e3 - 1], [0.0, 1e4, -1e4],
                                   [-1e4, -1e4, -1e4], [1e3, -1e3, 1e4]])
EXTREME_CLASSES = np.array([1, 2, 1, 0, 0])
CROSS_ENTROPY_EXTREMES = [
    pytest.param("binary_cross_entropy", np.array([[1e4, -1e4], [1e3, -1e3], [-1e4, 1e4], [-1e3, 1e3]]),
                 np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, 0.25]]), id="binary"),
    pytest.param("softmax_cross_entropy", EXTREME_SOFTMAX_LOGITS, EXTREME_CLASSES, id="softmax-indices"),
    pytest.param("softmax_cross_entropy", EXTREME_SOFTMAX_LOGITS, np.eye(3)[EXTREME_CLASSES], id="softmax-one-hot"),
]


@pytest.mark.parametrize("name, scores, targets", CROSS_ENTROPY_EXTREMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cross_entropy_is_finite_and_equals_torch_at_extreme_logits(name, scores, targets, dtype):
    scores = scores.astype(dtype)
    targets = targets.astype(dtype) if targets.dtype.kind == "f" else targets
    loss = get_loss(name)
    with strict_numerics():
        value = loss.forward(scores, targets)
        gradient = loss.backward()
    assert math.isfinite(value) and np.all(np.isfinite(gradient)) and gradient.dtype == dtype

    scores_torch = to_torch(scores.astype(np.float64), requires_grad=True)
    case = LOSS_REFERENCES[name][0]
    value_torch = case.torch(loss, scores_torch, to_torch(targets.astype(np.float64) if targets.dtype.kind == "f"
                                                          else targets))
    value_torch.backward()
    if dtype == np.float64:
        assert abs(value - value_torch.item()) <= FORWARD_TOLERANCE
        assert max_difference(gradient, scores_torch.grad) <= GRADIENT_TOLERANCE
    else:
        assert value == pytest.approx(value_torch.item(), rel=1e-6)
        np.testing.assert_allclose(gradient, scores_torch.grad.numpy(), atol=1e-7)


# =================================================================================================
# Initialisers
# =================================================================================================
# name -> (mean, variance(fan_in, fan_out), distribution)
INITIALIZER_STATISTICS = {
    "zeros": (0.0, lambda fan_in, fan_out: 0.0, "constant"),
    "ones": (1.0, lambda fan_in, fan_out: 0.0, "constant"),
    "constant": (0.0, lambda fan_in, fan_out: 0.0, "constant"),
    "uniform": (0.0, lambda fan_in, fan_out: 0.05**2 / 3, "uniform"),
    "normal": (0.0, lambda fan_in, fan_out: 0.05**2, "normal"),
    "glorot_uniform": (0.0, lambda fan_in, fan_out: 2 / (fan_in + fan_out), "uniform"),
    "glorot_normal": (0.0, lambda fan_in, fan_out: 2 / (fan_in + fan_out), "normal"),
    "he_uniform": (0.0, lambda fan_in, fan_out: 2 / fan_in, "uniform"),
    "he_normal": (0.0, lambda fan_in, fan_out: 2 / fan_in, "normal"),
    "lecun_uniform": (0.0, lambda fan_in, fan_out: 1 / fan_in, "uniform"),
    "lecun_normal": (0.0, lambda fan_in, fan_out: 1 / fan_in, "normal"),
}


def test_every_initializer_has_expected_statistics():
    assert set(INITIALIZERS) == set(INITIALIZER_STATISTICS)


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
@pytest.mark.parametrize("shape", [(300, 500), (5, 5, 64, 32)], ids=["2d", "4d"])
def test_initializer_matches_its_formula(name, shape):
    mean, variance_of, distribution = INITIALIZER_STATISTICS[name]
    values = get_initializer(name)(shape, np.random.default_rng(0))
    variance = variance_of(*fans(shape))
    assert values.shape == shape and values.dtype == np.float64
    if distribution == "constant":
        np.testing.assert_array_equal(values, mean)
        return
    assert abs(values.mean()) < 5 * math.sqrt(variance / values.size)
    assert values.var() == pytest.approx(variance, rel=0.03)
    kurtosis = np.mean(values**4) / values.var() ** 2      # 1.8 for a uniform, 3 for a normal
    if distribution == "uniform":
        limit = math.sqrt(3 * variance)
        assert np.max(np.abs(values)) <= limit and np.max(np.abs(values)) > 0.99 * limit
        assert kurtosis == pytest.approx(1.8, abs=0.05)
    else:
        assert kurtosis == pytest.approx(3.0, abs=0.1)


@pytest.mark.parametrize("shape, expected", [
    ((784, 256), (784, 256)),           # Dense (in, out)
    ((10,), (10, 10)),                  # a vector
    ((5, 4, 8), (20, 40)),              # 1-D convolution kernel (k, C_in, C_out)
    ((3, 3, 16, 32), (144, 288)),       # 2-D convolution kernel (kh, kw, C_in, C_out)
])
def test_fans(shape, expected):
    assert fans(shape) == expected


@pytest.mark.parametrize("name", sorted(INITIALIZERS))
def test_initializer_is_reproducible_and_honours_dtype(name):
    initializer = get_initializer(name)
    first = initializer((40, 30), np.random.default_rng(5))
    np.testing.assert_array_equal(first, initializer((40, 30), np.random.default_rng(5)))
    if INITIALIZER_STATISTICS[name][2] != "constant":
        assert not np.array_equal(first, initializer((40, 30), np.random.default_rng(6)))
    assert initializer((40, 30), np.random.default_rng(5), dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("alias, name", sorted(INITIALIZER_ALIASES.items()))
def test_initializer_aliases(alias, name):
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    np.testing.assert_array_equal(get_initializer(alias)((8, 6), rng_a), get_initializer(name)((8, 6), rng_b))


def test_initializer_configs_with_arguments():
    assert np.all(get_initializer({"type": "constant", "value": 0.25})((3, 2), np.random.default_rng(0)) == 0.25)
    assert np.max(np.abs(get_initializer({"type": "uniform", "limit": 0.01})((50, 50),
                                                                          np.random.default_rng(0)))) <= 0.01


def test_unknown_initializer_lists_the_valid_names():
    with pytest.raises(ParameterError) as error:
        Dense(3, weight_initializer="glorot")
    text = str(error.value)
    assert "'weight_initializer'" in text and "'glorot'" in text
    for name in [*INITIALIZERS, *INITIALIZER_ALIASES]:
        assert name in text
    with pytest.raises(ParameterError, match="bias_initializer"):
        Dense(3, bias_initializer={"type": "constant", "colour": 1})


# =================================================================================================
# Error messages
# =================================================================================================
@pytest.mark.parametrize("make", [lambda: Dense(3, activation="relu6"), lambda: Activation("relu6"),
                                  lambda: get_activation({"type": "relu6"})], ids=["dense", "layer", "config"])
def test_unknown_activation_lists_the_valid_names(make):
    with pytest.raises(ParameterError) as error:
        make()
    text = str(error.value)
    assert "'activation'" in text and "'relu6'" in text
    assert all(name in text for name in ACTIVATIONS)


def test_unknown_activation_in_a_model_file_is_a_model_file_error():
    with pytest.raises(ModelFileError, match="relu6"):
        get_activation("relu6", from_file=True)


@pytest.mark.parametrize("units, error_type", [(0, ParameterError), (-3, ParameterError),
                                               (2.5, ParameterTypeError), ("8", ParameterTypeError),
                                               (True, ParameterTypeError)])
def test_dense_units_must_be_a_positive_integer(units, error_type):
    with pytest.raises(error_type) as error:
        Dense(units)
    text = str(error.value)
    assert "'units'" in text and "Dense" in text and repr(units) in text and "positive integer" in text


def test_unknown_loss_lists_the_valid_names():
    with pytest.raises(ParameterError) as error:
        get_loss("cross_entropyy")
    text = str(error.value)
    assert "'loss'" in text and "'cross_entropyy'" in text
    assert all(name in text for name in LOSSES)
    with pytest.raises(ModelFileError):
        get_loss({"type": "cross_entropyy"}, from_file=True)


@pytest.mark.parametrize("alias, name", [("bce", "binary_cross_entropy"), ("cross_entropy", "softmax_cross_entropy"),
                                         ("categorical_crossentropy", "softmax_cross_entropy"), ("MSE", "mse"),
                                         ("mean_absolute_error", "mae")])
def test_loss_aliases(alias, name):
    assert get_loss(alias).type_name == name


@pytest.mark.parametrize("make, parameter", [
    (lambda: get_activation({"type": "leaky_relu", "negative_slope": -0.1}), "negative_slope"),
    (lambda: get_activation({"type": "elu", "alpha": "one"}), "alpha"),
    (lambda: get_activation({"type": "gelu", "approximate": "fast"}), "approximate"),
    (lambda: get_loss({"type": "huber", "delta": 0}), "delta"),
    (lambda: BatchNorm(momentum=1.5), "momentum"),
    (lambda: BatchNorm(epsilon=0), "epsilon"),
    (lambda: Dropout(1.0), "rate"),
    (lambda: Dense(3, l2=-1), "l2"),
])
def test_bad_options_name_the_parameter(make, parameter):
    with pytest.raises((ParameterError, ParameterTypeError), match=f"'{parameter}'"):
        make()


def test_layers_without_a_flat_input_say_how_to_fix_it():
    with pytest.raises(ParameterError, match="Flatten"):
        Dense(3).build((4, 4), np.random.default_rng(0), np.dtype(np.float64))
    with pytest.raises(ParameterError, match="Flatten"):
        BatchNorm().build((4, 4), np.random.default_rng(0), np.dtype(np.float64))
