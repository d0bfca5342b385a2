"""Every stacking and splitting function against numpy: shapes and values for 1-d, 2-d and
3-d inputs, given as one array (numpy iterates its first axis) and as a sequence, through
``tg.*`` and through numpy's own functions on tensors."""

import warnings

import numpy as np
import pytest

import tinygrad_lr as tg

INPUTS = [np.arange(1.0, 4.0), np.arange(1.0, 7.0).reshape(3, 2),
          np.arange(1.0, 25.0).reshape(2, 3, 4)]
STACKING = ["vstack", "hstack", "dstack", "column_stack", "row_stack", "stack", "concatenate"]


def numpy_result(name, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # np.row_stack
        return getattr(np, name)(*args, **kwargs)


def outcome(call):
    try:
        return call()
    except (ValueError, TypeError) as error:
        return type(error)


@pytest.mark.parametrize("name", STACKING)
@pytest.mark.parametrize("array", INPUTS, ids=lambda a: f"{a.ndim}d")
@pytest.mark.parametrize("given", ["one array", "sequence"])
def test_stacking_matches_numpy(name, array, given):
    arrays = array if given == "one array" else [array, 2 * array]
    expected = outcome(lambda: numpy_result(name, arrays))
    tensors = tg.Tensor(array) if given == "one array" else [tg.Tensor(a) for a in arrays]
    for call in (lambda: getattr(tg, name)(tensors), lambda: numpy_result(name, tensors)):
        found = outcome(call)
        if isinstance(expected, type):
            assert found is expected or issubclass(found, (ValueError, TypeError))
        else:
            assert found.shape == expected.shape
            np.testing.assert_array_equal(found.data, expected)


@pytest.mark.parametrize("name", STACKING)
def test_stacking_one_array_keeps_the_gradient(name):
    x = tg.Tensor(np.arange(1.0, 7.0).reshape(3, 2), requires_grad=True)
    weights = np.arange(6.0)
    out = getattr(np, name)(x) if name != "row_stack" else tg.row_stack(x)
    (out.reshape(-1) * weights).sum().backward()
    # the gradient of each input element is the weight at its place in the output
    reference = numpy_result(name, np.arange(6.0).reshape(3, 2)).reshape(-1).astype(int)
    expected = np.zeros(6)
    expected[reference] = weights
    np.testing.assert_array_equal(x.grad.data.reshape(-1), expected)


SPLITS = [("split", 1, 2), ("array_split", 1, 2), ("hsplit", 1, 2), ("vsplit", 2, 2),
          ("dsplit", 3, 2), ("split", 1, [1, 2]), ("array_split", 1, 3)]


@pytest.mark.parametrize("name, min_ndim, sections", SPLITS)
@pytest.mark.parametrize("array", [np.arange(1.0, 5.0), np.arange(1.0, 9.0).reshape(2, 4),
                                   np.arange(1.0, 17.0).reshape(2, 2, 4)],
                         ids=lambda a: f"{a.ndim}d")
def test_splitting_matches_numpy(name, min_ndim, sections, array):
    expected = outcome(lambda: getattr(np, name)(array, sections))
    x = tg.Tensor(array, requires_grad=True)
    for call in (lambda: getattr(tg, name)(x, sections), lambda: getattr(np, name)(x, sections)):
        found = outcome(call)
        if isinstance(expected, type):
            assert array.ndim < min_ndim and issubclass(found, ValueError)
            continue
        assert [p.shape for p in found] == [p.shape for p in expected]
        for part, reference in zip(found, expected):
            np.testing.assert_array_equal(part.data, reference)
    if not isinstance(expected, type):
        x.grad = None
        sum(((p * (i + 1)).sum() for i, p in enumerate(getattr(np, name)(x, sections))),
            start=tg.Tensor(0.0)).backward()
        weights = np.concatenate([np.full(p.size, i + 1.0) for i, p in enumerate(expected)])
        axis = {"hsplit": 1 if array.ndim > 1 else 0, "dsplit": 2}.get(name, 0)
        placed = np.concatenate([np.full(p.shape, i + 1.0) for i, p in enumerate(expected)],
                                axis=axis)
        assert weights.size == array.size
        np.testing.assert_array_equal(x.grad.data, placed)
