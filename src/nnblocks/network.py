"""The network: layers chained so that forward runs down the list and backward runs up it.

``Network`` is the engine core — build, forward, backward, one training step,
parameters by name, and a JSON config. It knows nothing about epochs, files or
metrics; ``nnblocks.model.Sequential`` adds fit / evaluate / predict / save on top,
so the training loop (which sits above this module) can drive any engine.

Parameter names are "<layer name>.<parameter>", e.g. "dense.weight", "dense_1.bias".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from nnblocks.blocks.base import Layer
from nnblocks.blocks.image_inputs import ImageInputs
from nnblocks.blocks.inputs import Inputs
from nnblocks.blocks.losses import Loss, get_loss
from nnblocks.blocks.registry import LAYERS, lookup
from nnblocks.errors import ModelFileError, NotFittedError, ParameterError, ParameterTypeError
from nnblocks.validation import check_choice, check_integer, message

CONFIG_VERSION = 1


class Network:
    """A stack of layers with a loss at the end.

    Args:
        layers: Layer objects, first to last.
        loss: loss name/config/object; None lets ``fit`` choose from the targets.
        inputs: an Inputs block (tabular schema + scaling) or ImageInputs (image shape + pixel
            scaling); None means plain numeric arrays.
        dtype: "float32" (fast) or "float64" (exact; used by the gradient check).
        seed: fixes the initial weights and every random choice made while training.
    """

    CONFIG_KEYS = frozenset({"config_version", "name", "dtype", "seed", "input_shape", "layers", "loss", "inputs"})

    def __init__(self, layers: Iterable[Layer], loss: "str | dict | Loss | None" = None,
                 inputs: Inputs | None = None, dtype: str = "float32", seed: int = 0,
                 name: str = "network") -> None:
        layers = list(layers) if not isinstance(layers, Layer) else [layers]
        for index, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ParameterTypeError(message(f"layers[{index}]", type(self).__name__, "a Layer such as Dense(16)",
                                                 layer, "build layers with nnblocks.Dense, Dropout, BatchNorm, ..."))
        if not layers:
            raise ParameterError(message("layers", type(self).__name__, "at least one layer", layers))
        if inputs is not None and not isinstance(inputs, (Inputs, ImageInputs)):
            raise ParameterTypeError(message("inputs", type(self).__name__,
                                             "an nnblocks.Inputs or ImageInputs block, or None", inputs))
        self.layers = layers
        self.loss = get_loss(loss, owner=type(self).__name__) if loss is not None else None
        self.inputs = inputs
        self.dtype = np.dtype(check_choice("dtype", _dtype_name(dtype), ["float32", "float64"], type(self).__name__))
        self.seed = check_integer("seed", seed, type(self).__name__, minimum=0)
        self.name = name
        self.input_shape: tuple[int, ...] | None = None
        self.optimizer = None
        self.stop_training = False
        self._name_layers()

    # --- building ---------------------------------------------------------------
    def _name_layers(self) -> None:
        used: set[str] = {layer.name for layer in self.layers if layer.name}
        counts: dict[str, int] = {}
        for layer in self.layers:
            if layer.name:
                continue
            base = layer.type_name
            candidate, count = base, counts.get(base, 0)
            while candidate in used:
                count += 1
                candidate = f"{base}_{count}"
            counts[base] = count
            used.add(candidate)
            layer.name = candidate
        names = [layer.name for layer in self.layers]
        if len(set(names)) != len(names):
            raise ParameterError(message("layers", type(self).__name__, "layers with unique names", names))

    @property
    def built(self) -> bool:
        return self.input_shape is not None

    def build(self, input_shape: tuple[int, ...]) -> "Network":
        """Create every layer's parameters for examples shaped ``input_shape`` (no batch axis)."""
        rng = np.random.default_rng(self.seed)
        shape = tuple(int(size) for size in input_shape)
        self.input_shape = shape
        for layer in self.layers:
            shape = layer.build(shape, rng, self.dtype)
        self._index_parameters()
        return self

    def _index_parameters(self) -> None:
        # One flat buffer behind all the parameters and one behind all the gradients: an elementwise
        # optimiser then updates the whole network in one NumPy call per operation instead of one per
        # array (a 6 x 8 net has 14 arrays; Adam makes ~11 calls for each). See Optimizer.step_contiguous.
        self.flat_parameters, self.flat_gradients, self.parameter_layout = share_one_buffer(self.layers, self.dtype)
        # Dicts of views onto every layer's arrays, built once: the hot path then never rebuilds them.
        self.parameters = {f"{layer.name}.{key}": value for layer in self.layers for key, value in layer.params.items()}
        self.gradients = {f"{layer.name}.{key}": layer.grads[key] for layer in self.layers for key in layer.params}
        self.buffers = {f"{layer.name}.{key}": value for layer in self.layers for key, value in layer.buffers.items()}
        self._penalised = [layer for layer in self.layers if type(layer).penalty is not Layer.penalty]
        self._reversed = self.layers[::-1]

    def __setstate__(self, state: dict) -> None:
        """After ``copy.deepcopy`` or unpickling (joblib): views do not survive either — each becomes an
        array of its own — so the copy's parameters are laid out in one buffer again, or its training
        would update a buffer its layers no longer read."""
        self.__dict__.update(state)
        if self.built:
            self._index_parameters()

    def require_built(self, action: str = "predict") -> None:
        if not self.built:
            raise NotFittedError(f"This {type(self).__name__} has not been fitted (or built) yet, so it cannot "
                                 f"{action}. Call fit(x, y) first, or build(input_shape) to only initialise weights.")

    @property
    def output_shape(self) -> tuple[int, ...]:
        self.require_built("report its output shape")
        return self.layers[-1].output_shape

    # --- the passes ---------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Scores for a batch x of already-preprocessed numbers, (N, ...) -> (N, K)."""
        for layer in self.layers:
            x = layer.forward(x, training)
        return x

    def backward(self, grad_scores: np.ndarray, need_input_gradient: bool = False) -> np.ndarray | None:
        """Send dL/d(scores) down the layers (the chain rule), filling every layer's grads."""
        grad = grad_scores
        last = len(self._reversed) - 1
        for position, layer in enumerate(self._reversed):
            grad = layer.backward(grad, need_input_gradient or position < last)
        return grad

    def penalty(self) -> float:
        """Sum of every layer's regularisation term."""
        total = 0.0
        for layer in self._penalised:   # a plain loop: sum() over a generator costs more than the terms (each
            total += layer.penalty()    # 0.0 without L1/L2), and this runs once per training step
        return total

    def compute_loss(self, x: np.ndarray, targets: np.ndarray, training: bool = False) -> tuple[float, np.ndarray]:
        """Forward pass and loss (penalties included); returns (loss, scores)."""
        scores = self.forward(x, training)
        return self.loss.forward(scores, targets) + self.penalty(), scores

    def train_step(self, x: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
        """One step of gradient descent on one batch: forward, loss, backward, optimiser update."""
        if x.dtype != self.dtype:   # the layers write gradients into arrays of the network's dtype
            x = x.astype(self.dtype)
        if targets.dtype.kind == "f" and targets.dtype != self.dtype:   # class indices stay integers
            targets = targets.astype(self.dtype)
        loss, scores = self.compute_loss(x, targets, training=True)
        self.backward(self.loss.backward())
        optimizer = self.optimizer
        if self.parameter_layout is not None and optimizer.supports_contiguous():
            optimizer.step_contiguous(self.flat_parameters, self.flat_gradients, self.parameter_layout)
        else:
            optimizer.step(self.parameters, self.gradients)
        return loss, scores

    # --- weights by name -----------------------------------------------------------
    def __getitem__(self, key: int | str) -> Layer:
        if isinstance(key, int):
            return self.layers[key]
        for layer in self.layers:
            if layer.name == key:
                return layer
        raise KeyError(f"no layer named {key!r}; the layers are {[layer.name for layer in self.layers]}")

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, by name."""
        self.require_built("return weights")
        return {name: value.copy() for name, value in {**self.parameters, **self.buffers}.items()}

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Copy arrays into the existing parameters (in place, so optimiser state stays attached)."""
        self.require_built("take weights")
        targets = {**self.parameters, **self.buffers}
        missing = sorted(set(targets) - set(weights))
        extra = sorted(set(weights) - set(targets))
        if missing or extra:
            raise ParameterError(message("weights", "set_weights", f"exactly the names {sorted(targets)}",
                                         sorted(weights), f"missing {missing}, unexpected {extra}."))
        values = {name: np.asarray(weights[name]) for name in targets}
        for name, target in targets.items():  # check everything first, so a mismatch changes nothing
            if values[name].shape != target.shape:
                raise ParameterError(message(f"weights[{name!r}]", "set_weights", f"shape {target.shape}",
                                             values[name].shape))
        for name, target in targets.items():
            np.copyto(target, values[name], casting="same_kind")

    def parameter_count(self) -> int:
        return sum(layer.parameter_count() for layer in self.layers)

    # --- description -------------------------------------------------------------
    def summary(self):
        """Layer by layer: output shape, parameters, multiply-adds, with totals."""
        from nnblocks.summary import Summary  # small module beside this one; kept apart for size
        return Summary.of(self)

    def get_config(self) -> dict[str, Any]:
        return {
            "config_version": CONFIG_VERSION,
            "name": self.name,
            "dtype": str(self.dtype),
            "seed": self.seed,
            "input_shape": list(self.input_shape) if self.input_shape else None,
            "layers": [{"type": layer.type_name, "config": layer.get_config()} for layer in self.layers],
            "loss": self.loss.get_config() if self.loss else None,
            "inputs": self.inputs.get_config() if self.inputs is not None else None,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], **extra):
        """Rebuild from ``get_config()`` output. Only registry names are accepted; nothing is imported."""
        unknown = sorted(set(config) - cls.CONFIG_KEYS) if isinstance(config, dict) else []
        if unknown:
            raise ModelFileError(f"The network config has unknown keys {unknown}; the known ones are "
                                 f"{sorted(cls.CONFIG_KEYS)}. The model file may be tampered with or written by a "
                                 "newer nnblocks; nothing from it was loaded.")
        try:
            if config.get("config_version", 1) > CONFIG_VERSION:
                raise ModelFileError(f"The network config has version {config['config_version']}, newer than this "
                                     f"nnblocks understands ({CONFIG_VERSION}). Upgrade nnblocks to load it.")
            layers = []
            for index, entry in enumerate(config["layers"]):
                layer_type = lookup(LAYERS, "layer", entry["type"], f"layers[{index}]", cls.__name__, from_file=True)
                layers.append(layer_type.from_config(dict(entry["config"])))
            loss = get_loss(config["loss"], from_file=True) if config.get("loss") else None
            inputs = _inputs_from_config(config.get("inputs"))
            network = cls(layers, loss=loss, inputs=inputs, dtype=config["dtype"], seed=config["seed"],
                          name=config.get("name", "network"), **extra)
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ModelFileError(f"The network config is not valid: {type(error).__name__}: {error}. The model file "
                                 "may be corrupt or edited by hand; nothing from it was loaded.") from None
        if config.get("input_shape"):
            network.build(tuple(config["input_shape"]))
        return network

    def __repr__(self) -> str:
        inner = ", ".join(repr(layer) for layer in self.layers)
        return f"{type(self).__name__}([{inner}], loss={self.loss!r})"


def _inputs_from_config(config: dict | None):
    """The Inputs block a config names: image inputs say so with "kind": "image"."""
    if not config:
        return None
    if config.get("kind") == "image":
        return ImageInputs.from_config(config)
    return Inputs.from_config(config)


def _dtype_name(value: object) -> object:
    """'float32' for np.float32, "float32" or np.dtype('float32'); anything unreadable as it came."""
    try:
        return np.dtype(value).name
    except TypeError:
        return value


def share_one_buffer(layers: list[Layer], dtype: np.dtype):
    """Move every layer's parameters into one flat array and its gradients into another.

    Each ``layer.params[key]`` (and ``layer.grads[key]``) becomes a view of its stretch of the flat
    array, keeping its values and shape; layers go on reading and writing them in place as before.
    Returns ``(flat parameters, flat gradients, layout)`` with ``layout[name] = (start, stop, shape)``
    under the network's parameter names, or ``(None, None, None)`` when some array is not of the
    network's dtype (then each array stays on its own).
    """
    entries = [(layer, key) for layer in layers for key in layer.params]
    if any(layer.params[key].dtype != dtype or layer.grads[key].dtype != dtype for layer, key in entries):
        return None, None, None
    total = sum(layer.params[key].size for layer, key in entries)
    flat_parameters, flat_gradients = np.empty(total, dtype), np.zeros(total, dtype)
    layout, start = {}, 0
    for layer, key in entries:
        value = layer.params[key]
        stop = start + value.size
        parameter = flat_parameters[start:stop].reshape(value.shape)
        gradient = flat_gradients[start:stop].reshape(value.shape)
        parameter[...], gradient[...] = value, layer.grads[key]
        layer.params[key], layer.grads[key] = parameter, gradient
        layout[f"{layer.name}.{key}"] = (start, stop, value.shape)
        start = stop
    return flat_parameters, flat_gradients, layout

