"""Two more generated classics: two moons, and the n-class spiral of CS231n.

``moons`` follows scikit-learn's ``make_moons`` geometry (two half circles of radius 1,
the lower one shifted to (1, -0.5)) without its shuffling, so points come class by
class like the playground sets. ``spiral_classes`` is the spiral from Stanford's
CS231n notes ("Putting it together: minimal neural network case study"): K arms,
radius growing linearly, angle jittered by Gaussian noise; here the radius is scaled
to 6 so the points fill the playground's [-6, 6] square.
"""

from __future__ import annotations

import numpy as np

from nnblocks.data.dataset import Dataset
from nnblocks.data.playground import FEATURE_NAMES, random_generator
from nnblocks.validation import check_integer, check_number

SPIRAL_RADIUS = 6.0
SPIRAL_ANGLE_PER_ARM = 4.0  # radians swept by each arm, as in CS231n's np.linspace(j * 4, (j + 1) * 4, N)


def moons(n_samples: int = 500, noise: float = 0.0, rng: int | np.random.Generator | None = None) -> Dataset:
    """Two interleaving half circles.

    Class 0 is the upper arc ``(cos t, sin t)``, t in [0, pi], with ``n_samples // 2``
    points; class 1 is the lower arc ``(1 - cos t, 0.5 - sin t)`` with the rest. Noise is
    the standard deviation of Gaussian jitter added to both coordinates (0.1 to 0.3 is
    the usual range), as in scikit-learn.

    Example:
        >>> moons(4).x.shape
        (4, 2)
    """
    n_samples = check_integer("n_samples", n_samples, "moons", minimum=2)
    noise = check_number("noise", noise, "moons", minimum=0.0)
    generator = random_generator(rng, "moons")
    upper_count = n_samples // 2
    lower_count = n_samples - upper_count
    upper_angle = np.linspace(0, np.pi, upper_count)
    lower_angle = np.linspace(0, np.pi, lower_count)
    upper = np.column_stack([np.cos(upper_angle), np.sin(upper_angle)])
    lower = np.column_stack([1 - np.cos(lower_angle), 1 - np.sin(lower_angle) - 0.5])
    points = np.vstack([upper, lower])  # (N, 2)
    if noise > 0:
        points = points + generator.normal(0.0, noise, points.shape)
    labels = np.concatenate([np.zeros(upper_count, dtype=np.int64), np.ones(lower_count, dtype=np.int64)])
    return Dataset(x=points, y=labels, feature_names=list(FEATURE_NAMES), target_name="label", task="binary",
                   class_names=["upper moon", "lower moon"], name="moons",
                   description=f"Two interleaving half circles (Gaussian noise std {noise:g}).")


def spiral_classes(n_samples: int = 500, n_classes: int = 3, noise: float = 0.0,
                   rng: int | np.random.Generator | None = None) -> Dataset:
    """K spiral arms, one class each (CS231n's toy data).

    Arm j holds about ``n_samples / K`` points at radius ``r`` from 0 to 6 and angle
    ``t`` from 4j to 4(j + 1) radians plus Gaussian noise of standard deviation
    ``noise`` (CS231n uses 0.2), at ``(r sin t, r cos t)``. Noise moves points along
    the arm's circle, so they never leave the radius-6 disc. When ``n_samples`` does
    not divide evenly, the first arms get one point more.

    Example:
        >>> data = spiral_classes(300, n_classes=3, rng=0)
        >>> np.bincount(data.y).tolist()
        [100, 100, 100]
    """
    n_samples = check_integer("n_samples", n_samples, "spiral_classes", minimum=2)
    n_classes = check_integer("n_classes", n_classes, "spiral_classes", minimum=2, maximum=n_samples)
    noise = check_number("noise", noise, "spiral_classes", minimum=0.0)
    generator = random_generator(rng, "spiral_classes")
    counts = np.full(n_classes, n_samples // n_classes)
    counts[: n_samples % n_classes] += 1
    arms, labels = [], []
    for arm, count in enumerate(counts):
        radius = np.linspace(0.0, SPIRAL_RADIUS, count)
        angle = np.linspace(arm * SPIRAL_ANGLE_PER_ARM, (arm + 1) * SPIRAL_ANGLE_PER_ARM, count)
        angle = angle + generator.normal(0.0, 1.0, count) * noise
        arms.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        labels.append(np.full(count, arm, dtype=np.int64))
    return Dataset(x=np.vstack(arms), y=np.concatenate(labels), feature_names=list(FEATURE_NAMES),
                   target_name="arm", task="binary" if n_classes == 2 else "multiclass",
                   class_names=[f"arm {arm}" for arm in range(n_classes)], name="spiral_classes",
                   description=f"{n_classes} spiral arms after CS231n (angle noise std {noise:g}).")
