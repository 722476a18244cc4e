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
    count = len(x)
    steps = math.ceil(count / batch_size)
    callback_list.set_model(model)
    callback_list.set_params({"epochs": epochs, "steps": steps, "verbose": verbose})
    model.stop_training = False
    good_weights, good_epoch = model.get_weights(), None
    callback_list.on_train_begin()
    try:
        for epoch in range(initial_epoch, epochs):
            callback_list.on_epoch_begin(epoch)
            order = rng.permutation(count) if shuffle else np.arange(count)
            total_loss, seen, batch_scores = 0.0, 0, []
            for batch in range(steps):
                indices = order[batch * batch_size:(batch + 1) * batch_size]
                loss, scores = model.train_step(x[indices], targets[indices])
                if not math.isfinite(loss):
                    model.set_weights(good_weights)
                    history.stop_reason = diverged_message(model, loss, epoch, batch, good_epoch)
                    warnings.warn(history.stop_reason, RuntimeWarning, stacklevel=2)
                    model.stop_training = True
                    break
                total_loss += loss * len(indices)
                seen += len(indices)
                batch_scores.append((indices, scores))
                callback_list.on_batch_end(batch, {"loss": loss, "size": len(indices)})
                if model.stop_training:
                    break
            if history.stop_reason is not None:
                break
            logs = epoch_logs(model, targets, total_loss / max(seen, 1), batch_scores)
            if validation is not None:
                validation_logs = evaluate_arrays(model, *validation)
                logs.update({f"val_{key}": value for key, value in validation_logs.items()})
            logs["learning_rate"] = float(model.optimizer.learning_rate)
            callback_list.on_epoch_end(epoch, logs)
            if math.isfinite(logs["loss"]):
                good_weights, good_epoch = model.get_weights(), epoch
            if model.stop_training:
                history.stop_reason = history.stop_reason or f"stopped by a callback after epoch {epoch + 1}"
                break
    except KeyboardInterrupt:
        history.stop_reason = ("interrupted (Ctrl-C) during epoch "
                               f"{len(history.epoch) + initial_epoch + 1}; the model keeps the weights trained so far")
    finally:
        callback_list.on_train_end()
    return history


def epoch_logs(model, targets: np.ndarray, mean_loss: float, batch_scores: list) -> dict[str, float]:
    """Training loss (mean over the epoch's batches) and metrics from the scores seen while training."""
    logs = {"loss": float(mean_loss)}
    if batch_scores:
        indices = np.concatenate([pair[0] for pair in batch_scores])
        scores = np.concatenate([pair[1] for pair in batch_scores])
        logs.update(metrics_from_scores(model, targets[indices], scores))
    return logs


def diverged_message(model, loss: float, epoch: int, batch: int, good_epoch: int | None) -> str:
    """Explain a non-finite loss in words a learner can act on."""
    learning_rate = float(model.optimizer.learning_rate)
    restored = (f"the end of epoch {good_epoch + 1} (the last finite loss)" if good_epoch is not None
                else "their values before training")
    return (f"Training stopped: the loss became {loss} at epoch {epoch + 1}, batch {batch + 1}. "
            f"The likely cause is a learning rate too high for this network (now {learning_rate:g}): "
            f"lower it (try {learning_rate / 10:g}), and check that the inputs are scaled. "
            f"The weights were restored to {restored}.")
