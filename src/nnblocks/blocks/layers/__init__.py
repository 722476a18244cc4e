"""Layers: the organising block. One file per layer type."""

from nnblocks.blocks.layers.activation import Activation
from nnblocks.blocks.layers.batch_norm import BatchNorm
from nnblocks.blocks.layers.dense import Dense
from nnblocks.blocks.layers.dropout import Dropout
from nnblocks.blocks.layers.flatten import Flatten

__all__ = ["Activation", "BatchNorm", "Dense", "Dropout", "Flatten"]
