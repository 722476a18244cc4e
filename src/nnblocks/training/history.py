"""History: the callback that records every epoch's logs, which fit returns."""

from __future__ import annotations

import math

import numpy as np

from nnblocks.errors import DataError, ParameterError
from nnblocks.training.callbacks import Callback, resolve_mode
from nnblocks.validation import message


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

    def _repr_png_(self):
        """The training curves as PNG bytes, so a notebook shows a History as a plot."""
        # Imported here, not at the top: training sits below viz (viz draws fitted models and their
        # histories), and only notebooks call this, so plain training never loads matplotlib.
        from nnblocks.viz.curves import history_png
        return history_png(self)
