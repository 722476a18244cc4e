"""Measuring one engine's fit: the step timer and the peak-memory measurements (see ``engine_comparison``).

Nothing here imports torch: an engine's own memory report is asked for through the callbacks' model.
"""

from __future__ import annotations

import ctypes
import statistics
import time
import tracemalloc
from collections.abc import Callable

from nnblocks.training.callbacks import Callback


class StepTimer(Callback):
    """Times each epoch's training steps (from the epoch's start to its last batch), nothing else."""

    def __init__(self) -> None:
        self.epochs: list[tuple[float, int, int]] = []   # (seconds, steps, examples) per epoch
        self._start = self._last = 0.0
        self._steps = self._examples = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = self._last = time.perf_counter()
        self._steps = self._examples = 0

    def on_batch_end(self, batch, logs=None):
        self._last = time.perf_counter()
        self._steps += 1
        self._examples += int((logs or {}).get("size", 0))

    def on_epoch_end(self, epoch, logs=None):
        if self._steps:
            self.epochs.append((self._last - self._start, self._steps, self._examples))

    @property
    def epoch_seconds(self) -> list[float]:
        return [seconds for seconds, _, _ in self.epochs]

    @property
    def steps_per_epoch(self) -> int:
        return self.epochs[0][1] if self.epochs else 0

    @property
    def seconds_per_step(self) -> float:
        return statistics.median(seconds / steps for seconds, steps, _ in self.epochs) if self.epochs else float("nan")

    @property
    def samples_per_second(self) -> float:
        return statistics.median(examples / seconds for seconds, _, examples in self.epochs if seconds > 0) \
            if self.epochs else float("nan")


class EngineMemory(Callback):
    """Asks the training engine for its own peak-memory report (``reset_peak_memory`` / ``peak_memory``).

    The callbacks' model is what the loop drives: the NumPy model itself, or the TorchEngine.
    An engine that offers no report leaves ``report`` None.
    """

    report: tuple[int, str] | None = None

    def on_train_begin(self, logs=None):
        reset = _engine_method(self.model, "reset_peak_memory")
        if reset is not None:
            reset()

    def on_train_end(self, logs=None):
        peak = _engine_method(self.model, "peak_memory")
        self.report = peak() if peak is not None else None


def _engine_method(engine, name: str):
    # Looked up on the engine's class: TorchEngine passes unknown attributes on to the NumPy model.
    return getattr(engine, name) if hasattr(type(engine), name) else None


def measure_peak_memory(engine: str, fit: Callable[[list], object]) -> tuple[int | None, str, int | None]:
    """(peak bytes, how they were measured, peak resident growth) of one engine.

    ``fit(callbacks)`` trains a fresh model; it is called once per measurement: NumPy twice
    (tracemalloc, then resident memory without tracemalloc's own bookkeeping), torch once.
    """
    growth, asked = _resident_growth(fit, EngineMemory())
    if engine != "numpy":
        if asked.report is not None:
            return int(asked.report[0]), str(asked.report[1]), growth
        method = "process peak RSS growth" if growth is not None else "not measured (no /proc/self here)"
        return growth, method, growth
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    try:
        fit([])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return max(peak - before, 0), "tracemalloc peak", growth


def _resident_growth(fit: Callable[[list], object], asked: "EngineMemory") -> tuple[int | None, "EngineMemory"]:
    release_freed_memory()
    before = reset_resident_peak()
    fit([asked])
    peak = resident_peak()
    return (max(peak - before, 0) if before is not None and peak is not None else None), asked


def release_freed_memory() -> None:
    """Hand memory that is freed but still held by the C allocator back to the system (glibc only).

    Otherwise a fit that reuses memory an earlier fit freed would show no growth at all.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError, TypeError):  # not glibc: nothing to trim, the figure is a lower bound
        pass


def _status_bytes(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024   # "VmHWM:   123456 kB"
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_resident_peak() -> int | None:
    """Reset the process's peak resident memory to the current one (Linux ≥ 4.0); return that, or None."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return None
    return _status_bytes("VmRSS")


def resident_peak() -> int | None:
    return _status_bytes("VmHWM")
