"""The Noisy gradients page's server-side rerun on a cache miss: runs, epoch view, figures, serialization.

    python benchmarks/noisy.py [--repeats N]
    python benchmarks/noisy.py --smoke    # one repeat: checks that it runs (the tests do)

Prints medians over repeats (the surface grid of every example is built once per process, as on the
server, and timed separately) and the figure sizes. The peer for the SGD engine is the same runs with
one NumPy call per update (the naive loop of tests/test_noisy.py), measured in the same run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from batchlab import noisy as nz  # noqa: E402
from figures import noisy as F  # noqa: E402


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def numpy_per_update(config: nz.NoisyConfig):
    """θ ← θ − η·g_B with the vectorized ``gradient`` called once per update (the peer)."""
    d = nz.dataset()
    for size in config.batch_sizes:
        theta = np.array(config.start, dtype=np.float64)
        for order in nz.epoch_orders(config.seed, config.epochs, size):
            for batch in order.reshape(-1, size):
                theta = theta - config.eta * nz.gradient(theta, d.x[batch], d.y[batch])


def rerun(config: nz.NoisyConfig, size: int = 8, epoch: int = 0):
    """What a rerun that misses every cache does: compute, build the four figures, serialize them."""
    result = nz.run_all(config)
    figures = [F.batch_figure(result, nz.epoch_view(result, size, epoch)), F.paths_figure(result),
               F.loss_figure(result), F.fit_figure(result)]
    return [pio.to_json(fig, validate=False) for fig in figures]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="one repeat (checks that the script runs)")
    args = parser.parse_args()
    if args.smoke:
        args.repeats = 1
    t0 = time.perf_counter()
    nz.example_losses()
    nz.full_surface()
    nz.minima()
    print(f"per-process setup (example surfaces 128 × 80 × 80, minima): {1e3 * (time.perf_counter() - t0):.0f} ms")

    default = nz.NoisyConfig(start=nz.saddle())
    long = nz.NoisyConfig(start=nz.saddle(), epochs=nz.MAX_EPOCHS)
    rows = []
    for name, config in (("defaults (30 epochs, batch sizes 1, 8, 32, 128)", default),
                         (f"{nz.MAX_EPOCHS} epochs, same sizes", long)):
        updates = sum(config.epochs * nz.N // s for s in config.batch_sizes)
        engine = median_ms(lambda: nz.run_all(config), args.repeats)
        peer = median_ms(lambda: numpy_per_update(config), max(1, args.repeats // 3))
        full = median_ms(lambda: rerun(config), args.repeats)
        rows.append((name, updates, engine, peer, full))
    print(f"{'setting':50} {'updates':>8} {'run_all':>9} {'NumPy/update':>13} {'ratio':>6} {'rerun (miss)':>13}")
    for name, updates, engine, peer, full in rows:
        print(f"{name:50} {updates:>8,} {engine:>7.1f}ms {peer:>11.1f}ms {peer / engine:>5.1f}× {full:>11.1f}ms")

    sizes = [len(s) for s in rerun(default)]
    print("figure JSON sizes at defaults (batch surfaces, paths, loss curves, fitted curves): "
          + ", ".join(f"{s / 1024:.0f} kB" for s in sizes))
    sizes = [len(s) for s in rerun(long, size=1)]
    print(f"at {nz.MAX_EPOCHS} epochs, batch size 1 animated (32 frames): "
          + ", ".join(f"{s / 1024:.0f} kB" for s in sizes))


if __name__ == "__main__":
    main()
