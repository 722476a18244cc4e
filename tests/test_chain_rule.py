"""The chain-rule inspector (nnblocks.analysis.chain_rule) and `nnblocks explain-step`.

The inspector computes the backward pass itself, from the formulas a learner reads
(∂L/∂z = f'(z) ⊙ ∂L/∂a, ∂L/∂W = a_prevᵀ ∂L/∂z, ...). These tests hold its numbers against
the engine (Network.backward on the same example, float64) and against central
differences, check that every written-out product multiplies to what it claims, and
drive the renderers, the figure and the command line.
"""

from __future__ import annotations

import io
import math
import re

import numpy as np
import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from nnblocks import BatchNorm, Dense, Dropout, Inputs, ParameterError, Sequential, gradient_check
from nnblocks.analysis.chain_rule import StepExplanation, explain_step, format_factor, format_number
from nnblocks.analysis.gradient_check import check_network
from nnblocks.cli.main import app
from nnblocks.runs import RunSpec, train_run
from nnblocks.viz.chain_rule import plot_chain_rule

ACTIVATIONS = ("tanh", "relu", "sigmoid")
LOSSES = ("binary_cross_entropy", "softmax_cross_entropy", "mse")
EXACT = 1e-12          # inspector vs engine: the same arithmetic, in float64
runner = CliRunner()


# --- small fitted models --------------------------------------------------------------------------
def fitted_model(activation: str, loss: str, seed: int = 0, hidden=(5, 4), extra_layers: bool = False,
                 l2: float = 0.0) -> tuple[Sequential, np.ndarray, np.ndarray]:
    """A little network of ``activation`` layers ending in ``loss``, fitted for a few epochs on 3-feature data."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(60, 3)) * [1.0, 2.0, 0.5] + [0.0, 1.0, -1.0]
    if loss == "binary_cross_entropy":
        y, outputs = np.where(x[:, 0] * x[:, 1] > 0, "yes", "no"), 1
    elif loss == "softmax_cross_entropy":
        y, outputs = np.array(["red", "green", "blue"])[np.digitize(x[:, 0] + 0.3 * x[:, 2], [-0.5, 0.5])], 3
    else:
        y, outputs = np.sin(x[:, 0]) + 0.5 * x[:, 1], 1
    layers = []
    for units in hidden:
        layers.append(Dense(units, activation=activation, l2=l2))
        if extra_layers:
            layers += [Dropout(0.3), BatchNorm()]
    layers.append(Dense(outputs, l2=l2))
    model = Sequential(layers, loss=loss, inputs=Inputs(scaling="standard"), seed=seed)
    model.fit(x, y, epochs=4, batch_size=8, learning_rate=0.05, verbose=False)
    return model, x, y


def engine_gradients(model: Sequential, x_row, y_row, training: bool = False):
    """Network.backward on the single example, on a float64 copy (as gradient_check builds one)."""
    config = model.get_config()
    config["dtype"] = "float64"
    copy = Sequential.from_config(config)
    copy.set_weights(model.get_weights())
    copy.classes = model.classes
    features, targets = copy._prepare(x_row, y_row)
    copy.compute_loss(features, targets, training)
    copy.backward(copy.loss.backward())
    return {name: gradient.copy() for name, gradient in copy.gradients.items()}, copy, features, targets


def largest_difference(first: dict, second: dict) -> float:
    assert sorted(first) == sorted(second)
    return max(float(np.max(np.abs(first[name] - second[name]))) for name in first)


CASES = [(activation, loss) for activation in ACTIVATIONS for loss in LOSSES]


@pytest.fixture(scope="module", params=CASES, ids=[f"{a}-{loss}" for a, loss in CASES])
def case(request):
    activation, loss = request.param
    model, x, y = fitted_model(activation, loss, seed=CASES.index(request.param))
    row = 7
    return model, x[row:row + 1], y[row:row + 1], explain_step(model, x[row:row + 1], y[row:row + 1])


# --- the numbers -------------------------------------------------------------------------------------
def test_gradients_equal_the_engine(case, record_error):
    model, x_row, y_row, step = case
    engine, *_ = engine_gradients(model, x_row, y_row)
    difference = largest_difference(step.gradients, engine)
    record_error("chain rule vs engine (abs)", difference)
    assert difference <= EXACT


def test_gradients_agree_with_central_differences(case, record_error):
    model, x_row, y_row, step = case
    _, copy, features, targets = engine_gradients(model, x_row, y_row)

    def loss_value() -> float:
        return copy.compute_loss(features, targets)[0]

    epsilon = 1e-6
    noise = 10 * np.finfo(np.float64).eps * max(1.0, abs(loss_value())) / epsilon   # rounding of the difference
    for name, parameter in copy.parameters.items():
        numerical = central_differences(loss_value, parameter, epsilon)
        analytic = step.gradients[name]
        absolute = float(np.max(np.abs(analytic - numerical)))
        scale = max(float(np.max(np.abs(analytic))), float(np.max(np.abs(numerical))))
        relative = max(absolute - noise, 0.0) / scale if scale else absolute
        record_error("chain rule vs central differences", absolute / scale if scale else absolute)
        assert relative <= 1e-6, f"{name}: relative error {relative:.2e}"
    assert gradient_check(model, x_row, y_row).passed    # the library's own check agrees on this example


def central_differences(function, array: np.ndarray, epsilon: float) -> np.ndarray:
    """(L(θ + ε) − L(θ − ε)) / 2ε for every entry of ``array`` (changed in place, then restored)."""
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        array[index] = original + epsilon
        plus = function()
        array[index] = original - epsilon
        minus = function()
        array[index] = original
        gradient[index] = (plus - minus) / (2 * epsilon)
    return gradient


def test_forward_values_match_the_model(case):
    model, x_row, y_row, step = case
    outputs = model.layer_outputs(x_row)
    np.testing.assert_allclose(step.features, outputs["inputs"][0], rtol=1e-6, atol=1e-6)
    for layer in step.layers:
        np.testing.assert_allclose(layer.outputs, outputs[layer.name][0], rtol=1e-5, atol=1e-5)  # model is float32
        np.testing.assert_allclose(layer.inputs @ layer.weight + layer.bias, layer.z, rtol=0, atol=1e-12)
    assert step.loss.total == pytest.approx(model.evaluate(x_row, y_row)["loss"], rel=1e-5)


def test_the_backward_formulas_hold_layer_by_layer(case):
    step = case[3]
    for layer in step.dense_layers:
        np.testing.assert_allclose(layer.grad_z, layer.derivative * layer.grad_outputs, rtol=0, atol=EXACT)
        np.testing.assert_allclose(layer.grad_weight, np.outer(layer.inputs, layer.grad_z), rtol=0, atol=EXACT)
        np.testing.assert_array_equal(layer.grad_bias, layer.grad_z)
        np.testing.assert_allclose(layer.grad_inputs, layer.weight @ layer.grad_z, rtol=0, atol=EXACT)
    for lower, upper in zip(step.layers, step.layers[1:]):
        np.testing.assert_array_equal(lower.grad_outputs, upper.grad_inputs)   # what goes down arrives
    np.testing.assert_array_equal(step.layers[-1].grad_outputs, step.loss.grad_scores)


def test_each_chain_product_multiplies_to_its_entry(case):
    step = case[3]
    assert len(step.chains) == len(step.dense_layers)
    for chain in step.chains:
        layer = step.layer(chain.layer)
        assert chain.value == layer.grad_weight[chain.row, chain.column]
        assert math.isclose(chain.product, chain.value, rel_tol=EXACT, abs_tol=1e-300)
        # the factors are the stored forward/backward values the tables show
        assert chain.factors[0].value == layer.inputs[chain.row]
        assert chain.factors[1].value == layer.derivative[chain.column]
        assert chain.factors[2].value == layer.grad_outputs[chain.column]
        # the default is the entry with the largest |∂L/∂W|
        assert abs(chain.value) == np.max(np.abs(layer.grad_weight))


def test_the_written_numbers_multiply_to_the_written_result(case):
    step = case[3]
    for digits, tolerance in ((12, 1e-9), (4, 2e-3)):
        for chain in step.chains:
            text = chain.text(digits)
            assert text.startswith(f"∂L/∂W[{chain.row},{chain.column}] = a_prev[{chain.row}] × "
                                   f"f'(z[{chain.column}]) × ∂L/∂a[{chain.column}] = ")
            numbers = text.split(" = ")[2]
            product = math.prod(parse(value) for value in numbers.split(" × "))
            result = parse(text.split(" = ")[3])
            assert product == pytest.approx(result, rel=tolerance, abs=1e-300)
            assert result == pytest.approx(chain.value, rel=10 ** -(digits - 1))


def test_upstream_sums_come_from_the_layer_above(case):
    step = case[3]
    dense = step.dense_layers
    assert dense[-1].upstream.source == "loss"
    for lower, upper in zip(dense, dense[1:]):
        upstream = lower.upstream
        assert upstream.source == upper.name
        assert [k for k, _, _ in upstream.terms] == list(range(len(upper.outputs)))
        total = sum(gradient * weight for _, gradient, weight in upstream.terms)
        assert total == pytest.approx(lower.grad_outputs[upstream.unit], rel=1e-12, abs=1e-15)
        assert upstream.value == lower.grad_outputs[upstream.unit]


def parse(text: str) -> float:
    return float(text.strip().strip("()").replace("−", "-"))


def test_dropout_batchnorm_and_l2_in_inference_mode(record_error):
    model, x, y = fitted_model("tanh", "softmax_cross_entropy", seed=3, extra_layers=True, l2=0.01)
    x_row, y_row = x[4:5], y[4:5]
    step = explain_step(model, x_row, y_row)
    engine, copy, features, targets = engine_gradients(model, x_row, y_row, training=False)
    difference = largest_difference(step.gradients, engine)
    record_error("chain rule vs engine (abs)", difference)
    assert difference <= EXACT
    report = check_network(copy, features, targets, training=False)
    assert report.passed, str(report)
    assert [layer.type_name for layer in step.layers][:3] == ["dense", "dropout", "batch_norm"]
    dropout = step.layers[1]
    np.testing.assert_array_equal(dropout.outputs, dropout.inputs)       # off in inference mode
    for chain in step.chains:
        assert chain.penalty is not None and "2·0.01·W" in chain.penalty.symbol
        assert math.isclose(chain.product, chain.value, rel_tol=EXACT)
        layer = step.layer(chain.layer)   # chosen by the chain-rule part, not the penalty term
        backprop = np.abs(np.outer(layer.inputs, layer.grad_z))
        assert backprop[chain.row, chain.column] == np.max(backprop)
    assert step.loss.penalty > 0
    upstream = step.dense_layers[0].upstream    # dense -> dropout -> batch_norm -> dense_1
    assert (upstream.source, upstream.through) == ("batch_norm", ["dropout"])
    assert upstream.value == step.layers[2].grad_inputs[upstream.unit]
    assert "inference mode" in step.mode_note and "penalty" in step.mode_note


def test_the_model_is_left_untouched():
    model, x, y = fitted_model("relu", "binary_cross_entropy", seed=5)
    before = model.get_weights()
    step = explain_step(model, x[:1], y[:1])
    assert model.dtype == np.float32
    after = model.get_weights()
    assert all(np.array_equal(before[name], after[name]) for name in before)
    assert step.layers[0].weight.dtype == np.float64


def test_row_shapes_and_frames_are_accepted():
    import pandas as pd

    model, x, y = fitted_model("tanh", "mse", seed=6)
    flat = explain_step(model, x[2], y[2])
    row = explain_step(model, x[2:3], y[2:3])
    frame = explain_step(model, pd.DataFrame(x[2:3], columns=["x1", "x2", "x3"]), y[2:3])
    for other in (row, frame):
        assert largest_difference(flat.gradients, other.gradients) == 0.0
    assert flat.raw_inputs == {"x1": x[2, 0], "x2": x[2, 1], "x3": x[2, 2]}
    with pytest.raises(ValueError, match="ONE example"):
        explain_step(model, x[:2], y[:2])


def test_a_chosen_weight_is_written_out():
    model, x, y = fitted_model("sigmoid", "softmax_cross_entropy", seed=7)
    step = explain_step(model, x[:1], y[:1], weights={"dense_1": (3, 2), 0: (1, 4)})
    first, second = step.dense_layers[:2]
    assert (first.chain.row, first.chain.column) == (1, 4)
    assert (second.chain.row, second.chain.column) == (3, 2)
    assert second.upstream.unit == 2 and first.upstream.unit == 4
    assert "a_prev[3] × f'(z[2]) × ∂L/∂a[2]" in second.chain.text()
    with pytest.raises(ParameterError, match=r"0 <= i <= 4 .*0 <= j <= 3"):
        explain_step(model, x[:1], y[:1], weights={"dense_1": (5, 0)})
    with pytest.raises(ParameterError, match="dense_2"):
        explain_step(model, x[:1], y[:1], weights={"nope": (0, 0)})


def test_number_formatting():
    assert format_number(-0.08157, 3) == "−0.0816"
    assert format_factor(-0.204, 3) == "(−0.204)"
    assert format_factor(0.5, 3) == "0.5"
    assert format_number(0.0) == "0"
    assert format_number(-1.23e-7) == "−1.23e−7"


# --- rendering ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def multiclass_step() -> StepExplanation:
    model, x, y = fitted_model("tanh", "softmax_cross_entropy", seed=8, hidden=(12, 4))
    return explain_step(model, x[5:6], y[5:6], description="example 5 of the test data")


def test_markdown_holds_every_layer_and_the_chain_lines(multiclass_step):
    text = multiclass_step.to_markdown()
    assert text.startswith("# The chain rule, one example")
    assert "example 5 of the test data" in text
    for layer in multiclass_step.layers:
        assert f"**{layer.name}: Dense {layer.shape_text}" in text
    for chain in multiclass_step.chains:
        assert f"{chain.symbol} = {chain.formula()}" in text
        assert chain.numbers(multiclass_step.digits) in text
    assert "softmax cross entropy" in text and "| k | s | p | y | ∂L/∂s |" in text
    assert "more units" not in text   # 12 units fit in a table


def test_html_holds_every_layer_and_the_chain_lines(multiclass_step):
    page = multiclass_step.to_html()
    fragment = multiclass_step._repr_html_()
    assert page.startswith("<!DOCTYPE html>") and "</html>" in page
    assert "<html" not in fragment and fragment.startswith('<div class="nnb-chain">')
    for layer in multiclass_step.layers:
        assert f"{layer.name}: Dense {layer.shape_text}" in fragment
    for chain in multiclass_step.chains:
        assert chain.numbers(multiclass_step.digits) in fragment
    assert fragment.count('class="chosen"') == len(multiclass_step.layers) + 1   # a row per layer + the input
    assert "<script" not in page


def test_rich_view_prints_tables_and_products(multiclass_step):
    from rich.console import Console

    console = Console(file=io.StringIO(), width=100, record=True)
    console.print(multiclass_step)
    text = console.export_text()
    for layer in multiclass_step.layers:
        assert f"{layer.name}: Dense {layer.shape_text}" in text
    assert "Backward pass, written out from the loss down" in text
    assert "▶" in text and "∂L/∂a[" in text and "Σₖ ∂L/∂z_next[k]" in text


def test_wide_layers_show_the_chosen_unit_and_the_largest():
    model, x, y = fitted_model("relu", "binary_cross_entropy", seed=9, hidden=(30,))
    step = explain_step(model, x[:1], y[:1])
    text = step.to_markdown()
    assert "more units" in text
    assert f"**▶ {step.dense_layers[0].chain.column}**" in text   # the chosen unit is always shown


def test_the_figure_renders(multiclass_step):
    figure = plot_chain_rule(multiclass_step, max_units=6)
    assert isinstance(figure, Figure)
    texts = [text.get_text() for text in figure.axes[0].texts]
    assert any("more" in text for text in texts)                      # 12 units, 6 drawn
    for chain in multiclass_step.chains:
        assert any(chain.symbol in text for text in texts)
    assert any(text.startswith("loss: softmax cross entropy") for text in texts)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=60)
    assert buffer.getvalue().startswith(b"\x89PNG")
    with pytest.raises(TypeError, match="StepExplanation"):
        plot_chain_rule("not an explanation")


# --- the command line ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_path(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explain") / "xor"
    train_run(RunSpec(dataset="xor", n_samples=80, hidden=(4, 3), epochs=3, seed=1), folder, progress=False)
    return folder


def invoke(*args):
    return runner.invoke(app, [str(arg) for arg in args])


def test_cli_prints_the_tables(run_path):
    result = invoke("explain-step", run_path, "--index", "2", "--split", "test")
    assert result.exit_code == 0, result.output
    for fragment in ("The chain rule, one example", "Example 2 of the test part", "dense: Dense 2 → 4",
                     "dense_1: Dense 4 → 3", "dense_2: Dense 3 → 1", "Loss: binary cross entropy",
                     "∂L/∂W[", "a_prev[", "Σₖ ∂L/∂z_next[k]"):
        assert fragment in result.stdout, fragment


def test_cli_writes_markdown_and_html(run_path, tmp_path):
    target = tmp_path / "step.md"
    result = invoke("explain-step", run_path, "--format", "markdown", "--out", target, "--weight", "dense_1:2,1")
    assert result.exit_code == 0, result.output
    text = target.read_text()
    assert text.startswith("# The chain rule") and "∂L/∂W[2,1] = a_prev[2] × f'(z[1]) × ∂L/∂a[1]" in text
    assert "Wrote the markdown explanation" in result.stderr
    page = tmp_path / "step.html"
    result = invoke("explain-step", run_path, "--out", page, "--plot", tmp_path / "chain.png")
    assert result.exit_code == 0, result.output
    assert page.read_text().startswith("<!DOCTYPE html>")
    assert (tmp_path / "chain.png").read_bytes().startswith(b"\x89PNG")
    assert not [path.name for path in tmp_path.iterdir() if path.name.endswith(".tmp")]


@pytest.mark.parametrize("arguments, fragments", [
    (["--index", "1000"], ["--index 1000 is out of range", "has 40 examples", "from 0 to 39"]),
    (["--index", "-1"], ["from 0 to 39"]),
    (["--split", "tests"], ["--split must be one of train, validation, test"]),
    (["--format", "pdf"], ["--format must be one of table, markdown, html"]),
    (["--weight", "dense_1"], ["--weight takes LAYER:i,j"]),
    (["--weight", "dense_1:9,0"], ["--weight for 'dense_1'", "0 <= i <= 3"]),
    (["--weight", "bogus:0,0"], ["--weight must be keyed by a Dense layer", "dense_1 (position 1"]),
])
def test_cli_errors(run_path, arguments, fragments):
    result = invoke("explain-step", run_path, *arguments)
    assert result.exit_code == 2, result.output
    assert "Error:" in result.stderr and "Traceback" not in result.output
    flat = " ".join(result.output.split())
    for fragment in fragments:
        assert fragment in flat, flat


def test_cli_names_a_missing_run(tmp_path):
    result = invoke("explain-step", tmp_path / "nothing")
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_cli_help_explains_what_a_learner_sees():
    result = invoke("explain-step", "--help")
    assert result.exit_code == 0
    flat = " ".join(result.output.split())
    for fragment in ("ONE example", "forward", "backward", "chain rule", "--weight", "LAYER:i,j"):
        assert fragment in flat, fragment
    assert re.search(r"explain-step", invoke("--help").output)
