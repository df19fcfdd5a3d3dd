"""The tutorial's ResNet-18 training step on (N, 3, 64, 64) random images.

Forward is ``prediction = model(data)`` and ``loss = (prediction - labels).sum()``
in training mode; backward is ``loss.backward()`` plus an SGD step
(lr 1e-2, momentum 0.9).  Each timed backward starts from the same weights
and a fresh optimizer (reset untimed).  PyTorch runs torchvision's
architecture written in plain torch.nn (benchmarks/torch_resnet.py); there
is no hand-written numpy version.

    pytest benchmarks/bench_resnet.py --benchmark-enable
"""
import numpy as np
import pytest

from benchmarks import micrograd_support
from benchmarks.training import TrainingStepCase

SIZE = 16                        # the batch; the table also runs 1
LR = 0.01
MOMENTUM = 0.9


def weights(model):
    """Deterministic float32 values for every entry of ``model``'s state_dict."""
    rng = np.random.default_rng(0)
    state = {}
    for name, tensor in model.state_dict().items():
        shape = tuple(tensor.shape)
        if name.endswith("num_batches_tracked"):
            state[name] = np.zeros(shape, dtype=np.int64)
        elif len(shape) == 1 and name.endswith(("running_var", "weight")):
            # batch norm's scale and variance (the only 1-D weights)
            state[name] = np.ones(shape, dtype=np.float32)
        elif len(shape) == 1:
            state[name] = np.zeros(shape, dtype=np.float32)
        else:
            fan_in = int(np.prod(shape[1:]))
            state[name] = rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).astype(np.float32)
    return state


def batch(size):
    rng = np.random.default_rng(1)
    return (rng.random((size, 3, 64, 64), dtype=np.float32),
            rng.random((size, 1000), dtype=np.float32))


def build(lib):
    if lib.__name__ == "torch":
        from benchmarks.torch_resnet import ResNet18
        return ResNet18()
    return lib.models.resnet18()


class TensorCase(TrainingStepCase):
    """The workload on autograd or torch."""

    def __init__(self, lib, size):
        model = build(lib)
        super().__init__(lib, model, weights(model), LR, MOMENTUM)
        data, labels = batch(size)
        self.data, self.labels = lib.from_numpy(data), lib.from_numpy(labels)

    def loss(self):
        prediction = self.model(self.data)
        return (prediction - self.labels).sum()

    def grads(self):
        """Each parameter's change made by the step."""
        return {name: (p.detach().numpy() - self.initial[name].numpy())
                for name, p in self.model.named_parameters()}


def make_case(lib, size):
    micrograd_support.reject(lib, "ResNet-18")
    if lib is np:
        raise NotImplementedError("ResNet-18 has no hand-written numpy version")
    return TensorCase(lib, size)


def check_forward(loss, size=SIZE):
    assert np.isfinite(loss), loss


def check_backward(changes, size=SIZE):
    # Every parameter receives a gradient, so SGD moves every one of them.
    assert len(changes) == 62, sorted(changes)
    for name, change in changes.items():
        assert np.isfinite(change).all() and np.any(change != 0), name


# ---------------------------------------------------------------- pytest-benchmark

def test_resnet_step(benchmark, backend):
    if backend is np:
        pytest.skip("ResNet-18 has no hand-written numpy version")
    benchmark.group = "ResNet-18 training step (2, 3, 64, 64)"
    case = make_case(backend, 2)
    benchmark.pedantic(case.backward, setup=case.graph, rounds=3)
    check_backward(case.grads())
