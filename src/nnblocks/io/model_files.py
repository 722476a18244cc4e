"""Model files: ``model.json`` says what the model is, ``model.safetensors`` holds its weights.

Nothing here unpickles, imports or evaluates anything read from disk: JSON parses to
plain data and safetensors to plain arrays. Every file is treated as untrusted, and
each check raises a ModelFileError that names the file, the problem and the fix.

Write order and why. ``model.safetensors`` is written first and ``model.json`` last,
each atomically. ``model.json`` is the commit record: it lists every tensor's name,
shape and dtype and the SHA-256 of the weights file. A crash between the two writes
leaves the *old* JSON beside the *new* weights, and loading refuses that pair (the
checksum differs even when the shapes agree) instead of running a model whose config
and weights come from different saves.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from pathlib import Path

import numpy as np
import safetensors.numpy

from nnblocks.errors import ModelFileError, ParameterError, ParameterTypeError
from nnblocks.io.atomic import atomic_write_bytes, atomic_write_json, to_plain_json
from nnblocks.validation import message

MODEL_JSON = "model.json"
MODEL_WEIGHTS = "model.safetensors"
MODEL_FORMAT = "nnblocks-model"
FORMAT_VERSION = 1
MAX_JSON_BYTES = 16 * 1024 * 1024  # a config is kilobytes; refuse a huge file before parsing it
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the same limit safetensors applies to its own header
FLOAT_DTYPES = ("float16", "float32", "float64")
FOLDER_HINT = "A model folder holds model.json + model.safetensors, as written by save_model_files."
RESAVE = "Fix: save the model again, and always copy model.json and model.safetensors together."


def save_model_files(directory: str | os.PathLike, config: dict, weights: dict[str, np.ndarray],
                     metadata: dict | None = None) -> Path:
    """Write ``model.safetensors`` then ``model.json`` into ``directory``; return the folder.

    Args:
        directory: the model folder, created if needed.
        config: the network description (plain JSON data).
        weights: tensor name -> float array (float16/32/64, all finite).
        metadata: optional plain JSON data (class names, training summary, ...).

    Example:
        >>> save_model_files("runs/xor", {"layers": []}, {"0.weight": W})  # doctest: +SKIP
    """
    import nnblocks  # at call time: nnblocks/__init__ may import this module

    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise ParameterError(message("directory", "save_model_files", "a folder", str(folder),
                                     "that path is a file; choose a folder name."))
    config = to_plain_json(config, "config", "save_model_files")
    if not isinstance(config, dict):
        raise ParameterTypeError(message("config", "save_model_files", "a dict", type(config).__name__))
    metadata = to_plain_json(metadata, "metadata", "save_model_files")
    if metadata is not None and not isinstance(metadata, dict):
        raise ParameterTypeError(message("metadata", "save_model_files", "a dict or None", type(metadata).__name__))
    arrays, manifest = prepare_tensors(weights, "weights", "save_model_files", FLOAT_DTYPES)
    folder.mkdir(parents=True, exist_ok=True)  # only now: a bad argument creates nothing
    checksum = write_tensor_file(folder / MODEL_WEIGHTS, arrays)
    atomic_write_json(folder / MODEL_JSON, {
        "format": MODEL_FORMAT, "format_version": FORMAT_VERSION,
        "nnblocks_version": nnblocks.__version__, "created": now_iso(),
        "weights": manifest, "weights_sha256": checksum, "config": config, "metadata": metadata,
    })
    return folder


def load_model_files(directory: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray], dict]:
    """Read and check a model folder; return ``(config, weights, metadata)``.

    ``directory`` may also be the path of ``model.json`` itself. ``metadata`` is ``{}``
    when none was saved. Raises ModelFileError for anything missing, corrupt or hostile.
    """
    folder = resolve_folder(directory, (MODEL_JSON, MODEL_WEIGHTS), FOLDER_HINT)
    json_path = require_file(folder, MODEL_JSON, FOLDER_HINT)
    weights_path = require_file(folder, MODEL_WEIGHTS, FOLDER_HINT)
    document = read_document(json_path, MODEL_FORMAT, FORMAT_VERSION)
    manifest = require_key(document, "weights", dict, "an object", json_path)
    checksum = require_key(document, "weights_sha256", str, "a string", json_path)
    config = require_key(document, "config", dict, "an object", json_path)
    metadata = require_key(document, "metadata", (dict, type(None)), "an object or null", json_path)
    weights = read_tensor_file(weights_path, manifest, checksum, FLOAT_DTYPES, json_path)
    return config, weights, metadata or {}


def now_iso() -> str:
    """The current UTC time as ISO 8601, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def prepare_tensors(arrays: object, name: str, owner: str,
                    dtypes: tuple[str, ...]) -> tuple[dict[str, np.ndarray], dict]:
    """Check the ``name`` argument of ``owner``; return (C-contiguous arrays, manifest)."""
    if not isinstance(arrays, dict):
        raise ParameterTypeError(message(name, owner, "a dict of name -> NumPy array", type(arrays).__name__))
    prepared, manifest = {}, {}
    for key, array in arrays.items():
        if not isinstance(key, str) or not key or key == "__metadata__":  # __metadata__ is reserved
            raise ParameterError(message(name, owner, "a dict with non-empty str keys", key,
                                         "rename it ('__metadata__' is reserved by safetensors)."))
        array = np.asarray(array)
        if array.dtype.name not in dtypes:
            raise ParameterTypeError(message(f"{name}[{key!r}]", owner, "an array of dtype " + " or ".join(dtypes),
                                             str(array.dtype), f"convert it, e.g. array.astype('{dtypes[0]}')."))
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            raise ParameterError(message(f"{name}[{key!r}]", owner, "finite numbers", "NaN or infinity",
                                         "the model diverged; lower the learning rate or save an earlier state."))
        prepared[key] = np.require(array, requirements="C")  # np.require keeps 0-d arrays 0-d
        manifest[key] = {"shape": list(array.shape), "dtype": array.dtype.name}
    return prepared, manifest


def write_tensor_file(path: Path, arrays: dict[str, np.ndarray]) -> str:
    """Write arrays from prepare_tensors as safetensors, atomically; return the file's SHA-256."""
    data = safetensors.numpy.save(arrays)
    atomic_write_bytes(path, data)
    return hashlib.sha256(data).hexdigest()


def read_tensor_file(path: Path, manifest: dict, checksum: str, dtypes: tuple[str, ...],
                     json_path: Path) -> dict[str, np.ndarray]:
    """Read a safetensors file and check it against the manifest written in ``json_path``."""
    for name, entry in manifest.items():
        shape = entry.get("shape") if isinstance(entry, dict) else None
        if (not isinstance(shape, list) or not isinstance(entry.get("dtype"), str)
                or not all(type(size) is int and size >= 0 for size in shape)):
            raise ModelFileError(f"{json_path}: the manifest entry for tensor {name!r} must be "
                                 f"{{'shape': [sizes], 'dtype': name}}; got {short(entry)}. {RESAVE}")
        if entry["dtype"] not in dtypes:
            raise ModelFileError(f"{json_path}: tensor {name!r} has dtype {short(entry['dtype'])}; only "
                                 f"{', '.join(dtypes)} are allowed. {RESAVE}")
    data = path.read_bytes()
    # Check the 8-byte header length ourselves, so a header claiming 10**15 bytes is refused here.
    if len(data) < 8:
        raise ModelFileError(f"{path} is truncated: it has {len(data)} bytes, too few for even the "
                             f"8-byte header length. {RESAVE}")
    header_length = int.from_bytes(data[:8], "little")
    if header_length > min(len(data) - 8, MAX_HEADER_BYTES):
        raise ModelFileError(f"{path} is truncated or corrupt: its header claims {header_length} bytes "
                             f"but the whole file has {len(data)}. {RESAVE}")
    try:
        arrays = safetensors.numpy.load(data)
    except Exception as error:  # safetensors raises its own error types; any failure means a bad file
        raise ModelFileError(f"{path} is truncated or corrupt ({error}). {RESAVE}") from error
    missing, extra = sorted(set(manifest) - set(arrays)), sorted(set(arrays) - set(manifest))
    if missing or extra:
        raise ModelFileError(f"{path} does not match {json_path.name}: missing tensors {short(missing)}, "
                             f"unexpected tensors {short(extra)}. {RESAVE}")
    result = {}
    for name, entry in manifest.items():
        array = arrays[name]
        if list(array.shape) != entry["shape"] or array.dtype.name != entry["dtype"]:
            raise ModelFileError(f"{path} does not match {json_path.name}: tensor {name!r} is "
                                 f"{array.dtype.name} {list(array.shape)}, the manifest says "
                                 f"{entry['dtype']} {entry['shape']}. {RESAVE}")
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            count = int(array.size - np.isfinite(array).sum())
            raise ModelFileError(f"{path}: tensor {name!r} holds {count} NaN or infinite values; a model "
                                 "with such weights cannot predict. Fix: load an earlier checkpoint or "
                                 "retrain with a lower learning rate.")
        result[name] = array if array.flags.writeable else array.copy()  # training updates in place
    if hashlib.sha256(data).hexdigest() != checksum:
        raise ModelFileError(f"{path} does not match {json_path.name}: its SHA-256 checksum differs, so "
                             "the files come from different saves (an interrupted save?) or one was "
                             f"changed. {RESAVE}")
    return result


def resolve_folder(directory: object, file_names: tuple[str, ...], hint: str) -> Path:
    """Return the folder ``directory`` names; a path to one of ``file_names`` means its parent."""
    if not isinstance(directory, (str, os.PathLike)):
        raise ParameterTypeError(message("directory", "load", "a str or Path", type(directory).__name__))
    path = Path(directory)
    if path.name in file_names and path.is_file():
        path = path.parent
    if not path.exists():
        raise ModelFileError(f"The folder {path} does not exist. {hint} Fix: check the path.")
    if not path.is_dir():
        raise ModelFileError(f"{path} is a file, not a folder. {hint} Fix: pass the folder.")
    return path


def require_file(folder: Path, name: str, hint: str) -> Path:
    """Return ``folder / name`` or raise saying which file is missing."""
    path = folder / name
    if not path.is_file():
        raise ModelFileError(f"{folder} has no {name}. {hint} Fix: pass the folder that was saved, "
                             "with all its files.")
    return path


def read_document(path: Path, expected_format: str, supported_version: int) -> dict:
    """Read a JSON object from ``path`` and check its ``format`` and ``format_version``."""
    document = read_json_file(path)
    if not isinstance(document, dict):
        raise ModelFileError(f"{path} must hold a JSON object {{...}}; it holds a {type(document).__name__}. "
                             f"{RESAVE}")
    if document.get("format") != expected_format:
        raise ModelFileError(f"{path} is not a {expected_format} file: its 'format' is "
                             f"{short(document.get('format'))}. Fix: point at a folder written by nnblocks.")
    version = document.get("format_version")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"{path} has an invalid format_version {short(version)}. {RESAVE}")
    if version > supported_version:
        raise ModelFileError(f"{path} was written by a newer nnblocks ({short(document.get('nnblocks_version'))}, "
                             f"format version {version}); this one reads up to version {supported_version}. "
                             "Fix: upgrade nnblocks (pip install --upgrade nnblocks).")
    return document


def read_json_file(path: Path, fix: str = RESAVE) -> object:
    """Parse ``path`` as strict JSON: size-limited, no NaN tokens, no duplicate keys."""
    if path.stat().st_size > MAX_JSON_BYTES:
        raise ModelFileError(f"{path} is {path.stat().st_size} bytes, over the {MAX_JSON_BYTES}-byte limit "
                             "for a JSON file nnblocks writes; it is not one, or it was tampered with.")
    with open(path, "rb") as handle:
        raw = handle.read(MAX_JSON_BYTES + 1)  # the file may have grown since stat()
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant, object_pairs_hook=_no_duplicates)
    except ModelFileError as error:
        raise ModelFileError(f"{path}: {error} {fix}") from None
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}, column "
                             f"{error.colno}); it is truncated or was edited by hand. {fix}") from None
    except (ValueError, RecursionError) as error:  # bad UTF-8, a huge integer, absurd nesting
        raise ModelFileError(f"{path} cannot be read as JSON ({short(str(error))}). {fix}") from None


def require_key(document: dict, key: str, types: type | tuple, described: str, path: Path) -> object:
    """Return ``document[key]`` if present and of ``types``, else raise naming the key."""
    if key not in document:
        raise ModelFileError(f"{path} has no '{key}' entry; it is incomplete or was edited. {RESAVE}")
    value = document[key]
    if not isinstance(value, types):
        raise ModelFileError(f"{path}: the '{key}' entry must be {described}; got {type(value).__name__}. {RESAVE}")
    return value


def short(value: object, limit: int = 80) -> str:
    """A repr cut to ``limit`` characters, so hostile content cannot flood a message."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "...'"


def _refuse_constant(token: str) -> None:
    # Python's json accepts NaN/Infinity by default; nnblocks never writes them.
    raise ModelFileError(f"contains the non-standard JSON number {token}.")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    # With duplicate keys the last one wins silently; a reader could be shown one value, the loader another.
    result = {}
    for key, value in pairs:
        if key in result:
            raise ModelFileError(f"contains the key {short(key)} twice.")
        result[key] = value
    return result
