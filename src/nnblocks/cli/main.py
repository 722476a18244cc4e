"""The `nnblocks` command: a thin typer app over the library.

Each command lives in its own module and is registered here. Commands call the public
API (mostly ``nnblocks.runs``); errors the library raises become one red line
(``Error: ...``, exit code 2) in ``nnblocks.cli.common``.
"""

from __future__ import annotations

from typing import Annotated

import typer

import nnblocks
from nnblocks.cli.compare import compare_engines_command
from nnblocks.cli.datasets import datasets
from nnblocks.cli.evaluate import evaluate
from nnblocks.cli.explain import explain_step
from nnblocks.cli.gradcheck import gradcheck
from nnblocks.cli.plot import plot
from nnblocks.cli.playground import playground
from nnblocks.cli.predict import predict
from nnblocks.cli.train import train

app = typer.Typer(
    name="nnblocks",
    help="nnblocks: a deep-learning lab you can see through. Train small networks built from five building "
         "blocks (inputs, weights & biases, activations, layers, loss), then evaluate, predict and check them.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

app.command()(train)
app.command()(evaluate)
app.command()(predict)
app.command()(gradcheck)
app.command()(datasets)
app.command("explain-step")(explain_step)
app.command()(plot)
app.command()(playground)
app.command("compare-engines")(compare_engines_command)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"nnblocks {nnblocks.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", metavar="", help="Print the version and exit.", is_eager=True,
                                          callback=_print_version)] = False,
) -> None:
    """nnblocks: a deep-learning lab you can see through.

    Train small networks built from five building blocks (inputs, weights & biases, activation
    functions, layers, loss), then evaluate, predict with and gradient-check them.
    """


def main() -> None:
    """Entry point of the `nnblocks` console script."""
    app(prog_name="nnblocks")
