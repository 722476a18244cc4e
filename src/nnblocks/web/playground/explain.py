"""The chain-rule view for a clicked point: ``nnblocks.analysis.chain_rule.explain_step`` as JSON.

A click lands on the plane, not necessarily on a point, but the chain rule needs a target.
So the nearest training point is explained when the click falls within ``SNAP`` (a fortieth of
the plane's width) of it; otherwise the clicked spot itself is explained, with the target of
the nearest training point, and the reply says so (``label_from``).
"""

from __future__ import annotations

import numpy as np

from nnblocks.analysis.chain_rule import explain_step
from nnblocks.web.playground.frames import numbers
from nnblocks.web.playground.state import FieldError

SNAP = 1 / 40


def explain_point(trainer, x: float, y: float) -> dict:
    """The ``explain`` message for the point (x, y) of the plane."""
    points = trainer.points
    rows = np.flatnonzero(points.train) if points.train.any() else np.arange(len(points.y))
    if not len(rows):
        raise FieldError("x", "There are no points to take a target from. Draw a point or regenerate the data.")
    distance = np.hypot(points.x[rows, 0] - x, points.x[rows, 1] - y)
    nearest = int(rows[int(np.argmin(distance))])
    x_from, x_to = points.extent[0], points.extent[1]
    snapped = float(distance.min()) <= SNAP * (x_to - x_from)
    raw = points.x[nearest].copy() if snapped else points.slice_values()
    if not snapped:
        raw[0], raw[1] = x, y
    label = points.y[nearest]
    target = trainer.encode(np.array([label]))[0] if trainer.design.loss == "mse" and \
        trainer.state["problem"] == "classification" else trainer.model_target(label)
    step = explain_step(trainer.model, raw, target)
    shown = trainer.predict_point(float(raw[0]), float(raw[1]))
    return {
        "point": [float(raw[0]), float(raw[1])],
        "snapped": snapped,
        "label": _plain(label),
        "label_from": "this training point" if snapped else
        f"the nearest training point, ({points.x[nearest, 0]:.3g}, {points.x[nearest, 1]:.3g})",
        "prediction": numbers(shown),
        "layers": [_layer(layer) for layer in step.layers],
        "loss": {"formula": step.loss.formula, "value": float(step.loss.value), "penalty": float(step.loss.penalty),
                 "scores": numbers(step.loss.scores), "link": numbers(step.loss.link),
                 "targets": numbers(step.loss.targets), "grad_scores": numbers(step.loss.grad_scores)},
        "chains": step.chain_lines(),
        "markdown": step.to_markdown(),
        "note": step.mode_note,
    }


def _layer(layer) -> dict:
    found = {"name": layer.name, "activation": layer.activation, "shape": layer.shape_text,
             "inputs": numbers(layer.inputs), "z": numbers(layer.z) if layer.z is not None else None,
             "outputs": numbers(layer.outputs), "grad_outputs": numbers(layer.grad_outputs),
             "derivative": numbers(layer.derivative) if layer.derivative is not None else None,
             "grad_z": numbers(layer.grad_z) if layer.grad_z is not None else None,
             "chain": layer.chain.text() if layer.chain is not None else None}
    return {key: value for key, value in found.items() if value is not None}


def _plain(value):
    return value.item() if hasattr(value, "item") else value
