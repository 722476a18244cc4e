"""Data-parallel training: one network, N processes, each computing the gradient of a slice of every batch.

Launch N copies of a program with ``torchrun`` (one per GPU, or N on a CPU); each builds the
same network from the same seed, so they all start from identical weights. Every step:

    global batch t (the examples single-process training would use at step t, same order)
      -> rank r takes its contiguous shard  x[start_r:stop_r]           (sizes differ by ≤ 1)
      -> forward, loss_r = mean loss of the shard · (n_r · N / B) + penalty
      -> backward: DistributedDataParallel all-reduces the gradients and divides by N,
         so every rank holds  Σ_r (n_r / B) · ∇mean_r + ∇penalty = ∇(mean loss of the whole batch) + ∇penalty
      -> the same optimiser step on every rank: the weights stay identical.

With equal shards the factor n_r · N / B is exactly 1 (the usual DDP recipe); the factor makes
the last, smaller batch of an epoch come out right too. The loss and the scores each rank
reports are those of the whole global batch (an all-reduce and an all-gather), so the one
training loop (``run_training``: shuffling, History, callbacks, the non-finite-loss stop)
runs unchanged, and identically, on every rank.

Where the result equals single-process training (to rounding): networks without Dropout and
BatchNorm. Dropout draws its masks per rank; BatchNorm normalises each shard with the shard's
own statistics, and DDP copies rank 0's running statistics to the others at every forward.

    torchrun --nproc-per-node 2 -m nnblocks.engines.torch.ddp --dataset spiral --epochs 50 --out runs/ddp

``python -m nnblocks.engines.torch.ddp --help`` lists the options (see ddp_main.py).
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import os

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from nnblocks.engines.torch.compiler import penalised_weights
from nnblocks.engines.torch.engine import TorchEngine
from nnblocks.engines.torch.losses import penalty, torch_loss
from nnblocks.errors import NNBlocksError, NotFittedError, ParameterError
from nnblocks.optim import get_optimizer
from nnblocks.validation import check_choice, message

BACKENDS = ("auto", "gloo", "nccl")
OWNER = "train_data_parallel"


# --- the process group ----------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Placement:
    """Where this process sits: its rank among all, its rank on this machine, how many there are."""

    rank: int
    local_rank: int
    world_size: int


def placement_from_environment(environ=None) -> Placement:
    """RANK, LOCAL_RANK and WORLD_SIZE as torchrun sets them (one process, rank 0, when they are absent)."""
    environ = os.environ if environ is None else environ
    values = {}
    for name, default in (("RANK", 0), ("LOCAL_RANK", None), ("WORLD_SIZE", 1)):
        text = environ.get(name)
        try:
            values[name] = default if text is None else int(text)
        except ValueError:
            raise ParameterError(message(name, "torchrun's environment", "a whole number", text)) from None
    local_rank = values["RANK"] if values["LOCAL_RANK"] is None else values["LOCAL_RANK"]
    return Placement(values["RANK"], local_rank, values["WORLD_SIZE"])


def choose_backend(backend: str = "auto") -> str:
    """"nccl" for CUDA GPUs, "gloo" for CPUs ("auto" picks by whether torch sees a GPU)."""
    backend = check_choice("backend", backend, BACKENDS, OWNER)
    if backend == "auto":
        return "nccl" if torch.cuda.is_available() and dist.is_nccl_available() else "gloo"
    available = {"gloo": dist.is_gloo_available(), "nccl": dist.is_nccl_available() and torch.cuda.is_available()}
    if not available[backend]:
        raise ParameterError(message("backend", OWNER, "a backend this torch can use", backend,
                                     "nccl needs CUDA GPUs and a CUDA build of torch; use 'gloo' on CPUs."))
    return backend


def process_device(backend: str, local_rank: int) -> torch.device:
    """The device one process trains on: GPU number LOCAL_RANK with nccl, the CPU with gloo."""
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def init_distributed(backend: str = "auto", placement: Placement | None = None, init_method: str | None = None,
                     timeout_s: float = 600.0) -> tuple[str, Placement, torch.device]:
    """Join the process group (``env://`` by default: MASTER_ADDR, MASTER_PORT as torchrun sets them).

    Returns the backend, this process's placement and its device. Pair it with
    ``dist.destroy_process_group()`` in a ``finally`` (``train_data_parallel`` does).
    """
    if not dist.is_available():
        raise ParameterError("This torch build has no torch.distributed, so it cannot train data-parallel. "
                             "Fix: install a standard torch build (pip install torch).")
    placement = placement or placement_from_environment()
    backend = choose_backend(backend)
    device = process_device(backend, placement.local_rank)
    dist.init_process_group(backend=backend, init_method=init_method or "env://", rank=placement.rank,
                            world_size=placement.world_size, timeout=datetime.timedelta(seconds=timeout_s))
    return backend, placement, device


# --- one step, sharded ------------------------------------------------------------------------------
def shard_bounds(batch: int, world_size: int, rank: int) -> tuple[int, int]:
    """[start, stop) of rank's contiguous share of a batch of ``batch`` examples (sizes differ by ≤ 1).

    Example:
        >>> [shard_bounds(21, 2, rank) for rank in (0, 1)]
        [(0, 11), (11, 21)]
    """
    base, extra = divmod(batch, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


class DataParallelEngine(TorchEngine):
    """A TorchEngine whose ``train_step`` computes one shard of the batch and all-reduces the gradients.

    Build it inside an initialised process group. ``train_step(x, targets)`` takes the whole
    global batch (every rank passes the same one) and returns the whole batch's loss and
    scores, so the training loop cannot tell it from a single-process engine.

    Attributes:
        parallel: the ``DistributedDataParallel`` wrapper of ``module`` (training forwards go through it).
        rank, world_size: this process and how many train together.
        steps: optimiser steps taken (a check that training really went through this engine).
    """

    def __init__(self, network, device="cpu", amp: bool = False, compile: bool = False, optimizer=None,
                 process_group=None) -> None:
        if not dist.is_available() or not dist.is_initialized():
            raise ParameterError("DataParallelEngine needs an initialised process group. Fix: launch with "
                                 "torchrun and call init_distributed() first (train_data_parallel does both).")
        super().__init__(network, device=device, amp=amp, compile=compile, optimizer=optimizer)
        self.process_group = process_group
        self.rank, self.world_size = dist.get_rank(process_group), dist.get_world_size(process_group)
        if self.generator is not None:  # dropout: each rank its own masks, repeatable from (seed, rank)
            self.generator.manual_seed(int(np.random.SeedSequence([network.seed, self.rank]).generate_state(1)[0]))
        device_ids = [self.device.index or 0] if self.device.type == "cuda" else None
        # DDP broadcasts rank 0's weights at construction: identical anyway, as every rank built them from one seed.
        self.parallel = DistributedDataParallel(self.module, device_ids=device_ids, process_group=process_group)
        self.run_parallel = torch.compile(self.parallel) if self.compiled else self.parallel
        self.loss_function = torch_loss(network.loss)
        self.penalised = penalised_weights(network, self.module)
        self.steps = 0

    def train_step(self, x: np.ndarray, targets: np.ndarray) -> tuple[float, np.ndarray]:
        """One step on this rank's shard of the global batch; returns the global batch's (loss, scores)."""
        batch = len(x)
        start, stop = shard_bounds(batch, self.world_size, self.rank)
        inputs, labels = self.as_inputs(x[start:stop]), self.as_targets(targets[start:stop])
        self.module.train()
        self.optimizer.zero_grad()
        with self.autocast():
            scores = self.run_parallel(inputs)                                   # (n_r, K)
            if stop > start:
                shard_loss = self.loss_function(scores.float() if self.amp else scores, labels)
            else:  # fewer examples than ranks: this rank adds nothing, but must join the all-reduce
                shard_loss = scores.sum() * 0.0
            # Weighted so that DDP's mean over ranks is the mean over the global batch (exactly 1 for equal shards).
            weight = (stop - start) * self.world_size / batch
            penalty_term = penalty(self.penalised)                              # the same on every rank
            loss = shard_loss * weight + penalty_term
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer.torch_optimizer)
            self.scaler.update()
        else:
            loss.backward()                                                       # gradients all-reduced here
            self.optimizer.step()
        self._stale = True  # TorchEngine's mark: torch's weights changed, sync() copies them to the NumPy model
        self.steps += 1
        with torch.no_grad():
            total = shard_loss.detach()
            total = (total.float() if total.dtype in (torch.float16, torch.bfloat16) else total) * (stop - start)
            dist.all_reduce(total, group=self.process_group)
            reported = float(total) / batch + float(penalty_term)               # before the step, as TorchEngine
        return reported, self.gather_scores(scores.detach(), batch)

    def gather_scores(self, scores: torch.Tensor, batch: int) -> np.ndarray:
        """Every rank's scores, in batch order, as NumPy (B, K): the loop computes its metrics from them."""
        rows = math.ceil(batch / self.world_size)
        padded = scores.new_zeros((rows, *scores.shape[1:]))                     # all_gather wants equal sizes
        padded[:len(scores)] = scores
        parts = [torch.empty_like(padded) for _ in range(self.world_size)]
        dist.all_gather(parts, padded, group=self.process_group)
        sizes = [stop - start for start, stop in (shard_bounds(batch, self.world_size, rank)
                                                  for rank in range(self.world_size))]
        gathered = torch.cat([part[:size] for part, size in zip(parts, sizes)])
        if gathered.dtype in (torch.float16, torch.bfloat16):
            gathered = gathered.float()
        return np.asarray(gathered.cpu().numpy(), dtype=self.network.dtype)

    # Small conversions, kept here so that this class uses TorchEngine's public attributes only (and _stale).
    def as_inputs(self, x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(x)).to(self.device, self.dtype)

    def as_targets(self, targets: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(targets))
        if tensor.is_floating_point():
            return tensor.to(self.device, torch.float32 if self.amp else self.dtype)
        return tensor.to(self.device, torch.int64)

    def autocast(self):
        return torch.autocast("cuda", dtype=torch.float16, enabled=self.amp)

    def __repr__(self) -> str:
        return f"DataParallelEngine(rank {self.rank} of {self.world_size}, device={str(self.device)!r})"


# --- fit, data-parallel ----------------------------------------------------------------------------
def fit_data_parallel(model, x, y, *, epochs: int = 100, batch_size: int = 32, optimizer="adam",
                      learning_rate: float | None = None, device="cpu", validation_data=None,
                      validation_split: float = 0.0, callbacks=(), shuffle: bool = True,
                      verbose: bool | None = None, seed: int | None = None, amp: bool = False,
                      compile: bool = False):
    """``model.fit(x, y, engine="torch")`` with each global batch of ``batch_size`` split across the ranks.

    Call it on every rank, inside an initialised process group, with the same model (built from
    the same seed), data and settings: the shuffling, the split and the global batches are then
    the same on every rank, and the same as single-process ``fit`` would use.

    Args:
        model: a built Sequential with a loss (``prepare_run`` gives one; or ``model.inputs.adapt(x)``
            and ``model.build(...)`` yourself).
        batch_size: the global batch: examples per optimiser step over all ranks together.
        device: this rank's device (``init_distributed`` returns it).
        callbacks: run on every rank (they see the same logs); give file-writing ones to rank 0 only.
        verbose: progress display; forced off on ranks other than 0.
        The rest as in ``Sequential.fit``.

    Returns:
        The History (the same on every rank). The trained weights are in ``model``.
    """
    if not model.built or model.loss is None:
        raise NotFittedError("fit_data_parallel needs a built model with a loss, so that every rank builds the "
                             "same torch module before training. Fix: use prepare_run(spec), or call "
                             "model.inputs.adapt(x) and model.build(input_shape) first.")
    if optimizer is not None:
        model.optimizer = get_optimizer(optimizer, learning_rate=learning_rate)
    elif model.optimizer is None:
        model.optimizer = get_optimizer("adam", learning_rate=learning_rate)
    engine = DataParallelEngine(model, device=device, amp=amp, compile=compile, optimizer=model.optimizer)
    # Sequential.fit reuses the engine it finds in model.torch_engine when the network, optimiser,
    # device and options match (engine_for): so fit drives ours, with fit's own split, shuffling and checks.
    model.torch_engine = engine
    try:
        history = model.fit(x, y, epochs=epochs, batch_size=batch_size, optimizer=None, learning_rate=None,
                            validation_data=validation_data, validation_split=validation_split,
                            callbacks=list(callbacks), shuffle=shuffle,
                            verbose=verbose if engine.rank == 0 else False, seed=seed, engine="torch",
                            device=engine.device, amp=amp, compile=compile)
        if model.torch_engine is not engine:
            raise NNBlocksError("Sequential.fit did not train with the data-parallel engine (it built its own), "
                                "so the ranks trained apart. This is a bug in nnblocks: please report it.")
    finally:
        model.torch_engine = None  # the DDP wrapper belongs to this process group; a later fit builds afresh
    return history


if __name__ == "__main__":  # python -m nnblocks.engines.torch.ddp ... (the options live in ddp_main.py)
    import sys

    from nnblocks.engines.torch.ddp_main import main

    sys.exit(main())
