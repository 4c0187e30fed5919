"""to_dataframe / load_dataframe and the function-argument columns."""

import functools
import math

import pandas as pd
import pytest

from adaptive_nb import Learner1D
from adaptive_nb.runner import simple
from adaptive_nb.utils import assign_defaults, partial_function_from_dataframe


def shifted_sine(x, shift=0.5, scale=2):
    return scale * math.sin(x + shift)


def test_round_trip_keeps_data_and_function_arguments():
    learner = Learner1D(shifted_sine, (0, 3))
    simple(learner, npoints_goal=25)
    df = learner.to_dataframe()
    assert list(df.columns) == ["x", "y", "function.shift", "function.scale"]
    assert df.attrs["inputs"] == ["x"] and df.attrs["output"] == "y"
    assert (df["function.shift"] == 0.5).all()
    other = learner.new()
    other.load_dataframe(df)
    assert other.data == learner.data
    # losses use the y-range of the loaded data (the original may still use an older one)
    fresh = learner.new()
    fresh.tell_many(list(learner.data), list(learner.data.values()))
    assert other.loss() == fresh.loss()
    other._check()


def test_custom_names_and_no_function_args():
    learner = Learner1D(shifted_sine, (0, 3))
    simple(learner, npoints_goal=5)
    df = learner.to_dataframe(with_default_function_args=False, x_name="t", y_name="v")
    assert list(df.columns) == ["t", "v"]
    other = learner.new()
    other.load_dataframe(df, with_default_function_args=False, x_name="t", y_name="v")
    assert other.data == learner.data and other.function is shifted_sine


def test_changed_argument_rebinds_the_function_with_a_warning():
    learner = Learner1D(shifted_sine, (0, 3))
    simple(learner, npoints_goal=5)
    df = learner.to_dataframe()
    df["function.shift"] = 1.0
    other = learner.new()
    with pytest.warns(UserWarning, match="sets shift=1.0 where the function's default is 0.5"):
        other.load_dataframe(df)
    assert isinstance(other.function, functools.partial)
    assert other.function(0.0) == pytest.approx(2 * math.sin(1.0))


def test_inconsistent_or_unknown_argument_columns_are_refused():
    df = pd.DataFrame({"x": [0.0, 1.0], "function.shift": [0.1, 0.2]})
    with pytest.raises(ValueError, match=r"'function\.shift' holds several values"):
        partial_function_from_dataframe(shifted_sine, df)
    df = pd.DataFrame({"x": [0.0], "function.nope": [1]})
    with pytest.raises(ValueError, match="names 'nope', which is not a parameter with a default"):
        partial_function_from_dataframe(shifted_sine, df)


def test_assign_defaults_sees_through_partial():
    df = pd.DataFrame({"x": [1.0, 2.0]})
    assign_defaults(functools.partial(shifted_sine, scale=3), df)
    assert df["function.scale"].tolist() == [3, 3]
    assert df["function.shift"].tolist() == [0.5, 0.5]


def test_vector_output_dataframe():
    learner = Learner1D(lambda x: [x, -x], (0, 1))
    simple(learner, npoints_goal=6)
    df = learner.to_dataframe(with_default_function_args=False)
    other = learner.new()
    other.load_dataframe(df, with_default_function_args=False)
    assert other.npoints == 6
    assert all(list(other.data[x]) == list(learner.data[x]) for x in learner.data)
