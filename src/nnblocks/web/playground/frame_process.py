"""Draw a frame's maps in a second process while this one trains the next epochs.

Why a process and not a thread: the maps are a few large NumPy calls (tanh over 10,000 points
per layer), the training many small ones (about 70 a batch). Two threads of one process queue
for the GIL between their calls and were measured no faster than one; a second process has its
own interpreter and its own GIL, and the frame's maps cost the training nothing
(benchmarks/bench_playground.py measures both ways).

What crosses between the two is bytes, never pickle: a JSON header line, then float arrays one
after the other, in the order and with the shapes the header lists.

- ``load``: the plane's points after the Inputs block (the 100 x 100 grid, then the data rows)
  and where the grid ends — sent again only when the points change (``Trainer.plane_version``);
- ``draw``: every layer's activation, as its config (the worker builds it from the closed
  registry), and every layer's [Wᵀ | b];
- the reply: ``grid.Maps`` of that network — the same ``PlaneEvaluator.draw`` code as in-process.

The worker is started with "spawn" (a fresh interpreter: safe beside the server's threads and
event loop), announces itself with ``ready`` once NumPy is imported, and ends when the pipe
closes. Anything that goes wrong with it makes ``FrameProcessError``; the session then draws its
frames itself, as it does until the worker is ready.
"""

from __future__ import annotations

import json
import multiprocessing
import threading

import numpy as np

from nnblocks.web.playground.grid import Maps

READY = b"ready"


class FrameProcessError(RuntimeError):
    """The frame process is gone or sent something unreadable: draw in this process instead."""


def pack(header: dict, arrays: list[np.ndarray], dtype) -> bytes:
    """A message: the header (with the arrays' shapes and dtype) as one JSON line, then the arrays' bytes."""
    dtype = np.dtype(dtype)
    header = {**header, "dtype": dtype.name, "shapes": [list(array.shape) for array in arrays]}
    body = b"".join(np.ascontiguousarray(array, dtype=dtype).tobytes() for array in arrays)
    return json.dumps(header).encode("ascii") + b"\n" + body


def unpack(message: bytes) -> tuple[dict, list[np.ndarray]]:
    """The header and the arrays of a ``pack``ed message (read-only views of its bytes)."""
    head, _, body = message.partition(b"\n")
    header = json.loads(head)
    dtype = np.dtype(header["dtype"])
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"frame process: unexpected dtype {dtype}")
    arrays, offset = [], 0
    for shape in header["shapes"]:
        count = int(np.prod(shape, dtype=np.int64))
        arrays.append(np.frombuffer(body, dtype, count, offset).reshape(shape))
        offset += count * dtype.itemsize
    if offset != len(body):
        raise ValueError("frame process: the message's arrays do not fill its body")
    return header, arrays


def serve(connection) -> None:
    """The worker: load points, draw maps, until the pipe closes (the session ended)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")   # as the server: small products, one BLAS thread
    try:
        connection.send_bytes(READY)
        plane = None
        while True:
            plane = answer(connection, plane)
    except (EOFError, OSError):
        return


def answer(connection, plane):
    """Read one message and do it: keep new points, or draw and send the maps. Returns the plane."""
    from nnblocks.blocks.activations import get_activation
    from nnblocks.web.playground.grid import PlaneEvaluator

    header, arrays = unpack(connection.recv_bytes())
    if header["kind"] == "load":
        return PlaneEvaluator(arrays[0], header["dtype"], exact_from=header["grid"])
    activations = [get_activation(config) for config in header["activations"]]
    matrices = [np.array(array) for array in arrays]   # own, aligned copies: BLAS then sums as in-process
    with np.errstate(over="ignore", invalid="ignore"):   # a diverged network draws NaN, as it should
        maps = plane.draw(activations, matrices, header["shown"])
    connection.send_bytes(pack({"kind": "maps"}, [maps.scores, maps.shown, maps.inputs, *maps.hidden],
                               header["dtype"]))
    return plane


class FrameProcess:
    """One session's worker process and the pipe to it."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(target=serve, args=(child,), name="nnblocks-playground-frames", daemon=True)
        self.process.start()
        child.close()
        self.ready = False
        self.broken = False
        self.loaded = None   # (trainer, Trainer.plane_version) whose points the worker holds
        # Two threads asking at once (the session's, and a watcher's) must not both see the "ready"
        # waiting and both read: the second would block on the pipe, or take a reply of maps for it.
        self._asking = threading.Lock()

    def usable(self) -> bool:
        """True once the worker has said it is ready (never blocks), and while nothing went wrong."""
        if not self.ready and not self.broken:
            with self._asking:
                try:
                    if not self.ready and not self.broken and self.connection.poll():
                        self.ready = self.connection.recv_bytes() == READY
                        self.broken = not self.ready
                except (EOFError, OSError):
                    self.broken = True
        return self.ready and not self.broken

    def draw(self, trainer, snapshot) -> None:
        """Ask for the maps of ``snapshot`` (``Trainer.snapshot``); ``receive`` collects them."""
        try:
            if self.loaded != (id(trainer), trainer.plane_version):
                self.connection.send_bytes(pack({"kind": "load", "grid": trainer.plane.exact_from},
                                                [trainer.plane.features], trainer.dtype))
                self.loaded = (id(trainer), trainer.plane_version)
            configs = [activation.get_config() for activation in trainer.activations()]
            self.connection.send_bytes(pack({"kind": "draw", "activations": configs, "shown": trainer.design.shown},
                                            snapshot.matrices, trainer.dtype))
        except (OSError, ValueError) as error:
            self.broken = True
            raise FrameProcessError(f"the frame process cannot be reached: {error}") from error

    def receive(self) -> Maps:
        try:
            header, arrays = unpack(self.connection.recv_bytes())
            scores, shown, inputs, *hidden = arrays
        except (EOFError, OSError, ValueError, KeyError) as error:
            self.broken = True
            raise FrameProcessError(f"the frame process sent no maps: {error}") from error
        return Maps(scores, shown, inputs, hidden)

    def close(self, wait: bool = True) -> None:
        """End the worker: closing the pipe ends its loop. ``wait``: also wait for it (up to 5 s),
        then stop it if it has not ended by itself."""
        self.broken = True
        self.connection.close()
        if not wait:   # reap it in the background, so it does not linger as a zombie
            threading.Thread(target=self.process.join, args=(10,), daemon=True).start()
            return
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
