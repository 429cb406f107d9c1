"""MNIST-shaped training data made up in memory: 60,000 images of 1×28×28 in 10 classes.

The time of one update depends on the shapes and the device, not on the pixel values, so the
timing experiment needs no download: images are uniform in [0, 1) and labels uniform over the 10
classes, drawn from a seeded torch generator on the CPU (the same numbers on every device), as
float32 (60,000 × 784 × 4 B = 188 MB) and int64 labels. Each device gets its copy once per process.
"""
from __future__ import annotations

import threading

import torch

from .models import CLASSES, INPUT_SHAPE

EXAMPLES = 60_000  # MNIST's training set
SEED = 0

_made: dict = {}
_lock = threading.Lock()  # two sessions asking at once build it once


def generate(examples: int = EXAMPLES, seed: int = SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """Images (examples, 1, 28, 28) float32 in [0, 1) and labels (examples,) int64 in 0..9, on the CPU."""
    generator = torch.Generator().manual_seed(seed)
    images = torch.rand((examples, *INPUT_SHAPE), generator=generator, dtype=torch.float32)
    labels = torch.randint(0, CLASSES, (examples,), generator=generator)
    return images, labels


def dataset(device: str = "cpu", examples: int = EXAMPLES) -> tuple[torch.Tensor, torch.Tensor]:
    """``generate(examples)`` on ``device``, made once per (device, examples) and reused: treat as read-only."""
    key = (str(device), int(examples))
    with _lock:
        if key not in _made:
            images, labels = generate(examples)
            _made[key] = (images.to(device), labels.to(device))
        return _made[key]
