"""``save`` and ``load`` for tensors, state_dicts and optimizer states."""


def save(obj, f):
    raise NotImplementedError("autograd.save")


def load(f, map_location=None, weights_only=True):
    raise NotImplementedError("autograd.load")
