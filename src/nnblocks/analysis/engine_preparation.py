"""What each engine trains on: the settings and a fresh, identical model per engine (see ``engine_comparison``)."""

from __future__ import annotations

from collections.abc import Callable

from nnblocks.analysis.engine_results import OWNER
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.model import Sequential
from nnblocks.runs import RunSpec, prepare_run
from nnblocks.validation import check_integer, check_number, message


def _settings(source, epochs, batch_size, learning_rate, optimizer, seed) -> dict:
    spec = source if isinstance(source, RunSpec) else None
    settings = {"epochs": spec.epochs if spec else 10, "batch_size": spec.batch_size if spec else 32,
                "learning_rate": spec.learning_rate if spec else None, "optimizer": spec.optimizer if spec else "adam",
                "seed": spec.seed if spec else None}
    if epochs is not None:
        settings["epochs"] = check_integer("epochs", epochs, OWNER, minimum=1)
    if batch_size is not None:
        settings["batch_size"] = check_integer("batch_size", batch_size, OWNER, minimum=1)
    if learning_rate is not None:
        settings["learning_rate"] = check_number("learning_rate", learning_rate, OWNER, 0.0, strict_minimum=True)
    if optimizer is not None:
        settings["optimizer"] = optimizer
    if seed is not None:
        settings["seed"] = check_integer("seed", seed, OWNER, minimum=0)
    return settings


class _Preparer:
    """``prepare(engine)`` -> (a fresh model, its fit function, its evaluate function); the same every call."""

    def __init__(self, fresh: Callable, train: tuple, validation: tuple | None, evaluation: tuple,
                 evaluated_on: str, settings: dict) -> None:
        self.fresh, self.train, self.validation, self.evaluation = fresh, train, validation, evaluation
        self.evaluated_on, self.settings = evaluated_on, settings
        self.training_examples = len(train[1])
        self.batch_size = min(settings["batch_size"], self.training_examples)
        self._last: Sequential | None = None

    def __call__(self, engine: str):
        model = self.fresh()
        if not isinstance(model, Sequential):
            raise ParameterTypeError(message("source", OWNER, "a function returning a new nnblocks Sequential",
                                             type(model).__name__))
        if model is self._last:
            raise ParameterError(message("source", OWNER, "a function that builds a new model at every call",
                                         "a function that returned the same model twice",
                                         "build the model inside the function (lambda: lenet5()), so each engine "
                                         "starts from the same untrained weights."))
        self._last = model
        return model, self.fit, self.evaluate

    def fit(self, model, engine: str, device: str, epochs: int, callbacks: list) -> None:
        settings = self.settings
        options = {"device": device} if engine == "torch" else {}
        model.fit(*self.train, epochs=epochs, batch_size=settings["batch_size"], optimizer=settings["optimizer"],
                  learning_rate=settings["learning_rate"], validation_data=self.validation, callbacks=callbacks,
                  verbose=False, seed=settings["seed"], engine=engine, **options)

    def evaluate(self, model) -> dict[str, float]:
        return model.evaluate(*self.evaluation)


def _preparer(source, data, settings) -> _Preparer:
    """The Preparer for a RunSpec (its data and network) or for a model builder and its data."""
    if isinstance(source, RunSpec):
        if data is not None:
            raise ParameterError(message("data", OWNER, "None when 'source' is a RunSpec (the spec names its data)",
                                         type(data).__name__, "leave data out, or pass a model builder as source."))
        first = prepare_run(source)
        unused = [first]

        def fresh():  # a spec is deterministic: the same data, split and initial weights every time
            return (unused.pop() if unused else prepare_run(source)).model

        split = first.split
        validation = (split.x_validation, split.y_validation) if len(split.y_validation) else None
        if len(split.y_test):
            return _Preparer(fresh, (split.x_train, split.y_train), validation, (split.x_test, split.y_test),
                             "test", settings)
        return _Preparer(fresh, (split.x_train, split.y_train), validation, validation, "validation", settings)
    if not callable(source):
        raise ParameterTypeError(message("source", OWNER, "a RunSpec or a function returning a new Sequential",
                                         type(source).__name__, "pass e.g. source=lambda: lenet5() with "
                                         "data=(x_train, y_train, x_test, y_test)."))
    if not isinstance(data, (tuple, list)) or len(data) not in (4, 6):
        received = f"{len(data)} items" if isinstance(data, (tuple, list)) else type(data).__name__
        raise ParameterError(message("data", OWNER, "(x_train, y_train, x_test, y_test) or (x_train, y_train, "
                                     "x_val, y_val, x_test, y_test) when 'source' builds a model", received))
    validation = (data[2], data[3]) if len(data) == 6 else None
    return _Preparer(source, (data[0], data[1]), validation, (data[-2], data[-1]), "test", settings)
