"""Neural-network building blocks with PyTorch's ``torch.nn`` API.

    >>> from autograd import nn
    >>> net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    >>> loss = nn.MSELoss()(net(autograd.randn(3, 4)), autograd.zeros(3, 2))
    >>> loss.backward()
"""
from autograd.nn import functional
from autograd.nn import init
from autograd.nn.parameter import Parameter
from autograd.nn.module import Module
from autograd.nn.container import ModuleDict, ModuleList, Sequential
from autograd.nn.linear import Identity, Linear
from autograd.nn.conv import Conv2d
from autograd.nn.batchnorm import BatchNorm1d, BatchNorm2d
from autograd.nn.pooling import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from autograd.nn.activation import LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from autograd.nn.dropout import Dropout
from autograd.nn.flatten import Flatten
from autograd.nn.loss import CrossEntropyLoss, MSELoss, NLLLoss

__all__ = [
    "functional", "init", "Parameter", "Module", "Sequential", "ModuleList", "ModuleDict",
    "Identity", "Linear", "Conv2d", "BatchNorm1d", "BatchNorm2d", "MaxPool2d", "AvgPool2d",
    "AdaptiveAvgPool2d", "ReLU", "Tanh", "Sigmoid", "Softmax", "LogSoftmax", "Dropout",
    "Flatten", "MSELoss", "NLLLoss", "CrossEntropyLoss",
]
