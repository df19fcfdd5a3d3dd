"""An MLP training step: batch 128, 784-512-512-10, ReLU, cross-entropy, SGD momentum 0.9.

Forward is the loss; backward is ``loss.backward()`` plus ``optimizer.step()``.
Each timed backward starts from the same weights and a fresh optimizer (reset
untimed), so every run does the same arithmetic and the result can be
checked: the weights after one step against a float64 numpy reference.

    pytest benchmarks/bench_mlp.py --benchmark-enable
"""
import numpy as np

from benchmarks import micrograd_support
from benchmarks.training import TrainingStepCase

SIZE = 128                       # the batch
LAYERS = (784, 512, 512, 10)
LR = 0.01
MOMENTUM = 0.9


def weights(layers=LAYERS):
    """PyTorch Linear's default initialisation of a ReLU MLP with these layer
    widths (Sequential's names), drawn once: name -> float32 array."""
    rng = np.random.default_rng(0)
    state = {}
    for k, (fan_in, fan_out) in enumerate(zip(layers, layers[1:])):
        bound = 1.0 / np.sqrt(fan_in)
        state[f"{2 * k}.weight"] = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
        state[f"{2 * k}.bias"] = rng.uniform(-bound, bound, fan_out).astype(np.float32)
    return state


def batch(size):
    rng = np.random.default_rng(1)
    return (rng.standard_normal((size, LAYERS[0]), dtype=np.float32),
            rng.integers(0, LAYERS[-1], size))


def numpy_forward(state, x, y):
    """Loss and what backward needs, for hand-written numpy (any float dtype)."""
    h1 = np.maximum(x @ state["0.weight"].T + state["0.bias"], 0)
    h2 = np.maximum(h1 @ state["2.weight"].T + state["2.bias"], 0)
    logits = h2 @ state["4.weight"].T + state["4.bias"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = np.mean(np.log(total[:, 0]) - shifted[rows, y])
    return loss, (x, y, h1, h2, exp / total)


def numpy_gradients(state, saved):
    x, y, h1, h2, probs = saved
    g = probs.copy()
    g[np.arange(len(y)), y] -= 1
    g /= len(y)
    grads = {"4.weight": g.T @ h2, "4.bias": g.sum(axis=0)}
    g = (g @ state["4.weight"]) * (h2 > 0)
    grads.update({"2.weight": g.T @ h1, "2.bias": g.sum(axis=0)})
    g = (g @ state["2.weight"]) * (h1 > 0)
    grads.update({"0.weight": g.T @ x, "0.bias": g.sum(axis=0)})
    return grads


class TensorCase(TrainingStepCase):
    """The workload on autograd or torch (their nn and optim APIs agree)."""

    def __init__(self, lib, size):
        nn = lib.nn
        model = nn.Sequential(
            nn.Linear(LAYERS[0], LAYERS[1]), nn.ReLU(),
            nn.Linear(LAYERS[1], LAYERS[2]), nn.ReLU(),
            nn.Linear(LAYERS[2], LAYERS[3]),
        )
        super().__init__(lib, model, weights(), LR, MOMENTUM)
        x, y = batch(size)
        self.x, self.y = lib.from_numpy(x), lib.from_numpy(y)

    def loss(self):
        return self.lib.nn.functional.cross_entropy(self.model(self.x), self.y)

    def grads(self):
        """The weights after the step."""
        return {name: t.detach().numpy().copy() for name, t in self.model.state_dict().items()}


class NumpyCase:
    """The same step in numpy, gradients and momentum SGD written by hand."""

    def __init__(self, size):
        self.initial = weights()
        self.state = None
        self.velocity = None
        self.x, self.y = batch(size)

    def forward(self):
        return numpy_forward(self.initial, self.x, self.y)

    def graph(self):
        self.state = {name: w.copy() for name, w in self.initial.items()}
        self.velocity = {}
        return (numpy_forward(self.state, self.x, self.y),), {}

    def backward(self, result):
        _, saved = result
        for name, grad in numpy_gradients(self.state, saved).items():
            # PyTorch's first momentum step: the buffer starts as the gradient
            buf = self.velocity.get(name)
            if buf is None:
                buf = self.velocity[name] = grad
            else:
                buf *= MOMENTUM
                buf += grad
            self.state[name] -= LR * buf

    @staticmethod
    def value(result):
        return float(result[0])

    def grads(self):
        return self.state


def make_case(lib, size):
    micrograd_support.reject(lib, "a batched MLP")
    return NumpyCase(size) if lib is np else TensorCase(lib, size)


def _reference(size):
    state = {name: w.astype(np.float64) for name, w in weights().items()}
    x, y = batch(size)
    loss, saved = numpy_forward(state, x.astype(np.float64), y)
    grads = numpy_gradients(state, saved)
    return loss, {name: state[name] - LR * grads[name] for name in state}


def check_forward(loss, size=SIZE):
    np.testing.assert_allclose(loss, _reference(size)[0], rtol=1e-4)


def check_backward(after_step, size=SIZE):
    expected = _reference(size)[1]
    assert sorted(after_step) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_allclose(after_step[name], value, rtol=1e-4, atol=1e-6, err_msg=name)


# ---------------------------------------------------------------- pytest-benchmark

def test_mlp_forward(benchmark, backend):
    benchmark.group = "MLP forward (batch 128)"
    case = make_case(backend, SIZE)
    check_forward(case.value(benchmark(case.forward)))


def test_mlp_step(benchmark, backend):
    benchmark.group = "MLP backward + SGD step (batch 128)"
    case = make_case(backend, SIZE)
    benchmark.pedantic(case.backward, setup=case.graph, rounds=10)
    check_backward(case.grads())
