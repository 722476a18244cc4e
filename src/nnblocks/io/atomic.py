"""Atomic file writes: a reader sees the old file or the new one, never half of one.

The recipe, used by every file nnblocks writes:

1. write the data to a temporary file *in the same directory* (``os.replace`` is
   only atomic within one file system, and the same directory guarantees that);
2. ``flush`` and ``os.fsync`` it, so the bytes are on disk before the rename;
3. ``os.replace`` it over the target: one atomic step on POSIX and Windows;
4. ``fsync`` the directory where the OS allows, so the rename itself survives a
   power cut.

If anything fails, the temporary file is removed and the old file is untouched.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.validation import message

# mkstemp creates files readable only by their owner (0o600). A model file should get the
# same permissions as any other file the user creates, so apply the process umask instead.
# Reading the umask means setting it; doing it once at import keeps that out of every write.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path.

    Example:
        >>> atomic_write_bytes("out.bin", b"hello")  # doctest: +SKIP
    """
    path = Path(path)
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ParameterTypeError(message("data", "atomic_write_bytes", "bytes", type(data).__name__,
                                         "encode text first, or use atomic_write_text."))
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o666 & ~_UMASK)
        os.replace(temporary, path)
    except BaseException:
        # BaseException too: a Ctrl-C mid-write must not leave a stray temp file behind.
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(path.parent)
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (newlines are written as given)."""
    if not isinstance(text, str):
        raise ParameterTypeError(message("text", "atomic_write_text", "a str", type(text).__name__))
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: object) -> Path:
    """Write ``obj`` as indented JSON (keys in insertion order) to ``path`` atomically.

    NumPy scalars and arrays are converted to plain numbers and lists. NaN and
    infinity are refused with the location of the bad value, because JSON has no
    such numbers and Python's default would write the non-standard token ``NaN``.
    """
    plain = to_plain_json(obj, "obj", "atomic_write_json")
    text = json.dumps(plain, indent=2, allow_nan=False, ensure_ascii=False)
    return atomic_write_text(path, text + "\n")


def to_plain_json(value: object, name: str, owner: str, where: str = "") -> object:
    """Return ``value`` as plain JSON data (dict/list/str/int/float/bool/None) or raise.

    ``name`` and ``owner`` go into the error message; ``where`` tracks the position
    inside nested data (``['train']['loss']``) so the user can find the bad value.
    """
    if isinstance(value, np.generic):
        value = value.item()  # np.float32(0.5) -> 0.5, np.int64(3) -> 3, np.str_ -> str
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ParameterError(message(name, owner, "plain JSON data with finite numbers", value,
                                         f"the value at {name}{where} is not finite; JSON cannot store "
                                         "NaN or infinity. Replace it with a finite number or None."))
        return float(value)
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                # json.dumps would silently turn 1 into "1" and the data would not round-trip.
                raise ParameterTypeError(message(name, owner, "a dict with str keys", key,
                                                 f"the key at {name}{where} is not a str; convert keys "
                                                 "to str before saving."))
            result[key] = to_plain_json(item, name, owner, f"{where}[{key!r}]")
        return result
    if isinstance(value, (list, tuple)):
        return [to_plain_json(item, name, owner, f"{where}[{index}]") for index, item in enumerate(value)]
    raise ParameterTypeError(message(name, owner, "plain JSON data (dict, list, str, number, bool, None)",
                                     type(value).__name__, f"the value at {name}{where} cannot be "
                                     "stored in JSON; convert it to one of those types."))


def _fsync_directory(directory: Path) -> None:
    """Flush a directory entry to disk; a no-op where the OS does not allow it (Windows)."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the data file itself is synced
    finally:
        os.close(descriptor)
