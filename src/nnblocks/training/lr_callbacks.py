"""Keras-named callbacks that change the learning rate, driving ``nnblocks.optim.schedules``.

The schedules hold the rules (torch's formulas); these callbacks only connect them to the fit
loop under Keras' names and arguments, so there is one copy of each rule.
Both record the learning rate used in the epoch as ``logs["learning_rate"]`` unless it is there already.
"""

from __future__ import annotations

import inspect
import math
import numbers
from types import SimpleNamespace

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.optim import schedules
from nnblocks.training.callbacks import Callback
from nnblocks.training.monitoring import MonitoringCallback
from nnblocks.validation import check_choice, check_integer, check_number, message


def _record_learning_rate(model, logs) -> None:
    if logs is not None:
        logs.setdefault("learning_rate", float(model.optimizer.learning_rate))


class ReduceLROnPlateau(MonitoringCallback):
    """Lower the learning rate by ``factor`` when ``monitor`` stops improving (Keras' arguments).

    Keras' counting: the rate drops at the end of the ``patience``-th epoch in a row whose
    ``monitor`` did not beat the best by more than ``min_delta`` (an absolute margin); the
    ``cooldown`` epochs after a drop are ignored, and the rate never goes below ``min_lr``.
    Keras lowers one epoch sooner than torch counts ``patience`` and ``cooldown``, so this
    callback hands ``patience - 1`` and ``cooldown - 1`` to ``schedules.ReduceLROnPlateau``.

    Example:
        >>> ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3)   # doctest: +SKIP
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10, mode: str = "auto",
                 min_delta: float = 1e-4, cooldown: int = 0, min_lr: float = 0.0, verbose: bool = False) -> None:
        super().__init__(monitor, mode, "ReduceLROnPlateau")
        self.factor = check_number("factor", factor, "ReduceLROnPlateau", 0.0, strict_minimum=True)
        if self.factor >= 1.0:
            raise ParameterError(message("factor", "ReduceLROnPlateau", "a number in (0, 1)", factor,
                                         "the new rate is factor * old rate; 0.1 to 0.5 is usual."))
        self.patience = check_integer("patience", patience, "ReduceLROnPlateau", minimum=0)
        self.min_delta = check_number("min_delta", min_delta, "ReduceLROnPlateau", 0.0)
        self.cooldown = check_integer("cooldown", cooldown, "ReduceLROnPlateau", minimum=0)
        self.min_lr = check_number("min_lr", min_lr, "ReduceLROnPlateau", 0.0)
        self.verbose = bool(verbose)
        self.schedule: schedules.ReduceLROnPlateau | None = None

    def on_train_begin(self, logs=None):
        # A fresh count for every fit, as Keras resets on train begin.
        self.schedule = schedules.ReduceLROnPlateau(
            self.model.optimizer, mode=self.mode, factor=self.factor, patience=max(self.patience - 1, 0),
            threshold=self.min_delta, threshold_mode="abs", cooldown=max(self.cooldown - 1, 0),
            minimum_learning_rate=self.min_lr)

    def on_epoch_end(self, epoch: int, logs=None):
        _record_learning_rate(self.model, logs)  # the rate this epoch ran with, before any change
        current = self._current(logs)
        if current is None:
            return
        if self.schedule is None or self.schedule.optimizer is not self.model.optimizer:
            self.on_train_begin()  # driven without on_train_begin, or the model got a new optimiser
        if self.schedule.step(current) and self.verbose:
            print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to "
                  f"{float(self.model.optimizer.learning_rate):g}.")


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of every epoch from a schedule (Keras' callback).

    ``schedule`` is one of:
      * a function ``(epoch: int, learning_rate: float) -> float`` (epoch counts from 0), as in Keras;
      * a schedule name ("step", "exponential", "cosine") or class, with its arguments as keywords:
        ``LearningRateScheduler("cosine", max_epochs=50)``; it is built on the model's optimiser
        at the first ``on_train_begin`` (its base rate is the rate then);
      * a schedule object already built on the model's optimiser, e.g. ``StepLR(model.optimizer, 10)``.

    Schedules give the rate for epoch e as ``learning_rate_at(e)``, exactly the rate torch's
    scheduler sets after e calls of ``step()``. Combined with ReduceLROnPlateau, this callback
    wins: it sets the rate from its own formula every epoch.
    """

    def __init__(self, schedule, verbose: bool = False, **schedule_arguments) -> None:
        if isinstance(schedule, str) or (inspect.isclass(schedule) and issubclass(schedule, schedules.Schedule)):
            self._name_or_class = schedule
            if isinstance(schedule, str):  # "plateau" needs metrics: that is the other callback
                check_choice("schedule", schedule, ("step", "exponential", "cosine"), "LearningRateScheduler")
            self.schedule = None
        elif isinstance(schedule, schedules.Schedule) or callable(schedule):
            if isinstance(schedule, schedules.ReduceLROnPlateau):
                raise ParameterError(message("schedule", "LearningRateScheduler", "an epoch-driven schedule",
                                             schedule, "use the ReduceLROnPlateau callback for plateaus."))
            self._name_or_class, self.schedule = None, schedule
        else:
            raise ParameterTypeError(message("schedule", "LearningRateScheduler", "a function (epoch, learning_rate)"
                                             " -> learning_rate, a schedule name or a schedule object", schedule))
        if schedule_arguments and self._name_or_class is None:
            raise ParameterError(message("schedule_arguments", "LearningRateScheduler", "empty unless the schedule "
                                         "is given by name or class", sorted(schedule_arguments)))
        self.schedule_arguments = schedule_arguments
        self.verbose = bool(verbose)
        if self._name_or_class is not None:  # check the arguments now, not at the first epoch
            self._build(SimpleNamespace(learning_rate=1.0))

    def _build(self, optimizer) -> schedules.Schedule:
        if isinstance(self._name_or_class, str):
            return schedules.get_schedule(self._name_or_class, optimizer, **self.schedule_arguments)
        return self._name_or_class(optimizer, **self.schedule_arguments)

    def on_train_begin(self, logs=None):
        optimizer = self.model.optimizer
        if self._name_or_class is not None and (self.schedule is None or self.schedule.optimizer is not optimizer):
            self.schedule = self._build(optimizer)
        elif isinstance(self.schedule, schedules.Schedule) and self.schedule.optimizer is not optimizer:
            raise ParameterError(message("schedule", "LearningRateScheduler", "a schedule built on the model's "
                                         "optimiser", self.schedule, "build it with model.optimizer, or pass "
                                         "its name and arguments instead."))

    def on_epoch_begin(self, epoch: int, logs=None):
        if self.schedule is None:
            self.on_train_begin()  # driven by hand, without on_train_begin
        optimizer = self.model.optimizer
        if isinstance(self.schedule, schedules.Schedule):
            rate = self.schedule.learning_rate_at(epoch)
            self.schedule.epoch = epoch
        else:
            rate = self.schedule(epoch, float(optimizer.learning_rate))
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not math.isfinite(rate) or rate < 0:
            raise ParameterError(message("schedule", "LearningRateScheduler", "a function returning a finite "
                                         f"learning rate >= 0 (epoch {epoch} gave the value below)", rate))
        optimizer.learning_rate = float(rate)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(rate):g}.")

    def on_epoch_end(self, epoch: int, logs=None):
        _record_learning_rate(self.model, logs)
