"""The Playground's model: a view is a surface, a start, a number of steps and up to four runs."""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

import i18n
import optimizers
import surfaces
from lab.runs import PALETTE, RunView

from . import controls as C
from . import surface_choice
from .controls import to_torch_names
from optimizers.schedules import with_lr_decay

MAX_RUNS = 4
# The exported map (figures.map.path_map) plays this many frames; in the app the browser animates.
MAP_OPTIONS = {"max_frames": 150}
DIAGNOSTIC_POINTS = 600  # points per curve of the diagnostics sent on each move (about 6 bytes each)


@dataclass(frozen=True)
class RunSpec:
    """One run: an optimizer with its hyperparameters (control keys), schedule and noise."""
    optimizer: str = "gd"
    hyper: tuple = ()  # ((key, value), ...) — keys of lab.controls.CONTROLS
    variant: str = "torch"
    schedule: str = "constant"
    schedule_params: tuple = ()  # ((name, value), ...)
    noise: float = 0.0  # std of the gradient noise (0: exact gradients)
    seed: int = 0
    slot: int = 0  # which of the page's run panels (0–3): names and colours the run

    def build_optimizer(self):
        return optimizers.get(self.optimizer, variant=self.variant, **to_torch_names(dict(self.hyper)))

    def build_schedule(self):
        """The schedule; a parameter still held as text (a step list that did not read) raises here, quoted."""
        params = {n: C.parse_steps(n, v) if isinstance(v, str) else v for n, v in self.schedule_params}
        return optimizers.schedule(self.schedule, **params)

    @property
    def lr(self) -> float:
        return float(dict(self.hyper).get("lr", optimizers.get(self.optimizer).lr))


@dataclass(frozen=True)
class View:
    surface: str = "bowl"
    surface_params: tuple = ()
    start: tuple | None = None  # None: the surface's default start
    steps: int = 10_000
    runs: tuple = field(default_factory=lambda: DEFAULT_RUNS)

    def build_surface(self):
        return surfaces.get(self.surface, **dict(self.surface_params))

    def start_point(self) -> np.ndarray:
        surf = self.build_surface()
        return surf.start.copy() if self.start is None else np.asarray(self.start, dtype=np.float64)


DEFAULT_RUNS = (
    RunSpec("gd", (("lr", 1e-2),), slot=0),
    RunSpec("adagrad", (("lr", 0.1),), slot=1),
)
EXTRA_DEFAULTS = ("momentum", "adam")  # runs 3 and 4 when added
KAPPA_OPTIONS = C.log_options(1, 9, (1, 1.6, 2.5, 4, 6.3))
_BOWL = inspect.signature(surfaces.catalog.bowl).parameters
DEFAULT_KAPPA = C.nearest_option(KAPPA_OPTIONS, _BOWL["kappa"].default)
DEFAULT_WALLS = _BOWL["walls"].default
WALLS = surfaces.catalog.BOWL_WALLS
DEFAULT_STEPS = 10_000


def base_run(i: int) -> RunSpec:
    """Run ``i``'s defaults before any setting is touched."""
    return DEFAULT_RUNS[i] if i < len(DEFAULT_RUNS) else RunSpec(EXTRA_DEFAULTS[i - len(DEFAULT_RUNS)], slot=i)


def hyper_defaults(i: int, optimizer: str) -> dict:
    """{control key: the value its widget starts at} for run ``i`` with ``optimizer``: torch's defaults,
    the run's own defaults where it keeps its optimizer, log controls on their nearest stop."""
    base = base_run(i)
    values = {**C.hyperparameters(optimizer), **dict(base.hyper if optimizer == base.optimizer else ())}
    ordered = [k for k in values if k in C.PRIMARY] + [k for k in values if k not in C.PRIMARY]
    out = {}
    for k in ordered:
        ctl = C.CONTROLS[k]
        v = values[k]
        out[k] = bool(v) if ctl.control == "bool" else C.nearest_option(ctl.options, v) if ctl.control == "log" else float(v)
    return out


def bowl_params(kappa: float, angle: float, walls: str) -> tuple:
    """The bowl's factory arguments as a View holds them (sorted by name)."""
    return (("angle", float(angle)), ("kappa", float(kappa)), ("walls", str(walls)))


def _schedule_value(name: str, raw: str, default):
    if isinstance(default, tuple):
        return C.parse_steps(name, raw)
    return int(float(raw)) if isinstance(default, int) else float(raw)


def view_from_link(params: dict) -> View:
    """The View a Playground link opens (query parameters as the page writes them; absent ones take the
    page's defaults). Values are trusted here: the page itself checks a link's values against each
    control's range and names what it cannot use."""
    p = dict(params)
    surface, surface_params = surface_choice.from_link(p, "", "bowl")
    if surface == "bowl":
        surface_params = bowl_params(float(p.get("bowl_kappa", DEFAULT_KAPPA)), float(p.get("bowl_angle", 0)),
                                     p.get("bowl_walls", DEFAULT_WALLS))
    surf = surfaces.get(surface, **dict(surface_params))
    start = (float(p.get(f"start_x_{surf.name}", surf.start[0])), float(p.get(f"start_y_{surf.name}", surf.start[1])))
    variant = p.get("variant", "torch")
    runs = []
    for i in range(int(p.get("n_runs", len(DEFAULT_RUNS)))):
        name = p.get(f"run{i}_optimizer", base_run(i).optimizer)
        hyper = []
        for k, v in hyper_defaults(i, name).items():
            raw = p.get(f"run{i}_{name}_{k}")
            hyper.append((k, v if raw is None else raw in ("1", "true") if isinstance(v, bool) else float(raw)))
        kind = p.get(f"run{i}_schedule", "constant")
        sched = tuple((n, d if f"run{i}_{kind}_{n}" not in p else _schedule_value(n, p[f"run{i}_{kind}_{n}"], d))
                      for n, d in C.schedule_defaults(kind).items())
        runs.append(RunSpec(name, tuple(hyper), variant, kind, sched, float(p.get(f"run{i}_noise", 0.0)),
                            int(p.get(f"run{i}_seed", 0)), slot=i))
    return View(surface, surface_params, start, int(p.get("steps", DEFAULT_STEPS)), tuple(runs))


def shapes_run(key: str, i: int = 0) -> bool:
    """Whether link parameter ``key`` changes run ``i`` (its surface, a typed formula and its window, start,
    steps, convention or own settings); the other runs' settings and the page's display switches do not."""
    surface = surface_choice.keys("")
    return key in ("steps", "variant", surface.surface, surface.text, *surface.bounds) or \
        key.startswith(("bowl_", "start_", f"run{i}_"))


def eta_series(spec: RunSpec, optimizer, steps: np.ndarray) -> np.ndarray:
    """η_t at the given steps: lr·schedule, and Adagrad's lr_decay on top (the kernel's own formula)."""
    eta = spec.build_schedule()(steps, float(np.asarray(optimizer.lr)))
    return with_lr_decay(eta, steps, float(np.asarray(optimizer.lr_decay)))


def label(spec: RunSpec, lang: str = "en") -> str:
    """'Run 1 · adam η=0.001' (the legend's name of a run)."""
    lecture = spec.variant == "lecture" and spec.optimizer in C.LECTURE_OPTIMIZERS
    variant = i18n.text("playground.lecture_suffix", lang) if lecture else ""
    return i18n.text("playground.run_label", lang, n=spec.slot + 1, optimizer=spec.optimizer + variant,
                     lr=f"{spec.lr:g}")


def run_view(view: View, lang: str = "en") -> list[RunView]:
    """Simulate every run of the view (one simulate call each, every step recorded)."""
    if not 1 <= len(view.runs) <= MAX_RUNS:
        raise ValueError(f"runs: {len(view.runs)} runs is out of range; allowed 1 to {MAX_RUNS}")
    return [run_one(view, spec, lang) for spec in view.runs]


def run_key(view: View, spec: RunSpec) -> str:
    """What one run of a view depends on, as a short string (a cache key): the run changes with it only."""
    return repr((view.surface, view.surface_params, view.start, view.steps, spec))


def run_one(view: View, spec: RunSpec, lang: str = "en") -> RunView:
    """Simulate one run of the view (``spec``, one of ``view.runs``), every step recorded."""
    opt = spec.build_optimizer()
    traj = optimizers.simulate(view.build_surface(), opt, view.start_point(), view.steps,
                               schedule=spec.build_schedule(), noise=spec.noise or None, seed=spec.seed)
    return RunView(label(spec, lang), PALETTE[spec.slot % len(PALETTE)], traj, eta_series(spec, opt, traj.steps))


def verdict(surface, run: RunView) -> dict:
    """The critical-point test at the run's end (its last good point)."""
    c = optimizers.classify(surface, run.path[run.last_good])
    c["kind"] = "diverged" if run.diverged_at >= 0 else c["kind"]
    return c

