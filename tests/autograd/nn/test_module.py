"""nn.Module: registration, naming, iteration, state_dict, modes, repr."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import autograd
from autograd import nn


class Net(nn.Module):
    """A small model with a parameter, a buffer, a non-persistent buffer and children."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(autograd.ones(3))
        self.register_buffer("steps", autograd.tensor(0))
        self.register_buffer("cache", autograd.zeros(2), persistent=False)
        self.fc = nn.Linear(3, 4)
        self.block = nn.Sequential(nn.Linear(4, 2), nn.ReLU())

    def forward(self, x):
        return self.block(self.fc(x * self.scale))


# ----------------------------------------------------------------------
# registration
# ----------------------------------------------------------------------

def test_assignment_registers_parameters_modules_and_plain_attributes():
    m = Net()
    assert list(m._parameters) == ["scale"]
    assert list(m._modules) == ["fc", "block"]
    assert list(m._buffers) == ["steps", "cache"]
    m.note = 3
    assert "note" in m.__dict__ and m.note == 3
    assert m.scale is m._parameters["scale"]


def test_reassigning_a_name_moves_it_between_registries():
    m = nn.Module()
    m.x = nn.Linear(1, 1)
    m.x = nn.Parameter(autograd.zeros(1))
    assert "x" in m._parameters and "x" not in m._modules
    m.x = None                     # a registered parameter may become None
    assert m._parameters["x"] is None and m.x is None
    with pytest.raises(TypeError, match="cannot assign 'autograd.FloatTensor' as parameter 'x'"):
        m.x = autograd.zeros(1)
    m.y = nn.ReLU()
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module 'y' "
                                        r"\(torch.nn.Module or None expected\)"):
        m.y = 3
    m.y = None
    assert m._modules["y"] is None and list(m.children()) == []


def test_buffer_assignment_and_errors():
    m = nn.Module()
    m.register_buffer("b", autograd.zeros(2))
    m.b = autograd.ones(2)
    assert m._buffers["b"]._data.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="as buffer 'b'"):
        m.b = 5
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        m.register_buffer("training", autograd.zeros(1))
    with pytest.raises(KeyError, match=r'buffer name can.*contain "\."'):
        m.register_buffer("a.b", autograd.zeros(1))
    with pytest.raises(KeyError, match="empty string"):
        m.register_buffer("", autograd.zeros(1))
    with pytest.raises(TypeError, match="buffer name should be a string"):
        m.register_buffer(1, autograd.zeros(1))
    with pytest.raises(TypeError, match="object to buffer 'c'"):
        m.register_buffer("c", [1.0])


def test_register_parameter_errors():
    m = nn.Module()
    with pytest.raises(TypeError, match="cannot assign 'autograd.FloatTensor' object to parameter 'w'"):
        m.register_parameter("w", autograd.zeros(1))
    w = autograd.zeros(1, requires_grad=True)
    p = nn.Parameter(w)
    nonleaf = p * 2
    with pytest.raises(TypeError):
        m.register_parameter("w", nonleaf)
    with pytest.raises(KeyError, match=r'parameter name can.*contain "\."'):
        m.register_parameter("a.b", p)
    with pytest.raises(KeyError, match="attribute 'forward' already exists"):
        m.register_parameter("forward", p)
    m.register_parameter("w", None)
    assert list(m.parameters()) == [] and m.w is None


def test_add_module_errors_and_before_init():
    m = nn.Module()
    with pytest.raises(TypeError, match="is not a Module subclass"):
        m.add_module("x", 3)
    with pytest.raises(KeyError, match=r'module name can.*contain "\.", got: a.b'):
        m.add_module("a.b", nn.ReLU())
    m.register_module("r", nn.ReLU())
    assert m.r is m._modules["r"]

    class Early(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(autograd.zeros(1))

    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        Early()


def test_getattr_and_delattr():
    m = Net()
    with pytest.raises(AttributeError, match="'Net' object has no attribute 'nope'"):
        m.nope
    del m.scale
    del m.steps
    del m.fc
    assert "scale" not in m._parameters and "steps" not in m._buffers
    assert "fc" not in m._modules
    m.plain = 1
    del m.plain
    assert not hasattr(m, "plain")
    assert "fc" not in dir(m) and "block" in dir(m)


@pytest.mark.parametrize("layer", [nn.Linear(3, 2), nn.Conv2d(3, 2, 1)])
def test_forward_sees_a_weight_replaced_by_a_plain_tensor_or_none(layer):
    # forward reads the registry first (module._registered); what is not
    # registered there must come from the normal lookup, as self.weight does
    x = autograd.randn(1, 3, 1, 1) if isinstance(layer, nn.Conv2d) else autograd.randn(1, 3)
    plain = layer.weight.detach() * 2
    bias = layer.bias.detach().numpy().reshape(
        (1, 2, 1, 1) if isinstance(layer, nn.Conv2d) else (1, 2))
    expected = 2 * (layer(x).detach().numpy() - bias)        # twice the weight, no bias
    del layer.weight
    layer.weight = plain                       # a plain attribute now
    assert "weight" not in layer._parameters
    layer.bias = None
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6, atol=1e-6)


# ----------------------------------------------------------------------
# iteration
# ----------------------------------------------------------------------

def test_named_members_use_dotted_names_in_registration_order():
    m = Net()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "fc.weight", "fc.bias", "block.0.weight", "block.0.bias"]
    assert [n for n, _ in m.named_parameters(recurse=False)] == ["scale"]
    assert [n for n, _ in m.named_parameters(prefix="model")][:2] == ["model.scale",
                                                                      "model.fc.weight"]
    assert [n for n, _ in m.named_buffers()] == ["steps", "cache"]
    assert [n for n, _ in m.named_children()] == ["fc", "block"]
    assert [n for n, _ in m.named_modules()] == ["", "fc", "block", "block.0", "block.1"]
    assert [type(x).__name__ for x in m.modules()] == [
        "Net", "Linear", "Sequential", "Linear", "ReLU"]
    assert len(list(m.parameters())) == 5 and len(list(m.buffers())) == 2
    assert all(isinstance(p, nn.Parameter) for p in m.parameters())


def test_shared_modules_and_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    m = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in m.named_modules()] == ["", "0", "1"]
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_get_submodule_and_parameter():
    m = Net()
    assert m.get_submodule("block.0") is m.block[0]
    assert m.get_parameter("block.0.bias") is m.block[0].bias
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        m.get_submodule("block.nope")


def test_deep_nesting_does_not_recurse():
    m = nn.Identity()
    for _ in range(3000):
        outer = nn.Module()
        outer.inner = m
        m = outer
    assert len(list(m.named_modules())) == 3001
    assert len(m.state_dict()) == 0


# ----------------------------------------------------------------------
# state_dict / load_state_dict
# ----------------------------------------------------------------------

def test_state_dict_keys_values_and_detachment():
    m = Net()
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "steps", "fc.weight", "fc.bias", "block.0.weight",
                        "block.0.bias"]
    for name, value in sd.items():
        assert type(value) is autograd.Tensor and not value.requires_grad
    # detached but sharing memory, as in PyTorch
    assert np.shares_memory(sd["fc.weight"]._data, m.fc.weight._data)
    kept = m.state_dict(keep_vars=True)
    assert kept["fc.weight"] is m.fc.weight
    assert list(m.state_dict(prefix="p.")) == ["p." + k for k in sd]


def test_load_state_dict_round_trip_copies_in_place():
    a, b = Net(), Net()
    weight = b.fc.weight
    version = weight._version
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert b.fc.weight is weight                      # no new Parameter objects
    assert weight._version > version
    np.testing.assert_array_equal(weight._data, a.fc.weight._data)
    assert not np.shares_memory(weight._data, a.fc.weight._data)
    # the non-persistent buffer is neither saved nor expected
    assert "cache" not in a.state_dict()


def test_load_state_dict_casts_dtype_like_copy():
    m = nn.Linear(2, 1)
    sd = {k: v.double() for k, v in nn.Linear(2, 1).state_dict().items()}
    m.load_state_dict(sd)
    assert m.weight.dtype == autograd.float32
    np.testing.assert_allclose(m.weight._data, sd["weight"]._data, rtol=1e-6)


def test_strict_loading_reports_missing_and_unexpected_keys():
    m = Net()
    sd = m.state_dict()
    del sd["fc.bias"]
    del sd["block.0.weight"]
    sd["fc.extra"] = autograd.zeros(1)
    sd["ghost.weight"] = autograd.zeros(1)
    sd["loose"] = autograd.zeros(1)
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd)
    # keys are reported module by module (root first), each in state_dict order
    assert str(info.value) == (
        "Error(s) in loading state_dict for Net:\n"
        '\tMissing key(s) in state_dict: "fc.bias", "block.0.weight". \n'
        '\tUnexpected key(s) in state_dict: "ghost.weight", "loose", "fc.extra". '
    )
    result = m.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["fc.bias", "block.0.weight"]
    assert result.unexpected_keys == ["ghost.weight", "loose", "fc.extra"]
    assert result == (["fc.bias", "block.0.weight"], ["ghost.weight", "loose", "fc.extra"])


def test_loading_errors_match_pytorch_wording():
    torch = pytest.importorskip("torch")

    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.Sequential(lib.nn.Linear(3, 1)))

    def broken(sd):
        del sd["0.bias"]
        sd["1.0.extra"] = sd["1.0.weight"]
        sd["zzz"] = sd["1.0.weight"]
        return sd

    with pytest.raises(RuntimeError) as ours:
        build(autograd).load_state_dict(broken(build(autograd).state_dict()))
    with pytest.raises(RuntimeError) as theirs:
        build(torch).load_state_dict(broken(build(torch).state_dict()))
    assert str(ours.value) == str(theirs.value)
    ours_result = build(autograd).load_state_dict(broken(build(autograd).state_dict()),
                                                  strict=False)
    theirs_result = build(torch).load_state_dict(broken(build(torch).state_dict()),
                                                 strict=False)
    assert tuple(ours_result) == tuple(theirs_result)
    assert repr(ours_result) == repr(theirs_result)


def test_size_mismatch_raises_even_when_not_strict():
    m = nn.Linear(3, 2)
    sd = nn.Linear(4, 2).state_dict()
    before = m.weight._data.copy()
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(sd, strict=False)
    assert str(info.value) == (
        "Error(s) in loading state_dict for Linear:\n"
        "\tsize mismatch for weight: copying a param with shape (2, 4) from checkpoint, "
        "the shape in current model is (2, 3)."
    )
    np.testing.assert_array_equal(m.weight._data, before)


def test_load_state_dict_rejects_non_mappings_and_non_tensors():
    m = nn.Linear(1, 1)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        m.load_state_dict([("weight", autograd.zeros(1, 1))])
    with pytest.raises(RuntimeError, match='While copying the parameter named "bias"'):
        m.load_state_dict({"weight": autograd.zeros(1, 1), "bias": [0.0]})


def test_state_dict_matches_pytorch_key_names():
    torch = pytest.importorskip("torch")
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(),
                         nn.Sequential(nn.Linear(4, 2)))
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                 torch.nn.ReLU(), torch.nn.Sequential(torch.nn.Linear(4, 2)))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert dict(ours.state_dict()._metadata) == dict(theirs.state_dict()._metadata)
    # and a PyTorch state_dict (as arrays) loads here
    converted = {k: autograd.tensor(v.numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(converted)
    np.testing.assert_array_equal(ours[0].weight._data, theirs[0].weight.detach().numpy())


# ----------------------------------------------------------------------
# modes, gradients, apply, dtype
# ----------------------------------------------------------------------

def test_train_eval_propagate():
    m = Net()
    assert m.training and m.block[1].training
    assert m.eval() is m
    assert not any(x.training for x in m.modules())
    m.train()
    assert all(x.training for x in m.modules())
    m.block.train(False)
    assert m.training and not m.block.training and not m.block[0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")


def test_zero_grad_to_none_and_in_place():
    m = Net()
    m(autograd.randn(5, 3)).sum().backward()
    grads = [p.grad for p in m.parameters()]
    assert all(g is not None for g in grads)
    m.zero_grad(set_to_none=False)
    for p, g in zip(m.parameters(), grads):
        assert p.grad is g and not g._data.any()
    m(autograd.randn(5, 3)).sum().backward()
    assert m.fc.weight.grad._data.any()
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_requires_grad_and_apply():
    m = Net()
    assert m.requires_grad_(False) is m
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_()
    assert all(p.requires_grad for p in m.parameters())
    seen = []
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "Linear", "ReLU", "Sequential", "Net"]


def test_double_and_to_keep_parameter_identity():
    m = Net()
    w = m.fc.weight
    m.double()
    assert m.fc.weight is w and w.dtype == autograd.float64
    assert m.steps.dtype == autograd.int64        # non-float buffers untouched
    assert m.cache.dtype == autograd.float64
    m.to(autograd.float32)
    assert w.dtype == autograd.float32 and m.to("cpu") is m
    with pytest.raises(TypeError, match="floating point"):
        m.to(autograd.int32)


def test_forward_must_be_defined():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(1)


def test_deepcopy_and_pickle_keep_structure_and_values():
    m = Net()
    for clone in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert type(clone.fc.weight) is nn.Parameter and clone.fc.weight.requires_grad
        assert clone.fc.weight is not m.fc.weight
        np.testing.assert_array_equal(clone.fc.weight._data, m.fc.weight._data)
        assert list(clone.state_dict()) == list(m.state_dict())


# ----------------------------------------------------------------------
# repr
# ----------------------------------------------------------------------

class _Small:
    """The same small model built from either library."""

    @staticmethod
    def build(lib):
        class Small(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.features = lib.nn.Sequential(
                    lib.nn.Conv2d(3, 8, 3, padding=1, bias=False), lib.nn.BatchNorm2d(8),
                    lib.nn.ReLU(inplace=True), lib.nn.MaxPool2d(2),
                    lib.nn.Conv2d(8, 8, (1, 3), stride=2, groups=2, dilation=(1, 2)),
                    lib.nn.AvgPool2d(2, stride=1), lib.nn.AdaptiveAvgPool2d((1, 1)),
                )
                self.flatten = lib.nn.Flatten()
                self.heads = lib.nn.ModuleList([lib.nn.Linear(8, 4) for _ in range(3)]
                                               + [lib.nn.Identity()])
                self.drop = lib.nn.Dropout(0.25)
                self.out = lib.nn.Linear(4, 2, bias=False)
                self.loss = lib.nn.CrossEntropyLoss()
                self.empty = lib.nn.Sequential()
                self.tail = lib.nn.Sequential(OrderedDict(act=lib.nn.Tanh(),
                                                          norm=lib.nn.BatchNorm1d(2, momentum=None)))
                self.sm = lib.nn.Softmax(dim=1)
        return Small()


def test_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    assert repr(_Small.build(autograd)) == repr(_Small.build(torch))


def test_repr_text():
    m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Dropout()))
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): ReLU()\n"
        "    (1): Dropout(p=0.5, inplace=False)\n"
        "  )\n"
        ")"
    )
