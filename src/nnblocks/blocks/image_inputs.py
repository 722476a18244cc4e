"""The Inputs block for images: a batch of pictures in, checked and scaled.

Tabular data goes through ``Inputs`` (named columns, derived features, one-hot). Images
have no named columns: what matters is their shape and their pixel range. ``ImageInputs``
learns the shape of one image, (channels, height, width), from the training data, checks
every later batch against it, and scales pixels:

    "unit":      x / 255                       (uint8 pictures to [0, 1])
    "standard":  (x − μ_c) / σ_c per channel c  (statistics of the training images only)
    None:        x as it is

Layout is NCHW, as in PyTorch, so a Flatten after the convolutions matches torch's order.
A batch of grey images shaped (N, H, W) is read as (N, 1, H, W).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnblocks.errors import DataError, NotFittedError, ParameterError
from nnblocks.validation import check_choice, message

IMAGE_SCALINGS = ("unit", "standard")


class ImageInputs:
    """Schema (C, H, W) and pixel scaling for image data.

    Example:
        >>> images = ImageInputs(scaling="unit").adapt(np.zeros((10, 28, 28), dtype=np.uint8))
        >>> images.transform(np.zeros((2, 28, 28))).shape
        (2, 1, 28, 28)
    """

    kind = "image"

    def __init__(self, scaling: str | None = "unit") -> None:
        self.scaling = None if scaling is None else check_choice("scaling", scaling, IMAGE_SCALINGS, "ImageInputs")
        self.shape: tuple[int, int, int] | None = None
        self.mean: np.ndarray | None = None   # (C,) per-channel statistics for "standard"
        self.std: np.ndarray | None = None

    @property
    def is_adapted(self) -> bool:
        return self.shape is not None

    @property
    def output_size(self) -> int:
        return int(np.prod(self.shape)) if self.shape else 0

    def adapt(self, x) -> "ImageInputs":
        """Learn the image shape (and per-channel statistics) from training images."""
        images = _as_images(x, "adapt")
        self.shape = tuple(int(size) for size in images.shape[1:])
        if self.scaling == "standard":
            self.mean = images.mean(axis=(0, 2, 3))
            self.std = images.std(axis=(0, 2, 3))
            self.std[self.std == 0] = 1.0  # a constant channel maps to 0 instead of dividing by zero
        return self

    def transform(self, x) -> np.ndarray:
        """Checked, scaled float64 images (N, C, H, W)."""
        if not self.is_adapted:
            raise NotFittedError("This ImageInputs block has not seen training images yet. Fix: call adapt(x) "
                                 "or fit the model first.")
        images = _as_images(x, "transform")
        if images.shape[1:] != self.shape:
            raise DataError(message("x", "ImageInputs.transform", f"images shaped (N, {', '.join(map(str, self.shape))}) "
                                    "like the training images", f"(N, {', '.join(map(str, images.shape[1:]))})",
                                    "resize or crop the images to the training size."))
        if self.scaling == "unit":
            return images / 255.0
        if self.scaling == "standard":
            return (images - self.mean[:, None, None]) / self.std[:, None, None]
        return images

    def forward(self, x, training: bool = False) -> np.ndarray:
        return self.transform(x)

    def get_config(self) -> dict[str, Any]:
        return {"kind": self.kind, "scaling": self.scaling, "shape": list(self.shape) if self.shape else None,
                "mean": None if self.mean is None else self.mean.tolist(),
                "std": None if self.std is None else self.std.tolist()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "ImageInputs":
        unknown = set(config) - {"kind", "scaling", "shape", "mean", "std"}
        if unknown:
            raise ParameterError(message("config", "ImageInputs", "the keys kind, scaling, shape, mean, std",
                                         sorted(unknown)))
        block = cls(config.get("scaling"))
        if config.get("shape") is not None:
            block.shape = tuple(int(size) for size in config["shape"])
        if config.get("mean") is not None:
            block.mean = np.asarray(config["mean"], dtype=np.float64)
            block.std = np.asarray(config["std"], dtype=np.float64)
        return block

    def __repr__(self) -> str:
        return f"ImageInputs(scaling={self.scaling!r})"


def _as_images(x, stage: str) -> np.ndarray:
    """x as float64 (N, C, H, W); (N, H, W) gains a channel axis; clear errors otherwise."""
    images = np.asarray(x)
    if images.dtype.kind not in "biuf":
        raise DataError(message("x", f"ImageInputs.{stage}", "numeric pixel values", f"dtype {images.dtype}",
                                "load images as numbers (uint8 or float)."))
    if images.ndim == 3:
        images = images[:, None, :, :]
    if images.ndim != 4:
        raise DataError(message("x", f"ImageInputs.{stage}", "images shaped (N, C, H, W) or grey (N, H, W)",
                                f"an array of shape {images.shape}", "stack images along the first axis."))
    if len(images) == 0:
        raise DataError(f"x has no images (0 rows) in ImageInputs.{stage}. Fix: pass at least one image.")
    images = images.astype(np.float64, copy=False)
    bad = ~np.isfinite(images)
    if bad.any():
        rows = np.flatnonzero(bad.reshape(len(images), -1).any(axis=1))
        raise DataError(f"x holds NaN or infinite pixels in {len(rows)} image(s), first at row {rows[0]} "
                        f"(ImageInputs.{stage}). Fix: drop or repair those images.")
    return images
