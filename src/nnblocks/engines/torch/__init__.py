"""The PyTorch twin of the NumPy engine: the same network config, compiled to ``torch.nn``.

    compile_network(network)        -> torch.nn.Sequential with the network's weights
    copy_weights_to_torch / copy_weights_from_torch      weights both ways (Dense transposed)
    TorchEngine(network, device)    the training loop's model protocol, computed by torch
    torch_loss, torch_optimizer, torch_scheduler         our losses, optimisers, schedules in torch

Most people never import this: ``model.fit(x, y, engine="torch", device="auto")`` does it all
and copies the trained weights back, so predict, evaluate and save work as before.
The only package of nnblocks that imports torch (tests/test_architecture.py holds that).
"""

from nnblocks.engines.torch.compiler import (compile_network, copy_weights_from_torch, copy_weights_to_torch,
                                             torch_weights)
from nnblocks.engines.torch.device import resolve_device
from nnblocks.engines.torch.engine import TorchEngine, engine_for
from nnblocks.engines.torch.losses import torch_loss
from nnblocks.engines.torch.optim import TorchOptimizer, torch_optimizer, torch_scheduler

__all__ = ["TorchEngine", "TorchOptimizer", "compile_network", "copy_weights_from_torch", "copy_weights_to_torch",
           "engine_for", "resolve_device", "torch_loss", "torch_optimizer", "torch_scheduler", "torch_weights"]
