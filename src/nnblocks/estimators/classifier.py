"""NNClassifier: an nnblocks network behind scikit-learn's classifier interface."""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from nnblocks.errors import DataError
from nnblocks.estimators.base import NNEstimatorBase, validate_data
from nnblocks.training.evaluation import decide


class NNClassifier(ClassifierMixin, NNEstimatorBase):
    """A feed-forward network classifier (NumPy engine) with the scikit-learn API.

    Two classes train one logit with binary cross-entropy (sigmoid); more train one logit
    per class with softmax cross-entropy. Inputs are scaled inside the network (``scaling``),
    with statistics from the training rows only, so no separate scaler is needed.

    Parameters:
        hidden_layer_sizes: neurons per hidden layer, e.g. ``(32, 16)``; ``()`` gives logistic regression.
        activation: hidden-layer activation name ("relu", "tanh", "sigmoid", "elu", "gelu", ...).
        optimizer: "adam", "adamw", "sgd", "momentum", "nesterov", "rmsprop", "adagrad", a config dict,
            or an ``nnblocks.optim.Optimizer`` (copied at each fit, never trained in place).
        learning_rate: step size; it always overrides the optimiser's own.
        epochs: passes over the training data (fewer with early stopping).
        batch_size: examples per gradient step.
        l2: penalty ``l2 * sum(W**2)`` added to the mean loss for every Dense layer's weights (as Keras'
            kernel_regularizer; scikit-learn's MLP ``alpha`` is scaled differently: ``alpha / (2 N)``).
        dropout: rate of the Dropout layer after each hidden layer (0 means no Dropout layer).
        scaling: "standard", "minmax" or None: how the Inputs block scales the features.
        validation_split: fraction of rows held out (stratified) to report ``val_*`` in ``history_``.
        early_stopping: stop when ``val_loss`` has not improved for ``patience`` epochs and restore the best
            weights; it holds out ``validation_split`` of the rows, or 10 % when that is 0.
        patience: epochs without improvement before early stopping.
        random_state: int for repeatable fits (it is the network's seed), None for a fresh one each fit,
            or a ``numpy.random.RandomState``.
        dtype: "float64" (default, exact) or "float32" (faster).
        verbose: show a progress bar while training.

    Attributes:
        model_: the trained ``nnblocks.Sequential`` (its ``classes`` are ``classes_``).
        classes_: the class labels, sorted; output unit k (multiclass) belongs to ``classes_[k]``.
        n_features_in_, feature_names_in_: what ``fit`` saw (names only for DataFrames with string columns).
        history_: the ``nnblocks`` History; ``history_.history`` maps "loss", "accuracy", "val_loss", ...
            to one value per epoch.
        loss_curve_: the training loss of each epoch (as in scikit-learn's MLPClassifier).
        n_iter_: the number of epochs run.

    Example:
        >>> from sklearn.datasets import load_iris
        >>> x, y = load_iris(return_X_y=True)
        >>> model = NNClassifier(hidden_layer_sizes=(16,), learning_rate=0.01, epochs=50, random_state=0).fit(x, y)
        >>> model.predict_proba(x[:2]).shape
        (2, 3)
    """

    def fit(self, X, y):
        """Train a fresh network on ``X`` (N, D) and class labels ``y`` (N,); return self."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise DataError(f"{type(self).__name__} needs at least 2 classes in y, but y has 1 class "
                            f"({self.classes_[0]!r}) in all {len(y)} rows. Fix: pass examples of every class.")
        self._fit_network(X, codes.reshape(-1).astype(np.int64))
        self.model_.classes = self.classes_  # so the network alone also predicts the real labels
        return self

    def _loss_and_units(self, targets):
        if len(self.classes_) == 2:
            return "binary_cross_entropy", 1
        return "softmax_cross_entropy", len(self.classes_)

    def _stratify(self) -> bool:
        return True

    def _scores(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self.model_.decision_function(self._validated_x(X)).astype(np.float64, copy=False)  # (N, K)

    def decision_function(self, X) -> np.ndarray:
        """Logits: (N,) for two classes (positive means ``classes_[1]``), else (N, K)."""
        scores = self._scores(X)
        return scores[:, 0] if len(self.classes_) == 2 else scores

    def predict(self, X) -> np.ndarray:
        """The most probable class label of each row."""
        scores = self._scores(X)  # first: it raises NotFittedError before model_ is touched
        return self.classes_[decide(self.model_.task, scores)]

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (N, K), columns in the order of ``classes_``; rows sum to 1."""
        check_is_fitted(self)
        return self.model_.predict_proba(self._validated_x(X)).astype(np.float64, copy=False)

    def predict_log_proba(self, X) -> np.ndarray:
        """``log(predict_proba(X))``; -inf where a probability underflowed to 0."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))
