"""Batch experiments with torch: timing per update and epoch, noisy mini-batch gradients, generalization."""
