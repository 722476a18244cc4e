"""Read a folder of pictures sorted into one subfolder per class (torchvision's ImageFolder layout).

    root/
      cats/   001.png  002.jpg ...
      dogs/   a.jpeg   b.png   ...

Class names are the subfolder names in sorted order (so "10" comes before "2"; pad
numbers with zeros to keep them in order), and label k is the k-th name. Within a class
the files are read in sorted order. Hidden files and folders (names starting with ".")
are skipped, and so are files whose extension is not listed and anything nested deeper
than one level. Each picture is opened with pillow, turned upright from its EXIF
orientation, converted to grey ("L") or colour ("RGB", dropping any alpha channel), and
resized if ``size`` is given. The result is uint8 (N, C, H, W), unscaled.

Pillow's guard against decompression bombs (``Image.MAX_IMAGE_PIXELS``, about 89
million pixels) stays on, and its warning counts as an error here: a picture that large
in a training set is a mistake or an attack.
"""

from __future__ import annotations

import struct
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from nnblocks.data.dataset import Dataset
from nnblocks.data.images import image_dataset
from nnblocks.errors import DataError, ParameterError, ParameterTypeError
from nnblocks.validation import check_integer, message

OWNER = "read_image_folder"
DEFAULT_EXTENSIONS = (".png", ".jpg", ".jpeg")


def read_image_folder(root: str | Path, size: tuple[int, int] | None = None, grey: bool = False,
                      extensions: Sequence[str] = DEFAULT_EXTENSIONS) -> Dataset:
    """Every picture under ``root/<class>/``, labelled by its folder, as a Dataset.

    Args:
        root: the folder holding one subfolder per class (at least two).
        size: (height, width) to resize every picture to (bilinear, antialiased); None keeps
            the pictures' own size, which must then be the same for all of them.
        grey: True reads one grey channel, False three colour channels (RGB).
        extensions: the file endings read, matched case-insensitively (".PNG" counts as ".png").

    Returns:
        A Dataset with ``x`` uint8 (N, C, H, W) (C is 1 when grey, else 3), ``y`` int64
        labels 0..K-1, ``class_names`` the K folder names, empty ``feature_names``.

    Raises:
        DataError: ``root`` is missing or not a folder or has fewer than two class folders;
            a class folder holds no pictures; a picture is unreadable, damaged or too
            large (decompression-bomb guard); sizes differ while ``size`` is None. Each
            message names the folder or file.
        ParameterError / ParameterTypeError: a bad ``size`` or ``extensions``.

    Example:
        >>> data = read_image_folder("xrays", size=(64, 64), grey=True)  # doctest: +SKIP
        >>> data.x.shape, data.class_names  # doctest: +SKIP
        ((230, 1, 64, 64), ['normal', 'pneumonia'])
    """
    root = Path(root)
    size = _check_size(size)
    extensions = _check_extensions(extensions)
    folders = _class_folders(root)
    mode = "L" if grey else "RGB"
    images, labels, first = [], [], None
    for label, folder in enumerate(folders):
        for file in _image_files(folder, extensions):
            pixels = _load(file, mode, size)  # (H, W) or (H, W, 3)
            if first is None:
                first = (file, pixels.shape[:2])
            elif pixels.shape[:2] != first[1]:
                raise DataError(f"The picture {file} is {_hw(pixels.shape)} but {first[0]} is {_hw(first[1])}; "
                                "without size=(H, W) every picture must have the same size. Fix: pass "
                                f"size={first[1]} (or another (height, width)) to resize them all.")
            images.append(pixels)
            labels.append(label)
    x = np.stack(images)
    x = x[:, None, :, :] if grey else np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    return image_dataset(x, np.asarray(labels, dtype=np.int64), [folder.name for folder in folders],
                         root.resolve().name, f"the class folders of {root}")


def _class_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        what = "is a file" if root.exists() else "does not exist"
        raise DataError(message("root", OWNER, "a folder holding one subfolder of pictures per class",
                                f"{root} ({what})", f"check the spelling; relative paths start from {Path.cwd()}."))
    folders = sorted((child for child in root.iterdir() if child.is_dir() and not child.name.startswith(".")),
                     key=lambda child: child.name)
    if len(folders) < 2:
        loose = [child.name for child in root.iterdir() if child.is_file() and not child.name.startswith(".")]
        found = (f"it has {len(folders)} subfolder(s) ({', '.join(folder.name for folder in folders) or 'none'}) "
                 f"and {len(loose)} loose file(s)")
        raise DataError(f"The image folder {root} needs one subfolder per class, at least two; {found}. Fix: "
                        "move each class's pictures into its own subfolder, e.g. root/cats/*.png and "
                        "root/dogs/*.png; the folder names become the class names.")
    return folders


def _image_files(folder: Path, extensions: tuple[str, ...]) -> list[Path]:
    files = sorted((child for child in folder.iterdir() if child.is_file() and not child.name.startswith(".")),
                   key=lambda child: child.name)
    pictures = [file for file in files if file.suffix.lower() in extensions]
    if not pictures:
        others = f"it holds {len(files)} other file(s), e.g. {', '.join(f.name for f in files[:3])}" if files \
            else "it is empty"
        raise DataError(f"The class folder {folder} holds no pictures ({', '.join(extensions)}); {others}. Fix: "
                        "add pictures, remove the folder, or pass extensions=(...) naming the file endings used.")
    return pictures


def _load(file: Path, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    """One picture as uint8 (H, W) for "L" or (H, W, 3) for "RGB"."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as image:
                picture = ImageOps.exif_transpose(image).convert(mode)
        if size is not None:  # pillow sizes are (width, height); ours are (height, width) like the arrays
            picture = picture.resize((size[1], size[0]), Image.Resampling.BILINEAR)
        return np.asarray(picture, dtype=np.uint8)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise DataError(f"The picture {file} is too large to be read safely ({error}). Pillow refuses pictures "
                        f"over {Image.MAX_IMAGE_PIXELS:,} pixels as possible decompression bombs. Fix: shrink it "
                        "with an image editor, or remove it from the folder.") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as error:  # UnidentifiedImageError is an OSError
        raise DataError(f"The picture {file} could not be read ({error}). It is damaged, empty or not a picture "
                        "despite its name. Fix: open it in an image viewer; re-save or remove it.") from None


def _check_size(size) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (str, bytes)) or not isinstance(size, Sequence) or len(size) != 2:
        raise ParameterTypeError(message("size", OWNER, "None or a pair (height, width) of positive integers",
                                         size))
    return (check_integer("size[0] (height)", size[0], OWNER, minimum=1),
            check_integer("size[1] (width)", size[1], OWNER, minimum=1))


def _check_extensions(extensions) -> tuple[str, ...]:
    if isinstance(extensions, str):
        extensions = (extensions,)
    if not isinstance(extensions, Sequence):
        raise ParameterTypeError(message("extensions", OWNER, "a tuple of file endings such as ('.png', '.jpg')",
                                         extensions))
    checked = tuple(extension.lower() if extension.startswith(".") else "." + extension.lower()
                    for extension in extensions if isinstance(extension, str) and extension.strip("."))
    if not checked or len(checked) != len(tuple(extensions)):
        raise ParameterError(message("extensions", OWNER, "file endings such as ('.png', '.jpg')", extensions))
    return checked


def _hw(shape) -> str:
    return f"{shape[0]} x {shape[1]} (height x width)"
