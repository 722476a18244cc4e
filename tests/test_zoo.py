"""The model zoo: exact parameter and multiply-add counts, shapes, and LeNet-5 learning digits.

The counts are pinned from the hand derivations in each model's docstring (and rederived
here layer by layer), so a changed layer size or a miscounted formula shows up at once.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import GRADIENT_CHECK_TOLERANCE

from nnblocks import Conv2D, Dropout, MaxPool2D
from nnblocks.analysis.gradient_check import check_network
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.optim import get_optimizer
from nnblocks.zoo import alexnet, lenet5, mlp, normalise_frames, pilotnet, small_cnn


def conv(kh, kw, c_in, c_out, h_out, w_out):
    """(parameters, multiply-adds) of one convolution."""
    return kh * kw * c_in * c_out + c_out, h_out * w_out * kh * kw * c_in * c_out


def dense(d_in, d_out):
    return d_in * d_out + d_out, d_in * d_out


def totals(*layers):
    return sum(layer[0] for layer in layers), sum(layer[1] for layer in layers)


# =================================================================================================
# Exact counts
# =================================================================================================
LENET5 = totals(conv(5, 5, 1, 6, 28, 28), conv(5, 5, 6, 16, 10, 10), conv(5, 5, 16, 120, 1, 1), dense(120, 84),
                dense(84, 10))
ALEXNET_PAPER = totals(conv(11, 11, 3, 96, 55, 55), conv(5, 5, 96, 256, 27, 27), conv(3, 3, 256, 384, 13, 13),
                       conv(3, 3, 384, 384, 13, 13), conv(3, 3, 384, 256, 13, 13), dense(9216, 4096),
                       dense(4096, 4096), dense(4096, 1000))
ALEXNET_TORCHVISION = totals(conv(11, 11, 3, 64, 55, 55), conv(5, 5, 64, 192, 27, 27), conv(3, 3, 192, 384, 13, 13),
                             conv(3, 3, 384, 256, 13, 13), conv(3, 3, 256, 256, 13, 13), dense(9216, 4096),
                             dense(4096, 4096), dense(4096, 1000))
PILOTNET = totals(conv(5, 5, 3, 24, 31, 98), conv(5, 5, 24, 36, 14, 47), conv(5, 5, 36, 48, 5, 22),
                  conv(3, 3, 48, 64, 3, 20), conv(3, 3, 64, 64, 1, 18), dense(1152, 100), dense(100, 50),
                  dense(50, 10), dense(10, 1))


def test_the_derivations_give_the_pinned_numbers():
    assert LENET5 == (61_706, 416_520)
    assert ALEXNET_PAPER == (62_378_344, 1_135_256_096)
    assert ALEXNET_TORCHVISION == (61_100_840, 714_188_480)    # torchvision.models.alexnet: 61,100,840
    assert PILOTNET == (252_219, 26_876_342)                    # the paper's "27 million connections"


def test_lenet5_counts_and_shapes():
    model = lenet5()
    summary = model.summary()
    assert (summary.total_parameters, summary.total_multiply_adds) == LENET5 == (61_706, 416_520)
    assert [layer.output_shape for layer in model.layers] == [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5),
                                                               (120, 1, 1), (120,), (84,), (10,)]
    text = str(summary)
    assert "61,706" in text and "416,520" in text and "Multiply-adds" in text
    assert all(value.dtype == np.float32 for value in model.parameters.values())


@pytest.fixture(scope="module")
def alexnet_paper():
    start = time.perf_counter()
    model = alexnet()
    return model, time.perf_counter() - start


def test_alexnet_paper_sizes_counts_and_shapes(alexnet_paper):
    model, seconds = alexnet_paper
    summary = model.summary()
    assert (summary.total_parameters, summary.total_multiply_adds) == ALEXNET_PAPER
    assert summary.total_parameters == 62_378_344 and summary.total_multiply_adds == 1_135_256_096
    shapes = {layer.name: layer.output_shape for layer in model.layers}
    assert [shapes[name][1] for name in ("conv1", "pool1", "pool2", "pool5")] == [55, 27, 13, 6]   # the paper's sizes
    assert [shapes[name][0] for name in ("conv1", "conv2", "conv3", "conv4", "conv5")] == [96, 256, 384, 384, 256]
    assert shapes["flatten"] == (9216,) and shapes["fc8"] == (1000,)
    assert model.parameters["fc6.weight"].dtype == np.float32
    assert seconds < 30, f"building AlexNet took {seconds:.1f} s"
    # Dropout 0.5 right before fc6 and fc7, as in the paper.
    kinds = [type(layer) for layer in model.layers]
    for name in ("fc6", "fc7"):
        index = [layer.name for layer in model.layers].index(name)
        assert kinds[index - 1] is Dropout and model.layers[index - 1].rate == 0.5
    assert sum(kind is MaxPool2D for kind in kinds) == 3 and sum(kind is Conv2D for kind in kinds) == 5


def test_alexnet_forward_on_one_image(alexnet_paper):
    model, _ = alexnet_paper
    image = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    scores = model.forward(image)
    assert scores.shape == (1, 1000) and scores.dtype == np.float32 and np.all(np.isfinite(scores))


def test_alexnet_torchvision_variant_counts():
    model = alexnet(variant="torchvision")
    summary = model.summary()
    assert summary.total_parameters == 61_100_840
    assert summary.total_multiply_adds == 714_188_480 == ALEXNET_TORCHVISION[1]   # "0.71 GFLOPS" in torchvision
    assert model.layers[-1].output_shape == (1000,)
    with pytest.raises(ParameterError, match="'variant'"):
        alexnet(variant="caffe")


def test_pilotnet_counts_shapes_and_a_forward_pass():
    model = pilotnet()
    summary = model.summary()
    assert (summary.total_parameters, summary.total_multiply_adds) == PILOTNET == (252_219, 26_876_342)
    assert [layer.output_shape for layer in model.layers] == [(24, 31, 98), (36, 14, 47), (48, 5, 22), (64, 3, 20),
                                                               (64, 1, 18), (1152,), (100,), (50,), (10,), (1,)]
    frames = np.random.default_rng(1).integers(0, 256, (2, 3, 66, 200), dtype=np.uint8)
    inputs = normalise_frames(frames)
    assert inputs.dtype == np.float32 and inputs.min() >= -1.0 and inputs.max() <= 1.0
    assert normalise_frames(np.array([0, 255]))[0] == -1.0 and normalise_frames(np.array([0, 255]))[1] == 1.0
    assert model.forward(inputs).shape == (2, 1) and model.loss.type_name == "mse"


def test_mlp_preset():
    model = mlp(4, hidden=(8, 6), classes=3, activation="tanh")
    assert model.parameter_count() == (4 * 8 + 8) + (8 * 6 + 6) + (6 * 3 + 3)
    assert [layer.units for layer in model.layers] == [8, 6, 3]
    assert model.layers[0].activation.type_name == "tanh" and model.layers[-1].activation.type_name == "linear"
    assert model.summary().total_multiply_adds == 4 * 8 + 8 * 6 + 6 * 3
    rng = np.random.default_rng(2)
    x = rng.standard_normal((60, 4))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)
    model.fit(x, y, epochs=2, verbose=False)
    assert model.predict(x[:5]).shape == (5,)
    with pytest.raises(ParameterTypeError, match="'hidden'"):
        mlp(4, hidden=64)


def test_small_cnn_preset():
    model = small_cnn((1, 8, 8), classes=10)
    assert [layer.output_shape for layer in model.layers] == [(16, 8, 8), (16, 4, 4), (32, 4, 4), (32, 2, 2), (128,),
                                                               (64,), (10,)]
    expected = totals(conv(3, 3, 1, 16, 8, 8), conv(3, 3, 16, 32, 4, 4), dense(128, 64), dense(64, 10))
    summary = model.summary()
    assert (summary.total_parameters, summary.total_multiply_adds) == expected == (13_706, 91_776)
    with pytest.raises(ParameterError, match="'input_shape'"):
        small_cnn((8, 8))


def test_lenet5_refuses_unpadded_mnist_and_says_how_to_pad():
    with pytest.raises(ParameterError) as error:
        lenet5((1, 28, 28))
    assert "np.pad" in str(error.value) and "(1, 28, 28)" in str(error.value)
    assert lenet5((3, 32, 32), classes=5).output_shape == (5,)


# =================================================================================================
# LeNet-5 forward, backward and learning
# =================================================================================================
def digits_32x32(count: int):
    """scikit-learn's 8×8 digits, upsampled ×3 (24×24) and padded by 4 to LeNet's 32×32, scaled to [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images[:count] / 16.0                                   # (N, 8, 8)
    images = images.repeat(3, axis=1).repeat(3, axis=2)                     # (N, 24, 24)
    images = np.pad(images, ((0, 0), (4, 4), (4, 4)))                       # (N, 32, 32)
    return images[:, None].astype(np.float32), digits.target[:count]        # (N, 1, 32, 32)


def test_lenet5_gradient_check_on_a_batch(record_error):
    model = lenet5(dtype="float64", seed=1)
    x, y = digits_32x32(4)
    report = check_network(model, x.astype(np.float64), y, max_entries_per_parameter=8, seed=1)
    assert {row.name for row in report.rows} == set(model.parameters)
    record_error("gradient check (LeNet-5)", report.max_relative_error)
    assert report.passed and report.max_relative_error <= GRADIENT_CHECK_TOLERANCE, str(report)


def test_lenet5_forward_backward_shapes_on_a_batch():
    model = lenet5()
    x, y = digits_32x32(16)
    loss, scores = model.compute_loss(x, y, training=True)
    grad_input = model.backward(model.loss.backward(), need_input_gradient=True)
    assert scores.shape == (16, 10) and np.isfinite(loss)
    assert grad_input.shape == x.shape and grad_input.dtype == np.float32
    for name, gradient in model.gradients.items():
        assert gradient.shape == model.parameters[name].shape and np.any(gradient != 0), name


def test_lenet5_learns_digits_in_a_few_steps():
    model = lenet5(seed=0)
    model.optimizer = get_optimizer("adam", learning_rate=0.003)
    x, y = digits_32x32(512)
    before = model.compute_loss(x[:256], y[:256])[0]
    rng = np.random.default_rng(0)
    for _ in range(2):                                          # 2 epochs of 8 batches of 64
        order = rng.permutation(len(x))
        for start in range(0, len(x), 64):
            batch = order[start:start + 64]
            model.train_step(x[batch], y[batch])
    after = model.compute_loss(x[:256], y[:256])[0]
    accuracy = np.mean(np.argmax(model.forward(x[:256]), axis=1) == y[:256])
    assert after < 0.5 * before, (before, after)
    assert accuracy > 0.6, accuracy
