"""A network's config compiled to ``torch.nn``, and its weights moved both ways.

Every nnblocks layer becomes one torch module, named as the layer is ("dense", "dense_1",
...), inside a ``torch.nn.Sequential``::

    Dense(H, activation)   ->  Sequential(linear=Linear(D, H), activation=<the activation>)
    Conv2D(F, k, ...)      ->  Sequential([pad=ZeroPad2d,] conv=Conv2d(C, F, k, ...), activation=...)
    BatchNorm              ->  BatchNorm1d(D, eps, momentum)       (momentum in torch's meaning, as ours)
    Dropout, Flatten       ->  Dropout (seeded, see below), Flatten
    MaxPool2D, AvgPool2D   ->  MaxPool2d, AvgPool2d(count_include_pad=True)
    GlobalAvgPool2D        ->  GlobalAvgPool2d (a mean over H and W)
    Activation             ->  the activation module

Weights are laid out as each library expects, so two of them change shape on the way:

    Dense weight    ours (in, out)              torch (out, in)              a transpose
    Conv2D kernel   ours (kh, kw, C_in, C_out)  torch (C_out, C_in, kh, kw)  a permutation

and the names change too: ours "dense.weight" is torch's "dense.linear.weight",
"batch_norm.gamma" is "batch_norm.weight". ``PARAMETER_NAMES`` holds the whole table.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import torch
from torch import nn

from nnblocks.engines.torch.device import resolve_device, torch_dtype
from nnblocks.errors import ParameterError
from nnblocks.validation import message

# Our parameter key -> (torch's name inside the layer's module, layout change or None).
PARAMETER_NAMES: dict[str, dict[str, tuple[str, str | None]]] = {
    "dense": {"weight": ("linear.weight", "matrix"), "bias": ("linear.bias", None)},
    "conv2d": {"weight": ("conv.weight", "kernel"), "bias": ("conv.bias", None)},
    "batch_norm": {"gamma": ("weight", None), "beta": ("bias", None),
                   "running_mean": ("running_mean", None), "running_var": ("running_var", None)},
}
# layout -> (ours to torch's, torch's to ours), on NumPy arrays.
LAYOUTS = {
    "matrix": (lambda array: array.T, lambda array: array.T),                              # (in, out) <-> (out, in)
    "kernel": (lambda array: array.transpose(3, 2, 0, 1), lambda array: array.transpose(2, 3, 1, 0)),
}


class SeededDropout(nn.Dropout):
    """torch's inverted dropout, with masks drawn from the engine's own generator.

    The NumPy Dropout takes its masks from a stream seeded by the network's seed; this one
    does the same with a ``torch.Generator``, so a run repeats without touching torch's
    global random state. (The two engines' masks differ: NumPy and torch draw differently.)
    """

    def __init__(self, p: float, generator: torch.Generator) -> None:
        super().__init__(p)
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = 1.0 - self.p
        mask = torch.rand(x.shape, generator=self.generator, device=x.device) < keep
        return x * mask.to(x.dtype) / keep


class GlobalAvgPool2d(nn.Module):
    """(N, C, H, W) -> (N, C): the mean of each channel over the image."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3))


def activation_module(config: dict) -> nn.Module:
    """The torch module for one of our activation configs, with the same constants."""
    kind = config["type"]
    modules = {
        "linear": lambda: nn.Identity(),
        "relu": lambda: nn.ReLU(),
        "leaky_relu": lambda: nn.LeakyReLU(config.get("negative_slope", 0.01)),
        "elu": lambda: nn.ELU(config.get("alpha", 1.0)),
        "sigmoid": lambda: nn.Sigmoid(),
        "tanh": lambda: nn.Tanh(),
        "softplus": lambda: nn.Softplus(beta=1.0, threshold=20.0),   # z > 20 returns z, as ours
        "silu": lambda: nn.SiLU(),
        "gelu": lambda: nn.GELU(approximate=config.get("approximate", "none")),
        "softmax": lambda: nn.Softmax(dim=-1),
    }
    if kind not in modules:
        raise ParameterError(message("activation", "compile_network", f"one of {sorted(modules)}", kind,
                                     "the torch engine has no twin for this activation yet; train it with "
                                     "engine='numpy'."))
    return modules[kind]()


def _dense(config, layer, generator):
    return nn.Sequential(OrderedDict(linear=nn.Linear(layer.input_shape[0], config["units"], bias=config["use_bias"]),
                                     activation=activation_module(config["activation"])))


def _conv2d(config, layer, generator):
    (top, bottom), (left, right) = layer.pads
    symmetric = top == bottom and left == right
    conv = nn.Conv2d(layer.input_shape[0], config["filters"], tuple(config["kernel_size"]),
                     stride=tuple(config["stride"]), padding=(top, left) if symmetric else 0, bias=config["use_bias"])
    parts = [] if symmetric else [("pad", nn.ZeroPad2d((left, right, top, bottom)))]  # "same" with an even kernel
    return nn.Sequential(OrderedDict([*parts, ("conv", conv), ("activation", activation_module(config["activation"]))]))


def _pool_arguments(config):
    stride = config.get("stride") or config["pool_size"]
    return tuple(config["pool_size"]), tuple(stride), tuple(config["padding"])


BUILDERS = {
    "dense": _dense,
    "conv2d": _conv2d,
    "batch_norm": lambda config, layer, generator: nn.BatchNorm1d(layer.input_shape[0], eps=config["epsilon"],
                                                                  momentum=config["momentum"]),
    "dropout": lambda config, layer, generator: (SeededDropout(config["rate"], generator) if generator is not None
                                                 else nn.Dropout(config["rate"])),
    "activation": lambda config, layer, generator: activation_module(config["activation"]),
    "flatten": lambda config, layer, generator: nn.Flatten(),
    "max_pool2d": lambda config, layer, generator: nn.MaxPool2d(*_pool_arguments(config)),
    "avg_pool2d": lambda config, layer, generator: nn.AvgPool2d(*_pool_arguments(config), count_include_pad=True),
    "global_avg_pool2d": lambda config, layer, generator: GlobalAvgPool2d(),
}


def compile_network(network, device="cpu", dtype=None, generator: torch.Generator | None = None) -> nn.Sequential:
    """A ``torch.nn.Sequential`` computing what ``network`` computes, holding the same weights.

    Like ``Network.forward`` it takes preprocessed numbers: the Inputs block (derived features,
    scaling) stays in NumPy, in front of either engine.

    Args:
        network: a built nnblocks Network (or Sequential).
        device: "cpu", "cuda", "mps", "auto" or a torch.device.
        dtype: None for the network's own dtype, or "float32" / "float64".
        generator: a torch.Generator for the dropout masks (None: torch's global stream).

    Example:
        >>> module = compile_network(model)                    # doctest: +SKIP
        >>> module(torch.from_numpy(x)).detach().numpy()       # == model.forward(x)   # doctest: +SKIP
    """
    network.require_built("be compiled to torch")
    device = resolve_device(device, "compile_network")
    dtype = torch_dtype(network.dtype if dtype is None else dtype, device, "compile_network")
    modules = OrderedDict()
    # torch initialises new layers from its global random stream; ours are copied over those values,
    # so the stream is put back as it was: compiling never changes anyone else's random numbers.
    with torch.random.fork_rng(devices=[]):
        for layer in network.layers:
            builder = BUILDERS.get(layer.type_name)
            if builder is None:
                raise ParameterError(message("layers", "compile_network", f"layers of the types {sorted(BUILDERS)}",
                                             layer.type_name, "train this network with engine='numpy'."))
            modules[layer.name] = builder(layer.get_config(), layer, generator)
    module = nn.Sequential(modules).to(device=device, dtype=dtype)
    copy_weights_to_torch(network, module)
    return module


# --- weights, both ways -------------------------------------------------------------------------
def torch_names(network) -> dict[str, tuple[str, str | None]]:
    """Our parameter/buffer name -> (torch's name in the compiled module, layout change)."""
    names = {}
    for layer in network.layers:
        table = PARAMETER_NAMES.get(layer.type_name, {})
        for key in (*layer.params, *layer.buffers):
            if key not in table:
                raise ParameterError(message("layers", "compile_network", "layers whose weights the torch engine "
                                             "knows", f"{layer.type_name} with {key!r}"))
            torch_name, layout = table[key]
            names[f"{layer.name}.{key}"] = (f"{layer.name}.{torch_name}", layout)
    return names


def _tensors(module: nn.Module) -> dict[str, torch.Tensor]:
    module = getattr(module, "_orig_mod", module)  # a torch.compile'd module wraps the original
    return {**dict(module.named_parameters()), **dict(module.named_buffers())}


def copy_weights_to_torch(network, module: nn.Module) -> None:
    """Copy every parameter and buffer of ``network`` into ``module``, in place (optimiser state stays attached)."""
    tensors = _tensors(module)
    with torch.no_grad():
        for name, (torch_name, layout) in torch_names(network).items():
            array = network.parameters.get(name)
            array = network.buffers[name] if array is None else array
            if layout is not None:
                array = LAYOUTS[layout][0](array)
            target = tensors[torch_name]
            if tuple(target.shape) != array.shape:
                raise ParameterError(message(name, "copy_weights_to_torch", f"shape {tuple(target.shape)} in torch's "
                                             "layout", array.shape, "compile the module from this network."))
            target.copy_(torch.from_numpy(np.ascontiguousarray(array)))


def torch_weights(module: nn.Module, network) -> dict[str, np.ndarray]:
    """The module's weights as NumPy copies, under our names, in our layout and the network's dtype."""
    tensors = _tensors(module)
    weights = {}
    for name, (torch_name, layout) in torch_names(network).items():
        tensor = tensors[torch_name].detach()
        if tensor.dtype in (torch.float16, torch.bfloat16):  # NumPy has no bfloat16
            tensor = tensor.float()
        array = tensor.cpu().numpy()
        if layout is not None:
            array = LAYOUTS[layout][1](array)
        weights[name] = np.array(array, dtype=network.dtype, order="C", copy=True)
    return weights


def copy_weights_from_torch(module: nn.Module, network) -> None:
    """Copy the module's weights back into ``network`` (in place, so its optimiser state stays attached)."""
    network.set_weights(torch_weights(module, network))


def penalised_weights(network, module: nn.Module) -> list[tuple[torch.Tensor, float, float]]:
    """(torch weight, l1, l2) for every layer that penalises its weight (Dense, Conv2D), as our layers do."""
    tensors, names = _tensors(module), torch_names(network)
    terms = []
    for layer in network.layers:
        config = layer.get_config()
        l1, l2 = float(config.get("l1", 0.0) or 0.0), float(config.get("l2", 0.0) or 0.0)
        if (l1 or l2) and "weight" in layer.params:
            terms.append((tensors[names[f"{layer.name}.weight"][0]], l1, l2))
    return terms
