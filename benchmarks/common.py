"""Shared helpers for the benchmark scripts: thread limits, interleaved timing, machine facts, tables.

Timing rule used everywhere here: every contender runs in the same process, in many short
rounds (a few milliseconds of steps per contender per round). The order changes from round
to round through every permutation (A B C, A C B, B A C, ...), so each contender follows
each other one about equally often. Three numbers come out per contender:

* best: the minimum over rounds of the per-step wall time ("min of several repeats", as
  ``timeit`` advises). Load from other processes only ever adds time, so on a shared
  machine the minimum is the figure that reproduces; ratios of minima are the headline.
* median: the median over rounds, i.e. the typical step under whatever load there was.
* cpu: the median CPU time of the calling thread per step (``time.thread_time``), which
  leaves out the time the thread sat descheduled. Meaningful with one thread only.

Warm-up steps run before the first round and are not timed. The garbage collector is
paused while rounds run (as ``timeit`` does; a full collection with torch loaded takes
tens of milliseconds) and collected every 50 rounds, between rounds, for every contender alike.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

OPENBLAS_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                      "MKL_NUM_THREADS")


# --- threads ------------------------------------------------------------------------------
@contextlib.contextmanager
def thread_limit(count: int) -> Iterator[None]:
    """Limit NumPy's BLAS (and any OpenMP pool threadpoolctl sees) and torch's intra-op pool to ``count``."""
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=count):
        if torch is not None:
            torch.set_num_threads(count)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(before)


# --- timing -------------------------------------------------------------------------------
@dataclass
class Timing:
    """Per-step seconds of each contender, one entry per round (same round index = ran back to back).

    ``rounds`` holds wall-clock time; ``cpu_rounds`` the CPU time of the calling thread
    (``time.thread_time``), which leaves out the time the thread sat descheduled while
    other processes ran. With one thread everything runs on the calling thread, so the
    CPU-time ratio is the steadiest figure on a loaded machine; with two it misses the
    BLAS/OpenMP worker thread and is not reported.
    """

    steps_per_round: dict[str, int]
    rounds: dict[str, list[float]] = field(default_factory=dict)
    cpu_rounds: dict[str, list[float]] = field(default_factory=dict)

    def best(self, name: str) -> float:
        return min(self.rounds[name])

    def median(self, name: str) -> float:
        return statistics.median(self.rounds[name])

    def cpu_median(self, name: str) -> float:
        return statistics.median(self.cpu_rounds[name])

    def ratio(self, numerator: str, denominator: str) -> tuple[float, float, float]:
        """Time ratio numerator / denominator: (of the minima, of the medians, of the median CPU times)."""
        return (self.best(numerator) / self.best(denominator), self.median(numerator) / self.median(denominator),
                self.cpu_median(numerator) / self.cpu_median(denominator))


def interleave(contenders: dict[str, Callable[[], object]], steps: dict[str, int], rounds: int,
               warmup_steps: dict[str, int], budget_seconds: float = float("inf"), minimum_rounds: int = 5) -> Timing:
    """Time ``contenders`` (name -> one training step) in rotating order; return per-step seconds per round.

    ``steps[name]`` steps are run back to back per round and divided out, so contenders with
    very different step times each fill a round of similar wall time. Stops after ``rounds``
    rounds, or earlier once ``budget_seconds`` have passed (but never before ``minimum_rounds``),
    so a heavily loaded machine cannot stretch the run without bound.
    """
    names = list(contenders)
    orders = list(itertools.permutations(names))
    for name in names:
        step = contenders[name]
        for _ in range(warmup_steps[name]):
            step()
    timing = Timing(steps_per_round=dict(steps), rounds={name: [] for name in names},
                    cpu_rounds={name: [] for name in names})
    clock, cpu_clock = time.perf_counter, time.thread_time
    began = clock()
    gc_was_enabled = gc.isenabled()
    try:
        for round_index in range(rounds):
            if round_index >= minimum_rounds and clock() - began > budget_seconds:
                break
            order = orders[round_index % len(orders)]
            if round_index % 50 == 0:
                gc.enable()
                gc.collect()
                gc.disable()
            for name in order:
                step, count = contenders[name], steps[name]
                start, cpu_start = clock(), cpu_clock()
                for _ in range(count):
                    step()
                timing.cpu_rounds[name].append((cpu_clock() - cpu_start) / count)
                timing.rounds[name].append((clock() - start) / count)
    finally:
        if gc_was_enabled:
            gc.enable()
    return timing


def timed(call: Callable[[], object], repeats: int) -> list[float]:
    """Seconds of each of ``repeats`` consecutive calls (no warm-up: do that first if it matters)."""
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return seconds


def closing_lines(started: float, rounds: str) -> list[str]:
    """The last lines of a benchmark's report: rounds run, wall time, load, and how to read 2-thread figures."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return [f"{rounds}; total wall time {time.perf_counter() - started:.0f} s; load average at the end: {load}.",
            "2-thread figures swing widely when other processes share the cores; trust ratios, not absolute times."]


def calibrate(step: Callable[[], object], target_seconds: float, minimum: int = 1, maximum: int = 100_000) -> int:
    """How many calls of ``step`` take about ``target_seconds`` (best of three short measurements)."""
    step()
    start = time.perf_counter()
    step()
    per_call = time.perf_counter() - start
    count = max(1, int(0.002 / per_call))  # measure over about 2 ms
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(count):
            step()
        per_call = min(per_call, (time.perf_counter() - start) / count)
    return int(min(maximum, max(minimum, round(target_seconds / per_call))))


# --- machine facts ---------------------------------------------------------------------------
def blas_description() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version, kernel (architecture), threading layer."""
    parts = []
    for entry in threadpool_info():
        if entry.get("user_api") != "blas":
            continue
        # e.g. "numpy.libs/libscipy_openblas64_-....so": the folder says which package loaded it
        path = os.path.join(*entry.get("filepath", "?").split(os.sep)[-2:])
        parts.append(f"{entry.get('internal_api')} {entry.get('version')} kernel={entry.get('architecture', '?')} "
                     f"threading={entry.get('threading_layer', '?')} ({path})")
    return "; ".join(parts) or "none found by threadpoolctl"


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_lines() -> list[str]:
    torch = sys.modules.get("torch")
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    lines = [
        f"python {platform.python_version()} on {platform.machine()}, cpu: {cpu_model()}, "
        f"os.cpu_count()={os.cpu_count()}, usable by this process={affinity}",
        f"numpy {np.__version__}, BLAS: {blas_description()}",
    ]
    if torch is not None:
        lines.append(f"torch {torch.__version__}, intra-op threads by default={torch.get_num_threads()}, "
                     f"{'MKL' if torch.backends.mkl.is_available() else 'no MKL'}, "
                     f"{'oneDNN' if torch.backends.mkldnn.is_available() else 'no oneDNN'}")
    else:
        lines.append("torch not installed: the torch contenders are skipped")
    settings = [f"{name}={os.environ[name]}" for name in OPENBLAS_VARIABLES if name in os.environ]
    lines.append("thread/BLAS environment: " + (", ".join(settings) if settings else
                                                   "none of " + ", ".join(OPENBLAS_VARIABLES) + " is set"))
    try:
        lines.append(f"load average (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    except OSError:
        pass
    return lines


# --- printing ------------------------------------------------------------------------------
def format_seconds(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.1f} µs"
    return f"{seconds * 1e3:8.2f} ms"


def verdict(value: float, goal: float, higher_is_better: bool) -> str:
    passed = value >= goal if higher_is_better else value <= goal
    return "PASS" if passed else "MISS"


def verdict_of_best_and_median(best: float, median: float, goal: float | None, higher_is_better: bool) -> str:
    """The verdict on the best round, with the median's beside it when that differs: e.g. "PASS (median:
    MISS)"; "info" without a goal. (Best rounds are the headline: on this shared VM medians swing.)"""
    if goal is None:
        return "info"
    result = verdict(best, goal, higher_is_better)
    if verdict(median, goal, higher_is_better) != result:
        result += f" (median: {verdict(median, goal, higher_is_better)})"
    return result


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[index])) for row in [headers, *rows]) for index in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths)).rstrip(),
             "  ".join("-" * width for width in widths)]
    lines += ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
