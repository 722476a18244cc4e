"""`nnblocks datasets`: the built-in data sets, one line each."""

from __future__ import annotations

from rich.table import Table

from nnblocks.cli.common import friendly_errors, stdout_console
from nnblocks.runs import describe_datasets


@friendly_errors
def datasets() -> None:
    """List the built-in data sets with their task, size and a one-line description.

    Generated sets (the TensorFlow Playground ones, moons, spiral_classes) take --samples,
    --noise and --seed in `nnblocks train`; the bundled real sets come from scikit-learn's
    installed files (nothing is downloaded) and have a fixed size.
    """
    infos = describe_datasets()
    generated = ", ".join(info.name for info in infos if info.generated)
    table = Table(title="Built-in data sets", caption=f"Generated at random (--samples, --noise and --seed apply; "
                  f"the size shown is the default): {generated}.")
    table.add_column("name", no_wrap=True)
    table.add_column("task", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("description", overflow="fold")
    for info in infos:
        table.add_row(info.name, info.task, f"{info.examples} × {info.features}", info.description)
    stdout_console().print(table)
