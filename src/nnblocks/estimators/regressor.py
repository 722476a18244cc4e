"""NNRegressor: an nnblocks network behind scikit-learn's regressor interface."""

from __future__ import annotations

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.utils.validation import check_is_fitted

from nnblocks.estimators.base import NNEstimatorBase, validate_data


class NNRegressor(RegressorMixin, NNEstimatorBase):
    """A feed-forward network regressor (NumPy engine) with the scikit-learn API.

    The last layer is linear with one unit per target, trained with mean squared error.
    ``y`` may be 1-D (one target) or 2-D (N, T) for several targets at once. Inputs are
    scaled inside the network; targets are not, so rescale targets of very large size
    (e.g. with ``sklearn.compose.TransformedTargetRegressor``) for faster training.

    Parameters: the same as :class:`NNClassifier` (``validation_split`` is not stratified here).

    Attributes:
        model_: the trained ``nnblocks.Sequential``.
        n_outputs_: the number of targets T.
        n_features_in_, feature_names_in_, history_, loss_curve_, n_iter_: as in NNClassifier;
            ``history_.history`` holds "loss", "mae", "rmse", "r2" (and their ``val_`` twins).

    Example:
        >>> from sklearn.datasets import load_diabetes
        >>> x, y = load_diabetes(return_X_y=True)
        >>> model = NNRegressor(hidden_layer_sizes=(32,), learning_rate=0.01, epochs=20, random_state=0).fit(x, y)
        >>> model.predict(x[:3]).shape
        (3,)
    """

    def fit(self, X, y):
        """Train a fresh network on ``X`` (N, D) and targets ``y`` (N,) or (N, T); return self."""
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        return self._fit_network(X, y)

    def _loss_and_units(self, targets):
        return "mse", self.n_outputs_

    def predict(self, X) -> np.ndarray:
        """Predicted values: (N,) for one target, else (N, T)."""
        check_is_fitted(self)
        scores = self.model_.decision_function(self._validated_x(X)).astype(np.float64, copy=False)  # (N, T)
        return scores[:, 0] if scores.shape[1] == 1 else scores

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def _more_tags(self):  # scikit-learn < 1.6 reads tags from here
        return {"multioutput": True}
