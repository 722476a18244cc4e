"""PilotNet: NVIDIA's end-to-end network that steers a car from one camera.

M. Bojarski et al., "End to end learning for self-driving cars", arXiv:1604.07316, 2016
(section 4, Fig. 4). A 3×66×200 YUV frame in, one steering value (1/r) out:

    normalisation  x / 127.5 − 1 (fixed, not learned)  -> 3×66×200
    conv 24@5×5 stride 2, ReLU   -> 24×31×98     5·5·3·24 + 24    =  1,824 parameters
    conv 36@5×5 stride 2, ReLU   -> 36×14×47     5·5·24·36 + 36   = 21,636
    conv 48@5×5 stride 2, ReLU   -> 48×5×22      5·5·36·48 + 48   = 43,248
    conv 64@3×3, ReLU            -> 64×3×20      3·3·48·64 + 64   = 27,712
    conv 64@3×3, ReLU            -> 64×1×18      3·3·64·64 + 64   = 36,928
    flatten                      -> 1152
    dense 100, ReLU                              1152·100 + 100   = 115,300
    dense 50, ReLU                               100·50 + 50      =   5,050
    dense 10, ReLU                               50·10 + 10       =     510
    dense 1 (steering)                           10·1 + 1         =      11
                                                                    -------
                                                                    252,219

Multiply-adds per frame: 31·98·5·5·3·24 (5,468,400) + 14·47·5·5·24·36 (14,212,800)
+ 5·22·5·5·36·48 (4,752,000) + 3·20·3·3·48·64 (1,658,880) + 1·18·3·3·64·64 (663,552)
+ 1152·100 + 100·50 + 50·10 + 10·1 (120,710) = 26,876,342 — the paper's "27 million connections".

The paper does not name the activation; ReLU is the usual choice. Its normalisation layer is
fixed, so here it is a function, ``normalise_frames``, applied to the frames before the network.
"""

from __future__ import annotations

import numpy as np

from nnblocks.blocks.layers import Conv2D, Dense, Flatten
from nnblocks.model import Sequential


def normalise_frames(frames: np.ndarray) -> np.ndarray:
    """The paper's hard-coded normalisation: 8-bit pixel values 0…255 to [−1, 1], as float32."""
    return np.asarray(frames, dtype=np.float32) / np.float32(127.5) - np.float32(1.0)


def pilotnet(input_shape=(3, 66, 200), seed: int = 0, dtype: str = "float32") -> Sequential:
    """PilotNet, built: 252,219 parameters and 26,876,342 multiply-adds for a 3×66×200 frame.

    Feed it ``normalise_frames(frames)``; it is a regressor (mean squared error on the steering value).
    """
    layers = [
        Conv2D(24, 5, stride=2, activation="relu", name="conv1"),     # (24, 31, 98)
        Conv2D(36, 5, stride=2, activation="relu", name="conv2"),     # (36, 14, 47)
        Conv2D(48, 5, stride=2, activation="relu", name="conv3"),     # (48, 5, 22)
        Conv2D(64, 3, activation="relu", name="conv4"),               # (64, 3, 20)
        Conv2D(64, 3, activation="relu", name="conv5"),               # (64, 1, 18)
        Flatten(name="flatten"),                                      # (1152,)
        Dense(100, activation="relu", name="fc1"),
        Dense(50, activation="relu", name="fc2"),
        Dense(10, activation="relu", name="fc3"),
        Dense(1, name="steering"),
    ]
    model = Sequential(layers, loss="mse", dtype=dtype, seed=seed, name="pilotnet")
    return model.build(tuple(input_shape))
