"""Neural-network building blocks with PyTorch's ``torch.nn`` API."""
from autograd.nn import functional
