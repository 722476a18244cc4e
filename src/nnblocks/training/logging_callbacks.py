"""Callbacks that guard and record a run: TerminateOnNaN (stops on a NaN loss) and CSVLogger (a CSV row per epoch)."""

from __future__ import annotations

import csv
import math
import os

import numpy as np

from nnblocks.errors import ParameterError
from nnblocks.training.callbacks import Callback
from nnblocks.validation import message


class TerminateOnNaN(Callback):
    """Stop within one batch when the batch loss is NaN or infinite, and say why in ``reason``."""

    def __init__(self):
        self.reason: str | None = None
        self._epoch = 0

    def on_train_begin(self, logs=None):
        self.reason = None

    def on_epoch_begin(self, epoch: int, logs=None):
        self._epoch = epoch

    def on_batch_end(self, batch: int, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(loss):
            return
        learning_rate = getattr(getattr(self.model, "optimizer", None), "learning_rate", None)
        now = f" (now {float(learning_rate):g})" if learning_rate is not None else ""
        self.reason = (f"loss became {'NaN' if math.isnan(loss) else loss} at epoch {self._epoch + 1}, batch "
                       f"{batch + 1} — lower the learning rate{now} or check the data for extreme values")
        self.model.stop_training = True


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` (0-based, as in Keras) then the logs keys, sorted.

    Columns are fixed by the first epoch; a key missing later is written ``NA``. Each row is
    flushed so a crash keeps every finished epoch. ``append=True`` adds to an existing file
    (without a second header).
    """

    def __init__(self, path, separator=",", append=False):
        self.path = os.fspath(path)
        if not isinstance(separator, str) or len(separator) != 1:
            raise ParameterError(message("separator", "CSVLogger", "a single character", separator))
        self.separator, self.append = separator, bool(append)
        self.keys: list[str] | None = None
        self._file = self._writer = None

    def on_train_begin(self, logs=None):
        has_rows = self.append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        self._write_header = not has_rows
        self._file = open(self.path, "a" if self.append else "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, delimiter=self.separator, lineterminator="\n")
        self.keys = None

    def on_epoch_end(self, epoch: int, logs=None):
        logs = logs or {}
        if self._file is None:  # used without on_train_begin (driven by hand): open lazily
            self.on_train_begin()
        if self.keys is None:
            self.keys = sorted(logs)
            if self._write_header:
                self._writer.writerow(["epoch", *self.keys])
        self._writer.writerow([epoch, *(_cell(logs[key]) if key in logs else "NA" for key in self.keys)])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = self._writer = None


def _cell(value) -> str:
    # repr of a float round-trips exactly; numpy scalars become plain floats first.
    return repr(float(value)) if isinstance(value, (float, np.floating, int, np.integer)) else str(value)
