"""Callbacks that watch one value in the epoch logs: EarlyStopping and ModelCheckpoint.

``MonitoringCallback`` is their shared base (``lr_callbacks.ReduceLROnPlateau`` uses it too):
it resolves ``mode`` and warns once when the watched value is missing from the logs.
"""

from __future__ import annotations

import os
import warnings

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.training.callbacks import Callback, is_improvement, resolve_mode
from nnblocks.validation import check_integer, check_number, message


class MonitoringCallback(Callback):
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


class EarlyStopping(MonitoringCallback):
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


class ModelCheckpoint(MonitoringCallback):
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
