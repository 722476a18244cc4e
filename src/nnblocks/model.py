"""Sequential: the network a user trains, evaluates, saves and loads.

``Network`` (network.py) is the engine core; this class adds what a person does with
a model: ``fit`` on raw data (arrays or DataFrames, any class labels), ``evaluate``,
``predict`` / ``predict_proba``, ``summary``, ``save`` / ``load``. It sits above the
training loop and the model files in the import order, so neither depends on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from nnblocks.blocks.image_inputs import ImageInputs
from nnblocks.blocks.inputs import Inputs
from nnblocks.blocks.losses import get_loss
from nnblocks.data.splits import split_fraction
from nnblocks.data.tasks import infer_task
from nnblocks.engines import check_engine, finish_engine, start_engine
from nnblocks.errors import DataError, NotFittedError
from nnblocks.io.model_files import load_model_files, save_model_files
from nnblocks.network import Network
from nnblocks.optim import get_optimizer
from nnblocks.training.evaluation import class_indices, decide, evaluate_arrays, predict_scores
from nnblocks.training.metrics import confusion_matrix
from nnblocks.training.loop import run_training
from nnblocks.validation import check_choice, check_integer, check_number

DEFAULT_LOSS = {"binary": "binary_cross_entropy", "multiclass": "softmax_cross_entropy", "regression": "mse"}


class Sequential(Network):
    """A stack of layers you can fit, evaluate, predict with, save and load.

    Example:
        >>> from nnblocks import Sequential, Dense, Inputs
        >>> model = Sequential([Dense(16, activation="tanh"), Dense(1)], inputs=Inputs(scaling="standard"))
        >>> history = model.fit(x, y, epochs=50, learning_rate=0.01)   # doctest: +SKIP
        >>> model.predict(x[:3])                                          # doctest: +SKIP
    """

    CONFIG_KEYS = Network.CONFIG_KEYS | {"classes", "threshold"}

    def __init__(self, layers, loss=None, inputs: Inputs | None = None, dtype: str = "float32", seed: int = 0,
                 name: str = "sequential") -> None:
        super().__init__(layers, loss=loss, inputs=inputs if inputs is not None else Inputs(scaling=None),
                         dtype=dtype, seed=seed, name=name)
        self._default_inputs = inputs is None   # may become ImageInputs when the first fit sees images
        self.threshold = 0.5   # binary: predict class 1 when its probability exceeds this
        self.classes: np.ndarray | None = None   # the class labels, in the order of the output units
        self.history = None
        self.torch_engine = None  # the engine of the last fit(engine="torch"): its torch module and optimiser

    # --- task and targets -----------------------------------------------------------
    @property
    def task(self) -> str | None:
        return self.loss.task if self.loss is not None else None

    @property
    def class_names(self) -> list[str] | None:
        return None if self.classes is None else [str(label) for label in self.classes]

    def _task_of(self, y) -> str:
        """The loss's task, or, before a loss is chosen, the task the targets suggest."""
        if self.loss is not None:
            return self.loss.task
        values = np.asarray(y)
        if values.ndim == 2 and values.shape[1] > 1:
            return "regression"  # several target columns: multi-output regression (labels are one column)
        return infer_task(values.ravel() if values.ndim == 2 else values, "target y")

    def _learn_targets(self, y) -> None:
        """Choose the loss (when none was given) and learn the class labels from all of y."""
        values = _as_targets(y)
        if self.loss is None:
            self.loss = get_loss(DEFAULT_LOSS[self._task_of(values)])
        if self.loss.task == "regression":
            return
        values = _as_labels(values)
        infer_task(values, "target y")  # refuses NaN and a single class with a clear message
        self.classes = _unique_labels(values)
        if self.loss.task == "binary" and len(self.classes) != 2:
            raise DataError(f"The loss {self.loss.type_name} is for two classes, but y has "
                            f"{len(self.classes)}: {self.class_names[:10]}. Fix: use "
                            "loss='softmax_cross_entropy' with one output unit per class.")

    def _encode_targets(self, y) -> np.ndarray:
        """Targets as the loss wants them: (N, 1) 0/1 floats, (N,) class indices, or (N, K) values."""
        values = _as_targets(y)
        if self.loss.task == "regression":
            values = values.reshape(len(values), -1)
            try:
                values = values.astype(self.dtype)
            except ValueError:
                raise DataError("y holds text but the loss is a regression loss "
                                f"({self.loss.type_name}). Fix: pass numbers, or use a classification loss.") from None
            if not np.all(np.isfinite(values)):
                raise DataError(f"y contains NaN or infinity in {int(np.sum(~np.isfinite(values)))} place(s). "
                                "Fix: drop or fill those rows.")
            return values
        codes = _codes(_as_labels(values), self.classes)
        return codes.astype(self.dtype).reshape(-1, 1) if self.loss.task == "binary" else codes

    def _check_output_units(self, targets: np.ndarray) -> None:
        """The last layer must give one logit (binary), one unit per class, or one per target column."""
        units = self.layers[-1].output_shape
        if self.task == "regression":
            expected = targets.shape[1]
        else:
            expected = 1 if self.task == "binary" else len(self.classes)
        if tuple(units) != (expected,):
            what = {"binary": "1 output unit (one logit)", "multiclass": f"{expected} output units (one per class)",
                    "regression": f"{expected} output unit(s) (one per target column)"}[self.task]
            raise DataError(f"The last layer gives {units[0] if len(units) == 1 else units} outputs, but this "
                            f"{self.task} task needs {what}. Fix: end the network with Dense({expected}).")

    def _prepare(self, x, y=None, adapt: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
        """Features through the Inputs block (adapting it first if asked) and encoded targets."""
        if adapt and self._default_inputs and isinstance(self.inputs, Inputs) and np.ndim(x) > 2:
            self.inputs = ImageInputs(scaling=None)  # images given to a model built without an Inputs block
        if adapt and not self.inputs.is_adapted:
            self.inputs.adapt(x)
        features = self.inputs.transform(x).astype(self.dtype, copy=False)
        targets = None
        if y is not None:
            if len(y) != len(features):
                raise DataError(f"x and y must have the same number of rows. Got {len(features)} rows in x and "
                                f"{len(y)} in y. Fix: pass matching arrays.")
            targets = self._encode_targets(y)
        return features, targets

    # --- training ----------------------------------------------------------------------
    def fit(self, x, y, *, epochs: int = 100, batch_size: int = 32, optimizer=None, learning_rate: float | None = None,
            validation_data: tuple | None = None, validation_split: float = 0.0, callbacks=(), shuffle: bool = True,
            verbose: bool | None = None, seed: int | None = None, engine: str = "numpy", device: str = "auto",
            amp: bool = False, compile: bool = False):
        """Train on (x, y) and return the History.

        ``optimizer`` is a name ("sgd", "momentum", "rmsprop", "adagrad", "adam", "adamw") or an
        Optimizer; left out, the previous one continues (Adam the first time). A validation split
        is taken (stratified for classifiers) before the inputs are adapted, so scaling never
        sees validation rows. ``seed`` (default: the model's seed) fixes shuffling and dropout.
        ``engine="torch"`` trains with PyTorch on ``device`` ("auto", "cpu", "cuda", "mps"; with
        ``amp`` mixed precision on CUDA, ``compile`` for torch.compile) and copies the trained
        weights back here; ``model.torch_engine`` keeps the torch module and optimiser.
        """
        epochs = check_integer("epochs", epochs, "fit", minimum=1)
        batch_size = check_integer("batch_size", batch_size, "fit", minimum=1)
        validation_split = check_number("validation_split", validation_split, "fit", minimum=0.0, maximum=0.9)
        seed = self.seed if seed is None else check_integer("seed", seed, "fit", minimum=0)
        engine = check_engine(engine)
        self._learn_targets(y)  # from all of y, so a class rare enough to miss the training part keeps its unit
        if validation_split and validation_data is None:
            stratify = self._task_of(y) != "regression"
            split = split_fraction(x, y, validation_split, stratify=stratify, seed=seed)
            x, y, validation_data = split[0], split[1], (split[2], split[3])
        features, targets = self._prepare(x, y, adapt=True)
        if not self.built:
            self.build(features.shape[1:])
        self._check_output_units(targets)
        if optimizer is not None or self.optimizer is None:
            self.optimizer = get_optimizer(optimizer or "adam", learning_rate=learning_rate)
        elif learning_rate is not None:
            self.optimizer.learning_rate = check_number("learning_rate", learning_rate, "fit", 0.0, strict_minimum=True)
        validation = self._prepare(*validation_data) if validation_data is not None else None
        rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
        trainer = start_engine(self, engine, device=device, amp=amp, compile=compile)  # self for "numpy"
        try:
            self.history = run_training(trainer, features, targets, epochs=epochs,
                                        batch_size=min(batch_size, len(features)), rng=rng, validation=validation,
                                        callbacks=list(callbacks), shuffle=shuffle, verbose=verbose)
        finally:
            finish_engine(self, trainer)  # the trained weights come back into this model
        return self.history

    # --- using a trained model ---------------------------------------------------------
    def _require_fitted(self, action: str) -> None:
        if not self.built or self.loss is None or not self.inputs.is_adapted:
            raise NotFittedError(f"This Sequential model is not fitted yet, so it cannot {action}. "
                                 "Fix: call model.fit(x, y) first, or load a trained model with Sequential.load(path).")

    def decision_function(self, x) -> np.ndarray:
        """Raw scores (logits for classifiers), (N, K)."""
        self._require_fitted("predict")
        return predict_scores(self, self._prepare(x)[0])

    def predict(self, x) -> np.ndarray:
        """Class labels for classifiers; values for regression ((N,) for one target)."""
        scores = self.decision_function(x)
        decided = decide(self.task, scores, self.threshold)
        if self.task == "regression":
            return decided[:, 0] if decided.shape[1] == 1 else decided
        return self.classes[decided]

    def predict_proba(self, x) -> np.ndarray:
        """Class probabilities (N, K) in the order of ``classes``; binary gives two columns."""
        scores = self.decision_function(x)
        if self.task == "regression" or self.loss.type_name == "hinge":
            raise DataError(
                f"predict_proba needs a probabilistic classifier, but the loss is {self.loss.type_name}. Fix: use "
                "predict() or decision_function(), or train with a cross-entropy loss.")
        probabilities = self.loss.link(scores)
        if self.task == "binary":
            return np.hstack([1 - probabilities, probabilities])
        return probabilities

    def layer_outputs(self, x) -> dict[str, np.ndarray]:
        """What every layer computes for raw x (inference mode), in order, keyed by layer name.

        The first entry, "inputs", is x after the Inputs block (derived features, scaling);
        each hidden layer's (N, H) array holds one column per neuron: the values a neuron map shows.
        """
        self._require_fitted("report layer outputs")
        values = self._prepare(x)[0]
        outputs = {"inputs": values}
        for layer in self.layers:
            values = layer.forward(values, training=False)
            outputs[layer.name] = values
        return outputs

    def choose_threshold(self, x, y, metric: str = "balanced_accuracy") -> float:
        """Pick the binary decision threshold that maximises ``metric`` on (x, y) and keep it.

        Use validation data, never the test split: when class balance differs between training
        and deployment (a rare disease, fraud), 0.5 is rarely the best cut. ``metric`` is
        "accuracy" or "balanced_accuracy" (the mean of the two classes' recalls).
        """
        metric = check_choice("metric", metric, ["accuracy", "balanced_accuracy"], "choose_threshold")
        if self.task != "binary" or self.loss.type_name == "hinge":
            raise DataError("choose_threshold needs a binary classifier with a cross-entropy loss; this model's "
                            f"task is {self.task} with loss {self.loss.type_name}.")
        probabilities = self.predict_proba(x)[:, 1]
        truth = self._encode_targets(y)[:, 0] == 1
        # Cut half-way between neighbouring probabilities, so no example sits exactly on the threshold.
        levels = np.unique(probabilities.astype(np.float64))
        candidates = np.concatenate([[0.5], (levels[:-1] + levels[1:]) / 2])
        best, best_score = 0.5, -1.0
        for candidate in candidates[(candidates > 0) & (candidates < 1)]:
            predicted = probabilities > candidate
            if metric == "accuracy":
                score = float(np.mean(predicted == truth))
            else:
                score = 0.5 * (np.mean(predicted[truth]) if truth.any() else 0.0) + \
                        0.5 * (np.mean(~predicted[~truth]) if (~truth).any() else 0.0)
            if score > best_score:
                best, best_score = float(candidate), score
        self.threshold = best
        return best

    def confusion_matrix(self, x, y) -> np.ndarray:
        """Counts C[i, j] of examples of class ``classes[i]`` predicted as ``classes[j]`` (rows: truth)."""
        self._require_fitted("compute a confusion matrix")
        if self.task == "regression":
            raise DataError("A confusion matrix needs a classifier; this model does regression. Fix: use evaluate().")
        features, targets = self._prepare(x, y)
        truth = class_indices(self.task, targets)
        predicted = decide(self.task, predict_scores(self, features), self.threshold)
        return confusion_matrix(truth, predicted, len(self.classes))

    def evaluate(self, x, y, batch_size: int = 1024) -> dict[str, float]:
        """Loss and the task's metrics on (x, y): accuracy (+ ROC AUC for binary) or MAE, RMSE, R²."""
        self._require_fitted("evaluate")
        features, targets = self._prepare(x, y)
        return evaluate_arrays(self, features, targets, batch_size)

    # --- files -----------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["threshold"] = self.threshold
        config["classes"] = None if self.classes is None else [label.item() if hasattr(label, "item") else label
                                                               for label in self.classes]
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Sequential":
        model = super().from_config(config)
        if config.get("classes") is not None:
            model.classes = np.asarray(config["classes"])
        model.threshold = float(config.get("threshold", 0.5))
        return model

    def save(self, path: str | Path) -> Path:
        """Write model.json + model.safetensors into the folder ``path`` (atomically)."""
        self._require_fitted("be saved")
        return save_model_files(path, self.get_config(), self.get_weights())

    @classmethod
    def load(cls, path: str | Path) -> "Sequential":
        """Read a model folder written by ``save``; a corrupt or hostile file raises ModelFileError."""
        config, weights, _ = load_model_files(path)
        model = cls.from_config(config)
        model.set_weights(weights)
        return model


def _as_targets(y) -> np.ndarray:
    values = np.asarray(y)
    if values.ndim == 0:
        raise DataError(f"y must hold one target per example. Got a single value {values!r}. Fix: pass a 1-D "
                        "array of labels or values with one entry per row of x.")
    if len(values) == 0:
        raise DataError("y has no rows, so there is nothing to learn from. Fix: pass at least two examples.")
    return values


def _as_labels(values: np.ndarray) -> np.ndarray:
    """Class labels as a 1-D array; a (N, 1) column is accepted, one-hot rows are not."""
    values = values.ravel() if values.ndim == 2 and values.shape[1] == 1 else values
    if values.ndim != 1:
        raise DataError(f"y for a classifier must be one label per example (1-D). Got shape {values.shape}. "
                        "Fix: pass class labels, not one-hot rows.")
    return values


def _unique_labels(values: np.ndarray) -> np.ndarray:
    try:
        return np.unique(values)
    except TypeError:  # labels of mixed types cannot be sorted together; compare them as text
        return np.unique(values.astype(str))


def _codes(values: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Index of each label in ``classes``; unknown labels raise a clear error."""
    if values.dtype.kind != classes.dtype.kind and classes.dtype.kind in "UO":
        values = values.astype(str)
    positions = np.searchsorted(classes, values)
    positions = np.clip(positions, 0, len(classes) - 1)
    unknown = classes[positions] != values
    if np.any(unknown):
        raise DataError(f"y contains labels the model was not trained on: {sorted(set(values[unknown].tolist()))[:10]}."
                        f" The known classes are {[str(label) for label in classes]}. Fix: evaluate on data with "
                        "the same classes.")
    return positions.astype(np.int64)
