"""The model zoo: classic networks rebuilt from nnblocks' own blocks, one file per family.

Each function returns a built ``Sequential`` (float32 by default), so ``summary()`` shows its
parameters and multiply-adds straight away; the layer sizes and the paper are in each file.

    >>> from nnblocks.zoo import lenet5
    >>> lenet5().summary().total_parameters
    61706

    lenet5      LeCun et al. 1998, handwritten digits          61,706 parameters      416,520 multiply-adds
    alexnet     Krizhevsky et al. 2012, ImageNet (one tower)  62,378,344          1,135,256,096
                variant="torchvision" (Krizhevsky 2014)       61,100,840            714,188,480
    pilotnet    Bojarski et al. 2016, steering from a camera   252,219              26,876,342
    mlp, small_cnn                                             presets for quick experiments
"""

from nnblocks.zoo.alexnet import alexnet
from nnblocks.zoo.lenet import lenet5
from nnblocks.zoo.pilotnet import normalise_frames, pilotnet
from nnblocks.zoo.presets import mlp, small_cnn

__all__ = ["alexnet", "lenet5", "mlp", "normalise_frames", "pilotnet", "small_cnn"]
