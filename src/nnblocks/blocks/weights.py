"""Weights & biases: the initialisers that give a network its starting point.

Every initialiser draws an array of a given shape from a passed-in random
generator (never global randomness), so a seed fixes the whole run. Fan-in and
fan-out follow the (in, out) weight layout: for a Dense weight of shape (D, H),
fan_in = D and fan_out = H. For a convolution kernel (kh, kw, C_in, C_out) the
receptive field multiplies both, as in Keras and PyTorch.

Formulas (U = uniform, N = normal):
    zeros, ones, constant(value)
    uniform(limit)       U(-limit, limit)
    normal(std)          N(0, std²)
    glorot_uniform       U(-a, a),  a = sqrt(6 / (fan_in + fan_out))      (Xavier)
    glorot_normal        N(0, 2 / (fan_in + fan_out))
    he_uniform           U(-a, a),  a = sqrt(6 / fan_in)                  (Kaiming, for ReLU)
    he_normal            N(0, 2 / fan_in)
    lecun_uniform        U(-a, a),  a = sqrt(3 / fan_in)
    lecun_normal         N(0, 1 / fan_in)                                 (for SELU/tanh)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnblocks.errors import ParameterError
from nnblocks.validation import check_number, message


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Return (fan_in, fan_out) for a weight of ``shape`` in (…, in, out) layout."""
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Draws initial values. Subclasses implement ``sample(shape, rng)``."""

    name = "initializer"

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator, dtype=np.float64) -> np.ndarray:
        return np.asarray(self.sample(tuple(shape), rng), dtype=dtype)

    def sample(self, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"type": self.name}


class Constant(Initializer):
    name = "constant"

    def __init__(self, value: float = 0.0) -> None:
        self.value = check_number("value", value, "Constant")

    def sample(self, shape, rng):
        return np.full(shape, self.value)

    def get_config(self):
        return {"type": self.name, "value": self.value}


class Zeros(Constant):
    name = "zeros"

    def __init__(self) -> None:
        super().__init__(0.0)

    def get_config(self):
        return {"type": self.name}


class Ones(Constant):
    name = "ones"

    def __init__(self) -> None:
        super().__init__(1.0)

    def get_config(self):
        return {"type": self.name}


class Uniform(Initializer):
    name = "uniform"

    def __init__(self, limit: float = 0.05) -> None:
        self.limit = check_number("limit", limit, "Uniform", minimum=0.0)

    def sample(self, shape, rng):
        return rng.uniform(-self.limit, self.limit, size=shape)

    def get_config(self):
        return {"type": self.name, "limit": self.limit}


class Normal(Initializer):
    name = "normal"

    def __init__(self, std: float = 0.05) -> None:
        self.std = check_number("std", std, "Normal", minimum=0.0)

    def sample(self, shape, rng):
        return rng.normal(0.0, self.std, size=shape)

    def get_config(self):
        return {"type": self.name, "std": self.std}


class VarianceScaling(Initializer):
    """Scale variance by fan: var = scale / fan, drawn uniform or normal (Keras' scheme)."""

    def __init__(self, scale: float, fan: str, distribution: str, name: str) -> None:
        self.scale, self.fan, self.distribution, self.name = scale, fan, distribution, name

    def sample(self, shape, rng):
        fan_in, fan_out = fans(shape)
        fan = {"in": fan_in, "average": (fan_in + fan_out) / 2}[self.fan]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)  # U(-a, a) has variance a²/3
            return rng.uniform(-limit, limit, size=shape)
        return rng.normal(0.0, math.sqrt(variance), size=shape)


def _variance_scaling(name: str, scale: float, fan: str, distribution: str):
    return lambda: VarianceScaling(scale, fan, distribution, name)


INITIALIZERS = {
    "zeros": Zeros,
    "ones": Ones,
    "constant": Constant,
    "uniform": Uniform,
    "normal": Normal,
    "glorot_uniform": _variance_scaling("glorot_uniform", 1.0, "average", "uniform"),
    "glorot_normal": _variance_scaling("glorot_normal", 1.0, "average", "normal"),
    "he_uniform": _variance_scaling("he_uniform", 2.0, "in", "uniform"),
    "he_normal": _variance_scaling("he_normal", 2.0, "in", "normal"),
    "lecun_uniform": _variance_scaling("lecun_uniform", 1.0, "in", "uniform"),
    "lecun_normal": _variance_scaling("lecun_normal", 1.0, "in", "normal"),
}
ALIASES = {"xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal",
           "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal"}


def get_initializer(spec: str | dict | Initializer, parameter: str = "initializer",
                    owner: str = "Dense") -> Initializer:
    """Turn a name, a config dict ({"type": "constant", "value": 0.1}) or an Initializer into an Initializer."""
    if isinstance(spec, Initializer):
        return spec
    arguments: dict[str, Any] = {}
    if isinstance(spec, dict):
        arguments = {key: value for key, value in spec.items() if key != "type"}
        spec = spec.get("type")
    name = ALIASES.get(spec.lower(), spec.lower()) if isinstance(spec, str) else spec
    if name not in INITIALIZERS:
        valid = ", ".join(sorted([*INITIALIZERS, *ALIASES]))
        raise ParameterError(message(parameter, owner, f"one of {valid}", spec, "pick an initialiser from the list."))
    try:
        return INITIALIZERS[name](**arguments)
    except TypeError as error:
        raise ParameterError(message(parameter, owner, f"valid arguments for initialiser {name!r}", arguments,
                                     str(error))) from None
