"""Files on disk: model folders, checkpoints, run folders — all atomic, none pickled.

A model is ``model.json`` (what it is) + ``model.safetensors`` (its weights). Every
write goes through a temporary file and ``os.replace``, so a crash never leaves a
half-written file; every read treats the file as untrusted and raises ModelFileError.
"""

from nnblocks.io.atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from nnblocks.io.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from nnblocks.io.model_files import load_model_files, save_model_files
from nnblocks.io.run_folder import read_history_csv, read_metrics_json, write_history_csv, write_metrics_json

__all__ = [
    "Checkpoint",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "load_checkpoint",
    "load_model_files",
    "read_history_csv",
    "read_metrics_json",
    "save_checkpoint",
    "save_model_files",
    "write_history_csv",
    "write_metrics_json",
]
