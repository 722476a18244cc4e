"""The playground's frame process: a second process draws the maps while the session trains.

Checked: its maps are the in-process maps bit for bit (one BLAS thread, as the server runs);
a playing session with it streams frames that end on the real state at a pause, a stop and a
divergence; a worker that dies leaves the session drawing its own frames; the worker ends with
the session; the byte messages refuse what does not add up.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from fastapi.testclient import TestClient
from threadpoolctl import threadpool_limits

from nnblocks.web.playground import Trainer, create_app
from nnblocks.web.playground.frame_process import FrameProcess, pack, unpack
from test_playground_server import configure, send, until


def ready(process: FrameProcess, seconds: float = 60.0) -> FrameProcess:
    began = time.monotonic()
    while not process.usable():
        assert time.monotonic() - began < seconds, "the frame process did not start"
        time.sleep(0.02)
    return process


def test_the_frame_process_draws_the_in_process_maps_bit_for_bit():
    with threadpool_limits(limits=1, user_api="blas"):
        trainer = Trainer()
        trainer.configure({"dataset": "spiral", "hidden": [8, 6], "activation": "tanh", "features": ["x1", "x2", "sin(x1)"]})
        trainer.train_epochs(3)
        process = ready(FrameProcess())
        try:
            for change in ({}, {"activation": "relu"}, {"dataset": "spiral_classes", "classes": 3}):
                trainer.configure(change)   # new points or a new network: the process loads them again
                trainer.train_epochs(1)
                snapshot = trainer.snapshot()
                process.draw(trainer, snapshot)
                drawn = process.receive()
                here = trainer.plane.draw(trainer.activations(), snapshot.matrices, trainer.design.shown)
                for name in ("scores", "shown", "inputs"):
                    assert np.array_equal(getattr(drawn, name), getattr(here, name)), (change, name)
                assert all(np.array_equal(a, b) for a, b in zip(drawn.hidden, here.hidden, strict=True)), change
        finally:
            process.close()
        assert not process.process.is_alive()


@pytest.mark.parametrize("frame_process", [False, True], ids=["in turn", "frame process"])
def test_the_stream_ends_on_the_real_state(frame_process):
    """With a frame process the frames run one frame behind; pausing, a stop and a divergence must still
    show where training really got to."""
    app = create_app(max_frames_per_second=500, frame_process=frame_process)
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        session_id = configure(ws, hidden=[8, 8], epochs_per_frame=2)["state"]["session_id"]
        session = app.state.sessions[session_id]
        trainer = session.trainer
        send(ws, "play")
        epochs = [until(ws, "frame")[0]["epoch"] for _ in range(3)]
        if frame_process:   # frames keep coming (drawn here) while the worker starts; then it draws them
            ready(session.frame_process)
            deadline = time.monotonic() + 30
            while session.frame_process.loaded is None:   # frames sent before it was ready are still queued
                assert time.monotonic() < deadline, "the frame process was never used"
                epochs.append(until(ws, "frame")[0]["epoch"])
            epochs += [until(ws, "frame")[0]["epoch"] for _ in range(4)]
            assert not session.frame_process.broken
        assert epochs == sorted(epochs) and epochs[0] == 2
        send(ws, "pause")
        seen = []
        while True:
            message, more = until(ws, "state")
            seen += more
            if not message["state"]["playing"]:
                break
        assert [m for m in seen if m["type"] == "frame"][-1]["epoch"] == trainer.epoch == message["state"]["epoch"]
        configure(ws, stop_epochs=trainer.epoch + 6, epochs_per_frame=2)
        send(ws, "play")
        stopped, seen = until(ws, "stopped")
        assert [m for m in seen if m["type"] == "frame"][-1]["epoch"] == stopped["epoch"] == trainer.epoch
        configure(ws, dataset="plane", hidden=[8, 8], learning_rate=1000, stop_epochs=None)
        send(ws, "play")
        diverged, seen = until(ws, "diverged")
        assert [m for m in seen if m["type"] == "frame"][-1]["train_loss"] is None
        worker = session.frame_process
    if frame_process:   # the session ended with the socket: so did its worker
        deadline = time.monotonic() + 10
        while worker.process.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not worker.process.is_alive()


def test_a_worker_that_dies_leaves_the_session_drawing_its_own_frames():
    app = create_app(max_frames_per_second=500, frame_process=True)
    with TestClient(app) as client, client.websocket_connect("/ws") as ws:
        session_id = configure(ws, hidden=[8, 8], epochs_per_frame=1)["state"]["session_id"]
        session = app.state.sessions[session_id]
        send(ws, "play")
        until(ws, "frame")
        ready(session.frame_process)
        until(ws, "frame")
        session.frame_process.process.kill()
        deadline = time.monotonic() + 30
        while not session.frame_process.broken:   # noticed at the next frame it asks for
            assert time.monotonic() < deadline, "the dead worker was not noticed"
            until(ws, "frame")
        epochs = [until(ws, "frame")[0]["epoch"] for _ in range(8)]   # drawn here from now on
        assert epochs == sorted(epochs) and epochs[-1] > epochs[0]
        send(ws, "pause")


def test_two_threads_asking_whether_it_is_ready_take_its_ready_once():
    """The session's thread and a watcher (as the tests above) ask at once: one read of "ready", and the
    pipe left for the maps (a second read used to wait on the pipe for ever, or take the maps' reply)."""
    import threading

    trainer = Trainer()
    trainer.configure({"dataset": "spiral", "hidden": [4]})
    process = FrameProcess()
    try:
        answers = []

        def ask():
            deadline = time.monotonic() + 60
            while not process.usable() and time.monotonic() < deadline:
                pass   # no sleep: the two threads ask as often as they can
            answers.append(process.usable())

        threads = [threading.Thread(target=ask, daemon=True) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert not any(thread.is_alive() for thread in threads), "a thread waits on the pipe"
        assert answers == [True, True] and not process.broken
        snapshot = trainer.snapshot()
        process.draw(trainer, snapshot)
        drawn = process.receive()   # the maps came back on the pipe, to this thread
        with threadpool_limits(limits=1, user_api="blas"):   # as the worker: the same sums, bit for bit
            here = trainer.plane.draw(trainer.activations(), snapshot.matrices, trainer.design.shown)
        assert np.array_equal(drawn.scores, here.scores)
    finally:
        process.close()


def test_messages_are_bytes_that_must_add_up():
    arrays = [np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((4,), np.float32)]
    header, back = unpack(pack({"kind": "draw", "shown": "sigmoid"}, arrays, np.float32))
    assert header["kind"] == "draw" and header["shapes"] == [[2, 3], [4]]
    assert all(np.array_equal(a, b) for a, b in zip(arrays, back, strict=True))
    message = pack({"kind": "load"}, arrays, np.float32)
    with pytest.raises(ValueError, match="do not fill"):
        unpack(message + b"\0\0\0\0")
    with pytest.raises(ValueError, match="dtype"):
        unpack(message.replace(b'"float32"', b'"int64"'))
