"""The server's messages: JSON text, except frames, which are binary (docs/playground-protocol.md).

A frame is one binary WebSocket message: 4 bytes (little-endian uint32) giving the length of a
JSON header, the header (UTF-8, padded with spaces to a multiple of 4 bytes), then float32
numbers (little-endian), which the page reads with ``Float32Array`` views, no copying. The
header holds the frame's small fields and, under ``arrays``, where each array starts in the
numbers and how many it has: ``parameters`` (every weight and bias, layer after layer — the
weight in nnblocks' (in, out) layout, row-major, then the bias — cut up with ``layer_shapes``),
``output`` (the 100 x 100 map, row 0 at the top of the plane (the largest x2), column 0 at its
left (the smallest x1), values at pixel centres), ``inputs`` (every input feature's 20 x 20
map) and ``hidden`` (every hidden layer's maps, one after the other).

Why binary: the numbers are about 95 % of a frame; as base64 inside JSON they cost a third more
bytes, the server's encoding (0.2 ms of a 4.4 ms step) and the page's decoding. Why not JSON
numbers: writing a float's shortest repr costs ~0.3 µs, and a 6 x 8 network has 393 weights.

JSON has no NaN: non-finite losses and metrics are sent as null (the float32 numbers carry
NaN as it is).
"""

from __future__ import annotations

import json
import math
import struct

import numpy as np

from nnblocks.web.playground.state import NEURON_RESOLUTION, OUTPUT_RESOLUTION

def numbers(array: np.ndarray, decimals: int | None = None) -> list:
    """Nested lists of Python floats (rounded to ``decimals`` places if given); NaN and infinities -> None."""
    values = np.asarray(array, dtype=np.float64)
    if decimals is not None:
        values = values.round(decimals)
    if np.isfinite(values).all():
        return values.tolist()
    return _nested_with_none(values)


def _nested_with_none(values: np.ndarray) -> list:
    if values.ndim == 1:
        return [float(value) if math.isfinite(value) else None for value in values.tolist()]
    return [_nested_with_none(row) for row in values]


def number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def dumps(message: dict) -> str:
    """Compact JSON; refuses NaN so that a message the browser cannot parse is never sent."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False)


def frame_message(frame: dict) -> bytes:
    """The binary ``frame`` message from ``Trainer.frame()``'s arrays."""
    output, weights, biases = frame["output"], frame["weights"], frame["biases"]
    parameters = [part for weight, bias in zip(weights, biases) for part in (weight, bias)]
    pieces = [("output", output), ("inputs", frame["inputs"])] + [("hidden", layer) for layer in frame["hidden"]]
    start = sum(part.size for part in parameters)
    places: dict = {"parameters": [0, int(start)], "hidden": []}
    for name, array in pieces:
        place = [int(start), int(array.size)]
        if name == "hidden":
            places["hidden"].append(place)
        else:
            places[name] = place
        start += array.size
    head = dumps({
        "type": "frame",
        "epoch": frame["epoch"],
        "train_loss": number(frame["train_loss"]),
        "test_loss": number(frame["test_loss"]),
        "metrics": {name: number(value) for name, value in frame["metrics"].items()},
        "resolution": OUTPUT_RESOLUTION,
        "output_channels": int(output.shape[0]),
        "neuron_resolution": NEURON_RESOLUTION,
        "layer_shapes": [list(weight.shape) for weight in weights],
        "arrays": places,
    }).encode("utf-8")
    head += b" " * (-(len(head) + 4) % 4)   # the numbers start on a 4-byte boundary: Float32Array views need it
    numbers = np.concatenate([np.ravel(array) for array in parameters + [array for _, array in pieces]])
    numbers = numbers.astype("<f4", copy=False)
    return b"".join((struct.pack("<I", len(head)), head, numbers.data))   # one copy of the numbers, not two


def read_frame(message: bytes) -> tuple[dict, np.ndarray]:
    """The header and the float32 numbers of a binary frame (for tests and Python clients)."""
    (length,) = struct.unpack_from("<I", message)
    header = json.loads(message[4:4 + length])
    return header, np.frombuffer(message, dtype="<f4", offset=4 + length)


def data_message(points) -> dict:
    """The ``data`` message: every training and test point as [x1, x2, label], and the plane."""
    label = points.y.astype(np.float64)
    rows = np.column_stack([np.round(points.x[:, :2], 4), label]) if len(label) else np.zeros((0, 3))
    integer_labels = points.problem == "classification"

    def listed(mask: np.ndarray) -> list:
        chosen = rows[mask].tolist()
        if integer_labels:
            for row in chosen:
                row[2] = int(row[2])
        return chosen

    return {
        "type": "data",
        "train": listed(points.train),
        "test": listed(~points.train),
        "extent": [float(bound) for bound in points.extent],
        "problem": points.problem,
        "class_names": points.class_names,
        "column_names": points.column_names,
        "edited": points.edited,
        "slice": points.slice_controls(),
    }


def error_message(message: str, for_type: str, field: str | None = None) -> dict:
    """An ``error`` frame: what was wrong, for which message type, and which field."""
    found = {"type": "error", "message": message, "for": for_type}
    if field is not None:
        found["field"] = field
    return found
