"""Sequential, ModuleList and ModuleDict."""
from collections import OrderedDict

import pytest

import autograd
from autograd import nn


def _layers(n):
    return [nn.Linear(i + 1, i + 2) for i in range(n)]


def test_sequential_indexing_slicing_len_iteration():
    a, b, c = _layers(3)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert type(sub) is nn.Sequential and list(sub) == [b, c]
    assert list(sub._modules) == ["1", "2"]         # slices keep the names
    with pytest.raises(IndexError, match="index 3 is out of range"):
        seq[3]
    with pytest.raises(IndexError, match="index -4 is out of range"):
        seq[-4]
    x = autograd.randn(2, 1)
    assert seq(x).shape == (2, 4)


def test_sequential_from_ordered_dict_and_mutation():
    relu = nn.ReLU()
    seq = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=relu))
    assert seq.act is relu and [n for n, _ in seq.named_children()] == ["fc", "act"]
    seq[1] = nn.Tanh()
    assert type(seq.act) is nn.Tanh
    seq = nn.Sequential(*_layers(3))
    assert seq.append(nn.ReLU()) is seq and len(seq) == 4 and list(seq._modules)[-1] == "3"
    del seq[0]
    assert list(seq._modules) == ["0", "1", "2"] and seq[0].in_features == 2
    seq.insert(0, nn.Identity())
    assert type(seq[0]) is nn.Identity and len(seq) == 4
    popped = seq.pop(0)
    assert type(popped) is nn.Identity and len(seq) == 3
    seq.extend([nn.Identity(), nn.Identity()])
    assert len(seq) == 5
    del seq[1:3]
    assert len(seq) == 3
    both = nn.Sequential(nn.ReLU()) + nn.Sequential(nn.Tanh())
    assert [type(m).__name__ for m in both] == ["ReLU", "Tanh"]


def test_module_list():
    layers = _layers(3)
    ml = nn.ModuleList(layers)
    assert len(ml) == 3 and list(ml) == layers and ml[-1] is layers[2]
    assert len(list(ml.parameters())) == 6
    assert type(ml[:2]) is nn.ModuleList and list(ml[:2]) == layers[:2]
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml += [nn.Identity()]
    assert [type(m).__name__ for m in ml][3:] == ["ReLU", "Tanh", "Identity"]
    del ml[0]
    assert list(ml._modules) == [str(i) for i in range(5)] and ml[0] is layers[1]
    ml[0] = nn.Sigmoid()
    assert type(ml[0]) is nn.Sigmoid
    ml.insert(1, nn.Flatten())
    assert type(ml[1]) is nn.Flatten and len(ml) == 6
    with pytest.raises(IndexError, match="index 6 is out of range"):
        ml[6]
    with pytest.raises(TypeError, match="should be called with an iterable"):
        ml.extend(3)
    with pytest.raises(NotImplementedError):
        ml(autograd.zeros(1))


def test_module_list_repr_groups_repeats_like_pytorch():
    ml = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2)])
    assert repr(ml) == (
        "ModuleList(\n"
        "  (0-1): 2 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (2): ReLU()\n"
        "  (3): Linear(in_features=2, out_features=2, bias=True)\n"
        ")"
    )
    assert repr(nn.ModuleList()) == "ModuleList()"


def test_module_dict():
    md = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2
    md["c"] = nn.Tanh()
    md.update([("d", nn.Identity())])
    assert list(md.keys()) == ["a", "b", "c", "d"]
    assert type(md.pop("b")) is nn.ReLU and "b" not in md
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(ValueError, match="has length 1"):
        md.update([("x",)])


def test_containers_match_pytorch_reprs_and_keys():
    torch = pytest.importorskip("torch")

    def build(lib):
        return lib.nn.Sequential(
            lib.nn.ModuleList([lib.nn.Linear(2, 2)] * 2 + [lib.nn.ReLU()]),
            lib.nn.ModuleDict({"x": lib.nn.Linear(2, 3), "y": lib.nn.Flatten(0)}),
        )
    ours, theirs = build(autograd), build(torch)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ([n for n, _ in ours.named_modules()]
            == [n for n, _ in theirs.named_modules()])
