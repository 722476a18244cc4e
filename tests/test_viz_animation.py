"""TrainingRecorder and save_training_gif: the epochs recorded are the ones asked for, one GIF frame each."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from nnblocks import Dense, Inputs, ParameterError, ParameterTypeError, Sequential, load_dataset
from nnblocks.errors import DataError
from nnblocks.training.callbacks import Callback
from nnblocks.viz.animation import TrainingRecorder, planned_epochs, render_frames, save_training_gif


def small_model(outputs: int = 1) -> Sequential:
    return Sequential([Dense(4, activation="tanh"), Dense(outputs)], inputs=Inputs(scaling="standard"), seed=0)


@pytest.fixture(scope="module")
def xor():
    data = load_dataset("xor", n_samples=80, seed=0)
    return np.asarray(data.x), np.asarray(data.y)


def fit_with(recorder, x, y, epochs: int, model=None, callbacks=()):
    model = model or small_model()
    model.fit(x, y, epochs=epochs, batch_size=20, learning_rate=0.05, callbacks=[recorder, *callbacks],
              verbose=False)
    return model


def gif_frames(path) -> list[np.ndarray]:
    with Image.open(path) as image:
        frames = []
        for index in range(image.n_frames):
            image.seek(index)
            frames.append(np.asarray(image.convert("RGB")))
        return frames


# --- which epochs ----------------------------------------------------------------------------------
@pytest.mark.parametrize("count, total, expected", [
    (5, 300, [1, 76, 151, 225, 300]),
    (1, 300, [300]),
    (2, 7, [1, 7]),
    (7, 7, [1, 2, 3, 4, 5, 6, 7]),
    (20, 7, [1, 2, 3, 4, 5, 6, 7]),   # more frames than epochs: one per epoch
])
def test_a_frame_count_spreads_evenly_and_ends_on_the_last_epoch(count, total, expected):
    assert planned_epochs(count, total) == expected


@pytest.mark.parametrize("count, total", [(20, 300), (3, 4), (13, 1000), (50, 51)])
def test_a_frame_count_gives_that_many_distinct_epochs(count, total):
    epochs = planned_epochs(count, total)
    assert len(epochs) == count == len(set(epochs))
    assert epochs[0] == 1 and epochs[-1] == total and epochs == sorted(epochs)


def test_none_records_every_epoch_and_a_list_those_epochs():
    assert planned_epochs(None, 4) == [1, 2, 3, 4]
    assert planned_epochs((7, 1, 3, 3), 10) == [1, 3, 7]


def test_epochs_beyond_the_run_are_refused_when_training_starts(xor):
    x, y = xor
    with pytest.raises(ParameterError, match="'epochs' parameter of TrainingRecorder.*between 1 and 5"):
        fit_with(TrainingRecorder(x, y, epochs=[2, 9]), x, y, epochs=5)


@pytest.mark.parametrize("epochs, error", [(0, ParameterError), ([0, 3], ParameterError), ("all", ParameterTypeError),
                                           ([], ParameterTypeError), (2.5, ParameterTypeError)])
def test_bad_epochs_are_refused(xor, epochs, error):
    x, y = xor
    with pytest.raises(error, match="epochs"):
        TrainingRecorder(x, y, epochs=epochs)


# --- recording --------------------------------------------------------------------------------------
def test_the_recorder_records_exactly_the_epochs_asked_for(xor):
    x, y = xor
    recorder = TrainingRecorder(x, y, epochs=[1, 3, 7], resolution=12)
    fit_with(recorder, x, y, epochs=8)
    assert recorder.epochs == [1, 3, 7]
    assert len(recorder.history["loss"]) == 8 and recorder.frames[0].value.shape == (12, 12)


def test_a_count_records_that_many_frames_including_the_last_epoch(xor):
    x, y = xor
    recorder = TrainingRecorder(x, y, epochs=4, resolution=10)
    fit_with(recorder, x, y, epochs=10)
    assert recorder.epochs == [1, 4, 7, 10]


def test_frames_hold_what_the_model_predicted_then(xor):
    x, y = xor
    recorder = TrainingRecorder(x, y, epochs=None, resolution=10)
    model = fit_with(recorder, x, y, epochs=3)
    last = recorder.frames[-1]
    probability = model.predict_proba(recorder.plane.to_inputs(recorder.plane.points))[:, 1]
    np.testing.assert_allclose(last.value.ravel(), probability, atol=1e-6)
    assert not np.allclose(recorder.frames[0].value, last.value)  # the boundary moved while training


def test_a_run_that_stops_early_ends_on_its_last_epoch(xor):
    x, y = xor

    class StopAfterThree(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == 3:
                self.model.stop_training = True

    recorder = TrainingRecorder(x, y, epochs=[1, 2, 5], resolution=8)
    fit_with(recorder, x, y, epochs=6, callbacks=[StopAfterThree()])
    assert recorder.epochs == [1, 2, 3]


def test_the_plane_is_fixed_once_from_the_data(xor):
    x, y = xor
    recorder = TrainingRecorder(x, y, epochs=2, resolution=9)
    plane = recorder.plane
    fit_with(recorder, x, y, epochs=4)
    assert recorder.plane is plane and plane.first.shape == (9, 9)
    assert plane.first.min() < x[:, 0].min() and plane.first.max() > x[:, 0].max()


# --- the GIF -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("frames, epochs", [(5, 12), (3, 3), (1, 4)])
def test_the_gif_has_one_frame_per_recorded_epoch(tmp_path, xor, frames, epochs):
    x, y = xor
    recorder = TrainingRecorder(x, y, epochs=frames, resolution=16, x_test=x[:10], y_test=y[:10])
    fit_with(recorder, x, y, epochs=epochs)
    path = save_training_gif(recorder, tmp_path / "training.gif", fps=8)
    assert path == tmp_path / "training.gif"
    with Image.open(path) as image:
        assert image.format == "GIF" and image.n_frames == frames
        assert image.info.get("loop") == 0  # loops forever
    assert sorted(item.name for item in tmp_path.iterdir()) == ["training.gif"]  # atomic: no temporary file left


def test_gif_frames_differ_and_share_one_size(tmp_path, xor):
    x, y = xor
    recorder = TrainingRecorder(x, y, epochs=4, resolution=16)
    fit_with(recorder, x, y, epochs=8)
    frames = gif_frames(save_training_gif(recorder, tmp_path / "t.gif"))
    assert len({frame.shape for frame in frames}) == 1
    assert all(not np.array_equal(first, second) for first, second in zip(frames, frames[1:]))


@pytest.mark.parametrize("dataset, outputs", [("spiral_classes", 3), ("plane", 1)])
def test_multiclass_and_regression_runs_animate_too(tmp_path, dataset, outputs):
    data = load_dataset(dataset, n_samples=90, seed=0)
    x, y = np.asarray(data.x), np.asarray(data.y)
    recorder = TrainingRecorder(x, y, epochs=3, resolution=12)
    fit_with(recorder, x, y, epochs=3, model=small_model(outputs))
    with Image.open(save_training_gif(recorder, tmp_path / "t.gif")) as image:
        assert image.n_frames == 3


def test_rendering_reuses_one_figure_and_keeps_its_size(xor):
    x, y = xor
    recorder = TrainingRecorder(x, y, epochs=3, resolution=10)
    fit_with(recorder, x, y, epochs=3)
    images = render_frames(recorder, dpi=50)
    assert len(images) == 3 and len({image.size for image in images}) == 1
    assert images[0].size == (480, 210)  # 9.6 x 4.2 inches at 50 dpi


def test_drawing_an_unused_recorder_says_what_to_do(tmp_path, xor):
    x, y = xor
    with pytest.raises(DataError, match="fit\\(callbacks=\\[recorder\\]\\)"):
        save_training_gif(TrainingRecorder(x, y, epochs=3), tmp_path / "t.gif")
    with pytest.raises(ParameterTypeError, match="recorder"):
        save_training_gif("not a recorder", tmp_path / "t.gif")


def test_the_recorder_watches_a_torch_trained_model_too(xor):
    pytest.importorskip("torch")
    x, y = xor
    recorder = TrainingRecorder(x, y, epochs=2, resolution=8)
    model = small_model()
    model.fit(x, y, epochs=3, batch_size=20, learning_rate=0.05, callbacks=[recorder], verbose=False, engine="torch")
    assert recorder.epochs == [1, 3]
    probability = model.predict_proba(recorder.plane.to_inputs(recorder.plane.points))[:, 1]
    np.testing.assert_allclose(recorder.frames[-1].value.ravel(), probability, atol=1e-5)
