"""TensorFlow Playground's six 2-D data sets, with its definitions.

Source: ``src/dataset.ts`` of https://github.com/tensorflow/playground (Apache 2.0),
functions ``classifyCircleData``, ``classifyXORData``, ``classifyTwoGaussData``,
``classifySpiralData``, ``regressPlane`` and ``regressGaussian``. The geometry, the
label rules and the meaning of ``noise`` follow that file; the draws are vectorised
with NumPy, so the same seed does not reproduce the browser's points one for one.

Conventions carried over:

- ``noise`` is the UI slider (0 to 50) divided by 100, as ``playground.ts`` does
  before calling a generator, so it lies in [0, 0.5]. Its effect differs per set:
  circle, xor, plane and multi_gaussian compute the label from a *jittered copy* of
  each point (so labels near the boundary flip) and keep the point itself in place;
  spiral moves the points; gauss widens the two clouds (variance 0.5 -> 4).
- Points lie in the playground's [-6, 6] square (gauss's tails aside).
- TF's label +1 is our class 1 ("positive"), -1 our class 0 ("negative"); points
  come in the order TF generates them (positives first where TF does that).

One deliberate change: TF loops ``i < numSamples / 2`` for each half, which yields
``n + 1`` points for odd ``n``; here the positive half gets the extra point, so a set
always has exactly ``n_samples`` rows.
"""

from __future__ import annotations

import numbers

import numpy as np

from nnblocks.data.dataset import Dataset
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.validation import check_integer, check_number, message

FEATURE_NAMES = ["x1", "x2"]
CLASS_NAMES = ["negative", "positive"]  # index = our class code; TF's -1 -> 0, +1 -> 1
MAXIMUM_NOISE = 0.5


def random_generator(rng: int | np.random.Generator | None, owner: str) -> np.random.Generator:
    """Return a Generator from a seed, a Generator, or None (fresh OS entropy, never global state)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ParameterError(message("rng", owner, "a non-negative integer seed", rng, "use 0 or more."))
        return np.random.default_rng(int(rng))
    raise ParameterTypeError(message("rng", owner, "an integer seed, a numpy.random.Generator or None", rng,
                                     "pass a seed such as 0 for repeatable data."))


def _check(n_samples: int, noise: float, owner: str) -> tuple[int, float]:
    n_samples = check_integer("n_samples", n_samples, owner, minimum=2)
    noise = check_number("noise", noise, owner, minimum=0.0, maximum=MAXIMUM_NOISE)
    return n_samples, noise


def _uniform(generator: np.random.Generator, low: float, high: float, size: int) -> np.ndarray:
    """TF's ``randUniform(a, b)``: uniform on [a, b)."""
    return generator.uniform(low, high, size)


def _classification(points: np.ndarray, labels: np.ndarray, name: str, noise: float, text: str) -> Dataset:
    return Dataset(x=points.astype(np.float64), y=labels.astype(np.int64), feature_names=list(FEATURE_NAMES),
                   target_name="label", task="binary", class_names=list(CLASS_NAMES), name=name,
                   description=f"TensorFlow Playground '{name}' (noise {noise:g}): {text}")


def _regression(points: np.ndarray, targets: np.ndarray, name: str, noise: float, text: str) -> Dataset:
    return Dataset(x=points.astype(np.float64), y=targets.astype(np.float64), feature_names=list(FEATURE_NAMES),
                   target_name="value", task="regression", class_names=None, name=name,
                   description=f"TensorFlow Playground '{name}' (noise {noise:g}): {text}")


def circle(n_samples: int = 500, noise: float = 0.0, rng: int | np.random.Generator | None = None) -> Dataset:
    """A disc of positives (radius < 2.5) inside a ring of negatives (radius 3.5 to 5).

    The label is 1 when the *jittered* point lies within radius 2.5, so with noise some
    disc points become 0 and some ring points 1. Jitter per axis: U(-5, 5) * noise.
    """
    n_samples, noise = _check(n_samples, noise, "circle")
    generator = random_generator(rng, "circle")
    radius = 5.0
    positives = n_samples - n_samples // 2
    distance = np.concatenate([_uniform(generator, 0, radius * 0.5, positives),            # inside
                               _uniform(generator, radius * 0.7, radius, n_samples // 2)])  # outside
    angle = _uniform(generator, 0, 2 * np.pi, n_samples)
    points = np.column_stack([distance * np.sin(angle), distance * np.cos(angle)])  # (N, 2); TF uses sin for x
    jitter = _uniform(generator, -radius, radius, (n_samples, 2)) * noise
    labels = np.linalg.norm(points + jitter, axis=1) < radius * 0.5
    return _classification(points, labels, "circle", noise, "class 1 inside radius 2.5, class 0 on a ring.")


def xor(n_samples: int = 500, noise: float = 0.0, rng: int | np.random.Generator | None = None) -> Dataset:
    """Four quadrants: class 1 where x1 * x2 >= 0 (of the jittered point), else class 0.

    Coordinates are U(-5, 5) pushed 0.3 away from each axis (TF's padding), so the
    noise-free classes are separated by a visible gap. Jitter per axis: U(-5, 5) * noise.
    """
    n_samples, noise = _check(n_samples, noise, "xor")
    generator = random_generator(rng, "xor")
    padding = 0.3
    points = _uniform(generator, -5, 5, (n_samples, 2))
    points += np.where(points > 0, padding, -padding)
    jitter = _uniform(generator, -5, 5, (n_samples, 2)) * noise
    noisy = points + jitter
    labels = noisy[:, 0] * noisy[:, 1] >= 0
    return _classification(points, labels, "xor", noise, "class 1 where x1 * x2 >= 0.")


def gauss(n_samples: int = 500, noise: float = 0.0, rng: int | np.random.Generator | None = None) -> Dataset:
    """Two Gaussian clouds: class 1 around (2, 2), class 0 around (-2, -2).

    Noise never flips a label here; it widens both clouds: the variance grows
    linearly from 0.5 (noise 0) to 4 (noise 0.5), as TF's ``varianceScale``.
    """
    n_samples, noise = _check(n_samples, noise, "gauss")
    generator = random_generator(rng, "gauss")
    variance = 0.5 + (4.0 - 0.5) * noise / MAXIMUM_NOISE
    positives = n_samples - n_samples // 2
    centres = np.concatenate([np.full((positives, 2), 2.0), np.full((n_samples // 2, 2), -2.0)])
    points = centres + generator.normal(0.0, np.sqrt(variance), (n_samples, 2))
    labels = np.arange(n_samples) < positives
    return _classification(points, labels, "gauss", noise, f"two Gaussian clouds of variance {variance:g}.")


def spiral(n_samples: int = 500, noise: float = 0.0, rng: int | np.random.Generator | None = None) -> Dataset:
    """Two interleaved spirals of 1.75 turns, radius 0 to 5; class 0 is class 1 turned by pi.

    Point i of a spiral sits at radius ``r = 5 i / n`` and angle ``t = 3.5 pi i / n`` (n is
    half of ``n_samples``), written ``(r sin t, r cos t)`` as in TF; noise moves each
    coordinate by U(-1, 1) * noise. Labels follow the spiral, not the moved point.
    """
    n_samples, noise = _check(n_samples, noise, "spiral")
    generator = random_generator(rng, "spiral")
    half = n_samples / 2  # a float for odd n, as in TF's ``let n = numSamples / 2``
    positives = n_samples - n_samples // 2
    index = np.concatenate([np.arange(positives), np.arange(n_samples // 2)])
    shift = np.where(np.arange(n_samples) < positives, 0.0, np.pi)
    radius = index / half * 5
    angle = 1.75 * index / half * 2 * np.pi + shift
    points = np.column_stack([radius * np.sin(angle), radius * np.cos(angle)])
    points += _uniform(generator, -1, 1, (n_samples, 2)) * noise
    labels = shift == 0.0
    return _classification(points, labels, "spiral", noise, "two interleaved spirals.")


def plane(n_samples: int = 500, noise: float = 0.0, rng: int | np.random.Generator | None = None) -> Dataset:
    """Regression on a tilted plane: value = (x1 + x2) / 10 of the jittered point.

    TF maps x + y from [-10, 10] to [-1, 1] without clamping, so values reach about
    +-1.2 at the corners. Points are U(-6, 6); jitter per axis U(-6, 6) * noise.
    """
    n_samples, noise = _check(n_samples, noise, "plane")
    generator = random_generator(rng, "plane")
    radius = 6.0
    points = _uniform(generator, -radius, radius, (n_samples, 2))
    noisy = points + _uniform(generator, -radius, radius, (n_samples, 2)) * noise
    targets = noisy.sum(axis=1) / 10.0
    return _regression(points, targets, "plane", noise, "value = (x1 + x2) / 10.")


# (x, y, sign) of the six bumps of TF's regressGaussian: a 3 x 2 grid of alternating signs
GAUSSIAN_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1],
                           [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], dtype=np.float64)


def multi_gaussian(n_samples: int = 500, noise: float = 0.0,
                   rng: int | np.random.Generator | None = None) -> Dataset:
    """Regression on six bumps of height +-1 that fall linearly to 0 at distance 2.

    Each bump gives ``sign * clamp(1 - d / 2, 0, 1)``; the value is the bump with the
    largest magnitude (0 far from all). Points U(-6, 6); jitter U(-6, 6) * noise.
    """
    n_samples, noise = _check(n_samples, noise, "multi_gaussian")
    generator = random_generator(rng, "multi_gaussian")
    radius = 6.0
    points = _uniform(generator, -radius, radius, (n_samples, 2))
    noisy = points + _uniform(generator, -radius, radius, (n_samples, 2)) * noise
    distance = np.linalg.norm(noisy[:, None, :] - GAUSSIAN_BUMPS[None, :, :2], axis=2)  # (N, 6)
    signed = GAUSSIAN_BUMPS[:, 2] * np.clip(1 - distance / 2, 0.0, 1.0)                 # (N, 6)
    # argmax takes the first of equal magnitudes, like TF's strict ">" scan from label 0
    targets = signed[np.arange(n_samples), np.abs(signed).argmax(axis=1)] + 0.0  # + 0.0 turns -0.0 into 0.0
    return _regression(points, targets, "multi_gaussian", noise, "six signed bumps on a grid.")
