"""Exception types raised by nnblocks.

Every error a user can trigger is one of these. They subclass the built-in
``ValueError`` / ``TypeError`` so that code catching the standard types keeps
working, and they carry a message written for a person: the parameter, what
was expected, what was received, and a fix where one exists.

This module imports nothing from nnblocks, so every other module may use it.
"""


class NNBlocksError(Exception):
    """Base class of every error nnblocks raises on purpose."""


class ParameterError(NNBlocksError, ValueError):
    """A parameter has a value outside what is allowed (wrong name, range, shape)."""


class ParameterTypeError(NNBlocksError, TypeError):
    """A parameter has the wrong type (a string where a number belongs, ...)."""


class DataError(NNBlocksError, ValueError):
    """Input data cannot be used: NaN, wrong shape, wrong columns, unreadable file."""


class NotFittedError(NNBlocksError, ValueError, AttributeError):
    """A model was asked to predict or evaluate before it was trained or built.

    Subclasses ``AttributeError`` as well, like scikit-learn's NotFittedError.
    """


class ModelFileError(NNBlocksError, ValueError):
    """A model or checkpoint file is missing, truncated, tampered with or hostile."""
