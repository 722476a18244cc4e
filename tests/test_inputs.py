"""Tests of the Inputs building block (schema, derived features, one-hot encoding, scaling).

Expected values come from an independent computation: scikit-learn's StandardScaler,
MinMaxScaler(feature_range=(-1, 1)) and OneHotEncoder on the same data, or NumPy by hand.
"""

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, StandardScaler

from nnblocks.blocks.features import GRAMMAR, DerivedFeature, parse_feature
from nnblocks.blocks.inputs import Inputs
from nnblocks.errors import DataError, NotFittedError, ParameterError, ParameterTypeError


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.fixture
def frame(rng):
    """Mixed training data: numeric, text, numeric, bool and integer-code columns."""
    rows = 60
    return pd.DataFrame({
        "age": rng.normal(40, 12, rows),
        "color": rng.choice(["red", "green", "blue"], rows),
        "income": rng.lognormal(10, 1, rows),
        "member": rng.choice([True, False], rows),
        "code": rng.choice([2, 10, 7], rows),
    })


def round_trip(inputs):
    """Rebuild through JSON text, as a model file would."""
    return Inputs.from_config(json.loads(json.dumps(inputs.get_config())))


# --- agreement with scikit-learn ----------------------------------------------------------
def test_standard_scaling_matches_sklearn_and_uses_training_statistics_only(rng):
    train, test = rng.normal(3, 2, (200, 4)), rng.normal(-1, 5, (50, 4))
    inputs = Inputs().adapt(train)
    scaler = StandardScaler().fit(train)
    np.testing.assert_allclose(inputs.transform(train), scaler.transform(train), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(inputs.transform(test), scaler.transform(test), rtol=1e-12, atol=1e-12)
    # Written out, so the test does not lean on scikit-learn alone: test data uses TRAIN mean and std.
    np.testing.assert_allclose(inputs.transform(test), (test - train.mean(0)) / train.std(0), rtol=1e-12)
    assert not np.allclose(inputs.transform(test).mean(0), 0, atol=0.1)  # test stats were not used


def test_minmax_scaling_matches_sklearn(rng):
    train, test = rng.uniform(-5, 9, (100, 3)), rng.uniform(-10, 20, (30, 3))
    inputs = Inputs(scaling="minmax").adapt(train)
    scaler = MinMaxScaler(feature_range=(-1, 1)).fit(train)
    np.testing.assert_allclose(inputs.transform(train), scaler.transform(train), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(inputs.transform(test), scaler.transform(test), rtol=1e-12, atol=1e-12)
    assert inputs.transform(train).min() == pytest.approx(-1) and inputs.transform(train).max() == pytest.approx(1)


def test_no_scaling_returns_the_raw_float64_values(rng):
    train = rng.integers(-5, 5, (10, 3))
    output = Inputs(scaling=None).adapt(train).transform(train)
    assert output.dtype == np.float64 and output.shape == (10, 3)
    np.testing.assert_array_equal(output, train.astype(float))
    assert Inputs(scaling="none").scaling is None


def test_mixed_dataframe_matches_sklearn_scaler_and_one_hot_encoder(frame):
    train, test = frame.iloc[:40], frame.iloc[40:]
    inputs = Inputs(categorical=["code"]).adapt(train)
    assert inputs.input_kinds == {"age": "numeric", "color": "categorical", "income": "numeric",
                                  "member": "categorical", "code": "categorical"}
    assert inputs.output_names == ["age", "color=blue", "color=green", "color=red", "income",
                                   "member=False", "member=True", "code=2", "code=7", "code=10"]
    scaler = StandardScaler().fit(train[["age", "income"]])
    encoder = OneHotEncoder(sparse_output=False, handle_unknown="ignore").fit(train[["color", "member", "code"]])
    for data in (train, test):
        output = inputs.transform(data)
        scaled = scaler.transform(data[["age", "income"]])
        encoded = encoder.transform(data[["color", "member", "code"]])
        np.testing.assert_allclose(output[:, [0, 4]], scaled, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(output[:, [1, 2, 3, 5, 6, 7, 8, 9]], encoded)  # one-hot columns not scaled


def test_categories_are_sorted_like_sklearn_numbers_numerically(frame):
    inputs = Inputs(categorical=["code"], scaling=None).adapt(frame[["code"]])
    encoder = OneHotEncoder(sparse_output=False).fit(frame[["code"]])
    assert inputs.categories == {"code": [2, 7, 10]} == {"code": encoder.categories_[0].tolist()}
    np.testing.assert_array_equal(inputs.transform(frame[["code"]]), encoder.transform(frame[["code"]]))


def test_unseen_category_gives_zeros_and_a_warning_like_handle_unknown_ignore(frame):
    inputs = Inputs().adapt(frame[["color"]])
    new = pd.DataFrame({"color": ["red", "purple", "blue", "purple", "teal"]})
    with pytest.warns(UserWarning, match=r"'color'.*'purple'.*'teal'.*handle_unknown='ignore'"):
        output = inputs.transform(new)
    encoder = OneHotEncoder(sparse_output=False, handle_unknown="ignore").fit(frame[["color"]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns about unknown categories too
        np.testing.assert_array_equal(output, encoder.transform(new))
    np.testing.assert_array_equal(output[1], [0, 0, 0])


def test_categorical_dtypes_bool_string_and_category_are_detected():
    data = pd.DataFrame({"flag": [True, False, True], "name": pd.Series(["a", "b", "a"], dtype="string"),
                         "size": pd.Categorical(["s", "m", "s"]), "x": [1.0, 2.0, 3.0]})
    inputs = Inputs().adapt(data)
    assert inputs.input_kinds == {"flag": "categorical", "name": "categorical", "size": "categorical", "x": "numeric"}
    assert inputs.output_names == ["flag=False", "flag=True", "name=a", "name=b", "size=m", "size=s", "x"]


def test_categorical_columns_of_a_numeric_array_by_name(rng):
    data = np.column_stack([rng.normal(size=20), rng.integers(0, 3, 20)])
    inputs = Inputs(categorical=["x2"]).adapt(data)
    assert inputs.output_names[1:] == ["x2=0", "x2=1", "x2=2"]
    np.testing.assert_array_equal(inputs.transform(data)[:, 1:], np.eye(3)[data[:, 1].astype(int)])


def test_constant_columns_map_to_zero_without_division_by_zero():
    train = np.array([[0.1, 1.0], [0.1, 2.0], [0.1, 3.0]])
    for scaling in ("standard", "minmax"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no RuntimeWarning from 0/0
            output = Inputs(scaling=scaling).adapt(train).transform(np.array([[0.1, 2.0], [0.3, 2.0]]))
        assert output[0, 0] == 0.0 and np.isfinite(output).all()
    assert Inputs().adapt(train).get_config()["state"]["stds"][0] == 1.0


# --- derived features ---------------------------------------------------------------------
def test_derived_features_match_hand_computation(rng):
    x = rng.normal(size=(30, 2))
    x1, x2 = x[:, 0], x[:, 1]
    inputs = Inputs(derived=["x1^2", "x2²", "x1*x2", "sin(x1)", "sin(x2)", "cos(x1)", "x2**2"], scaling=None)
    output = inputs.adapt(x).transform(x)
    assert inputs.output_names == ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)", "cos(x1)"]
    expected = np.column_stack([x1, x2, x1 ** 2, x2 ** 2, x1 * x2, np.sin(x1), np.sin(x2), np.cos(x1)])
    np.testing.assert_allclose(output, expected, rtol=1e-15)


def test_derived_features_use_raw_values_then_every_column_is_scaled(rng):
    train, test = rng.normal(2, 3, (80, 2)), rng.normal(0, 1, (10, 2))

    def by_hand(x):
        return np.column_stack([x[:, 0] ** 2, x[:, 0] * x[:, 1], np.sin(x[:, 1])])

    inputs = Inputs(derived=["x1²", "x1·x2", "sin(x2)"], include_original=False).adapt(train)
    scaler = StandardScaler().fit(by_hand(train))
    np.testing.assert_allclose(inputs.transform(test), scaler.transform(by_hand(test)), rtol=1e-12, atol=1e-12)


def test_tf_playground_circle_features_only(rng):
    x = rng.uniform(-6, 6, (100, 2))
    inputs = Inputs(derived=["x1^2", "x2^2"], include_original=False, scaling=None).adapt(x)
    assert inputs.output_names == ["x1^2", "x2^2"] and inputs.output_size == 2
    np.testing.assert_allclose(inputs.transform(x), x ** 2)


def test_duplicate_features_are_kept_once(rng):
    x = rng.normal(size=(5, 2))
    inputs = Inputs(derived=["x1", "x2", "x1^2", "x1²", "x1 * x2", "x1·x2"]).adapt(x)
    assert inputs.output_names == ["x1", "x2", "x1^2", "x1*x2"]


def test_derived_features_on_dataframe_names_including_quoted_ones(rng):
    data = pd.DataFrame({"petal length": rng.uniform(1, 5, 10), "width": rng.uniform(0, 2, 10), "kind": ["a", "b"] * 5})
    inputs = Inputs(derived=["'petal length'^2", "width*\"petal length\"", "kind"], include_original=False,
                    scaling=None).adapt(data)
    assert inputs.output_names == ["'petal length'^2", "width*'petal length'", "kind=a", "kind=b"]
    expected = np.column_stack([data["petal length"] ** 2, data["width"] * data["petal length"],
                                data["kind"] == "a", data["kind"] == "b"])
    np.testing.assert_allclose(inputs.transform(data), expected)


@pytest.mark.parametrize("text, operation, operands, name", [
    ("x1", "identity", ("x1",), "x1"),
    ("  x1 ^ 2 ", "square", ("x1",), "x1^2"),
    ("x1²", "square", ("x1",), "x1^2"),
    ("x1**2", "square", ("x1",), "x1^2"),
    ("x1·x2", "product", ("x1", "x2"), "x1*x2"),
    ("sin(x2)", "sin", ("x2",), "sin(x2)"),
    ("cos( age )", "cos", ("age",), "cos(age)"),
    ("sin", "identity", ("sin",), "sin"),
])
def test_parser_reads_the_grammar(text, operation, operands, name):
    feature = parse_feature(text)
    assert feature == DerivedFeature(operation, operands) and feature.name == name


@pytest.mark.parametrize("text, fragment", [
    ("x1^3", "the power 2"),
    ("tan(x1)", "expected ^2"),
    ("x1+x2", "'+'"),
    ("x1*x2*x3", "the end of the expression"),
    ("sin(x1", "')'"),
    ("", "a column name"),
    ("'x1", "never closed"),
    ("__import__('os')", "expected ^2"),
])
def test_parser_rejects_other_syntax_listing_the_grammar(text, fragment):
    with pytest.raises(ParameterError) as caught:
        Inputs(derived=[text])
    assert fragment in str(caught.value) and "NAME^2" in str(caught.value) and "sin(NAME)" in str(caught.value)
    assert GRAMMAR in str(caught.value)


def test_unknown_column_in_a_derived_feature_lists_the_available_names(rng):
    inputs = Inputs(derived=["x3^2"])
    with pytest.raises(ParameterError, match=r"'x3'.*x1, x2") as caught:
        inputs.adapt(rng.normal(size=(5, 2)))
    assert "NAME*OTHER" in str(caught.value)


def test_derived_expression_on_a_categorical_column_is_refused(frame):
    with pytest.raises(ParameterError, match=r"categorical column 'color'.*age, income"):
        Inputs(derived=["color^2"]).adapt(frame)


def test_statistics_that_overflow_name_the_column():
    with pytest.raises(DataError, match=r"column 'x1' overflowed.*1.5e\+308.*rescale"):
        Inputs().adapt(np.array([[1.5e308], [1.5e308], [1.0]]))


def test_overflow_in_a_derived_feature_names_it():
    with pytest.raises(DataError, match=r"derived feature 'x1\^2'.*Got 1 infinite value"):
        Inputs(derived=["x1^2"]).adapt(np.array([[1e200], [1.0]]))


# --- schema: names, order, saving ---------------------------------------------------------
def test_dataframe_columns_are_matched_by_name_not_order(frame):
    inputs = Inputs(derived=["age*income"]).adapt(frame)
    shuffled = frame[["code", "member", "income", "color", "age"]]
    np.testing.assert_array_equal(inputs.transform(shuffled), inputs.transform(frame))


def test_arrays_after_a_dataframe_are_matched_by_position(frame):
    numbers = frame[["age", "income"]]
    inputs = Inputs().adapt(numbers)
    np.testing.assert_array_equal(inputs.transform(numbers.to_numpy()), inputs.transform(numbers))


def test_names_and_forward_and_adapted_flag(rng):
    x = rng.normal(size=(6, 3))
    inputs = Inputs()
    assert not inputs.is_adapted
    assert inputs.adapt(x) is inputs and inputs.is_adapted
    assert inputs.input_names == ["x1", "x2", "x3"] == inputs.output_names
    np.testing.assert_array_equal(inputs.forward(x), inputs.transform(x))
    np.testing.assert_array_equal(inputs.forward(x, training=True), inputs.transform(x))


@pytest.mark.parametrize("arguments", [
    {}, {"scaling": "minmax"}, {"scaling": None},
    {"derived": ["age²", "age·income", "sin(age)"], "categorical": ["code"]},
    {"derived": ["age^2", "color"], "include_original": False, "scaling": "minmax"},
])
def test_config_round_trip_through_json_gives_identical_transforms(frame, arguments):
    data = frame
    inputs = Inputs(**arguments).adapt(data.iloc[:40])
    text = json.dumps(inputs.get_config())  # plain JSON: fails on any NumPy value
    copy = Inputs.from_config(json.loads(text))
    assert copy.get_config() == inputs.get_config()
    assert copy.output_names == inputs.output_names and copy.input_names == inputs.input_names
    np.testing.assert_array_equal(copy.transform(data.iloc[40:]), inputs.transform(data.iloc[40:]))


def test_config_holds_arguments_and_learned_state(frame):
    config = Inputs(scaling="minmax").adapt(frame[["age", "color"]]).get_config()
    assert config["scaling"] == "minmax" and config["derived"] == [] and config["include_original"] is True
    state = config["state"]
    assert state["input_names"] == ["age", "color"] and state["input_kinds"] == ["numeric", "categorical"]
    assert state["categories"] == {"color": ["blue", "green", "red"]}
    assert state["mins"] == [frame["age"].min()] and state["maxes"] == [frame["age"].max()]


def test_unadapted_config_round_trip():
    copy = round_trip(Inputs(derived=["x1^2"], scaling="minmax"))
    assert not copy.is_adapted and copy.derived == ["x1^2"] and copy.scaling == "minmax"


def test_from_config_rejects_tampered_state(rng):
    config = Inputs().adapt(rng.normal(size=(5, 2))).get_config()
    config["state"]["stds"] = [1.0]
    with pytest.raises(ParameterError, match=r"'stds' must be 2 finite numbers"):
        Inputs.from_config(config)
    with pytest.raises(ParameterError, match="unknown keys"):
        Inputs.from_config({"scaling": None, "eval": "boom"})


# --- errors the user can trigger ----------------------------------------------------------
def test_transform_before_adapt():
    with pytest.raises(NotFittedError, match=r"not been adapted.*call inputs.adapt\(x_train\)"):
        Inputs().transform(np.zeros((2, 2)))
    with pytest.raises(NotFittedError, match="adapt"):
        Inputs().output_names


def test_one_dimensional_input():
    with pytest.raises(DataError) as caught:
        Inputs().adapt(np.arange(5.0))
    text = str(caught.value)
    for fragment in ("2-D (n_samples, n_features)", "shape (5,)", "x.reshape(-1, 1)", "x.reshape(1, -1)"):
        assert fragment in text
    with pytest.raises(DataError, match=r"Series.*x.to_frame\(\)"):
        Inputs().adapt(pd.Series([1.0, 2.0]))
    with pytest.raises(DataError, match=r"3-D array of shape \(2, 2, 2\)"):
        Inputs().adapt(np.zeros((2, 2, 2)))


def test_zero_rows():
    with pytest.raises(DataError, match=r"at least 1 row. Got 0 rows"):
        Inputs().adapt(np.zeros((0, 3)))
    inputs = Inputs().adapt(pd.DataFrame({"a": [1.0, 2.0]}))
    with pytest.raises(DataError, match="0 rows"):
        inputs.transform(pd.DataFrame({"a": []}))


def test_wrong_number_of_features_in_an_array(rng):
    inputs = Inputs().adapt(rng.normal(size=(4, 2)))
    with pytest.raises(DataError, match=r"expected 2 features \(x1, x2\), got 3"):
        inputs.transform(rng.normal(size=(4, 3)))


def test_missing_and_extra_dataframe_columns_are_named(frame):
    inputs = Inputs().adapt(frame)
    with pytest.raises(DataError, match=r"missing the column\(s\) \['income'\]"):
        inputs.transform(frame.drop(columns=["income"]))
    with pytest.raises(DataError, match=r"has the column\(s\) \['id'\] that adapt did not see"
                                        r".*x.drop\(columns=\['id'\]\)"):
        inputs.transform(frame.assign(id=1))
    with pytest.raises(DataError, match=r"\['age'\].*\['Age'\].*rename"):
        inputs.transform(frame.rename(columns={"age": "Age"}))


def test_text_in_a_numeric_column_names_column_and_value(frame):
    inputs = Inputs().adapt(frame)
    bad = frame.astype({"age": object})
    bad.loc[3, "age"] = "forty"
    with pytest.raises(DataError, match=r"Column 'age'.*must hold numbers.*'forty' in 1 of 60 rows \(first at row 3\)"):
        inputs.transform(bad)
    array = np.array([[1.0, "2.5"], [2.0, "n/a"]], dtype=object)
    with pytest.raises(DataError, match=r"Column 'x2'.*'n/a'.*categorical=\['x2'\]"):
        Inputs().adapt(array)


def test_numbers_written_as_text_in_an_array_are_read():
    array = np.array([["1", "2.5"], ["3", "-4"]])
    np.testing.assert_array_equal(Inputs(scaling=None).adapt(array).transform(array), [[1, 2.5], [3, -4]])


def test_nan_and_inf_name_the_column_and_count_rows(rng):
    data = rng.normal(size=(10, 3))
    data[[2, 5], 1], data[7, 1] = np.nan, np.inf
    with pytest.raises(DataError, match=r"column 'x2'.*2 NaN and 1 infinite value\(s\) \(3 of 10 rows, first at row 2\)"
                                        r".*impute.*drop"):
        Inputs().adapt(data)
    inputs = Inputs().adapt(pd.DataFrame({"a": [1.0, 2.0], "b": ["u", "v"]}))
    with pytest.raises(DataError, match=r"column 'a'.*1 NaN"):
        inputs.transform(pd.DataFrame({"a": [np.nan, 1.0], "b": ["u", "v"]}))
    with pytest.raises(DataError, match=r"Categorical column 'b' .* 1 missing.*fillna"):
        inputs.transform(pd.DataFrame({"a": [1.0, 1.0], "b": ["u", None]}))


def test_non_numeric_array_dtype():
    with pytest.raises(DataError, match=r"must hold real numbers. Got an array of dtype complex128.*astype\(float\)"):
        Inputs().adapt(np.ones((3, 2), dtype=complex))
    with pytest.raises(DataError, match="datetime64"):
        Inputs().adapt(np.array([["2024-01-01"], ["2024-01-02"]], dtype="datetime64[D]"))
    with pytest.raises(DataError, match=r"'when'.*datetime64"):
        Inputs().adapt(pd.DataFrame({"when": pd.to_datetime(["2024-01-01", "2024-01-02"])}))


def test_other_data_problems(frame):
    with pytest.raises(DataError, match=r"repeated column names: \['a'\]"):
        Inputs().adapt(pd.DataFrame([[1, 2]], columns=["a", "a"]))
    with pytest.raises(DataError, match="rows of different lengths"):
        Inputs().adapt([[1.0, 2.0], [3.0]])
    with pytest.raises(DataError, match=r"'mixed'.*one kind.*astype\(str\)"):
        Inputs().adapt(pd.DataFrame({"mixed": ["a", 1, "b"]}))


@pytest.mark.parametrize("arguments, error, fragment", [
    ({"scaling": "robust"}, ParameterError, "'scaling' parameter of Inputs must be 'standard', 'minmax' or None"),
    ({"derived": "x1^2"}, ParameterTypeError, "pass a list such as"),
    ({"categorical": "color"}, ParameterTypeError, "'categorical' parameter"),
    ({"include_original": "no"}, ParameterTypeError, "True or False"),
    ({"include_original": False}, ParameterError, "no inputs at all"),
])
def test_parameter_errors(arguments, error, fragment):
    with pytest.raises(error) as caught:
        Inputs(**arguments)
    assert fragment in str(caught.value)


def test_categorical_name_that_is_not_a_column(rng):
    with pytest.raises(ParameterError, match=r"'categorical' parameter.*x1, x2.*'colour'"):
        Inputs(categorical=["colour"]).adapt(rng.normal(size=(3, 2)))


def test_large_input_is_handled_in_one_vectorised_pass(rng):
    data = pd.DataFrame(rng.normal(size=(200_000, 8)), columns=[f"f{index}" for index in range(8)])
    data["group"] = rng.choice(list("abcdefgh"), len(data))
    inputs = Inputs(derived=["f0^2", "f0*f1", "sin(f2)"]).adapt(data)
    output = inputs.transform(data)
    assert output.shape == (200_000, 8 + 8 + 3)
    np.testing.assert_allclose(output[:, :8].mean(0), 0, atol=1e-9)
