"""A progress bar over epochs, drawn with rich.

It shows the epoch count, elapsed/remaining time, ``loss``, the main metric and their ``val_``
twins. It redraws only at epoch end — never per batch — so it costs nothing in the hot loop.
When output is not a terminal (a log file, CI, a pipe) it switches itself off and prints nothing
at all, so logs are not filled with control codes.
"""

from __future__ import annotations

import math

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from nnblocks.training.callbacks import Callback

# The first of these found in the logs is shown next to the loss.
_MAIN_METRICS = ("accuracy", "roc_auc", "r2", "mae", "rmse")


def main_metric(logs: dict) -> str | None:
    """Name of the metric worth showing beside the loss, or None when only the loss is logged."""
    return next((name for name in _MAIN_METRICS if name in logs or f"val_{name}" in logs), None)


def summary(logs: dict) -> str:
    """``"loss 0.4123 · val_loss 0.4410 · accuracy 0.8125 · val_accuracy 0.7900"`` from epoch logs."""
    names = ["loss"]
    metric = main_metric(logs)
    if metric:
        names.append(metric)
    parts = []
    for name in names:
        for key in (name, f"val_{name}"):
            if key in logs:
                value = float(logs[key])
                parts.append(f"{key} {value:.4f}" if math.isfinite(value) else f"{key} {value}")
    return " · ".join(parts)


class ProgressDisplay(Callback):
    """Show training progress, one bar step per epoch.

    ``enabled``: None (default) shows it only when ``console`` is a terminal and the loop's
    ``params["verbose"]`` is not False; True forces it on (even into a file); False turns it off.
    ``console``: the rich Console to draw on (default: a new one on stdout).
    """

    def __init__(self, enabled: bool | None = None, console: Console | None = None):
        self.enabled = enabled
        self.console = console if console is not None else Console()
        self._progress: Progress | None = None
        self._task = None

    @property
    def active(self) -> bool:
        """Whether this run draws anything (decided from ``enabled``, the console and verbose)."""
        if self.enabled is not None:
            return bool(self.enabled)
        return self.console.is_terminal and self.params.get("verbose", True) is not False

    def on_train_begin(self, logs=None):
        if not self.active:
            return
        self._progress = Progress(
            TextColumn("[bold]epoch"), MofNCompleteColumn(), BarColumn(), TimeElapsedColumn(),
            TextColumn("<"), TimeRemainingColumn(), TextColumn("{task.fields[summary]}"),
            console=self.console, auto_refresh=False,  # no refresh thread: we redraw at epoch end only
        )
        self._task = self._progress.add_task("train", total=self.params.get("epochs"), summary="")
        self._progress.start()
        self._progress.refresh()

    def on_epoch_end(self, epoch: int, logs=None):
        if self._progress is None:
            return
        self._progress.update(self._task, completed=epoch + 1, summary=summary(logs or {}))
        self._progress.refresh()

    def on_train_end(self, logs=None):
        if self._progress is None:
            return
        self._progress.stop()  # leaves the final bar and numbers on screen
        self._progress = self._task = None
