"""Read image archives in the MedMNIST .npz layout (PneumoniaMNIST, BloodMNIST, ... or your own).

The layout is six arrays in one NumPy ``.npz`` archive:

    train_images  (N, H, W) grey or (N, H, W, 3) colour, uint8     train_labels  (N, 1) or (N,) integers
    val_images    ...                                               val_labels    ...
    test_images   ...                                               test_labels   ...

and, optionally, ``class_names``: a 1-D array of strings, one per label.

The archive is opened with ``np.load(path, allow_pickle=False)``: an npz file can hold
pickled Python objects, and unpickling runs code, so an archive that needs pickle is
refused. Images come out NCHW: (N, 1, H, W) grey, (N, 3, H, W) colour. Multi-label
archives (ChestMNIST's (N, 14) labels) and 3-D volumes (OrganMNIST3D) are refused with a
message: one class per image, 2-D images.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from nnblocks.data.dataset import Dataset
from nnblocks.data.images import check_labels, choose_class_names, image_dataset
from nnblocks.errors import DataError
from nnblocks.validation import check_choice, message

SPLITS = ("train", "val", "test")
OWNER = "read_medmnist"
ZIP_MAGIC = b"PK"          # an .npz file is a zip archive of .npy files
NPY_MAGIC = b"\x93NUMPY"   # a single .npy array


def read_medmnist(path: str | Path, split: str = "train", class_names: list[str] | None = None) -> Dataset:
    """One split ("train", "val" or "test") of a MedMNIST-style archive, or "all" of them joined in that order.

    Args:
        path: the .npz archive, e.g. ``pneumoniamnist.npz``.
        split: "train", "val", "test" or "all".
        class_names: a name per label 0..K-1 (PneumoniaMNIST: ["normal", "pneumonia"]);
            by default the archive's ``class_names`` array, else "0".."K-1". K is counted
            over every split's labels, so all splits of one archive agree.

    Returns:
        A Dataset with ``x`` uint8 (N, C, H, W), ``y`` int64 (N,), empty ``feature_names``.

    Raises:
        DataError: the file is missing or not an npz archive, needs pickle, lacks keys
            (all missing ones are listed), or holds arrays of the wrong shape or type.
        ParameterError: an unknown ``split``.

    Example:
        >>> test = read_medmnist("pneumoniamnist.npz", "test", ["normal", "pneumonia"])  # doctest: +SKIP
        >>> test.x.shape  # doctest: +SKIP
        (624, 1, 28, 28)
    """
    split = check_choice("split", split, SPLITS + ("all",), OWNER)
    wanted = SPLITS if split == "all" else (split,)
    parts = _read_splits(Path(path), wanted, class_names, OWNER)
    if split != "all":
        return parts[split]
    x = np.concatenate([parts[name].x for name in SPLITS])
    y = np.concatenate([parts[name].y for name in SPLITS])
    first = parts["train"]
    return image_dataset(x, y, first.class_names, first.name.removesuffix("_train"),
                         f"all splits (train, val, test) of {Path(path).name}")


def read_medmnist_splits(path: str | Path, class_names: list[str] | None = None) -> dict[str, Dataset]:
    """The three splits of a MedMNIST-style archive: ``{"train": ..., "val": ..., "test": ...}``.

    Each is what ``read_medmnist(path, split)`` returns, and they share one list of class names.

    Example:
        >>> splits = read_medmnist_splits("pneumoniamnist.npz")  # doctest: +SKIP
        >>> {name: len(data) for name, data in splits.items()}  # doctest: +SKIP
        {'train': 3882, 'val': 524, 'test': 624}
    """
    return _read_splits(Path(path), SPLITS, class_names, "read_medmnist_splits")


def _read_splits(path: Path, wanted: tuple[str, ...], class_names, owner: str) -> dict[str, Dataset]:
    _check_archive_file(path, owner)
    # np.load is given an open file, not the path: when the zip is damaged, np.load raises
    # without closing a file it opened itself; one opened here is always closed.
    with path.open("rb") as handle, _load_archive(handle, path) as archive:
        keys = set(archive.files)
        missing = [f"{split}_{kind}" for split in wanted for kind in ("images", "labels")
                   if f"{split}_{kind}" not in keys]
        if missing:
            held = ", ".join(sorted(keys)) or "no arrays"
            raise DataError(f"{path} lacks the key(s) {', '.join(missing)}; it holds {held}. Fix: a MedMNIST-style "
                            "archive stores <split>_images and <split>_labels for the splits train, val and test; "
                            "save yours with np.savez(path, train_images=..., train_labels=..., ...).")
        labels = {split: _labels(archive, path, split) for split in SPLITS if f"{split}_labels" in keys}
        highest = max(int(codes.max(initial=0)) for codes in labels.values())
        if class_names is None and "class_names" in keys:
            class_names = [str(name) for name in _member(archive, path, "class_names").reshape(-1)]
        names = choose_class_names(highest, class_names, path.name, owner)
        parts = {}
        for split in wanted:
            images = _images(archive, path, split)
            if len(images) != len(labels[split]):
                raise DataError(f"In {path}, {split}_images holds {len(images)} images but {split}_labels holds "
                                f"{len(labels[split])} labels. Fix: save one label per image.")
            parts[split] = image_dataset(images, labels[split], names, f"{path.stem}_{split}",
                                         f"the {split} split of {path.name}")
    return parts


def _check_archive_file(path: Path, owner: str) -> None:
    """The path names a file that starts like a zip archive (checked first, so np.load never tries pickle)."""
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise DataError(message("path", owner, "the path of an existing .npz archive", f"{path} ({what})",
                                f"check the spelling; relative paths start from {Path.cwd()}."))
    with path.open("rb") as handle:
        start = handle.read(6)
    if start == NPY_MAGIC:
        raise DataError(f"{path} holds a single array (.npy), not an .npz archive of named arrays. Fix: save the "
                        "images and labels together with np.savez(path, train_images=..., train_labels=..., ...).")
    if not start.startswith(ZIP_MAGIC):
        raise DataError(f"{path} is not an .npz archive: it starts with the bytes {start.hex(' ') or '(none)'}, "
                        "not a zip header (50 4b). Fix: pass an archive written by np.savez or np.savez_compressed.")


def _load_archive(handle, path: Path) -> np.lib.npyio.NpzFile:
    try:
        return np.load(handle, allow_pickle=False)  # never unpickle: it would run code from the file
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise DataError(f"{path} could not be read as an .npz archive ({error}). Fix: pass an archive written by "
                        "np.savez or np.savez_compressed; if it was copied, copy it again.") from None


def _member(archive, path: Path, key: str) -> np.ndarray:
    try:
        return archive[key]
    except ValueError as error:  # "Object arrays cannot be loaded when allow_pickle=False"
        raise DataError(f"The array {key} in {path} could not be loaded without pickle ({error}). Fix: store plain "
                        "number (or, for class_names, string) arrays, not Python objects.") from None
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as error:
        raise DataError(f"The array {key} in {path} is damaged ({error}). Fix: copy or save the archive "
                        "again.") from None


def _images(archive, path: Path, split: str) -> np.ndarray:
    """(N, H, W) or (N, H, W, C) with C in (1, 3) → contiguous (N, C, H, W)."""
    key = f"{split}_images"
    images = _member(archive, path, key)
    if images.dtype.kind not in "biuf":
        raise DataError(f"{key} in {path} must hold numeric pixels. Got dtype {images.dtype} instead.")
    if images.ndim == 3:
        return images[:, None, :, :]
    if images.ndim == 4 and images.shape[-1] in (1, 3):
        return np.ascontiguousarray(images.transpose(0, 3, 1, 2))
    raise DataError(f"{key} in {path} must hold 2-D images, grey (N, H, W) or colour (N, H, W, 3). Got shape "
                    f"{images.shape} instead. Fix: 3-D volumes (MedMNIST3D) and other layouts are not supported; "
                    "store images channels-last as MedMNIST does.")


def _labels(archive, path: Path, split: str) -> np.ndarray:
    """(N, 1) or (N,) class codes → int64 (N,)."""
    key = f"{split}_labels"
    labels = _member(archive, path, key)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DataError(f"{key} in {path} must hold one class per image, shaped (N, 1) or (N,). Got shape "
                        f"{labels.shape} instead. Fix: multi-label archives (ChestMNIST's 14 findings) are not "
                        "supported; pick one column, e.g. labels[:, k:k + 1].")
    return check_labels(labels, f"{key} of {path.name}")
