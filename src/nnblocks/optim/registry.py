"""Optimisers by name: the closed table that configs, the CLI and ``fit(optimizer="adam")`` use."""

from __future__ import annotations

import inspect
from typing import Any

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.optim.adagrad import Adagrad
from nnblocks.optim.adam import Adam, AdamW
from nnblocks.optim.base import Optimizer
from nnblocks.optim.rmsprop import RMSprop
from nnblocks.optim.sgd import SGD
from nnblocks.validation import check_choice, check_number, message

OPTIMIZERS: dict[str, type[Optimizer]] = {cls.type_name: cls for cls in (SGD, RMSprop, Adagrad, Adam, AdamW)}

# Names for common settings of one class: "momentum" is SGD with momentum 0.9, and so on.
PRESETS: dict[str, tuple[type[Optimizer], dict[str, Any]]] = {
    "momentum": (SGD, {"momentum": 0.9}),
    "nesterov": (SGD, {"momentum": 0.9, "nesterov": True}),
}


def get_optimizer(name_or_optimizer: str | dict | Optimizer, learning_rate: float | None = None,
                  **kwargs: Any) -> Optimizer:
    """Build an optimiser from a name (or a ``get_config()`` dict); an Optimizer passes through.

    Args:
        name_or_optimizer: one of "sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam",
            "adamw"; a config dict with a "type" key; or an Optimizer instance.
        learning_rate: overrides the class default (for an instance: replaces its learning rate).
        **kwargs: other constructor arguments, e.g. ``momentum=0.8``; not allowed with an instance.

    Example:
        >>> get_optimizer("momentum", learning_rate=0.05)
        SGD(learning_rate=0.05, momentum=0.9, dampening=0.0, nesterov=False, weight_decay=0.0)
    """
    if isinstance(name_or_optimizer, Optimizer):
        if kwargs:
            raise ParameterError(message("kwargs", "get_optimizer", "empty when an Optimizer instance is given",
                                         sorted(kwargs), "set those arguments when you build the optimiser."))
        if learning_rate is not None:  # fit(optimizer=Adam(), learning_rate=0.01) means what it says
            name_or_optimizer.learning_rate = check_number("learning_rate", learning_rate, "get_optimizer", 0.0,
                                                           strict_minimum=True)
        return name_or_optimizer
    if isinstance(name_or_optimizer, dict):
        kwargs = {**name_or_optimizer, **kwargs}
        name_or_optimizer = kwargs.pop("type", None)
    if not isinstance(name_or_optimizer, str):
        raise ParameterTypeError(message("optimizer", "get_optimizer", "a name such as 'adam' or an Optimizer",
                                         name_or_optimizer))
    name = check_choice("optimizer", name_or_optimizer, [*OPTIMIZERS, *PRESETS], "get_optimizer")
    cls, arguments = PRESETS.get(name, (OPTIMIZERS.get(name), {}))
    arguments = {**arguments, **kwargs}
    if learning_rate is not None:
        arguments["learning_rate"] = learning_rate
    accepted = [parameter for parameter in inspect.signature(cls.__init__).parameters if parameter != "self"]
    unknown = sorted(set(arguments) - set(accepted))
    if unknown:
        raise ParameterError(message("kwargs", "get_optimizer", f"argument names of {cls.__name__}: {accepted}",
                                     unknown, "check the spelling (nnblocks uses full words: beta_1, epsilon)."))
    return cls(**arguments)
