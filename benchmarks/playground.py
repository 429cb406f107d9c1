"""The Playground's server-side rerun: simulate + build figures + serialize, and the figure sizes.

    python benchmarks/playground.py [--quick]
    python benchmarks/playground.py --smoke    # one repeat of the default view: checks that it runs (the tests do)

A slider move that misses the cache costs exactly this (a hit costs only the
serialization). Medians over repeats; the peer is the same map drawn with
every recorded point (no downsampling), measured in the same run.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import plotly.io as pio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import optimizers  # noqa: E402
from figures.diagnostics import diagnostics  # noqa: E402
from figures.inspector import step_figure  # noqa: E402
from figures.map import path_map  # noqa: E402
from figures.schedule_plot import schedule_figure  # noqa: E402
from lab.playground import MAP_OPTIONS, RunSpec, View, run_view  # noqa: E402

VIEWS = {
    "default view: bowl, 2 runs × 10,000 steps": View("bowl", (), None, 10_000),
    "4 runs × 100,000 steps": View("bowl", (), None, 100_000, (
        RunSpec("gd", (("lr", 1e-2),), slot=0), RunSpec("adagrad", (("lr", 0.1),), slot=1),
        RunSpec("momentum", (("lr", 1e-3),), slot=2), RunSpec("adam", (("lr", 1e-2),), slot=3))),
}


def to_json(fig):
    return pio.to_json(fig, validate=False)


def rerun(view, map_points=2000):
    """Everything a cache-missing rerun computes; returns (seconds by part, bytes by figure)."""
    t = {}
    t0 = time.perf_counter()
    runs = run_view(view)
    t["simulate"] = time.perf_counter() - t0
    surface = view.build_surface()
    figs = {}
    for name, build in {
        "map": lambda: path_map(surface, runs, max_points=map_points, **MAP_OPTIONS),
        "diagnostics": lambda: diagnostics(surface, runs),
        "inspector": lambda: step_figure(surface, runs[0], 1),
        "schedules": lambda: [schedule_figure(s.build_schedule(), s.lr, view.steps) for s in view.runs],
    }.items():
        t1 = time.perf_counter()
        figs[name] = build()
        t[name] = time.perf_counter() - t1
    t1 = time.perf_counter()
    sizes = {name: sum(len(to_json(f)) for f in (fig if isinstance(fig, list) else [fig])) for name, fig in figs.items()}
    t["serialize"] = time.perf_counter() - t1
    return t, sizes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 repeats instead of 7")
    ap.add_argument("--smoke", action="store_true", help="one repeat of the default view (checks that it runs)")
    args = ap.parse_args()
    reps = 1 if args.smoke else 3 if args.quick else 7
    views = dict(list(VIEWS.items())[:1]) if args.smoke else VIEWS
    optimizers.warm_up()
    rerun(VIEWS[next(iter(VIEWS))])  # first-call costs (imports, lru caches of the surface raster)
    for label, view in views.items():
        samples = [rerun(view) for _ in range(reps)]
        parts = {k: np.median([s[0][k] for s in samples]) for k in samples[0][0]}
        total = np.median([sum(s[0].values()) for s in samples])
        sizes = samples[0][1]
        peer = [sum(rerun(view, map_points=10**7)[0].values()) for _ in range(max(1, reps // 2))]
        peer_size = rerun(view, map_points=10**7)[1]["map"]
        print(f"\n{label}")
        print(f"  rerun total (median of {reps}): {total * 1e3:,.0f} ms   "
              + "  ".join(f"{k} {v * 1e3:,.1f} ms" for k, v in parts.items()))
        print("  figure JSON: " + "  ".join(f"{k} {v / 1e6:.2f} MB" for k, v in sizes.items())
              + f"   (all {sum(sizes.values()) / 1e6:.2f} MB)")
        print(f"  peer, every point drawn: rerun {np.median(peer) * 1e3:,.0f} ms, map {peer_size / 1e6:.2f} MB  "
              f"-> downsampled map is {peer_size / sizes['map']:.1f}× smaller, rerun {np.median(peer) / total:.1f}× faster")


if __name__ == "__main__":
    main()
