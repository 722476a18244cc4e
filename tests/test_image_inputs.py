"""ImageInputs: image batches checked against the training shape and scaled; models fit on images."""

import json

import numpy as np
import pytest

from nnblocks import DataError, Dense, Flatten, ImageInputs, NotFittedError, Sequential
from nnblocks.blocks.layers import Conv2D, MaxPool2D


@pytest.fixture
def images():
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, size=(20, 3, 6, 5)).astype(np.uint8)


def test_grey_images_gain_a_channel_axis_and_unit_scaling_divides_by_255():
    grey = np.full((4, 7, 7), 51, dtype=np.uint8)
    block = ImageInputs(scaling="unit").adapt(grey)
    assert block.shape == (1, 7, 7)
    out = block.transform(grey)
    assert out.shape == (4, 1, 7, 7) and np.allclose(out, 0.2)


def test_standard_scaling_uses_training_statistics_per_channel(images):
    block = ImageInputs(scaling="standard").adapt(images)
    expected_mean = images.astype(float).mean(axis=(0, 2, 3))
    np.testing.assert_allclose(block.mean, expected_mean)
    other = images[:5].astype(float) + 10
    np.testing.assert_allclose(block.transform(other), (other - expected_mean[:, None, None])
                               / images.astype(float).std(axis=(0, 2, 3))[:, None, None])


def test_shape_nan_and_order_errors(images):
    block = ImageInputs().adapt(images)
    with pytest.raises(DataError, match=r"(?s)\(N, 3, 6, 5\).*\(N, 3, 5, 6\).*resize"):
        block.transform(images.transpose(0, 1, 3, 2))
    broken = images.astype(float)
    broken[2, 0, 1, 1] = np.nan
    with pytest.raises(DataError, match="NaN or infinite pixels in 1 image.*row 2"):
        block.transform(broken)
    with pytest.raises(DataError, match=r"\(N, C, H, W\)"):
        block.transform(np.zeros((2, 3)).reshape(2, 3, 1, 1, 1))
    with pytest.raises(NotFittedError, match="adapt"):
        ImageInputs().transform(images)


def test_config_round_trip(images):
    block = ImageInputs(scaling="standard").adapt(images)
    again = ImageInputs.from_config(json.loads(json.dumps(block.get_config())))
    np.testing.assert_array_equal(again.transform(images), block.transform(images))


def test_a_small_cnn_fits_saves_and_loads_on_images(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(60, 1, 8, 8))
    y = (x[:, 0, :4].mean(axis=(1, 2)) > x[:, 0, 4:].mean(axis=(1, 2))).astype(int)  # top half brighter?
    model = Sequential([Conv2D(4, 3, activation="relu"), MaxPool2D(2), Flatten(), Dense(1)], seed=0)
    model.fit(x, y, epochs=40, batch_size=10, learning_rate=0.01, verbose=False)
    assert isinstance(model.inputs, ImageInputs)
    assert model.evaluate(x, y)["accuracy"] > 0.9
    model.save(tmp_path / "cnn")
    loaded = Sequential.load(tmp_path / "cnn")
    assert isinstance(loaded.inputs, ImageInputs)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
