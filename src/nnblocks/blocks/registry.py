"""Closed registries of block types, activations and losses.

A model file names its blocks by these registry names, and loading looks them up
here: nothing is ever imported by a path found in a file, so a hostile model.json
can name only the types listed in this module's tables.
"""

from __future__ import annotations

import inspect
from typing import TypeVar

from nnblocks.errors import ModelFileError, ParameterError
from nnblocks.validation import message

LAYERS: dict[str, type] = {}
ACTIVATIONS: dict[str, type] = {}
LOSSES: dict[str, type] = {}

T = TypeVar("T", bound=type)


def _register(table: dict[str, type], name: str):
    def decorate(cls: T) -> T:
        if name in table:
            raise RuntimeError(f"registry name {name!r} is used twice ({table[name]} and {cls})")
        table[name] = cls
        cls.type_name = name
        return cls
    return decorate


def register_layer(name: str):
    """Class decorator: make a layer type loadable from a config under ``name``."""
    return _register(LAYERS, name)


def register_activation(name: str):
    """Class decorator: make an activation available by ``name``."""
    return _register(ACTIVATIONS, name)


def register_loss(name: str):
    """Class decorator: make a loss available by ``name``."""
    return _register(LOSSES, name)


def lookup(table: dict[str, type], kind: str, name: object, parameter: str, owner: str,
           from_file: bool = False) -> type:
    """Find ``name`` in a registry or raise an error listing the valid names.

    ``from_file`` turns the error into a ModelFileError: a model file that names an
    unknown type is treated as corrupt or hostile, and nothing from it is run.
    """
    if isinstance(name, str) and name.lower() in table:
        return table[name.lower()]
    valid = ", ".join(sorted(table))
    if from_file:
        raise ModelFileError(f"The model file names an unknown {kind} type {name!r}; "
                             f"only these are allowed: {valid}. The file may be corrupt, written by a newer "
                             "nnblocks, or tampered with; nothing from it was loaded.")
    raise ParameterError(message(parameter, owner, f"one of {valid}", name, f"choose {'an' if kind[0] in 'aeiou' else 'a'} {kind} from that list."))


def construct(cls: type, arguments: dict, parameter: str, owner: str):
    """``cls(**arguments)``, with an unknown or ill-typed argument named in a ParameterError."""
    accepted = [name for name in inspect.signature(cls).parameters if name != "self"]
    unknown = sorted(set(arguments) - set(accepted))
    if unknown:
        kind = f"a {cls.type_name!r} {parameter}"
        expected = f"{kind} with settings among {accepted}" if accepted else f"{kind}, which takes no settings"
        raise ParameterError(message(parameter, owner, expected, arguments, f"remove {unknown}."))
    return cls(**arguments)
