"""Training checkpoints: a model folder plus the optimiser's state and the training position.

A checkpoint folder holds four files::

    model.json, model.safetensors   the model, exactly as save_model_files writes it
    optimizer.safetensors           optimiser state arrays (Adam moments, momentum buffers, ...)
    checkpoint.json                 epoch, step, learning rate, history so far + a manifest

``checkpoint.json`` is written last and is the commit record for the whole folder: it
holds the SHA-256 of ``model.json`` (which in turn holds the checksum of the weights)
and of ``optimizer.safetensors``. A crash part-way through a save therefore leaves a
folder that loading refuses, never one that resumes with mismatched pieces.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from nnblocks.errors import ModelFileError, ParameterTypeError
from nnblocks.io.atomic import atomic_write_json, to_plain_json
from nnblocks.io.model_files import (FLOAT_DTYPES, MODEL_JSON, MODEL_WEIGHTS, RESAVE, load_model_files,
                                     now_iso, prepare_tensors, read_document, read_tensor_file, require_file,
                                     require_key, resolve_folder, save_model_files, write_tensor_file)
from nnblocks.validation import message

CHECKPOINT_JSON = "checkpoint.json"
OPTIMIZER_WEIGHTS = "optimizer.safetensors"
CHECKPOINT_FORMAT = "nnblocks-checkpoint"
CHECKPOINT_VERSION = 1
# Optimiser state may hold counters (a step per parameter), so integers are allowed here.
OPTIMIZER_DTYPES = FLOAT_DTYPES + ("int32", "int64")
CHECKPOINT_HINT = ("A checkpoint folder holds model.json, model.safetensors, optimizer.safetensors and "
                   "checkpoint.json, as written by save_checkpoint.")


class Checkpoint(NamedTuple):
    """What load_checkpoint returns; unpacks like a tuple in save_checkpoint's order."""

    config: dict
    weights: dict[str, np.ndarray]
    optimizer_state: dict[str, np.ndarray]
    training_state: dict


def save_checkpoint(directory: str | os.PathLike, config: dict, weights: dict[str, np.ndarray],
                    optimizer_state: dict[str, np.ndarray], training_state: dict) -> Path:
    """Write a checkpoint folder atomically, file by file; return the folder.

    Args:
        directory: the checkpoint folder, created if needed.
        config, weights: as for save_model_files.
        optimizer_state: state name -> array (e.g. ``"0.weight.exp_avg"``), float or int.
        training_state: plain JSON data, e.g. ``{"epoch": 3, "step": 120,
            "learning_rate": 0.01, "history": {"loss": [...]}}``.

    Example:
        >>> save_checkpoint("runs/xor/checkpoint", config, weights, {}, {"epoch": 3})  # doctest: +SKIP
    """
    import nnblocks  # at call time: nnblocks/__init__ may import this module

    training_state = to_plain_json(training_state, "training_state", "save_checkpoint")
    if not isinstance(training_state, dict):
        raise ParameterTypeError(message("training_state", "save_checkpoint", "a dict",
                                         type(training_state).__name__))
    # Check the optimiser state before writing anything, so a bad argument changes no file.
    arrays, manifest = prepare_tensors(optimizer_state, "optimizer_state", "save_checkpoint", OPTIMIZER_DTYPES)
    folder = save_model_files(directory, config, weights)
    checksum = write_tensor_file(folder / OPTIMIZER_WEIGHTS, arrays)
    atomic_write_json(folder / CHECKPOINT_JSON, {
        "format": CHECKPOINT_FORMAT, "format_version": CHECKPOINT_VERSION,
        "nnblocks_version": nnblocks.__version__, "created": now_iso(),
        "model_json_sha256": _sha256(folder / MODEL_JSON),
        "optimizer": manifest, "optimizer_sha256": checksum, "training_state": training_state,
    })
    return folder


def load_checkpoint(directory: str | os.PathLike) -> Checkpoint:
    """Read and check a checkpoint folder; return a Checkpoint.

    ``directory`` may also be the path of ``checkpoint.json``. Raises ModelFileError
    for anything missing, corrupt, mismatched or hostile.
    """
    names = (CHECKPOINT_JSON, MODEL_JSON, MODEL_WEIGHTS, OPTIMIZER_WEIGHTS)
    folder = resolve_folder(directory, names, CHECKPOINT_HINT)
    paths = {name: require_file(folder, name, CHECKPOINT_HINT) for name in names}
    json_path = paths[CHECKPOINT_JSON]
    document = read_document(json_path, CHECKPOINT_FORMAT, CHECKPOINT_VERSION)
    model_checksum = require_key(document, "model_json_sha256", str, "a string", json_path)
    manifest = require_key(document, "optimizer", dict, "an object", json_path)
    optimizer_checksum = require_key(document, "optimizer_sha256", str, "a string", json_path)
    training_state = require_key(document, "training_state", dict, "an object", json_path)
    config, weights, _ = load_model_files(folder)
    if _sha256(paths[MODEL_JSON]) != model_checksum:
        raise ModelFileError(f"{paths[MODEL_JSON]} does not match {CHECKPOINT_JSON}: its SHA-256 checksum "
                             "differs, so the model and the checkpoint come from different saves (an "
                             f"interrupted save?) or one was changed. {RESAVE}")
    optimizer_state = read_tensor_file(paths[OPTIMIZER_WEIGHTS], manifest, optimizer_checksum,
                                       OPTIMIZER_DTYPES, json_path)
    return Checkpoint(config, weights, optimizer_state, training_state)


def _sha256(path: Path) -> str:
    # model.json has already passed the size limit in load_model_files, so reading it whole is safe.
    return hashlib.sha256(path.read_bytes()).hexdigest()
