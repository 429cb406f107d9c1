"""The Playground's server-side work for one computing move, and what it sends: the charts drawn in the browser
against the whole Plotly figures a page sent before (the peer, measured in the same run).

    python benchmarks/playground.py [--quick]
    python benchmarks/playground.py --smoke    # one repeat of the default view: checks that it runs (the tests do)

A move that changes Run 1's learning rate (a cache miss) computes exactly this: Run 1's simulation,
its thinned path on the map and its curves under it, each split into a template and one blob per run
(figures.packed); Run 2's pieces are reused (figures.memo). Bytes: the templates and the changed
run's blobs. The peer builds, from the same runs, the figures that ``st.plotly_chart`` was handed on
every move before: the animated map (150 frames), the diagnostics, the step inspector and the
schedule charts, serialized to JSON. Times are this thread's CPU time (``time.thread_time``): on
a machine shared with other work, wall-clock time would count their share too. Medians over repeats.
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
from figures.diagnostics import diagnostics, diagnostics_spec  # noqa: E402
from figures.inspector import step_figure  # noqa: E402
from figures.map import map_split, path_map  # noqa: E402
from figures.packed import split  # noqa: E402
from figures.schedule_plot import schedule_figure  # noqa: E402
from lab.playground import DIAGNOSTIC_POINTS, MAP_OPTIONS, RunSpec, View, run_one  # noqa: E402

VIEWS = {
    "default view: bowl, 2 runs × 10,000 steps": View("bowl", (), None, 10_000),
    "4 runs × 100,000 steps": View("bowl", (), None, 100_000, (
        RunSpec("gd", (("lr", 1e-2),), slot=0), RunSpec("adagrad", (("lr", 0.1),), slot=1),
        RunSpec("momentum", (("lr", 1e-3),), slot=2), RunSpec("adam", (("lr", 1e-2),), slot=3))),
}


def moved(view: View, lr: float) -> View:
    """``view`` with Run 1's learning rate set to ``lr`` (what the slider does)."""
    first = view.runs[0]
    hyper = tuple((k, lr if k == "lr" else v) for k, v in first.hyper) or (("lr", lr),)
    return View(view.surface, view.surface_params, view.start, view.steps, (RunSpec(first.optimizer, hyper, slot=0),
                                                                              *view.runs[1:]))


def timed(t: dict, name: str, work):
    """``work()``, its CPU time put in ``t[name]``."""
    t0 = time.thread_time()
    value = work()
    t[name] = time.thread_time() - t0
    return value


def move(view: View, others: list, lr: float):
    """One computing move in the browser-drawn design: (CPU seconds by part, bytes sent)."""
    t, surface, after = {}, view.build_surface(), moved(view, lr)
    runs = timed(t, "simulate", lambda: [run_one(after, after.runs[0])] + others)
    part, _ = timed(t, "map", lambda: map_split(surface, runs))
    diag = timed(t, "diagnostics",
                 lambda: split(diagnostics_spec(surface, runs, log_steps=True, max_points=DIAGNOSTIC_POINTS)))
    return t, len(part.template_json) + len(diag.template_json) + len(part.blobs[0].data) + len(diag.blobs[0].data)


def move_as_before(view: View, others: list, lr: float):
    """The same move when every figure was built and sent whole (the peer)."""
    t, surface, after = {}, view.build_surface(), moved(view, lr)
    runs = timed(t, "simulate", lambda: [run_one(after, after.runs[0])] + others)
    figures = timed(t, "figures", lambda: [
        path_map(surface, runs, **MAP_OPTIONS), diagnostics(surface, runs, log_steps=True), step_figure(surface, runs[0], 1),
        *(schedule_figure(s.build_schedule(), s.lr, view.steps) for s in after.runs)])
    return t, timed(t, "serialize", lambda: sum(len(pio.to_json(f, validate=False)) for f in figures))


def measure(view: View, reps: int) -> dict:
    """Medians over ``reps`` moves: CPU seconds and bytes sent, for this design and for the peer."""
    rates = np.geomspace(1e-5, 8e-3, reps + 1)
    others = [run_one(view, spec) for spec in view.runs[1:]]
    move(view, others, float(rates[0]))  # first calls: imports, the surface raster, the lru caches
    move_as_before(view, others, float(rates[0]))
    samples = [move(view, others, float(lr)) for lr in rates[1:]]
    peers = [move_as_before(view, others, float(lr)) for lr in rates[1:]]
    return {"cpu": np.median([sum(t.values()) for t, _ in samples]),
            "parts": {k: np.median([t[k] for t, _ in samples]) for k in samples[0][0]},
            "bytes": np.median([b for _, b in samples]),
            "peer_cpu": np.median([sum(t.values()) for t, _ in peers]), "peer_bytes": np.median([b for _, b in peers])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="3 repeats instead of 9")
    ap.add_argument("--smoke", action="store_true", help="one repeat of the default view (checks that it runs)")
    args = ap.parse_args()
    reps = 1 if args.smoke else 3 if args.quick else 9
    views = dict(list(VIEWS.items())[:1]) if args.smoke else VIEWS
    optimizers.warm_up()
    for label, view in views.items():
        m = measure(view, reps)
        print(f"\n{label}")
        print(f"  a computing move, drawn in the browser: {m['cpu'] * 1e3:,.1f} ms   "
              + "  ".join(f"{k} {v * 1e3:,.1f} ms" for k, v in m["parts"].items())
              + f"   sent {m['bytes'] / 1e3:,.1f} kB (templates and the moved run's blobs)")
        print(f"  peer, whole Plotly figures: {m['peer_cpu'] * 1e3:,.1f} ms, sent {m['peer_bytes'] / 1e6:.2f} MB")
        print(f"  -> {m['peer_cpu'] / m['cpu']:.1f}× less server work, {m['peer_bytes'] / m['bytes']:.0f}× fewer bytes")


if __name__ == "__main__":
    main()
