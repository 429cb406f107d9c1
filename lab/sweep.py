"""The learning-rate sweep's model: one surface, 1–3 optimizers, a log-spaced range of learning rates.

``run_sweep(config)`` makes ONE ``optimizers.simulate`` call per optimizer with
the learning rate as a (K,) array (K = ``n_rates``, up to 200), and reads off
per run: the final loss, the distance from the end point to the nearest known
minimum, and what the run did (``optimizers.outcomes.label``):

- **diverged**: the engine stopped it: it left the surface's box (10⁶ window
  sizes) or its gradient stopped being finite (``diverged_at`` ≥ 0). It is
  reported at its last good point.
- **converged**: its end point θ_T is a critical point: the Newton step
  ‖H(θ_T)⁻¹∇L(θ_T)‖ (how far the local quadratic says the critical point is)
  is at most ``NEWTON_TOL`` × the window's size; where the Hessian is
  singular, ‖∇L(θ_T)‖ ≤ ``GRAD_TOL``.
- **oscillating**: not converged, and in its last ``TAIL`` moves at least half
  of the consecutive pairs reverse direction (dᵢ·dᵢ₊₁ < 0 with dᵢ = θᵢ₊₁ − θᵢ):
  bouncing between the walls without settling.
- **still moving**: none of these: it keeps going the same way, too slowly to
  arrive in T steps.

No Streamlit here; the page (pages/sweep.py) is widgets around this module. Words shown on screen
come from the catalogs (``i18n``, table ``[sweep]``) in the language passed as ``lang``; the CSV
stays in English, so that a file reads the same whoever downloaded it.
"""
from __future__ import annotations

import io
import math
import re
import time
from dataclasses import dataclass

import numpy as np

import i18n
import optimizers
import surfaces
from optimizers import outcomes
from optimizers.catalog import VARIANTS
from optimizers.engine import Trajectory
from optimizers.latex import update_rule
from optimizers.validate import choice, integer

from .results import ResultCache

LR_LO, LR_HI = 1e-8, 10.0  # the allowed learning-rate range (lab.controls.LR_OPTIONS spans the same)
MAX_RATES = 200
MAX_STEPS = 100_000
MAX_OPTIMIZERS = 3
MAX_PICKS = 4  # chosen rates on the map: one colour each (lab.runs.PALETTE)
MAX_RECORDED = 2_000  # recorded points per run (plus the tail): 200 runs × 2,010 points × 16 B = 6.4 MB
TAIL = outcomes.TAIL  # the last steps recorded one by one, to tell a bounce from a crawl

LABELS = ("converged", "oscillating", "still_moving", "diverged")
# Catalog keys of the labels: the shared outcome names, and the sweep's own for a crawl.
LABEL_KEYS = {"converged": "kind.converged", "oscillating": "kind.oscillating",
              "still_moving": "sweep.still_moving", "diverged": "kind.diverged"}
LABEL_TEXT = {lab: i18n.text(key, "en") for lab, key in LABEL_KEYS.items()}  # the CSV's words
STORY_RATES = (1e-2, 1e-7)  # the lecture's bowl: GD at 1e-2 bounces, at 1e-7 crawls


def label_text(label: str, lang: str = "en") -> str:
    """What a run did, in words: "converged", "still moving (too slow)", …"""
    return i18n.text(LABEL_KEYS[str(label)], lang)


def display_name(optimizer: str, lang: str = "en") -> str:
    """The optimizer's short name for legends and tables: "GD", "Adagrad", …"""
    return i18n.text(f"optimizer.{optimizer}.short", lang)


def label_definitions(lang: str = "en") -> dict[str, str]:
    """The four labels in words (markdown), with the thresholds the code uses."""
    fields = dict(newton_tol=f"{outcomes.NEWTON_TOL:g}", grad_tol=f"{outcomes.GRAD_TOL:g}", tail=TAIL)
    return {lab: i18n.text(f"sweep.definition.{lab}", lang, **fields) for lab in LABELS}


def _num(v) -> str:
    """1e-08 -> 1e-8, 0.01 -> 0.01: numbers as a person writes them."""
    text = f"{float(v):g}"
    if "e" in text:
        mantissa, exp = text.split("e")
        text = f"{mantissa}e{int(exp)}"
    return text


def _bad(field: str, value, allowed: str) -> ValueError:
    shown = _num(value) if isinstance(value, (int, float, np.integer, np.floating)) else repr(value)
    return ValueError(f"{field} = {shown} is out of range; allowed {allowed}")


def _float(field: str, value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field} = {value!r} is not a number") from None
    return out


# ----------------------------------------------------------------- the configuration
@dataclass(frozen=True)
class SweepConfig:
    """One sweep; validated and normalized on construction (ValueError naming field, value, range)."""
    surface: str = "bowl"
    surface_params: tuple = ()  # ((name, value), ...) for surfaces.get (bowl: kappa, angle, walls; a formula)
    optimizers: tuple = ("gd", "adagrad")  # 1–3 distinct names; torch.optim's default hyperparameters
    lr_min: float = 1e-8
    lr_max: float = 1.0
    n_rates: int = 50
    steps: int = 100_000
    start: tuple | None = None  # None: the surface's default start
    variant: str = "torch"  # "torch" or "lecture" (momentum, Adagrad, RMSProp differ)

    def __post_init__(self):
        if self.surface not in surfaces.choices():
            raise ValueError(f"surface = {self.surface!r} is not a surface; allowed: {', '.join(surfaces.choices())}")
        object.__setattr__(self, "surface_params", surfaces.settings(self.surface, self.surface_params))
        surf = self.build_surface()  # the surface checks its own parameters (e.g. kappa)

        names = (self.optimizers,) if isinstance(self.optimizers, str) else tuple(self.optimizers)
        allowed = ", ".join(optimizers.names())
        unknown = [n for n in names if n not in optimizers.names()]
        if unknown:
            raise ValueError(f"optimizers = {unknown[0]!r} is not an optimizer; allowed: {allowed}")
        if not 1 <= len(names) <= MAX_OPTIMIZERS or len(set(names)) != len(names):
            raise ValueError(f"optimizers = {list(names)} is out of range; allowed 1 to {MAX_OPTIMIZERS} "
                             f"different names from: {allowed}")
        object.__setattr__(self, "optimizers", names)

        lr_min, lr_max = _float("lr_min", self.lr_min), _float("lr_max", self.lr_max)
        if not (math.isfinite(lr_max) and LR_LO < lr_max <= LR_HI):
            raise _bad("lr_max", lr_max, f"{_num(LR_LO)} < lr_max <= {_num(LR_HI)}")
        if not (math.isfinite(lr_min) and LR_LO <= lr_min < lr_max):
            raise _bad("lr_min", lr_min, f"{_num(LR_LO)} <= lr_min < lr_max = {_num(lr_max)}")
        object.__setattr__(self, "lr_min", lr_min)
        object.__setattr__(self, "lr_max", lr_max)
        object.__setattr__(self, "n_rates", integer("sweep", "n_rates", self.n_rates, 2, MAX_RATES))
        object.__setattr__(self, "steps", integer("sweep", "steps", self.steps, 1, MAX_STEPS))

        if self.start is not None:
            start = tuple(_float("start", v) for v in self.start)
            (x0, x1), (y0, y1) = surf.bounds
            if len(start) != 2 or not (x0 <= start[0] <= x1 and y0 <= start[1] <= y1):
                raise ValueError(f"start = {self.start!r} is out of range; allowed a point (x, y) with "
                                 f"{_num(x0)} <= x <= {_num(x1)} and {_num(y0)} <= y <= {_num(y1)}")
            object.__setattr__(self, "start", start)
        choice("sweep", "variant", self.variant, VARIANTS)

    def build_surface(self):
        return surfaces.get(self.surface, **dict(self.surface_params))

    def rates(self) -> np.ndarray:
        """The swept learning rates: ``n_rates`` log-spaced values from lr_min to lr_max (both included)."""
        return np.geomspace(self.lr_min, self.lr_max, self.n_rates)

    def start_point(self) -> np.ndarray:
        surf = self.build_surface()
        return surf.start.copy() if self.start is None else np.asarray(self.start, dtype=np.float64)


def record_every(steps: int) -> int:
    """Record every n-th step so that a run keeps at most about MAX_RECORDED points.

    Odd when above 1: in a 2-cycle (plain GD bouncing across the bowl flips wall every step) an even
    stride would record one wall only and draw a bouncing run as a smooth slide; an odd one alternates."""
    every = max(1, math.ceil(steps / MAX_RECORDED))
    return every if every == 1 else every | 1


# ----------------------------------------------------------------- the result
@dataclass(frozen=True, eq=False)
class OptimizerSweep:
    """One optimizer's runs, index k = learning rate ``rates[k]``. Arrays have shape (K,)."""
    optimizer: str
    rates: np.ndarray
    final_loss: np.ndarray  # L at the last good point (for a diverged run: where it left)
    distance: np.ndarray  # from the last good point to the nearest known minimum
    nearest: np.ndarray  # index into surface.minima of that minimum
    label: np.ndarray  # one of LABELS per run
    diverged_at: np.ndarray  # −1, or the step at which the engine stopped the run
    trajectory: Trajectory  # path (K, N, 2) thinned: every ``record_every(steps)``-th step and the last TAIL

    @property
    def name(self) -> str:
        """The short English name (the CSV's); ``display_name(optimizer, lang)`` on screen."""
        return display_name(self.optimizer)

    def index(self, rate: float) -> int:
        """The swept rate nearest ``rate`` (on a log scale)."""
        return int(np.argmin(np.abs(np.log(self.rates) - math.log(max(float(rate), 1e-300)))))

    def best(self) -> int:
        """The run that ended nearest a minimum: converged first, then the smallest distance, then the
        lowest loss, then the smallest rate."""
        order = np.lexsort((self.rates, self.final_loss, self.distance, self.label != "converged"))
        return int(order[0])

    def count(self) -> dict[str, int]:
        return {name: int(np.sum(self.label == name)) for name in LABELS}


@dataclass(frozen=True, eq=False)
class SweepResult:
    config: SweepConfig
    surface: object  # the Surface
    runs: tuple  # one OptimizerSweep per optimizer, in config order
    seconds: float = 0.0  # compute time of the simulate calls

    def of(self, optimizer: str) -> OptimizerSweep:
        for sweep in self.runs:
            if sweep.optimizer == optimizer:
                return sweep
        allowed = ", ".join(self.config.optimizers)
        raise ValueError(f"optimizer = {optimizer!r} is not in this sweep; allowed: {allowed}")


def run_sweep(config: SweepConfig, progress=None) -> SweepResult:
    """Every rate of ``config`` for each of its optimizers: one simulate call per optimizer.

    ``progress``: optional callable(fraction in [0, 1]) called as chunks of runs finish."""
    if not isinstance(config, SweepConfig):
        raise ValueError(f"run_sweep: config = {type(config).__name__} is not a SweepConfig")
    surface = config.build_surface()
    start = config.start_point()
    rates = config.rates()
    every, tail = record_every(config.steps), min(TAIL, config.steps)
    n = len(config.optimizers)
    out = []
    t0 = time.perf_counter()
    for i, name in enumerate(config.optimizers):
        report = None if progress is None else (lambda f, i=i: progress(min(1.0, (i + float(f)) / n)))
        opt = optimizers.get(name, lr=rates, variant=config.variant)
        traj = optimizers.simulate(surface, opt, start, config.steps, record=("path",), every=every, tail=tail,
                                   progress=report)
        nearest, distance = outcomes.nearest_minimum(surface, traj.final)
        out.append(OptimizerSweep(name, rates.copy(), np.asarray(traj.final_loss, dtype=np.float64), distance,
                                  nearest, outcomes.label(surface, traj, tail=TAIL), traj.diverged_at.copy(), traj))
    seconds = time.perf_counter() - t0
    if progress is not None:
        progress(1.0)
    return SweepResult(config, surface, tuple(out), seconds)


# ----------------------------------------------------------------- chosen rates ("picks")
def pick_key(optimizer: str, rate: float) -> str:
    """A chosen run as a stable string (a multiselect option): ``"gd@0.01"``."""
    return f"{optimizer}@{float(rate)!r}"


def parse_pick(key: str) -> tuple[str, float]:
    optimizer, _, rate = str(key).partition("@")
    try:
        return optimizer, float(rate)
    except ValueError:
        raise ValueError(f"pick = {key!r} is not valid; allowed 'optimizer@rate', e.g. 'gd@0.01'") from None


def pick_options(result: SweepResult) -> list[str]:
    return [pick_key(s.optimizer, r) for s in result.runs for r in s.rates]


def pick_text(result: SweepResult, key: str, lang: str = "en") -> str:
    """``"GD · η = 0.011 · oscillating"`` for a pick of this sweep."""
    optimizer, rate = parse_pick(key)
    sweep = result.of(optimizer)
    k = sweep.index(rate)
    return i18n.text("sweep.pick", lang, name=display_name(optimizer, lang), rate=f"{sweep.rates[k]:.3g}",
                     label=label_text(sweep.label[k], lang))


def default_picks(result: SweepResult) -> list[str]:
    """Chosen rates that tell the sweep's story (at most MAX_PICKS).

    GD in the sweep on the bowl: the lecture's rates 1e-2 (bounces) and 1e-7 (crawls), nearest in the
    sweep, then each other optimizer's best run. Otherwise each optimizer's best run; a lone optimizer
    adds its smallest rate and its largest rate that did not diverge."""
    keys: list[str] = []

    def add(sweep, k):
        key = pick_key(sweep.optimizer, sweep.rates[k])
        if key not in keys and len(keys) < MAX_PICKS:
            keys.append(key)

    optimizers_ = [s.optimizer for s in result.runs]
    story = result.config.surface == "bowl" and "gd" in optimizers_
    for sweep in result.runs:
        if story and sweep.optimizer == "gd":
            for rate in STORY_RATES:
                add(sweep, sweep.index(rate))
        else:
            add(sweep, sweep.best())
    if len(result.runs) == 1 and not story:
        sweep = result.runs[0]
        add(sweep, 0)
        ok = np.flatnonzero(sweep.diverged_at < 0)
        if len(ok):
            add(sweep, int(ok[-1]))
    return keys


def remap_picks(result: SweepResult, keys) -> list[str]:
    """Earlier picks moved to this sweep: each to the nearest swept rate of its optimizer, dropped when
    the optimizer is no longer swept; duplicates removed, at most MAX_PICKS."""
    out: list[str] = []
    swept = {s.optimizer: s for s in result.runs}
    for key in keys or ():
        try:
            optimizer, rate = parse_pick(key)
        except ValueError:
            continue
        if optimizer in swept and rate > 0:
            sweep = swept[optimizer]
            new = pick_key(optimizer, sweep.rates[sweep.index(rate)])
            if new not in out:
                out.append(new)
    return out[:MAX_PICKS]


def click_pick(result: SweepResult, point: dict) -> str | None:
    """The pick a click on the sweep figure means: its ``customdata`` is [rate, optimizer index, …].

    Streamlit hands a row of a typed (numpy) customdata array over as ``{"0": rate, "1": index, …}``,
    a row of a plain list as a list; both are read."""
    custom = (point or {}).get("customdata")
    if isinstance(custom, dict):
        custom = [custom.get(str(i), custom.get(i)) for i in range(2)]
    try:
        rate, slot = float(custom[0]), int(round(float(custom[1])))
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    if not 0 <= slot < len(result.runs) or not rate > 0:
        return None
    sweep = result.runs[slot]
    return pick_key(sweep.optimizer, sweep.rates[sweep.index(rate)])


def add_pick(keys, key: str) -> list[str]:
    """``keys`` with ``key`` added at the end (the oldest dropped beyond MAX_PICKS); unchanged if present."""
    keys = list(keys or ())
    if key in keys:
        return keys
    return (keys + [key])[-MAX_PICKS:]


def trace_picks(config: SweepConfig, keys) -> list[Trajectory]:
    """The chosen runs again with EVERY step recorded (K = 1 each), for the map.

    The sweep keeps every n-th step only, which flattens a bounce or Adam's first moves; a few
    runs recorded in full cost a few milliseconds and give the map what ``figures.map.keep_turns``
    needs. One simulate call per optimizer (its picked rates as an array); the numbers are the
    sweep's own (the engine's runs are independent of each other)."""
    surface = config.build_surface()
    start = config.start_point()
    parsed = [parse_pick(k) for k in keys]
    out: list[Trajectory | None] = [None] * len(parsed)
    for name in dict.fromkeys(o for o, _ in parsed):
        idx = [i for i, (o, _) in enumerate(parsed) if o == name]
        lrs = np.array([parsed[i][1] for i in idx])
        traj = optimizers.simulate(surface, optimizers.get(name, lr=lrs, variant=config.variant), start,
                                   config.steps, record=("path",))
        for j, i in enumerate(idx):
            out[i] = traj.select(j)
    return out


# ----------------------------------------------------------------- table and CSV
COLUMNS = ("optimizer", "learning rate", "label", "final loss", "distance to nearest minimum", "diverged at step")


COLUMN_KEYS = ("optimizer", "learning_rate", "label", "final_loss", "distance", "diverged_at")  # [sweep.column]


def column_names(lang: str = "en") -> tuple[str, ...]:
    """The table's column headings in ``lang`` (``COLUMNS`` in English)."""
    return tuple(i18n.text(f"sweep.column.{k}", lang) for k in COLUMN_KEYS)


def table(result: SweepResult, lang: str = "en") -> dict[str, list]:
    """The results as columns (one row per run) headed in ``lang``, for st.dataframe; the last column
    is text ("12,345", or empty for a run that did not diverge)."""
    names = column_names(lang)
    cols = {c: [] for c in names}
    optimizer, rate, label, loss, distance, diverged = names
    for s in result.runs:
        cols[optimizer] += [display_name(s.optimizer, lang)] * len(s.rates)
        cols[rate] += [float(r) for r in s.rates]
        cols[label] += [label_text(lab, lang) for lab in s.label]
        cols[loss] += [float(v) for v in s.final_loss]
        cols[distance] += [float(v) if np.isfinite(v) else None for v in s.distance]  # None: no known minimum
        cols[diverged] += [f"{int(d):,}" if d >= 0 else "" for d in s.diverged_at]
    return cols


def to_csv(result: SweepResult) -> str:
    """The table as CSV text, numbers at full precision (repr), a header with the sweep's settings."""
    c = result.config
    buf = io.StringIO()
    buf.write(f"# surface={c.surface} {dict(c.surface_params)} variant={c.variant} steps={c.steps} "
              f"start={tuple(float(v) for v in c.start_point())}\n")
    buf.write(",".join(COLUMNS) + "\n")
    for s in result.runs:
        for k in range(len(s.rates)):
            d = int(s.diverged_at[k])
            row = (s.name, repr(float(s.rates[k])), LABEL_TEXT[s.label[k]], repr(float(s.final_loss[k])),
                   repr(float(s.distance[k])), str(d) if d >= 0 else "")
            buf.write(",".join(row) + "\n")
    return buf.getvalue()


# ----------------------------------------------------------------- a cache for the page
def SweepCache(max_entries: int = 32, max_bytes: int = 128 * 2**20) -> ResultCache:
    """Sweep results by ``repr(config)``, bounded by their recorded paths (a 3 × 200-rate sweep holds
    about 19 MB, the default 2 × 50 about 3 MB)."""
    return ResultCache(run_sweep, size=lambda r: sum(s.trajectory.path.nbytes for s in r.runs),
                       max_entries=max_entries, max_bytes=max_bytes)


# ----------------------------------------------------------------- the update rules shown
_SWEPT_NOTE = re.compile(r" \\\\\n& \\text\{[^{}]*\}(?=\n\\end\{aligned\})")


def rule(config: SweepConfig, optimizer: str) -> str:
    """``optimizer``'s update rule (LaTeX, ``optimizers.latex.update_rule``) as this sweep runs it: η shown
    as the swept range (first … last). The engine's English note on that range is left out: the page
    says it in its own language."""
    opt = optimizers.get(optimizer, lr=config.rates(), variant=config.variant)
    return _SWEPT_NOTE.sub("", update_rule(opt))
