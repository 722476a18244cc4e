"""Our optimisers and schedules mapped onto ``torch.optim`` (nothing here is hand-written maths).

Our optimisers follow torch's formulas and keep torch's meaning for every hyper-parameter,
only under full-word names, so the mapping is a renaming:

    learning_rate -> lr     beta_1, beta_2 -> betas     epsilon -> eps
    learning_rate_decay -> lr_decay                     (the rest keep their names)

``TorchOptimizer`` wraps the torch optimiser with the one thing the training loop and its
callbacks use: a ``learning_rate`` property that reads and writes every param group's "lr".
``torch_scheduler`` turns one of our schedule objects into its ``torch.optim.lr_scheduler`` twin.
"""

from __future__ import annotations

from typing import Any

import torch
from torch.optim import lr_scheduler

from nnblocks.errors import ParameterTypeError
from nnblocks.optim import CosineAnnealingLR, ExponentialLR, Optimizer, ReduceLROnPlateau, StepLR, get_optimizer
from nnblocks.validation import message


def _sgd(parameters, c):
    return torch.optim.SGD(parameters, lr=c["learning_rate"], momentum=c["momentum"], dampening=c["dampening"],
                           nesterov=c["nesterov"], weight_decay=c["weight_decay"])


def _rmsprop(parameters, c):
    return torch.optim.RMSprop(parameters, lr=c["learning_rate"], alpha=c["alpha"], eps=c["epsilon"],
                               weight_decay=c["weight_decay"], momentum=c["momentum"], centered=c["centered"])


def _adagrad(parameters, c):
    return torch.optim.Adagrad(parameters, lr=c["learning_rate"], lr_decay=c["learning_rate_decay"],
                               weight_decay=c["weight_decay"],
                               initial_accumulator_value=c["initial_accumulator_value"], eps=c["epsilon"])


def _adam(kind):
    def build(parameters, c):
        return kind(parameters, lr=c["learning_rate"], betas=(c["beta_1"], c["beta_2"]), eps=c["epsilon"],
                    weight_decay=c["weight_decay"], amsgrad=c["amsgrad"])
    return build


TORCH_OPTIMIZERS = {"sgd": _sgd, "rmsprop": _rmsprop, "adagrad": _adagrad,
                    "adam": _adam(torch.optim.Adam), "adamw": _adam(torch.optim.AdamW)}


class TorchOptimizer:
    """A ``torch.optim`` optimiser built from one of ours, with our ``learning_rate`` property.

    Attributes:
        torch_optimizer: the torch optimiser itself (its param groups, state and state_dict).
        source: the nnblocks Optimizer it was built from.
    """

    def __init__(self, optimizer: "str | dict | Optimizer", parameters) -> None:
        self.source = get_optimizer(optimizer)
        self.type_name = self.source.type_name
        self.torch_optimizer = TORCH_OPTIMIZERS[self.type_name](list(parameters), self.source.get_config())

    @property
    def learning_rate(self) -> float:
        return float(self.torch_optimizer.param_groups[0]["lr"])

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        for group in self.torch_optimizer.param_groups:
            group["lr"] = float(value)

    def zero_grad(self) -> None:
        self.torch_optimizer.zero_grad(set_to_none=True)

    def step(self) -> None:
        self.torch_optimizer.step()

    def get_config(self) -> dict[str, Any]:
        """Our config (type and full-word hyper-parameters) with the current learning rate."""
        return {**self.source.get_config(), "learning_rate": self.learning_rate}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items() if key != "type")
        return f"TorchOptimizer({type(self.source).__name__}({arguments}))"


def torch_optimizer(optimizer: "str | dict | Optimizer", parameters) -> TorchOptimizer:
    """``TorchOptimizer`` for a name, config or Optimizer of ours over torch ``parameters``."""
    return TorchOptimizer(optimizer, parameters)


def torch_scheduler(schedule, optimizer=None):
    """The ``torch.optim.lr_scheduler`` object that sets the same learning rates as our ``schedule``.

    Args:
        schedule: a StepLR, ExponentialLR, CosineAnnealingLR or ReduceLROnPlateau of ``nnblocks.optim``.
        optimizer: the torch optimiser (or TorchOptimizer) to drive; default: the one the schedule
            was built on, which must then be a TorchOptimizer (e.g. ``engine.optimizer``).

    The torch scheduler starts where ours stands: base rate, epochs stepped, and for plateaus
    the best value and the bad-epoch and cooldown counts. Step it as ours: ``step()`` after each
    epoch (``step(metric)`` for plateaus).
    """
    target = schedule.optimizer if optimizer is None else optimizer
    target = getattr(target, "torch_optimizer", target)
    if not isinstance(target, torch.optim.Optimizer):
        raise ParameterTypeError(message("optimizer", "torch_scheduler", "a torch optimiser or TorchOptimizer",
                                         type(target).__name__, "pass optimizer=engine.optimizer (the schedule "
                                         "was built on a NumPy optimiser)."))
    if isinstance(schedule, ReduceLROnPlateau):
        result = lr_scheduler.ReduceLROnPlateau(
            target, mode=schedule.mode, factor=schedule.factor, patience=schedule.patience,
            threshold=schedule.threshold, threshold_mode=schedule.threshold_mode, cooldown=schedule.cooldown,
            min_lr=schedule.minimum_learning_rate, eps=schedule.epsilon)
        result.best, result.num_bad_epochs = schedule.best, schedule.num_bad_epochs
        result.cooldown_counter, result.last_epoch = schedule.cooldown_counter, schedule.epoch
        _set_rate(target, float(schedule.optimizer.learning_rate))
        return result
    builders = {
        StepLR: lambda: lr_scheduler.StepLR(target, schedule.step_size, schedule.gamma),
        ExponentialLR: lambda: lr_scheduler.ExponentialLR(target, schedule.gamma),
        CosineAnnealingLR: lambda: lr_scheduler.CosineAnnealingLR(target, T_max=schedule.max_epochs,
                                                                  eta_min=schedule.minimum_learning_rate),
    }
    if type(schedule) not in builders:
        raise ParameterTypeError(message("schedule", "torch_scheduler", "a StepLR, ExponentialLR, CosineAnnealingLR "
                                         "or ReduceLROnPlateau of nnblocks.optim", type(schedule).__name__))
    for group in target.param_groups:  # built at epoch 0 from our base rate ...
        group["initial_lr"] = schedule.base_learning_rate
        group["lr"] = schedule.base_learning_rate
    result = builders[type(schedule)]()
    if schedule.epoch:  # ... then moved to where ours stands (torch's rules go on from the current rate)
        result.last_epoch = schedule.epoch
        _set_rate(target, schedule.learning_rate_at(schedule.epoch))
        result._last_lr = [group["lr"] for group in target.param_groups]
    return result


def _set_rate(optimizer: torch.optim.Optimizer, rate: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = rate
