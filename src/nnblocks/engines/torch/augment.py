"""Image augmentation for the torch path: random flips, crops and colour jitter of (C, H, W) tensors.

Each transform is a small object called as ``transform(image, generator)``: ``image`` is one
float tensor (C, H, W), ``generator`` the ``torch.Generator`` every random draw comes from.

    RandomHorizontalFlip(p)            with probability p, image[..., ::-1] (the width axis reversed)
    RandomCrop(size, padding, fill)    pad every side by ``padding`` with ``fill``, cut a size × size
                                       window at a uniformly drawn position (the content shifts by
                                       up to ``padding`` pixels; the size stays when size = H)
    ColourJitter(brightness, contrast) x·b, then (x − m)·c + m with b ~ U[1−brightness, 1+brightness],
                                       c ~ U[1−contrast, 1+contrast], m the image's mean grey level;
                                       clamped to ``value_range`` ([0, 1] by default)
    Compose([...])                     one after another, sharing the generator

How randomness is controlled: nothing here touches torch's global random state unless
``generator`` is None. ``make_loader`` (data.py) draws one seed per example per epoch from its
own seeded generator and hands each example a ``torch.Generator`` seeded with it, so the
augmented batches depend only on the loader's seed: the same with 0 or 8 worker processes,
different from epoch to epoch. (torchvision's transforms draw from the global stream instead;
these are written with plain torch ops, so torchvision is not needed.)

``augmentation_from_names(["flip", "crop:4", "jitter:0.2"])`` builds a Compose from short names,
for a command-line option such as ``--augment flip,crop:4,jitter:0.2``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch
import torch.nn.functional as F

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.validation import check_integer, check_number, message

LUMINANCE = (0.299, 0.587, 0.114)  # ITU-R 601 weights: the grey level of an RGB pixel


def _uniform(low: float, high: float, generator: torch.Generator | None) -> float:
    """One number drawn uniformly from [low, high)."""
    return low + (high - low) * float(torch.rand((), generator=generator))


def _check_image(image: torch.Tensor, owner: str) -> None:
    if not isinstance(image, torch.Tensor) or image.ndim != 3:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ParameterError(message("image", owner, "one image, a tensor shaped (C, H, W)", shape,
                                     "apply transforms to single images (ArrayDataset does), not to batches."))


class RandomHorizontalFlip:
    """Mirror the image left to right (the width axis, the last one) with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = check_number("p", p, "RandomHorizontalFlip", minimum=0.0, maximum=1.0)

    def __call__(self, image: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_image(image, "RandomHorizontalFlip")
        if float(torch.rand((), generator=generator)) < self.p:
            return image.flip(-1)
        return image

    def __repr__(self) -> str:
        return f"RandomHorizontalFlip(p={self.p:g})"


class RandomCrop:
    """Pad each side by ``padding`` pixels of ``fill``, then cut out a ``size`` window at a random place.

    Args:
        size: output (height, width), one int for a square, or None for the input's own size
            (so that padding + crop only shifts the content: CIFAR's "pad 4, crop 32").
        padding: pixels added on every side (0: a plain random crop, size must then be smaller).
        fill: the value of the added pixels (0: black in [0, 1] images; the mean after standardising).
    """

    def __init__(self, size: int | Sequence[int] | None = None, padding: int = 0, fill: float = 0.0) -> None:
        if size is None:
            self.size = None
        elif isinstance(size, int) and not isinstance(size, bool):
            self.size = (check_integer("size", size, "RandomCrop", minimum=1),) * 2
        elif isinstance(size, (tuple, list)) and len(size) == 2:
            self.size = tuple(check_integer(f"size[{index}]", value, "RandomCrop", minimum=1)
                              for index, value in enumerate(size))
        else:
            raise ParameterTypeError(message("size", "RandomCrop", "an int, a (height, width) pair or None", size))
        self.padding = check_integer("padding", padding, "RandomCrop", minimum=0)
        self.fill = check_number("fill", fill, "RandomCrop")

    def __call__(self, image: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_image(image, "RandomCrop")
        height, width = self.size or tuple(image.shape[1:])
        if self.padding:
            image = F.pad(image, (self.padding,) * 4, value=self.fill)       # (C, H + 2p, W + 2p)
        room_down, room_across = image.shape[1] - height, image.shape[2] - width
        if room_down < 0 or room_across < 0:
            padded = tuple(image.shape[1:])
            raise ParameterError(message("size", "RandomCrop", f"at most the padded image size {padded}",
                                         (height, width), "crop smaller, or pad more."))
        top = int(torch.randint(room_down + 1, (), generator=generator))
        left = int(torch.randint(room_across + 1, (), generator=generator))
        return image[:, top:top + height, left:left + width]

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding}, fill={self.fill:g})"


class ColourJitter:
    """Random brightness, then random contrast, each a factor drawn around 1.

    brightness b: x·b.   contrast c: (x − m)·c + m, m the mean grey level of the (brightened)
    image (for 3 channels the luminance 0.299 R + 0.587 G + 0.114 B, as torchvision).
    Factors come from U[max(0, 1 − amount), 1 + amount]; an amount of 0 leaves that part out
    (and draws nothing). The result is clamped to ``value_range``: (0, 1) suits images scaled
    by ``ImageInputs("unit")``; pass None for standardised images, which have no fixed range.
    """

    def __init__(self, brightness: float = 0.0, contrast: float = 0.0,
                 value_range: tuple[float, float] | None = (0.0, 1.0)) -> None:
        self.brightness = check_number("brightness", brightness, "ColourJitter", minimum=0.0)
        self.contrast = check_number("contrast", contrast, "ColourJitter", minimum=0.0)
        if value_range is not None:
            if not isinstance(value_range, (tuple, list)) or len(value_range) != 2 or \
                    not float(value_range[0]) < float(value_range[1]):
                raise ParameterError(message("value_range", "ColourJitter", "a (low, high) pair with low < high, "
                                             "or None", value_range))
            value_range = (float(value_range[0]), float(value_range[1]))
        self.value_range = value_range

    def __call__(self, image: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_image(image, "ColourJitter")
        if self.brightness:
            image = image * _uniform(max(0.0, 1 - self.brightness), 1 + self.brightness, generator)
        if self.contrast:
            factor = _uniform(max(0.0, 1 - self.contrast), 1 + self.contrast, generator)
            if image.shape[0] == 3:
                weights = torch.tensor(LUMINANCE, dtype=image.dtype, device=image.device)[:, None, None]
                mean = (image * weights).sum(dim=0).mean()
            else:
                mean = image.mean()
            image = (image - mean) * factor + mean
        if self.value_range is not None:
            image = image.clamp(*self.value_range)
        return image

    def __repr__(self) -> str:
        return (f"ColourJitter(brightness={self.brightness:g}, contrast={self.contrast:g}, "
                f"value_range={self.value_range})")


class Compose:
    """Apply transforms in order, all drawing from the one generator."""

    def __init__(self, transforms: Iterable) -> None:
        self.transforms = list(transforms)
        for index, transform in enumerate(self.transforms):
            if not callable(transform):
                raise ParameterTypeError(message(f"transforms[{index}]", "Compose", "a transform such as "
                                                 "RandomHorizontalFlip()", transform))

    def __call__(self, image: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        for transform in self.transforms:
            image = transform(image, generator)
        return image

    def __len__(self) -> int:
        return len(self.transforms)

    def __repr__(self) -> str:
        return f"Compose([{', '.join(repr(transform) for transform in self.transforms)}])"


# --- by name, for command lines -----------------------------------------------------------------------
# name -> (builder from its numbers, what the numbers mean)
AUGMENTATIONS = {
    "flip": (lambda numbers: RandomHorizontalFlip(*numbers), "flip or flip:P (probability, default 0.5)"),
    "crop": (lambda numbers: RandomCrop(None, *(int(number) for number in numbers)),
             "crop:PADDING (pad every side, crop back to the image size; default 4)"),
    "jitter": (lambda numbers: ColourJitter(numbers[0], numbers[1 if len(numbers) > 1 else 0]) if numbers
               else ColourJitter(0.2, 0.2),
               "jitter:AMOUNT or jitter:BRIGHTNESS:CONTRAST (default 0.2)"),
}
DEFAULT_NUMBERS = {"crop": (4,)}
MAXIMUM_NUMBERS = {"flip": 1, "crop": 1, "jitter": 2}


def augmentation_from_names(names: str | Iterable[str]) -> Compose:
    """A Compose from names such as ``["flip", "crop:4", "jitter:0.2"]`` (or the text "flip,crop:4,jitter:0.2").

    Names: ``flip[:P]``, ``crop[:PADDING]``, ``jitter[:AMOUNT]`` or ``jitter:BRIGHTNESS:CONTRAST``.

    Example:
        >>> augmentation_from_names("flip:0.3,crop:4")
        Compose([RandomHorizontalFlip(p=0.3), RandomCrop(size=None, padding=4, fill=0)])
    """
    if isinstance(names, str):
        names = [part for part in names.split(",") if part.strip()]
    transforms = []
    for entry in names:
        if not isinstance(entry, str):
            raise ParameterTypeError(message("names", "augmentation_from_names", "names such as 'flip' or 'crop:4'",
                                             entry))
        name, *texts = [part.strip() for part in entry.strip().lower().split(":")]
        if name not in AUGMENTATIONS:
            choices = "; ".join(description for _, description in AUGMENTATIONS.values())
            raise ParameterError(message("names", "augmentation_from_names", f"one of: {choices}", entry))
        try:
            numbers = tuple(float(text) for text in texts)
        except ValueError:
            numbers = None
        if numbers is None or len(numbers) > MAXIMUM_NUMBERS[name] or \
                (name == "crop" and any(number != int(number) for number in numbers)):
            raise ParameterError(message("names", "augmentation_from_names", AUGMENTATIONS[name][1], entry))
        transforms.append(AUGMENTATIONS[name][0](numbers or DEFAULT_NUMBERS.get(name, ())))
    return Compose(transforms)
