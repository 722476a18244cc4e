"""AlexNet: the network that won ImageNet 2012 and started the deep-learning era.

A. Krizhevsky, I. Sutskever and G. E. Hinton, "ImageNet classification with deep convolutional
neural networks", NeurIPS 2012 (section 3.5, Fig. 2). Rebuilt as ONE tower with the paper's
layer sizes (the paper split every layer over two GPUs); ReLU everywhere, dropout 0.5 before
the first two fully connected layers, no local response normalisation (later work found it
does little). For a 3×224×224 image:

    conv1  96@11×11 stride 4, pad 2, ReLU  -> 96×55×55    ⌊(224 + 4 − 11) / 4⌋ + 1 = 55
    pool1  max 3×3 stride 2                -> 96×27×27    ⌊(55 − 3) / 2⌋ + 1 = 27
    conv2  256@5×5, pad 2, ReLU            -> 256×27×27
    pool2  max 3×3 stride 2                -> 256×13×13
    conv3  384@3×3, pad 1, ReLU            -> 384×13×13
    conv4  384@3×3, pad 1, ReLU            -> 384×13×13
    conv5  256@3×3, pad 1, ReLU            -> 256×13×13
    pool5  max 3×3 stride 2                -> 256×6×6 = 9,216 after flatten
    dropout 0.5, fc6 4096 ReLU, dropout 0.5, fc7 4096 ReLU, fc8 1000 (logits)

(224 + 2·2 − 11) / 4 is not a whole number; the floor rule drops the last padded column, and
padding 2 is the one choice that gives the paper's 55-27-13-6.

Parameters, weights + biases (paper sizes, one tower):

    conv1  11·11·3·96 + 96       =     34,944
    conv2  5·5·96·256 + 256      =    614,656
    conv3  3·3·256·384 + 384     =    885,120
    conv4  3·3·384·384 + 384     =  1,327,488
    conv5  3·3·384·256 + 256     =    884,992
    fc6    9216·4096 + 4096      = 37,752,832
    fc7    4096·4096 + 4096      = 16,781,312
    fc8    4096·1000 + 1000      =  4,097,000
                                   ----------
                                   62,378,344

Multiply-adds per image, H_out·W_out·kh·kw·C_in·C_out for a convolution, D·H for a dense layer:

    conv1  55·55·11·11·3·96     =   105,415,200
    conv2  27·27·5·5·96·256     =   447,897,600
    conv3  13·13·3·3·256·384    =   149,520,384
    conv4  13·13·3·3·384·384    =   224,280,576
    conv5  13·13·3·3·384·256    =   149,520,384
    fc6 + fc7 + fc8  9216·4096 + 4096·4096 + 4096·1000 = 58,621,952
                                  -------------
                                  1,135,256,096     (≈ 1.14 G)

The two-tower original connects conv2, conv4 and conv5 only within a GPU (half the inputs
each): 60,965,224 parameters and 724,406,816 multiply-adds — the paper's "60 million".

``variant="torchvision"`` gives the single-column net of Krizhevsky's "One weird trick for
parallelizing convolutional neural networks" (2014), which torchvision ships as alexnet:
64-192-384-256-256 filters, the same pooling and classifier:

    parameters     23,296 + 307,392 + 663,936 + 884,992 + 590,080 + 58,631,144 = 61,100,840
    multiply-adds  55·55·11·11·3·64 (70,276,800) + 27·27·5·5·64·192 (223,948,800)
                   + 13·13·9·192·384 (112,140,288) + 13·13·9·384·256 (149,520,384)
                   + 13·13·9·256·256 (99,680,256) + 58,621,952 = 714,188,480   (≈ 714 M)
"""

from __future__ import annotations

from nnblocks.blocks.layers import Conv2D, Dense, Dropout, Flatten, MaxPool2D
from nnblocks.model import Sequential
from nnblocks.validation import check_choice, check_integer

FILTERS = {
    "paper": (96, 256, 384, 384, 256),          # Krizhevsky et al. 2012, both towers together
    "torchvision": (64, 192, 384, 256, 256),    # Krizhevsky 2014, "One weird trick"
}


def alexnet(input_shape=(3, 224, 224), classes: int = 1000, variant: str = "paper", seed: int = 0,
            dtype: str = "float32") -> Sequential:
    """AlexNet as one tower, built (float32: 62 M parameters take about 250 MB).

    Args:
        variant: "paper" (96-256-384-384-256 filters, 62,378,344 parameters) or "torchvision"
            (64-192-384-256-256, 61,100,840 parameters, as torchvision.models.alexnet).

    Training it is a job for a GPU and the torch engine; the NumPy model is for reading,
    counting and checking.
    """
    classes = check_integer("classes", classes, "alexnet", minimum=1)
    filters = FILTERS[check_choice("variant", variant, FILTERS, "alexnet")]
    layers = [
        Conv2D(filters[0], 11, stride=4, padding=2, activation="relu", weight_initializer="he_uniform",
               name="conv1"),                                                           # (96, 55, 55)
        MaxPool2D(3, stride=2, name="pool1"),                                           # (96, 27, 27)
        Conv2D(filters[1], 5, padding=2, activation="relu", weight_initializer="he_uniform", name="conv2"),
        MaxPool2D(3, stride=2, name="pool2"),                                           # (256, 13, 13)
        Conv2D(filters[2], 3, padding=1, activation="relu", weight_initializer="he_uniform", name="conv3"),
        Conv2D(filters[3], 3, padding=1, activation="relu", weight_initializer="he_uniform", name="conv4"),
        Conv2D(filters[4], 3, padding=1, activation="relu", weight_initializer="he_uniform", name="conv5"),
        MaxPool2D(3, stride=2, name="pool5"),                                           # (256, 6, 6)
        Flatten(name="flatten"),                                                        # (9216,)
        Dropout(0.5, name="dropout6"),
        Dense(4096, activation="relu", weight_initializer="he_uniform", name="fc6"),
        Dropout(0.5, name="dropout7"),
        Dense(4096, activation="relu", weight_initializer="he_uniform", name="fc7"),
        Dense(classes, name="fc8"),                                                     # logits
    ]
    model = Sequential(layers, loss="softmax_cross_entropy", dtype=dtype, seed=seed, name=f"alexnet_{variant}")
    return model.build(tuple(input_shape))
