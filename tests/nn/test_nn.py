"""nn: parameter registration and naming, layers against numpy, gradients against finite
differences, state dicts and the errors for misuse."""

import numpy as np
import pytest

import tinygrad_lr as tg
import tinygrad_lr.functional as F
from tinygrad_lr import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4, seed=0)
        self.fc2 = nn.Linear(4, 1, seed=1)

    def forward(self, x):
        return self.fc2(self.fc1(x).tanh())


def test_parameter_copies_its_data_and_requires_grad():
    start = np.array([1.0, 2.0])
    p = nn.Parameter(start)
    p.data[0] = 99.0
    assert start[0] == 1.0
    assert p.requires_grad and p.is_leaf
    assert nn.Parameter(np.array([1, 2])).dtype == np.float64
    assert nn.Parameter(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert repr(nn.Parameter([1.0])).startswith("Parameter(")
    with pytest.raises(TypeError, match="numeric"):
        nn.Parameter(np.array(["a"]))


def test_named_parameters_are_qualified_and_set_each_parameter_name():
    net = TwoLayer()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert [p.name for p in net.parameters()] == names

    seq = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    assert [p.name for p in seq.parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = seq
            self.scale = nn.Parameter(1.0)

    outer = Outer()
    assert [p.name for p in outer.parameters()] == [
        "scale", "body.0.weight", "body.0.bias", "body.2.weight", "body.2.bias"]


def test_shared_parameter_is_listed_once():
    layer = nn.Linear(2, 2, seed=0)
    net = nn.Sequential(layer, layer)
    assert len(list(net.parameters())) == 2
    assert [name for name, _ in net.named_modules()] == ["", "0"]


def test_module_traversal():
    net = TwoLayer()
    assert [name for name, _ in net.named_children()] == ["fc1", "fc2"]
    assert list(net.children()) == [net.fc1, net.fc2]
    assert list(net.modules()) == [net, net.fc1, net.fc2]
    assert [name for name, _ in net.named_modules(prefix="model")] == [
        "model", "model.fc1", "model.fc2"]
    assert [name for name, _ in net.named_parameters(prefix="model")][0] == "model.fc1.weight"


def test_linear_matches_numpy_and_pytorch_layout():
    layer = nn.Linear(3, 2, seed=5)
    x = np.random.default_rng(0).normal(size=(4, 3))
    expected = x @ layer.weight.data.T + layer.bias.data
    np.testing.assert_allclose(layer(x).data, expected, rtol=1e-15)
    bound = 1 / np.sqrt(3)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    no_bias = nn.Linear(3, 2, bias=False, seed=5)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    np.testing.assert_allclose(no_bias(x).data, x @ no_bias.weight.data.T)
    assert nn.Linear(3, 2, dtype=np.float32)(x.astype(np.float32)).dtype == np.float32


def test_linear_seed_repeats():
    a, b = nn.Linear(4, 3, seed=7), nn.Linear(4, 3, seed=7)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)


def test_linear_rejects_bad_input_and_arguments():
    layer = nn.Linear(3, 2, seed=0)
    with pytest.raises(ValueError, match=r"in_features=3.*shape \(4, 5\)"):
        layer(np.ones((4, 5)))
    with pytest.raises(TypeError, match="numeric input, got an array of dtype <U1"):
        layer(np.array([["a", "b", "c"]]))
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        nn.Linear(0, 2)
    with pytest.raises(ValueError, match="out_features"):
        nn.Linear(2, 1.5)
    with pytest.raises(TypeError, match="float dtype"):
        nn.Linear(2, 2, dtype=np.int32)


def test_module_gradients_match_finite_differences():
    net = TwoLayer()
    x = np.random.default_rng(1).normal(size=(5, 3))
    y = np.array([0.0, 1.0, 1.0, 0.0, 1.0])

    def loss_of(w1, b1, w2, b2):
        hidden = (tg.Tensor(x) @ w1.T + b1).tanh()
        return F.binary_cross_entropy_with_logits((hidden @ w2.T + b2).reshape(-1), y)

    params = [tg.Tensor(p.data.copy(), requires_grad=True) for p in net.parameters()]
    assert tg.gradcheck(loss_of, params)
    loss = F.binary_cross_entropy_with_logits(net(x).reshape(-1), y)
    loss.backward()
    reference = tg.grad(loss_of(*params), params)
    for p, expected in zip(net.parameters(), reference):
        np.testing.assert_allclose(p.grad.data, expected.data, rtol=1e-12, atol=1e-15)


def test_zero_grad():
    net = TwoLayer()
    net(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.data.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_state_dict_round_trip_copies():
    a, b = TwoLayer(), TwoLayer()
    b.fc1.weight.data = b.fc1.weight.data + 1.0
    state = a.state_dict()
    assert list(state) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    state["fc1.bias"][0] = 123.0  # a copy: the model is unchanged
    assert a.fc1.bias.data[0] != 123.0
    result = b.load_state_dict(a.state_dict())
    assert result == nn.IncompatibleKeys([], [])
    x = np.ones((2, 3))
    np.testing.assert_array_equal(a(x).data, b(x).data)
    b.load_state_dict({k: tg.Tensor(v) for k, v in a.state_dict().items()})


def test_load_state_dict_errors_name_the_problem_and_change_nothing():
    net = TwoLayer()
    before = net.state_dict()
    state = net.state_dict()
    state["fc2.weight"] = np.zeros((2, 4))
    with pytest.raises(RuntimeError, match=r"'fc2.weight' has shape \(2, 4\).*\(1, 4\)"):
        net.load_state_dict(state)
    state = TwoLayer().state_dict()
    state["fc1.weight"] = state["fc1.weight"] + 5
    del state["fc2.bias"]
    state["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r"missing key\(s\): \['fc2.bias'\].*unexpected"):
        net.load_state_dict(state)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    result = net.load_state_dict(state, strict=False)
    assert result.missing_keys == ["fc2.bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(net.fc1.weight.data, state["fc1.weight"])
    with pytest.raises(TypeError, match="dict of arrays"):
        net.load_state_dict([1, 2])


def test_registration_errors():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(1, 1)

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Forgetful()
    net = TwoLayer()
    with pytest.raises(TypeError, match="'fc1', which holds a Module"):
        net.fc1 = 3
    net.fc1 = None
    assert [n for n, _ in net.named_parameters()] == ["fc2.weight", "fc2.bias"]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        net.missing  # noqa: B018
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(1)
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.ReLU(), "relu")
    with pytest.raises(ValueError, match="without '.'"):
        net.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match="needs a Parameter"):
        net.register_parameter("w", tg.Tensor(1.0))
    net.register_parameter("w", nn.Parameter(1.0))
    del net.w
    assert "w" not in dict(net.named_parameters())


def test_sequential_container():
    seq = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh())
    seq.append(nn.Linear(3, 1, seed=1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear)
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear"]
    assert isinstance(seq[:2], nn.Sequential) and len(seq[:2]) == 2
    with pytest.raises(IndexError, match="out of range"):
        seq[5]
    x = np.random.default_rng(0).normal(size=(4, 2))
    expected = np.tanh(x @ seq[0].weight.data.T + seq[0].bias.data) @ seq[2].weight.data.T
    np.testing.assert_allclose(seq(x).data, expected + seq[2].bias.data, rtol=1e-14)
    assert "(1): Tanh()" in repr(seq)
    assert nn.Identity()(x) is x


@pytest.mark.parametrize("module, reference", [
    (nn.ReLU(), lambda v: np.maximum(v, 0)),
    (nn.Sigmoid(), lambda v: 1 / (1 + np.exp(-v))),
    (nn.Tanh(), np.tanh),
    (nn.Softplus(), lambda v: np.log1p(np.exp(v))),
])
def test_activations_match_numpy(module, reference):
    values = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(module(values).data, reference(values), rtol=1e-14, atol=1e-15)


def test_loss_modules_match_closed_forms():
    z = np.array([0.3, -1.2, 2.0])
    y = np.array([1.0, 0.0, 1.0])
    a = 1 / (1 + np.exp(-z))
    bce = -(y * np.log(a) + (1 - y) * np.log(1 - a))
    assert nn.BCEWithLogitsLoss()(tg.Tensor(z), y).item() == pytest.approx(bce.mean(), 1e-14)
    assert nn.BCELoss(reduction="sum")(tg.Tensor(a), y).item() == pytest.approx(bce.sum(), 1e-14)
    assert nn.MSELoss()(tg.Tensor(z), y).item() == pytest.approx(((z - y) ** 2).mean(), 1e-14)
    logits = np.array([[1.0, 2.0, 0.5]])
    expected = -np.log(np.exp(2.0) / np.exp(logits).sum())
    assert nn.CrossEntropyLoss()(tg.Tensor(logits), [1]).item() == pytest.approx(expected, 1e-14)
    assert "reduction='mean'" in repr(nn.MSELoss())
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")


def test_slicing_a_sequential_keeps_keys_and_parameter_names():
    net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    part = net[2:]
    assert [p.name for p in net.parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert list(part.state_dict()) == ["2.weight", "2.bias"]
    x = tg.Tensor(np.ones((4, 3)))
    np.testing.assert_allclose(part(x).data, net[2](x).data)
