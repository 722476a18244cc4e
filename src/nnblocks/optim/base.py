"""The optimiser contract: update parameter arrays in place from matching gradient arrays.

An optimiser sees the network's parameters as one flat dict, ``{"dense.weight": W, ...}``,
and the gradients under the same keys. ``step`` changes every array **in place**, because
the layers keep references to them. Per-parameter state ("slots": ``momentum_buffer``,
``exp_avg`` ...) is created on the first step, under the parameter's key, with the
parameter's shape and dtype, as in ``torch.optim``.

``step`` is the training hot path, so it checks nothing and allocates as little as it can:
arguments are checked once, in the constructor; updates use ``out=`` and in-place
operators on a preallocated scratch array; numbers that depend only on the step
(bias corrections) are computed once per step, not once per parameter. Slots whose name
starts with ``_`` are such working memory: they are not saved in checkpoints.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnblocks.errors import ModelFileError, ParameterError, ParameterTypeError
from nnblocks.validation import check_integer, check_number, message


class Optimizer:
    """Base class. Subclasses write ``_update`` (one parameter) and list their saved ``slot_names``.

    Attributes:
        learning_rate: a plain float; schedules and callbacks set it between steps.
        state: parameter key -> {slot name -> array}, created lazily on the first step.
        step_count: how many steps were taken (Adam's and Adagrad's ``t``).
    """

    type_name: ClassVar[str] = "optimizer"
    slot_names: ClassVar[tuple[str, ...]] = ()  # the slots a checkpoint saves, in torch's names
    # True when ``_update`` treats every number alike, whatever array it sits in (no per-array norms
    # or shapes): then ``step_contiguous`` may run it once over all the parameters laid end to end.
    # Read from the class itself only (``supports_contiguous``): a subclass that changes ``step`` or
    # ``_update`` (to clip gradients, say) goes through ``step`` unless it says so again.
    elementwise: ClassVar[bool] = False

    def __init__(self, learning_rate: float) -> None:
        self.learning_rate = check_number("learning_rate", learning_rate, type(self).__name__, 0.0,
                                          strict_minimum=True)
        self.state: dict[str, dict[str, np.ndarray]] = {}
        self.step_count = 0
        self._flat_slots: dict[str, np.ndarray] | None = None   # step_contiguous's slots, laid end to end
        self._flat_state: dict | None = None                    # the ``state`` whose arrays view them

    # --- the hot path -----------------------------------------------------------------
    def step(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Update every array in ``params`` in place, using ``grads`` (same keys)."""
        self.step_count += 1
        self._flat_state = None   # slots made here are their own arrays: step_contiguous gathers them again
        self._prepare_step(float(self.learning_rate))  # float(): a numpy float64 would upcast float32 arrays
        state, update = self.state, self._update
        for key, param in params.items():
            slots = state.get(key)
            if slots is None:
                slots = state[key] = self._create_slots(param)
            update(param, grads[key], slots)

    def step_contiguous(self, parameters: np.ndarray, gradients: np.ndarray,
                        layout: dict[str, tuple[int, int, tuple[int, ...]]]) -> None:
        """``step`` for parameters that all live in one flat array (``Network`` lays them out so).

        ``parameters`` and ``gradients`` are 1-D; ``layout[key] = (start, stop, shape)`` says where
        each parameter sits. For an ``elementwise`` rule every number meets exactly the operations
        it meets in ``step`` — the same results, bit for bit (state kept in the parameters' dtype) —
        but in one NumPy call per operation for the whole network instead of one per array.
        ``state`` stays per parameter, as views of the flat slots, so checkpoints and
        ``state_arrays`` see no difference.
        """
        if self._flat_state is not self.state or self._flat_slots is None:
            if not self._gather_flat_slots(parameters, layout):   # a state this layout cannot hold
                self.step({key: parameters[start:stop].reshape(shape) for key, (start, stop, shape) in layout.items()},
                          {key: gradients[start:stop].reshape(shape) for key, (start, stop, shape) in layout.items()})
                return
        slots = self._flat_slots
        self.step_count += 1
        self._prepare_step(float(self.learning_rate))
        count = len(slots)
        self._update(parameters, gradients, slots)
        if len(slots) != count:   # a slot made on the first step (SGD's momentum buffer): show it per parameter
            self._share_flat_slots(layout)

    def supports_contiguous(self) -> bool:
        """Whether ``step_contiguous`` may stand in for ``step``: this very class declares ``elementwise``."""
        return type(self).__dict__.get("elementwise", False)

    def __getstate__(self) -> dict:
        """For ``copy.deepcopy`` and pickling: the copied ``state`` arrays are copies, no longer views of
        the flat slots, so the copy drops the slots and lays its state out again at its first step."""
        found = self.__dict__.copy()
        found["_flat_slots"], found["_flat_state"] = None, None
        return found

    def _gather_flat_slots(self, parameters: np.ndarray, layout) -> bool:
        """Lay the per-parameter state end to end (fresh slots when there is none); False if it does not fit."""
        slots = self._create_slots(parameters)
        if self.state:
            saved = [{name for name in self.state.get(key, {}) if not name.startswith("_")} for key in layout]
            if set(self.state) != set(layout) or any(names != saved[0] for names in saved):
                return False
            for name in saved[0]:
                flat = slots.setdefault(name, np.empty_like(parameters))
                for key, (start, stop, shape) in layout.items():
                    array = self.state[key][name]
                    if array.shape != shape:
                        return False
                    flat[start:stop] = array.ravel()
        self._flat_slots = slots
        self._share_flat_slots(layout)
        return True

    def _share_flat_slots(self, layout) -> None:
        self.state = {key: {name: flat[start:stop].reshape(shape) for name, flat in self._flat_slots.items()}
                      for key, (start, stop, shape) in layout.items()}
        self._flat_state = self.state

    def _prepare_step(self, learning_rate: float) -> None:
        """Compute the numbers shared by every parameter in this step (learning rate, bias corrections)."""
        self._learning_rate = learning_rate

    def _create_slots(self, param: np.ndarray) -> dict[str, np.ndarray]:
        """The first-step state of one parameter (default: one scratch array)."""
        return {"_scratch": np.empty_like(param)}

    def _update(self, param: np.ndarray, grad: np.ndarray, slots: dict[str, np.ndarray]) -> None:
        raise NotImplementedError

    # --- description ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """Constructor arguments as JSON values, plus ``"type"``: ``get_optimizer(config)`` rebuilds it."""
        return {"type": self.type_name, "learning_rate": float(self.learning_rate)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Optimizer":
        config = dict(config)
        kind = config.pop("type", cls.type_name)
        if kind != cls.type_name:
            raise ParameterError(message("type", f"{cls.__name__}.from_config", repr(cls.type_name), kind,
                                         "use nnblocks.optim.get_optimizer(config) to pick the class from 'type'."))
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items() if key != "type")
        return f"{type(self).__name__}({arguments})"

    # --- checkpoints ------------------------------------------------------------------------
    def state_arrays(self) -> dict[str, np.ndarray]:
        """Saved state as one flat dict ``"param_key/slot" -> array`` (safetensors-ready); scratch is left out."""
        return {f"{key}/{slot}": array for key, slots in self.state.items()
                for slot, array in slots.items() if not slot.startswith("_")}

    def load_state_arrays(self, arrays: dict[str, np.ndarray], step_count: int) -> None:
        """Replace the state with ``arrays`` (as written by ``state_arrays``) and set ``step_count``."""
        step_count = check_integer("step_count", step_count, "load_state_arrays", minimum=0)
        state: dict[str, dict[str, np.ndarray]] = {}
        for name, array in arrays.items():
            key, _, slot = name.rpartition("/")
            if not key or slot not in self.slot_names:
                raise ModelFileError(f"The checkpoint holds optimiser state {name!r}, but {type(self).__name__} "
                                     f"keeps only 'parameter/slot' entries with slots {list(self.slot_names)}. "
                                     "Fix: load it into the optimiser that wrote it (see its config).")
            array = np.array(array, copy=True)  # own the memory: the file's buffer may be read-only
            if key not in state:
                state[key] = self._create_slots(array)  # scratch of the right shape and dtype
            state[key][slot] = array
        self.state, self.step_count = state, step_count


def check_fraction(name: str, value: object, owner: str) -> float:
    """Return ``value`` if it is a number in [0, 1) (momentum, betas, decay rates); else raise."""
    value = check_number(name, value, owner, 0.0)
    if value >= 1.0:
        raise ParameterError(message(name, owner, "a number in the range [0, 1)", value,
                                     "values near 1 (0.9, 0.99, 0.999) are usual; 1 would never forget."))
    return value


def check_flag(name: str, value: object, owner: str) -> bool:
    """Return ``value`` if it is a bool (numpy bools included); else raise ParameterTypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise ParameterTypeError(message(name, owner, "True or False", value))
    return bool(value)
