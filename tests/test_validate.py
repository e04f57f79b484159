import numpy as np
import pytest

from course_utils import _validate as v


def test_number_accepts_and_converts():
    assert v.number("lr", 1) == 1.0 and isinstance(v.number("lr", 1), float)
    assert v.number("k", np.int64(3), low=1, integer=True) == 3
    assert v.number("beta", 0.5, low=0, high=1, high_open=True) == 0.5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(value=-1, low=0), "lr must be a number >= 0, got -1"),
        (dict(value=0, low=0, low_open=True), "lr must be a number > 0, got 0"),
        (dict(value=1.0, low=0, high=1, high_open=True), r"lr must be a number in \[0, 1\), got 1.0"),
        (dict(value=2, high=1), "lr must be a number <= 1, got 2"),
        (dict(value=0.5, low=0, high=1, low_open=True), None),
        (dict(value=float("nan"), low=0), "lr must be a finite number >= 0, got nan"),
        (dict(value="0.1"), "lr must be a number, got '0.1'"),
        (dict(value=True), "lr must be a number, got True"),
        (dict(value=1.5, integer=True), "lr must be an integer, got 1.5"),
    ],
)
def test_number_rejects(kwargs, message):
    if message is None:
        assert v.number("lr", **kwargs) == kwargs["value"]
        return
    with pytest.raises(ValueError, match=message):
        v.number("lr", **kwargs)


def test_choice_and_arrays():
    assert v.choice("activation", "relu", ("relu", "tanh")) == "relu"
    with pytest.raises(ValueError, match="activation must be one of 'relu', 'tanh'; got 'elu'"):
        v.choice("activation", "elu", ("relu", "tanh"))
    with pytest.raises(ValueError, match="params must be a numpy ndarray"):
        v.float_array("params", [1.0])
    with pytest.raises(ValueError, match="floating dtype.*int64"):
        v.float_array("params", np.arange(3))
    v.float_array("params", np.zeros(2, np.float32))
    with pytest.raises(ValueError, match=r"grads has shape \(3,\) but params has shape \(2,\)"):
        v.same_shape("params", np.zeros(2), "grads", np.zeros(3))
