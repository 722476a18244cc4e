"""`nnblocks playground`: start the local web app where a network is built by clicking."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from nnblocks.cli.common import fail, friendly_errors

# The web front end is loaded by name, when the command runs: front ends never import one another
# (tests/test_architecture.py), and `nnblocks --help` should not pay for importing FastAPI.
WEB_MODULE = "nnblocks.web.playground.app"


@friendly_errors
def playground(
    host: Annotated[str, typer.Option(
        help="The address to listen on. The default is this computer only; 0.0.0.0 opens it to your network "
             "(there is no login).", metavar="ADDRESS")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on; 0 picks a free one.", metavar="N")] = 8000,
    browser: Annotated[bool, typer.Option(
        "--browser/--no-browser", help="Open the page in your web browser once the server is up.")] = False,
) -> None:
    """Start the playground: build a network by clicking and watch its decision boundary form.

    A local web app in the spirit of TensorFlow Playground. The network trains on this computer,
    in nnblocks' own NumPy engine, and streams what it learns to the page: the output map, a map on
    every neuron, the weights, the losses. Beyond TF Playground: your own CSV data, drawn points,
    optimisers (SGD, momentum, RMSprop, Adam), cross-entropy and multi-class, stop conditions, the
    chain rule for a clicked point, and export to nnblocks code, PyTorch code or model files.

    The command prints the address (http://127.0.0.1:8000/ by default) and runs until Ctrl+C.
    """
    if not 0 <= port <= 65535:
        raise fail(f"--port must be from 0 to 65535; got {port}.")
    try:
        web = importlib.import_module(WEB_MODULE)
    except ImportError as error:
        raise fail(f"The playground needs FastAPI and uvicorn ({error}). Fix: pip install fastapi uvicorn "
                   "websockets, or reinstall nnblocks.") from None
    try:
        web.serve(host=host, port=port, open_browser=browser)
    except OSError as error:
        raise fail(f"Cannot listen on {host}:{port} ({error.strerror or error}). Fix: choose another --port "
                   "(--port 0 takes any free one), or stop the program using it.") from None
    except KeyboardInterrupt:
        typer.echo("Playground stopped.")
