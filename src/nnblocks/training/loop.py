"""One training loop for every engine.

The loop asks the model for very little — ``train_step(x, targets) -> (loss, scores)``,
``forward``, ``loss``, ``penalty``, ``get_weights``/``set_weights``, ``optimizer`` and a
``stop_training`` flag — so the NumPy network and the PyTorch twin share it.

Per epoch it shuffles *indices* (the data never moves), runs minibatches, reports the
running training loss and metrics, evaluates the validation data, and calls the
callbacks with Keras' names. Two ways out besides the last epoch:

- a non-finite loss stops training within the batch where it appears; the weights go
  back to the last epoch that ended with a finite loss, and the reason names the
  epoch, the likely cause and a fix;
- Ctrl-C (KeyboardInterrupt) ends training cleanly and keeps the trained model.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nnblocks.training.callbacks import CallbackList, History
from nnblocks.training.evaluation import evaluate_arrays, metrics_from_scores
from nnblocks.training.progress import ProgressDisplay


def run_training(model, x: np.ndarray, targets: np.ndarray, *, epochs: int, batch_size: int,
                 rng: np.random.Generator, validation: tuple[np.ndarray, np.ndarray] | None = None,
                 callbacks=(), shuffle: bool = True, verbose: bool | None = None,
                 initial_epoch: int = 0) -> History:
    """Train ``model`` on preprocessed arrays and return its History.

    Args:
        x, targets: training inputs (N, ...) and encoded targets, in the model's dtype.
        epochs: the epoch to stop after (counting from 0, ``initial_epoch`` included).
        batch_size: examples per gradient step (the last batch may be smaller).
        rng: the generator that shuffles; pass a seeded one for repeatable runs.
        validation: preprocessed (x, targets) evaluated after every epoch.
        verbose: None shows a progress bar only on a terminal; False never.
    """
    history = History()
    callback_list = CallbackList([history, *callbacks])
    if verbose is not False and not any(isinstance(callback, ProgressDisplay) for callback in callbacks):
        callback_list.append(ProgressDisplay(enabled=None if verbose is None else verbose))
    steps = math.ceil(len(x) / batch_size)
    callback_list.set_model(model)
    callback_list.set_params({"epochs": epochs, "steps": steps, "verbose": verbose})
    model.stop_training = False
    last_good = (model.get_weights(), None)   # (weights, epoch they ended) to fall back on
    callback_list.on_train_begin()
    try:
        # NumPy's overflow warnings would only precede our own, clearer message about a
        # non-finite loss, so they are silenced while training (and only then).
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for epoch in range(initial_epoch, epochs):
                callback_list.on_epoch_begin(epoch)
                order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
                logs = train_epoch(model, x, targets, order, batch_size, callback_list)
                if not math.isfinite(logs["loss"]):
                    model.set_weights(last_good[0])
                    history.stop_reason = diverged_message(model, logs, epoch, last_good[1])
                    warnings.warn(history.stop_reason, RuntimeWarning, stacklevel=2)
                    break
                if validation is not None:
                    logs.update({f"val_{key}": value for key, value in evaluate_arrays(model, *validation).items()})
                logs["learning_rate"] = float(model.optimizer.learning_rate)
                callback_list.on_epoch_end(epoch, logs)
                last_good = (model.get_weights(), epoch)
                if model.stop_training:
                    history.stop_reason = callback_reason(callback_list, epoch)
                    break
    except KeyboardInterrupt:
        history.stop_reason = ("interrupted (Ctrl-C) during epoch "
                               f"{len(history.epoch) + initial_epoch + 1}; the model keeps the weights trained so far")
    finally:
        callback_list.on_train_end()
    return history


def train_epoch(model, x, targets, order: np.ndarray, batch_size: int, callback_list) -> dict:
    """One pass over the data in the given order; returns the epoch's training logs.

    Stops early at the first non-finite loss (logs then hold it, with the batch) or when a
    callback sets ``model.stop_training``.
    """
    total_loss, batch_scores = 0.0, []
    for batch, start in enumerate(range(0, len(order), batch_size)):
        indices = order[start:start + batch_size]
        loss, scores = model.train_step(x[indices], targets[indices])
        if not math.isfinite(loss):
            return {"loss": loss, "batch": batch}
        total_loss += loss * len(indices)
        batch_scores.append((indices, scores))
        callback_list.on_batch_end(batch, {"loss": loss, "size": len(indices)})
        if model.stop_training:
            break
    seen = sum(len(indices) for indices, _ in batch_scores)
    return epoch_logs(model, targets, total_loss / max(seen, 1), batch_scores)


def callback_reason(callback_list, epoch: int) -> str:
    """The stopping callback's own sentence (EarlyStopping, TerminateOnNaN) where it gives one."""
    for callback in callback_list:
        reason = getattr(callback, "reason", None)
        if reason:
            return reason
    return f"stopped by a callback after epoch {epoch + 1}"


def epoch_logs(model, targets: np.ndarray, mean_loss: float, batch_scores: list) -> dict[str, float]:
    """Training loss (mean over the epoch's batches) and metrics from the scores seen while training."""
    logs = {"loss": float(mean_loss)}
    if batch_scores:
        indices = np.concatenate([pair[0] for pair in batch_scores])
        scores = np.concatenate([pair[1] for pair in batch_scores])
        logs.update(metrics_from_scores(model, targets[indices], scores))
    return logs


def diverged_message(model, logs: dict, epoch: int, good_epoch: int | None) -> str:
    """Explain a non-finite loss in words a learner can act on."""
    loss, batch = logs["loss"], logs["batch"]
    learning_rate = float(model.optimizer.learning_rate)
    restored = (f"the end of epoch {good_epoch + 1} (the last finite loss)" if good_epoch is not None
                else "their values before training")
    return (f"Training stopped: the loss became {loss} at epoch {epoch + 1}, batch {batch + 1}. "
            f"The likely cause is a learning rate too high for this network (now {learning_rate:g}): "
            f"lower it (try {learning_rate / 10:g}), and check that the inputs are scaled. "
            f"The weights were restored to {restored}.")
