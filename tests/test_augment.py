"""Augmentation (flip, crop, colour jitter) and the seeded Dataset/DataLoader of the torch path.

The transforms are checked on what they must do to pixels; the loader on coverage (every
example once per epoch) and repeatability (same seed, same augmented batches, whatever the
number of worker processes); ``train_with_loader`` against ``Sequential.fit`` on the same batches.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnblocks import Conv2D, Dense, Flatten, ImageInputs, Sequential
from nnblocks.engines.torch import TorchEngine
from nnblocks.engines.torch.augment import (ColourJitter, Compose, RandomCrop, RandomHorizontalFlip,
                                            augmentation_from_names)
from nnblocks.engines.torch.data import ArrayDataset, loss_targets, make_loader, train_with_loader
from nnblocks.errors import DataError, ParameterError
from nnblocks.optim import get_optimizer


def image(channels: int = 3, height: int = 5, width: int = 7) -> torch.Tensor:
    """Every pixel different and non-zero, so a flip or a shift is visible everywhere."""
    return torch.arange(1, channels * height * width + 1, dtype=torch.float64).reshape(channels, height, width)


def generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def shifted(x: torch.Tensor, down: int, across: int) -> torch.Tensor:
    """x moved down/right by (down, across) pixels, zeros where nothing moved in."""
    result = torch.zeros_like(x)
    height, width = x.shape[1:]
    result[:, max(down, 0):height + min(down, 0), max(across, 0):width + min(across, 0)] = \
        x[:, max(-down, 0):height - max(down, 0), max(-across, 0):width - max(across, 0)]
    return result


# --- the transforms ----------------------------------------------------------------------------------
def test_flip_reverses_the_width_axis_and_is_its_own_inverse():
    x, flip = image(), RandomHorizontalFlip(p=1.0)
    flipped = flip(x, generator(0))
    for column in range(x.shape[2]):
        torch.testing.assert_close(flipped[:, :, column], x[:, :, -1 - column], rtol=0, atol=0)
    torch.testing.assert_close(flip(flipped, generator(1)), x, rtol=0, atol=0)
    torch.testing.assert_close(RandomHorizontalFlip(p=0.0)(x, generator(0)), x, rtol=0, atol=0)


def test_flip_happens_with_its_probability():
    x, flip, g = image(), RandomHorizontalFlip(p=0.3), generator(0)
    share = np.mean([not torch.equal(flip(x, g), x) for _ in range(2000)])
    assert abs(share - 0.3) < 0.04


def test_crop_with_padding_keeps_the_size_and_shifts_the_content():
    x, crop, padding = image(), RandomCrop(padding=2), 2
    shifts = set()
    for seed in range(40):
        out = crop(x, generator(seed))
        assert out.shape == x.shape
        matches = [(down, across) for down in range(-padding, padding + 1) for across in range(-padding, padding + 1)
                   if torch.equal(out, shifted(x, down, across))]
        assert len(matches) == 1, f"seed {seed}: not a shifted copy of the image"
        shifts.add(matches[0])
    assert len(shifts) > 10   # the window lands in many places, (0, 0) being only one of 25


def test_crop_to_a_smaller_size_cuts_a_window_of_the_image():
    x = image(1, 6, 6)
    out = RandomCrop(size=4)(x, generator(3))
    assert out.shape == (1, 4, 4)
    windows = [x[:, top:top + 4, left:left + 4] for top in range(3) for left in range(3)]
    assert any(torch.equal(out, window) for window in windows)
    with pytest.raises(ParameterError, match="padded image size"):
        RandomCrop(size=8)(x, generator(0))


def test_jitter_keeps_shape_and_range_and_changes_the_image():
    x = torch.rand((3, 8, 8), generator=generator(0), dtype=torch.float64)
    jitter = ColourJitter(brightness=0.8, contrast=0.8)
    g, changed = generator(1), 0
    for _ in range(50):
        out = jitter(x, g)
        assert out.shape == x.shape and out.dtype == x.dtype
        assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0
        changed += not torch.allclose(out, x)
    assert changed == 50


def test_brightness_scales_every_pixel_by_one_factor_within_its_range():
    x = 0.1 + 0.4 * torch.rand((1, 6, 6), generator=generator(0), dtype=torch.float64)   # never clamped
    for seed in range(20):
        ratio = ColourJitter(brightness=0.5)(x, generator(seed)) / x
        assert float(ratio.max() - ratio.min()) < 1e-12 and 0.5 <= float(ratio[0, 0, 0]) <= 1.5


def test_contrast_keeps_the_mean_grey_level():
    x = 0.3 + 0.2 * torch.rand((1, 6, 6), generator=generator(2), dtype=torch.float64)
    out = ColourJitter(contrast=0.5)(x, generator(4))
    assert abs(float(out.mean() - x.mean())) < 1e-12 and not torch.allclose(out, x)


def test_the_same_generator_seed_gives_the_same_augmentation():
    augment = augmentation_from_names(["flip", "crop:2", "jitter:0.3"])
    x = torch.rand((3, 8, 8), generator=generator(0))
    torch.testing.assert_close(augment(x, generator(7)), augment(x, generator(7)), rtol=0, atol=0)
    assert any(not torch.equal(augment(x, generator(7)), augment(x, generator(seed))) for seed in range(8, 12))


def test_transforms_refuse_batches():
    with pytest.raises(ParameterError, match=r"\(C, H, W\)"):
        RandomHorizontalFlip()(torch.zeros((2, 1, 4, 4)))


def test_augmentation_from_names_reads_the_short_names():
    built = augmentation_from_names("flip:0.25, crop:3, jitter:0.1:0.4")
    assert isinstance(built, Compose) and len(built) == 3
    flip, crop, jitter = built.transforms
    assert flip.p == 0.25 and crop.padding == 3 and crop.size is None
    assert (jitter.brightness, jitter.contrast) == (0.1, 0.4)
    assert augmentation_from_names(["crop"]).transforms[0].padding == 4
    with pytest.raises(ParameterError, match="flip or flip:P"):
        augmentation_from_names(["rotate:10"])
    with pytest.raises(ParameterError, match="crop:PADDING"):
        augmentation_from_names(["crop:2.5"])


# --- the loader ------------------------------------------------------------------------------------
def images_and_labels(count: int = 23):
    rng = np.random.default_rng(0)
    return rng.random((count, 3, 8, 8)), np.arange(count)


def epochs_of(loader, epochs: int = 2):
    return [[(inputs.clone(), targets.clone()) for inputs, targets in loader] for _ in range(epochs)]


def test_the_loader_gives_every_example_once_per_epoch():
    x, labels = images_and_labels()
    loader = make_loader(x, labels, batch_size=5, shuffle=True, seed=0, transform=augmentation_from_names("flip"))
    orders = []
    for epoch in epochs_of(loader, 3):
        assert [len(targets) for _, targets in epoch] == [5, 5, 5, 5, 3]
        order = torch.cat([targets for _, targets in epoch]).tolist()
        assert sorted(order) == list(range(len(x)))
        orders.append(order)
    assert orders[0] != orders[1]                                          # a new order every epoch
    unshuffled = make_loader(x, labels, batch_size=5, shuffle=False, seed=0)
    assert torch.cat([targets for _, targets in unshuffled]).tolist() == list(range(len(x)))


def test_the_same_seed_gives_the_same_augmented_batches_whatever_the_workers():
    x, labels = images_and_labels()
    augment = augmentation_from_names(["flip", "crop:2", "jitter:0.2"])
    first = epochs_of(make_loader(x, labels, 6, seed=11, transform=augment))
    again = epochs_of(make_loader(x, labels, 6, seed=11, transform=augment))
    workers = epochs_of(make_loader(x, labels, 6, seed=11, transform=augment, num_workers=2))
    for other in (again, workers):
        for epoch, other_epoch in zip(first, other):
            for (inputs, targets), (other_inputs, other_targets) in zip(epoch, other_epoch, strict=True):
                assert torch.equal(targets, other_targets) and torch.equal(inputs, other_inputs)
    different = epochs_of(make_loader(x, labels, 6, seed=12, transform=augment), 1)
    assert not torch.equal(first[0][0][0], different[0][0][0])
    # The augmentation changed the pictures (not only their order).
    batch, targets = first[0][0]
    assert not torch.allclose(batch, torch.as_tensor(x[targets.numpy()], dtype=torch.float32))


def test_the_loader_leaves_the_global_random_state_alone():
    x, labels = images_and_labels()
    state = torch.random.get_rng_state()
    epochs_of(make_loader(x, labels, 4, seed=0, transform=augmentation_from_names("flip,crop:1,jitter")))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_dataset_checks_its_arguments():
    with pytest.raises(DataError, match="one target per example"):
        ArrayDataset(np.zeros((3, 1, 2, 2)), np.zeros(4))
    with pytest.raises(ParameterError, match="transform"):
        ArrayDataset(np.zeros((3, 1, 2, 2)), np.zeros(3), transform="flip")
    assert loss_targets("binary", [0, 1]).shape == (2, 1) and loss_targets("multiclass", [[2], [0]]).tolist() == [2, 0]


# --- training on the loader's batches ------------------------------------------------------------------
def small_convnet(x: np.ndarray) -> Sequential:
    model = Sequential([Conv2D(2, 3, padding=1, activation="tanh"), Flatten(), Dense(3)],
                       loss="softmax_cross_entropy", inputs=ImageInputs(scaling="unit"), dtype="float64", seed=0)
    model.inputs.adapt(x)
    model.build(model.inputs.shape)
    return model


def tiny_images():
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (24, 1, 6, 6)).astype(np.uint8), np.arange(24) % 3


def test_train_with_loader_equals_fit_on_the_same_batches():
    images, labels = tiny_images()
    reference = small_convnet(images)
    reference.fit(images, labels, epochs=3, batch_size=5, optimizer="sgd", learning_rate=0.1, shuffle=False,
                  engine="torch", device="cpu", verbose=False)
    model = small_convnet(images)
    model.optimizer = get_optimizer("sgd", learning_rate=0.1)
    features = model.inputs.transform(images)
    loader = make_loader(features, loss_targets("multiclass", labels), 5, shuffle=False, dtype=torch.float64)
    logs = train_with_loader(TorchEngine(model, device="cpu"), loader, epochs=3,
                             validation=(features, loss_targets("multiclass", labels)))
    assert len(logs["loss"]) == 3 and len(logs["val_accuracy"]) == 3
    ours, theirs = model.get_weights(), reference.get_weights()
    assert max(float(np.max(np.abs(ours[key] - theirs[key]))) for key in ours) < 1e-12
    np.testing.assert_allclose(logs["loss"], reference.history.history["loss"], rtol=0, atol=1e-12)


def test_train_with_loader_learns_from_augmented_batches():
    images, labels = tiny_images()
    model = small_convnet(images)
    before = model.get_weights()
    loader = make_loader(model.inputs.transform(images), loss_targets("multiclass", labels), 8, seed=0,
                         transform=augmentation_from_names("flip,crop:1,jitter:0.1"))
    logs = train_with_loader(TorchEngine(model, device="cpu", optimizer="adam"), loader, epochs=4)
    assert len(logs["loss"]) == 4 and all(np.isfinite(logs["loss"]))
    assert any(not np.allclose(before[key], value) for key, value in model.get_weights().items())
