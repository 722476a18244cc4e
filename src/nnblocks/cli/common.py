"""What every command shares: the consoles, turning errors into one red line, tables.

The library raises (nnblocks.errors); this module is where a raised error becomes
``Error: <message>`` on stderr and exit code 2 — never a traceback. Warnings raised
while a command runs are shown once each as ``Warning: <message>``.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from nnblocks.errors import NNBlocksError

USAGE_ERROR = 2       # bad option values, bad data, bad files: the user can fix it
INTERRUPTED = 130     # Ctrl-C outside training (the shell's convention: 128 + SIGINT)


def stdout_console() -> Console:
    """A console on the current stdout (looked up at each call, so test runners can capture it)."""
    return Console(highlight=False, soft_wrap=False)


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def fail(text: str, code: int = USAGE_ERROR) -> typer.Exit:
    """Print ``Error: text`` in red on stderr and return the Exit to raise."""
    stderr_console().print(Text(f"Error: {text}", style="bold red"))
    return typer.Exit(code)


def warn(text: str) -> None:
    stderr_console().print(Text(f"Warning: {text}", style="yellow"))


def friendly_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a command so library errors and unusable paths end in a short message, exit code 2."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                return command(*args, **kwargs)
            except typer.Exit:
                raise
            except NNBlocksError as error:
                raise fail(str(error)) from None
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as error:
                where = f": {error.filename}" if error.filename else ""
                raise fail(f"{error.strerror or error}{where}") from None
            except OSError as error:  # a full disk, a read-only folder, ...
                raise fail(str(error)) from None
            except KeyboardInterrupt:
                raise fail("interrupted (Ctrl-C).", INTERRUPTED) from None
            finally:
                seen = set()
                for record in caught:
                    text = str(record.message)
                    if text not in seen:
                        seen.add(text)
                        warn(text)

    return wrapper


def option_wording(text: str, options: dict[str, str]) -> str:
    """Name command-line options instead of library parameters: "The 'hidden' parameter of RunSpec" -> "--hidden".

    ``options`` maps a parameter name to its option where they differ (n_samples -> --samples).
    """
    def replace(match: re.Match) -> str:
        name = match.group(1)
        return f"The option {options.get(name, '--' + name.replace('_', '-'))}"

    return re.sub(r"The '(\w+)' parameter of RunSpec", replace, text)


def format_number(value: float) -> str:
    return f"{value:.4f}"


def metrics_table(metrics: dict[str, dict[str, float]], title: str = "Metrics") -> Table:
    """Rows = splits (train / validation / test), columns = metric names."""
    names = list(dict.fromkeys(name for values in metrics.values() for name in values))
    table = Table(title=title)
    table.add_column("split")
    for name in names:
        table.add_column(name, justify="right")
    for split, values in metrics.items():
        table.add_row(split, *(format_number(values[name]) if name in values else "-" for name in names))
    return table


def data_source(dataset: str | None, csv, target: str | None) -> str | None:
    """The built-in data set to use (None for a CSV file), after checking the three options go together."""
    if csv is not None and dataset is not None:
        raise fail("give either --dataset or --csv, not both.")
    if csv is None and target is not None:
        raise fail("--target names a column of a CSV file; give --csv PATH as well.")
    if csv is not None and not target:
        raise fail("--csv needs --target COLUMN, the name of the column to predict.")
    return None if csv is not None else (dataset or "spiral")
