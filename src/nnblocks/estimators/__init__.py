"""scikit-learn estimators built on nnblocks: ``NNClassifier`` and ``NNRegressor``.

They pass scikit-learn's ``check_estimator``, so they work in Pipelines, GridSearchCV,
cross_val_score and the rest; ``model_`` is the trained ``nnblocks.Sequential``.

    >>> from nnblocks.estimators import NNClassifier
    >>> from sklearn.pipeline import make_pipeline                     # doctest: +SKIP
    >>> make_pipeline(SimpleImputer(), NNClassifier(random_state=0))  # doctest: +SKIP
"""

from nnblocks.estimators.classifier import NNClassifier
from nnblocks.estimators.regressor import NNRegressor

__all__ = ["NNClassifier", "NNRegressor"]
