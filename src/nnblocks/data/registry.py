"""Every built-in data set by name, behind one function.

Generated sets take ``n_samples`` and ``noise``; the bundled real sets have a fixed
size and no noise knob, so they ignore both. Names are matched case-insensitively and
a dash may stand for an underscore ("multi-gaussian").
"""

from __future__ import annotations

from collections.abc import Callable

from nnblocks.data import bundled, playground, synthetic
from nnblocks.data.dataset import Dataset
from nnblocks.validation import check_choice, check_integer

GENERATED: dict[str, Callable[..., Dataset]] = {
    "circle": playground.circle,
    "xor": playground.xor,
    "gauss": playground.gauss,
    "spiral": playground.spiral,
    "plane": playground.plane,
    "multi_gaussian": playground.multi_gaussian,
    "moons": synthetic.moons,
    "spiral_classes": synthetic.spiral_classes,
}

BUNDLED: dict[str, Callable[[], Dataset]] = {
    "iris": bundled.iris,
    "wine": bundled.wine,
    "breast_cancer": bundled.breast_cancer,
    "digits": bundled.digits,
    "diabetes": bundled.diabetes,
}

DATASET_NAMES: tuple[str, ...] = tuple(GENERATED) + tuple(BUNDLED)


def load_dataset(name: str, n_samples: int = 500, noise: float = 0.0, seed: int = 0) -> Dataset:
    """Return the built-in data set called ``name``.

    Args:
        name: one of ``DATASET_NAMES``.
        n_samples: rows to generate (generated sets only).
        noise: the set's noise level (generated sets only; for the playground sets a
            fraction in [0, 0.5], for moons and spiral_classes a standard deviation).
        seed: seed of the random generator (generated sets only).

    Raises:
        ParameterError: unknown name (the message lists the valid ones), or a bad
            ``n_samples`` / ``noise`` for the chosen generator.

    Example:
        >>> load_dataset("xor", n_samples=100, noise=0.1, seed=1).x.shape
        (100, 2)
    """
    if isinstance(name, str):
        name = name.strip().replace("-", "_")
    key = check_choice("name", name, DATASET_NAMES, "load_dataset")
    if key in BUNDLED:
        return BUNDLED[key]()
    seed = check_integer("seed", seed, "load_dataset", minimum=0)
    return GENERATED[key](n_samples=n_samples, noise=noise, rng=seed)
