"""examples/: the tutorial end to end, and a short CNN training run."""
import contextlib
import io
import os
import runpy

import numpy as np
import pytest

import autograd

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def _load(name):
    return runpy.run_path(os.path.join(EXAMPLES, name), run_name=f"example_{name[:-3]}")


@pytest.fixture(scope="module")
def tutorial():
    return _load("tutorial.py")


def test_tutorial_runs_as_a_script(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))     # no cached weights
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(os.path.join(EXAMPLES, "tutorial.py"), run_name="__main__")
    assert out.getvalue().splitlines() == [
        f"(no ImageNet weights at {tmp_path}/hub/checkpoints/resnet18-f37072fd.pth: "
        "random initialisation)",
        out.getvalue().splitlines()[1],
        "tensor([True, True])",
        "tensor([True, True])",
        "Does `a` require gradients? : False",
        "Does `b` require gradients?: True",
        f"(no ImageNet weights at {tmp_path}/hub/checkpoints/resnet18-f37072fd.pth: "
        "random initialisation)",
        "Parameters with gradients: ['fc.weight', 'fc.bias']",
        "Under no_grad, does `y` require gradients? : False",
    ]
    assert out.getvalue().splitlines()[1].startswith("ResNet-18 training step done, loss ")


def test_tutorial_training_step_moves_every_parameter(tutorial, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    autograd.manual_seed(0)
    with contextlib.redirect_stdout(io.StringIO()):
        model, loss = tutorial["training_step"]()
    assert np.isfinite(loss.item())
    params = list(model.parameters())
    assert len(params) == 62
    assert all(p.grad is not None and np.any(p.grad.numpy()) for p in params)


def test_tutorial_finetuning_updates_only_the_new_classifier(tutorial, tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with contextlib.redirect_stdout(io.StringIO()):
        model, with_grad = tutorial["finetuning"]()
    assert with_grad == ["fc.weight", "fc.bias"]
    assert tuple(model.fc.weight.shape) == (10, 512)
    frozen = [p for name, p in model.named_parameters() if not name.startswith("fc.")]
    assert frozen and all(not p.requires_grad and p.grad is None for p in frozen)


def test_tutorial_gradients(tutorial):
    with contextlib.redirect_stdout(io.StringIO()):
        a, b, Q = tutorial["differentiation_in_autograd"]()
    assert a.grad.tolist() == [36.0, 81.0]
    assert b.grad.tolist() == [-12.0, -8.0]
    assert Q.grad_fn.name() == "SubBackward0"


def test_train_cnn_quick_run_lowers_the_loss():
    train_cnn = _load("train_cnn.py")
    out = io.StringIO()
    losses, accuracy = train_cnn["train"](epochs=2, train_size=2000, test_size=500, out=out)
    assert len(losses) == 2
    assert losses[1] < losses[0] < np.log(4) + 0.2    # starts near chance, then falls
    assert accuracy > 0.6                              # chance is 0.25
    assert "epoch 2/2 [########################] 2000/2000" in out.getvalue()


def test_train_cnn_data_set_is_well_formed():
    train_cnn = _load("train_cnn.py")
    images, labels = train_cnn["make_strokes"](200, np.random.default_rng(0), noise=0.0)
    assert images.shape == (200, 1, 16, 16) and images.dtype == np.float32
    assert set(labels.tolist()) == {0, 1, 2, 3}
    # without noise each image holds one stroke of 5 to 8 pixels
    counts = (images > 0).reshape(200, -1).sum(axis=1)
    assert counts.min() >= 5 and counts.max() <= 8
