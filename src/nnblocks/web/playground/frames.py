"""The server's messages as compact JSON text (docs/playground-protocol.md).

Numbers in bulk travel as base64 of little-endian float32, which the page reads back with one
``Float32Array``: maps are row-major, row 0 at the top of the plane (the largest x2) and
column 0 at its left (the smallest x1), the values at pixel centres — a 100 x 100 output map
is 40,000 bytes (53 kB of base64) however large the network; every neuron map of one layer
is one string; and all the weights and biases are one string, layer after layer (weight in
nnblocks' (in, out) layout, row-major, then bias), with ``layer_shapes`` to cut it back up.
Why not JSON numbers: writing a float's shortest repr costs ~0.3 µs, and a 6 x 8 network has
393 of them in every frame — more than computing the frame's loss.

JSON has no NaN: non-finite losses are sent as null (base64 carries NaN as it is, which a
Float32Array reads back).
"""

from __future__ import annotations

import binascii
import json
import math

import numpy as np

from nnblocks.web.playground.state import NEURON_RESOLUTION, OUTPUT_RESOLUTION

def floats(array: np.ndarray) -> str:
    """base64 of the array as little-endian float32, C order."""
    data = np.ascontiguousarray(array, dtype="<f4")
    return binascii.b2a_base64(data, newline=False).decode("ascii")


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


def frame_text(frame: dict) -> str:
    """The ``frame`` message, as JSON text, from ``Trainer.frame()``'s arrays.

    The base64 strings (about 95 % of a frame) are spliced in as they are: base64 never needs
    JSON escaping, and ``json.dumps`` would spend most of a frame's encoding time scanning them
    for characters to escape.
    """
    output, weights, biases = frame["output"], frame["weights"], frame["biases"]
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
    })
    parameters = np.concatenate([part.ravel() for weight, bias in zip(weights, biases) for part in (weight, bias)])
    hidden = ",".join(f'"{floats(layer)}"' for layer in frame["hidden"])
    return (f'{head[:-1]},"parameters":"{floats(parameters)}","output":"{floats(output)}",'
            f'"neurons":{{"inputs":"{floats(frame["inputs"])}","hidden":[{hidden}]}}}}')


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
