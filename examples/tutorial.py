"""PyTorch's tutorial "A gentle introduction to torch.autograd", end to end.

Every line of the tutorial's code is here with only the imports changed
(``torch`` and ``torchvision`` are this library).  The tutorial loads
torchvision's pretrained ResNet-18; this library downloads nothing, so when
the weights file is not in torchvision's cache the model starts from random
weights instead, and the script says so.

    python examples/tutorial.py
"""
import autograd as torch
import autograd as torchvision
from autograd.models.resnet import imagenet_weights_path


def pretrained_resnet18():
    """``torchvision.models.resnet18(pretrained=True)`` when the weights are
    cached, a randomly initialised ResNet-18 otherwise."""
    try:
        return torchvision.models.resnet18(pretrained=True)
    except FileNotFoundError:
        print(f"(no ImageNet weights at {imagenet_weights_path()}: random initialisation)")
        return torchvision.models.resnet18()


def training_step():
    """Usage in PyTorch: one forward, backward and SGD step of ResNet-18."""
    model = pretrained_resnet18()
    data = torch.rand(1, 3, 64, 64)
    labels = torch.rand(1, 1000)

    prediction = model(data)  # forward pass

    loss = (prediction - labels).sum()
    loss.backward()  # backward pass

    optim = torch.optim.SGD(model.parameters(), lr=1e-2, momentum=0.9)

    optim.step()  # gradient descent
    return model, loss


def differentiation_in_autograd():
    """Differentiation in autograd: Q = 3a^3 - b^2 and its gradients."""
    a = torch.tensor([2., 3.], requires_grad=True)
    b = torch.tensor([6., 4.], requires_grad=True)

    Q = 3*a**3 - b**2

    external_grad = torch.tensor([1., 1.])
    Q.backward(gradient=external_grad)

    # check if collected gradients are correct
    print(9*a**2 == a.grad)
    print(-2*b == b.grad)
    return a, b, Q


def exclusion_from_the_dag():
    """An op's output requires grad when any of its inputs does."""
    x = torch.rand(5, 5)
    y = torch.rand(5, 5)
    z = torch.rand((5, 5), requires_grad=True)

    a = x + y
    print(f"Does `a` require gradients? : {a.requires_grad}")
    b = x + z
    print(f"Does `b` require gradients?: {b.requires_grad}")


def finetuning():
    """Freeze the network, replace its classifier, optimise only that."""
    from autograd import nn, optim

    model = pretrained_resnet18()

    # Freeze all the parameters in the network
    for param in model.parameters():
        param.requires_grad = False

    model.fc = nn.Linear(512, 10)

    # Optimize only the classifier
    optimizer = optim.SGD(model.fc.parameters(), lr=1e-2, momentum=0.9)

    # Only the new classifier's weight and bias receive gradients.
    model(torch.rand(1, 3, 64, 64)).sum().backward()
    with_grad = [name for name, p in model.named_parameters() if p.grad is not None]
    print(f"Parameters with gradients: {with_grad}")
    optimizer.step()
    return model, with_grad


def no_grad_context():
    """The same exclusion, for everything computed inside ``no_grad``."""
    x = torch.ones(2, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    print(f"Under no_grad, does `y` require gradients? : {y.requires_grad}")
    return y


def main():
    _, loss = training_step()
    print(f"ResNet-18 training step done, loss {loss.item():.4f}")
    differentiation_in_autograd()
    exclusion_from_the_dag()
    finetuning()
    no_grad_context()


if __name__ == "__main__":
    main()
