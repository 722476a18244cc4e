"""nnblocks: a deep-learning lab you can see through.

The five building blocks, a network that chains them, one training loop, and model files:

    >>> from nnblocks import Sequential, Dense, Inputs, load_dataset
    >>> data = load_dataset("spiral", seed=0)
    >>> model = Sequential([Dense(16, activation="tanh"), Dense(16, activation="tanh"), Dense(1)],
    ...                    inputs=Inputs(scaling="standard"))
    >>> history = model.fit(data.x, data.y, epochs=5, learning_rate=0.01, verbose=False)
"""

__version__ = "0.1.0"

from nnblocks.analysis.gradient_check import GradientCheckReport, gradient_check
from nnblocks.blocks.activations import get_activation
from nnblocks.blocks.image_inputs import ImageInputs
from nnblocks.blocks.inputs import Inputs
from nnblocks.blocks.layers import (Activation, AvgPool2D, BatchNorm, Conv2D, Dense, Dropout, Flatten,
                                     GlobalAvgPool2D, MaxPool2D)
from nnblocks.blocks.losses import get_loss
from nnblocks.blocks.weights import get_initializer
from nnblocks.data import Dataset, load_dataset, read_csv, train_validation_test_split
from nnblocks.errors import (DataError, ModelFileError, NNBlocksError, NotFittedError, ParameterError,
                             ParameterTypeError)
from nnblocks.model import Sequential
from nnblocks.network import Network
from nnblocks.optim import SGD, Adagrad, Adam, AdamW, RMSprop, get_optimizer
from nnblocks.training.callbacks import CSVLogger, EarlyStopping, History, ModelCheckpoint, TerminateOnNaN
from nnblocks.training.lr_callbacks import LearningRateScheduler, ReduceLROnPlateau

__all__ = [
    "Activation", "Adagrad", "ImageInputs", "Adam", "AdamW", "BatchNorm", "CSVLogger", "DataError", "Dataset", "Dense", "Dropout",
    "EarlyStopping", "Flatten", "GradientCheckReport", "History", "Inputs", "LearningRateScheduler",
    "ModelCheckpoint", "ModelFileError", "NNBlocksError", "Network", "NotFittedError", "ParameterError",
    "ParameterTypeError", "RMSprop", "ReduceLROnPlateau", "SGD", "Sequential", "TerminateOnNaN", "get_activation",
    "get_initializer", "get_loss", "get_optimizer", "gradient_check", "load_dataset", "read_csv",
    "train_validation_test_split",
    "AvgPool2D", "Conv2D", "GlobalAvgPool2D", "MaxPool2D",
]
