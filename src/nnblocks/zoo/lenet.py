"""LeNet-5: the convolutional network that read cheques.

Y. LeCun, L. Bottou, Y. Bengio and P. Haffner, "Gradient-based learning applied to document
recognition", Proceedings of the IEEE 86(11), 1998, pp. 2278–2324 (section II.B, Fig. 2).

Layer sizes, for a 1×32×32 image (MNIST's 28×28 digits padded by 2 on each side):

    C1  conv 6@5×5, tanh          -> 6×28×28     6·(5·5·1 + 1)    =    156 parameters
    S2  average pool 2×2          -> 6×14×14
    C3  conv 16@5×5, tanh         -> 16×10×10    16·(5·5·6 + 1)   =  2,416
    S4  average pool 2×2          -> 16×5×5
    C5  conv 120@5×5, tanh        -> 120×1×1     120·(5·5·16 + 1) = 48,120
        flatten                   -> 120
    F6  dense 84, tanh            -> 84          84·(120 + 1)     = 10,164
    out dense 10 (logits)         -> 10          10·(84 + 1)      =    850
                                                                    ------
                                                                    61,706

Multiply-adds per image: 28·28·25·6 + 10·10·25·6·16 + 25·16·120 + 120·84 + 84·10
= 117,600 + 240,000 + 48,000 + 10,080 + 840 = 416,520.

Simplifications, as in most modern re-creations: C3 connects every S2 map (the paper's table
leaves some out, giving 1,516 parameters there instead of 2,416); S2 and S4 are plain averages
(the paper gives each map a trainable coefficient and bias and a sigmoid); tanh replaces
1.7159·tanh(2a/3); the output is 10 logits for softmax cross-entropy instead of RBF units.
"""

from __future__ import annotations

from nnblocks.blocks.layers import AvgPool2D, Conv2D, Dense, Flatten
from nnblocks.errors import ParameterError
from nnblocks.model import Sequential
from nnblocks.validation import check_integer, message


def lenet5(input_shape=(1, 32, 32), classes: int = 10, activation="tanh", seed: int = 0,
           dtype: str = "float32") -> Sequential:
    """LeNet-5 for (channels, 32, 32) images, built: 61,706 parameters with 1 channel and 10 classes.

    Example:
        >>> model = lenet5()
        >>> model.layers[0].output_shape, model.output_shape
        ((6, 28, 28), (10,))
    """
    classes = check_integer("classes", classes, "lenet5", minimum=1)
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or min(input_shape[1:]) < 32:
        raise ParameterError(message("input_shape", "lenet5", "(channels, height, width) with height and width "
                                     ">= 32, as in the paper", input_shape,
                                     "pad 28×28 digits by 2 on each side as LeCun et al. did: "
                                     "np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2))) for x shaped (N, 1, 28, 28)."))
    layers = [
        Conv2D(6, 5, activation=activation, name="c1"),       # (6, 28, 28)
        AvgPool2D(2, name="s2"),                              # (6, 14, 14)
        Conv2D(16, 5, activation=activation, name="c3"),      # (16, 10, 10)
        AvgPool2D(2, name="s4"),                              # (16, 5, 5)
        Conv2D(120, 5, activation=activation, name="c5"),     # (120, 1, 1)
        Flatten(name="flatten"),                              # (120,)
        Dense(84, activation=activation, name="f6"),          # (84,)
        Dense(classes, name="output"),                        # (classes,) logits
    ]
    model = Sequential(layers, loss="softmax_cross_entropy", dtype=dtype, seed=seed, name="lenet5")
    return model.build(input_shape)
