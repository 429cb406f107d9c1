"""The Schedules page's model: the gallery's controls and the two demos that apply a schedule to a run.

No Streamlit. The gallery shows every kind of ``optimizers.schedule_names()``
with its parameters on widgets described here (``control(kind, name)``); the
demos are data (``Demo``) and ``demo_runs`` turns one into RunViews for
``figures.map.path_map``.

The two demos:

- ``ADAGRAD_DECAY``: the lecture's Adagrad (``variant="lecture"``: σ is the
  root *mean* square of the past gradients) on the bowl with quadratic walls,
  η = 0.1, from (−1.8, 0.4), 2,000 steps. With a constant η it reaches the
  floor by step 11 and then bursts: on the floor the gradients across the
  valley are tiny, their mean square shrinks, η/σ grows, and at step 379 the
  run leaps up the wall to |θ₂| = 0.71; there σ grows again and the run falls
  back to the floor, then bursts again at steps 1,026 and 1,863 (3 bursts,
  each back to |θ₂| < 0.001; 42 in 100,000 steps). Its end point at step 2,000
  lies on the floor between two bursts, so the end-point verdict says
  "converged": the page says so. With η_t = η/√(t+1) the step shrinks as fast
  as σ does: no burst, L = 1e-23 at the end.
- ``ADAM_WARMUP``: Adam, η = 0.3, on Beale's function from (−4, −1.5), 2,000
  steps, without and with a linear warm-up over 100 steps (then constant:
  ``warmup_linear`` with ``end_factor=1``, so only the warm-up differs).
  Picked by a search over the surfaces, starts (a 25 × 25 grid, each with a
  3 × 3 patch around it), η from 0.05 to 1 and warm-ups of 50, 100 and 200
  steps, for a start where every run of the patch with warm-up reaches the
  global minimum and every run without does not. Here: without warm-up Adam's
  first moves are η in both coordinates at once (m̂/σ̂ = ±1 while σ has seen
  one or two gradients), it crosses the ridge by the saddle at (0, 1) by step
  25, drifts along Beale's flat plateau and leaves the window (x < −4.5) at step
  1,031, ending at (−6.89, 1.13) with L = 0.661 ("still moving"); with the
  warm-up it follows the valley and converges to (3, 0.5), L = 3.1e-9. The
  5 × 5 patch of starts within ±0.2 of (−4, −1.5): 0 of 25 converge without
  warm-up, 25 of 25 with 50 or 100 warm-up steps (23 of 25 with 200). At
  η = 0.21 both converge: warm-up matters here because η is large.

Words shown on screen (titles, help, the demos' stories and run names) come from
the catalogs (``i18n``, table ``[schedules]``) in the language passed as ``lang``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import i18n
import optimizers
import surfaces
from lab.runs import PALETTE, RunView
from optimizers import outcomes

from .playground import RunSpec, eta_series

# ----------------------------------------------------------------- the gallery

def title(kind: str, lang: str = "en") -> str:
    """The schedule's name in the gallery: "Step decay", "Warm-up, then cosine", …"""
    return i18n.text(f"schedules.kind.{kind}", lang)


def description(kind: str, lang: str = "en") -> str:
    """What the schedule is for, in one line (the shared ``[schedule.<kind>]`` table)."""
    return i18n.text(f"schedule.{kind}.description", lang)


HORIZONS = (100, 200, 500, 1_000, 1_500, 2_000, 5_000, 10_000, 20_000, 50_000, 64_000, 100_000)
DEFAULT_HORIZON = {"transformer": 20_000, "resnet": 64_000}
WARMUP_ZOOM = {"resnet": "total_iters"}  # kinds whose warm-up is too short to see at the full horizon


@dataclass(frozen=True)
class Control:
    """A widget for one schedule parameter: "int" or "float" slider, "options" (select slider), "steps"
    (a comma-separated list of update numbers). ``help`` names its tooltip: ``schedules.param.<help>``."""
    kind: str
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01
    options: tuple = ()
    help: str = ""


_CONTROLS = {
    "step_size": Control("int", 10, 5_000, 10, help="step_size"),
    "gamma": Control("float", 0.01, 0.99, 0.01, help="gamma"),
    ("exponential", "gamma"): Control("float", 0.9, 0.9995, 0.0005, help="gamma_exponential"),
    "milestones": Control("steps", help="milestones"),
    "T_max": Control("int", 10, 10_000, 10, help="T_max"),
    "eta_min": Control("float", 0.0, 1.0, 0.01, help="eta_min"),
    "warmup_iters": Control("int", 1, 2_000, 1, help="warmup_iters"),
    "total_iters": Control("int", 2, 10_000, 10, help="total_iters"),
    ("resnet", "total_iters"): Control("int", 1, 5_000, 10, help="total_iters_resnet"),
    "start_factor": Control("float", 0.01, 1.0, 0.01, help="start_factor"),
    "end_factor": Control("float", 0.0, 1.0, 0.01, help="end_factor"),
    "d_model": Control("options", options=(64, 128, 256, 512, 1024, 2048, 4096), help="d_model"),
    "warmup": Control("int", 100, 20_000, 100, help="warmup"),
    "factor": Control("float", 0.01, 1.0, 0.01, help="factor"),
}


def control(kind: str, name: str) -> Control:
    """The widget for parameter ``name`` of schedule ``kind``."""
    try:
        return _CONTROLS.get((kind, name)) or _CONTROLS[name]
    except KeyError:
        raise ValueError(f"schedules: parameter {name!r} of {kind!r} has no control; "
                         f"known: {', '.join(k for k in _CONTROLS if isinstance(k, str))}") from None


def param_help(kind: str, name: str, lang: str = "en") -> str:
    """The tooltip of parameter ``name`` of schedule ``kind``."""
    return i18n.text(f"schedules.param.{control(kind, name).help}", lang)


ORDER = ("warmup_iters", "warmup", "factor", "total_iters", "step_size", "milestones", "T_max", "start_factor",
         "end_factor", "gamma", "eta_min", "d_model")  # the gallery shows parameters in this order


def ordered_params(kind: str) -> list[tuple[str, object]]:
    """The schedule's (name, default) pairs in ORDER (``Schedule.params`` sorts them by name)."""
    params = optimizers.schedule(kind).params
    return sorted(params, key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else len(ORDER))


def default_horizon(kind: str) -> int:
    return DEFAULT_HORIZON.get(kind, 1_500)


def canonical(kind: str, name: str, value):
    """A widget's value as the schedule expects it (sliders give floats such as 0.9950000000000001)."""
    ctl = control(kind, name)
    if ctl.kind in ("int", "options"):
        return int(round(float(value)))
    if ctl.kind == "float":
        return float(round(float(value), 6))
    return value


# ----------------------------------------------------------------- the demos

@dataclass(frozen=True)
class DemoRun:
    key: str  # the catalog key of the run's name
    spec: RunSpec

    def label(self, lang: str = "en") -> str:
        return i18n.text(self.key, lang)


@dataclass(frozen=True)
class Demo:
    """A demo: its catalog table ``schedules.demo.<key>`` holds its title and ``look`` (what to look at,
    a markdown template filled in by ``look_text``)."""
    key: str
    surface: str
    start: tuple
    steps: int
    runs: tuple  # DemoRun, ...
    surface_params: tuple = ()  # ((name, value), ...) for the surface's factory
    counts_bursts: bool = False  # the table counts each run's bursts up the valley's wall

    def build_surface(self):
        return surfaces.get(self.surface, **dict(self.surface_params))

    def title(self, lang: str = "en") -> str:
        return i18n.text(f"schedules.demo.{self.key}.title", lang)


ADAGRAD_DECAY = Demo(
    key="adagrad_decay",
    surface="bowl",
    surface_params=(("walls", "quadratic"),),
    counts_bursts=True,
    start=(-1.8, 0.4),
    steps=2_000,
    runs=(
        DemoRun("schedules.demo.adagrad_decay.constant",
                RunSpec("adagrad", (("lr", 0.1),), "lecture", "constant", (), slot=0)),
        DemoRun("schedules.demo.adagrad_decay.decay",
                RunSpec("adagrad", (("lr", 0.1),), "lecture", "inverse_sqrt", (), slot=1)),
    ),
)

ADAM_WARMUP = Demo(
    key="adam_warmup",
    surface="beale",
    start=(-4.0, -1.5),
    steps=2_000,
    runs=(
        DemoRun("schedules.demo.adam_warmup.plain", RunSpec("adam", (("lr", 0.3),), "torch", "constant", (), slot=0)),
        DemoRun("schedules.demo.adam_warmup.warmup",
                RunSpec("adam", (("lr", 0.3),), "torch", "warmup_linear",
                        (("warmup_iters", 100), ("total_iters", 2_000), ("start_factor", 0.01),
                         ("end_factor", 1.0)), slot=1)),
    ),
)

DEMOS = (ADAGRAD_DECAY, ADAM_WARMUP)


def demo_runs(demo: Demo, lang: str = "en") -> list[RunView]:
    """The demo's runs from its start, every step recorded, labelled (in ``lang``) and coloured for
    ``path_map``."""
    surface = demo.build_surface()
    out = []
    for run in demo.runs:
        spec = run.spec
        opt = spec.build_optimizer()
        traj = optimizers.simulate(surface, opt, np.asarray(demo.start, dtype=np.float64), demo.steps,
                                   schedule=spec.build_schedule())
        out.append(RunView(run.label(lang), PALETTE[spec.slot % len(PALETTE)], traj, eta_series(spec, opt, traj.steps)))
    return out


FLOOR = 1e-3  # distance from the valley floor below which a run is on the floor
BURST = 0.1  # distance from the floor above which a run that was on the floor has burst up the wall


def bursts(across, floor: float = FLOOR, height: float = BURST) -> list[tuple[int, int, float]]:
    """The run's bursts up the wall: for each excursion from the valley floor, (the index where the distance
    from the floor ``across`` first exceeds ``height``, the index where it is back below ``floor`` or −1
    when it never is, the largest distance on the way), counted from the first index on the floor."""
    a = np.asarray(across, dtype=np.float64)
    on = np.flatnonzero(a < floor)
    t, out = (int(on[0]) if len(on) else len(a)), []
    while t < len(a):
        up = np.flatnonzero(a[t:] > height)
        if not len(up):
            break
        s = t + int(up[0])
        down = np.flatnonzero(a[s:] < floor)
        e = s + int(down[0]) if len(down) else len(a)
        out.append((s, e if len(down) else -1, float(a[s:e].max())))
        t = e
    return out


def run_summary(surface, run: RunView, after: int = 100, lang: str = "en") -> dict:
    """Final loss, outcome (in words, in ``lang``), end point, the largest move after step ``after``, when
    the run left the window, and its bursts up the wall (``bursts``, with θ₂'s distance from the lowest
    minimum as the distance from the valley floor; steps, not indices)."""
    traj = run.trajectory
    path = run.path[: run.last_good + 1]
    moves = np.linalg.norm(np.diff(path, axis=0), axis=1)
    late = moves[after:] if len(moves) > after else moves[:0]
    k = int(late.argmax()) if len(late) else -1
    (x0, x1), (y0, y1) = surface.bounds
    outside = np.flatnonzero((path[:, 0] < x0) | (path[:, 0] > x1) | (path[:, 1] < y0) | (path[:, 1] > y1))
    end = traj.final[0]
    floor = float(surface.minima[0, 1]) if len(surface.minima) else 0.0
    steps = run.steps
    return {
        "label": run.label,
        "final_loss": float(traj.final_loss[0]),
        "outcome": i18n.text(f"kind.{outcomes.label(surface, traj)[0]}", lang),
        "end": np.where(np.abs(end) < 1e-12 * surface.span, 0.0, end),  # no "-2.9e-321" in a table
        "biggest_move": float(late[k]) if k >= 0 else 0.0,
        "biggest_move_at": int(run.steps[after + k]) if k >= 0 else -1,  # the step that made it: θ_t → θ_t+1
        "left_window_at": int(run.steps[outside[0]]) if len(outside) else -1,
        "bursts": [(int(steps[s]), int(steps[e]) if e >= 0 else -1, peak)
                   for s, e, peak in bursts(np.abs(path[:, 1] - floor))],
    }


def look_text(demo: Demo, summaries: list[dict], lang: str = "en") -> str:
    """The demo's "what to look at", with its numbers filled in."""
    first = summaries[0]
    left = first["left_window_at"]
    burst = first["bursts"][0] if first["bursts"] else (-1, -1, 0.0)
    table = f"schedules.demo.{demo.key}"
    return i18n.text(
        f"{table}.look", lang, burst=f"{burst[0]:,}", peak=burst[2], bursts=len(first["bursts"]),
        steps=f"{demo.steps:,}",
        left=(i18n.text("schedules.left_window", lang, step=f"{left:,}", steps=f"{demo.steps:,}")
              if left >= 0 else ""),
    )
