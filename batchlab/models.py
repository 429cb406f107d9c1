"""The two models of the batch timing experiment, both for MNIST-shaped inputs (1×28×28, 10 classes).

- ``mlp``: 784 → 256 → 256 → 10 with ReLU (269,322 parameters), the input flattened;
- ``cnn``: a small convolutional net: 3×3 convolution to 8 channels, ReLU, 2×2 max-pool (14×14),
  3×3 convolution to 16 channels, ReLU, 2×2 max-pool (7×7), then a linear layer 784 → 10
  (9,098 parameters, but far more arithmetic per example than the MLP).

Both return logits of shape (B, 10). Weights come from a seeded generator, so two builds agree.
"""
from __future__ import annotations

import torch
from torch import nn

MODELS = ("mlp", "cnn")
INPUT_SHAPE = (1, 28, 28)
CLASSES = 10


def mlp() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, CLASSES),
    )


def cnn() -> nn.Module:
    # In-place ReLU: the convolutions' backward needs their inputs, not their outputs, so this is
    # safe and saves one activation copy per layer (about 1.5 GB at batch 60,000).
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=True), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, CLASSES),
    )


_BUILDERS = {"mlp": mlp, "cnn": cnn}


def make_model(name: str, seed: int = 0) -> nn.Module:
    """A fresh model ``name`` (one of MODELS) with weights drawn from ``torch.manual_seed(seed)``'s stream."""
    if name not in _BUILDERS:
        raise ValueError(f"model = {name!r} is not valid; allowed: {', '.join(MODELS)}")
    with torch.random.fork_rng(devices=[]):  # seed locally: leave the caller's global generator alone
        torch.manual_seed(seed)
        return _BUILDERS[name]()


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
