"""Shared test helpers: the loss reference table, input makers and a record of the largest errors.

The loss table lives here because two files import it (``from conftest import ...``):
``test_blocks.py`` checks each loss on its own, ``test_network.py`` whole networks ending in
each loss. Every registered loss
must have an entry (``test_blocks.py::test_every_registered_block_has_a_reference`` says so).

At the end of a run the largest gradient-check and torch errors seen are printed, so a change
that makes the maths looser shows up as a number before it shows up as a failure.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.nn.functional as F

GRADIENT_CHECK_TOLERANCE = 1e-6   # max relative error, central differences in float64
FORWARD_TOLERANCE = 1e-10         # max absolute difference from torch, float64
GRADIENT_TOLERANCE = 1e-8         # max absolute difference from torch autograd, float64


# --- inputs ---------------------------------------------------------------------------------
def away_from(values: np.ndarray, kink: float, gap: float = 1e-2) -> np.ndarray:
    """Move entries of |values| that lie within ``gap`` of ``kink`` out of that band.

    Central differences (epsilon 1e-6) straddling a kink of relu, |e| or max(0, 1 − t·s)
    measure neither side's slope; the tests keep inputs clear of those points.
    """
    near = np.abs(np.abs(values) - kink) < gap
    direction = np.where(values < 0, -1.0, 1.0)
    return np.where(near, direction * (kink + gap), values)


@contextmanager
def strict_numerics():
    """Turn every RuntimeWarning and NumPy overflow / invalid / divide-by-zero into an error.

    Underflow stays allowed: exp(−1e4) → 0 is the correct, intended result.
    """
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise", invalid="raise"):
        warnings.simplefilter("error")
        yield


@pytest.fixture(scope="module")
def one_torch_thread():
    """torch on one thread for a module: on tiny tensors its thread pool only adds waiting (badly so
    on a busy machine). Modules opt in with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def write_shapes_csv(path) -> None:
    """A small CSV with one numeric and one text column and a text target (big / small by the size)."""
    rows = [f"{size},{colour},{'big' if size > 0 else 'small'}"
            for size, colour in zip([-2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2] * 3, ["red", "blue", "green"] * 8)]
    path.write_text("size,colour,label\n" + "\n".join(rows) + "\n")


def to_torch(array: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    """A float64 (or int64) torch copy of a NumPy array."""
    tensor = torch.tensor(np.array(array))
    return tensor.requires_grad_(requires_grad) if requires_grad else tensor


def max_difference(ours: np.ndarray, theirs: torch.Tensor | np.ndarray) -> float:
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert np.shape(ours) == theirs.shape, f"shape {np.shape(ours)} != torch's {theirs.shape}"
    return float(np.max(np.abs(np.asarray(ours) - theirs), initial=0.0))


# --- the loss reference table ------------------------------------------------------------------
def normal_scores(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return 2.0 * rng.standard_normal(shape)


@dataclass(frozen=True)
class LossCase:
    """One way to exercise a loss: its config, how to draw scores and targets, torch's formula."""

    id: str
    config: dict
    targets: Callable[[np.random.Generator, np.ndarray], np.ndarray]   # (rng, scores) -> targets
    torch: Callable[[object, torch.Tensor, torch.Tensor], torch.Tensor]  # (loss, scores, targets) -> L
    scores: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray] = normal_scores
    shapes: tuple[tuple[int, ...], ...] = ((6, 1), (4, 3))

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        scores = self.scores(rng, shape)
        return scores, self.targets(rng, scores)


def _regression_targets(kink: float | None = None):
    def targets(rng, scores):
        error = 1.5 * rng.standard_normal(scores.shape)
        return scores - (away_from(error, kink) if kink is not None else error)
    return targets


def _binary_targets(rng, scores):
    return rng.integers(0, 2, scores.shape).astype(scores.dtype)


def _soft_binary_targets(rng, scores):
    return rng.uniform(0, 1, scores.shape)


def _class_indices(rng, scores):
    return rng.integers(0, scores.shape[1], len(scores))


def _one_hot(rng, scores):
    return np.eye(scores.shape[1])[_class_indices(rng, scores)]


def _probability_rows(rng, scores):
    return rng.dirichlet(np.ones(scores.shape[1]), len(scores))


def _hinge_scores(rng, shape):
    return away_from(normal_scores(rng, shape), 1.0)   # margin 1 − t·s is 0 where |s| = 1


def _torch_hinge(loss, scores, targets):
    signs = 2 * targets - 1
    return torch.clamp(1 - signs * scores, min=0).mean()


CLASS_SHAPES = ((6, 5), (3, 2))

LOSS_REFERENCES: dict[str, list[LossCase]] = {
    "mse": [LossCase("mse", {"type": "mse"}, _regression_targets(), lambda loss, s, y: F.mse_loss(s, y))],
    "mae": [LossCase("mae", {"type": "mae"}, _regression_targets(kink=0.0), lambda loss, s, y: F.l1_loss(s, y))],
    "huber": [
        LossCase(f"huber-delta{delta:g}", {"type": "huber", "delta": delta}, _regression_targets(kink=delta),
                 lambda loss, s, y: F.huber_loss(s, y, delta=loss.delta))
        for delta in (1.0, 0.5, 2.5)
    ],
    "binary_cross_entropy": [
        LossCase("bce-hard", {"type": "binary_cross_entropy"}, _binary_targets,
                 lambda loss, s, y: F.binary_cross_entropy_with_logits(s, y)),
        LossCase("bce-soft", {"type": "binary_cross_entropy"}, _soft_binary_targets,
                 lambda loss, s, y: F.binary_cross_entropy_with_logits(s, y)),
    ],
    "softmax_cross_entropy": [
        LossCase(f"softmax-ce-{kind}", {"type": "softmax_cross_entropy"}, make,
                 lambda loss, s, y: F.cross_entropy(s, y), shapes=CLASS_SHAPES)
        for kind, make in (("indices", _class_indices), ("one-hot", _one_hot), ("probabilities", _probability_rows))
    ],
    "hinge": [LossCase("hinge", {"type": "hinge"}, _binary_targets, _torch_hinge, scores=_hinge_scores)],
}


# --- largest errors seen, printed at the end of the run -----------------------------------------
LARGEST: dict[str, tuple[float, str]] = {}


@pytest.fixture
def record_error(request):
    """``record_error(kind, value)`` keeps the largest value of each kind and the test that saw it."""
    def record(kind: str, value: float) -> None:
        if value > LARGEST.get(kind, (-1.0, ""))[0]:
            LARGEST[kind] = (float(value), request.node.nodeid)
    return record


def pytest_terminal_summary(terminalreporter):
    if not LARGEST:
        return
    terminalreporter.section("largest errors seen")
    for kind, (value, where) in sorted(LARGEST.items()):
        terminalreporter.write_line(f"{kind:<38} {value:9.2e}   {where}")
