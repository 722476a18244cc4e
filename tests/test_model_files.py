"""Tests for nnblocks.io: model files, atomic writes, checkpoints, run folders.

The corruption tests damage a saved folder in one specific way each and check that
loading raises a ModelFileError whose message names the file and the fix.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

from nnblocks.errors import ModelFileError, ParameterError, ParameterTypeError
from nnblocks.io import (atomic_write_bytes, atomic_write_json, load_checkpoint, load_model_files,
                         read_history_csv, read_metrics_json, save_checkpoint, save_model_files,
                         write_history_csv, write_metrics_json)
from nnblocks.io import model_files

CONFIG = {"layers": [{"type": "dense", "units": 3, "activation": "relu"}], "loss": "mse"}
FIX = "save the model again"


def make_weights(dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return {"0.weight": rng.normal(size=(2, 3)).astype(dtype), "0.bias": np.zeros(3, dtype)}


@pytest.fixture
def saved(tmp_path):
    folder = tmp_path / "model"
    save_model_files(folder, CONFIG, make_weights(), {"class_names": ["cat", "dog"]})
    return folder


def temp_files(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".tmp")]


def edit_json(folder: Path, change) -> None:
    document = json.loads((folder / "model.json").read_text())
    change(document)
    (folder / "model.json").write_text(json.dumps(document))


def load_error(folder) -> str:
    with pytest.raises(ModelFileError) as info:
        load_model_files(folder)
    return str(info.value)


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape", [(), (1,), (5,), (3, 4), (2, 3, 4, 5), (0, 3)])
def test_round_trip_keeps_values_shapes_and_dtypes(tmp_path, dtype, shape):
    rng = np.random.default_rng(1)
    weights = {"w": rng.normal(size=shape).astype(dtype), "b": np.arange(3, dtype=dtype)}
    metadata = {"class_names": ["a", "b"], "note": "ünïcode ✓", "scale": [0.5, 2.0], "nothing": None}
    save_model_files(tmp_path, CONFIG, weights, metadata)
    config, loaded, loaded_metadata = load_model_files(tmp_path)
    assert config == CONFIG and loaded_metadata == metadata
    assert list(loaded) == list(weights)
    for name, array in weights.items():
        assert loaded[name].dtype == array.dtype and loaded[name].shape == array.shape
        np.testing.assert_array_equal(loaded[name], array)
        assert loaded[name].flags.writeable  # training updates weights in place


def test_accepts_str_path_and_model_json_path_and_non_contiguous_arrays(tmp_path):
    matrix = np.arange(12, dtype=np.float64).reshape(3, 4)
    weights = {"transposed": matrix.T, "fortran": np.asfortranarray(matrix), "strided": matrix[:, ::2]}
    save_model_files(str(tmp_path / "m"), CONFIG, weights)
    for where in (str(tmp_path / "m"), tmp_path / "m" / "model.json"):
        _, loaded, metadata = load_model_files(where)
        assert metadata == {}
        for name, array in weights.items():
            np.testing.assert_array_equal(loaded[name], array)


def test_model_json_layout(saved):
    document = json.loads((saved / "model.json").read_text())
    assert list(document)[:4] == ["format", "format_version", "nnblocks_version", "created"]
    assert document["format"] == "nnblocks-model" and document["format_version"] == 1
    assert document["weights"] == {"0.weight": {"shape": [2, 3], "dtype": "float32"},
                                   "0.bias": {"shape": [3], "dtype": "float32"}}
    assert document["config"] == CONFIG and document["metadata"] == {"class_names": ["cat", "dog"]}
    assert "T" in document["created"]


def test_save_refuses_bad_arguments_and_writes_nothing(tmp_path):
    folder = tmp_path / "m"
    bad_calls = [
        (CONFIG, {"w": np.array([1.0, np.nan], np.float32)}, None, "NaN"),
        (CONFIG, {"w": np.array([1.0, np.inf])}, None, "NaN or infinity"),
        (CONFIG, {"w": np.arange(3)}, None, "float32"),
        (CONFIG, [np.zeros(3)], None, "dict"),
        (CONFIG, {"__metadata__": np.zeros(3)}, None, "non-empty str keys"),
        ({"rate": float("nan")}, make_weights(), None, "config['rate']"),
        ({1: "one"}, make_weights(), None, "str keys"),
        ({"f": print}, make_weights(), None, "plain JSON"),
        ([1, 2], make_weights(), None, "dict"),
        (CONFIG, make_weights(), "notes", "dict or None"),
    ]
    for config, weights, metadata, fragment in bad_calls:
        with pytest.raises((ParameterError, ParameterTypeError)) as info:
            save_model_files(folder, config, weights, metadata)
        assert fragment in str(info.value)
    assert not folder.exists()


# ---------------------------------------------------------------- atomic writes

def test_failed_replace_leaves_old_model_intact_and_no_temp_files(saved, monkeypatch):
    before = {name: (saved / name).read_bytes() for name in ("model.json", "model.safetensors")}

    def broken_replace(source, target):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="simulated"):
        save_model_files(saved, {"other": True}, make_weights(seed=5))
    monkeypatch.undo()
    assert {name: (saved / name).read_bytes() for name in before} == before
    assert temp_files(saved) == []
    config, weights, _ = load_model_files(saved)
    assert config == CONFIG


def test_failed_write_midway_removes_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "file.bin"
    target.write_bytes(b"old")
    monkeypatch.setattr(os, "fsync", lambda descriptor: (_ for _ in ()).throw(OSError("I/O error (simulated)")))
    with pytest.raises(OSError, match="simulated"):
        atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"old" and temp_files(tmp_path) == []


def test_crash_between_weights_and_json_is_detected(saved, monkeypatch):
    # Same shapes, new values: only the checksum in the old model.json can tell the pair apart.
    def crash(path, obj):
        raise KeyboardInterrupt

    monkeypatch.setattr(model_files, "atomic_write_json", crash)
    with pytest.raises(KeyboardInterrupt):
        save_model_files(saved, CONFIG, make_weights(seed=9))
    message = load_error(saved)
    assert "model.safetensors" in message and "checksum" in message and FIX in message


def test_atomic_write_json_keeps_order_converts_numpy_and_refuses_nan(tmp_path):
    path = tmp_path / "data.json"
    atomic_write_json(path, {"b": np.float32(0.5), "a": (1, np.int64(2)), "c": np.array([1.0, 2.0])})
    assert list(json.loads(path.read_text())) == ["b", "a", "c"]
    assert json.loads(path.read_text()) == {"b": 0.5, "a": [1, 2], "c": [1.0, 2.0]}
    with pytest.raises(ParameterError, match=r"obj\['x'\]\[1\] is not finite"):
        atomic_write_json(path, {"x": [1.0, float("nan")]})
    assert json.loads(path.read_text())["b"] == 0.5  # the refused write changed nothing


# ---------------------------------------------------------------- missing files

def test_missing_folder_and_files_are_named(saved, tmp_path):
    assert "does not exist" in load_error(tmp_path / "nowhere")
    (saved / "model.safetensors").unlink()
    message = load_error(saved)
    assert "has no model.safetensors" in message and "model.json + model.safetensors" in message
    (saved / "model.json").unlink()
    assert "has no model.json" in load_error(saved)
    (tmp_path / "file.txt").write_text("x")
    assert "not a folder" in load_error(tmp_path / "file.txt")


# ---------------------------------------------------------------- corrupt weights

def test_truncated_safetensors_is_refused_at_every_cut(saved):
    data = (saved / "model.safetensors").read_bytes()
    for cut in sorted({0, 1, 7, 8, 9, 20, len(data) // 2, len(data) - 24, len(data) - 1}):
        (saved / "model.safetensors").write_bytes(data[:cut])
        message = load_error(saved)
        assert "model.safetensors" in message and FIX in message, (cut, message)


def test_every_flipped_header_byte_is_refused(saved):
    data = (saved / "model.safetensors").read_bytes()
    header_end = 8 + int.from_bytes(data[:8], "little")
    for position in range(header_end):
        damaged = bytearray(data)
        damaged[position] ^= 0xFF
        (saved / "model.safetensors").write_bytes(bytes(damaged))
        assert "model.safetensors" in load_error(saved), position


def test_flipped_data_byte_fails_the_checksum(saved):
    data = bytearray((saved / "model.safetensors").read_bytes())
    data[-3] ^= 0x01  # still a finite float, same shapes: only the checksum notices
    (saved / "model.safetensors").write_bytes(bytes(data))
    assert "checksum" in load_error(saved)


def test_header_claiming_a_huge_size_is_refused_cleanly(saved):
    data = (saved / "model.safetensors").read_bytes()
    (saved / "model.safetensors").write_bytes((10**15).to_bytes(8, "little") + data[8:])
    message = load_error(saved)
    assert "claims 1000000000000000 bytes" in message and "model.safetensors" in message


def test_extra_missing_and_reshaped_tensors_are_refused(saved):
    weights = make_weights()
    path = saved / "model.safetensors"
    path.write_bytes(safetensors.numpy.save({**weights, "extra": np.zeros(2, np.float32)}))
    assert "unexpected tensors ['extra']" in load_error(saved)
    path.write_bytes(safetensors.numpy.save({"0.weight": weights["0.weight"]}))
    assert "missing tensors ['0.bias']" in load_error(saved)
    path.write_bytes(safetensors.numpy.save({**weights, "0.bias": np.zeros(4, np.float32)}))
    assert "manifest says float32 [3]" in load_error(saved)
    path.write_bytes(safetensors.numpy.save({**weights, "0.bias": np.zeros(3, np.float64)}))
    assert "float64 [3]" in load_error(saved)


def test_nan_weights_are_refused(saved):
    weights = make_weights()
    weights["0.weight"][1, 2] = np.nan
    (saved / "model.safetensors").write_bytes(safetensors.numpy.save(weights))
    message = load_error(saved)
    assert "'0.weight' holds 1 NaN" in message and "earlier checkpoint" in message


def test_integer_tensors_are_refused(saved):
    weights = {**make_weights(), "0.bias": np.zeros(3, np.int32)}
    (saved / "model.safetensors").write_bytes(safetensors.numpy.save(weights))
    edit_json(saved, lambda d: d["weights"]["0.bias"].update(dtype="int32"))
    assert "only float16, float32, float64 are allowed" in load_error(saved)


# ---------------------------------------------------------------- corrupt model.json

def test_truncated_json_reports_line_and_column(saved):
    text = (saved / "model.json").read_text()
    for cut in (0, 1, 10, len(text) // 2, len(text) - 2):
        (saved / "model.json").write_text(text[:cut])
        message = load_error(saved)
        assert "model.json is not valid JSON" in message and "line" in message and "column" in message


@pytest.mark.parametrize("change, fragment", [
    (lambda d: d.update(format="keras-model"), "'format' is 'keras-model'"),
    (lambda d: d.update(format_version=2, nnblocks_version="9.0"), "written by a newer nnblocks"),
    (lambda d: d.update(format_version="1"), "invalid format_version"),
    (lambda d: d.update(format_version=True), "invalid format_version"),
    (lambda d: d.pop("weights"), "has no 'weights' entry"),
    (lambda d: d.pop("weights_sha256"), "has no 'weights_sha256' entry"),
    (lambda d: d.pop("config"), "has no 'config' entry"),
    (lambda d: d.update(config=[1, 2]), "'config' entry must be an object"),
    (lambda d: d.update(metadata="x"), "'metadata' entry must be an object or null"),
    (lambda d: d["weights"]["0.bias"].update(shape=[4]), "manifest says float32 [4]"),
    (lambda d: d["weights"]["0.bias"].update(shape=[-3]), "manifest entry for tensor '0.bias'"),
    (lambda d: d["weights"].update(ghost={"shape": [1], "dtype": "float32"}), "missing tensors ['ghost']"),
])
def test_tampered_json_is_refused(saved, change, fragment):
    edit_json(saved, change)
    message = load_error(saved)
    assert fragment in message and "model.json" in message


def test_newer_version_says_upgrade(saved):
    edit_json(saved, lambda d: d.update(format_version=7))
    assert "upgrade nnblocks" in load_error(saved)


@pytest.mark.parametrize("text, fragment", [
    ("[1, 2, 3]", "must hold a JSON object"),
    ('{"format": NaN}', "non-standard JSON number NaN"),
    ('{"format": "nnblocks-model", "format": "nnblocks-model"}', "key 'format' twice"),
    ("[" * 100_000 + "]" * 100_000, "cannot be read as JSON"),
])
def test_json_that_is_not_a_model_document_is_refused(saved, text, fragment):
    (saved / "model.json").write_text(text)
    assert fragment in load_error(saved)


def test_non_utf8_and_oversized_json_are_refused(saved):
    (saved / "model.json").write_bytes(b'{"format": "\xff\xfe"}')
    assert "cannot be read as JSON" in load_error(saved)
    with open(saved / "model.json", "wb") as handle:
        handle.truncate(model_files.MAX_JSON_BYTES + 1)  # sparse: no need to write 16 MB
    assert "over the 16777216-byte limit" in load_error(saved)


def test_hostile_strings_in_json_are_plain_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile = {"name": "__import__('os').system('touch PWNED')",
               "layer": {"py/object": "os.system", "py/reduce": [{"py/function": "os.system"}, ["touch PWNED"]]},
               "yaml": "!!python/object/apply:os.system ['touch PWNED']"}
    save_model_files(tmp_path / "m", {**CONFIG, **hostile}, make_weights(), {"hostile": hostile})
    config, _, metadata = load_model_files(tmp_path / "m")
    assert config["name"] == hostile["name"] and config["layer"] == hostile["layer"]
    assert metadata == {"hostile": hostile}
    assert not (tmp_path / "PWNED").exists()


# ---------------------------------------------------------------- checkpoints

def make_checkpoint(folder):
    optimizer_state = {"0.weight.exp_avg": np.full((2, 3), 0.1, np.float32), "step": np.array(7, np.int64)}
    training_state = {"epoch": 3, "step": 120, "learning_rate": 0.01, "history": {"loss": [0.9, 0.5, 0.3]}}
    save_checkpoint(folder, CONFIG, make_weights(), optimizer_state, training_state)
    return optimizer_state, training_state


def test_checkpoint_round_trip(tmp_path):
    optimizer_state, training_state = make_checkpoint(tmp_path / "ck")
    config, weights, loaded_optimizer, loaded_training = load_checkpoint(tmp_path / "ck" / "checkpoint.json")
    assert config == CONFIG and loaded_training == training_state
    np.testing.assert_array_equal(weights["0.weight"], make_weights()["0.weight"])
    assert loaded_optimizer["step"].dtype == np.int64 and int(loaded_optimizer["step"]) == 7
    np.testing.assert_array_equal(loaded_optimizer["0.weight.exp_avg"], optimizer_state["0.weight.exp_avg"])
    assert load_model_files(tmp_path / "ck")[0] == CONFIG  # a checkpoint is also a model folder


def test_checkpoint_detects_mixed_saves_and_missing_files(tmp_path):
    make_checkpoint(tmp_path / "ck")
    save_model_files(tmp_path / "ck", {"other": 1}, make_weights(seed=3))  # newer model, old checkpoint.json
    with pytest.raises(ModelFileError, match="model.json does not match checkpoint.json"):
        load_checkpoint(tmp_path / "ck")
    make_checkpoint(tmp_path / "ck")
    (tmp_path / "ck" / "optimizer.safetensors").write_bytes(b"\x00" * 4)
    with pytest.raises(ModelFileError, match="optimizer.safetensors is truncated"):
        load_checkpoint(tmp_path / "ck")
    (tmp_path / "ck" / "optimizer.safetensors").unlink()
    with pytest.raises(ModelFileError, match="has no optimizer.safetensors"):
        load_checkpoint(tmp_path / "ck")


def test_checkpoint_refuses_bad_state_before_writing(tmp_path):
    with pytest.raises(ParameterError, match="NaN"):
        save_checkpoint(tmp_path / "ck", CONFIG, make_weights(), {"m": np.array([np.nan])}, {"epoch": 1})
    with pytest.raises(ParameterError, match="not finite"):
        save_checkpoint(tmp_path / "ck", CONFIG, make_weights(), {}, {"history": {"loss": [math.inf]}})
    assert not (tmp_path / "ck").exists()


# ---------------------------------------------------------------- run folders

def test_history_csv_round_trip(tmp_path):
    history = {"loss": [0.9, 0.1 + 0.2, float("nan")], "val_loss": [1.0, 0.8, 0.7], "lr": [0.1, 0.1, 0.05]}
    write_history_csv(tmp_path / "history.csv", history)
    lines = (tmp_path / "history.csv").read_text().splitlines()
    assert lines[0] == "epoch,loss,val_loss,lr" and lines[1].startswith("1,0.9,")
    loaded = read_history_csv(tmp_path / "history.csv")
    assert list(loaded) == list(history) and loaded["loss"][1] == 0.1 + 0.2 and math.isnan(loaded["loss"][2])
    with pytest.raises(ParameterError, match="equal length"):
        write_history_csv(tmp_path / "history.csv", {"loss": [1.0], "val_loss": [1.0, 2.0]})
    with pytest.raises(ParameterError, match="'epoch'"):
        write_history_csv(tmp_path / "history.csv", {"epoch": [1]})
    (tmp_path / "bad.csv").write_text("epoch,loss\n1,abc\n")
    with pytest.raises(ModelFileError, match="line 2"):
        read_history_csv(tmp_path / "bad.csv")


def test_metrics_json_round_trip_and_checks(tmp_path):
    metrics = {"test": {"accuracy": 0.75}, "train": {"loss": np.float32(0.25), "accuracy": 1}}
    write_metrics_json(tmp_path / "metrics.json", metrics)
    loaded = read_metrics_json(tmp_path / "metrics.json")
    assert list(loaded) == ["train", "test"]  # fixed split order
    assert loaded == {"train": {"loss": 0.25, "accuracy": 1.0}, "test": {"accuracy": 0.75}}
    assert isinstance(loaded["train"]["accuracy"], float)
    with pytest.raises(ParameterError, match=r"metrics\['train'\]\['loss'\]"):
        write_metrics_json(tmp_path / "metrics.json", {"train": {"loss": float("nan")}})
    with pytest.raises(ParameterError, match="'validation'"):
        write_metrics_json(tmp_path / "metrics.json", {"valid": {"loss": 1.0}})
    assert read_metrics_json(tmp_path / "metrics.json") == loaded  # refused writes changed nothing
    (tmp_path / "metrics.json").write_text('{"train": {"loss": "low"}}')
    with pytest.raises(ModelFileError, match="finite number"):
        read_metrics_json(tmp_path / "metrics.json")
    assert temp_files(tmp_path) == []
