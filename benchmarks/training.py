"""What the training-step workloads (MLP, ResNet-18) share: a model, its initial
weights, and an SGD step whose setup resets both, on autograd or torch."""


class TrainingStepCase:
    """Forward is ``self.loss()``; backward is ``loss.backward()`` plus ``optimizer.step()``.

    Every timed backward starts from the initial weights and a fresh
    optimizer (reset in the untimed setup), so each run does the same
    arithmetic and the step can be checked afterwards.
    """

    def __init__(self, lib, model, initial, lr, momentum):
        self.lib = lib
        self.model = model
        self.initial = {name: lib.from_numpy(w) for name, w in initial.items()}
        self.lr, self.momentum = lr, momentum
        self.optimizer = None
        self.reset()

    def loss(self):
        raise NotImplementedError

    def forward(self):
        return self.loss()

    def reset(self):
        """The initial weights and a fresh optimizer."""
        self.model.load_state_dict(self.initial)
        self.optimizer = self.lib.optim.SGD(self.model.parameters(), lr=self.lr,
                                            momentum=self.momentum)
        self.optimizer.zero_grad()

    def graph(self):
        """Reset, then build the graph: backward's untimed setup."""
        self.reset()
        return (self.loss(),), {}

    def backward(self, loss):
        loss.backward()
        self.optimizer.step()

    @staticmethod
    def value(loss):
        return loss.item()
