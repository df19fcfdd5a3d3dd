"""Optimizers with PyTorch's ``torch.optim`` API."""
