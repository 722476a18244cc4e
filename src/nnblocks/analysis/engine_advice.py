"""The plain-words recommendation drawn from an EngineComparison's measured numbers (see ``engine_comparison``)."""

from __future__ import annotations

from nnblocks.analysis.engine_results import SAME_METRIC, SAME_SPEED, EngineComparison, EngineRun


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
