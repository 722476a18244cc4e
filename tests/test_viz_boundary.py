"""Decision-boundary values and figures, and training-curve plots (nnblocks.viz).

The key promise: the colours painted on the grid are the classes ``model.predict`` gives
on the same points, for 2-D data and for slices and PCA planes of wider data. Figures are
checked by their artists (image, contour, scatter collections, title, caption), never by pixels.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.contour import ContourSet
from matplotlib.figure import Figure

from nnblocks import Dense, Inputs, NotFittedError, ParameterError, Sequential, load_dataset
from nnblocks.data import split_fraction
from nnblocks.viz.boundary import BoundaryValues, boundary_values, plot_decision_boundary
from nnblocks.viz.curves import history_png, plot_history
from nnblocks.viz.plane import make_plane

RESOLUTION = 30
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fitted(data, hidden, outputs, epochs, loss=None, activation="tanh", **fit_options):
    model = Sequential([*(Dense(units, activation=activation) for units in hidden), Dense(outputs)], loss=loss,
                       inputs=Inputs(scaling="standard"), seed=0)
    model.fit(data[0], data[1], epochs=epochs, learning_rate=0.02, verbose=False, **fit_options)
    return model


def halves(name, **options):
    data = load_dataset(name, **options)
    return split_fraction(data.x, data.y, 0.3, stratify=data.task != "regression", seed=0), data


@pytest.fixture(scope="module")
def spiral():
    split, data = halves("spiral", n_samples=240, noise=0.1, seed=0)
    return fitted(split, [8, 8], 1, epochs=40), split, data


@pytest.fixture(scope="module")
def spiral_classes():
    split, data = halves("spiral_classes", n_samples=240, noise=0.2, seed=0)
    return fitted(split, [16], 3, epochs=30), split, data


@pytest.fixture(scope="module")
def iris():
    split, data = halves("iris")
    return fitted(split, [8], 3, epochs=30), split, data


@pytest.fixture(scope="module")
def regression():
    split, data = halves("plane", n_samples=200, noise=0.1, seed=0)
    return fitted(split, [4], 1, epochs=20), split, data


def painted_by_predict(model, plane):
    """What the test expects: model.predict on the grid, labels turned into positions in model.classes."""
    labels = model.predict(plane.to_inputs(plane.points))
    positions = {label: index for index, label in enumerate(model.classes.tolist())}
    return np.array([positions[label] for label in labels.tolist()]).reshape(plane.first.shape)


# --- boundary values ------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, method, features", [
    ("spiral", "auto", (0, 1)),
    ("spiral_classes", "auto", (0, 1)),
    ("iris", "slice", (2, 3)),
    ("iris", "slice", (0, 3)),
    ("iris", "pca", (0, 1)),
])
def test_painted_classes_equal_predict(case, method, features, request):
    model, split, _ = request.getfixturevalue(case)
    plane = make_plane(split[0], resolution=RESOLUTION, method=method, features=features)
    values = boundary_values(model, plane)
    assert isinstance(values, BoundaryValues) and values.task == model.task
    assert values.classes.shape == (RESOLUTION, RESOLUTION)
    np.testing.assert_array_equal(values.classes, painted_by_predict(model, plane))
    # The painted classes are not a constant: a trained model shows at least two regions.
    assert len(np.unique(values.classes)) >= 2
    # Batching changes nothing.
    np.testing.assert_array_equal(boundary_values(model, plane, batch_size=97).classes, values.classes)


def test_binary_value_is_probability_of_class_one(spiral):
    model, split, _ = spiral
    plane = make_plane(split[0], resolution=RESOLUTION)
    values = boundary_values(model, plane)
    probabilities = model.predict_proba(plane.to_inputs(plane.points))
    np.testing.assert_allclose(values.value.ravel(), probabilities[:, 1], rtol=0, atol=1e-12)
    np.testing.assert_allclose(values.confidence.ravel(),
                               probabilities[np.arange(len(probabilities)), values.classes.ravel()], atol=1e-12)
    assert np.all(values.confidence >= 0.5 - 1e-6)


def test_multiclass_value_is_the_highest_probability(spiral_classes):
    model, split, _ = spiral_classes
    plane = make_plane(split[0], resolution=RESOLUTION)
    values = boundary_values(model, plane)
    probabilities = model.predict_proba(plane.to_inputs(plane.points))
    np.testing.assert_allclose(values.value.ravel(), probabilities.max(axis=1), atol=1e-12)
    np.testing.assert_allclose(values.confidence, values.value, atol=1e-12)
    assert np.all((values.confidence >= 1 / 3 - 1e-6) & (values.confidence <= 1))


def test_regression_value_is_the_prediction(regression):
    model, split, _ = regression
    plane = make_plane(split[0], resolution=RESOLUTION)
    values = boundary_values(model, plane)
    assert values.task == "regression" and values.classes is None and values.confidence is None
    np.testing.assert_allclose(values.value.ravel(), model.predict(plane.to_inputs(plane.points)), atol=1e-12)


def test_hinge_model_paints_predict_and_reads_confidence_from_the_margin():
    split, _ = halves("xor", n_samples=200, noise=0.0, seed=1)
    model = fitted(split, [8], 1, epochs=30, loss="hinge")
    plane = make_plane(split[0], resolution=RESOLUTION)
    values = boundary_values(model, plane)
    np.testing.assert_array_equal(values.classes, painted_by_predict(model, plane))
    scores = model.decision_function(plane.to_inputs(plane.points))[:, 0]
    np.testing.assert_allclose(values.value.ravel(), np.clip((1 + scores) / 2, 0, 1), atol=1e-12)
    assert np.all((values.confidence >= 0.5) & (values.confidence <= 1))
    figure = plot_decision_boundary(model, split[0], split[1], resolution=RESOLUTION)
    assert "margin" in figure.axes[0].images[0].colorbar.ax.get_ylabel()


# --- the boundary figure -----------------------------------------------------------------------------------
def scatter_gids(ax) -> set[str]:
    return {collection.get_gid() for collection in ax.collections if isinstance(collection, PathCollection)}


def texts_of(ax) -> str:
    return " ".join(text.get_text() for text in ax.texts)


def test_binary_figure_has_map_boundary_points_and_metrics(spiral):
    model, split, data = spiral
    figure = plot_decision_boundary(model, split[0], split[1], x_test=split[2], y_test=split[3],
                                    resolution=RESOLUTION, class_names=data.class_names, title="Spiral")
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert len(ax.images) == 1
    assert sum(isinstance(collection, ContourSet) for collection in ax.collections) == 1
    assert {"train-points", "test-points", "misclassified-points"} <= scatter_gids(ax)
    train, test = model.evaluate(split[0], split[1]), model.evaluate(split[2], split[3])
    title = ax.get_title()
    assert title.startswith("Spiral\n")
    assert f"accuracy: train {train['accuracy']:.1%} · test {test['accuracy']:.1%}" in title
    # One red ring per misclassified point, training and test together; the legend counts them.
    wrong = sum(int(np.sum(model.predict(x) != y)) for x, y in ((split[0], split[1]), (split[2], split[3])))
    rings = next(c for c in ax.collections if c.get_gid() == "misclassified-points")
    assert len(rings.get_offsets()) == wrong
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["negative", "positive", "train", "test", f"misclassified ({wrong})"]
    assert ax.get_xlabel() == "x1" and ax.get_ylabel() == "x2"
    assert "slice" not in texts_of(ax)                               # 2-D data: no plane caption
    assert figure_png(figure).startswith(PNG_SIGNATURE)


def figure_png(figure):
    from nnblocks.viz.style import figure_to_png
    return figure_to_png(figure)


def test_multiclass_figure_paints_class_colours_and_borders(spiral_classes):
    model, split, _ = spiral_classes
    figure = plot_decision_boundary(model, split[0], split[1], x_test=split[2], y_test=split[3],
                                    resolution=RESOLUTION, show_test=False)
    ax = figure.axes[0]
    image = ax.images[0].get_array()
    assert image.shape == (RESOLUTION, RESOLUTION, 3)                # an RGB image: class colour × confidence
    contour = next(c for c in ax.collections if isinstance(c, ContourSet))
    assert len(contour.levels) >= 1
    assert "test-points" not in scatter_gids(ax)                    # show_test=False hides them...
    assert "· test " in ax.get_title()                              # ...but the metric is still reported
    assert figure_png(figure).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("method, words", [("slice", "slice through petal length (cm) and petal width (cm)"),
                                           ("pca", "principal components")])
def test_wide_data_figure_names_its_plane(iris, method, words):
    model, split, data = iris
    figure = plot_decision_boundary(model, split[0], split[1], x_test=split[2], y_test=split[3], method=method,
                                    features=(2, 3), feature_names=data.feature_names, resolution=RESOLUTION)
    ax = figure.axes[0]
    caption = next(text for text in ax.texts if text.get_gid() == "plane-caption")
    assert words in caption.get_text().replace("\n", " ")
    expected = ("PC 1", "PC 2") if method == "pca" else (data.feature_names[2], data.feature_names[3])
    assert (ax.get_xlabel(), ax.get_ylabel()) == expected
    assert figure_png(figure).startswith(PNG_SIGNATURE)


def test_discretize_paints_hard_classes(spiral):
    model, split, _ = spiral
    figure = plot_decision_boundary(model, split[0], split[1], resolution=RESOLUTION, discretize=True)
    image = figure.axes[0].images[0].get_array()
    assert image.ndim == 3
    assert len(np.unique(image.reshape(-1, 3), axis=0)) == 2         # two flat colours, no shading


def test_regression_figure_reports_r2_and_rmse(regression):
    model, split, _ = regression
    figure = plot_decision_boundary(model, split[0], split[1], x_test=split[2], y_test=split[3],
                                    resolution=RESOLUTION)
    ax = figure.axes[0]
    train = model.evaluate(split[0], split[1])
    assert f"R²: train {train['r2']:.3g}" in ax.get_title() and "RMSE: train" in ax.get_title()
    assert "misclassified-points" not in scatter_gids(ax)
    assert figure_png(figure).startswith(PNG_SIGNATURE)


def test_draws_into_a_given_axes(spiral):
    model, split, _ = spiral
    figure = Figure()
    left, right = figure.subplots(1, 2)
    returned = plot_decision_boundary(model, split[0], split[1], resolution=RESOLUTION, ax=right, colorbar=False)
    assert returned is figure and len(right.images) == 1 and len(left.images) == 0


def test_unfitted_model_is_refused_with_a_fix():
    model = Sequential([Dense(4, activation="tanh"), Dense(1)])
    plane = make_plane(np.random.default_rng(0).normal(size=(20, 2)), resolution=5)
    with pytest.raises(NotFittedError, match="model.fit"):
        boundary_values(model, plane)


def test_numeric_labels_read_as_class_names(spiral):
    model, split, _ = spiral
    figure = plot_decision_boundary(model, split[0], split[1], resolution=RESOLUTION)
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert legend[:2] == ["class 0", "class 1"]
    assert figure.axes[0].images[0].colorbar.ax.get_ylabel() == "P(class 1)"


def test_wrong_number_of_class_names_is_refused(spiral):
    model, split, _ = spiral
    with pytest.raises(ParameterError, match="class_names"):
        plot_decision_boundary(model, split[0], split[1], resolution=RESOLUTION, class_names=["only one"])


def test_importing_viz_does_not_import_pyplot():
    code = ("import sys, nnblocks, nnblocks.viz, nnblocks.viz.boundary, nnblocks.viz.curves, nnblocks.viz.style; "
            "print('matplotlib.pyplot' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- training curves ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def history():
    split, _ = halves("xor", n_samples=200, noise=0.2, seed=2)
    model = Sequential([Dense(8, activation="tanh"), Dense(1)], inputs=Inputs(scaling="standard"), seed=0)
    return model.fit(split[0], split[1], epochs=25, learning_rate=0.05, validation_data=(split[2], split[3]),
                     verbose=False)


def best_line(ax):
    return next(line for line in ax.lines if line.get_gid() == "best-epoch")


def test_history_marks_the_best_validation_epoch(history):
    figure = plot_history(history)
    loss_axes, accuracy_axes = figure.axes
    best = history.best_epoch("val_loss") + 1                        # 1-based on the figure
    for ax in (loss_axes, accuracy_axes):
        assert best_line(ax).get_xdata()[0] == best
        assert f"best epoch {best}" in best_line(ax).get_label()
    assert [line.get_label() for line in loss_axes.lines[:2]] == ["training", "validation"]
    np.testing.assert_allclose(loss_axes.lines[0].get_xdata(), np.arange(1, len(history.epoch) + 1))
    assert accuracy_axes.get_title() == "Accuracy"


def test_history_without_validation_uses_the_training_loss():
    split, _ = halves("xor", n_samples=120, noise=0.1, seed=3)
    model = Sequential([Dense(4, activation="tanh"), Dense(1)], inputs=Inputs(scaling="standard"), seed=0)
    history = model.fit(split[0], split[1], epochs=8, learning_rate=0.05, verbose=False)
    figure = plot_history(history, metrics=["loss"], log_scale=True)
    ax = figure.axes[0]
    assert best_line(ax).get_xdata()[0] == history.best_epoch("loss") + 1
    assert ax.get_yscale() == "log"
    # A plain dict (e.g. read back from history.json) gives the same line.
    from_dict = plot_history(dict(history.history), metrics=["loss"]).axes[0]
    assert best_line(from_dict).get_xdata()[0] == history.best_epoch("loss") + 1


def test_history_png_and_bad_metric(history):
    assert history_png(history).startswith(PNG_SIGNATURE)
    with pytest.raises(ParameterError, match="metrics"):
        plot_history(history, metrics=["precision"])
