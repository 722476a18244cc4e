"""The loss block of the chain-rule inspector: where the backward pass starts.

For one example the loss turns the scores s (K,) into L and hands back ∂L/∂s, the first
upstream gradient of the chain rule (p − y for the cross-entropies). ``loss_step`` records
it as a ``LossStep``, together with the link p (sigmoid or softmax of s, for probabilistic
losses), the target as the gradient sees it, and the target and predicted labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnblocks.analysis.chain_rule_numbers import format_number

# ∂L/∂s for one example, per loss (K = number of outputs).
LOSS_GRADIENTS = {"binary_cross_entropy": "p − y", "softmax_cross_entropy": "p − y", "mse": "2·(s − y)/K",
                  "mae": "sign(s − y)/K", "huber": "(s − y)/K, clipped to ±δ/K", "hinge": "−t/K if t·s < 1 else 0"}
LOSS_FORMULAS = {"binary_cross_entropy": "L = −[y·log p + (1 − y)·log(1 − p)],  p = sigmoid(s)",
                 "softmax_cross_entropy": "L = −log p[y],  p = softmax(s)", "mse": "L = mean((s − y)²)",
                 "mae": "L = mean(|s − y|)", "huber": "L = mean(huber(s − y))",
                 "hinge": "L = mean(max(0, 1 − t·s)),  t = 2y − 1"}


@dataclass
class LossStep:
    """The loss block for one example: scores, the link (probability), target, L and ∂L/∂s."""

    type_name: str
    task: str
    scores: np.ndarray             # s (K,)
    link: np.ndarray               # p = sigmoid/softmax(s), or s itself
    targets: np.ndarray            # y as the gradient sees it (K,): 0/1, one-hot, or values
    grad_scores: np.ndarray        # ∂L/∂s (K,)
    value: float                   # the loss without penalty
    penalty: float
    unit_names: list[str]
    target_label: str
    predicted_label: str
    link_name: str                 # "p" for probabilities, "s" otherwise
    classes: list[str] | None = None

    @property
    def total(self) -> float:
        return self.value + self.penalty

    @property
    def formula(self) -> str:
        return LOSS_FORMULAS.get(self.type_name, f"L = {self.type_name}(s, y)")

    @property
    def gradient_formula(self) -> str:
        return LOSS_GRADIENTS.get(self.type_name, "from the loss's backward")


def loss_step(network, scores: np.ndarray, targets: np.ndarray, grad_scores: np.ndarray, value: float,
              penalty: float) -> LossStep:
    """The ``LossStep`` of one example, from the network's loss block and what it computed."""
    loss = network.loss
    task = loss.task
    classes = network.class_names
    if task == "multiclass":
        index = int(targets[0]) if targets.ndim == 1 else int(np.argmax(targets[0]))
        target_vector = np.eye(len(scores))[index] if targets.ndim == 1 else targets[0].astype(np.float64)
        target_label = classes[index] if classes else str(index)
        predicted = int(np.argmax(scores))
        predicted_label = classes[predicted] if classes else str(predicted)
    elif task == "binary":
        target_vector = targets[0].astype(np.float64)
        target_label = classes[int(target_vector[0])] if classes else f"{target_vector[0]:g}"
        predicted = int(scores[0] > 0)
        predicted_label = classes[predicted] if classes else str(predicted)
    else:
        target_vector = targets[0].astype(np.float64)
        target_label = ", ".join(format_number(float(v), 4) for v in target_vector)
        predicted_label = ", ".join(format_number(float(v), 4) for v in scores)
    probabilistic = task != "regression" and loss.type_name != "hinge"
    link = loss.link(scores[None, :])[0] if probabilistic else scores.copy()
    return LossStep(loss.type_name, task, scores.copy(), link, target_vector, grad_scores.copy(), float(value),
                    float(penalty), output_names(network), target_label, predicted_label,
                    "p" if probabilistic else "s", classes)


def output_names(network) -> list[str]:
    """The output units' names: "0 (cat)", "1 (dog)", ... for named classes, else "0", "1", ..."""
    units = network.layers[-1].output_shape[0]
    classes = network.class_names
    if network.loss.task == "multiclass" and classes and len(classes) == units:
        return [f"{unit} ({name})" for unit, name in enumerate(classes)]
    return [str(unit) for unit in range(units)]
