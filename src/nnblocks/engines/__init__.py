"""Engines: what runs a network's arithmetic while the one training loop drives it.

Two engines train the same network description, through the same ``run_training`` loop:

- ``"numpy"``: the reference, written out in ``nnblocks.blocks`` and ``network.py``;
- ``"torch"``: ``nnblocks.engines.torch`` compiles the network's config to ``torch.nn``
  (CPU, CUDA or Apple's MPS; optional mixed precision and ``torch.compile``).

Only ``engines/torch`` imports torch, and only when it is asked for: this module finds it
lazily, so nnblocks works without PyTorch installed.
"""

from __future__ import annotations

import importlib

from nnblocks.errors import ParameterError
from nnblocks.validation import check_choice, message

ENGINES = ("numpy", "torch")
DEVICES = ("auto", "cpu", "cuda", "mps")


def check_engine(engine: object, owner: str = "fit") -> str:
    """Return ``engine`` ("numpy" or "torch") or raise a ParameterError listing both."""
    return check_choice("engine", engine, ENGINES, owner)


def load_torch_engine():
    """The ``nnblocks.engines.torch`` module; a clear ParameterError when PyTorch is not installed."""
    try:
        return importlib.import_module("nnblocks.engines.torch")
    except ImportError as error:
        if (error.name or "").split(".")[0] != "torch":
            raise
        raise ParameterError("engine='torch' needs PyTorch, which is not installed here. Fix: "
                             'pip install "nnblocks[torch]" (or train with engine="numpy").') from None


def start_engine(model, engine: str = "numpy", device: str = "auto", amp: bool = False, compile: bool = False):
    """What the training loop should drive: ``model`` itself (NumPy) or its TorchEngine.

    For "torch" the engine is built from the model (same weights) and kept as ``model.torch_engine``;
    a later fit with the same settings reuses it, so its optimiser state carries on. Call
    ``finish_engine`` afterwards to copy the trained weights back into the NumPy model.
    """
    engine = check_engine(engine)
    if engine == "numpy":
        if str(device).lower() not in ("auto", "cpu") or amp or compile:
            raise ParameterError(message("engine", "fit", "'torch' when device, amp or compile are given (the "
                                         "NumPy engine runs on the CPU, in the model's dtype)", engine,
                                         "pass engine='torch', or leave device, amp and compile out."))
        return model
    return load_torch_engine().engine_for(model, device=device, amp=amp, compile=compile)


def finish_engine(model, trainer) -> None:
    """After training: the NumPy model takes the engine's weights and learning rate."""
    if trainer is not model:
        trainer.finish()
