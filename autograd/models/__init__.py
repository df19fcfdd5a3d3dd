"""Model architectures compatible with torchvision's (``torchvision.models``)."""
from autograd.models.resnet import ResNet, resnet18

__all__ = ["ResNet", "resnet18"]
