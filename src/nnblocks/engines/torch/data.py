"""Arrays as a torch Dataset and a seeded DataLoader, so images can be augmented on their way in.

    ArrayDataset(x, targets, transform)     example i -> (transform(x[i]), targets[i]) as tensors
    make_loader(x, targets, batch_size, shuffle, seed, transform, num_workers)
                                            a DataLoader whose order and augmentation repeat from ``seed``
    train_with_loader(engine, loader, epochs, validation)
                                            train a TorchEngine on the loader's batches

How the randomness is controlled: the loader's one ``torch.Generator`` (seeded with ``seed``)
drives a ``SeededSampler``, which, each epoch, draws the order (a permutation) and one seed per
example, and hands the dataset ``(index, seed)`` pairs. The dataset seeds a fresh generator
with that number for the example's transform. So a batch depends only on ``seed`` and the
epoch: not on ``num_workers``, not on torch's global random state (which is never used).

``x`` holds the model's inputs as the network takes them: images after ``ImageInputs``
(``model.inputs.transform(images)``: NCHW floats, [0, 1] with scaling "unit"). ``targets`` are
what the loss takes (``loss_targets`` below makes them from class codes).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from nnblocks.errors import DataError, ParameterError
from nnblocks.validation import check_integer, message

SEED_LIMIT = 2 ** 63 - 1  # per-example seeds are drawn below this (torch.Generator takes 64-bit seeds)


class ArrayDataset(Dataset):
    """In-memory examples as tensors; ``transform`` (e.g. augmentation) applied to each example's input.

    Args:
        x: inputs (N, ...), e.g. images (N, C, H, W); a NumPy array or tensor, converted once.
        targets: (N,) class indices (kept as int64) or (N, K) / (N,) float values.
        transform: called as ``transform(x[i], generator)``; None for none.
        dtype: the float type of the inputs (float32 by default, as torch models are).

    Indexing with ``(i, seed)`` (what ``SeededSampler`` yields) draws the transform's randomness
    from a generator seeded with ``seed``; a plain ``i`` uses torch's global stream.
    """

    def __init__(self, x, targets, transform=None, dtype: torch.dtype = torch.float32) -> None:
        inputs = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
        labels = torch.as_tensor(np.asarray(targets) if not isinstance(targets, torch.Tensor) else targets)
        if inputs.ndim == 0 or labels.ndim == 0 or len(inputs) != len(labels):
            examples = len(inputs) if inputs.ndim else 0
            raise DataError(message("targets", "ArrayDataset", f"one target per example ({examples} examples in x)",
                                    f"shape {tuple(labels.shape)}", "pass matching x and targets."))
        if transform is not None and not callable(transform):
            raise ParameterError(message("transform", "ArrayDataset", "a callable such as augmentation_from_names(...)"
                                         " or None", transform))
        self.x = inputs.to(dtype)
        self.targets = labels.to(torch.int64) if not labels.is_floating_point() else labels.to(dtype)
        self.transform = transform

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, key) -> tuple[torch.Tensor, torch.Tensor]:
        index, seed = key if isinstance(key, tuple) else (key, None)
        example = self.x[index]
        if self.transform is not None:
            generator = None if seed is None else torch.Generator().manual_seed(int(seed))
            example = self.transform(example, generator)
        return example, self.targets[index]


class SeededSampler(Sampler):
    """Yields ``(index, seed)`` for every example once per epoch, both drawn from ``generator``.

    The order is a permutation when ``shuffle`` (0, 1, 2, ... otherwise); the seed is the
    example's augmentation seed for this epoch.
    """

    def __init__(self, size: int, shuffle: bool, generator: torch.Generator) -> None:
        self.size, self.shuffle, self.generator = size, bool(shuffle), generator

    def __iter__(self):
        order = torch.randperm(self.size, generator=self.generator) if self.shuffle else torch.arange(self.size)
        seeds = torch.randint(SEED_LIMIT, (self.size,), generator=self.generator, dtype=torch.int64)
        return iter(zip(order.tolist(), seeds.tolist()))

    def __len__(self) -> int:
        return self.size


def make_loader(x, targets, batch_size: int, shuffle: bool = True, seed: int = 0, transform=None,
                num_workers: int = 0, drop_last: bool = False, dtype: torch.dtype = torch.float32) -> DataLoader:
    """A DataLoader over (x, targets) whose order and augmentation repeat exactly from ``seed``.

    Every example comes once per epoch (the last batch may be smaller unless ``drop_last``);
    each epoch draws a new order and new augmentations from the loader's generator.

    Example:
        >>> from nnblocks.engines.torch.augment import augmentation_from_names
        >>> augment = augmentation_from_names("flip,crop:4")
        >>> loader = make_loader(images, labels, 64, seed=0, transform=augment)  # doctest: +SKIP
        >>> inputs, targets = next(iter(loader))  # inputs (64, C, H, W) float32, augmented  # doctest: +SKIP
    """
    batch_size = check_integer("batch_size", batch_size, "make_loader", minimum=1)
    seed = check_integer("seed", seed, "make_loader", minimum=0)
    num_workers = check_integer("num_workers", num_workers, "make_loader", minimum=0)
    dataset = ArrayDataset(x, targets, transform, dtype)
    generator = torch.Generator().manual_seed(seed)
    # The loader is given the generator too: it draws its worker seeds from it rather than the global stream.
    return DataLoader(dataset, batch_size=batch_size, sampler=SeededSampler(len(dataset), shuffle, generator),
                      num_workers=num_workers, drop_last=drop_last, generator=generator)


def loss_targets(loss_task: str, codes) -> np.ndarray:
    """Targets as our losses take them: binary (N, 1) floats, multiclass (N,) int64 codes, regression (N, K) floats.

    ``codes`` are class numbers 0..K-1 (as every image reader returns) or regression values.
    """
    values = np.asarray(codes)
    if loss_task == "binary":
        return values.reshape(-1, 1).astype(np.float32)
    if loss_task == "multiclass":
        return values.reshape(-1).astype(np.int64)
    if loss_task == "regression":
        return values.reshape(len(values), -1).astype(np.float32)
    raise ParameterError(message("loss_task", "loss_targets", "'binary', 'multiclass' or 'regression'", loss_task))


def train_with_loader(engine, loader, epochs: int, validation: tuple | None = None) -> dict[str, list[float]]:
    """Train a TorchEngine on the batches ``loader`` gives, for ``epochs`` passes; return the per-epoch logs.

    The interim way to train on augmented batches: ``Sequential.fit`` slices arrays itself and
    has no per-batch transform. Uses the engine's public protocol only: ``start`` (the NumPy
    model's weights in), ``train_step``, ``finish`` (the trained weights back into the NumPy model).

    Args:
        engine: a TorchEngine (``TorchEngine(model, device=...)``).
        loader: yields (inputs, targets) batches, e.g. ``make_loader(...)``.
        validation: preprocessed (x, targets) evaluated after every epoch (``val_loss`` and metrics).

    Returns:
        ``{"loss": [...], "val_loss": [...], ...}``, one value per finished epoch. A non-finite
        loss stops training with a warning (the weights stay as they were after that step).
    """
    from nnblocks.training.evaluation import evaluate_arrays  # below the engines in the import order

    epochs = check_integer("epochs", epochs, "train_with_loader", minimum=1)
    logs: dict[str, list[float]] = {}
    engine.start()
    try:
        for epoch in range(epochs):
            total, seen = 0.0, 0
            for inputs, targets in loader:
                loss, _ = engine.train_step(inputs.numpy(), targets.numpy())
                if not math.isfinite(loss):
                    warnings.warn(f"Training stopped: the loss became {loss} in epoch {epoch + 1}. Lower the learning "
                                  f"rate (now {engine.optimizer.learning_rate:g}).", RuntimeWarning, stacklevel=2)
                    return logs
                total, seen = total + loss * len(inputs), seen + len(inputs)
            epoch_logs = {"loss": total / max(seen, 1)}
            if validation is not None:
                epoch_logs.update({f"val_{key}": value for key, value in evaluate_arrays(engine, *validation).items()})
            for key, value in epoch_logs.items():
                logs.setdefault(key, []).append(float(value))
    finally:
        engine.finish()
    return logs

