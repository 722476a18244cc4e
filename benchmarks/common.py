"""Shared helpers for the benchmark scripts: thread limits, interleaved timing, machine facts, tables.

Timing rule used everywhere here: every contender runs in the same process, in rounds
(A B C, then B C A, then C A B, ...), each for a fixed number of steps per round. The
per-step time of a contender is the median over rounds; a ratio between two contenders
is also reported per round (they ran back to back, so a burst of load from another
process hits both alike) and its median and quartiles are shown. Warm-up steps run
before the first round and are not timed. The garbage collector is paused while a
round runs (as ``timeit`` does) and collected between rounds, for every contender alike.
"""

from __future__ import annotations

import contextlib
import gc
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
    """Per-step seconds of each contender, one entry per round (same round index = ran back to back)."""

    steps_per_round: dict[str, int]
    rounds: dict[str, list[float]] = field(default_factory=dict)

    def median(self, name: str) -> float:
        return statistics.median(self.rounds[name])

    def ratio(self, numerator: str, denominator: str) -> tuple[float, float, float]:
        """(median time ratio, 25th and 75th percentile of the per-round ratios)."""
        per_round = sorted(a / b for a, b in zip(self.rounds[numerator], self.rounds[denominator]))
        quartiles = statistics.quantiles(per_round, n=4) if len(per_round) > 1 else [per_round[0]] * 3
        return self.median(numerator) / self.median(denominator), quartiles[0], quartiles[2]


def interleave(contenders: dict[str, Callable[[], object]], steps: dict[str, int], rounds: int,
               warmup_steps: dict[str, int]) -> Timing:
    """Time ``contenders`` (name -> one training step) in rotating order; return per-step seconds per round.

    ``steps[name]`` steps are run back to back per round and divided out, so contenders with
    very different step times can each fill a round of similar wall time.
    """
    names = list(contenders)
    for name in names:
        step = contenders[name]
        for _ in range(warmup_steps[name]):
            step()
    timing = Timing(steps_per_round=dict(steps), rounds={name: [] for name in names})
    clock = time.perf_counter
    gc_was_enabled = gc.isenabled()
    try:
        for round_index in range(rounds):
            order = names[round_index % len(names):] + names[:round_index % len(names)]
            gc.collect()
            gc.disable()
            for name in order:
                step, count = contenders[name], steps[name]
                start = clock()
                for _ in range(count):
                    step()
                timing.rounds[name].append((clock() - start) / count)
            gc.enable()
    finally:
        if gc_was_enabled:
            gc.enable()
    return timing


def calibrate(step: Callable[[], object], target_seconds: float, minimum: int = 1, maximum: int = 100_000) -> int:
    """How many calls of ``step`` take about ``target_seconds`` (measured after a few warm-up calls)."""
    for _ in range(3):
        step()
    count, elapsed = 1, 0.0
    while True:
        start = time.perf_counter()
        for _ in range(count):
            step()
        elapsed = time.perf_counter() - start
        if elapsed > target_seconds / 4 or count >= maximum:
            break
        count *= 4
    per_call = elapsed / count
    return int(min(maximum, max(minimum, round(target_seconds / per_call))))


# --- machine facts ---------------------------------------------------------------------------
def blas_description() -> str:
    """NumPy's BLAS as threadpoolctl sees it: library, version, kernel (architecture), threading layer."""
    import numpy  # noqa: F401  (make sure it is loaded so threadpoolctl finds its BLAS)

    parts = []
    for entry in threadpool_info():
        if entry.get("user_api") != "blas":
            continue
        path = os.path.basename(entry.get("filepath", ""))
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


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[index])) for row in [headers, *rows]) for index in range(len(headers))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(headers, widths)).rstrip(),
             "  ".join("-" * width for width in widths)]
    lines += ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)
