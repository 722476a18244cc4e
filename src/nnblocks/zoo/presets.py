"""Small presets for quick experiments: a multi-layer perceptron and a two-block CNN.

    mlp(D, hidden=(64,), classes=K)       Dense(64) -> Dense(K)                      D·64 + 64 + 64·K + K parameters
    small_cnn((C, H, W), classes=K)       conv 16@3×3 same, ReLU -> max pool 2 ->
                                          conv 32@3×3 same, ReLU -> max pool 2 ->
                                          flatten -> Dense(64, ReLU) -> Dense(K)
"""

from __future__ import annotations

from nnblocks.blocks.layers import Conv2D, Dense, Flatten, MaxPool2D
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.model import Sequential
from nnblocks.validation import check_integer, message


def mlp(input_size: int, hidden=(64,), classes: int = 10, activation="relu", seed: int = 0,
        dtype: str = "float32") -> Sequential:
    """A built multi-layer perceptron: one Dense layer per entry of ``hidden``, then ``classes`` outputs.

    The loss is chosen by ``fit`` from the targets (give classes=1 for binary or one-column regression).

    Example:
        >>> mlp(4, hidden=(8, 8), classes=3).parameter_count()    # 4·8+8 + 8·8+8 + 8·3+3
        139
    """
    input_size = check_integer("input_size", input_size, "mlp", minimum=1)
    classes = check_integer("classes", classes, "mlp", minimum=1)
    if isinstance(hidden, int) or not isinstance(hidden, (tuple, list)):
        raise ParameterTypeError(message("hidden", "mlp", "a tuple of layer widths such as (64,) or (32, 32)",
                                         hidden, "write hidden=(64,) for one hidden layer of 64 units."))
    layers = [Dense(check_integer(f"hidden[{index}]", units, "mlp", minimum=1), activation=activation)
              for index, units in enumerate(hidden)]
    model = Sequential([*layers, Dense(classes)], dtype=dtype, seed=seed, name="mlp")
    return model.build((input_size,))


def small_cnn(input_shape=(1, 28, 28), classes: int = 10, seed: int = 0, dtype: str = "float32") -> Sequential:
    """A built two-block CNN for small images (at least 4×4), ending in ``classes`` logits."""
    classes = check_integer("classes", classes, "small_cnn", minimum=1)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or min(input_shape[1:]) < 4:
        raise ParameterError(message("input_shape", "small_cnn", "(channels, height, width) with height and "
                                     "width >= 4 (two 2×2 poolings)", input_shape,
                                     "give grey images one channel: (1, H, W)."))
    layers = [
        Conv2D(16, 3, padding="same", activation="relu", weight_initializer="he_uniform"),   # (16, H, W)
        MaxPool2D(2),                                                                          # (16, H/2, W/2)
        Conv2D(32, 3, padding="same", activation="relu", weight_initializer="he_uniform"),   # (32, H/2, W/2)
        MaxPool2D(2),                                                                          # (32, H/4, W/4)
        Flatten(),
        Dense(64, activation="relu", weight_initializer="he_uniform"),
        Dense(classes),                                                                        # logits
    ]
    model = Sequential(layers, loss="softmax_cross_entropy", dtype=dtype, seed=seed, name="small_cnn")
    return model.build(input_shape)
