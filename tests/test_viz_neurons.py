"""Neuron maps and the network diagram: what is drawn matches the model, number for number."""

import ast
import io
from pathlib import Path

import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.text import Text

from nnblocks import Activation, BatchNorm, Dense, Dropout, Inputs, Network, NotFittedError, Sequential, load_dataset
from nnblocks.errors import ParameterTypeError
from nnblocks.viz.network_diagram import plot_network
from nnblocks.viz.neurons import plot_neuron_maps
from nnblocks.viz.plane import make_plane
from nnblocks.viz.style import BLUE, ORANGE

RESOLUTION = 20


def fitted(layers, inputs=None, dataset="xor", epochs=30, n_samples=120):
    data = load_dataset(dataset, n_samples=n_samples, seed=0)
    model = Sequential(layers, inputs=inputs or Inputs(scaling="standard"), seed=0)
    model.fit(data.x, data.y, epochs=epochs, learning_rate=0.03, verbose=False)
    return model, data


@pytest.fixture(scope="module")
def xor_model():
    return fitted([Dense(4, activation="tanh"), Dense(3, activation="tanh"), Dense(1)])


@pytest.fixture(scope="module")
def derived_model():
    return fitted([Dense(4, activation="tanh"), Dense(1)], inputs=Inputs(derived=["x1*x2"], scaling="standard"))


def neuron_maps(figure: Figure) -> dict[str, AxesImage]:
    """gid -> image, for every neuron map in the figure (colour-scale bars excluded)."""
    images = [image for image in figure.findobj(AxesImage) if (image.get_gid() or "").startswith("neuron-map:")]
    return {image.get_gid(): image for image in images}


def grid_outputs(model, x):
    plane = make_plane(x, resolution=RESOLUTION)
    return plane, model.layer_outputs(plane.to_inputs(plane.points))


def texts(figure: Figure) -> list[str]:
    return [text.get_text() for text in figure.findobj(Text)]


def weight_lines(figure: Figure) -> list[Line2D]:
    return [line for line in figure.findobj(Line2D) if (line.get_gid() or "").startswith("weight:")]


# --- neuron maps ---------------------------------------------------------------------------------
def test_one_map_per_input_neuron_and_output(xor_model):
    model, data = xor_model
    figure = plot_neuron_maps(model, data.x, data.y, resolution=RESOLUTION)
    assert isinstance(figure, Figure)
    assert len(neuron_maps(figure)) == 2 + 4 + 3 + 1


def test_each_map_is_its_column_of_layer_outputs_on_the_grid(xor_model):
    model, data = xor_model
    figure = plot_neuron_maps(model, data.x, data.y, resolution=RESOLUTION)
    plane, outputs = grid_outputs(model, data.x)
    maps = neuron_maps(figure)
    for key, width in (("inputs", 2), ("dense", 4), ("dense_1", 3), ("dense_2", 1)):
        for unit in range(width):
            drawn = np.asarray(maps[f"neuron-map:{key}:{unit}"].get_array())
            assert drawn.shape == (RESOLUTION, RESOLUTION)
            np.testing.assert_array_equal(drawn, outputs[key][:, unit].reshape(plane.first.shape))
    assert maps["neuron-map:inputs:0"].origin == "lower"          # row 0 of the grid is the plane's bottom edge


def test_input_maps_show_the_derived_features_by_name(derived_model):
    model, data = derived_model
    figure = plot_neuron_maps(model, data.x, resolution=RESOLUTION)
    plane, outputs = grid_outputs(model, data.x)
    maps = neuron_maps(figure)
    assert model.inputs.output_names == ["x1", "x2", "x1*x2"]
    assert len(maps) == 3 + 4 + 1
    for unit in range(3):
        np.testing.assert_array_equal(np.asarray(maps[f"neuron-map:inputs:{unit}"].get_array()),
                                      outputs["inputs"][:, unit].reshape(plane.first.shape))
    assert {"x1", "x2", "x1*x2"} <= set(texts(figure))


def test_points_are_drawn_on_the_output_map_only(xor_model):
    model, data = xor_model
    figure = plot_neuron_maps(model, data.x, data.y, resolution=RESOLUTION)
    points = np.concatenate([collection.get_offsets() for collection in figure.findobj(PathCollection)])
    assert len(points) == len(data.x)
    left, right, bottom, top = neuron_maps(figure)["neuron-map:dense_2:0"].get_extent()
    assert np.all((points[:, 0] >= left) & (points[:, 0] <= right) & (points[:, 1] >= bottom) & (points[:, 1] <= top))
    without = plot_neuron_maps(model, data.x, resolution=RESOLUTION)
    assert not without.findobj(PathCollection)


def test_per_neuron_layers_are_folded_into_their_dense_layer():
    model, data = fitted([Dense(5), BatchNorm(), Activation("relu"), Dropout(0.2), Dense(1)], epochs=10)
    figure = plot_neuron_maps(model, data.x, data.y, resolution=RESOLUTION)
    plane, outputs = grid_outputs(model, data.x)
    maps = neuron_maps(figure)
    assert len(maps) == 2 + 5 + 1                      # BatchNorm, Activation, Dropout add no maps
    for unit in range(5):                               # the value after relu (dropout: identity at inference)
        np.testing.assert_array_equal(np.asarray(maps[f"neuron-map:dense:{unit}"].get_array()),
                                      outputs["activation"][:, unit].reshape(plane.first.shape))
    assert np.min(outputs["activation"]) >= 0
    assert any("batch_norm" in text and "relu" in text for text in texts(figure))


def test_wide_layers_are_capped_with_a_note():
    model, data = fitted([Dense(20, activation="relu"), Dense(1)], epochs=5)
    figure = plot_neuron_maps(model, data.x, resolution=RESOLUTION, max_neurons_per_layer=6)
    assert len(neuron_maps(figure)) == 2 + 6 + 1
    assert "+14 more" in texts(figure)
    assert len(weight_lines(figure)) == 2 * 6 + 6 * 1
    assert not weight_lines(plot_neuron_maps(model, data.x, resolution=RESOLUTION, show_weights=False))


def test_three_class_output_has_one_map_per_class_and_data_with_more_columns_uses_a_slice():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 3))
    y = np.array(["a", "b", "c"])[np.argmax(x, axis=1)]
    model = Sequential([Dense(4, activation="tanh"), Dense(3)], loss="softmax_cross_entropy",
                       inputs=Inputs(scaling="standard"), seed=0)
    model.inputs.adapt(x)                               # untrained weights are enough to check the layout
    model.build((3,))
    model.classes = np.array(["a", "b", "c"])
    figure = plot_neuron_maps(model, x, y, resolution=RESOLUTION, features=(0, 2))
    maps = neuron_maps(figure)
    assert len(maps) == 3 + 4 + 3
    assert {"class a", "class b", "class c"} <= set(texts(figure))
    assert any("slice" in text for text in texts(figure))


def test_maps_can_be_drawn_into_a_given_axes_or_figure(xor_model):
    model, data = xor_model
    figure = Figure(figsize=(8, 6))
    ax = figure.add_subplot()
    assert plot_neuron_maps(model, data.x, resolution=RESOLUTION, ax=ax) is figure
    assert len(neuron_maps(figure)) == 10
    other = Figure()
    assert plot_neuron_maps(model, data.x, resolution=RESOLUTION, fig=other) is other


def test_unfitted_or_unsuitable_models_are_refused():
    with pytest.raises(NotFittedError):
        plot_neuron_maps(Sequential([Dense(1)]), np.zeros((4, 2)))
    network = Network([Dense(1)]).build((2,))
    with pytest.raises(ParameterTypeError, match="layer_outputs"):
        plot_neuron_maps(network, np.zeros((4, 2)))


# --- the network diagram -----------------------------------------------------------------------------
def test_one_line_per_weight_width_by_size_colour_by_sign(xor_model):
    model, _ = xor_model
    figure = plot_network(model)
    lines = weight_lines(figure)
    dense_layers = [layer for layer in model.layers if isinstance(layer, Dense)]
    assert len(lines) == sum(layer.params["weight"].size for layer in dense_layers) == 2 * 4 + 4 * 3 + 3 * 1
    weights = []
    for line in lines:
        _, name, source, target = line.get_gid().split(":")
        weights.append(float(model[name].params["weight"][int(source), int(target)]))
    weights = np.array(weights)
    widths = np.array([line.get_linewidth() for line in lines])
    order = np.argsort(np.abs(weights))
    assert np.all(np.diff(widths[order]) >= 0)                          # monotonic in |w|
    assert widths[order][-1] > widths[order][0]
    for line, weight in zip(lines, weights):
        assert to_rgba(line.get_color()) == to_rgba(BLUE if weight >= 0 else ORANGE)


def test_every_bias_is_printed_including_the_output_bias(xor_model):
    model, _ = xor_model
    shown = texts(plot_network(model))
    for layer in model.layers:
        for bias in layer.params["bias"]:
            assert f"{bias:+.2f}" in shown
    assert f"{model.layers[-1].params['bias'][0]:+.2f}" in shown


def test_inputs_are_named_and_layers_titled(derived_model):
    model, _ = derived_model
    shown = texts(plot_network(model))
    assert {"x1", "x2", "x1*x2"} <= set(shown)
    assert any("tanh" in text and "dense" in text for text in shown)
    assert any("sigmoid" in text for text in shown)                    # how the output logit is read


def test_the_diagram_caps_wide_layers():
    model, _ = fitted([Dense(20, activation="relu"), Dense(1)], epochs=5)
    figure = plot_network(model, max_neurons_per_layer=8)
    assert len(weight_lines(figure)) == 2 * 8 + 8 * 1
    assert "+12 more" in texts(figure)


def test_an_unbuilt_model_cannot_be_drawn():
    with pytest.raises(NotFittedError):
        plot_network(Sequential([Dense(1)]))


# --- rendering and imports ---------------------------------------------------------------------------
def test_both_figures_render_to_png(xor_model):
    model, data = xor_model
    for figure in (plot_neuron_maps(model, data.x, data.y, resolution=RESOLUTION), plot_network(model)):
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=40)
        assert buffer.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_pyplot_anywhere():
    """These modules, and every nnblocks module they import, build Figures without pyplot."""
    source = Path(__file__).resolve().parents[1] / "src"
    todo, seen = ["nnblocks.viz.neurons", "nnblocks.viz.network_diagram"], set()
    while todo:
        module = todo.pop()
        path = source / (module.replace(".", "/") + ".py")
        if module in seen or not path.exists():
            continue
        seen.add(module)
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else \
                [node.module] + [f"{node.module}.{alias.name}" for alias in node.names] \
                if isinstance(node, ast.ImportFrom) and node.module else []
            assert not any("pyplot" in name for name in names), f"{module} imports pyplot"
            todo.extend(name for name in names if name.startswith("nnblocks."))
    assert {"nnblocks.viz.plane", "nnblocks.viz.style"} <= seen
