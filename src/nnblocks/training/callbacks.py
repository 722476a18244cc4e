"""Callbacks: small objects the fit loop calls at fixed points of training.

Names and semantics follow Keras 3 (``keras/src/callbacks``). The loop calls, in order::

    set_model(model); set_params({"epochs", "steps", "verbose"})
    on_train_begin -> (on_epoch_begin -> on_batch_end ... -> on_epoch_end) ... -> on_train_end

``logs`` at epoch end is one flat dict: ``{"loss", "accuracy", ..., "val_loss", ..., "learning_rate"}``.
Epochs count from 0 here; anything written for a person says ``epoch + 1``.
A callback asks training to stop by setting ``model.stop_training = True``; it never raises to stop.
"""

from __future__ import annotations

import csv
import math
import os
import warnings

import numpy as np

from nnblocks.errors import DataError, ParameterError, ParameterTypeError
from nnblocks.validation import check_choice, check_integer, check_number, message

# Metric names where bigger is better; everything else (loss, mae, rmse, ...) is "min".
_MAXIMISED = ("accuracy", "auc", "r2")


def resolve_mode(monitor: str, mode: str, owner: str) -> str:
    """Return "min" or "max" for ``monitor``; "auto" picks "max" for accuracy/auc/r2 names."""
    mode = check_choice("mode", mode, ("auto", "min", "max"), owner)
    if mode != "auto":
        return mode
    return "max" if any(word in monitor.lower() for word in _MAXIMISED) else "min"


def is_improvement(current: float, best: float | None, mode: str, min_delta: float = 0.0) -> bool:
    """True when ``current`` beats ``best`` by more than ``min_delta`` (NaN never improves)."""
    if best is None:
        return not math.isnan(current)
    return current - min_delta > best if mode == "max" else current + min_delta < best


class Callback:
    """Base class: every hook does nothing, so subclasses override only what they need."""

    model = None
    params: dict = {}  # replaced (never mutated) by set_params, so the shared default is safe

    def set_model(self, model):
        self.model = model

    def set_params(self, params: dict):
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_epoch_begin(self, epoch: int, logs=None): ...
    def on_batch_end(self, batch: int, logs=None): ...
    def on_epoch_end(self, epoch: int, logs=None): ...
    def on_train_end(self, logs=None): ...


class CallbackList:
    """Holds callbacks and forwards each hook to all of them, in order."""

    def __init__(self, callbacks=None, model=None, params: dict | None = None):
        self.callbacks: list[Callback] = []
        for callback in callbacks or []:
            self.append(callback)
        if model is not None:
            self.set_model(model)
        if params is not None:
            self.set_params(params)

    def append(self, callback: Callback) -> None:
        if not isinstance(callback, Callback):
            raise ParameterTypeError(message("callbacks", "fit", "a list of Callback objects", callback,
                                             "subclass nnblocks.training.callbacks.Callback."))
        self.callbacks.append(callback)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def _each(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def set_model(self, model): self._each("set_model", model)
    def set_params(self, params: dict): self._each("set_params", params)
    def on_train_begin(self, logs=None): self._each("on_train_begin", logs)
    def on_epoch_begin(self, epoch: int, logs=None): self._each("on_epoch_begin", epoch, logs)
    def on_batch_end(self, batch: int, logs=None): self._each("on_batch_end", batch, logs)
    def on_epoch_end(self, epoch: int, logs=None): self._each("on_epoch_end", epoch, logs)
    def on_train_end(self, logs=None): self._each("on_train_end", logs)


class History(Callback):
    """Records every epoch's logs. ``history[key][i]`` belongs to epoch ``epoch[i]`` (0-based).

    A key missing in some epoch (validation run only every few epochs) is recorded as NaN,
    so every list stays aligned with ``epoch``. ``stop_reason`` is set by the fit loop.
    """

    def __init__(self):
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.stop_reason: str | None = None

    def on_train_begin(self, logs=None):
        self.history, self.epoch = {}, []

    def on_epoch_end(self, epoch: int, logs=None):
        logs = logs or {}
        for key in logs:
            self.history.setdefault(key, [math.nan] * len(self.epoch))
        for key, values in self.history.items():
            values.append(float(logs.get(key, math.nan)))
        self.epoch.append(epoch)

    def best_epoch(self, monitor: str = "val_loss", mode: str = "auto") -> int:
        """Return the (0-based) epoch where ``monitor`` was best; NaN epochs are skipped."""
        if monitor not in self.history:
            raise ParameterError(message("monitor", "History.best_epoch", "one of the recorded keys "
                                         f"{sorted(self.history)}", monitor))
        values = np.asarray(self.history[monitor], dtype=float)
        if not np.isfinite(values).any():
            raise DataError(f"History has no finite value of {monitor!r} to choose a best epoch from.")
        values = np.where(np.isfinite(values), values, np.nan)
        pick = np.nanargmax if resolve_mode(monitor, mode, "History.best_epoch") == "max" else np.nanargmin
        return self.epoch[int(pick(values))]

    def __repr__(self):
        text = f"History(epochs={len(self.epoch)}, keys={sorted(self.history)}"
        if self.stop_reason:
            text += f", stop_reason={self.stop_reason!r}"
        return text + ")"


class _Monitoring(Callback):
    """Shared by callbacks that watch one value in the epoch logs and warn once when it is absent."""

    def __init__(self, monitor: str, mode: str, owner: str):
        if not isinstance(monitor, str) or not monitor:
            raise ParameterTypeError(message("monitor", owner, "a non-empty string such as 'val_loss'", monitor))
        self.monitor, self.mode = monitor, resolve_mode(monitor, mode, owner)
        self._owner, self._warned = owner, False

    def _current(self, logs) -> float | None:
        logs = logs or {}
        if self.monitor in logs:
            return float(logs[self.monitor])
        if not self._warned:  # once: a warning every epoch would bury the progress output
            self._warned = True
            warnings.warn(f"{self._owner} is watching {self.monitor!r}, which is not in the logs. Available "
                          f"keys: {sorted(logs)}. Fix: pass monitor= one of those (val_* needs validation data).",
                          UserWarning, stacklevel=3)
        return None


class EarlyStopping(_Monitoring):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    As in Keras 3: with ``baseline``, epochs that do not beat the baseline count towards patience;
    with ``restore_best_weights``, the best weights are put back at the end of training even if
    stopping never triggered; epochs before ``start_from_epoch`` are ignored (warm-up).
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, "EarlyStopping")
        self.min_delta = abs(check_number("min_delta", min_delta, "EarlyStopping"))
        self.patience = check_integer("patience", patience, "EarlyStopping", minimum=0)
        self.baseline = None if baseline is None else check_number("baseline", baseline, "EarlyStopping")
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = check_integer("start_from_epoch", start_from_epoch, "EarlyStopping", minimum=0)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best: float | None = None
        self.best_weights = None

    def on_epoch_end(self, epoch: int, logs=None):
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Keep something to restore even if no epoch ever improves (all NaN).
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if is_improvement(current, self.best, self.mode, self.min_delta):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or is_improvement(current, self.baseline, self.mode, self.min_delta):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    @property
    def reason(self) -> str | None:
        """A sentence for people when this callback stopped training, else None."""
        if not self.stopped_epoch:
            return None
        return (f"early stopping at epoch {self.stopped_epoch + 1}: {self.monitor} did not improve for "
                f"{self.wait} epochs (best {self.best:.6g} at epoch {self.best_epoch + 1})")


class ModelCheckpoint(_Monitoring):
    """Save the model with ``model.save(path)`` after each epoch, or only when ``monitor`` improves.

    ``path`` may hold ``str.format`` fields: ``{epoch}`` (1-based, e.g. ``"ckpt-{epoch:02d}"``) and
    any logs key (``"{val_loss:.3f}"``).
    """

    def __init__(self, path, monitor="val_loss", save_best_only=False, mode="auto"):
        super().__init__(monitor, mode, "ModelCheckpoint")
        self.path = os.fspath(path)
        self.save_best_only = bool(save_best_only)
        self.best: float | None = None
        self.last_saved: str | None = None

    def on_train_begin(self, logs=None):
        self.best = None

    def on_epoch_end(self, epoch: int, logs=None):
        logs = logs or {}
        if self.save_best_only:
            current = self._current(logs)
            if current is None or not is_improvement(current, self.best, self.mode):
                return
            self.best = current
        try:
            path = self.path.format(epoch=epoch + 1, **logs)
        except (KeyError, IndexError, ValueError) as exc:
            raise ParameterError(message("path", "ModelCheckpoint", "a path whose {fields} are 'epoch' or logs "
                                         f"keys {sorted(logs)}", self.path, f"fix the field ({exc}).")) from exc
        self.model.save(path)
        self.last_saved = path


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
