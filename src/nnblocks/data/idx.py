"""Read IDX files, the format of MNIST, Fashion-MNIST, KMNIST and EMNIST, plain or gzip-compressed.

An IDX file is a header and then the numbers, all big-endian (LeCun's MNIST page):

    bytes 0-1   0x00 0x00                      magic: two zero bytes
    byte  2     type code                      0x08 uint8, 0x09 int8, 0x0B int16,
                                               0x0C int32, 0x0D float32, 0x0E float64
    byte  3     D, the number of dimensions    3 for images (N, H, W), 1 for labels (N,)
    next 4·D    the size of each dimension     unsigned 32-bit integers
    the rest    the values, row-major          prod(sizes) × item size bytes, nothing after

The header is checked against the bytes that follow before any large array is made,
so a truncated download, a file of another kind or a header claiming terabytes fails
with a message instead of a crash or a silent, wrong array.
"""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nnblocks.data.dataset import Dataset
from nnblocks.data.images import check_labels, choose_class_names, image_dataset
from nnblocks.errors import DataError
from nnblocks.validation import check_integer, message

# type code -> (name, big-endian dtype of the stored values)
IDX_TYPES: dict[int, tuple[str, str]] = {
    0x08: ("uint8", ">u1"), 0x09: ("int8", ">i1"), 0x0B: ("int16", ">i2"),
    0x0C: ("int32", ">i4"), 0x0D: ("float32", ">f4"), 0x0E: ("float64", ">f8"),
}
MAXIMUM_DIMENSIONS = 16
MAXIMUM_BYTES = 4 * 1024**3  # 4 GiB; the largest IDX data set (EMNIST ByClass) is under 1 GiB
CHUNK_BYTES = 1 << 20        # read 1 MiB at a time, so memory grows only with data that is really there
GZIP_MAGIC = b"\x1f\x8b"


def read_idx(path: str | Path, max_bytes: int = MAXIMUM_BYTES) -> np.ndarray:
    """The array stored in the IDX file ``path`` (gzip-compressed or not), in native byte order.

    Args:
        path: an IDX file such as ``train-images-idx3-ubyte`` or ``train-labels-idx1-ubyte.gz``.
            Compression is recognised from the file's first bytes, not from its name.
        max_bytes: refuse files whose header describes more data than this (a guard
            against corrupt headers and decompression bombs).

    Returns:
        An array of the header's shape and type (uint8 (60000, 28, 28) for MNIST's
        training images).

    Raises:
        DataError: the file is missing, is not IDX (wrong magic number or unknown type code),
            is truncated or has bytes left over (the message gives the expected and actual
            byte counts), describes more than ``max_bytes``, or is a damaged gzip file.

    Example:
        >>> read_idx("train-labels-idx1-ubyte.gz").shape  # doctest: +SKIP
        (60000,)
    """
    path = Path(path)
    max_bytes = check_integer("max_bytes", max_bytes, "read_idx", minimum=1)
    _check_is_file(path)
    compressed = False
    try:
        with path.open("rb") as raw:
            compressed = raw.read(2) == GZIP_MAGIC
        with (gzip.open(path, "rb") if compressed else path.open("rb")) as handle:
            return _read_idx_stream(handle, path, compressed, max_bytes)
    except (OSError, EOFError, zlib.error) as error:  # gzip.BadGzipFile is an OSError
        if compressed:
            raise DataError(f"The gzip file {path} could not be decompressed ({error}). It is damaged or was cut "
                            "short. Fix: copy or download it again, or gunzip it to check.") from None
        raise DataError(f"The IDX file {path} could not be read ({error}). Fix: check its permissions and "
                        "that the disk is readable.") from None


def read_idx_dataset(images_path: str | Path, labels_path: str | Path,
                     class_names: list[str] | None = None) -> Dataset:
    """Images and labels from a pair of IDX files, as a Dataset.

    Args:
        images_path: IDX file of N images (N, H, W), e.g. ``train-images-idx3-ubyte.gz``.
        labels_path: IDX file of N integer labels (N,), e.g. ``train-labels-idx1-ubyte.gz``.
        class_names: the name of each label 0..K-1 (Fashion-MNIST: "T-shirt/top", ...);
            by default "0".."K-1", with K one more than the largest label.

    Returns:
        A Dataset with ``x`` the images exactly as stored ((N, H, W), uint8 for MNIST;
        not NCHW: ImageInputs adds the channel axis), ``y`` int64 labels, empty
        ``feature_names``, task "binary" or "multiclass".

    Raises:
        DataError: either file is unreadable (see ``read_idx``), the images are not 3-D,
            the labels not 1-D integers >= 0, or the two files hold different counts.

    Example:
        >>> data = read_idx_dataset("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")  # doctest: +SKIP
        >>> data.x.shape, data.class_names[:3]  # doctest: +SKIP
        ((60000, 28, 28), ['0', '1', '2'])
    """
    images_path, labels_path = Path(images_path), Path(labels_path)
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise DataError(message("images_path", "read_idx_dataset", "an IDX file of images (N, H, W), 3 dimensions",
                                f"{images_path.name} with shape {images.shape}",
                                "check the two paths are not swapped (the images file is the big one)."))
    if labels.ndim != 1:
        raise DataError(message("labels_path", "read_idx_dataset", "an IDX file of labels (N,), 1 dimension",
                                f"{labels_path.name} with shape {labels.shape}",
                                "check the two paths are not swapped (the labels file is the small one)."))
    if len(images) != len(labels):
        raise DataError(f"{images_path.name} holds {len(images)} images but {labels_path.name} holds {len(labels)} "
                        "labels. Fix: pair the images file with its own labels file (train with train, "
                        "t10k with t10k).")
    y = check_labels(labels, labels_path.name)
    names = choose_class_names(int(y.max(initial=0)), class_names, labels_path.name, "read_idx_dataset")
    name = images_path.name.removesuffix(".gz")
    return image_dataset(images, y, names, name, f"{images_path.name} and {labels_path.name}")


def _read_idx_stream(handle: BinaryIO, path: Path, compressed: bool, max_bytes: int) -> np.ndarray:
    """Parse the header, check it against the data that follows, and return the array."""
    where = f"{path} (decompressed)" if compressed else str(path)
    magic = handle.read(4)
    if len(magic) < 4:
        raise DataError(f"{where} holds {len(magic)} bytes; an IDX file starts with a 4-byte magic number. "
                        "Fix: the file is empty or cut short; copy or download it again.")
    if magic[:2] != b"\x00\x00":
        raise DataError(f"{where} is not an IDX file: its first bytes are {magic.hex(' ')}, expected 00 00 then a "
                        "type code and the number of dimensions. Fix: pass an IDX file such as "
                        "train-images-idx3-ubyte(.gz); for .npz archives use read_medmnist.")
    type_code, dimensions = magic[2], magic[3]
    if type_code not in IDX_TYPES:
        known = ", ".join(f"0x{code:02X} ({name})" for code, (name, _) in IDX_TYPES.items())
        raise DataError(f"{where} has the unknown IDX type code 0x{type_code:02X}; the codes are {known}. "
                        "Fix: check the file is IDX and not damaged.")
    if not 1 <= dimensions <= MAXIMUM_DIMENSIONS:
        raise DataError(f"{where} claims {dimensions} dimensions; an IDX file has 1 to {MAXIMUM_DIMENSIONS} "
                        "(3 for images, 1 for labels). Fix: check the file is IDX and not damaged.")
    size_bytes = handle.read(4 * dimensions)
    header_bytes = 4 + 4 * dimensions
    if len(size_bytes) < 4 * dimensions:
        raise DataError(f"{where} is truncated inside its header: expected {header_bytes} header bytes, "
                        f"got {4 + len(size_bytes)}. Fix: copy or download the file again.")
    shape = struct.unpack(f">{dimensions}I", size_bytes)
    type_name, stored = IDX_TYPES[type_code]
    data_bytes = math.prod(shape) * np.dtype(stored).itemsize  # Python ints: no overflow
    if data_bytes > max_bytes:
        raise DataError(f"{where} has a header describing {type_name} values of shape {shape}, {data_bytes:,} "
                        f"bytes, more than max_bytes={max_bytes:,}. Fix: the header is probably damaged; if the "
                        "file is genuine, pass a larger max_bytes.")
    expected = header_bytes + data_bytes
    if not compressed:  # the size on disk is known: check it before reading anything large
        _check_total(where, path.stat().st_size, expected, header_bytes, data_bytes, type_name, shape)
    data = bytearray()
    while len(data) < data_bytes:
        chunk = handle.read(min(CHUNK_BYTES, data_bytes - len(data)))
        if not chunk:
            break
        data += chunk
    extra = len(handle.read(CHUNK_BYTES))
    _check_total(where, header_bytes + len(data) + extra, expected, header_bytes, data_bytes, type_name, shape,
                 at_least=extra == CHUNK_BYTES)
    values = np.frombuffer(data, dtype=stored).reshape(shape)
    return values.astype(values.dtype.newbyteorder("="), copy=False)


def _check_total(where: str, actual: int, expected: int, header_bytes: int, data_bytes: int, type_name: str,
                 shape: tuple[int, ...], at_least: bool = False) -> None:
    if actual == expected:
        return
    described = (f"its header describes {type_name} values of shape {shape}, so the file should hold {expected:,} "
                 f"bytes ({header_bytes} of header + {data_bytes:,} of data)")
    if actual < expected:
        raise DataError(f"{where} is truncated: {described}, but it holds {actual:,} bytes. Fix: the copy or "
                        "download was cut short; fetch the file again.")
    raise DataError(f"{where} has bytes left over: {described}, but it holds {'at least ' if at_least else ''}"
                    f"{actual:,}. Fix: check the file is IDX and not damaged or two files joined together.")


def _check_is_file(path: Path) -> None:
    if not path.exists():
        raise DataError(message("path", "read_idx", "the path of an existing IDX file", str(path),
                                f"check the spelling; relative paths start from {Path.cwd()}."))
    if path.is_dir():
        found = sorted(child.name for child in path.iterdir() if "idx" in child.name)[:4]
        hint = f"pick a file inside it, e.g. {', '.join(found)}." if found else "pick an IDX file."
        raise DataError(message("path", "read_idx", "the path of an IDX file, not a folder", str(path), hint))
