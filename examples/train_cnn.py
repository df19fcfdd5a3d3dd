"""Train a small CNN to tell the direction of a stroke in a noisy image.

The data set is generated here (nothing is downloaded): 16x16 grey images,
each holding one short line at a random place, in one of four directions
(horizontal, vertical, and the two diagonals), with Gaussian noise on top.
A two-convolution network with batch norm learns to name the direction; with
the defaults it reaches at least 95% accuracy on held-out images in about
ten seconds on two cores.

    python examples/train_cnn.py               # the full run
    python examples/train_cnn.py --quick       # a short smoke run
"""
import argparse
import sys
import time

import numpy as np

import autograd
from autograd import nn, optim
import autograd.nn.functional as F

CLASSES = ("horizontal", "vertical", "diagonal \\", "diagonal /")
SIZE = 16


def make_strokes(count, rng, noise=0.35):
    """``count`` images of shape (1, SIZE, SIZE) and their class indices."""
    images = rng.normal(0.0, noise, size=(count, 1, SIZE, SIZE)).astype(np.float32)
    labels = rng.integers(0, len(CLASSES), size=count)
    steps = {0: (0, 1), 1: (1, 0), 2: (1, 1), 3: (1, -1)}
    for image, label in zip(images, labels):
        dy, dx = steps[int(label)]
        length = int(rng.integers(5, 9))
        # a start point from which the whole stroke stays inside the image
        y = int(rng.integers(0, SIZE - dy * (length - 1)))
        x_low = max(0, -dx * (length - 1))
        x = int(rng.integers(x_low, SIZE - max(0, dx) * (length - 1)))
        for k in range(length):
            image[0, y + dy * k, x + dx * k] += 1.0
    return images, labels.astype(np.int64)


class StrokeNet(nn.Module):
    """conv-bn-relu-pool twice, then a linear classifier."""

    def __init__(self, classes=len(CLASSES)):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Linear(16 * (SIZE // 4) ** 2, classes)

    def forward(self, x):
        return self.classifier(autograd.flatten(self.features(x), 1))


def accuracy(model, images, labels, batch_size=500):
    model.eval()
    correct = 0
    with autograd.no_grad():
        for start in range(0, len(images), batch_size):
            logits = model(autograd.from_numpy(images[start:start + batch_size]))
            correct += int((logits.numpy().argmax(1) == labels[start:start + batch_size]).sum())
    model.train()
    return correct / len(images)


def _progress(epoch, epochs, done, total, loss, out):
    width = 24
    filled = int(width * done / total)
    bar = "#" * filled + "-" * (width - filled)
    out.write(f"\repoch {epoch}/{epochs} [{bar}] {done}/{total} loss {loss:.4f}")
    out.flush()


def train(epochs=8, train_size=6000, test_size=1000, batch_size=64, lr=1e-2, seed=0,
          out=sys.stdout):
    """Train StrokeNet; return (per-epoch mean losses, held-out accuracy)."""
    autograd.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_x, train_y = make_strokes(train_size, rng)
    test_x, test_y = make_strokes(test_size, rng)

    model = StrokeNet()
    optimizer = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    losses = []
    for epoch in range(1, epochs + 1):
        order = rng.permutation(train_size)
        total = 0.0
        batches = 0
        for start in range(0, train_size, batch_size):
            index = order[start:start + batch_size]
            logits = model(autograd.from_numpy(train_x[index]))
            loss = F.cross_entropy(logits, autograd.from_numpy(train_y[index]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
            batches += 1
            _progress(epoch, epochs, min(start + batch_size, train_size), train_size,
                      total / batches, out)
        losses.append(total / batches)
        out.write(f"  held-out accuracy {accuracy(model, test_x, test_y):.3f}\n")
    return losses, accuracy(model, test_x, test_y)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="a short run (2 epochs, 2,000 images)")
    args = parser.parse_args(argv)
    sizes = dict(epochs=2, train_size=2000, test_size=500) if args.quick else dict(epochs=args.epochs)
    start = time.perf_counter()
    losses, acc = train(seed=args.seed, **sizes)
    print(f"final held-out accuracy {acc:.3f} after {len(losses)} epochs "
          f"({time.perf_counter() - start:.1f} s, {autograd.ENGINE} engine)")
    return losses, acc


if __name__ == "__main__":
    main()
