"""Training: one fit loop for every engine, its callbacks, and metrics."""

from nnblocks.training.callbacks import (CSVLogger, Callback, EarlyStopping, History, ModelCheckpoint,
                                         TerminateOnNaN)
from nnblocks.training.loop import run_training
from nnblocks.training.progress import ProgressDisplay

__all__ = ["CSVLogger", "Callback", "EarlyStopping", "History", "ModelCheckpoint", "ProgressDisplay",
           "TerminateOnNaN", "run_training"]
