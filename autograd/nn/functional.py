"""``torch.nn.functional``: the layers' operations as functions."""
