"""Layers: the organising block. One file per layer type."""

from nnblocks.blocks.layers.activation import Activation
from nnblocks.blocks.layers.batch_norm import BatchNorm
from nnblocks.blocks.layers.conv2d import Conv2D
from nnblocks.blocks.layers.dense import Dense
from nnblocks.blocks.layers.dropout import Dropout
from nnblocks.blocks.layers.flatten import Flatten
from nnblocks.blocks.layers.pooling import AvgPool2D, GlobalAvgPool2D, MaxPool2D

__all__ = ["Activation", "AvgPool2D", "BatchNorm", "Conv2D", "Dense", "Dropout", "Flatten", "GlobalAvgPool2D",
           "MaxPool2D"]
