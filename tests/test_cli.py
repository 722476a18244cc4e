"""Tests for the `nnblocks` command line, through typer's CliRunner.

One short training run (module fixture) is shared by the evaluate / predict / gradcheck
tests. Every error path must print one "Error: ..." line and exit with code 2, never a
traceback.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from conftest import write_shapes_csv
import nnblocks
from nnblocks.analysis.gradient_check import GradientCheckReport, ParameterCheck
from nnblocks.cli.main import app
from nnblocks.data import DATASET_NAMES
from nnblocks.runs import ACTIVATION_NAMES

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = ["train", "evaluate", "predict", "gradcheck", "datasets"]
SMALL = ["--samples", "100", "--epochs", "3", "--hidden", "5", "--seed", "2"]

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(arg) for arg in args])


def assert_error(result, *fragments: str) -> None:
    """One short message on stderr, exit code 2, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Error:" in result.stderr, result.output
    assert "Traceback" not in result.output
    flat = " ".join(result.output.split())
    for fragment in fragments:
        assert fragment in flat, f"{fragment!r} not in {flat!r}"


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli") / "xor-run"
    result = invoke("train", "--dataset", "xor", *SMALL, "--out", folder)
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture()
def points_csv(tmp_path) -> Path:
    path = tmp_path / "points.csv"
    path.write_text("x1,x2,label\n1.0,1.0,positive\n-2.0,1.5,negative\n3.0,-1.0,negative\n0.5,2.0,positive\n")
    return path


# --- train ---------------------------------------------------------------------------------------
def test_train_prints_summary_metrics_and_folder(run_folder):
    result = invoke("train", "--dataset", "xor", *SMALL, "--out", run_folder.parent / "again")
    assert result.exit_code == 0, result.output
    for fragment in ("Data: xor (binary", "Total parameters", "Final metrics after 3 epochs", "validation",
                     "accuracy", "roc_auc", "Run folder:"):
        assert fragment in result.stdout
    assert "val_loss" not in result.stdout  # no progress display: the output is not a terminal


def test_train_writes_the_run_folder(run_folder):
    # xor has two numeric features, so the figures come too (tests/test_run_figures.py covers them).
    assert sorted(path.name for path in run_folder.iterdir()) == [
        "README.md", "decision_boundary.png", "history.csv", "loss.png", "metrics.json", "model", "network.png",
        "neurons.png", "spec.json", "training.gif"]
    metrics = json.loads((run_folder / "metrics.json").read_text())
    assert list(metrics) == ["train", "validation", "test"]
    spec = json.loads((run_folder / "spec.json").read_text())["spec"]
    assert (spec["dataset"], spec["hidden"], spec["epochs"], spec["n_samples"], spec["seed"]) == ("xor", [5], 3, 100, 2)


def test_train_quiet_prints_only_the_results(tmp_path):
    result = invoke("train", "--dataset", "gauss", *SMALL, "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 0, result.output
    assert "Total parameters" not in result.stdout and "Run folder:" in result.stdout


def test_train_default_folder_is_named_after_the_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("train", *SMALL, "-q")
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"spiral-\d{8}-\d{6}", folder.name) and (folder / "spec.json").is_file()


def test_train_digits_uses_its_suggested_settings(tmp_path, monkeypatch):
    import nnblocks.cli.train as train_module
    seen = {}

    def fake_train_run(prepared, folder, progress=None, callbacks=(), **options):
        seen["spec"] = prepared.spec
        raise KeyboardInterrupt  # stop here: only the settings matter

    monkeypatch.setattr(train_module, "train_run", fake_train_run)
    result = invoke("train", "--dataset", "digits", "--hidden", "64", "--out", tmp_path / "run", "-q")
    assert result.exit_code == 130 and "interrupted" in result.stderr
    spec = seen["spec"]
    assert (spec.epochs, spec.batch_size, spec.learning_rate, spec.hidden) == (100, 32, 0.001, (64,))


def test_train_on_a_csv_file(tmp_path):
    path = tmp_path / "shapes.csv"
    write_shapes_csv(path)
    result = invoke("train", "--csv", path, "--target", "label", "--epochs", "2", "--hidden", "3",
                    "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "Data: shapes (binary, 24 examples)" in result.stdout


def test_train_reports_a_diverging_loss_and_still_saves(tmp_path):
    result = invoke("train", "--dataset", "plane", "--samples", "80", "--hidden", "8", "--activation", "relu",
                    "--optimizer", "sgd", "--learning-rate", "50", "--epochs", "5", "--out", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.output
    assert "Training stopped: the loss became" in " ".join(result.stderr.split())
    assert result.stderr.count("loss became") == 1  # the loop's warning is not shown a second time
    assert (tmp_path / "run" / "spec.json").is_file()


# --- evaluate and predict --------------------------------------------------------------------------
def test_evaluate_prints_the_same_metrics(run_folder):
    result = invoke("evaluate", run_folder)
    assert result.exit_code == 0, result.output
    assert all(split in result.stdout for split in ("train", "validation", "test"))
    as_json = invoke("evaluate", run_folder, "--json")
    assert as_json.exit_code == 0, as_json.output
    metrics = json.loads(as_json.stdout)
    saved = json.loads((run_folder / "metrics.json").read_text())
    assert list(metrics) == list(saved)
    for split in saved:
        assert metrics[split] == pytest.approx(saved[split], rel=1e-6)


def test_evaluate_on_a_csv(run_folder, points_csv):
    result = invoke("evaluate", run_folder, "--csv", points_csv, "--target", "label", "--json")
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)["csv"]) == {"loss", "accuracy", "roc_auc"}


def test_predict_to_stdout_and_to_a_file(run_folder, points_csv, tmp_path):
    result = invoke("predict", run_folder, "--csv", points_csv)
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "prediction,probability_negative,probability_positive" and len(lines) == 5
    out = tmp_path / "predictions.csv"
    written = invoke("predict", run_folder, "--csv", points_csv, "--out", out)
    assert written.exit_code == 0, written.output
    assert out.read_text() == result.stdout and "Wrote 4 predictions" in written.stderr


# --- gradcheck and datasets --------------------------------------------------------------------------
def test_gradcheck_on_a_run_passes(run_folder):
    result = invoke("gradcheck", run_folder, "--examples", "4")
    assert result.exit_code == 0, result.output
    assert "dense.weight" in result.stdout and "PASSED" in result.stdout


def test_gradcheck_on_a_fresh_network_passes():
    result = invoke("gradcheck", "--dataset", "circle", "--hidden", "4,3", "--activation", "sigmoid",
                    "--max-entries", "5")
    assert result.exit_code == 0, result.output
    assert "dense_2.bias" in result.stdout and "PASSED" in result.stdout


def test_gradcheck_failure_exits_with_1(monkeypatch):
    import nnblocks.cli.gradcheck as gradcheck_module
    bad = GradientCheckReport([ParameterCheck("dense.weight", (2, 3), 6, 0.5, 0.25)])
    monkeypatch.setattr(gradcheck_module, "check_spec_gradients", lambda *args, **kwargs: bad)
    result = invoke("gradcheck")
    assert result.exit_code == 1 and "FAILED" in result.stdout


def test_gradcheck_refuses_a_run_with_network_options(run_folder):
    assert_error(invoke("gradcheck", run_folder, "--hidden", "3"), "--hidden")


def test_datasets_lists_every_name():
    result = invoke("datasets")
    assert result.exit_code == 0, result.output
    for name in DATASET_NAMES:
        assert re.search(rf"\b{name}\b", result.stdout), name


# --- help and version ------------------------------------------------------------------------------
@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_help_works_everywhere(command):
    result = invoke(*command, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.stdout


def test_version():
    result = invoke("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"nnblocks {nnblocks.__version__}"


def test_train_help_lists_the_activations():
    flat = " ".join(invoke("train", "--help").stdout.split())
    assert all(name in flat for name in ACTIVATION_NAMES)


def test_readme_documents_every_option_of_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    group = get_command(app)
    for name in COMMANDS:
        section = readme.split(f"### `nnblocks {name}")[1].split("\n### ")[0]
        options = {option for param in group.commands[name].params for option in param.opts
                   if option.startswith("--") and option != "--help"}
        documented = set(re.findall(r"`(--[a-z0-9-]+)", section))
        assert options == documented, name


# --- errors: one line, exit code 2 ---------------------------------------------------------------------
def test_unknown_dataset_lists_the_names():
    assert_error(invoke("train", "--dataset", "spirals"), "dataset", "'spiral'", "'circle'", "'digits'")


def test_csv_without_target():
    assert_error(invoke("train", "--csv", "data.csv"), "--target")


def test_target_without_csv():
    assert_error(invoke("train", "--target", "label"), "--csv")


def test_dataset_and_csv_together():
    assert_error(invoke("train", "--dataset", "xor", "--csv", "a.csv", "--target", "y"), "not both")


def test_unknown_activation_lists_the_valid_ones():
    assert_error(invoke("train", "--activation", "swish"), "--activation", "swish", "relu", "tanh", "leaky_relu")


def test_unknown_optimizer_lists_the_valid_ones():
    assert_error(invoke("train", "--optimizer", "adamax"), "--optimizer", "'adam'", "'sgd'")


@pytest.mark.parametrize("hidden", ["16,x", "16,,16", "-3"])
def test_bad_hidden_explains_the_format(hidden):
    assert_error(invoke("train", "--hidden", hidden), "--hidden", "comma-separated", "'16,16'")


def test_bad_numbers_name_the_option():
    assert_error(invoke("train", "--epochs", "0"), "--epochs")
    assert_error(invoke("train", "--validation-fraction", "0.6", "--test-fraction", "0.5"), "--validation-fraction")
    assert_error(invoke("train", "--dataset", "circle", "--noise", "0.9", "--epochs", "1"), "noise", "0.5")


def test_missing_csv_file(tmp_path):
    missing = tmp_path / "nope.csv"
    assert_error(invoke("train", "--csv", missing, "--target", "y"), "existing CSV file", "nope.csv")


def test_target_column_missing(points_csv):
    assert_error(invoke("train", "--csv", points_csv, "--target", "price"), "'target'", "price", "'x1'", "'label'")


def test_predict_on_a_folder_that_is_not_a_run(tmp_path, points_csv):
    assert_error(invoke("predict", tmp_path, "--csv", points_csv), "not a run folder", "spec.json")


def test_evaluate_a_missing_run(tmp_path):
    assert_error(invoke("evaluate", tmp_path / "nothing"), "does not exist")


def test_predict_with_a_missing_csv(run_folder, tmp_path):
    assert_error(invoke("predict", run_folder, "--csv", tmp_path / "nope.csv"), "nope.csv", "does not exist")


def test_predict_with_missing_columns(run_folder, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    assert_error(invoke("predict", run_folder, "--csv", path), "lacks the input column", "'x1'", "'x2'")


def test_corrupt_model_file(run_folder, tmp_path, points_csv):
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    weights = copy / "model" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:40])
    assert_error(invoke("predict", copy, "--csv", points_csv), "model.safetensors", "truncated or corrupt")
    assert_error(invoke("evaluate", copy), "truncated or corrupt")


def test_tampered_model_json(run_folder, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(run_folder, copy)
    (copy / "model" / "model.json").write_text("{not json")
    assert_error(invoke("evaluate", copy), "model.json", "not valid JSON")


def test_evaluate_csv_needs_target(run_folder, points_csv):
    assert_error(invoke("evaluate", run_folder, "--csv", points_csv), "--target")
