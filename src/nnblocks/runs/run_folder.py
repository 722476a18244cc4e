"""The run folder on disk: what ``train_run`` writes and ``load_run`` reads.

    <run>/
      model/model.json, model/model.safetensors   the trained model (Sequential.save)
      history.csv                                  one row per epoch (loss, metrics, val_*, learning_rate)
      metrics.json                                 {"train": {...}, "validation": {...}, "test": {...}}
      spec.json                                    the RunSpec, so the same splits can be rebuilt
      README.md                                    a summary for people
      decision_boundary.png, neurons.png,          figures, when asked for and the data has two
      network.png, loss.png, training.gif          numeric features (nnblocks.viz.run_figures)

Every file is written atomically (nnblocks.io). ``spec.json`` is written last: it marks
a complete run folder, so a crash while saving never leaves something that looks whole.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nnblocks.errors import ModelFileError, NNBlocksError
from nnblocks.io import atomic_write_json, atomic_write_text, read_history_csv, read_metrics_json
from nnblocks.io.model_files import now_iso, read_document
from nnblocks.model import Sequential
from nnblocks.runs.figure_names import FIGURE_DESCRIPTIONS
from nnblocks.runs.spec import RunSpec

MODEL_FOLDER = "model"
HISTORY_CSV = "history.csv"
METRICS_JSON = "metrics.json"
SPEC_JSON = "spec.json"
README_MD = "README.md"
SPEC_FORMAT = "nnblocks-run-spec"
SPEC_FORMAT_VERSION = 1
RUN_HINT = ("A run folder is written by nnblocks.runs.train_run (or `nnblocks train`) and holds model/, "
            "history.csv, metrics.json, spec.json and README.md.")


@dataclass
class RunResult:
    """A finished run: where it lives, how it was made, and what came out.

    Attributes:
        path: the run folder.
        spec: the RunSpec it was trained from.
        model: the trained Sequential.
        history: per-epoch values, ``{"loss": [...], "val_loss": [...], ...}``.
        metrics: ``{"train": {...}, "validation": {...}, "test": {...}}``.
        stop_reason: why training ended before the last epoch, or None.
        figures: the figure files written into the folder, ``{"loss": "loss.png", ...}``.
        figure_notes: why figures were not drawn, or anything else worth saying about them.
    """

    path: Path
    spec: RunSpec
    model: Sequential
    history: dict[str, list[float]]
    metrics: dict[str, dict[str, float]]
    stop_reason: str | None = None
    figures: dict[str, str] = field(default_factory=dict)
    figure_notes: list[str] = field(default_factory=list)

    @property
    def epochs_run(self) -> int:
        return len(next(iter(self.history.values()), []))


def write_spec_json(path: Path, spec: RunSpec, stop_reason: str | None) -> Path:
    import nnblocks

    return atomic_write_json(path, {"format": SPEC_FORMAT, "format_version": SPEC_FORMAT_VERSION,
                                    "nnblocks_version": nnblocks.__version__, "created": now_iso(),
                                    "spec": spec.to_dict(), "stop_reason": stop_reason})


def read_spec_json(path: Path) -> tuple[RunSpec, str | None]:
    """Read ``spec.json``; a damaged file raises ModelFileError naming it."""
    document = read_document(path, SPEC_FORMAT, SPEC_FORMAT_VERSION)
    try:
        spec = RunSpec.from_dict(document["spec"])
    except KeyError:
        raise ModelFileError(f"{path} has no 'spec' entry; it is incomplete or was edited. {RUN_HINT}") from None
    except NNBlocksError as error:
        raise ModelFileError(f"{path} holds an invalid run spec: {error}") from None
    stop_reason = document.get("stop_reason")
    return spec, stop_reason if isinstance(stop_reason, str) else None


def write_empty_history(path: Path) -> Path:
    """A history with no finished epoch (Ctrl-C during the first one): just the header."""
    return atomic_write_text(path, "epoch\n")


def run_folder(path: str | os.PathLike) -> Path:
    """Check that ``path`` is a run folder and return it; otherwise a ModelFileError that says why."""
    folder = Path(path)
    if not folder.exists():
        raise ModelFileError(f"The run folder {folder} does not exist. Fix: check the path; `nnblocks train` "
                             "prints the folder it writes.")
    if not folder.is_dir():
        raise ModelFileError(f"{folder} is a file, not a run folder. {RUN_HINT}")
    if not (folder / SPEC_JSON).is_file():
        raise ModelFileError(f"{folder} is not a run folder: it has no {SPEC_JSON}. {RUN_HINT}")
    return folder


def load_run(path: str | os.PathLike) -> RunResult:
    """Read a run folder written by ``train_run``: spec, model, history and metrics.

    Raises ModelFileError for a folder that is not a run or whose files are missing or damaged.

    Example:
        >>> run = load_run("runs/spiral-20250101-120000")   # doctest: +SKIP
        >>> run.metrics["test"]["accuracy"]                  # doctest: +SKIP
        0.976
    """
    folder = run_folder(path)
    spec, stop_reason = read_spec_json(folder / SPEC_JSON)
    model = Sequential.load(folder / MODEL_FOLDER)
    history = read_history_csv(folder / HISTORY_CSV)
    metrics = read_metrics_json(folder / METRICS_JSON)
    return RunResult(folder, spec, model, history, metrics, stop_reason)


def render_readme(result: RunResult, data_description: str, sizes: dict[str, int]) -> str:
    """The run folder's README.md: the data, the network, the training and the final metrics."""
    spec, model = result.spec, result.model
    task = model.task
    source = f"the CSV file `{spec.csv}` (target column `{spec.target}`)" if spec.csv else f"`{spec.dataset}`"
    generated = (f", {spec.n_samples} samples, noise {spec.noise:g}" if spec.csv is None else "")
    classes = f" Classes: {', '.join(model.class_names)}." if model.class_names else ""
    lines = [
        f"# Run {result.path.name}",
        "",
        f"Trained with nnblocks on {now_iso()}.",
        "",
        "## Data",
        "",
        f"Data: {source}{generated}. {data_description}",
        "",
        f"Task: {task}.{classes} Split (seed {spec.seed}"
        f"{', stratified' if task != 'regression' else ''}): {sizes['train']} training, "
        f"{sizes['validation']} validation and {sizes['test']} test examples.",
        "",
        "## Network",
        "",
        "```",
        str(model.summary()),
        "```",
        "",
        f"Inputs: {', '.join(model.inputs.input_names)} (scaling: {spec.scaling or 'none'}). "
        f"L2 penalty {spec.l2:g}, dropout {spec.dropout:g}.",
        "",
        "## Training",
        "",
        f"Optimiser {spec.optimizer} (learning rate {spec.learning_rate:g}), batch size {spec.batch_size}, "
        f"{result.epochs_run} of {spec.epochs} epochs.",
    ]
    if result.stop_reason:
        lines += ["", f"**Stopped early:** {result.stop_reason}"]
    lines += ["", "## Final metrics", "", *markdown_metrics(result.metrics), "",
              "## Files", "",
              "- `model/`: model.json + model.safetensors; load with `nnblocks.Sequential.load(\"model\")`",
              "- `history.csv`: one row per epoch",
              "- `metrics.json`: the table above",
              "- `spec.json`: the settings; `nnblocks evaluate <this folder>` rebuilds the same splits", "",
              *figures_section(result.figures, result.figure_notes)]
    return "\n".join(lines)


FIGURES_HEADING = "## Figures"


def figures_section(figures: dict[str, str], notes: list[str]) -> list[str]:
    """The README's last section: one line per figure file, then any notes; nothing if there is neither."""
    if not figures and not notes:
        return []
    lines = [FIGURES_HEADING, ""]
    lines += [f"- `{file}`: {FIGURE_DESCRIPTIONS.get(name, name)}" for name, file in figures.items()]
    if figures:
        lines += ["", "Draw them again (other resolution, plane or frames) with `nnblocks plot <this folder>`."]
    if notes:
        lines += ["", *notes]
    return [*lines, ""]


def update_readme_figures(folder: Path, figures: dict[str, str], notes: list[str] = ()) -> Path | None:
    """Replace the README's figures section (or append one); a run without README.md is left alone."""
    path = Path(folder) / README_MD
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    start = text.find("\n" + FIGURES_HEADING + "\n")
    body = text[:start + 1] if start >= 0 else text.rstrip("\n") + "\n\n"
    return atomic_write_text(path, body + "\n".join(figures_section(figures, list(notes))))


def markdown_metrics(metrics: dict[str, dict[str, float]]) -> list[str]:
    names = list(dict.fromkeys(name for values in metrics.values() for name in values))
    lines = ["| split | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for split, values in metrics.items():
        cells = [f"{values[name]:.4f}" if name in values else "" for name in names]
        lines.append(f"| {split} | " + " | ".join(cells) + " |")
    return lines
