"""Run figures: `nnblocks train` writes them for 2-D data (not with --no-plots, not for other data),
`nnblocks plot` draws them again, and write_run_figures works from a folder or from memory."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from typer.main import get_command
from typer.testing import CliRunner

from conftest import write_shapes_csv
from nnblocks import ParameterError
from nnblocks.cli.main import app
from nnblocks.runs import FIGURE_FILES, RunSpec, load_run, load_run_data, split_run_data, train_run
from nnblocks.viz.animation import TrainingRecorder
from nnblocks.viz.run_figures import write_run_figures

FIVE = sorted(FIGURE_FILES.values())
SMALL = ["--samples", "80", "--epochs", "6", "--hidden", "4", "--seed", "1"]
runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def figure_files(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name in FIGURE_FILES.values())


def gif_frame_count(path: Path) -> int:
    with Image.open(path) as image:
        return image.n_frames


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("figures") / "xor"
    result = invoke("train", "--dataset", "xor", *SMALL, "--out", folder)
    assert result.exit_code == 0, result.output
    return folder


# --- nnblocks train ----------------------------------------------------------------------------------
def test_train_on_2d_data_writes_all_five_figures(xor_run):
    assert figure_files(xor_run) == FIVE
    assert gif_frame_count(xor_run / "training.gif") == 6  # 20 frames asked, the run has 6 epochs: one each
    for name in FIVE:
        if name.endswith(".png"):
            with Image.open(xor_run / name) as image:
                assert image.format == "PNG" and min(image.size) > 200
    assert not list(xor_run.rglob(".*.tmp"))


def test_the_figures_are_listed_in_the_readme_and_the_output(tmp_path):
    result = invoke("train", "--dataset", "circle", *SMALL, "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "Figures: decision_boundary.png, neurons.png, network.png, loss.png, training.gif" in result.stdout
    readme = (tmp_path / "run" / "README.md").read_text()
    assert "## Figures" in readme and all(f"`{name}`" in readme for name in FIVE)


def test_no_plots_writes_none(tmp_path):
    result = invoke("train", "--dataset", "xor", *SMALL, "--out", tmp_path / "run", "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    assert figure_files(tmp_path / "run") == [] and "Figures:" not in result.stdout
    assert "## Figures" not in (tmp_path / "run" / "README.md").read_text()


def test_data_with_more_than_two_features_gets_no_figures_and_a_pointer_to_plot(tmp_path):
    result = invoke("train", "--dataset", "iris", "--epochs", "3", "--hidden", "4", "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert figure_files(tmp_path / "run") == []
    flat = " ".join(result.stdout.split())
    assert "No figures: the data has 4 input columns" in flat and "nnblocks plot RUN --method pca" in flat
    assert "No figures" in (tmp_path / "run" / "README.md").read_text()


def test_two_columns_of_which_one_is_categorical_get_no_figures(tmp_path):
    path = tmp_path / "shapes.csv"
    write_shapes_csv(path)
    result = invoke("train", "--csv", path, "--target", "label", "--epochs", "2", "--hidden", "3",
                    "--out", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert figure_files(tmp_path / "run") == [] and "not two numeric ones" in " ".join(result.stdout.split())


def test_training_again_into_a_folder_removes_figures_of_the_earlier_run(tmp_path, xor_run):
    folder = tmp_path / "run"
    shutil.copytree(xor_run, folder)
    result = invoke("train", "--dataset", "xor", *SMALL, "--out", folder, "--no-plots", "-q")
    assert result.exit_code == 0, result.output
    assert figure_files(folder) == []  # they showed the old model


# --- nnblocks plot ---------------------------------------------------------------------------------------
def test_plot_regenerates_every_figure(tmp_path, xor_run):
    folder = tmp_path / "run"
    shutil.copytree(xor_run, folder)
    for name in FIVE:
        (folder / name).unlink()
    result = invoke("plot", folder, "--resolution", "60", "--frames", "4")
    assert result.exit_code == 0, result.output
    assert figure_files(folder) == FIVE
    assert gif_frame_count(folder / "training.gif") == 4
    flat = " ".join(result.stdout.split())
    assert "training the run again from spec.json (seed 1, 6 epochs)" in flat
    assert "differ" not in flat  # the retrained run is the saved one, weight for weight (else a note says so)
    assert "## Figures" in (folder / "README.md").read_text()


def test_plot_only_some_figures_into_another_folder(tmp_path, xor_run):
    result = invoke("plot", xor_run, "--only", "loss,decision_boundary", "--resolution", "40", "--out", tmp_path / "f")
    assert result.exit_code == 0, result.output
    assert figure_files(tmp_path / "f") == ["decision_boundary.png", "loss.png"]
    assert "training again" not in result.stdout


def test_plot_a_four_feature_run_on_the_pca_plane_and_on_a_slice(tmp_path):
    folder = tmp_path / "iris"
    assert invoke("train", "--dataset", "iris", "--epochs", "3", "--hidden", "4", "--out", folder, "-q").exit_code == 0
    result = invoke("plot", folder, "--method", "pca", "--resolution", "40", "--frames", "2")
    assert result.exit_code == 0, result.output
    assert figure_files(folder) == FIVE and gif_frame_count(folder / "training.gif") == 2
    result = invoke("plot", folder, "--method", "slice", "--features", "3,petal width (cm)", "--resolution", "30",
                    "--only", "decision_boundary", "--out", tmp_path / "slice")
    assert result.exit_code == 0, result.output
    assert figure_files(tmp_path / "slice") == ["decision_boundary.png"]


@pytest.mark.parametrize("args, fragment", [
    (["--only", "boundary"], "--only takes figure names"),
    (["--features", "x1"], "--features takes two column names"),
    (["--method", "pca", "--features", "x1,x2"], "--features chooses the columns of a slice"),
    (["--method", "sideways"], "method"),
    (["--resolution", "1"], "resolution"),
])
def test_plot_errors_are_one_line(xor_run, args, fragment):
    result = invoke("plot", xor_run, *args)
    assert result.exit_code == 2, result.output
    assert "Error:" in result.stderr and "Traceback" not in result.output
    assert fragment in " ".join(result.output.split())


def test_plot_on_a_folder_that_is_not_a_run(tmp_path):
    result = invoke("plot", tmp_path)
    assert result.exit_code == 2 and "is not a run folder" in " ".join(result.stderr.split())


def test_plot_help_and_readme_name_every_option():
    result = invoke("plot", "--help")
    assert result.exit_code == 0 and "--frames" in result.stdout and "--only" in result.stdout
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `nnblocks plot")[1].split("\n## ")[0]
    options = {option for param in get_command(app).commands["plot"].params for option in param.opts
               if option.startswith("--") and option != "--help"}
    assert options == set(re.findall(r"`(--[a-z0-9-]+)", section))


# --- the library ------------------------------------------------------------------------------------------
def test_train_run_figures_in_python(tmp_path):
    result = train_run(RunSpec(dataset="gauss", n_samples=60, hidden=(3,), epochs=4), tmp_path / "run",
                       progress=False, figures=["loss", "training"], frames=3)
    assert result.figures == {"loss": "loss.png", "training": "training.gif"}
    assert figure_files(tmp_path / "run") == ["loss.png", "training.gif"]
    assert gif_frame_count(tmp_path / "run" / "training.gif") == 3
    with pytest.raises(ParameterError, match="names among"):
        train_run(RunSpec(dataset="gauss", n_samples=60, epochs=1), tmp_path / "bad", progress=False,
                  figures=["boundary"])


def test_figures_from_memory_need_the_recorder_for_the_gif(tmp_path):
    spec = RunSpec(dataset="xor", n_samples=60, hidden=(3,), epochs=3)
    run = train_run(spec, tmp_path / "run", progress=False)
    split = split_run_data(spec, load_run_data(spec))
    report = write_run_figures((run.model, split, run.history), tmp_path / "a", resolution=30)
    assert sorted(path.name for path in report.written.values()) == sorted(set(FIVE) - {"training.gif"})
    assert "TrainingRecorder" in report.skipped["training"]

    recorder = TrainingRecorder(split.x_train, split.y_train, epochs=2, resolution=20)
    run.model.fit(split.x_train, split.y_train, epochs=2, callbacks=[recorder], verbose=False)
    report = write_run_figures((run.model, split, run.model.history), tmp_path / "b", ["training"], recorder=recorder)
    assert gif_frame_count(report.written["training"]) == 2


def test_retraining_reproduces_the_saved_run(tmp_path, xor_run):
    report = write_run_figures(xor_run, tmp_path, ["training"], frames=3)
    assert gif_frame_count(report.written["training"]) == 3
    assert report.retrained and report.notes == []  # no note that the retrained weights differ from the saved
    assert write_run_figures(load_run(xor_run), tmp_path, ["training"], retrain=False).skipped["training"]


def test_a_network_without_hidden_layers_gets_every_figure(tmp_path):
    run = train_run(RunSpec(dataset="gauss", n_samples=60, hidden=(), epochs=2), tmp_path / "run", progress=False,
                    figures=True, frames=2)
    assert sorted(run.figures.values()) == FIVE and run.figure_notes == []
