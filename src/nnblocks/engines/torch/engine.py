"""TorchEngine: the network trained by torch, driven by the same loop as the NumPy engine.

``run_training`` asks a model for ``train_step``, ``forward``, ``loss``, ``penalty``,
``get_weights`` / ``set_weights``, ``optimizer.learning_rate`` and ``stop_training``. This
class answers each of them with torch doing the arithmetic, so callbacks, schedules, the
non-finite-loss stop and the History work unchanged:

    train_step(x, targets)   NumPy batch -> device; forward, loss + penalties, backward, step
                             -> (loss as a float, scores as NumPy)
    forward(x, training)     no_grad, eval mode by default -> NumPy scores
    get_weights/set_weights  our names and layout (Dense (in, out)), in the network's dtype

Anything else a callback asks of its model (``predict``, ``save``, ``classes``...) is answered
by the NumPy model, after the engine's current weights are copied into it.

Options: ``device`` ("auto": CUDA, then MPS, then the CPU); ``amp`` (float16 autocast and a
GradScaler; CUDA only, elsewhere a warning and plain float32); ``compile`` (``torch.compile``
of the module; the first steps are slow while it compiles).
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import torch

from nnblocks.engines.torch.compiler import (compile_network, copy_weights_from_torch, copy_weights_to_torch,
                                             penalised_weights, torch_weights)
from nnblocks.engines.torch.device import make_generator, resolve_device, torch_dtype
from nnblocks.engines.torch.losses import penalty, torch_loss
from nnblocks.engines.torch.optim import TorchOptimizer
from nnblocks.errors import NotFittedError, ParameterTypeError
from nnblocks.validation import message


class TorchEngine:
    """Train a built nnblocks network with torch.

    Args:
        network: a built Network or Sequential with a loss (its weights are the starting point).
        device: "auto", "cpu", "cuda" ("cuda:N"), "mps" or a torch.device.
        amp: mixed precision (float16 autocast + GradScaler) on CUDA; ignored with a warning elsewhere.
        compile: run the module through ``torch.compile``.
        optimizer: a name, config or Optimizer of ours; default the network's optimiser (Adam if none).

    Attributes:
        module: the compiled ``torch.nn.Sequential`` (``compile_network``), on ``device``.
        optimizer: a TorchOptimizer; ``optimizer.torch_optimizer`` is the torch one.
    """

    def __init__(self, network, device="auto", amp: bool = False, compile: bool = False, optimizer=None) -> None:
        network.require_built("be trained with the torch engine")
        if network.loss is None:
            raise NotFittedError("The torch engine needs the network's loss. Fix: give the network a loss "
                                 "(e.g. loss='mse'), or let Sequential.fit choose it.")
        for name, value in (("amp", amp), ("compile", compile)):
            if not isinstance(value, (bool, np.bool_)):
                raise ParameterTypeError(message(name, "TorchEngine", "True or False", value))
        self.network = network
        self.device = resolve_device(device)
        self.dtype = torch_dtype(network.dtype, self.device)
        self.amp_requested = bool(amp)
        self.amp = self.amp_requested and self._amp_possible()
        self.compiled = bool(compile)
        self.generator = make_generator(self.device, network.seed)
        self.module = compile_network(network, self.device, self.dtype, generator=self.generator)
        self.layout = weight_layout(network)
        self._run = torch.compile(self.module) if self.compiled else self.module
        self._loss = torch_loss(network.loss)
        self._penalised = penalised_weights(network, self.module)
        self.optimizer = TorchOptimizer(optimizer or network.optimizer or "adam", self.module.parameters())
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        self.stop_training = False
        self._stale = False  # True when torch's weights changed since the NumPy model last got them

    def _amp_possible(self) -> bool:
        if self.device.type != "cuda":
            warnings.warn(f"amp=True needs a CUDA GPU, and this engine runs on {self.device.type}: mixed "
                          "precision is ignored and training runs in float32 (or the network's dtype).",
                          UserWarning, stacklevel=3)
            return False
        if self.dtype != torch.float32:
            warnings.warn("amp=True works on float32 networks; this one is float64, so it trains without "
                          "autocast. Build the network with dtype='float32' for mixed precision.",
                          UserWarning, stacklevel=3)
            return False
        return True

    # --- the model protocol of the training loop ------------------------------------------------
    @property
    def loss(self):
        """The network's NumPy Loss object: the loop reads validation losses and metrics with it."""
        return self.network.loss

    @property
    def threshold(self) -> float:
        """The NumPy model's binary decision threshold (the metrics read it every epoch; no weights needed)."""
        return getattr(self.network, "threshold", 0.5)

    def _autocast(self):
        return torch.autocast("cuda", dtype=torch.float16) if self.amp else contextlib.nullcontext()

    def _inputs(self, x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(self.device, self.dtype, non_blocking=True)

    def _targets(self, targets: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(targets))
        if tensor.is_floating_point():
            return tensor.to(self.device, self.dtype if not self.amp else torch.float32)
        return tensor.to(self.device, torch.int64)

    def _numpy(self, tensor: torch.Tensor) -> np.ndarray:
        tensor = tensor.detach()
        if tensor.dtype in (torch.float16, torch.bfloat16):
            tensor = tensor.float()
        return np.asarray(tensor.cpu().numpy(), dtype=self.network.dtype)

    def train_step(self, x: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
        """One step on one batch: forward, loss (+ penalties), backward, optimiser step."""
        self.module.train()
        inputs, targets = self._inputs(x), self._targets(targets)
        self.optimizer.zero_grad()
        with self._autocast():
            scores = self._run(inputs)
            loss = self._loss(scores.float() if self.amp else scores, targets) + penalty(self._penalised)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer.torch_optimizer)
            self.scaler.update()
        else:
            loss.backward()
            self.optimizer.step()
        self._stale = True
        return float(loss.detach()), self._numpy(scores)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """Scores for a preprocessed batch, without gradients (inference mode unless ``training``)."""
        self.module.train(training)
        with torch.no_grad(), self._autocast():
            scores = self._run(self._inputs(x))
        if training:
            self._stale = True  # batch norm's running statistics moved
        return self._numpy(scores)

    def penalty(self) -> float:
        """The regularisation term of the current weights, as ``Network.penalty``."""
        with torch.no_grad():
            return float(penalty(self._penalised))

    def get_weights(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer, under our names and in our layout."""
        return torch_weights(self.module, self.network)

    def set_weights(self, weights: dict[str, np.ndarray]) -> None:
        """Put ``weights`` (our names and layout) into the NumPy model and the torch module, in place."""
        self.network.set_weights(weights)  # checks names and shapes first, so a mismatch changes nothing
        copy_weights_to_torch(self.network, self.module)
        self._stale = False

    # --- keeping the NumPy model in step ---------------------------------------------------------
    def sync(self):
        """Copy the engine's weights into the NumPy model (only when they changed); return the model."""
        if self._stale:
            copy_weights_from_torch(self.module, self.network)
            self._stale = False
        return self.network

    def start(self) -> "TorchEngine":
        """Before a fit: take the NumPy model's weights and learning rate (either may have changed)."""
        copy_weights_to_torch(self.network, self.module)
        self._stale = False
        if self.network.optimizer is not None:
            self.optimizer.learning_rate = float(self.network.optimizer.learning_rate)
        self.stop_training = False
        return self

    def finish(self) -> None:
        """After a fit: the NumPy model gets the trained weights and the learning rate the schedules left."""
        self.sync()
        if self.network.optimizer is self.optimizer.source:
            self.network.optimizer.learning_rate = self.optimizer.learning_rate

    def __getattr__(self, name: str):
        # Only reached for names the engine lacks: predict, save, classes... come from the NumPy model.
        network = self.__dict__.get("network")
        if name.startswith("_") or network is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        self.sync()
        return getattr(network, name)

    def __repr__(self) -> str:
        options = f"device={str(self.device)!r}" + (", amp=True" if self.amp else "") + \
            (", compile=True" if self.compiled else "")
        return f"TorchEngine({type(self.network).__name__}, {options})"


def weight_layout(network) -> list[tuple[str, tuple[int, ...]]]:
    """Every parameter's and buffer's name and shape: an engine fits a network only while these stay."""
    return [(name, array.shape) for name, array in {**network.parameters, **network.buffers}.items()]


def engine_for(model, device="auto", amp: bool = False, compile: bool = False) -> TorchEngine:
    """The TorchEngine ``Sequential.fit(engine="torch")`` trains with, kept as ``model.torch_engine``.

    The previous fit's engine is reused when its settings and optimiser are the same (so Adam's
    moments carry on, as they do in the NumPy engine); either way it starts from the model's weights.
    """
    engine = getattr(model, "torch_engine", None)
    reusable = (isinstance(engine, TorchEngine) and engine.network is model and engine.amp_requested == bool(amp)
                and engine.compiled == bool(compile) and engine.optimizer.source is model.optimizer
                and engine.device == resolve_device(device) and engine.layout == weight_layout(model))
    if not reusable:
        engine = TorchEngine(model, device=device, amp=amp, compile=compile)
        model.torch_engine = engine
    return engine.start()
