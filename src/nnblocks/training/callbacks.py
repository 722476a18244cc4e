"""Callbacks: small objects the fit loop calls at fixed points of training.

Names and semantics follow Keras 3 (``keras/src/callbacks``). The loop calls, in order::

    set_model(model); set_params({"epochs", "steps", "verbose"})
    on_train_begin -> (on_epoch_begin -> on_batch_end ... -> on_epoch_end) ... -> on_train_end

``logs`` at epoch end is one flat dict: ``{"loss", "accuracy", ..., "val_loss", ..., "learning_rate"}``.
Epochs count from 0 here; anything written for a person says ``epoch + 1``.
A callback asks training to stop by setting ``model.stop_training = True``; it never raises to stop.
"""

from __future__ import annotations

import math

from nnblocks.errors import ParameterTypeError
from nnblocks.validation import check_choice, message

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


# The concrete callbacks live in files of their own and are re-exported here, so
# ``from nnblocks.training.callbacks import History, EarlyStopping, ...`` keeps working.
# These imports sit at the bottom because those files import Callback and the mode helpers above.
from nnblocks.training.history import History  # noqa: E402
from nnblocks.training.logging_callbacks import CSVLogger, TerminateOnNaN  # noqa: E402
from nnblocks.training.monitoring import EarlyStopping, ModelCheckpoint, MonitoringCallback  # noqa: E402

__all__ = ["CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History", "ModelCheckpoint",
           "MonitoringCallback", "TerminateOnNaN", "is_improvement", "resolve_mode"]
