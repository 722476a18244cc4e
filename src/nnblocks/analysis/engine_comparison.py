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
import os
import time
from collections.abc import Callable

from threadpoolctl import threadpool_info, threadpool_limits

from nnblocks.analysis.engine_advice import format_bytes, format_duration, recommend
from nnblocks.analysis.engine_preparation import _preparer, _settings
from nnblocks.analysis.engine_results import (ENGINE_NAMES, MAIN_METRIC, OWNER, SAME_METRIC, SAME_SPEED,
                                              EngineComparison, EngineRun)
from nnblocks.analysis.engine_timing import (EngineMemory, StepTimer, measure_peak_memory, release_freed_memory,
                                             reset_resident_peak, resident_peak)
from nnblocks.engines import ENGINES, load_torch_engine
from nnblocks.validation import check_integer

# The public names stay importable from here (the CLI and the tests import them from this module).
__all__ = ["ENGINE_NAMES", "MAIN_METRIC", "OWNER", "SAME_METRIC", "SAME_SPEED", "EngineComparison", "EngineMemory",
           "EngineRun", "StepTimer", "busy_machine_notes", "compare_engines", "format_bytes", "format_duration",
           "measure_peak_memory", "recommend", "release_freed_memory", "reset_resident_peak", "resident_peak"]


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
