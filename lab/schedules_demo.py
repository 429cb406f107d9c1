"""The Schedules page's model: the gallery's controls and the two demos that apply a schedule to a run.

No Streamlit. The gallery shows every kind of ``optimizers.schedule_names()``
with its parameters on widgets described here (``control(kind, name)``); the
demos are data (``Demo``) and ``demo_runs`` turns one into RunViews for
``figures.map.path_map``.

The two demos:

- ``ADAGRAD_DECAY``: the lecture's Adagrad (``variant="lecture"``: σ is the
  root *mean* square of the past gradients) on the bowl, η = 0.1, 2,000 steps.
  With a constant η it reaches the floor, then bursts at step 343: near the
  minimum the gradients are tiny, their mean square shrinks, η/σ grows and one
  step throws the run up the wall; it keeps bouncing (L = 0.497 at the end).
  With η_t = η/√(t+1) the step shrinks as fast as σ does: no burst,
  L = 3e-22.
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
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import optimizers
import surfaces
from figures.runs import PALETTE, RunView
from optimizers import outcomes

from .playground import RunSpec, eta_series

# ----------------------------------------------------------------- the gallery

TITLES = {
    "constant": "Constant",
    "step": "Step decay",
    "multistep": "Multi-step decay",
    "exponential": "Exponential decay",
    "inverse_sqrt": "The lecture's decay η/√(t+1)",
    "cosine": "Cosine annealing",
    "warmup_linear": "Warm-up, then linear decay",
    "warmup_cosine": "Warm-up, then cosine",
    "transformer": "Transformer warm-up (Vaswani et al.)",
    "resnet": "ResNet warm-up (He et al.)",
}

HORIZONS = (100, 200, 500, 1_000, 1_500, 2_000, 5_000, 10_000, 20_000, 50_000, 64_000, 100_000)
DEFAULT_HORIZON = {"transformer": 20_000, "resnet": 64_000}
WARMUP_ZOOM = {"resnet": "total_iters"}  # kinds whose warm-up is too short to see at the full horizon


@dataclass(frozen=True)
class Control:
    """A widget for one schedule parameter: "int" or "float" slider, "options" (select slider), "steps"
    (a comma-separated list of update numbers)."""
    kind: str
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01
    options: tuple = ()
    help: str = ""


_GAMMA_DROP = Control("float", 0.01, 0.99, 0.01, help="Factor applied at each drop.")
_CONTROLS = {
    "step_size": Control("int", 10, 5_000, 10, help="Updates between two drops."),
    "gamma": _GAMMA_DROP,
    ("exponential", "gamma"): Control("float", 0.9, 0.9995, 0.0005, help="Factor applied every update."),
    "milestones": Control("steps", help="Updates at which η is multiplied by γ, e.g. 300, 600."),
    "T_max": Control("int", 10, 10_000, 10, help="Updates from η down to η_min (half a cosine period)."),
    "eta_min": Control("float", 0.0, 1.0, 0.01, help="The lowest rate (absolute, not a multiple of η)."),
    "warmup_iters": Control("int", 1, 2_000, 1, help="Updates of the linear warm-up."),
    "total_iters": Control("int", 2, 10_000, 10, help="Update at which the decay ends (warm-up included)."),
    ("resnet", "total_iters"): Control("int", 1, 5_000, 10, help="Updates at the low rate before the full rate."),
    "start_factor": Control("float", 0.01, 1.0, 0.01, help="η_0 as a share of η (torch needs > 0)."),
    "end_factor": Control("float", 0.0, 1.0, 0.01, help="η at the end of the decay as a share of η "
                                                         "(1: warm-up, then constant)."),
    "d_model": Control("options", options=(64, 128, 256, 512, 1024, 2048, 4096),
                       help="The model width: the rate is scaled by 1/√d_model."),
    "warmup": Control("int", 100, 20_000, 100, help="Warm-up steps: the rate peaks at update warmup − 1."),
    "factor": Control("float", 0.01, 1.0, 0.01, help="The low rate during the warm-up, as a share of η."),
}


def control(kind: str, name: str) -> Control:
    """The widget for parameter ``name`` of schedule ``kind``."""
    try:
        return _CONTROLS.get((kind, name)) or _CONTROLS[name]
    except KeyError:
        raise ValueError(f"schedules: parameter {name!r} of {kind!r} has no control; "
                         f"known: {', '.join(k for k in _CONTROLS if isinstance(k, str))}") from None


ORDER = ("warmup_iters", "warmup", "factor", "total_iters", "step_size", "milestones", "T_max", "start_factor",
         "end_factor", "gamma", "eta_min", "d_model")  # the gallery shows parameters in this order


def ordered_params(kind: str) -> list[tuple[str, object]]:
    """The schedule's (name, default) pairs in ORDER (``Schedule.params`` sorts them by name)."""
    params = optimizers.schedule(kind).params
    return sorted(params, key=lambda item: ORDER.index(item[0]) if item[0] in ORDER else len(ORDER))


def default_horizon(kind: str) -> int:
    return DEFAULT_HORIZON.get(kind, 1_500)


def parse_steps(text: str):
    """"300, 600" -> (300, 600); anything else comes back as given, for the schedule's own check to name."""
    try:
        return tuple(int(v) for v in str(text).replace(" ", "").split(",") if v)
    except ValueError:
        return text


def canonical(kind: str, name: str, value):
    """A widget's value as the schedule expects it (sliders give floats such as 0.9950000000000001)."""
    ctl = control(kind, name)
    if ctl.kind in ("int", "options"):
        return int(round(float(value)))
    if ctl.kind == "float":
        return float(round(float(value), 6))
    return value


WARMUP_TEXT = (
    "**Why warm up?** An adaptive method divides by σ, a *statistic* of the gradients it has seen: Adam's σ is "
    "the root of a moving average of g². In the first steps that average rests on one or two gradients, so σ is "
    "unreliable, and the step η·m̂/σ̂ is about η in *every* coordinate, however gentle or steep the slope. "
    "Warm-up keeps η small while σ gathers enough gradients to mean something, then raises it. The Transformer's "
    "schedule warms up linearly for `warmup` steps and then decays ∝ 1/√step; ResNet trained at a tenth of the "
    "rate for its first 400 iterations to get a very deep network started. **RAdam** (Liu et al., 2019, "
    "*On the Variance of the Adaptive Learning Rate and Beyond*) builds the warm-up into the optimizer: it "
    "estimates how variable σ still is, uses plain momentum SGD (no σ) while that variance is too large, and "
    "then scales the adaptive step by a rectification factor r_t that grows towards 1. Try it as the optimizer "
    "**radam** in the Playground."
)


# ----------------------------------------------------------------- the demos

@dataclass(frozen=True)
class DemoRun:
    label: str
    spec: RunSpec


@dataclass(frozen=True)
class Demo:
    key: str
    title: str
    surface: str
    start: tuple
    steps: int
    runs: tuple  # DemoRun, ...
    look: str  # what to look at (markdown)

    def build_surface(self):
        return surfaces.get(self.surface)


ADAGRAD_DECAY = Demo(
    key="adagrad_decay",
    title="Adagrad on the bowl, without and with decay",
    surface="bowl",
    start=(-1.8, 0.6),
    steps=2_000,
    runs=(
        DemoRun("Adagrad (lecture), η = 0.1 constant",
                RunSpec("adagrad", (("lr", 0.1),), "lecture", "constant", (), slot=0)),
        DemoRun("Adagrad (lecture), η_t = 0.1/√(t+1)",
                RunSpec("adagrad", (("lr", 0.1),), "lecture", "inverse_sqrt", (), slot=1)),
    ),
    look=("Both runs reach the valley floor. With a constant η (red), the lecture's Adagrad **bursts**: near the "
          "minimum the gradients are tiny, so σ, the root *mean* square of all gradients so far, keeps shrinking, "
          "η/σ grows, and at step {burst} one step of {burst_size:.2f} throws the run up the wall; it keeps "
          "bouncing. With η_t = η/√(t+1) (white) the step shrinks as fast as σ does: no burst."),
)

ADAM_WARMUP = Demo(
    key="adam_warmup",
    title="Adam on Beale's function, without and with warm-up",
    surface="beale",
    start=(-4.0, -1.5),
    steps=2_000,
    runs=(
        DemoRun("Adam η = 0.3, no warm-up", RunSpec("adam", (("lr", 0.3),), "torch", "constant", (), slot=0)),
        DemoRun("Adam η = 0.3, warm-up over 100 steps",
                RunSpec("adam", (("lr", 0.3),), "torch", "warmup_linear",
                        (("warmup_iters", 100), ("total_iters", 2_000), ("start_factor", 0.01),
                         ("end_factor", 1.0)), slot=1)),
    ),
    look=("Without warm-up (red), Adam's first moves are η = 0.3 in **both** coordinates at once: with one or two "
          "gradients seen, m̂/σ̂ ≈ ±1 whatever the slope. It rushes diagonally over the ridge by the saddle at "
          "(0, 1), then drifts along Beale's flat plateau{left}. With a warm-up (white, η rising from 0.003 to 0.3 "
          "over 100 steps, then constant) the first moves are small while σ learns the gradients' size; it "
          "follows the valley down to the minimum (3, 0.5)."),
)

DEMOS = (ADAGRAD_DECAY, ADAM_WARMUP)


def demo_runs(demo: Demo) -> list[RunView]:
    """The demo's runs from its start, every step recorded, labelled and coloured for ``path_map``."""
    surface = demo.build_surface()
    out = []
    for run in demo.runs:
        spec = run.spec
        opt = spec.build_optimizer()
        traj = optimizers.simulate(surface, opt, np.asarray(demo.start, dtype=np.float64), demo.steps,
                                   schedule=spec.build_schedule())
        out.append(RunView(run.label, PALETTE[spec.slot % len(PALETTE)], traj, eta_series(spec, opt, traj.steps)))
    return out


OUTCOME_TEXT = {"converged": "converged", "oscillating": "oscillating", "still_moving": "still moving",
                "diverged": "diverged"}


def run_summary(surface, run: RunView, after: int = 100) -> dict:
    """Final loss, outcome, end point, the largest move after step ``after`` and when the run left the window."""
    traj = run.trajectory
    path = run.path[: run.last_good + 1]
    moves = np.linalg.norm(np.diff(path, axis=0), axis=1)
    late = moves[after:] if len(moves) > after else moves[:0]
    k = int(late.argmax()) if len(late) else -1
    (x0, x1), (y0, y1) = surface.bounds
    outside = np.flatnonzero((path[:, 0] < x0) | (path[:, 0] > x1) | (path[:, 1] < y0) | (path[:, 1] > y1))
    end = traj.final[0]
    return {
        "label": run.label,
        "final_loss": float(traj.final_loss[0]),
        "outcome": OUTCOME_TEXT[str(outcomes.label(surface, traj)[0])],
        "end": np.where(np.abs(end) < 1e-12 * surface.span, 0.0, end),  # no "-2.9e-321" in a table
        "biggest_move": float(late[k]) if k >= 0 else 0.0,
        "biggest_move_at": int(run.steps[after + k]) if k >= 0 else -1,  # the step that made it: θ_t → θ_t+1
        "left_window_at": int(run.steps[outside[0]]) if len(outside) else -1,
    }


def look_text(demo: Demo, summaries: list[dict]) -> str:
    """The demo's "what to look at", with its numbers filled in."""
    first = summaries[0]
    left = first["left_window_at"]
    return demo.look.format(
        burst=f"{first['biggest_move_at']:,}", burst_size=first["biggest_move"],
        left=(f", out of the window at step {left:,}, and is still moving after {demo.steps:,} steps"
              if left >= 0 else ""),
    )
