"""Basins of attraction: a grid of starts, one optimizer, where each start ends.

The page model of the Basins page (no Streamlit). ``run_basins(config)``
runs every cell centre of an n×n grid over the surface's window as one
trajectory, all in one ``optimizers.simulate`` call, and reads off:

- the outcome category of each start, an index into ``BasinResult.labels``:
  ``k`` (an int) = converged to ``surface.minima[k]``; otherwise one of
  ``OTHER``: "other minimum" (converged to a minimum that is not one of the
  window's known minima, e.g. outside the window), "saddle", "maximum",
  "degenerate" (converged to a critical point of that kind), then
  "oscillating", "still moving", "diverged" (``optimizers.outcomes.label``);
- the end point (the last good θ of a diverged run), its loss;
- the steps needed: the first step from which the run stays within
  ``SETTLE_TOL`` × the window's size of its end point, for converged runs only
  (NaN else).

Only what the map draws is kept: no path is recorded for the grid but its last
``outcomes.TAIL`` steps (what the labels need). The steps needed come from a
second run of the converged starts that watches, step by step, the distance to
the end point the first run found (``simulate(settle=...)``): exact to the step,
for a few bytes per start. The engine's runs are deterministic, so the second
run retraces the first.

The category labels above are identifiers; ``category_name(surface, label, lang)`` gives the
words shown on screen, from the catalogs (``i18n``: the shared outcome names in ``[kind]``, the
rest in ``[basins.category]``).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

import i18n
import optimizers
import surfaces
from lab.runs import PALETTE, RunView
from optimizers import outcomes
from optimizers.catalog import VARIANTS
from surfaces.critical import hessian_kinds
from optimizers.validate import choice, integer

from .controls import LECTURE_OPTIMIZERS, CONTROLS, hyperparameters, to_torch_names
from .playground import RunSpec, eta_series

MAX_N = 200
MAX_STEPS = 100_000
BY = ("end", "steps")
MIN_TOL = 1e-2  # a converged end within this share of the window of a known minimum belongs to it
SETTLE_TOL = 1e-3  # "arrived": within this share of the window of the end point, for good
OTHER = ("other minimum", "saddle", "maximum", "degenerate", "oscillating", "still moving", "diverged")
_OUTCOME = {"oscillating": "oscillating", "still_moving": "still moving", "diverged": "diverged"}
CATEGORY_KEYS = {  # label -> catalog key of its name on screen
    "other minimum": "basins.category.other_minimum", "saddle": "kind.saddle", "maximum": "kind.maximum",
    "degenerate": "basins.category.degenerate", "oscillating": "kind.oscillating",
    "still moving": "kind.still_moving", "diverged": "kind.diverged",
}


@dataclass(frozen=True)
class BasinConfig:
    """One basin map: a surface, an optimizer with its hyperparameters, a grid and a number of steps.

    ``hyper`` is ((control key, value), ...) as in ``lab.controls`` (β₁, β₂ as
    "beta1", "beta2"); unnamed hyperparameters keep torch's defaults. ``by``
    only chooses the colouring ("end": where each start ended; "steps": how
    many steps it needed), not the simulation.
    """
    surface: str = "bumpy_valley"
    optimizer: str = "gd"
    hyper: tuple = (("lr", 1e-2),)
    variant: str = "torch"
    n: int = 100
    steps: int = 2_000
    by: str = "end"
    surface_params: tuple = ()  # ((name, value), ...) for the surface's factory (the bowl's kappa, angle, walls)

    def __post_init__(self):
        choice("basins", "surface", self.surface, surfaces.choices())
        object.__setattr__(self, "surface_params", surfaces.settings(self.surface, self.surface_params))
        choice("basins", "optimizer", self.optimizer, optimizers.names())
        choice("basins", "variant", self.variant, VARIANTS)
        choice("basins", "by", self.by, BY)
        object.__setattr__(self, "n", integer("basins", "n", self.n, 2, MAX_N))
        object.__setattr__(self, "steps", integer("basins", "steps", self.steps, 1, MAX_STEPS))
        allowed = hyperparameters(self.optimizer)
        pairs = []
        for pair in self.hyper:
            if len(pair) != 2:
                raise ValueError(f"basins: hyper entry {pair!r} is not a (name, value) pair")
            key, value = pair
            if key not in allowed:
                raise ValueError(f"basins: hyperparameter {key!r} is not one of {self.optimizer}'s; "
                                 f"allowed: {', '.join(allowed)}")
            pairs.append((str(key), bool(value) if isinstance(value, (bool, np.bool_)) else float(value)))
        given = {k for k, _ in pairs}
        for key in sorted(given):  # torch takes β₁, β₂ (and η₋, η₊ …) as one pair: fill in the other's default
            pair = CONTROLS[key].pair
            partner = pair and next((k for k in allowed if CONTROLS[k].pair == (pair[0], 1 - pair[1])), None)
            if partner and partner not in given:
                pairs.append((partner, float(allowed[partner])))
                given.add(partner)
        object.__setattr__(self, "hyper", tuple(pairs))
        self.build_optimizer()  # the optimizer's own checks: they name the field and the allowed range
        self.build_surface()

    def build_surface(self):
        return surfaces.get(self.surface, **dict(self.surface_params))

    def build_optimizer(self):
        return optimizers.get(self.optimizer, variant=self.variant, **to_torch_names(dict(self.hyper)))

    @property
    def lr(self) -> float:
        return float(dict(self.hyper).get("lr", hyperparameters(self.optimizer)["lr"]))

    @property
    def label(self) -> str:
        """e.g. "momentum λ=0.9 η=0.01": η, the momentum λ, and any hyperparameter off torch's default."""
        return self.describe()

    def describe(self, lang: str = "en") -> str:
        """``label`` in ``lang`` (only the word for the lecture's variant is translated)."""
        defaults = hyperparameters(self.optimizer)
        values = {**defaults, **dict(self.hyper)}
        symbol = {k: CONTROLS[k].symbol if CONTROLS[k].primary else k for k in values}
        parts = [f"{symbol[k]}={v:g}" for k, v in values.items()
                 if k != "lr" and not isinstance(v, bool)
                 and (v != defaults[k] or (self.optimizer == "momentum" and k == "momentum"))]
        name = self.optimizer
        if self.variant == "lecture" and self.optimizer in LECTURE_OPTIMIZERS:
            name = i18n.text("basins.lecture_variant", lang, optimizer=name)
        return " ".join([name, *parts, f"η={self.lr:g}"])

    @property
    def run_key(self) -> str:
        """What the simulation depends on (everything but ``by``): a small, hashable cache key."""
        return repr((self.surface, self.surface_params, self.optimizer, self.hyper, self.variant, self.n,
                     self.steps))

    def spec(self, slot: int = 0) -> RunSpec:
        return RunSpec(self.optimizer, self.hyper, self.variant, slot=slot)


def grid(surface, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The cell centres ``(xs, ys)`` of an n×n grid over the window (cells tile it exactly)."""
    (x0, x1), (y0, y1) = surface.bounds
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    return xs, ys


def labels_of(surface) -> tuple:
    """Category labels: 0 … M−1 (the window's minima), then OTHER."""
    return tuple(range(len(surface.minima))) + OTHER


def category_name(surface, label, lang: str = "en") -> str:
    """A category for people: "minimum 2 (3, 2)", "saddle point", …"""
    if isinstance(label, (int, np.integer)):
        x, y = np.round(surface.minima[int(label)], 6) + 0.0  # no "1e-17", no "-0"
        return i18n.text("basins.category.minimum", lang, k=int(label) + 1, x=f"{x:.3g}", y=f"{y:.3g}")
    return i18n.text(CATEGORY_KEYS[str(label)], lang)


def categorize(surface, traj) -> np.ndarray:
    """Category codes (indices into ``labels_of(surface)``) of each run of ``traj`` (K,).

    ``traj`` must hold its path with the last steps recorded (``tail`` ≥ 2),
    as ``outcomes.label`` needs.
    """
    labels = labels_of(surface)
    code = {label: k for k, label in enumerate(labels)}
    outcome = outcomes.label(surface, traj)
    K = len(traj.final)
    codes = np.empty(K, dtype=np.int16)
    for name, text in _OUTCOME.items():
        codes[outcome == name] = code[text]
    converged = outcome == "converged"
    if not converged.any():
        return codes
    end = traj.final[converged]
    if len(surface.minima):
        index, distance = outcomes.nearest_minimum(surface, end)
        at_min = distance <= MIN_TOL * surface.span
    else:
        index, at_min = np.zeros(len(end), dtype=np.intp), np.zeros(len(end), dtype=bool)
    # elsewhere: the Hessian's eigenvalues name the critical point (optimizers.classify's test)
    kinds = hessian_kinds(np.linalg.eigvalsh(surface.hessian(end)))
    kind = np.array([code["other minimum" if k == "minimum" else str(k)] for k in kinds], dtype=np.int16)
    codes[converged] = np.where(at_min, index, kind)
    return codes


@dataclass(frozen=True, eq=False)
class BasinResult:
    """Where each start of the grid ended. Arrays are (n, n): row i is ``ys[i]``, column j is ``xs[j]``."""
    config: BasinConfig
    surface: object
    xs: np.ndarray  # (n,) cell centres along θ₁
    ys: np.ndarray  # (n,) along θ₂
    codes: np.ndarray  # (n, n) int16, indices into labels
    labels: tuple  # minimum indices 0 … M−1, then OTHER
    ends: np.ndarray  # (n, n, 2) the last good θ
    final_loss: np.ndarray  # (n, n)
    steps_needed: np.ndarray  # (n, n) float; NaN unless converged
    diverged_at: np.ndarray  # (n, n) int; −1 unless diverged
    seconds: float  # time the simulation and the labelling took
    counts: dict = field(default_factory=dict)  # label -> number of starts

    @property
    def n(self) -> int:
        return len(self.xs)

    @property
    def category(self) -> np.ndarray:
        """(n, n) object array: the minimum's index (int) or the category's name."""
        table = np.empty(len(self.labels), dtype=object)
        table[:] = list(self.labels)
        return table[self.codes]

    def start(self, i: int, j: int) -> np.ndarray:
        return np.array([self.xs[j], self.ys[i]])

    def nearest_cell(self, x: float, y: float) -> tuple[int, int]:
        """(row i, column j) of the cell whose centre is nearest to (x, y)."""
        return int(np.abs(self.ys - y).argmin()), int(np.abs(self.xs - x).argmin())

    def cell(self, i: int, j: int, lang: str = "en") -> dict:
        label = self.labels[int(self.codes[i, j])]
        return {"start": self.start(i, j), "end": self.ends[i, j].copy(), "final_loss": float(self.final_loss[i, j]),
                "category": label, "name": category_name(self.surface, label, lang),
                "steps_needed": float(self.steps_needed[i, j]), "diverged_at": int(self.diverged_at[i, j])}


def run_basins(config: BasinConfig, progress=None) -> BasinResult:
    """Run every cell centre of the config's grid; ``progress(fraction)`` is called as chunks finish."""
    if not isinstance(config, BasinConfig):
        raise ValueError(f"run_basins: config = {type(config).__name__} is not a BasinConfig")
    t0 = time.perf_counter()
    surface = config.build_surface()
    opt = config.build_optimizer()
    n, steps = config.n, config.steps
    xs, ys = grid(surface, n)
    X, Y = np.meshgrid(xs, ys)
    starts = np.column_stack([X.ravel(), Y.ravel()])
    share = 0.5  # of the progress bar for the first run (the second runs only the converged starts)
    traj = optimizers.simulate(surface, opt, starts, steps, record=("path",), every=steps,
                               tail=min(outcomes.TAIL, steps), progress=progress and (lambda f: progress(share * f)))
    codes = categorize(surface, traj)
    labels = labels_of(surface)
    converged = codes < labels.index("oscillating")
    steps_needed = np.full(n * n, np.nan)
    if converged.any():
        again = optimizers.simulate(surface, opt, starts[converged], steps, record=(),
                                    settle=(traj.final[converged], SETTLE_TOL * surface.span),
                                    progress=progress and (lambda f: progress(share + (1 - share) * f)))
        steps_needed[converged] = again.settled_at
    counts = {labels[k]: int(c) for k, c in enumerate(np.bincount(codes, minlength=len(labels))) if c}
    return BasinResult(
        config=config, surface=surface, xs=xs, ys=ys, codes=codes.reshape(n, n), labels=labels,
        ends=traj.final.reshape(n, n, 2), final_loss=np.asarray(traj.final_loss).reshape(n, n),
        steps_needed=steps_needed.reshape(n, n), diverged_at=traj.diverged_at.reshape(n, n),
        seconds=time.perf_counter() - t0, counts=counts,
    )


def pick_runs(configs, start, labels=None) -> list[RunView]:
    """One run per config from ``start`` (every step recorded), for ``figures.map.path_map``.

    The configs must share the surface and the number of steps (a page's panels do)."""
    configs = list(configs)
    if not configs:
        raise ValueError("pick_runs: configs is empty; allowed one or more BasinConfig")
    if len({(c.surface, c.surface_params, c.steps) for c in configs}) != 1:
        raise ValueError("pick_runs: configs must share surface, surface_params and steps")
    surface = configs[0].build_surface()
    start = np.asarray(start, dtype=np.float64).reshape(2)
    runs = []
    for slot, config in enumerate(configs):
        spec = config.spec(slot)
        opt = spec.build_optimizer()
        traj = optimizers.simulate(surface, opt, start, config.steps)
        label = labels[slot] if labels else config.label
        runs.append(RunView(label, PALETTE[slot % len(PALETTE)], traj, eta_series(spec, opt, traj.steps)))
    return runs


def run_category(surface, run: RunView):
    """The category label (as in BasinResult.labels) of a single run recorded with its last steps."""
    code = int(categorize(surface, run.trajectory)[0])
    return labels_of(surface)[code]


def pick_summary(surface, run: RunView, lang: str = "en") -> dict:
    """What one run did, as the basin map would say it: its end, loss, category and steps needed
    (``steps_text`` in ``lang``)."""
    traj = run.trajectory
    label = run_category(surface, run)
    converged = label not in ("oscillating", "still moving", "diverged")
    needed = float(outcomes.settled_at(traj, SETTLE_TOL * surface.span)[0]) if converged else float("nan")
    if label == "diverged":
        text = i18n.text("basins.diverged_at", lang, step=f"{run.diverged_at:,}")
    elif converged:
        text = f"{needed:,.0f}"
    else:
        text = i18n.text("basins.not_settled", lang)
    end = np.where(np.abs(traj.final[0]) < 1e-12 * surface.span, 0.0, traj.final[0])  # no "3.5e-36" in a table
    return {"label": run.label, "end": end, "final_loss": float(traj.final_loss[0]),
            "category": label, "steps_needed": needed, "steps_text": text}
