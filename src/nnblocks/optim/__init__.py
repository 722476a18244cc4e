"""Optimisers and learning-rate schedules, following ``torch.optim`` formula for formula.

Every optimiser updates a dict of parameter arrays in place from a dict of gradients with
the same keys (``optimizer.step(params, grads)``); see ``base.py`` for the contract.
"""

from nnblocks.optim.adagrad import Adagrad
from nnblocks.optim.adam import Adam, AdamW
from nnblocks.optim.base import Optimizer
from nnblocks.optim.registry import OPTIMIZERS, PRESETS, get_optimizer
from nnblocks.optim.rmsprop import RMSprop
from nnblocks.optim.schedules import (SCHEDULES, CosineAnnealingLR, ExponentialLR, ReduceLROnPlateau, Schedule,
                                      StepLR, get_schedule)
from nnblocks.optim.sgd import SGD

__all__ = ["OPTIMIZERS", "PRESETS", "SCHEDULES", "SGD", "Adagrad", "Adam", "AdamW", "CosineAnnealingLR",
           "ExponentialLR", "Optimizer", "RMSprop", "ReduceLROnPlateau", "Schedule", "StepLR", "get_optimizer",
           "get_schedule"]
