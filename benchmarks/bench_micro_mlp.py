"""micrograd's demo as a training step: a 2-16-16-1 ReLU MLP on 100 points.

The loss is micrograd's max-margin SVM loss with L2 regularisation,
``mean(relu(1 - y * score)) + 1e-4 * sum(p * p for every parameter)``, on a
fixed two-moons-like set of 100 float32 points with labels +-1; the step is
plain SGD (lr 0.1, no momentum).  Forward is the loss; backward is
``loss.backward()`` plus the step, from the same weights each time (reset
untimed).  Versions: autograd, torch, hand-written numpy, and micrograd, which
works one point and one float64 scalar at a time, as its demo does.

    pytest benchmarks/bench_micro_mlp.py --benchmark-enable
"""
import functools

import numpy as np

from benchmarks import bench_mlp, micrograd_support
from benchmarks.training import TrainingStepCase

SIZE = 100                       # the points; fixed
LAYERS = (2, 16, 16, 1)
ALPHA = 1e-4                     # the L2 weight
LR = 0.1
NAMES = ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")


def weights():
    """PyTorch Linear's default initialisation, drawn once: name -> float32 array."""
    return bench_mlp.weights(LAYERS)


def moons(size=SIZE):
    """Two interleaved noisy half circles: (size, 2) float32 points, labels -1 and +1."""
    rng = np.random.default_rng(1)
    half = size // 2
    angle = rng.uniform(0.0, np.pi, size)
    upper = np.stack([np.cos(angle[:half]), np.sin(angle[:half])], axis=1)
    lower = np.stack([1.0 - np.cos(angle[half:]), 0.5 - np.sin(angle[half:])], axis=1)
    points = np.concatenate([upper, lower]) + rng.normal(0.0, 0.1, (size, 2))
    labels = np.where(np.arange(size) < half, -1.0, 1.0)
    return points.astype(np.float32), labels.astype(np.float32)


def numpy_forward(state, x, y):
    """Loss and what backward needs, for hand-written numpy (any float dtype)."""
    h1 = np.maximum(x @ state["0.weight"].T + state["0.bias"], 0)
    h2 = np.maximum(h1 @ state["2.weight"].T + state["2.bias"], 0)
    score = (h2 @ state["4.weight"].T + state["4.bias"])[:, 0]
    margin = 1 - y * score
    l2 = sum(np.sum(w * w) for w in state.values())
    loss = np.maximum(margin, 0).mean() + ALPHA * l2
    return loss, (x, y, h1, h2, margin)


def numpy_gradients(state, saved):
    x, y, h1, h2, margin = saved
    g = (-(y * (margin > 0)) / len(y))[:, None]          # d loss / d score
    grads = {"4.weight": g.T @ h2, "4.bias": g.sum(axis=0)}
    g = (g @ state["4.weight"]) * (h2 > 0)
    grads.update({"2.weight": g.T @ h1, "2.bias": g.sum(axis=0)})
    g = (g @ state["2.weight"]) * (h1 > 0)
    grads.update({"0.weight": g.T @ x, "0.bias": g.sum(axis=0)})
    return {name: grad + 2 * ALPHA * state[name] for name, grad in grads.items()}


class TensorCase(TrainingStepCase):
    """The workload on autograd or torch (their nn and optim APIs agree)."""

    def __init__(self, lib):
        nn = lib.nn
        model = nn.Sequential(
            nn.Linear(LAYERS[0], LAYERS[1]), nn.ReLU(),
            nn.Linear(LAYERS[1], LAYERS[2]), nn.ReLU(),
            nn.Linear(LAYERS[2], LAYERS[3]),
        )
        super().__init__(lib, model, weights(), LR, momentum=0.0)
        x, y = moons()
        self.x, self.y = lib.from_numpy(x), lib.from_numpy(y)
        self.parameters = list(model.parameters())

    def loss(self):
        score = self.model(self.x)[:, 0]
        margin = (1 - self.y * score).relu().mean()
        return margin + ALPHA * sum((p * p).sum() for p in self.parameters)

    def grads(self):
        """The weights after the step."""
        return {name: t.detach().numpy().copy() for name, t in self.model.state_dict().items()}


class NumpyCase:
    """The same step in numpy, gradients and SGD written by hand."""

    def __init__(self):
        self.initial = weights()
        self.state = None
        self.x, self.y = moons()

    def forward(self):
        return numpy_forward(self.initial, self.x, self.y)

    def graph(self):
        self.state = {name: w.copy() for name, w in self.initial.items()}
        return (numpy_forward(self.state, self.x, self.y),), {}

    def backward(self, result):
        _, saved = result
        for name, grad in numpy_gradients(self.state, saved).items():
            self.state[name] -= LR * grad

    @staticmethod
    def value(result):
        return float(result[0])

    def grads(self):
        return self.state


class MicrogradCase:
    """The step on micrograd (float64 scalars), written as its demo writes it.

    micrograd.nn's MLP, loaded with the same weights; one Value per input
    coordinate; ``sum`` of per-point losses; SGD by hand.  The graph is about
    65,000 nodes, its deepest path about 400 (the sum over parameters), within
    the recursion limit raised here for micrograd's recursive sort.  The
    collector is paused while it builds (see micrograd_support).
    """

    def __init__(self, engine):
        from micrograd import nn
        self.Value = engine.Value
        self.model = nn.MLP(LAYERS[0], list(LAYERS[1:]))
        self.parameters = self.model.parameters()
        x, y = moons()
        self.x = x.astype(np.float64).tolist()
        self.y = y.astype(np.float64).tolist()
        self.initial = weights()
        micrograd_support.allow_depth(10_000)
        self.reset()

    def _neurons(self):
        for k, layer in enumerate(self.model.layers):
            for row, neuron in enumerate(layer.neurons):
                yield f"{2 * k}", row, neuron

    def reset(self):
        for layer, row, neuron in self._neurons():
            for w, value in zip(neuron.w, self.initial[f"{layer}.weight"][row]):
                w.data, w.grad = float(value), 0.0
            neuron.b.data = float(self.initial[f"{layer}.bias"][row])
            neuron.b.grad = 0.0

    def forward(self):
        Value = self.Value
        with micrograd_support.collector_paused():   # untimed calls too (timed ones are)
            scores = [self.model([Value(a), Value(b)]) for a, b in self.x]
            losses = [(1 + -label * score).relu() for label, score in zip(self.y, scores)]
            data_loss = sum(losses) * (1.0 / len(losses))
            return data_loss + ALPHA * sum(p * p for p in self.parameters)

    def graph(self):
        self.reset()
        return (self.forward(),), {}

    def backward(self, loss):
        loss.backward()
        for p in self.parameters:
            p.data -= LR * p.grad

    @staticmethod
    def value(loss):
        return loss.data

    def grads(self):
        """The weights after the step, as the other versions name them."""
        state = {name: np.zeros_like(w, dtype=np.float64) for name, w in self.initial.items()}
        for layer, row, neuron in self._neurons():
            state[f"{layer}.weight"][row] = [w.data for w in neuron.w]
            state[f"{layer}.bias"][row] = neuron.b.data
        return state


def make_case(lib, size=SIZE):
    """The workload on ``lib`` (autograd, torch, numpy or micrograd); 100 points only."""
    if size not in (None, SIZE):
        raise ValueError(f"the micrograd MLP has {SIZE} points, not {size}")
    if micrograd_support.is_micrograd(lib):
        return MicrogradCase(lib)
    return NumpyCase() if lib is np else TensorCase(lib)


@functools.lru_cache(maxsize=None)
def _reference():
    state = {name: w.astype(np.float64) for name, w in weights().items()}
    x, y = moons()
    loss, saved = numpy_forward(state, x.astype(np.float64), y.astype(np.float64))
    grads = numpy_gradients(state, saved)
    return loss, state, {name: -LR * grads[name] for name in state}


def check_forward(loss, size=SIZE):
    np.testing.assert_allclose(loss, _reference()[0], rtol=1e-5)


def check_backward(after_step, size=SIZE):
    """The step's change of every weight against float64's (a missed step fails)."""
    _, before, change = _reference()
    assert sorted(after_step) == sorted(NAMES), sorted(after_step)
    for name in NAMES:
        actual = after_step[name].astype(np.float64) - before[name]
        np.testing.assert_allclose(actual, change[name], rtol=1e-3, atol=1e-6, err_msg=name)


# ---------------------------------------------------------------- pytest-benchmark

def test_micro_mlp_forward(benchmark, scalar_backend):
    benchmark.group = "micrograd MLP forward (100 points, 2-16-16-1)"
    case = make_case(scalar_backend)
    check_forward(case.value(benchmark(case.forward)))


def test_micro_mlp_step(benchmark, scalar_backend):
    benchmark.group = "micrograd MLP backward + SGD step (100 points, 2-16-16-1)"
    case = make_case(scalar_backend)
    benchmark.pedantic(case.backward, setup=case.graph, rounds=5)
    check_backward(case.grads())
