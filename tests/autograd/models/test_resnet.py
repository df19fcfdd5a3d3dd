"""autograd/models/resnet.py: torchvision's ResNet-18, its keys, weights and numerics."""
import numpy as np
import pytest

import autograd
from autograd.models import resnet18
from autograd.models.resnet import IMAGENET_WEIGHTS_FILE


def _batch_norm_keys(prefix):
    return [f"{prefix}.{k}" for k in
            ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")]


def _torchvision_keys():
    """torchvision's resnet18 state_dict keys, in order."""
    keys = ["conv1.weight", *_batch_norm_keys("bn1")]
    for layer in range(1, 5):
        for block in range(2):
            p = f"layer{layer}.{block}"
            keys += [f"{p}.conv1.weight", *_batch_norm_keys(f"{p}.bn1"),
                     f"{p}.conv2.weight", *_batch_norm_keys(f"{p}.bn2")]
            if layer > 1 and block == 0:
                keys += [f"{p}.downsample.0.weight", *_batch_norm_keys(f"{p}.downsample.1")]
    return keys + ["fc.weight", "fc.bias"]


def test_state_dict_keys_and_shapes_are_torchvisions():
    state = resnet18().state_dict()
    assert list(state) == _torchvision_keys()
    assert len(state) == 122
    assert tuple(state["conv1.weight"].shape) == (64, 3, 7, 7)
    assert tuple(state["layer2.0.downsample.0.weight"].shape) == (128, 64, 1, 1)
    assert tuple(state["layer4.1.conv2.weight"].shape) == (512, 512, 3, 3)
    assert tuple(state["fc.weight"].shape) == (1000, 512)
    assert state["bn1.num_batches_tracked"].dtype is autograd.int64
    assert sum(p.numel() for p in resnet18().parameters()) == 11_689_512


def test_initialisation_follows_torchvision():
    autograd.manual_seed(0)
    model = resnet18()
    # kaiming_normal_(mode="fan_out", nonlinearity="relu"): std sqrt(2 / (64 * 7 * 7))
    std = model.conv1.weight.detach().numpy().std()
    assert abs(std - np.sqrt(2 / (64 * 49))) < 0.05 * np.sqrt(2 / (64 * 49))
    assert np.all(model.layer1[0].bn1.weight.detach().numpy() == 1)
    assert np.all(model.layer1[0].bn1.bias.detach().numpy() == 0)


def test_forward_shapes_and_num_classes():
    model = resnet18(num_classes=10)
    assert tuple(model(autograd.rand(2, 3, 64, 64)).shape) == (2, 10)
    assert tuple(model.fc.weight.shape) == (10, 512)


def test_pretrained_without_the_cached_file_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    expected = str(tmp_path / "hub" / "checkpoints" / IMAGENET_WEIGHTS_FILE)
    for kwargs in (dict(pretrained=True), dict(weights="IMAGENET1K_V1"), dict(weights="DEFAULT")):
        with pytest.raises(FileNotFoundError) as info:
            resnet18(**kwargs)
        assert expected in str(info.value) and "downloads nothing" in str(info.value)


def test_pretrained_reads_torchvisions_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    source = resnet18()
    path = tmp_path / "hub" / "checkpoints" / IMAGENET_WEIGHTS_FILE
    path.parent.mkdir(parents=True)
    autograd.save(source.state_dict(), str(path))
    loaded = resnet18(pretrained=True)
    for (name, a), b in zip(source.state_dict().items(), loaded.state_dict().values()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


def test_weights_argument_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no weights file"):
        resnet18(weights=str(tmp_path / "missing.pth"))
    with pytest.raises(TypeError, match="weights must be"):
        resnet18(weights=3)
    with pytest.raises(ValueError, match="num_classes=10"):
        resnet18(weights=str(tmp_path), num_classes=10)
    with pytest.raises(ValueError, match="either weights or pretrained"):
        resnet18(weights="DEFAULT", pretrained=True)


# ----------------------------------------------------------------------
# parity with PyTorch on the same weights
# ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def torch_pair(tmp_path_factory):
    """A torch ResNet-18 (torchvision's architecture) saved with torch.save,
    and this library's ResNet-18 loaded from that file."""
    torch = pytest.importorskip("torch")
    from benchmarks.torch_resnet import ResNet18
    torch.manual_seed(0)
    theirs = ResNet18().double()
    # non-trivial running statistics, so that eval mode tests them
    with torch.no_grad():
        for name, buffer in theirs.named_buffers():
            if name.endswith("running_mean"):
                buffer.uniform_(-0.1, 0.1)
            elif name.endswith("running_var"):
                buffer.uniform_(0.5, 1.5)
    path = tmp_path_factory.mktemp("weights") / "resnet18.pth"
    torch.save(theirs.state_dict(), path)
    # load_state_dict casts to the parameters' dtype, as PyTorch's does, so
    # the model is made float64 before the float64 weights are copied in.
    ours = resnet18().double()
    ours.load_state_dict(autograd.load(str(path)))
    return torch, theirs, ours


def test_weights_file_written_by_torch_save_loads_unchanged(tmp_path):
    torch = pytest.importorskip("torch")
    from benchmarks.torch_resnet import ResNet18
    theirs = ResNet18()
    torch.save(theirs.state_dict(), tmp_path / "resnet18.pth")
    ours = resnet18(weights=str(tmp_path / "resnet18.pth"))
    expected = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), expected[name].numpy(), err_msg=name)


@pytest.mark.parametrize("mode", ["train", "eval"])
def test_forward_and_backward_match_torch(torch_pair, mode):
    torch, theirs, ours = torch_pair
    getattr(theirs, mode)()
    getattr(ours, mode)()
    rng = np.random.default_rng(3)
    data = rng.random((2, 3, 64, 64))
    labels = rng.random((2, 1000))

    ours.zero_grad()
    theirs.zero_grad()
    prediction = ours(autograd.tensor(data))
    (prediction - autograd.tensor(labels)).sum().backward()
    expected = theirs(torch.tensor(data))
    (expected - torch.tensor(labels)).sum().backward()

    np.testing.assert_allclose(prediction.detach().numpy(), expected.detach().numpy(),
                               rtol=1e-7, atol=1e-8)
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(),
                                   rtol=1e-6, atol=1e-8, err_msg=name)
    buffers = dict(theirs.named_buffers())
    for name, b in ours.named_buffers():
        np.testing.assert_allclose(b.numpy(), buffers[name].numpy(), rtol=1e-7, atol=1e-12,
                                   err_msg=name)
