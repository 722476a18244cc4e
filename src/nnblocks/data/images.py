"""What every image reader shares: labels to class codes, the image Dataset, per-channel normalising.

The readers live beside this file, one format each:

    idx.py            read_idx, read_idx_dataset     MNIST's IDX files, plain or gzip
    npz_images.py     read_medmnist, ...splits       MedMNIST-style .npz archives (never pickle)
    image_folders.py  read_image_folder              one folder per class of PNG / JPEG files

An image Dataset differs from a tabular one in three ways, all on purpose:

- ``x`` is a NumPy array of pixels as the file stores them (uint8 for every format here),
  laid out NCHW (N, C, H, W) as in PyTorch, except ``read_idx_dataset`` which keeps the
  IDX file's own (N, H, W); ImageInputs reads (N, H, W) as (N, 1, H, W), so both feed a model.
- ``feature_names`` is empty: pixels have positions, not names. ``number_of_features`` is
  therefore 0; the shape lives in ``x.shape`` and in ``description``.
- ``y`` holds int64 class codes 0..K-1 and ``class_names`` their K names; the task is
  "binary" for two classes and "multiclass" for more.

Rows keep the order of the source, which is often grouped by class (an image folder is read
class by class; the training split of the shared PneumoniaMNIST copy holds all its pneumonia
images before its normal ones). Shuffle or stratify before taking a subset: the first 1,000
rows of such a set hold a single class.

Pixels are not scaled on reading. Inside a model, ``ImageInputs(scaling="unit")`` divides
by 255 and ``ImageInputs(scaling="standard")`` subtracts each channel's mean and divides by
its standard deviation, learnt from the training images. ``normalise_images`` below does
that same standardising outside a model (for plots, other libraries, or a check by hand).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnblocks.data.dataset import Dataset
from nnblocks.errors import DataError, ParameterError
from nnblocks.validation import message

MAXIMUM_LISTED_CLASSES = 20  # descriptions list the count of each class up to this many classes


def check_labels(labels: np.ndarray, source: str) -> np.ndarray:
    """Class codes as int64 (N,): whole, non-negative numbers, or a DataError naming ``source``."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f":
        if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
            raise DataError(f"The labels in {source} must be whole class numbers 0, 1, 2, ... Got fractional or "
                            "NaN values instead. Fix: store integer class codes.")
    elif labels.dtype.kind not in "biu":
        raise DataError(f"The labels in {source} must be integer class numbers 0, 1, 2, ... Got dtype "
                        f"{labels.dtype} instead. Fix: store integer class codes.")
    labels = labels.astype(np.int64).reshape(-1)
    if len(labels) and labels.min() < 0:
        raise DataError(f"The labels in {source} must be class numbers >= 0. Got {int(labels.min())} instead. "
                        "Fix: number the classes 0, 1, 2, ...")
    return labels


def choose_class_names(highest_label: int, class_names: Sequence[str] | None, source: str,
                       owner: str) -> list[str]:
    """K class names: the ones given (checked against the labels) or "0".."K-1" with K = highest + 1."""
    if class_names is None:
        names = [str(code) for code in range(highest_label + 1)]
        if len(names) < 2:
            raise DataError(f"The labels in {source} hold a single class ({highest_label}); a classifier needs at "
                            "least two. Fix: check the labels file, or pass class_names=[...] naming every class.")
        return names
    if isinstance(class_names, str) or not all(isinstance(name, str) for name in class_names):
        raise ParameterError(message("class_names", owner, "a list of strings, one per class", class_names))
    names = list(class_names)
    if len(names) < 2 or len(set(names)) != len(names):
        raise ParameterError(message("class_names", owner, "at least two different names", names))
    if highest_label >= len(names):
        raise DataError(message("class_names", owner, f"a name for every label in {source} (labels go up to "
                                f"{highest_label}, so {highest_label + 1} names)", names,
                                "add the missing names in label order."))
    return names


def image_dataset(x: np.ndarray, y: np.ndarray, class_names: list[str], name: str, source: str) -> Dataset:
    """Wrap checked images and labels in a Dataset whose description states the shape and class counts."""
    layout = "(N, H, W)" if x.ndim == 3 else "(N, C, H, W)"
    counts = np.bincount(y, minlength=len(class_names))
    if len(class_names) <= MAXIMUM_LISTED_CLASSES:
        balance = ", ".join(f"{label} {count}" for label, count in zip(class_names, counts))
    else:
        balance = f"{int(counts.min())} to {int(counts.max())} images per class"
    description = (f"{len(y)} images from {source}; x is {x.dtype} {layout} = {tuple(x.shape)}, pixels unscaled; "
                   f"{len(class_names)} classes ({balance}).")
    return Dataset(x=x, y=y, feature_names=[], target_name="label",
                   task="binary" if len(class_names) == 2 else "multiclass", class_names=class_names, name=name,
                   description=description)


# --- normalising ---------------------------------------------------------------------------------
def channel_statistics(x) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each channel over all images and pixels, as float64 (C,) arrays.

    A constant channel gets a standard deviation of 1 (as in ImageInputs), so that
    normalising maps it to 0 rather than dividing by zero.

    Example:
        >>> mean, std = channel_statistics(np.full((4, 3, 2, 2), 7, dtype=np.uint8))
        >>> mean.tolist(), std.tolist()
        ([7.0, 7.0, 7.0], [1.0, 1.0, 1.0])
    """
    images = _as_nchw(x, "channel_statistics")
    mean = images.mean(axis=(0, 2, 3), dtype=np.float64)
    std = images.std(axis=(0, 2, 3), dtype=np.float64)
    std[std == 0] = 1.0
    return mean, std


def normalise_images(x, mean=None, std=None) -> np.ndarray:
    """Per-channel standardised images, float64 (N, C, H, W):  (x − mean_c) / std_c.

    The same formula as ``ImageInputs(scaling="standard")``. Statistics not given are
    computed from ``x``; to treat validation and test images like the training images,
    compute them once on the training images and pass them in.

    Args:
        x: images (N, C, H, W), or grey (N, H, W) read as (N, 1, H, W).
        mean, std: one number, or one per channel (C,); std must be > 0.

    Example:
        >>> mean, std = channel_statistics(train_images)  # doctest: +SKIP
        >>> test_input = normalise_images(test_images, mean, std)  # doctest: +SKIP
    """
    images = _as_nchw(x, "normalise_images")
    channels = images.shape[1]
    mean = channel_statistics(images)[0] if mean is None else _per_channel("mean", mean, channels)
    std = channel_statistics(images)[1] if std is None else _per_channel("std", std, channels)
    if np.any(std <= 0):
        raise ParameterError(message("std", "normalise_images", "positive numbers (> 0)", std.tolist()))
    return (images.astype(np.float64) - mean[:, None, None]) / std[:, None, None]


def _as_nchw(x, owner: str) -> np.ndarray:
    images = np.asarray(x)
    if images.dtype.kind not in "biuf":
        raise DataError(message("x", owner, "numeric pixel values", f"dtype {images.dtype}"))
    if images.ndim == 3:
        images = images[:, None, :, :]
    if images.ndim != 4 or len(images) == 0:
        raise DataError(message("x", owner, "a non-empty batch of images (N, C, H, W) or grey (N, H, W)",
                                f"an array of shape {np.shape(x)}"))
    return images


def _per_channel(name: str, value, channels: int) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64).reshape(-1)
    if array.size == 1:
        array = np.repeat(array, channels)
    if array.size != channels or not np.all(np.isfinite(array)):
        raise ParameterError(message(name, "normalise_images", f"one finite number or {channels} (one per channel)",
                                     value))
    return array
