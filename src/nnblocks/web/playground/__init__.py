"""`nnblocks playground`: build a network by clicking and watch its decision boundary form.

TensorFlow Playground's experience, trained server-side by nnblocks' own NumPy engine.
One module per idea:

    state.py     the settings (the page's URL state): fields, defaults, checks, options
    data.py      the points: generated sets, an uploaded CSV, drawn and erased points, the split
    trainer.py   one session's data, network, training and maps (no asyncio, no web)
    grid.py      the maps' forward pass: every point of the plane through every layer at once
    frames.py    the messages as compact JSON (maps as base64 float32)
    explain.py   the chain-rule view of a clicked point
    exports.py   nnblocks code, PyTorch code, model.zip
    session.py   one WebSocket session: messages, the training stream
    app.py       the FastAPI app and ``serve``
"""

from nnblocks.web.playground.app import create_app, serve
from nnblocks.web.playground.trainer import Trainer

__all__ = ["Trainer", "create_app", "serve"]
