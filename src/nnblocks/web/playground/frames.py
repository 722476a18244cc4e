"""The server's messages as compact JSON text (docs/playground-protocol.md).

Maps travel as base64 of little-endian float32, row-major, row 0 at the top of the plane
(the largest x2) and column 0 at its left (the smallest x1), the values at pixel centres:
a 100 x 100 output map is 40,000 bytes (53 kB of base64) however large the network. Weights
and biases are nested lists, ``weights[layer][source][target]`` in nnblocks' (in, out) layout.

JSON has no NaN: a diverged network's non-finite numbers are sent as null (the base64 maps
carry NaN as it is, which a Float32Array reads back).
"""

from __future__ import annotations

import binascii
import json
import math

import numpy as np

from nnblocks.web.playground.state import NEURON_RESOLUTION, OUTPUT_RESOLUTION

WEIGHT_DECIMALS = 5


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

    The maps' base64 strings (about 95 % of a frame) are spliced in as they are: base64 never
    needs JSON escaping, and ``json.dumps`` would spend most of a frame's encoding time
    scanning them for characters to escape. Weights and biases are rounded to 5 decimals: the
    page shows a few digits, and a long float repr per weight costs more than the weight.
    """
    output = frame["output"]
    head = dumps({
        "type": "frame",
        "epoch": frame["epoch"],
        "train_loss": number(frame["train_loss"]),
        "test_loss": number(frame["test_loss"]),
        "metrics": {name: number(value) for name, value in frame["metrics"].items()},
        "resolution": OUTPUT_RESOLUTION,
        "output_channels": int(output.shape[0]),
        "neuron_resolution": NEURON_RESOLUTION,
        "weights": None,
        "biases": None,
    })
    head = head.replace('"weights":null,"biases":null', parameters_text(frame["weights"], frame["biases"]))
    inputs = ",".join(_each_map(frame["inputs"]))
    hidden = ",".join("[" + ",".join(_each_map(layer)) + "]" for layer in frame["hidden"])
    return (f'{head[:-1]},"output":"{floats(output)}","neurons":{{"inputs":[{inputs}],"hidden":[{hidden}]}}}}')


def parameters_text(weights: list[np.ndarray], biases: list[np.ndarray]) -> str:
    """``"weights":[...],"biases":[...]`` as JSON text: every array rounded and listed in one go.

    One float64 copy, one rounding and one ``tolist`` for all the layers together, then the rows are
    cut back out of the flat list; per array, the NumPy calls cost more than the numbers.
    """
    arrays = [*weights, *biases]
    flat = np.concatenate([np.ravel(array) for array in arrays]).astype(np.float64).round(WEIGHT_DECIMALS)
    values = flat.tolist() if np.isfinite(flat).all() else [v if math.isfinite(v) else None for v in flat.tolist()]
    nested, start = [], 0
    for array in arrays:
        if array.ndim == 2:
            rows, width = array.shape
            nested.append([values[start + row * width:start + (row + 1) * width] for row in range(rows)])
        else:
            nested.append(values[start:start + array.size])
        start += array.size
    count = len(weights)
    return dumps({"weights": nested[:count], "biases": nested[count:]})[1:-1]


def _each_map(maps: np.ndarray) -> list[str]:
    """One quoted base64 string per map of a (H, r, r) block (one copy of the block, then byte slices)."""
    raw = np.ascontiguousarray(maps, dtype="<f4").tobytes()
    size = len(raw) // len(maps) if len(maps) else 0
    return [f'"{binascii.b2a_base64(raw[start:start + size], newline=False).decode("ascii")}"'
            for start in range(0, len(raw), size or 1)]


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
    }


def error_message(message: str, for_type: str, field: str | None = None) -> dict:
    """An ``error`` frame: what was wrong, for which message type, and which field."""
    found = {"type": "error", "message": message, "for": for_type}
    if field is not None:
        found["field"] = field
    return found
