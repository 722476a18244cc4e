"""Tests for nnblocks.runs: RunSpec, train_run and the run folder, evaluate/predict/gradcheck on a run,
and the README's Python example and set-up commands (which CI runs).

Runs are kept tiny (a hundred points, a few epochs) so the whole file takes seconds.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nnblocks.data import DATASET_NAMES
from nnblocks.errors import DataError, ModelFileError, ParameterError
from nnblocks.runs import (RunSpec, check_run_gradients, check_spec_gradients, describe_datasets, evaluate_run,
                           load_run, parse_hidden, predict_csv, prepare_run, suggested_training, train_run)
from nnblocks.training.callbacks import Callback

ROOT = Path(__file__).resolve().parents[1]
SPLITS = ["train", "validation", "test"]
SMALL = dict(n_samples=120, epochs=4, hidden=(6,), seed=1)


# --- RunSpec ------------------------------------------------------------------------------
def test_spec_defaults_follow_the_playground():
    spec = RunSpec()
    assert (spec.dataset, spec.n_samples, spec.noise, spec.hidden, spec.activation) == ("spiral", 500, 0.0, (16, 16),
                                                                                        "tanh")
    assert (spec.optimizer, spec.learning_rate, spec.epochs, spec.batch_size, spec.seed) == ("adam", 0.01, 300, 10, 0)
    assert (spec.validation_fraction, spec.test_fraction, spec.scaling) == (0.25, 0.25, "standard")
    assert (spec.l2, spec.dropout, spec.loss) == (0.0, 0.0, None)


def test_spec_round_trips_through_plain_json():
    spec = RunSpec(dataset="XOR", hidden=[8, 4], activation="ReLU", optimizer="Momentum", scaling="none", l2=1e-3)
    data = json.loads(json.dumps(spec.to_dict()))
    assert data["hidden"] == [8, 4] and data["dataset"] == "xor" and data["scaling"] is None
    assert RunSpec.from_dict(data) == spec
    assert spec.activation == "relu" and spec.optimizer == "momentum"


def test_spec_for_a_csv_file_drops_the_dataset_name():
    spec = RunSpec(csv="data/houses.csv", target="price")
    assert spec.dataset is None and spec.data_name == "houses"


@pytest.mark.parametrize("changes, fragment", [
    ({"dataset": "spirals"}, "'circle'"),
    ({"activation": "swish"}, "relu"),
    ({"optimizer": "adamax"}, "'adam'"),
    ({"hidden": "16,x"}, "comma-separated"),
    ({"hidden": (16, 0)}, "hidden[1]"),
    ({"csv": "a.csv"}, "'target'"),
    ({"target": "label"}, "'target'"),
    ({"validation_fraction": 0.5, "test_fraction": 0.5}, "rows are left for training"),
    ({"learning_rate": 0}, "learning_rate"),
    ({"epochs": 0}, "epochs"),
    ({"scaling": "robust"}, "'minmax'"),
    ({"loss": "cross"}, "softmax_cross_entropy"),
])
def test_spec_refuses_bad_values_with_the_parameter_named(changes, fragment):
    with pytest.raises(ParameterError) as caught:
        RunSpec(**changes)
    assert fragment in str(caught.value)


def test_spec_from_dict_refuses_unknown_keys():
    with pytest.raises(ParameterError, match="unknown keys"):
        RunSpec.from_dict({"dataset": "xor", "layers": 3})


@pytest.mark.parametrize("text, sizes", [("16,16", (16, 16)), (" 64 ", (64,)), ("8, 4,2", (8, 4, 2)),
                                         ("none", ()), ("", ())])
def test_parse_hidden(text, sizes):
    assert parse_hidden(text) == sizes


@pytest.mark.parametrize("text", ["16,x", "16,,16", "-4", "1.5", "16;16"])
def test_parse_hidden_explains_the_format(text):
    with pytest.raises(ParameterError, match="such as '16,16'"):
        parse_hidden(text)


def test_suggested_training():
    assert suggested_training("spiral") == {"epochs": 300, "batch_size": 10, "learning_rate": 0.01}
    assert suggested_training("digits") == {"epochs": 100, "batch_size": 32, "learning_rate": 0.001}


def test_describe_datasets_covers_every_name():
    infos = describe_datasets()
    assert [info.name for info in infos] == list(DATASET_NAMES)
    assert all(info.description and info.task in ("binary", "multiclass", "regression") for info in infos)


# --- train_run and the run folder ---------------------------------------------------------------
@pytest.fixture(scope="module")
def spiral_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("runs") / "spiral"
    return train_run(RunSpec(dataset="spiral", **SMALL), folder, progress=False)


def test_train_run_writes_every_file(spiral_run):
    folder = spiral_run.path
    assert sorted(path.name for path in folder.iterdir()) == ["README.md", "history.csv", "metrics.json", "model",
                                                              "spec.json"]
    assert sorted(path.name for path in (folder / "model").iterdir()) == ["model.json", "model.safetensors"]
    assert not list(folder.rglob(".*.tmp"))  # atomic writes leave no temporary files


def test_metrics_json_has_exactly_the_three_splits(spiral_run):
    metrics = json.loads((spiral_run.path / "metrics.json").read_text())
    assert list(metrics) == SPLITS
    for split in SPLITS:
        assert set(metrics[split]) == {"loss", "accuracy", "roc_auc"}
        assert 0.0 <= metrics[split]["accuracy"] <= 1.0
    assert metrics == spiral_run.metrics


def test_history_csv_has_one_row_per_epoch(spiral_run):
    with open(spiral_run.path / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == SMALL["epochs"] and [row["epoch"] for row in rows] == ["1", "2", "3", "4"]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"} <= set(rows[0])


def test_spec_json_rebuilds_the_spec(spiral_run):
    document = json.loads((spiral_run.path / "spec.json").read_text())
    assert document["format"] == "nnblocks-run-spec" and document["stop_reason"] is None
    assert RunSpec.from_dict(document["spec"]) == spiral_run.spec


def test_readme_summarises_the_run(spiral_run):
    text = (spiral_run.path / "README.md").read_text()
    for fragment in ("`spiral`", "120 samples", "60 training, 30 validation and 30 test", "Total parameters",
                     "adam", "| test |", "4 of 4 epochs"):
        assert fragment in text


def test_network_and_split_match_the_spec(spiral_run):
    model = spiral_run.model
    assert [layer.units for layer in model.layers] == [6, 1]
    assert model.layers[0].activation.type_name == "tanh"
    assert model.loss.type_name == "binary_cross_entropy"
    assert model.class_names == ["negative", "positive"]
    assert model.inputs.input_names == ["x1", "x2"]


def test_load_run_reads_back_everything(spiral_run):
    run = load_run(spiral_run.path)
    assert run.spec == spiral_run.spec and run.metrics == spiral_run.metrics
    assert run.history["loss"] == pytest.approx(spiral_run.history["loss"])
    assert run.epochs_run == SMALL["epochs"] and run.stop_reason is None


def test_evaluate_run_rebuilds_the_same_splits(spiral_run):
    metrics = evaluate_run(load_run(spiral_run.path))
    assert list(metrics) == SPLITS
    for split in SPLITS:
        assert metrics[split] == pytest.approx(spiral_run.metrics[split], rel=1e-6)


def test_evaluate_and_predict_on_a_csv(spiral_run, tmp_path):
    path = tmp_path / "points.csv"
    pd.DataFrame({"x2": [0.1, 4.0, -3.0], "x1": [0.2, 4.0, 3.0], "label": ["positive", "negative", "negative"],
                  "note": ["a", "b", "c"]}).to_csv(path, index=False)
    run = load_run(spiral_run.path)
    metrics = evaluate_run(run, csv=path, target="label")
    assert list(metrics) == ["csv"] and {"loss", "accuracy"} <= set(metrics["csv"])
    table = predict_csv(run, path)
    assert list(table.columns) == ["prediction", "probability_negative", "probability_positive"]
    assert len(table) == 3 and set(table["prediction"]) <= {"negative", "positive"}
    assert np.allclose(table["probability_negative"] + table["probability_positive"], 1.0, atol=1e-6)


def test_predict_csv_names_missing_columns(spiral_run, tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("x1,y\n1,2\n")
    with pytest.raises(DataError, match="lacks the input column"):
        predict_csv(load_run(spiral_run.path), path)
    with pytest.raises(DataError, match="does not exist"):
        predict_csv(load_run(spiral_run.path), tmp_path / "nope.csv")


def test_gradient_checks_pass(spiral_run):
    assert check_run_gradients(load_run(spiral_run.path), examples=4).passed
    report = check_spec_gradients(RunSpec(dataset="iris", hidden=(5,), activation="sigmoid"), examples=6)
    assert report.passed and [row.name for row in report.rows][:2] == ["dense.weight", "dense.bias"]


def test_regression_run_reports_regression_metrics(tmp_path):
    result = train_run(RunSpec(dataset="plane", n_samples=80, epochs=2, hidden=(4,)), tmp_path / "plane",
                       progress=False)
    assert list(result.metrics) == SPLITS
    assert all(set(values) == {"loss", "mae", "rmse", "r2"} for values in result.metrics.values())
    assert result.model.loss.type_name == "mse" and result.model.layers[-1].units == 1


def test_multiclass_run_has_one_output_per_class(tmp_path):
    result = train_run(RunSpec(dataset="iris", epochs=2, hidden=(5,), dropout=0.2, l2=1e-4), tmp_path / "iris",
                       progress=False)
    model = result.model
    assert model.loss.type_name == "softmax_cross_entropy" and model.layers[-1].units == 3
    assert model.class_names == ["setosa", "versicolor", "virginica"]
    assert [layer.type_name for layer in model.layers] == ["dense", "dropout", "dense"]
    assert set(result.metrics["test"]) == {"loss", "accuracy"}


def test_csv_run_stores_an_absolute_path(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"size": rng.normal(size=60), "colour": rng.choice(["red", "blue"], 60)})
    frame["label"] = np.where(frame["size"] > 0, "big", "small")
    frame.to_csv(tmp_path / "shapes.csv", index=False)
    monkeypatch.chdir(tmp_path)
    result = train_run(RunSpec(csv="shapes.csv", target="label", epochs=2, hidden=(3,)), "run", progress=False)
    assert Path(result.spec.csv).is_absolute()
    monkeypatch.chdir(ROOT)  # evaluate from elsewhere: the stored absolute path still finds the file
    assert list(evaluate_run(load_run(tmp_path / "run"))) == SPLITS
    assert result.model.inputs.input_names == ["size", "colour"]


def test_without_validation_part(tmp_path):
    result = train_run(RunSpec(dataset="xor", n_samples=60, epochs=2, hidden=(3,), validation_fraction=0.0),
                       tmp_path / "run", progress=False)
    assert result.metrics["validation"] == {} and list(result.metrics) == SPLITS
    assert "val_loss" not in result.history


def test_prepare_run_builds_before_training():
    prepared = prepare_run(RunSpec(dataset="circle", **SMALL))
    assert prepared.model.built and prepared.sizes == {"train": 60, "validation": 30, "test": 30}
    assert "Total parameters" in str(prepared.model.summary())


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (as Ctrl-C would) at a given epoch/batch."""

    def __init__(self, epoch: int, batch: int | None = None):
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_batch_end(self, batch, logs=None):
        if self.batch is not None and self.current == self.epoch and batch == self.batch:
            raise KeyboardInterrupt

    def on_epoch_end(self, epoch, logs=None):
        if self.batch is None and epoch == self.epoch:
            raise KeyboardInterrupt


def test_ctrl_c_keeps_the_model_and_writes_the_folder(tmp_path):
    result = train_run(RunSpec(dataset="xor", **SMALL), tmp_path / "run", progress=False,
                       callbacks=[InterruptAt(epoch=1)])
    assert "interrupted" in result.stop_reason and result.epochs_run == 2  # History saw epoch 2 end
    run = load_run(tmp_path / "run")
    assert run.stop_reason == result.stop_reason and list(run.metrics) == SPLITS
    assert "Stopped early" in (tmp_path / "run" / "README.md").read_text()


def test_ctrl_c_in_the_first_epoch_still_gives_a_readable_run(tmp_path):
    result = train_run(RunSpec(dataset="xor", **SMALL), tmp_path / "run", progress=False,
                       callbacks=[InterruptAt(epoch=0, batch=0)])
    assert result.epochs_run == 0 and "interrupted" in result.stop_reason
    assert (tmp_path / "run" / "history.csv").read_text() == "epoch\n"
    assert load_run(tmp_path / "run").history == {}


def test_a_diverging_run_stops_and_is_still_saved(tmp_path):
    with pytest.warns(RuntimeWarning, match="lower it"):
        result = train_run(RunSpec(dataset="plane", n_samples=80, epochs=5, hidden=(8,), activation="relu",
                                   optimizer="sgd", learning_rate=50.0), tmp_path / "run", progress=False)
    assert "loss became" in result.stop_reason
    assert all(np.isfinite(value) for values in result.metrics.values() for value in values.values())
    assert load_run(tmp_path / "run").stop_reason == result.stop_reason


@pytest.mark.parametrize("make, fragment", [
    (lambda root: root / "missing", "does not exist"),
    (lambda root: root, "not a run folder"),
    (lambda root: (root / "file.txt").write_text("x") and root / "file.txt", "is a file"),
])
def test_load_run_refuses_what_is_not_a_run(tmp_path, make, fragment):
    with pytest.raises(ModelFileError, match=fragment):
        load_run(make(tmp_path))


def test_load_run_refuses_a_damaged_spec(spiral_run, tmp_path):
    import shutil
    copy = tmp_path / "copy"
    shutil.copytree(spiral_run.path, copy)
    document = json.loads((copy / "spec.json").read_text())
    document["spec"]["activation"] = "swish"
    (copy / "spec.json").write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match="invalid run spec"):
        load_run(copy)


def test_train_run_refuses_a_file_as_folder(tmp_path):
    (tmp_path / "taken").write_text("")
    with pytest.raises(ParameterError, match="out_dir"):
        train_run(RunSpec(dataset="xor", **SMALL), tmp_path / "taken", progress=False)


# --- the README and CI ------------------------------------------------------------------------------
def readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def fenced_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", readme(), flags=re.DOTALL)


def test_readme_python_examples_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = fenced_blocks("python")
    assert len(blocks) >= 1
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme_example"})
    assert (tmp_path / "circle-model" / "model.json").is_file()
    assert "accuracy" in capsys.readouterr().out


def test_readme_gives_the_two_setup_commands():
    blocks = [block.strip() for block in fenced_blocks("bash")]
    assert blocks[:2] == [
        "python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e . && .venv/bin/nnblocks train",
        'python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e ".[test]" && '
        ".venv/bin/python -m pytest -q",
    ]


def test_ci_script_runs_the_readme_test_command():
    script = ROOT / ".ci" / "run"
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") and "set -euo pipefail" in text
    assert fenced_blocks("bash")[1].strip() in text.splitlines()
    assert os.access(script, os.X_OK)
