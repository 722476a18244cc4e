"""`nnblocks plot`: draw a run's figures again (other resolution, plane, frames, or a subset)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from nnblocks.cli.common import fail, friendly_errors, stdout_console
from nnblocks.runs import FIGURE_FILES, FIGURE_NAMES, load_run


@friendly_errors
def plot(
    run: Annotated[Path, typer.Argument(help="A run folder written by `nnblocks train`.", show_default=False)],
    resolution: Annotated[int, typer.Option(
        metavar="N", help="Grid points per side of the decision boundary (neuron maps use at most 60).")] = 200,
    frames: Annotated[int, typer.Option(
        metavar="N", help="Frames of training.gif, spread evenly over the epochs.")] = 20,
    only: Annotated[str | None, typer.Option(
        metavar="NAMES", show_default="all",
        help=f"Comma-separated figures to draw: {', '.join(FIGURE_NAMES)}.")] = None,
    method: Annotated[str, typer.Option(
        metavar="NAME", help="The plane for data with more than two features: auto (a slice through the first two "
                             "features), slice or pca.")] = "auto",
    features: Annotated[str | None, typer.Option(
        metavar="A,B", show_default="the first two",
        help="With --method slice: the two input columns that vary, by name or by position counted from 1 "
             "(the others are held at their median or most frequent value).")] = None,
    out: Annotated[Path | None, typer.Option(
        metavar="DIR", show_default="the run folder", help="Write the figures into this folder instead.")] = None,
) -> None:
    """Draw a run's figures again: decision boundary, neuron maps, network, loss curves, training GIF.

    The GIF needs the boundary as it was during training, so the run is trained again from its
    spec.json with the same seed (same data, split, initial weights and batches: the same run);
    leave it out with `--only` to skip that. For data with more than two features the boundary
    and neuron maps are drawn on a plane: a slice through two features, or the PCA plane.

    Examples: `nnblocks plot runs/spiral-20250101-120000`,
    `nnblocks plot RUN --only decision_boundary,loss --resolution 400`,
    `nnblocks plot RUN --method pca`.
    """
    from nnblocks.viz.run_figures import write_run_figures  # matplotlib loads only for this command

    which = parse_names(only)
    plane_features = parse_features(features)
    if plane_features is not None and method == "pca":
        raise fail("--features chooses the columns of a slice; with --method pca the plane is chosen for you. "
                   "Drop --features, or use --method slice.")
    result = load_run(run)
    console = stdout_console()
    if "training" in which:
        epochs = result.epochs_run or result.spec.epochs
        console.print(Text(f"training.gif: training the run again from spec.json (seed {result.spec.seed}, "
                           f"{epochs} epochs) to record {min(frames, epochs)} frames ..."))
    started = time.perf_counter()
    report = write_run_figures(result, out, which, resolution=resolution, frames=frames, method=method,
                               features=plane_features if plane_features is not None else (0, 1))
    for note in report.notes:
        console.print(Text(note, style="dim"))
    for name, why in report.skipped.items():
        console.print(Text(f"{FIGURE_FILES[name]} skipped: {why}.", style="yellow"))
    folder = Path(out) if out is not None else result.path
    written = ", ".join(path.name for path in report.written.values()) or "none"
    console.print(Text(f"Figures: {written} ({time.perf_counter() - started:.1f} s)"))
    console.print(Text(f"Folder: {folder}"))


def parse_names(only: str | None) -> tuple[str, ...]:
    """``"loss, decision_boundary"`` -> the names in the house order; unknown names end in an error line."""
    if only is None:
        return FIGURE_NAMES
    names = [name.strip() for name in only.split(",") if name.strip()]
    unknown = [name for name in names if name not in FIGURE_FILES]
    if unknown or not names:
        raise fail(f"--only takes figure names separated by commas, from {', '.join(FIGURE_NAMES)}; "
                   f"got {only!r}.")
    return tuple(name for name in FIGURE_NAMES if name in names)


def parse_features(features: str | None) -> tuple | None:
    """``"petal_length,petal_width"`` or ``"3,4"`` (counted from 1) -> what make_plane takes."""
    if features is None:
        return None
    parts = [part.strip() for part in features.split(",")]
    if len(parts) != 2 or not all(parts):
        raise fail(f"--features takes two column names or positions separated by a comma, e.g. x1,x2 or 1,3; "
                   f"got {features!r}.")
    return tuple(int(part) - 1 if part.isdigit() and int(part) >= 1 else part for part in parts)
