"""Train one network on both engines and say, with numbers, which one suits it.

    >>> from nnblocks.runs import RunSpec
    >>> result = compare_engines(RunSpec(dataset="spiral", epochs=50))      # doctest: +SKIP
    >>> result.runs["numpy"].seconds_per_step, result.runs["torch"].seconds_per_step   # doctest: +SKIP
    (6.1e-05, 0.00052)
    >>> print(result.recommendation)                                         # doctest: +SKIP
    For this network (354 parameters, ...) the NumPy engine is 8.5× faster per step ...

Each engine trains a fresh copy of the same network (same seed: same initial weights, same
shuffling) with ``Sequential.fit(engine=...)``; nothing here imports torch. Per engine:

    time per step        median over epochs of (training time of the epoch / its steps): only the
                         steps, not the validation after each epoch (the NumPy↔torch copies of each
                         batch are part of a torch step, as they are in every real fit)
    samples per second   median over epochs of (examples trained / training time of the epoch)
    peak memory          more one-epoch fits of fresh copies after the timed ones, so measuring
                         costs the timed fit nothing (tracemalloc alone makes small NumPy steps
                         2-3× slower) and torch's one-off start-up memory is already spent:
                           NumPy: tracemalloc's peak (every NumPy array and Python object);
                           torch: the engine's own report where it gives one (CUDA's
                           max_memory_allocated), else the growth of the process's peak resident
                           memory (Linux VmHWM, reset first, after malloc_trim hands freed memory
                           back, so reused memory counts again);
                         and, measured alike for both, that resident growth (``resident_growth_bytes``)
    final metric         accuracy (classifiers) or R² (regression) on the test part (the
                         validation part when there is no test part)

The recommendation is written from the measured ratios, the network's size and the device.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field

from threadpoolctl import threadpool_info, threadpool_limits

from nnblocks.engines import ENGINES, load_torch_engine
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.model import Sequential
from nnblocks.runs import RunSpec, prepare_run
from nnblocks.training.callbacks import Callback
from nnblocks.validation import check_integer, check_number, message

OWNER = "compare_engines"
MAIN_METRIC = {"binary": "accuracy", "multiclass": "accuracy", "regression": "r2"}
SAME_SPEED = 1.15      # step times within this ratio count as "about the same"
SAME_METRIC = 0.02     # accuracy / R² within this count as "the same result"
ENGINE_NAMES = {"numpy": "NumPy", "torch": "PyTorch"}


@dataclass
class EngineRun:
    """What one engine did with the network."""

    engine: str                       # "numpy" or "torch"
    device: str                       # "cpu", "cuda", "cuda:1", "mps"
    seconds_per_step: float
    samples_per_second: float
    epoch_seconds: list[float]        # training time of each epoch (its steps only)
    steps_per_epoch: int
    fit_seconds: float                # the whole fit: engine set-up, steps, validation
    metrics: dict[str, float]         # on the evaluated part
    peak_memory_bytes: int | None = None
    memory_method: str = "not measured"
    resident_growth_bytes: int | None = None   # peak RSS growth, measured the same way for both engines


@dataclass
class EngineComparison:
    """Both engines' runs and the recommendation drawn from them."""

    runs: dict[str, EngineRun]
    task: str
    metric: str                       # the main metric's name ("accuracy" or "r2")
    evaluated_on: str                 # "test" or "validation"
    parameters: int
    multiply_adds: int                # per example
    convolutional: bool
    batch_size: int
    epochs: int
    training_examples: int
    threads: dict[str, int] = field(default_factory=dict)   # {"NumPy's BLAS": 2, "OpenMP (torch)": 2}
    recommendation: str = field(default="")
    notes: list[str] = field(default_factory=list)           # caveats about how far to trust the numbers

    @property
    def speedup(self) -> float:
        """NumPy's time per step / torch's: above 1 torch is faster, below 1 NumPy is."""
        return self.runs["numpy"].seconds_per_step / self.runs["torch"].seconds_per_step


def compare_engines(source, data=None, *, epochs: int | None = None, batch_size: int | None = None,
                    learning_rate: float | None = None, optimizer: str | None = None, device: str = "auto",
                    seed: int | None = None, threads: int | None = None, measure_memory: bool = True,
                    report: Callable[[str], None] | None = None) -> EngineComparison:
    """Train the same network with the NumPy and the torch engine; time, measure and compare them.

    Args:
        source: a ``RunSpec`` (data, split, network and training all come from it; ``data`` must be
            None), or a function of no arguments returning a fresh ``Sequential`` each call (the same
            one every time: same layers, same seed), trained on ``data``.
        data: with a builder, ``(x_train, y_train, x_test, y_test)``, or ``(x_train, y_train, x_val,
            y_val, x_test, y_test)`` / a ``Split`` (the validation part is watched while training).
        epochs, batch_size, learning_rate, optimizer, seed: override the spec's (builder: 10, 32,
            the optimiser's default rate, "adam", the model's seed).
        device: where torch computes: "auto" (CUDA, then MPS, then the CPU), "cpu", "cuda", "mps".
        threads: CPU threads for both engines (NumPy's BLAS and torch's OpenMP pool, through
            threadpoolctl); None keeps each library's default. On a machine shared with other
            work, 1 gives the steadiest numbers: a second thread on a busy core makes every
            parallel operation wait for it.
        measure_memory: run the extra one-epoch fits that measure peak memory.
        report: called with a short line as each stage starts (a front end's progress).

    Returns:
        An EngineComparison; ``recommendation`` holds the plain-words advice.

    Raises:
        ParameterError / ParameterTypeError for bad arguments, a missing PyTorch or an absent device
        (checked before anything trains); DataError for unusable data.
    """
    say = report or (lambda text: None)
    # Loads torch (and its OpenMP pool, before threadpoolctl looks) and fails early without torch or the device.
    torch_device = str(load_torch_engine().resolve_device(device, OWNER))
    if threads is not None:
        threads = check_integer("threads", threads, OWNER, minimum=1)
    settings = _settings(source, epochs, batch_size, learning_rate, optimizer, seed)
    prepare = _preparer(source, data, settings)
    limit = threadpool_limits(limits=threads) if threads is not None else contextlib.nullcontext()
    with limit:
        thread_counts = _thread_counts()
        runs, first = {}, None
        for engine in ENGINES:
            say(f"Training with the {ENGINE_NAMES[engine]} engine ({settings['epochs']} epochs)...")
            model, fit, evaluate = prepare(engine)
            first = model if first is None else first
            timer = StepTimer()
            started = time.perf_counter()
            fit(model, engine, torch_device, settings["epochs"], [timer])
            fit_seconds = time.perf_counter() - started
            runs[engine] = EngineRun(engine, "cpu" if engine == "numpy" else torch_device, timer.seconds_per_step,
                                     timer.samples_per_second, timer.epoch_seconds, timer.steps_per_epoch,
                                     fit_seconds, evaluate(model))
        if measure_memory:
            say("Measuring peak memory (one more epoch per measurement)...")
            for engine in ENGINES:
                def one_epoch(callbacks, engine=engine):
                    model, fit, _ = prepare(engine)
                    fit(model, engine, torch_device, 1, callbacks)

                runs[engine].peak_memory_bytes, runs[engine].memory_method, runs[engine].resident_growth_bytes = \
                    measure_peak_memory(engine, one_epoch)
    summary = first.summary()
    result = EngineComparison(runs, first.task, MAIN_METRIC[first.task], prepare.evaluated_on,
                              summary.total_parameters, summary.total_multiply_adds,
                              any(layer.type_name == "conv2d" for layer in first.layers), prepare.batch_size,
                              settings["epochs"], prepare.training_examples, thread_counts)
    result.recommendation = recommend(result)
    result.notes = busy_machine_notes(thread_counts, threads)
    return result


def busy_machine_notes(thread_counts: dict[str, int], threads: int | None) -> list[str]:
    """A caveat when other work shared the cores while several threads were timed (their steps then swing widely)."""
    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # no load average on this system
        return []
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if max(thread_counts.values(), default=1) < 2 or load < cores - 0.5:
        return []
    return [f"The machine was busy (load average {load:.1f} on {cores} cores) while several threads per engine "
            "were timed: a thread that waits for a busy core stalls every parallel operation, so these times swing "
            "widely. " + ("Run again with threads=1 (--threads 1) for steadier numbers." if threads is None else
                          "Fewer threads give steadier numbers.")]


def _thread_counts() -> dict[str, int]:
    """Threads each pool threadpoolctl sees will use: NumPy's BLAS, the OpenMP runtime torch computes with."""
    counts: dict[str, int] = {}
    for pool in threadpool_info():
        name = "NumPy's BLAS" if pool.get("user_api") == "blas" else "OpenMP (torch)"
        counts[name] = max(counts.get(name, 0), int(pool.get("num_threads", 0)))
    return counts


# --- what each engine trains on ---------------------------------------------------------------
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


# --- measuring ----------------------------------------------------------------------------------
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


# --- the advice --------------------------------------------------------------------------------
def recommend(result: EngineComparison) -> str:
    """Plain-words advice drawn from the measured numbers (speed, then result, then memory)."""
    numpy_run, torch_run = result.runs["numpy"], result.runs["torch"]
    return " ".join([_speed_advice(result, numpy_run, torch_run), _metric_advice(result, numpy_run, torch_run),
                     _memory_advice(numpy_run, torch_run)]).strip()


def _speed_advice(result: EngineComparison, numpy_run: EngineRun, torch_run: EngineRun) -> str:
    ratio = result.speedup
    gpu = torch_run.device.split(":")[0] in ("cuda", "mps")
    where = f"the GPU ({torch_run.device})" if gpu else "the CPU"
    size = (f"{result.parameters:,} parameters, {result.multiply_adds:,} multiply-adds per example, "
            f"batch {result.batch_size}")
    numpy_time, torch_time = format_duration(numpy_run.seconds_per_step), format_duration(torch_run.seconds_per_step)
    overhead = ("PyTorch's fixed cost per step (dispatching each operation, recording the autograd graph, copying "
                "the batch into a tensor and the scores back to NumPy" + (", launching GPU kernels" if gpu else "")
                + ")")
    if ratio < 1 / SAME_SPEED:
        why = (f"a step holds so little arithmetic that {overhead} outweighs it" if ratio < 1 / 3 else
               f"at this size {overhead} still costs more than its faster arithmetic saves")
        return (f"For this network ({size}) the NumPy engine is {1 / ratio:.1f}× faster per step than PyTorch on "
                f"{where} ({numpy_time} against {torch_time}): {why}. Keep the NumPy engine for networks this size; "
                "choose PyTorch for larger networks, bigger batches, convolutional models or a GPU.")
    if ratio > SAME_SPEED:
        why = ("the arithmetic dominates each step, and torch's kernels do it faster than NumPy "
               + ("on the GPU" if gpu else "(oneDNN and MKL on the CPU)"))
        if result.convolutional:
            why += "; NumPy's convolutions also copy every image patch into a matrix first (im2col)"
        return (f"For this network ({size}) the PyTorch engine is {ratio:.1f}× faster per step on {where} "
                f"({torch_time} against {numpy_time} for NumPy): {why}. Choose PyTorch to train it; the NumPy "
                "engine remains the one to read and step through (nnblocks explain-step).")
    return (f"For this network ({size}) both engines take about the same time per step ({numpy_time} with NumPy, "
            f"{torch_time} with PyTorch on {where}): {overhead} roughly balances its faster arithmetic. Choose by "
            "purpose: NumPy to see the maths, PyTorch to grow the network or move to a GPU.")


def _metric_advice(result: EngineComparison, numpy_run: EngineRun, torch_run: EngineRun) -> str:
    name = {"accuracy": "accuracy", "r2": "R²"}[result.metric]
    ours, theirs = numpy_run.metrics.get(result.metric), torch_run.metrics.get(result.metric)
    if ours is None or theirs is None or ours != ours or theirs != theirs:
        return ""
    values = f"{ours:.3f} with NumPy, {theirs:.3f} with PyTorch"
    if abs(ours - theirs) <= SAME_METRIC:
        return (f"Both reach the same {result.evaluated_on} {name} within {SAME_METRIC} ({values}): the engines "
                "compute the same maths; only float rounding differs (and, with dropout, the random masks).")
    better = "NumPy" if ours > theirs else "PyTorch"
    return (f"The {result.evaluated_on} {name} differs by {abs(ours - theirs):.3f} ({values}, {better} ahead): "
            f"after {result.epochs} epochs, float rounding can send two runs down different paths; train longer or "
            "compare a few seeds before choosing an engine on this.")


def _memory_advice(numpy_run: EngineRun, torch_run: EngineRun) -> str:
    ours, theirs = numpy_run.resident_growth_bytes, torch_run.resident_growth_bytes
    own_report = ""
    if torch_run.peak_memory_bytes is not None and torch_run.peak_memory_bytes != theirs:
        own_report = f" On its device PyTorch reports {format_bytes(torch_run.peak_memory_bytes)} " \
                     f"({torch_run.memory_method})."
    if ours is None or theirs is None:
        return own_report.strip()
    if max(ours, theirs) < 1024 ** 2:
        return ("Memory is no reason to choose here: one epoch grows the process by under 1 MiB with either engine "
                f"({format_bytes(ours)} NumPy, {format_bytes(theirs)} PyTorch)." + own_report)
    measured = f"{format_bytes(ours)} with NumPy, {format_bytes(theirs)} with PyTorch"
    ratio = max(ours, theirs) / max(min(ours, theirs), 1)
    if ratio < 1.2:
        comparison = "about the same"
    else:
        more, less = ("PyTorch", "NumPy") if theirs > ours else ("NumPy", "PyTorch")
        comparison = f"{more} needs {ratio:.1f}× what {less} does"
    return (f"Memory, measured alike as the growth of the process's resident memory over one epoch: {measured} "
            f"({comparison})." + own_report)


def format_duration(seconds: float) -> str:
    """"57 µs", "1.24 ms", "2.10 s"."""
    if seconds != seconds:
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def format_bytes(count: int | None) -> str:
    """"812 KiB", "36.4 MiB"."""
    if count is None:
        return "-"
    if count < 1024 ** 2:
        return f"{count / 1024:.0f} KiB"
    if count < 1024 ** 3:
        return f"{count / 1024 ** 2:.1f} MiB"
    return f"{count / 1024 ** 3:.2f} GiB"
