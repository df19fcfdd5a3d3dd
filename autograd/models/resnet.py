"""ResNet-18 with torchvision's architecture, module names and state_dict keys.

A state_dict saved from ``torchvision.models.resnet18()`` loads into
``resnet18()`` unchanged, and the pretrained ImageNet weights are read from
torchvision's own cache when they are there (nothing is ever downloaded).
"""
import os

import autograd
from autograd import nn

__all__ = ["BasicBlock", "ResNet", "resnet18"]

# torchvision's file name for the ImageNet weights (the suffix is a hash of
# the file's contents), and its names for them.
IMAGENET_WEIGHTS_FILE = "resnet18-f37072fd.pth"
_IMAGENET_NAMES = ("IMAGENET1K_V1", "DEFAULT")


def _conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def _conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut around them."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet for blocks with expansion 1 (ResNet-18 and -34)."""

    def __init__(self, block, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        # torchvision's initialisation; Linear keeps its layer default.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                _conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = autograd.flatten(self.avgpool(x), 1)
        return self.fc(x)


def imagenet_weights_path():
    """Where torchvision caches the ResNet-18 ImageNet weights:
    ``$TORCH_HOME/hub/checkpoints`` (``TORCH_HOME`` defaults to
    ``$XDG_CACHE_HOME/torch``, and that to ``~/.cache/torch``)."""
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "torch",
    )
    return os.path.join(torch_home, "hub", "checkpoints", IMAGENET_WEIGHTS_FILE)


def _weights_file(weights):
    if isinstance(weights, str) and weights in _IMAGENET_NAMES:
        path = imagenet_weights_path()
        if not os.path.exists(path):
            raise FileNotFoundError(
                f"resnet18: the ImageNet weights are not on this machine. This library "
                f"downloads nothing: fetch torchvision's {IMAGENET_WEIGHTS_FILE} (for example "
                f"with torchvision.models.resnet18(weights='IMAGENET1K_V1') once) and put it "
                f"at {path}, or pass weights=<path to a state_dict file>."
            )
        return path
    if isinstance(weights, (str, os.PathLike)):
        if not os.path.exists(weights):
            raise FileNotFoundError(f"resnet18: no weights file at {os.fspath(weights)!r}")
        return weights
    raise TypeError(
        f"resnet18: weights must be None, 'IMAGENET1K_V1', 'DEFAULT' or a file path, "
        f"not {type(weights).__name__}"
    )


def resnet18(*, weights=None, progress=True, pretrained=None, num_classes=None):
    """torchvision's ResNet-18.

    Args:
        weights: None (random initialisation), a path to a state_dict file
            (``.pth`` written by ``torch.save`` or ``autograd.save``, or
            ``.npz``), or ``"IMAGENET1K_V1"``/``"DEFAULT"`` for torchvision's
            cached ImageNet weights.
        progress: accepted for torchvision compatibility; nothing is downloaded.
        pretrained: the older spelling: ``pretrained=True`` is
            ``weights="IMAGENET1K_V1"``.
        num_classes: size of the last layer (1000 by default, and 1000 when
            loading ImageNet weights).

    Example:
        >>> model = autograd.models.resnet18()
        >>> model(autograd.rand(1, 3, 64, 64)).shape
        (1, 1000)
    """
    if pretrained:
        if weights is not None:
            raise ValueError("resnet18: pass either weights or pretrained, not both")
        weights = "IMAGENET1K_V1"
    if weights is not None and num_classes not in (None, 1000):
        raise ValueError(
            f"resnet18: the weights have 1000 classes, but num_classes={num_classes} was asked "
            "for; load them into the default model and replace model.fc instead"
        )
    model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=1000 if num_classes is None else num_classes)
    if weights is not None:
        model.load_state_dict(autograd.load(_weights_file(weights)))
    return model
