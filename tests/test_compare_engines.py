"""`compare_engines` and `nnblocks compare-engines`: one network on both engines, numbers and advice.

Nothing here asserts on wall time (DESIGN.md section 7): the timings are checked for being
there and consistent with each other, the advice for following the numbers it is given.
One smoke test runs ``examples/lenet_digits.py --quick`` in a subprocess.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nnblocks import Dense, Sequential
from nnblocks.analysis.engine_comparison import (EngineComparison, EngineRun, busy_machine_notes, compare_engines,
                                                 format_bytes, format_duration, recommend)
from nnblocks.cli.main import app
from nnblocks.errors import ParameterError, ParameterTypeError
from nnblocks.runs import RunSpec

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = 4
runner = CliRunner()


def blobs(seed: int = 0, n: int = 160):
    """Three well-separated Gaussian blobs in 4-D: any sound training gets them right."""
    rng = np.random.default_rng(seed)
    centres = np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], dtype=float)
    y = rng.integers(0, 3, n)
    x = centres[y] + rng.normal(scale=0.5, size=(n, 4))
    return x, y


def small_network() -> Sequential:
    return Sequential([Dense(16, activation="relu"), Dense(3)], seed=3)


@pytest.fixture(scope="module")
def comparison() -> EngineComparison:
    x, y = blobs()
    data = (x[:100], y[:100], x[100:130], y[100:130], x[130:], y[130:])
    return compare_engines(small_network, data, epochs=EPOCHS, batch_size=16, learning_rate=0.05, device="cpu",
                           threads=1)


# --- the result -------------------------------------------------------------------------------
def test_each_engine_reports_sane_numbers(comparison):
    assert set(comparison.runs) == {"numpy", "torch"}
    for engine, run in comparison.runs.items():
        assert run.engine == engine and run.device == "cpu"
        assert len(run.epoch_seconds) == EPOCHS and all(seconds > 0 for seconds in run.epoch_seconds)
        assert run.steps_per_epoch == math.ceil(100 / 16)
        assert 0 < run.seconds_per_step < 5
        # samples/s and time per step are two views of the same epochs (the last batch is smaller)
        assert run.samples_per_second > 0  # no timing ratios asserted: the cores are shared
        assert run.fit_seconds >= sum(run.epoch_seconds)
        assert set(run.metrics) == {"loss", "accuracy"} and 0 <= run.metrics["accuracy"] <= 1
        assert run.resident_growth_bytes is None or run.resident_growth_bytes >= 0
    assert comparison.runs["numpy"].memory_method == "tracemalloc peak"
    assert comparison.runs["numpy"].peak_memory_bytes > 0
    assert comparison.runs["torch"].memory_method  # the engine's report, or the RSS fall-back, named
    assert comparison.task == "multiclass" and comparison.metric == "accuracy" and comparison.evaluated_on == "test"
    assert comparison.parameters == 4 * 16 + 16 + 16 * 3 + 3
    assert comparison.multiply_adds > 0 and not comparison.convolutional
    assert comparison.batch_size == 16 and comparison.epochs == EPOCHS and comparison.training_examples == 100
    assert comparison.threads and all(count == 1 for count in comparison.threads.values())
    ratio = comparison.runs["numpy"].seconds_per_step / comparison.runs["torch"].seconds_per_step
    assert comparison.speedup == pytest.approx(ratio)
    assert "faster per step" in comparison.recommendation or "about the same" in comparison.recommendation


def test_both_engines_reach_similar_metrics(comparison):
    numpy_accuracy = comparison.runs["numpy"].metrics["accuracy"]
    torch_accuracy = comparison.runs["torch"].metrics["accuracy"]
    assert numpy_accuracy > 0.9 and torch_accuracy > 0.9
    assert abs(numpy_accuracy - torch_accuracy) <= 0.05
    assert comparison.runs["numpy"].metrics["loss"] == pytest.approx(comparison.runs["torch"].metrics["loss"],
                                                                      rel=0.05, abs=0.02)


def test_a_run_spec_trains_both_engines_on_its_own_split():
    spec = RunSpec(dataset="circle", n_samples=120, hidden=(8,), epochs=3, seed=1)
    result = compare_engines(spec, device="cpu", threads=1, measure_memory=False)
    assert result.task == "binary" and result.evaluated_on == "test"
    assert result.training_examples == 60 and result.epochs == 3 and result.batch_size == 10
    assert set(result.runs["torch"].metrics) == {"loss", "accuracy", "roc_auc"}
    for run in result.runs.values():
        assert run.peak_memory_bytes is None and run.memory_method == "not measured"
    # Same spec, same seed: the two engines trained the same maths from the same weights.
    assert result.runs["numpy"].metrics["loss"] == pytest.approx(result.runs["torch"].metrics["loss"], rel=1e-3)


# --- the advice follows the numbers ---------------------------------------------------------------
def fake(numpy_step: float, torch_step: float, numpy_accuracy=0.95, torch_accuracy=0.95, convolutional=False,
         device="cpu", memory=(400_000, 300_000)) -> EngineComparison:
    runs = {engine: EngineRun(engine, place, step, 32 / step, [step * 10], 10, step * 12, {"accuracy": accuracy},
                              peak, method, peak)
            for engine, place, step, accuracy, peak, method in (
                ("numpy", "cpu", numpy_step, numpy_accuracy, memory[0], "tracemalloc peak"),
                ("torch", device, torch_step, torch_accuracy, memory[1], "process peak RSS growth"))}
    return EngineComparison(runs, "multiclass", "accuracy", "test", 61_706, 416_520, convolutional, 32, 10, 1000)


def test_advice_for_a_small_network_says_numpy_and_by_how_much():
    text = recommend(fake(0.0001, 0.0006))
    assert "NumPy engine is 6.0× faster per step" in text
    assert "100 µs against 600 µs" in text and "fixed cost per step" in text
    assert "choose PyTorch for larger networks" in text


def test_advice_for_a_large_network_says_pytorch_and_names_convolutions():
    text = recommend(fake(0.030, 0.010, convolutional=True))
    assert "PyTorch engine is 3.0× faster per step on the CPU" in text and "im2col" in text
    gpu = recommend(fake(0.030, 0.001, device="cuda"))
    assert "30.0× faster per step on the GPU (cuda)" in gpu


def test_advice_when_the_engines_are_close():
    assert "about the same time per step" in recommend(fake(0.0010, 0.0011))


def test_advice_on_results_and_memory():
    same = recommend(fake(0.001, 0.002))
    assert "Both reach the same test accuracy within 0.02" in same
    assert "Memory is no reason to choose" in same
    apart = recommend(fake(0.001, 0.002, numpy_accuracy=0.90, torch_accuracy=0.97, memory=(2_000_000, 8_000_000)))
    assert "differs by 0.070" in apart and "PyTorch ahead" in apart
    assert "PyTorch needs 4.0× what NumPy does" in apart


def test_a_busy_machine_is_noted_when_several_threads_were_timed(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (9.0, 9.0, 9.0))
    notes = busy_machine_notes({"NumPy's BLAS": 2, "OpenMP (torch)": 2}, None)
    assert len(notes) == 1 and "The machine was busy (load average 9.0" in notes[0] and "--threads 1" in notes[0]
    assert busy_machine_notes({"NumPy's BLAS": 1, "OpenMP (torch)": 1}, 1) == []   # one thread: steady anyway
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert busy_machine_notes({"NumPy's BLAS": 2}, None) == []


def test_formatting_helpers():
    assert format_duration(5.7e-5) == "57 µs" and format_duration(0.00124) == "1.24 ms"
    assert format_duration(2.1) == "2.10 s" and format_duration(float("nan")) == "-"
    assert format_bytes(None) == "-" and format_bytes(2048) == "2 KiB" and format_bytes(5 * 1024 ** 2) == "5.0 MiB"


# --- errors ---------------------------------------------------------------------------------------
def test_errors_name_the_parameter_and_the_fix():
    x, y = blobs()
    data = (x[:100], y[:100], x[100:], y[100:])
    with pytest.raises(ParameterError, match="'data' parameter of compare_engines must be None"):
        compare_engines(RunSpec(dataset="xor"), data)
    with pytest.raises(ParameterError, match=r"'data' parameter .* \(x_train, y_train, x_test, y_test\)"):
        compare_engines(small_network, None)
    with pytest.raises(ParameterTypeError, match="a RunSpec or a function"):
        compare_engines("spiral")
    with pytest.raises(ParameterTypeError, match="returning a new nnblocks Sequential"):
        compare_engines(lambda: "not a model", data, epochs=1)
    shared = small_network()
    with pytest.raises(ParameterError, match="returned the same model twice"):
        compare_engines(lambda: shared, data, epochs=1, device="cpu", measure_memory=False)
    with pytest.raises(ParameterError, match="'device' parameter of compare_engines"):
        compare_engines(small_network, data, device="tpu")
    with pytest.raises(ParameterError, match="'epochs' parameter of compare_engines"):
        compare_engines(small_network, data, epochs=0)
    with pytest.raises(ParameterError, match="'threads' parameter of compare_engines"):
        compare_engines(small_network, data, threads=0)


# --- the command ----------------------------------------------------------------------------------
def test_command_prints_the_table_and_the_recommendation():
    result = runner.invoke(app, ["compare-engines", "--dataset", "xor", "--samples", "100", "--hidden", "5",
                                 "--epochs", "3", "--device", "cpu", "--threads", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for header in ("engine", "time per step", "samples/s", "peak memory", "RSS growth", "test accuracy"):
        assert header in result.stdout
    assert "NumPy" in result.stdout and "PyTorch" in result.stdout
    assert "faster per step" in result.stdout or "about the same" in result.stdout
    assert "Training with the PyTorch engine" in result.stderr


@pytest.mark.parametrize("arguments, fragment", [
    (["--dataset", "xor", "--csv", "a.csv"], "either --dataset or --csv"),
    (["--target", "label"], "give --csv PATH as well"),
    (["--device", "tpu"], "The option --device must be one of"),
    (["--epochs", "0"], "The option --epochs must be a positive integer"),
    (["--threads", "0"], "The option --threads must be a positive integer"),
    (["--hidden", "a,b"], "The option --hidden must be"),
])
def test_command_errors_are_one_line(arguments, fragment):
    result = runner.invoke(app, ["compare-engines", *arguments], env={"COLUMNS": "300"})
    assert result.exit_code == 2, result.output
    assert "Error:" in result.stderr and "Traceback" not in result.output
    assert fragment in " ".join(result.stderr.split())


# --- the examples ---------------------------------------------------------------------------------
def test_lenet_digits_example_runs_quick():
    completed = subprocess.run([sys.executable, str(ROOT / "examples" / "lenet_digits.py"), "--quick"],
                               capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "test accuracy" in completed.stdout
