"""The playground's server through FastAPI's TestClient: HTTP, and the WebSocket protocol message by
message (docs/playground-protocol.md), bad messages included.

Every test talks to a real app (``create_app``) over a real WebSocket session; a few also look at
the session on the server (``app.state.sessions``) to check what the messages cannot show (live
L1/L2 rates). The exports are run: the nnblocks script and the PyTorch script in subprocesses, the
model zip through ``Sequential.load``. No browser is opened and nothing is timed here.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import struct
import subprocess
import sys
import time
import zipfile

import anyio
import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from nnblocks import Sequential, get_activation
from nnblocks.cli.main import app as cli_app
from nnblocks.web.playground import Trainer, create_app
from nnblocks.web.playground.data import read_table
from nnblocks.web.playground.grid import PlaneEvaluator, tanh_for_pictures
from nnblocks.web.playground.state import FEATURES, LIMITS

NEURON_CELLS = 20 * 20


@pytest.fixture(scope="module")
def app():
    return create_app(max_frames_per_second=500)


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as test_client:
        yield test_client


# --- helpers ------------------------------------------------------------------------------------
def send(ws, kind: str, **fields) -> None:
    ws.send_text(json.dumps({"type": kind, **fields}))


async def _receive_within(ws, seconds: float):
    with anyio.fail_after(seconds):
        return await ws._send_rx.receive()


def receive(ws, seconds: float = 30.0) -> dict:
    """The next message, or a failure after ``seconds`` (TestClient's own receive waits forever)."""
    if not hasattr(ws, "_send_rx"):   # another Starlette: no timeout, but the same message
        message = ws.receive()
    else:
        message = ws.portal.call(_receive_within, ws, seconds)
    if message["type"] == "websocket.close":
        raise AssertionError(f"the server closed the socket: {message}")
    if message.get("bytes") is not None:   # frames are binary
        return read_binary_frame(message["bytes"])
    decoded = json.loads(message["text"])
    assert decoded["type"] != "frame", "a frame came as text; frames are binary"
    return decoded


def read_binary_frame(data: bytes) -> dict:
    """A frame read as the protocol document says (and as the page does): the header's fields, nested
    weights and biases from ``parameters`` and ``layer_shapes``, the output map and one map per input
    and hidden unit (as raw float32 bytes, which compare with ==; ``floats`` reads them)."""
    (length,) = struct.unpack_from("<I", data)
    assert (4 + length) % 4 == 0, "the numbers must start on a 4-byte boundary"
    message = json.loads(data[4:4 + length])
    numbers = np.frombuffer(data, dtype="<f4", offset=4 + length)
    places = message.pop("arrays")

    def part(place) -> np.ndarray:
        start, count = place
        return numbers[start:start + count]

    spans = [places["parameters"], places["output"], places["inputs"], *places["hidden"]]
    assert sum(count for _, count in spans) == len(numbers), "the arrays must cover the numbers exactly"
    values, start = part(places["parameters"]), 0
    message["weights"], message["biases"] = [], []
    for inputs, units in message["layer_shapes"]:
        message["weights"].append(values[start:start + inputs * units].reshape(inputs, units).tolist())
        start += inputs * units
        message["biases"].append(values[start:start + units].tolist())
        start += units
    assert start == len(values), "parameters and layer_shapes disagree"
    cells = message["neuron_resolution"] ** 2

    def maps(place) -> list[bytes]:
        return [grid.tobytes() for grid in part(place).reshape(-1, cells)]
    message["output"] = part(places["output"]).tobytes()
    message["neurons"] = {"inputs": maps(places["inputs"]), "hidden": [maps(place) for place in places["hidden"]]}
    return message


def until(ws, kind: str, limit: int = 2000) -> tuple[dict, list[dict]]:
    """Read messages until one of type ``kind``; return it and everything read."""
    seen = []
    for _ in range(limit):
        message = receive(ws)
        seen.append(message)
        if message["type"] == kind:
            return message, seen
    raise AssertionError(f"no {kind!r} message in {limit}: {[m['type'] for m in seen][-20:]}")


def configure(ws, **state) -> dict:
    """configure, and the replies by type (errors as a list)."""
    send(ws, "configure", state=state)
    _, seen = until(ws, "frame")
    replies = {message["type"]: message for message in seen}
    replies["errors"] = [message for message in seen if message["type"] == "error"]
    return replies


def floats(data: bytes) -> np.ndarray:
    """A map of a frame (raw float32 bytes, as ``read_binary_frame`` gives them) as numbers."""
    return np.frombuffer(data, dtype="<f4")


def stop(ws) -> dict:
    """pause, then read until the state that says it stopped."""
    send(ws, "pause")
    while True:
        message, _ = until(ws, "state")
        if not message["state"]["playing"]:
            return message


# --- HTTP ---------------------------------------------------------------------------------------
def test_options_list_every_choice_and_the_limits(client):
    options = client.get("/api/options").json()
    assert [item["name"] for item in options["datasets"]] == ["circle", "xor", "gauss", "spiral", "spiral_classes",
                                                              "plane", "multi_gaussian"]
    assert options["features"] == list(FEATURES)
    assert {"sgd", "momentum", "rmsprop", "adam"} <= set(options["optimizers"])
    assert {"tanh", "relu", "sigmoid", "linear"} <= set(options["activations"])
    assert {item["name"] for item in options["losses"]} >= {"cross_entropy", "squared_error"}
    assert options["limits"]["max_layers"] >= 6 and options["limits"]["max_neurons"] >= 8
    assert options["defaults"]["hidden"] == [4, 2] and options["output_resolution"] == 100


def test_the_page_is_served_and_unknown_sessions_are_404(client):
    page = client.get("/")
    assert page.status_code in (200, 404)   # 404 only while the page's files are not written yet
    if page.status_code == 200:
        assert "<html" in page.text.lower()
    missing = client.get("/api/sessions/nope/model.zip")
    assert missing.status_code == 404 and "No open session" in missing.json()["detail"]


# --- configure and the frame -----------------------------------------------------------------------
def test_configure_replies_state_data_and_a_frame_of_the_documented_shape(client):
    with client.websocket_connect("/ws") as ws:
        replies = configure(ws, hide=["noise"], show_test=True)
        assert not replies["errors"]
        state = replies["state"]["state"]
        assert replies["state"]["session_id"]
        assert state["dataset"] == "circle" and state["hidden"] == [4, 2] and state["hide"] == ["noise"]
        assert state["input_names"] == ["x1", "x2"] and state["shape"] == [2, 4, 2, 1]
        assert state["playing"] is False and state["show_test"] is True
        data = replies["data"]
        assert len(data["train"]) == 250 and len(data["test"]) == 250 and data["extent"] == [-6, 6, -6, 6]
        assert {row[2] for row in data["train"]} == {0, 1}
        frame = replies["frame"]
        assert frame["epoch"] == 0 and frame["resolution"] == 100 and frame["output_channels"] == 1
        output = floats(frame["output"])
        assert output.shape == (100 * 100,) and 0 <= output.min() and output.max() <= 1   # P(class 1)
        assert [len(layer) for layer in frame["neurons"]["hidden"]] == [4, 2]
        assert len(frame["neurons"]["inputs"]) == 2
        assert all(floats(grid).shape == (NEURON_CELLS,) for layer in frame["neurons"]["hidden"] for grid in layer)
        assert [np.shape(weight) for weight in frame["weights"]] == [(2, 4), (4, 2), (2, 1)]
        assert [len(bias) for bias in frame["biases"]] == [4, 2, 1]
        assert set(frame["metrics"]) == {"train_accuracy", "test_accuracy", "test_roc_auc"}
        assert frame["train_loss"] > 0 and frame["test_loss"] > 0
        # The x1 map is x1 at the pixel centres: columns grow left to right, rows are constant.
        x1 = floats(frame["neurons"]["inputs"][0]).reshape(20, 20)
        assert np.allclose(x1[0], -6 + (np.arange(20) + 0.5) * 0.6, atol=1e-5) and np.allclose(x1[:, 3], x1[0, 3])


def test_output_map_has_row_zero_at_the_top():
    trainer = Trainer()
    rows = trainer.grid_rows().reshape(100, 100, 2)
    assert rows[0, 0, 1] > rows[-1, 0, 1] and rows[0, 0, 0] < rows[0, -1, 0]
    assert np.isclose(rows[0, 0, 0], -5.94) and np.isclose(rows[0, 0, 1], 5.94)


def test_feature_toggles_rebuild_the_network_and_live_settings_do_not(client, app):
    with client.websocket_connect("/ws") as ws:
        first = configure(ws)
        session = app.state.sessions[first["state"]["session_id"]]
        send(ws, "step")
        assert until(ws, "frame")[0]["epoch"] == 1
        live = configure(ws, learning_rate=0.1, regularization="l2", regularization_rate=0.01, batch_size=5,
                         optimizer="adam", epochs_per_frame=3, stop_epochs=100)
        assert live["frame"]["epoch"] == 1   # nothing was reset
        layers = session.trainer.model.layers
        assert all(layer.l2 == 0.01 and layer.l1 == 0 for layer in layers)
        assert session.trainer.model.optimizer.type_name == "adam"
        assert session.trainer.model.optimizer.learning_rate == 0.1
        live = configure(ws, regularization="l1")
        assert all(layer.l1 == 0.01 and layer.l2 == 0 for layer in session.trainer.model.layers)
        rebuilt = configure(ws, features=["x1^2", "x2^2", "x1"], hidden=[3])
        assert rebuilt["frame"]["epoch"] == 0
        assert rebuilt["state"]["state"]["input_names"] == ["x1", "x1^2", "x2^2"]   # the canonical order
        assert rebuilt["state"]["state"]["shape"] == [3, 3, 1]
        assert len(rebuilt["frame"]["neurons"]["inputs"]) == 3


# --- play, pause, step, reset, regenerate ------------------------------------------------------------
def test_play_streams_frames_until_pause_then_step_reset_and_regenerate(client):
    with client.websocket_connect("/ws") as ws:
        first = configure(ws, epochs_per_frame=2)["frame"]
        send(ws, "play")
        assert until(ws, "state")[0]["state"]["playing"] is True
        epochs = [until(ws, "frame")[0]["epoch"] for _ in range(3)]
        assert epochs == sorted(epochs) and epochs[0] >= 2 and all(epoch % 2 == 0 for epoch in epochs)
        paused = stop(ws)["state"]["epoch"]   # a pause ends the frame after its current epoch
        assert paused >= epochs[-1]
        send(ws, "step")
        stepped, seen = until(ws, "frame")
        assert stepped["epoch"] == paused + 2
        send(ws, "reset")
        state, seen = until(ws, "frame")
        assert state["epoch"] == 0 and [m["type"] for m in seen] == ["state", "frame"]
        assert state["weights"] == first["weights"]   # the seed's initial weights, as a shared link gives
        send(ws, "regenerate")
        frame, seen = until(ws, "frame")
        replies = {message["type"]: message for message in seen}
        assert replies["state"]["state"]["seed"] == 1 and frame["epoch"] == 0
        assert replies["data"]["train"] != configure(ws, seed=0)["data"]["train"]


def test_a_shared_state_reproduces_data_and_initial_weights(client):
    state = {"dataset": "xor", "noise": 20, "seed": 7, "hidden": [5, 3], "features": ["x1", "x2", "x1*x2"]}
    with client.websocket_connect("/ws") as one, client.websocket_connect("/ws") as two:
        first, second = configure(one, **state), configure(two, **state)
    assert first["data"]["train"] == second["data"]["train"]
    assert first["frame"]["weights"] == second["frame"]["weights"]
    assert first["state"]["session_id"] != second["state"]["session_id"]


def test_two_sessions_are_independent(client, app):
    with client.websocket_connect("/ws") as one, client.websocket_connect("/ws") as two:
        a = configure(one, dataset="xor", learning_rate=0.3)
        b = configure(two)
        send(one, "step")
        send(one, "step")
        until(one, "frame")
        assert until(one, "frame")[0]["epoch"] == 2
        send(two, "step")
        assert until(two, "frame")[0]["epoch"] == 1
        sessions = app.state.sessions
        one_trainer = sessions[a["state"]["session_id"]].trainer
        two_trainer = sessions[b["state"]["session_id"]].trainer
        assert one_trainer.state["dataset"] == "xor" and two_trainer.state["dataset"] == "circle"
        assert one_trainer.epoch == 2 and two_trainer.epoch == 1 and one_trainer.model is not two_trainer.model


def test_disconnect_while_playing_ends_the_session(client, app):
    with client.websocket_connect("/ws") as ws:
        session_id = configure(ws, epochs_per_frame=5)["state"]["session_id"]
        send(ws, "play")
        until(ws, "frame")
    deadline = time.monotonic() + 10
    while session_id in app.state.sessions and time.monotonic() < deadline:
        time.sleep(0.02)
    assert session_id not in app.state.sessions


# --- stop conditions and divergence ------------------------------------------------------------------
def test_stop_after_a_number_of_epochs(client):
    with client.websocket_connect("/ws") as ws:
        configure(ws, stop_epochs=3, epochs_per_frame=2)
        send(ws, "play")
        stopped, seen = until(ws, "stopped")
        assert stopped["reason"] == "epochs reached" and stopped["epoch"] == 3
        assert [m["epoch"] for m in seen if m["type"] == "frame"] == [2, 3]
        assert until(ws, "state")[0]["state"]["playing"] is False
        send(ws, "play")   # still at the stop: it says so again instead of training on
        assert until(ws, "stopped")[0]["epoch"] == 3


def test_stop_at_a_target_loss(client):
    with client.websocket_connect("/ws") as ws:
        configure(ws, stop_loss=5.0)
        send(ws, "play")
        stopped, seen = until(ws, "stopped")
        assert stopped["reason"] == "target loss reached" and "5" in stopped["message"]
        assert [m["epoch"] for m in seen if m["type"] == "frame"] == [1]


def test_a_huge_learning_rate_gives_a_diverged_message_with_a_lower_rate(client):
    with client.websocket_connect("/ws") as ws:
        configure(ws, dataset="plane", hidden=[], learning_rate=1000)
        send(ws, "play")
        diverged, seen = until(ws, "diverged")
        assert diverged["learning_rate"] == 1000 and diverged["suggested_learning_rate"] == 100
        assert "learning rate" in diverged["message"] and ("NaN" in diverged["message"]
                                                            or "infinite" in diverged["message"])
        frames_seen = [m for m in seen if m["type"] == "frame"]
        assert frames_seen and frames_seen[-1]["train_loss"] is None   # JSON has no NaN: null
        assert until(ws, "state")[0]["state"]["playing"] is False
        send(ws, "step")
        assert until(ws, "diverged")[0]["suggested_learning_rate"] == 100
        healed = configure(ws, learning_rate=diverged["suggested_learning_rate"] / 1000)
        send(ws, "reset")
        frame = until(ws, "frame")[0]
        assert frame["epoch"] == 0 and np.isfinite(frame["train_loss"]) and healed["state"]["state"]["learning_rate"] \
            == 0.1


# --- edits --------------------------------------------------------------------------------------------
def test_weight_and_bias_edits_change_the_maps(client):
    with client.websocket_connect("/ws") as ws:
        before = configure(ws)["frame"]
        send(ws, "set_weight", layer=0, source=1, target=2, value=0.5)
        after = until(ws, "frame")[0]
        assert after["weights"][0][1][2] == 0.5
        send(ws, "set_bias", layer=2, unit=0, value=-3.0)   # the output bias
        biased = until(ws, "frame")[0]
        assert biased["biases"][2] == [-3.0]
        assert floats(biased["output"]).mean() < floats(after["output"]).mean() < 1
        assert biased["neurons"]["hidden"] == after["neurons"]["hidden"] != before["neurons"]["hidden"]


def test_points_are_drawn_and_erased(client):
    with client.websocket_connect("/ws") as ws:
        data = configure(ws)["data"]
        send(ws, "points", action="add", x=5.5, y=5.5, label=1)
        drawn = until(ws, "data")[0]
        assert len(drawn["train"]) == len(data["train"]) + 1 and drawn["train"][-1] == [5.5, 5.5, 1]
        assert drawn["edited"] is True
        until(ws, "frame")
        send(ws, "points", action="erase", x=0.0, y=0.0, radius=2.0)
        erased = until(ws, "data")[0]
        rows = np.array(erased["train"] + erased["test"])
        assert len(rows) < len(drawn["train"]) + len(drawn["test"])
        assert np.hypot(rows[:, 0], rows[:, 1]).min() > 2.0
        frame = until(ws, "frame")[0]
        assert frame["train_loss"] > 0


def test_csv_upload_uses_the_chosen_columns(client):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 3)) * [1, 10, 100]
    label = np.where(x[:, 0] + x[:, 1] / 10 > 0, "yes", "no")
    text = "width,height,depth,answer\n" + "\n".join(f"{a:.4f},{b:.4f},{c:.4f},{d}" for (a, b, c), d in zip(x, label))
    with client.websocket_connect("/ws") as ws:
        configure(ws)
        send(ws, "upload_csv", text=text, features=["width", "height", "depth"], target="answer")
        frame, seen = until(ws, "frame")
        replies = {message["type"]: message for message in seen}
        state = replies["state"]["state"]
        assert state["dataset"] == "csv" and state["problem"] == "classification"
        assert state["input_names"] == ["x1", "x2", "x3"] and state["csv"]["target"] == "answer"
        assert replies["data"]["column_names"] == ["width", "height", "depth"]
        assert replies["data"]["class_names"] == ["no", "yes"]
        assert len(replies["data"]["train"]) + len(replies["data"]["test"]) == 120
        assert replies["data"]["extent"][3] > 10   # the plane follows the data (height is ~10x width)
        replies = configure(ws, features=["x1", "x2", "x1*x2"], problem="regression")
        assert replies["errors"] and replies["errors"][0]["field"] == "problem"   # 'yes'/'no' is not a value
        assert replies["state"]["state"]["input_names"] == ["x1", "x2", "x1*x2"]
        send(ws, "step")
        assert until(ws, "frame")[0]["epoch"] == 1
        numeric = "a,b,value\n" + "\n".join(f"{i % 7},{i % 5},{(i % 7) * 0.37 + (i % 5) * 0.11}" for i in range(60))
        send(ws, "upload_csv", text=numeric, features=["a", "b"], target="value")
        state = until(ws, "state")[0]["state"]
        assert state["problem"] == "regression" and state["loss"] == "squared_error"
        until(ws, "frame")
        for fields, field in [({"features": ["width"], "target": "answer"}, "features"),
                              ({"features": ["width", "height"], "target": "width"}, "target"),
                              ({"features": ["width", "nope"], "target": "answer"}, None),
                              ({"text": "", "features": ["a", "b"], "target": "c"}, "text")]:
            send(ws, "upload_csv", **{"text": text, **fields})
            error = until(ws, "error")[0]
            assert error["for"] == "upload_csv" and error.get("field") == field, error
        send(ws, "step")   # the session goes on with the table it had
        assert until(ws, "frame")[0]["epoch"] == 1


def test_the_slice_through_extra_columns_moves_the_maps_not_the_weights(client):
    rows = "\n".join(f"{a},{b},{c},{int(a + b + 3 * c > 0)}" for a, b, c in np.random.default_rng(3).normal(size=(80, 3)))
    with client.websocket_connect("/ws") as ws:
        send(ws, "upload_csv", text="width,height,depth,answer\n" + rows, features=["width", "height", "depth"],
             target="answer")
        first, seen = until(ws, "frame")
        control = {m["type"]: m for m in seen}["data"]["slice"]
        assert [(c["column"], c["name"], c["held"]) for c in control] == [(2, "depth", False)]
        assert control[0]["low"] < control[0]["mean"] == control[0]["value"] < control[0]["high"]
        send(ws, "slice", values=[control[0]["high"]])
        data, seen = until(ws, "data")
        moved = until(ws, "frame")[0]
        assert data["slice"][0]["value"] == control[0]["high"] and data["slice"][0]["held"]
        assert moved["weights"] == first["weights"] and moved["epoch"] == first["epoch"]
        assert not np.allclose(floats(moved["output"]), floats(first["output"]))
        depth_map = floats(moved["neurons"]["inputs"][2])
        assert np.allclose(depth_map, depth_map[0]) and not np.isclose(depth_map[0], floats(first["neurons"]["inputs"][2])[0])
        send(ws, "slice", values=[None])   # back to the mean
        assert until(ws, "data")[0]["slice"][0]["value"] == control[0]["mean"]
        for values, field in (([1e9], "values[0]"), ([1, 2], "values"), ("deep", "values"), ([True], "values[0]")):
            send(ws, "slice", values=values)
            error = until(ws, "error")[0]
            assert error["for"] == "slice" and error["field"] == field, (values, error)


def test_the_sliced_map_is_the_models_prediction_with_the_held_value():
    rows = "\n".join(f"{a},{b},{c},{int(a - b + 3 * c > 0)}" for a, b, c in np.random.default_rng(4).normal(size=(60, 3)))
    trainer = Trainer()
    trainer.use_table(read_table("a,b,c,y\n" + rows, ["a", "b", "c"], "y"))
    trainer.train_epochs(20)
    trainer.set_slice([1.5])
    x1 = np.linspace(*trainer.points.extent[:2], 101)[:-1] + (trainer.points.extent[1] - trainer.points.extent[0]) / 200
    top = trainer.points.extent[3] - (trainer.points.extent[3] - trainer.points.extent[2]) / 200   # row 0: largest x2
    expected = trainer.model.predict_proba(np.column_stack([x1, np.full(100, top), np.full(100, 1.5)]))[:, -1]
    assert np.allclose(trainer.frame()["output"][0, :100], expected, atol=1e-5)


def test_text_features_in_a_csv_are_refused_by_name(client):
    with client.websocket_connect("/ws") as ws:
        send(ws, "upload_csv", text="a,b,c\n1,x,0\n2,y,1\n3,x,0\n4,y,1\n5,x,1\n", features=["a", "b"], target="c")
        error = until(ws, "error")[0]
        assert error["field"] == "features" and "'b'" in error["message"]


# --- explain and exports ---------------------------------------------------------------------------------
def test_explain_a_clicked_training_point(client):
    with client.websocket_connect("/ws") as ws:
        data = configure(ws)["data"]
        x, y, label = data["train"][10]
        send(ws, "explain", x=x + 0.01, y=y)
        explained = until(ws, "explain")[0]
        assert explained["snapped"] is True and explained["point"] == pytest.approx([x, y], abs=1e-3)
        assert explained["label"] == label
        assert [layer["name"] for layer in explained["layers"]] == ["dense", "dense_1", "dense_2"]
        assert len(explained["chains"]) == 3 and "∂L/∂W" in explained["chains"][0]
        assert explained["loss"]["value"] > 0 and "markdown" in explained
        send(ws, "explain", x=-5.9, y=5.9)   # empty corner: the spot itself, the nearest point's label
        corner = until(ws, "explain")[0]
        assert corner["snapped"] is False and corner["point"] == [-5.9, 5.9]


def test_python_export_runs_and_trains(client, tmp_path):
    with client.websocket_connect("/ws") as ws:
        configure(ws, dataset="xor", hidden=[4], regularization="l2", regularization_rate=0.001, epochs_per_frame=3)
        send(ws, "step")
        until(ws, "frame")
        send(ws, "export", format="python")
        generated = until(ws, "export")[0]
        send(ws, "points", action="add", x=1.0, y=1.0, label=0)   # edited data travels inside the script
        until(ws, "frame")
        send(ws, "export", format="python")
        embedded = until(ws, "export")[0]
    assert generated["filename"].endswith(".py") and "from nnblocks.data import xor" in generated["content"]
    assert "TABLE = (" in embedded["content"]
    for index, export in enumerate([generated, embedded]):
        script = tmp_path / f"export_{index}.py"
        script.write_text(export["content"].replace("START_FROM_PLAYGROUND_WEIGHTS = False",
                                                    f"START_FROM_PLAYGROUND_WEIGHTS = {bool(index)}"))
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
        assert result.returncode == 0, result.stderr
        assert "test:" in result.stdout and "accuracy" in result.stdout


def test_torch_export_runs_and_trains(client, tmp_path):
    pytest.importorskip("torch")
    with client.websocket_connect("/ws") as ws:
        configure(ws, dataset="spiral_classes", classes=3, hidden=[6], optimizer="adam", learning_rate=0.01,
                  regularization="l1", regularization_rate=0.0001)
        send(ws, "step")
        until(ws, "frame")
        send(ws, "export", format="torch")
        export = until(ws, "export")[0]
    assert "nn.CrossEntropyLoss()" in export["content"] and "torch.optim.Adam(" in export["content"]
    script = tmp_path / export["filename"]
    script.write_text(export["content"])
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "test accuracy:" in result.stdout


def test_model_export_and_download_load_with_sequential(client, tmp_path):
    with client.websocket_connect("/ws") as ws:
        session_id = configure(ws, dataset="gauss")["state"]["session_id"]
        send(ws, "step")
        frame = until(ws, "frame")[0]
        send(ws, "export", format="model")
        export = until(ws, "export")[0]
        download = client.get(f"/api/sessions/{session_id}/model.zip")
    assert export["encoding"] == "base64" and download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    for index, content in enumerate([base64.b64decode(export["content"]), download.content]):
        folder = tmp_path / f"model_{index}"
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            assert sorted(archive.namelist()) == ["model.json", "model.safetensors"]
            archive.extractall(folder)
        model = Sequential.load(folder)
        weights = [model.layers[i].params["weight"] for i in range(3)]
        assert [w.shape for w in weights] == [(2, 4), (4, 2), (2, 1)]
        assert np.array_equal(weights[0], frame["weights"][0])   # frames carry float32 exactly
        assert set(model.predict(np.array([[2.0, 2.0], [-2.0, -2.0]]))) <= {0, 1}


# --- bad messages ------------------------------------------------------------------------------------------
BAD_MESSAGES = [
    ("this is not JSON", None, "message"),
    ("[1, 2, 3]", None, "message"),
    ('{"no": "type"}', None, "type"),
    ('{"type": "launch"}', "launch", "type"),
    ('{"type": NaN}', None, "type"),
    ("[" * 100_000 + "]" * 100_000, None, "message"),
    ('{"type": "configure"}', "configure", "state"),
    ('{"type": "configure", "state": [1]}', "configure", "state"),
    ('{"type": "configure", "state": {"learning_rate": "fast"}}', "configure", "learning_rate"),
    ('{"type": "configure", "state": {"hidden": [4, 99]}}', "configure", "hidden[1]"),
    ('{"type": "configure", "state": {"hidden": [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]}}', "configure", "hidden"),
    ('{"type": "configure", "state": {"features": ["x3"]}}', "configure", "features"),
    ('{"type": "configure", "state": {"features": []}}', "configure", "features"),
    ('{"type": "configure", "state": {"dataset": "mnist"}}', "configure", "dataset"),
    ('{"type": "configure", "state": {"dataset": "csv"}}', "configure", "dataset"),
    ('{"type": "configure", "state": {"noise": 80}}', "configure", "noise"),
    ('{"type": "configure", "state": {"batch_size": 0}}', "configure", "batch_size"),
    ('{"type": "configure", "state": {"colour": "red"}}', "configure", "colour"),
    ('{"type": "configure", "state": {"dataset": "circle", "problem": "regression"}}', "configure", "problem"),
    ('{"type": "configure", "state": {"loss": "huber"}}', "configure", "loss"),
    ('{"type": "configure", "state": {"stop_epochs": -1}}', "configure", "stop_epochs"),
    ('{"type": "set_weight", "layer": 0, "source": 0, "target": 0}', "set_weight", "value"),
    ('{"type": "set_weight", "layer": 0, "source": 0, "target": 9, "value": 1}', "set_weight", "target"),
    ('{"type": "set_weight", "layer": 7, "source": 0, "target": 0, "value": 1}', "set_weight", "layer"),
    ('{"type": "set_weight", "layer": "a", "source": 0, "target": 0, "value": 1}', "set_weight", "layer"),
    ('{"type": "set_bias", "layer": 0, "unit": 0, "value": 1e300}', "set_bias", "value"),
    ('{"type": "set_bias", "layer": 0, "unit": 5, "value": 1}', "set_bias", "unit"),
    ('{"type": "points", "action": "paint", "x": 0, "y": 0}', "points", "action"),
    ('{"type": "points", "action": "add", "x": 0, "y": 0, "label": 7}', "points", "label"),
    ('{"type": "points", "action": "add", "x": "left", "y": 0, "label": 1}', "points", "x"),
    ('{"type": "points", "action": "erase", "x": 0, "y": 0, "radius": -1}', "points", "radius"),
    ('{"type": "explain", "x": 0}', "explain", "y"),
    ('{"type": "export", "format": "onnx"}', "export", "format"),
    ('{"type": "upload_csv", "text": 5, "features": ["a", "b"], "target": "c"}', "upload_csv", "text"),
]


def test_bad_messages_get_an_error_frame_naming_the_field_and_the_session_goes_on(client):
    with client.websocket_connect("/ws") as ws:
        configure(ws)
        for text, kind, field in BAD_MESSAGES:
            ws.send_text(text)
            error = until(ws, "error")[0]
            assert error["for"] == kind and error["field"] == field, (text, error)
            assert error["message"] and "Traceback" not in error["message"]
            if kind == "configure" and field != "state":
                until(ws, "frame")   # a refused field still gets the truth back: state, data, frame
        ws.send_bytes(b"\x00\x01")
        assert until(ws, "error")[0]["field"] == "message"
        send(ws, "step")
        frame = until(ws, "frame")[0]
        assert frame["epoch"] == 1


def test_a_partly_bad_configure_applies_the_good_fields():
    trainer = Trainer()
    errors = trainer.configure({"learning_rate": 0.1, "noise": -5, "hidden": [3, 3, 3]})
    assert [error.field for error in errors] == ["noise"]
    assert trainer.state["learning_rate"] == 0.1 and trainer.state["hidden"] == [3, 3, 3]
    assert trainer.state["noise"] == 0


# --- problems beyond two classes ------------------------------------------------------------------------------
def test_multiclass_regression_and_squared_error_outputs(client):
    with client.websocket_connect("/ws") as ws:
        frame = configure(ws, dataset="spiral_classes", classes=4)["frame"]
        assert frame["output_channels"] == 4 and np.shape(frame["weights"][-1]) == (2, 4)
        probabilities = floats(frame["output"]).reshape(4, 100 * 100)
        assert np.allclose(probabilities.sum(axis=0), 1, atol=1e-5)
        replies = configure(ws, problem="regression")   # TF Playground: the problem type picks the data set
        assert replies["state"]["state"]["dataset"] == "plane" and replies["state"]["state"]["loss"] == "squared_error"
        assert replies["frame"]["output_channels"] == 1 and "test_mae" in replies["frame"]["metrics"]
        assert len(replies["data"]["train"]) == 600   # TF Playground's 1200 points to regress, half for training
        replies = configure(ws, dataset="multi_gaussian", loss="huber")
        assert replies["state"]["state"]["loss"] == "huber" and not replies["errors"]
        replies = configure(ws, dataset="xor", loss="squared_error", hidden=[4])
        output = floats(replies["frame"]["output"])
        assert replies["state"]["state"]["loss"] == "squared_error" and 0 <= output.min() and output.max() <= 1
        assert len(replies["frame"]["weights"]) == 2


def test_the_maps_forward_pass_equals_layer_outputs():
    trainer = Trainer()
    trainer.configure({"hidden": [5, 4, 3], "activation": "elu", "features": ["x1", "x2", "sin(x1)"]})
    trainer.train_epochs(2)
    names = [layer.name for layer in trainer.model.layers]
    features = trainer.model.inputs.transform(trainer.grid_rows()).astype(np.float32)
    for activation in ("elu", "relu", "sigmoid", "tanh", "softplus"):
        for layer in trainer.model.layers[:-1]:
            layer.activation = get_activation(activation)
        expected = trainer.model.layer_outputs(trainer.grid_rows())
        layers = trainer.model.layers
        evaluator = PlaneEvaluator(features, np.float32)   # no picture: every row exact
        pictures, outputs = evaluator.run(trainer.activations(), evaluator.matrices(layers))
        assert all(values.shape[1] == 0 for values in pictures) and not any(evaluator.shifted)
        for name, values in zip(names, outputs):
            assert np.allclose(values.T, expected[name], atol=2e-5), (activation, name)


def test_the_pictures_tanh_is_within_2e_7_of_numpy_and_the_data_rows_are_exact():
    z = np.concatenate([np.linspace(-12, 12, 200_001), [0.0, -0.0, 1e-30, -1e-30, 44.0, -44.0, 90.0, -90.0, 1e30,
                                                        -1e30, np.inf, -np.inf]]).astype(np.float32)
    fast = z.copy()
    tanh_for_pictures(fast)
    assert np.max(np.abs(fast.astype(np.float64) - np.tanh(z.astype(np.float64)))) <= 2e-7
    assert fast[-2] == 1 and fast[-1] == -1 and np.all(np.abs(fast) <= 1)
    nan = np.array([np.nan], np.float32)
    tanh_for_pictures(nan)
    assert np.isnan(nan[0])
    # The rows after exact_from (the training and test points) go through np.tanh itself: equal bit for bit.
    trainer = Trainer()
    trainer.configure({"hidden": [6, 5], "activation": "tanh"})
    trainer.train_epochs(3)
    grid = trainer.model.inputs.transform(trainer.grid_rows()).astype(np.float32)
    features = np.vstack([grid, trainer.f_train])
    expected = trainer.model.layer_outputs(trainer.grid_rows())
    evaluator = PlaneEvaluator(features, np.float32, exact_from=len(grid))
    pictures, exact = evaluator.run(trainer.activations(), evaluator.matrices(trainer.model.layers))
    # The hidden tanh layers' pictures hold tanh z - 1 (the "1 +" folded into the next layer's bias column).
    assert evaluator.shifted == [True, True, False]
    previous = evaluator.exact_inputs
    for position, layer in enumerate(trainer.model.layers):
        values = exact[position]
        if layer is not trainer.model.layers[-1]:
            assert np.array_equal(values, np.tanh(evaluator.matrices([layer])[0] @ previous))
        picture = pictures[position] + (1.0 if evaluator.shifted[position] else 0.0)
        assert np.allclose(picture.T, expected[layer.name], atol=1e-5)
        previous = np.vstack([values, np.ones((1, values.shape[1]), np.float32)])
    # What a frame shows, from the same pass: the thumbnails are the activations themselves at their pixels.
    maps = evaluator.draw(trainer.activations(), evaluator.matrices(trainer.model.layers), "sigmoid")
    for layer, pixels in zip(trainer.model.layers[:-1], maps.hidden):
        on_the_grid = expected[layer.name].T.reshape(-1, 100, 100)[:, 2::5, 2::5]
        assert np.allclose(pixels, on_the_grid, atol=1e-5) and np.abs(pixels).max() <= 1
    scores = expected[trainer.model.layers[-1].name][:, 0].astype(np.float64)
    assert np.allclose(maps.shown[0], 1 / (1 + np.exp(-scores)), atol=1e-5)
    assert np.array_equal(maps.scores, exact[-1])


def test_frame_metrics_equal_scikit_learn_on_the_same_points():
    from sklearn.metrics import accuracy_score, mean_absolute_error, r2_score, roc_auc_score

    for state in ({"dataset": "xor", "hidden": [4]}, {"dataset": "spiral_classes", "classes": 3, "hidden": [6]},
                  {"dataset": "plane", "hidden": [3]}):
        trainer = Trainer()
        trainer.configure(state)
        trainer.train_epochs(3)
        metrics = trainer.frame()["metrics"]
        scores = trainer.model.forward(trainer.f_test)
        if state["dataset"] == "plane":
            assert np.isclose(metrics["test_mae"], mean_absolute_error(trainer.y_test, scores[:, 0]), rtol=1e-5)
            assert np.isclose(metrics["test_r2"], r2_score(trainer.y_test, scores[:, 0]), rtol=1e-4, atol=1e-6)
            continue
        predicted = scores.argmax(axis=1) if scores.shape[1] > 1 else (scores[:, 0] > 0).astype(int)
        assert metrics["test_accuracy"] == accuracy_score(trainer.y_test, predicted), state
        if scores.shape[1] == 1:
            assert np.isclose(metrics["test_roc_auc"], roc_auc_score(trainer.y_test, scores[:, 0]), rtol=1e-6)
        else:
            assert "test_roc_auc" not in metrics


def test_a_new_problem_type_starts_from_its_own_loss_and_a_csv_link_explains_itself(client):
    with client.websocket_connect("/ws") as ws:
        replies = configure(ws, problem="regression")
        assert replies["state"]["state"]["loss"] == "squared_error"
        replies = configure(ws, problem="classification")   # not squared error carried over from regression
        assert replies["state"]["state"]["loss"] == "cross_entropy" and replies["state"]["state"]["dataset"] == "circle"
        replies = configure(ws, problem="regression", loss="huber")   # asked for in the same message: kept
        assert replies["state"]["state"]["loss"] == "huber"
        replies = configure(ws, dataset="csv", problem="classification", loss="cross_entropy")   # a shared CSV link
        error = replies["errors"][0]
        assert error["field"] == "dataset" and "upload it again" in error["message"]
        assert replies["state"]["state"]["dataset"] == "circle" and replies["state"]["state"]["loss"] == "cross_entropy"


def test_a_wildcard_bind_prints_an_address_a_browser_can_open():
    from nnblocks.web.playground.app import url_of

    with socket.socket() as listener:
        listener.bind(("0.0.0.0", 0))
        assert url_of(listener) == f"http://127.0.0.1:{listener.getsockname()[1]}/"


# --- the command ----------------------------------------------------------------------------------------------------
def test_the_command_is_registered_and_a_taken_port_is_a_short_error():
    runner = CliRunner()
    result = runner.invoke(cli_app, ["playground", "--help"])
    assert result.exit_code == 0 and "--no-browser" in result.output and "127.0.0.1" in result.output
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        result = runner.invoke(cli_app, ["playground", "--port", str(taken.getsockname()[1])])
    finally:
        taken.close()
    assert result.exit_code == 2 and "Cannot listen" in result.output and "Traceback" not in result.output


def test_limits_are_the_documented_ones():
    assert LIMITS["max_layers"] == 8 and LIMITS["max_neurons"] == 16 and LIMITS["max_classes"] == 8
