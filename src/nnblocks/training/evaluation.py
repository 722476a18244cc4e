"""Loss and metrics of a model on arrays, in batches, without training.

Shared by the fit loop (validation after each epoch) and by ``evaluate``: one place
that turns scores into the task's metrics, so training logs and final reports agree.
"""

from __future__ import annotations

import math

import numpy as np

from nnblocks.training.metrics import task_metrics, top_k_accuracy

TOP_K = 5


def decide(task: str, scores: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Predicted class indices (classifiers) or values (regression) from raw scores.

    Binary scores are logits, so "probability > threshold" is "score > log(t / (1 − t))";
    the default 0.5 is "score > 0", which also suits hinge margins.
    """
    if task == "binary":
        cut = 0.0 if threshold == 0.5 else math.log(threshold / (1 - threshold))
        return (scores[:, 0] > cut).astype(np.int64)
    if task == "multiclass":
        return np.argmax(scores, axis=1)
    return scores


def class_indices(task: str, targets: np.ndarray) -> np.ndarray:
    """Targets as the metrics expect them: class indices for classifiers, values for regression."""
    if task == "binary":
        return targets.reshape(len(targets), -1)[:, 0].astype(np.int64)
    if task == "multiclass" and targets.ndim == 2:
        return np.argmax(targets, axis=1)
    return targets


def metrics_from_scores(model, targets: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    """The task's metrics (accuracy and ROC AUC, or MAE, RMSE and R²) for these scores."""
    task = model.loss.task
    probabilities = model.loss.link(scores) if task != "regression" else None
    predictions = decide(task, scores, getattr(model, "threshold", 0.5))
    truth = class_indices(task, targets)
    metrics = task_metrics(task, truth, scores, probabilities, predictions)
    if task == "multiclass" and scores.shape[1] > TOP_K:
        # With many classes (ImageNet's 1000) "the right answer among the top 5" is the usual second number.
        metrics[f"top_{TOP_K}_accuracy"] = top_k_accuracy(truth, scores, TOP_K)
    return metrics


def predict_scores(model, x: np.ndarray, batch_size: int = 1024) -> np.ndarray:
    """Scores for every row of x, computed in batches to bound memory."""
    if len(x) <= batch_size:
        return model.forward(x, training=False)
    return np.concatenate([model.forward(x[start:start + batch_size], training=False)
                           for start in range(0, len(x), batch_size)])


def evaluate_arrays(model, x: np.ndarray, targets: np.ndarray, batch_size: int = 1024) -> dict[str, float]:
    """{"loss": ..., metrics...} on preprocessed arrays; the loss includes regularisation penalties."""
    scores = predict_scores(model, x, batch_size)
    loss = model.loss.forward(scores, targets) + model.penalty()
    return {"loss": float(loss), **metrics_from_scores(model, targets, scores)}
