"""One training session per WebSocket: read the page's messages, train, stream frames back.

Every message is JSON with a ``"type"`` (docs/playground-protocol.md). A message that cannot
be read, has an unknown type or a bad field gets an ``error`` frame naming what was wrong;
the session goes on. Nothing a page sends can end the session except closing the socket.

Concurrency, in four rules:

1. The ``Trainer`` (data, network, optimiser) is touched only inside worker threads, and
   only while holding ``self.lock`` (a ``threading.Lock``), so a training step and a weight
   edit never interleave, and the event loop never waits on NumPy.
2. Messages are handled one at a time, in order, by ``run``'s receive loop.
3. Playing is an asyncio task (``_stream``) that runs one frame's epochs in a thread,
   sends the frame, then yields (at most ``max_frames_per_second``). ``pause`` clears
   ``playing`` and sets ``trainer.halt``, so even a frame of many epochs ends after its
   current epoch; the task then finishes by itself. On disconnect the same happens and the
   task is awaited, so nothing of the session outlives it by more than one epoch.
4. With ``frame_process``, the pipe to the session's FrameProcess carries draws only in
   ``playing.advance``, under the same lock (before that, the event loop only polls it for ``ready``); the
   process ends with the session — a thread still in ``advance`` then finds the pipe closed and
   draws its last frame itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import Any

from nnblocks.errors import NNBlocksError
from nnblocks.web.playground import frames, playing
from nnblocks.web.playground.data import check_plane_number, read_table
from nnblocks.web.playground.explain import explain_point
from nnblocks.web.playground.frame_process import FrameProcess
from nnblocks.web.playground.exports import export, model_zip
from nnblocks.web.playground.state import (CSV_DATASET, DATA_FIELDS, DATASETS, NETWORK_FIELDS, FieldError, bad,
                                           describe, read_edit_value, read_index)
from nnblocks.web.playground.trainer import Trainer

LOG = logging.getLogger("nnblocks.playground")
REBUILDING = DATA_FIELDS | NETWORK_FIELDS
# Drawing a frame in the second process pays when the maps are a good part of a step: measured, it
# wins for 6 layers of 8 (48 hidden units) and loses for TF Playground's 4-2 (6), where the pipe's
# round trip costs more than the maps (bench_playground.py).
FRAME_PROCESS_MIN_UNITS = 16


class Session:
    """The state of one browser tab.

    Args:
        websocket: a Starlette/FastAPI WebSocket, already accepted.
        session_id: the name under which the app finds this session (model.zip downloads).
        max_frames_per_second: the fastest the stream sends frames while playing.
        trainer: a Trainer made beforehand (in a worker thread, so the event loop does not wait for it).
        frame_process: while playing, draw each frame's maps in a second process during the next
            epochs (``frame_process.py``); started at the first ``play``, ended with the session.
    """

    def __init__(self, websocket, session_id: str, max_frames_per_second: float = 60.0,
                 trainer: Trainer | None = None, frame_process: bool = False) -> None:
        self.websocket = websocket
        self.use_frame_process = frame_process
        self.frame_process: FrameProcess | None = None
        self.id = session_id
        self.interval = 1.0 / max_frames_per_second
        self.trainer = trainer if trainer is not None else Trainer()
        self.lock = threading.Lock()
        self.playing = False
        self.stream: asyncio.Task | None = None
        self.send_lock: asyncio.Lock | None = None
        self.handlers: dict[str, Callable] = {
            "configure": self.on_configure, "play": self.on_play, "pause": self.on_pause, "step": self.on_step,
            "reset": self.on_reset, "regenerate": self.on_regenerate, "set_weight": self.on_set_weight,
            "set_bias": self.on_set_bias, "points": self.on_points, "upload_csv": self.on_upload_csv,
            "explain": self.on_explain, "export": self.on_export, "slice": self.on_slice,
        }

    # --- plumbing ------------------------------------------------------------------------------
    def locked(self, function: Callable, *arguments) -> Any:
        """Call ``function`` holding the trainer's lock (from a worker thread)."""
        with self.lock:
            return function(*arguments)

    async def call(self, function: Callable, *arguments) -> Any:
        """Run ``function`` in a worker thread, holding the trainer's lock."""
        return await asyncio.to_thread(self.locked, function, *arguments)

    async def send(self, *messages: dict | str | bytes) -> None:
        """Send in order: a dict as JSON text, text as it is, bytes (a frame) as a binary message."""
        async with self.send_lock:
            for message in messages:
                if isinstance(message, bytes):
                    await self.websocket.send_bytes(message)
                else:
                    await self.websocket.send_text(message if isinstance(message, str) else frames.dumps(message))

    async def run(self) -> None:
        """Read messages until the page goes away; then stop training and return."""
        self.send_lock = asyncio.Lock()
        try:
            while True:
                message = await self.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text")
                if text is None:
                    await self.send(frames.error_message("Messages must be JSON text, not binary data.", None,
                                                         "message"))
                    continue
                await self.handle(text)
        except Exception as error:   # the socket broke mid-send; nothing to tell the page any more
            if not _is_disconnect(error):
                LOG.exception("playground session %s ended by an error", self.id)
        finally:
            await self.close()

    async def close(self) -> None:
        self.playing = False
        self.trainer.halt = True
        try:
            if self.stream is not None:
                await asyncio.gather(self.stream, return_exceptions=True)
        finally:   # even when the server shuts down around us: the worker ends when its pipe closes
            if self.frame_process is not None:
                self.frame_process.close(wait=False)

    async def handle(self, text: str) -> None:
        """One message: parse, check, dispatch; every failure becomes an error frame."""
        try:
            message = json.loads(text)
        except (ValueError, RecursionError) as error:
            where = f" ({error.msg} at position {error.pos})" if isinstance(error, json.JSONDecodeError) else ""
            await self.send(frames.error_message(f"The message is not JSON{where}. Send an object such as "
                                                 '{"type": "play"}.', None, "message"))
            return
        if not isinstance(message, dict):
            await self.send(frames.error_message('A message must be a JSON object with a "type", such as '
                                                 '{"type": "play"}.', None, "message"))
            return
        kind = message.get("type")
        if not isinstance(kind, str) or kind not in self.handlers:
            await self.send(frames.error_message(
                f"'type' must be one of {', '.join(self.handlers)}; got {describe(kind)}.",
                kind if isinstance(kind, str) else None, "type"))
            return
        try:
            await self.handlers[kind](message)
        except FieldError as error:
            await self.send(frames.error_message(str(error), kind, error.field))
        except NNBlocksError as error:
            await self.send(frames.error_message(str(error), kind))
        except Exception as error:
            if _is_disconnect(error):
                raise
            LOG.exception("playground: %s message failed", kind)
            await self.send(frames.error_message(f"The server could not do this ({type(error).__name__}: {error}). "
                                                 "The session goes on; try a different setting.", kind))

    # --- what the page is sent ------------------------------------------------------------------------
    def state_message(self) -> dict:
        trainer = self.trainer
        model, state = trainer.model, trainer.state
        table = trainer.table
        found = {key: (list(value) if isinstance(value, list) else value) for key, value in state.items()}
        found.update({
            "playing": self.playing, "epoch": trainer.epoch,
            "input_names": list(model.inputs.output_names),
            "shape": [model.inputs.output_size, *state["hidden"], trainer.design.units],
            "class_names": trainer.points.class_names, "column_names": trainer.points.column_names,
            "problems": list(table.problems) if state["dataset"] == CSV_DATASET else [DATASETS[state["dataset"]][0]],
            "csv": {"features": table.column_names, "target": table.target_name} if table is not None else None,
        })
        return {"type": "state", "session_id": self.id, "state": found}

    def frame_message(self) -> bytes:
        return playing.frame_and_message(self.trainer)[1]

    def snapshot(self, data: bool = True) -> list:
        """state (+ data) + frame, built under the lock."""
        messages = [self.state_message()]
        if data:
            messages.append(frames.data_message(self.trainer.points))
        messages.append(self.frame_message())
        return messages

    # --- playing --------------------------------------------------------------------------------------
    async def _stream(self) -> None:
        loop = asyncio.get_running_loop()
        next_frame = loop.time()
        behind = False   # the last frame sent shows the network one frame's epochs ago (a frame process drew it)
        try:
            while self.playing:
                process = self.frame_process if self.frame_process is not None and self.frame_process.usable() \
                    and sum(self.trainer.state["hidden"]) >= FRAME_PROCESS_MIN_UNITS else None
                messages, stop = await self.call(playing.advance, self.trainer, process)
                behind = process is not None and not stop
                if stop:
                    self.playing = False
                    messages.append(await self.call(self.state_message))
                await self.send(*messages)
                next_frame = max(next_frame + self.interval, loop.time())
                await asyncio.sleep(next_frame - loop.time())   # yields even when no time is left
            if behind:   # paused: show where training really got to
                await self.send(await self.call(self.frame_message))
        except Exception as error:
            self.playing = False
            if not _is_disconnect(error):
                LOG.exception("playground: the training stream of session %s failed", self.id)
                await self.send(frames.error_message(f"Training stopped: {type(error).__name__}: {error}", "play"))

    async def stop_playing(self) -> None:
        """Pause and wait until the stream's last frame has been sent."""
        self.playing = False
        self.trainer.halt = True
        if self.stream is not None:
            await asyncio.gather(self.stream, return_exceptions=True)
            self.stream = None

    # --- the messages -------------------------------------------------------------------------------
    async def on_configure(self, message: dict) -> None:
        if not isinstance(message.get("state"), dict):   # nothing to apply: the error alone
            raise bad("state", "an object of settings to change, e.g. {\"learning_rate\": 0.01}",
                      message.get("state"))
        current = self.trainer.state
        if any(message["state"][key] != current.get(key) for key in set(message["state"]) & REBUILDING):
            await self.stop_playing()   # before the change: a stream frame must not train the new network
        model = self.trainer.model

        def configure():
            errors = self.trainer.configure(message["state"])
            return errors, self.trainer.model is not model

        errors, rebuilt = await self.call(configure)
        if rebuilt:   # a new network starts paused, as in TF Playground
            await self.stop_playing()
        for error in errors:
            await self.send(frames.error_message(str(error), "configure", error.field))
        await self.send(*await self.call(self.snapshot))

    async def on_play(self, message: dict) -> None:
        if self.use_frame_process and self.frame_process is None:   # it gets ready while the first frames play
            try:
                self.frame_process = await asyncio.to_thread(FrameProcess)
            except Exception:   # no second process here (a sandbox, no resources): draw in this one
                LOG.exception("playground session %s: no frame process; frames are drawn here", self.id)
                self.use_frame_process = False
        self.trainer.halt = False
        self.playing = True
        if self.stream is None or self.stream.done():
            self.stream = asyncio.create_task(self._stream())
        await self.send(await self.call(self.state_message))

    async def on_pause(self, message: dict) -> None:
        await self.stop_playing()
        await self.send(await self.call(self.state_message))

    async def on_step(self, message: dict) -> None:
        await self.stop_playing()
        self.trainer.halt = False
        messages, _ = await self.call(playing.advance, self.trainer)
        await self.send(*messages)

    async def on_reset(self, message: dict) -> None:
        await self.stop_playing()
        await self.call(self.trainer.reset)
        await self.send(*await self.call(self.snapshot, False))

    async def on_regenerate(self, message: dict) -> None:
        await self.stop_playing()
        await self.call(self.trainer.regenerate)
        await self.send(*await self.call(self.snapshot))

    async def on_set_weight(self, message: dict) -> None:
        layer, source, target = (read_index(message, name) for name in ("layer", "source", "target"))
        value = read_edit_value(message)
        await self.call(self.trainer.set_weight, layer, source, target, value)
        await self.send(await self.call(self.frame_message))

    async def on_set_bias(self, message: dict) -> None:
        layer, unit = read_index(message, "layer"), read_index(message, "unit")
        value = read_edit_value(message)
        await self.call(self.trainer.set_bias, layer, unit, value)
        await self.send(await self.call(self.frame_message))

    async def on_points(self, message: dict) -> None:
        action = message.get("action")
        if action not in ("add", "erase"):
            raise bad("action", "'add' or 'erase'", action)
        x, y = check_plane_number("x", message.get("x")), check_plane_number("y", message.get("y"))
        label = check_plane_number("label", message.get("label")) if action == "add" else None
        radius = message.get("radius", 0.5)
        radius = check_plane_number("radius", radius)
        if radius <= 0:
            raise bad("radius", "a positive distance on the plane", radius)
        await self.call(self.trainer.edit_points, action, x, y, label, radius)
        messages = await self.call(lambda: [frames.data_message(self.trainer.points), self.frame_message()])
        await self.send(*messages)

    async def on_slice(self, message: dict) -> None:
        await self.call(self.trainer.set_slice, message.get("values"))
        messages = await self.call(lambda: [{**frames.data_message(self.trainer.points), "for": "slice"},
                                            self.frame_message()])
        await self.send(*messages)

    async def on_upload_csv(self, message: dict) -> None:
        table = await asyncio.to_thread(read_table, message.get("text"), message.get("features"),
                                        message.get("target"))
        await self.stop_playing()
        await self.call(self.trainer.use_table, table)
        await self.send(*await self.call(self.snapshot))

    async def on_explain(self, message: dict) -> None:
        x, y = check_plane_number("x", message.get("x")), check_plane_number("y", message.get("y"))
        found = await self.call(explain_point, self.trainer, x, y)
        await self.send({"type": "explain", **found})

    async def on_export(self, message: dict) -> None:
        format_name = message.get("format")
        if format_name not in ("python", "torch", "model"):
            raise bad("format", "'python', 'torch' or 'model'", format_name)
        found = await self.call(export, self.trainer, format_name)
        await self.send({"type": "export", **found})

    def model_zip(self) -> bytes:
        """model.json + model.safetensors zipped (for GET /api/sessions/{id}/model.zip; call from a thread)."""
        return self.locked(model_zip, self.trainer)


def _is_disconnect(error: BaseException) -> bool:
    """The page went away (closed tab, dropped connection): not a failure of ours."""
    names = {cls.__name__ for cls in type(error).__mro__}
    return bool(names & {"WebSocketDisconnect", "ConnectionClosed", "ClientDisconnected", "CancelledError"}) or \
        (isinstance(error, RuntimeError) and ("close message" in str(error) or "disconnect" in str(error).lower()))
