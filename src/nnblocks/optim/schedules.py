"""Learning-rate schedules, with ``torch.optim.lr_scheduler``'s names and values.

A schedule holds an optimiser, remembers its learning rate at construction (the *base*
rate, lr₀), and is stepped once per epoch, after the epoch: ``schedule.step()`` (or
``step(metric)`` for ReduceLROnPlateau) sets ``optimizer.learning_rate`` for the next
epoch. The epoch-driven ones use torch's closed forms, so ``learning_rate_at(epoch)`` can be
asked for any epoch (a resumed run, a plot) without replaying the steps before it.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, ClassVar

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.validation import check_choice, check_integer, check_number, message


class Schedule:
    """Base class: ``step()`` moves to the next epoch and sets the optimiser's learning rate."""

    type_name: ClassVar[str] = "schedule"

    def __init__(self, optimizer) -> None:
        rate = getattr(optimizer, "learning_rate", None)
        if isinstance(rate, bool) or not isinstance(rate, numbers.Real):
            raise ParameterTypeError(message("optimizer", type(self).__name__, "an Optimizer (an object with a "
                                             "numeric learning_rate)", optimizer, "pass model.optimizer."))
        self.optimizer = optimizer
        self.base_learning_rate = float(rate)
        self.epoch = 0  # epochs stepped so far (torch's last_epoch)

    def step(self) -> None:
        """Call once at the end of every epoch."""
        self.epoch += 1
        self.optimizer.learning_rate = self.learning_rate_at(self.epoch)

    def learning_rate_at(self, epoch: int) -> float:
        """The learning rate for ``epoch`` (0 is the first), from the base rate."""
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        """Constructor arguments (without the optimiser) as JSON values, plus "type"."""
        return {"type": self.type_name}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items() if key != "type")
        return f"{type(self).__name__}({arguments})"


class StepLR(Schedule):
    """Multiply the rate by ``gamma`` every ``step_size`` epochs: lr = lr₀ · gamma^⌊epoch / step_size⌋."""

    type_name = "step"

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        self.step_size = check_integer("step_size", step_size, "StepLR", minimum=1)
        self.gamma = check_number("gamma", gamma, "StepLR", 0.0, strict_minimum=True)

    def learning_rate_at(self, epoch: int) -> float:
        return self.base_learning_rate * self.gamma ** (epoch // self.step_size)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "step_size": self.step_size, "gamma": self.gamma}


class ExponentialLR(Schedule):
    """Multiply the rate by ``gamma`` every epoch: lr = lr₀ · gamma^epoch."""

    type_name = "exponential"

    def __init__(self, optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = check_number("gamma", gamma, "ExponentialLR", 0.0, strict_minimum=True)

    def learning_rate_at(self, epoch: int) -> float:
        return self.base_learning_rate * self.gamma ** epoch

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gamma": self.gamma}


class CosineAnnealingLR(Schedule):
    """Half a cosine from lr₀ down to the minimum over ``max_epochs`` (torch's T_max and eta_min)::

        lr = minimum + (lr₀ - minimum) · (1 + cos(π · epoch / max_epochs)) / 2

    Past ``max_epochs`` the cosine goes on, rising back to lr₀ at 2·max_epochs, as in torch.
    """

    type_name = "cosine"

    def __init__(self, optimizer, max_epochs: int, minimum_learning_rate: float = 0.0) -> None:
        super().__init__(optimizer)
        self.max_epochs = check_integer("max_epochs", max_epochs, "CosineAnnealingLR", minimum=1)
        self.minimum_learning_rate = check_number("minimum_learning_rate", minimum_learning_rate,
                                                  "CosineAnnealingLR", 0.0)

    def learning_rate_at(self, epoch: int) -> float:
        low = self.minimum_learning_rate
        return low + (self.base_learning_rate - low) * (1.0 + math.cos(math.pi * epoch / self.max_epochs)) / 2.0

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "max_epochs": self.max_epochs,
                "minimum_learning_rate": self.minimum_learning_rate}


class ReduceLROnPlateau(Schedule):
    """Multiply the rate by ``factor`` when a metric has stopped improving (torch's rules exactly).

    After each epoch, ``step(metric)``:

        better = metric < best · (1 - threshold)   (mode "min", threshold_mode "rel")
                 metric < best - threshold         (mode "min", threshold_mode "abs")
                 metric > best · (1 + threshold)   (mode "max", "rel");  metric > best + threshold  ("max", "abs")
        bad_epochs = 0 if better (and best = metric) else bad_epochs + 1
        in cooldown (the ``cooldown`` epochs after a reduction): bad_epochs = 0
        if bad_epochs > patience:  lr = max(lr · factor, minimum_learning_rate), unless that changes lr
                                   by less than ``epsilon``; then start the cooldown, bad_epochs = 0
    """

    type_name = "plateau"

    def __init__(self, optimizer, mode: str = "min", factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_mode: str = "rel", cooldown: int = 0,
                 minimum_learning_rate: float = 0.0, epsilon: float = 1e-8) -> None:
        super().__init__(optimizer)
        owner = "ReduceLROnPlateau"
        self.mode = check_choice("mode", mode, ("min", "max"), owner)
        self.factor = check_number("factor", factor, owner, 0.0, strict_minimum=True)
        if self.factor >= 1.0:
            raise ParameterError(message("factor", owner, "a number in (0, 1)", factor, "0.1 to 0.5 is usual."))
        self.patience = check_integer("patience", patience, owner, minimum=0)
        self.threshold = check_number("threshold", threshold, owner, 0.0)
        self.threshold_mode = check_choice("threshold_mode", threshold_mode, ("rel", "abs"), owner)
        self.cooldown = check_integer("cooldown", cooldown, owner, minimum=0)
        self.minimum_learning_rate = check_number("minimum_learning_rate", minimum_learning_rate, owner, 0.0)
        self.epsilon = check_number("epsilon", epsilon, owner, 0.0)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def is_better(self, metric: float) -> bool:
        """Whether ``metric`` beats the best so far by more than the threshold."""
        if self.mode == "min":
            bar = self.best * (1.0 - self.threshold) if self.threshold_mode == "rel" else self.best - self.threshold
            return metric < bar
        bar = self.best * (1.0 + self.threshold) if self.threshold_mode == "rel" else self.best + self.threshold
        return metric > bar

    def step(self, metric: float) -> bool:  # type: ignore[override]
        """Record one epoch's metric; return True when the learning rate was lowered."""
        metric = float(metric)  # NaN never counts as better, so it counts as a bad epoch
        self.epoch += 1
        if self.is_better(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs right after a reduction do not count
        if self.num_bad_epochs <= self.patience:
            return False
        self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        old = float(self.optimizer.learning_rate)
        new = max(old * self.factor, self.minimum_learning_rate)
        if old - new > self.epsilon:
            self.optimizer.learning_rate = new
            return True
        return False

    def learning_rate_at(self, epoch: int) -> float:
        raise TypeError("ReduceLROnPlateau depends on the metrics seen, not on the epoch alone")

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode, "factor": self.factor, "patience": self.patience,
                "threshold": self.threshold, "threshold_mode": self.threshold_mode, "cooldown": self.cooldown,
                "minimum_learning_rate": self.minimum_learning_rate, "epsilon": self.epsilon}


SCHEDULES: dict[str, type[Schedule]] = {cls.type_name: cls
                                        for cls in (StepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau)}


def get_schedule(name: str, optimizer, **kwargs: Any) -> Schedule:
    """Build a schedule by name ("step", "exponential", "cosine", "plateau") for ``optimizer``."""
    cls = SCHEDULES[check_choice("schedule", name, SCHEDULES, "get_schedule")]
    return cls(optimizer, **kwargs)
