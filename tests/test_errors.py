"""Bad input gets a clear error: the parameter, what was expected, what was received, a fix.

One test per class of mistake a user makes, each checked against message fragments.
"""

import numpy as np
import pandas as pd
import pytest

from nnblocks import (DataError, Dense, Inputs, ModelFileError, NotFittedError, ParameterError, ParameterTypeError,
                      Sequential, read_csv)


def small_model(**kwargs):
    return Sequential([Dense(4, activation="tanh"), Dense(1)], inputs=Inputs(), **kwargs)


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 2))
    return x, (x[:, 0] > 0).astype(int)


@pytest.fixture
def fitted(data):
    model = small_model()
    model.fit(*data, epochs=2, verbose=False)
    return model


def test_nan_in_x(data):
    x, y = data
    x = x.copy()
    x[3, 1] = np.nan
    with pytest.raises(DataError, match=r"(?s)'x2'.*1 NaN value.*row 3.*Fix"):
        small_model().fit(x, y, verbose=False)


def test_infinity_in_x(data):
    x, y = data
    x = x.copy()
    x[5, 0] = np.inf
    with pytest.raises(DataError, match=r"(?s)'x1'.*infinite.*row 5.*Fix"):
        small_model().fit(x, y, verbose=False)


def test_one_dimensional_x(data):
    x, y = data
    with pytest.raises(DataError, match=r"(?s)2-D.*reshape"):
        small_model().fit(x[:, 0], y, verbose=False)


def test_zero_rows(data):
    with pytest.raises(DataError, match="(?i)no rows|zero rows|0 rows"):
        small_model().fit(np.empty((0, 2)), np.empty(0), verbose=False)


def test_text_in_a_numeric_column(data):
    x, y = data
    frame = pd.DataFrame({"amount": x[:, 0].astype(object), "age": x[:, 1]})
    frame.loc[7, "amount"] = "twelve"
    model = small_model()
    model.fit(pd.DataFrame({"amount": x[:, 0], "age": x[:, 1]}), y, epochs=1, verbose=False)
    with pytest.raises(DataError, match=r"(?s)amount.*twelve"):
        model.predict(frame)


def test_wrong_number_of_features(fitted, data):
    x, _ = data
    with pytest.raises(DataError, match=r"(?s)2 features.*3"):
        fitted.predict(np.hstack([x, x[:, :1]]))


def test_unknown_activation_lists_the_valid_ones():
    with pytest.raises(ParameterError) as error:
        Dense(4, activation="relux")
    text = str(error.value)
    assert "'activation'" in text and "relux" in text
    for name in ("relu", "tanh", "sigmoid", "gelu", "softmax", "leaky_relu"):
        assert name in text


@pytest.mark.parametrize("units", [0, -3])
def test_non_positive_units(units):
    with pytest.raises(ParameterError, match=rf"(?s)'units'.*positive integer.*{units}"):
        Dense(units)


def test_non_integer_units():
    with pytest.raises(ParameterTypeError, match=r"'units'.*2.5"):
        Dense(2.5)


def test_missing_target_column(tmp_path):
    path = tmp_path / "data.csv"
    pd.DataFrame({"amount": [1, 2, 3], "label": [0, 1, 0]}).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"(?s)'amount', 'label'.*'lable'.*did you mean 'label'"):
        read_csv(path, target="lable")


def test_single_class_target(data):
    x, _ = data
    with pytest.raises(DataError, match="single class"):
        small_model().fit(x, np.ones(len(x), dtype=int), verbose=False)


def test_predicting_with_an_unfitted_model(data):
    with pytest.raises(NotFittedError, match=r"(?s)not fitted.*fit\(x, y\)"):
        small_model().predict(data[0])


def test_corrupt_model_file(fitted, tmp_path):
    folder = fitted.save(tmp_path / "model")
    weights = folder / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:40])
    with pytest.raises(ModelFileError, match="model.safetensors"):
        Sequential.load(folder)


def test_model_file_naming_an_unknown_layer_type(fitted, tmp_path):
    import json

    folder = fitted.save(tmp_path / "model")
    document = json.loads((folder / "model.json").read_text())
    document["config"]["layers"][0]["type"] = "os.system"
    (folder / "model.json").write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match=r"(?s)unknown layer type 'os.system'.*dense"):
        Sequential.load(folder)


def test_mismatched_lengths(data):
    x, y = data
    with pytest.raises(DataError, match=r"(?s)same number of rows.*40.*39"):
        small_model().fit(x, y[:-1], verbose=False)


def test_wrong_output_size_for_the_task(data):
    x, _ = data
    y = np.arange(len(x)) % 3
    with pytest.raises(DataError, match=r"(?s)3 output units.*Dense\(3\)"):
        small_model().fit(x, y, verbose=False)


@pytest.mark.parametrize("argument, value, fragment", [
    ("epochs", 0, "'epochs'"), ("batch_size", -1, "'batch_size'"), ("learning_rate", 0.0, "'learning_rate'"),
    ("optimizer", "adamm", "'adamw'"),
])
def test_bad_fit_arguments(data, argument, value, fragment):
    with pytest.raises((ParameterError, ParameterTypeError), match=fragment):
        small_model().fit(*data, **{argument: value}, verbose=False)
