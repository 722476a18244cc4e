"""What NNClassifier and NNRegressor share: the parameters, the network they build, and fit.

The estimators are thin: a scikit-learn front (parameters stored as given, checks in
``fit``, fitted attributes ending in ``_``) over an ``nnblocks.Sequential`` that does
the real work. Subclasses say only what differs: how targets are checked and encoded,
the loss, and how many output units the last layer has.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from nnblocks.blocks.activations import get_activation
from nnblocks.blocks.inputs import Inputs
from nnblocks.blocks.layers import Dense, Dropout
from nnblocks.data.splits import split_fraction
from nnblocks.errors import DataError, ParameterError, ParameterTypeError
from nnblocks.model import Sequential
from nnblocks.optim import OPTIMIZERS, PRESETS, Optimizer, get_optimizer
from nnblocks.training.callbacks import EarlyStopping
from nnblocks.validation import check_choice, check_integer, check_number, message

try:  # scikit-learn >= 1.6
    from sklearn.utils.validation import validate_data
except ImportError:  # pragma: no cover - scikit-learn 1.4 and 1.5 have the method instead
    def validate_data(estimator, *args, **kwargs):
        return estimator._validate_data(*args, **kwargs)

# When early_stopping is on but validation_split is 0, this fraction is held out to watch val_loss
# (scikit-learn's MLP uses the same default validation_fraction).
EARLY_STOPPING_FRACTION = 0.1


class NNEstimatorBase(BaseEstimator):
    """Parameters and fit logic shared by :class:`NNClassifier` and :class:`NNRegressor`.

    See those classes for the meaning of each parameter. As scikit-learn requires,
    ``__init__`` only stores its arguments; every check happens in ``fit``.
    """

    def __init__(self, hidden_layer_sizes=(16,), activation="relu", optimizer="adam", learning_rate=0.001,
                 epochs=200, batch_size=32, l2=0.0, dropout=0.0, scaling="standard", validation_split=0.0,
                 early_stopping=False, patience=10, random_state=None, dtype="float64", verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.dropout = dropout
        self.scaling = scaling
        self.validation_split = validation_split
        self.early_stopping = early_stopping
        self.patience = patience
        self.random_state = random_state
        self.dtype = dtype
        self.verbose = verbose

    # --- what subclasses provide ----------------------------------------------------------
    def _loss_and_units(self, targets: np.ndarray) -> tuple[str, int]:
        """The loss name and the number of output units for these (encoded) targets."""
        raise NotImplementedError

    def _stratify(self) -> bool:
        return False

    # --- fit -------------------------------------------------------------------------------
    def _fit_network(self, x: np.ndarray, targets: np.ndarray) -> "NNEstimatorBase":
        """Build a fresh Sequential and train it on validated ``x`` (N, D) and encoded ``targets``."""
        owner = type(self).__name__
        epochs = check_integer("epochs", self.epochs, owner, minimum=1)
        batch_size = check_integer("batch_size", self.batch_size, owner, minimum=1)
        fraction = check_number("validation_split", self.validation_split, owner, minimum=0.0, maximum=0.9)
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise ParameterTypeError(message("early_stopping", owner, "True or False", self.early_stopping))
        seed = self._seed()
        callbacks = []
        if self.early_stopping:
            patience = check_integer("patience", self.patience, owner, minimum=0)
            callbacks.append(EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True))
            fraction = fraction or EARLY_STOPPING_FRACTION
        validation = None
        if fraction:
            train_rows, validation_rows = self._holdout(targets, fraction, seed)
            x, targets, validation = x[train_rows], targets[train_rows], (x[validation_rows], targets[validation_rows])

        loss, units = self._loss_and_units(targets)
        scaling = None if self.scaling is None else check_choice("scaling", self.scaling,
                                                                 ("standard", "minmax", "none"), owner)
        model = Sequential(self._layers(units), loss=loss, inputs=Inputs(scaling=scaling), dtype=self._dtype(),
                           seed=seed, name=owner)
        history = model.fit(x, targets, epochs=epochs, batch_size=batch_size, optimizer=self._optimizer(),
                            validation_data=validation, callbacks=callbacks, verbose=bool(self.verbose), seed=seed)
        self.model_, self.history_ = model, history  # set only once training succeeded
        self.loss_curve_ = list(history.history.get("loss", []))
        self.n_iter_ = len(self.history_.epoch)
        return self

    def _layers(self, units: int) -> list:
        """Dense(h) [+ Dropout] per hidden size, then a linear Dense(units) giving the scores."""
        owner = type(self).__name__
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = [check_integer("hidden_layer_sizes", size, owner, minimum=1) for size in sizes]
        except (TypeError, ParameterError, ParameterTypeError):
            raise ParameterError(message("hidden_layer_sizes", owner, "a tuple of positive integers such as (16,) "
                                         "or (32, 16), one per hidden layer", self.hidden_layer_sizes)) from None
        activation = get_activation(self.activation, owner=owner)  # stateless: one object serves every layer
        l2 = check_number("l2", self.l2, owner, minimum=0.0)
        rate = check_number("dropout", self.dropout, owner, minimum=0.0)
        if rate >= 1.0:
            raise ParameterError(message("dropout", owner, "a rate in [0, 1)", self.dropout,
                                         "values such as 0.1 to 0.5 are usual; 1 would silence every neuron."))
        layers = []
        for size in sizes:
            layers.append(Dense(size, activation=activation, l2=l2))
            if rate > 0:
                layers.append(Dropout(rate))
        layers.append(Dense(units, l2=l2))
        return layers

    def _optimizer(self) -> Optimizer:
        """A fresh optimiser every fit: an Optimizer passed as a parameter is copied, never trained in place."""
        owner = type(self).__name__
        learning_rate = check_number("learning_rate", self.learning_rate, owner, 0.0, strict_minimum=True)
        spec = self.optimizer.get_config() if isinstance(self.optimizer, Optimizer) else self.optimizer
        if isinstance(spec, str):
            check_choice("optimizer", spec, [*OPTIMIZERS, *PRESETS], owner)
        return get_optimizer(spec, learning_rate=learning_rate)

    def _dtype(self) -> str:
        try:
            name = np.dtype(self.dtype).name
        except TypeError:
            name = None
        if name not in ("float32", "float64"):
            raise ParameterError(message("dtype", type(self).__name__, "'float32' or 'float64'", self.dtype))
        return name

    def _seed(self) -> int:
        """The Sequential's seed: ``random_state`` itself when it is an int, else drawn from it."""
        state = self.random_state
        if isinstance(state, numbers.Integral) and not isinstance(state, bool):
            return check_integer("random_state", state, type(self).__name__, minimum=0)
        return int(check_random_state(state).randint(np.iinfo(np.int32).max))

    def _holdout(self, targets: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Row indices (train, validation); classifiers split stratified and keep every class in training."""
        rows = np.arange(len(targets))
        try:
            train, _, validation, _ = split_fraction(rows, targets, fraction, stratify=self._stratify(), seed=seed)
        except DataError as error:
            raise DataError(f"{type(self).__name__} holds out {fraction:g} of the rows for validation "
                            f"(validation_split / early_stopping), but: {error}") from None
        if self._stratify():
            # The network needs one output unit per class, so each class must be seen while training.
            missing = np.setdiff1d(targets[validation], targets[train])
            moved = np.array([validation[np.flatnonzero(targets[validation] == label)[0]] for label in missing],
                             dtype=np.intp)
            train, validation = np.union1d(train, moved), np.setdiff1d(validation, moved)
        if len(validation) == 0:
            raise DataError(f"{type(self).__name__} could not hold out validation rows from {len(targets)} "
                            "examples while keeping every class in training. Fix: use more data, or set "
                            "validation_split=0.0 and early_stopping=False.")
        return train, validation

    # --- scikit-learn plumbing ----------------------------------------------------------------
    def _validated_x(self, x) -> np.ndarray:
        """Check ``x`` against what fit saw (feature count and names); return a float64 array."""
        return validate_data(self, x, reset=False, dtype=np.float64)
