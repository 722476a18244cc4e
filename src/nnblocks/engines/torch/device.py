"""Where the torch engine computes: the device and the floating-point type.

``"auto"`` picks the fastest device present: CUDA, then Apple's MPS, then the CPU. A device
that was asked for by name but is missing is an error that says what torch can see, never
a silent fall-back (a run meant for a GPU should not crawl on a CPU unnoticed).
"""

from __future__ import annotations

import warnings

import numpy as np
import torch

from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.validation import message

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(device: "str | torch.device" = "auto", owner: str = "TorchEngine") -> torch.device:
    """A ``torch.device`` for "auto", "cpu", "cuda", "cuda:1", "mps" (or a torch.device)."""
    if isinstance(device, torch.device):
        return device
    if not isinstance(device, str):
        raise ParameterTypeError(message("device", owner, "'auto', 'cpu', 'cuda' or 'mps'", device))
    name = device.strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps") if mps_available() else torch.device("cpu")
    kind = name.split(":")[0]
    if kind not in ("cpu", "cuda", "mps"):
        raise ParameterError(message("device", owner, "one of 'auto', 'cpu', 'cuda' (or 'cuda:N'), 'mps'", device,
                                     "'auto' picks CUDA, then MPS, then the CPU."))
    if kind == "cuda" and not torch.cuda.is_available():
        raise ParameterError(message("device", owner, "a device this torch can use", device,
                                     f"torch {torch.__version__} sees no CUDA GPU here; use device='cpu' (or "
                                     "'auto'), or install a CUDA build of torch on a machine with a GPU."))
    if kind == "mps" and not mps_available():
        raise ParameterError(message("device", owner, "a device this torch can use", device,
                                     "MPS needs Apple silicon and a torch built with it; use device='cpu' or 'auto'."))
    try:
        return torch.device(name)
    except RuntimeError:
        raise ParameterError(message("device", owner, "a device name such as 'cuda:0'", device)) from None


def torch_dtype(dtype: object, device: torch.device, owner: str = "TorchEngine") -> torch.dtype:
    """The torch dtype for a NumPy/torch dtype or its name; MPS has no float64, so it gets float32 (with a warning)."""
    if isinstance(dtype, torch.dtype):
        result = dtype
    else:
        try:
            result = DTYPES[np.dtype(dtype).name]
        except (TypeError, KeyError):
            raise ParameterError(message("dtype", owner, "'float32' or 'float64'", dtype)) from None
    if result == torch.float64 and device.type == "mps":
        warnings.warn("MPS has no float64; the torch engine computes in float32 on this device (the NumPy "
                      "model keeps float64 weights).", UserWarning, stacklevel=3)
        return torch.float32
    return result


def make_generator(device: torch.device, seed: int) -> torch.Generator | None:
    """A random stream of the engine's own (for dropout masks), seeded from the network's seed."""
    try:
        return torch.Generator(device=device).manual_seed(int(seed))
    except RuntimeError:  # a backend without its own generators: dropout then uses torch's global stream
        return None
