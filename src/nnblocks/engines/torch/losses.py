"""Our losses and weight penalties, written in torch with the same definitions.

Each function takes scores (N, K) and targets as the NumPy loss gets them and returns the
mean over the batch; autograd then gives the gradients our ``backward`` methods write out:

    mse                    mean((s − y)²)
    mae                    mean(|s − y|)                                  (slope 0 where s = y)
    huber(δ)               mean(½e² if |e| ≤ δ else δ(|e| − ½δ)),  e = s − y
    binary_cross_entropy   mean(max(s, 0) − s·y + log(1 + e^−|s|))    gradient (sigmoid(s) − y) / n
    softmax_cross_entropy  mean(−log softmax(s)[y])  for class indices, mean(−Σ y·log softmax(s)) for rows
    hinge                  mean(max(0, 1 − t·s)),  t = 2y − 1                (slope 0 where t·s = 1)

Penalties, as Dense and Conv2D add them: l1·Σ|W| + l2·ΣW² (weights only, never biases).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from nnblocks.errors import ParameterError
from nnblocks.validation import message

LossFunction = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def softmax_cross_entropy(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if targets.ndim == 1:  # class indices
        return F.cross_entropy(scores, targets)
    # p·Σy − y as ours for rows that need not sum to one: the same as −Σ y·log p, differentiated.
    return -(targets * F.log_softmax(scores, dim=1)).sum(dim=1).mean()


def hinge(scores: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    # relu, not clamp: relu's slope at exactly 0 is 0, as ours (clamp's would be 1).
    return torch.relu(1 - (2 * targets - 1) * scores).mean()


def torch_loss(loss) -> LossFunction:
    """The torch function for one of our Loss objects (its constants, such as Huber's delta, included)."""
    kind = loss.type_name
    functions: dict[str, LossFunction] = {
        "mse": F.mse_loss,
        "mae": F.l1_loss,
        "huber": lambda scores, targets: F.huber_loss(scores, targets, delta=loss.delta),
        # torch's fused, stable form; its gradient is exactly (sigmoid(s) − y) / n, as ours.
        "binary_cross_entropy": F.binary_cross_entropy_with_logits,
        "softmax_cross_entropy": softmax_cross_entropy,
        "hinge": hinge,
    }
    if kind not in functions:
        raise ParameterError(message("loss", "TorchEngine", f"one of {sorted(functions)}", kind,
                                     "train with engine='numpy' for this loss."))
    return functions[kind]


def penalty(terms: list[tuple[torch.Tensor, float, float]]) -> torch.Tensor | float:
    """Σ over penalised weights of l1·Σ|W| + l2·ΣW² (0.0 when nothing is penalised)."""
    total: torch.Tensor | float = 0.0
    for weight, l1, l2 in terms:
        if l1:
            total = total + l1 * weight.abs().sum()
        if l2:
            total = total + l2 * (weight * weight).sum()
    return total
