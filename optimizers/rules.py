"""The rules of the lecture's update θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t, one registry entry each.

- ``m`` rules (``optimizers.momentum``): what direction to move, from the gradients so far;
- ``σ`` rules (``optimizers.scaling``): the per-parameter scale of the step;
- ``η_t`` (``optimizers.schedules``): the learning rate at step t.

A ``Rule`` holds everything about one rule: its hyperparameters by name
(torch.optim's names and defaults, with the range allowed and the control a
page shows), its state, its step as a small numba function that the kernel
inlines, its LaTeX and how it differs from torch.optim, and its lecture form
if the lecture writes it differently. Everything else is derived from the
registry: the kernel's dispatch (``optimizers.kernel``), the controls
(``lab.controls``), the LaTeX (``optimizers.latex``), the catalog keys that
must exist (``optimizers.catalog.text_keys``).

The compiled step functions (all ``inline="always"``) share one signature per part,
for one coordinate of one run:

- σ step ``(h, s, d, n, tb) -> (σ, s')``;
- m step ``(h, s, d, n, tb, η, σ) -> ((m, u, η_u, η_shown), s')``: m is the
  lecture's m_t (recorded), u and η_u what the update uses (Adam: the raw
  average and η/(1 − β₁ⁿ), in torch's order), η_shown the rate recorded as
  η/σ (Rprop: its step size);
- ``apply(hm, sm, tm, hs, ss, ts, θ, d, n, η, η_u, m, u, σ) -> (θ_{t+1}, sm', ss')``,
  for the rules whose update is not the default θ + ((−η_u)·u)/σ;
- ``start(h) -> s`` gives state that does not start at 0.

where ``h`` is the tuple of the run's hyperparameters (in ``hyper``'s order),
``s`` the tuple of the coordinate's state (in ``state``'s order; ``s'`` the new
one), ``d`` the gradient (noise and L2 weight decay included), ``n = t + 1``
(torch's step count, a float) and ``tb[i]`` row i of the rule's per-step tables
at this step (``tables(values, steps)``, e.g. 1 − β₁ⁿ, computed once for all
runs that share the values). Steps and applies are written without branches on
data (selects), so that a block of runs vectorizes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .validate import in_range

PARTS = ("m", "sigma")


def log_options(lo_exp: int, hi_exp: int, mantissas=(1, 2, 5)) -> tuple[float, ...]:
    """1e{lo}, 2e{lo}, 5e{lo}, …, 1e{hi}: a logarithmic slider's stops."""
    values = [m * 10.0 ** e for e in range(lo_exp, hi_exp) for m in mantissas] + [10.0 ** hi_exp]
    return tuple(float(f"{v:.12g}") for v in values)


@dataclass(frozen=True)
class Hyper:
    """One hyperparameter: its key (a page's control and a link use it), torch's name and default, the
    range the engine allows, the lecture's symbol, and the control a page shows for it."""
    key: str
    default: float | bool
    symbol: str
    lo: float = 0.0
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    control: str = "linear"  # "log" (select among options), "linear" (slider from lo_ui to hi_ui), "bool"
    options: tuple = ()
    ui_range: tuple = (0.0, 1.0, 0.01)  # (lo, hi, step) of a linear slider
    primary: bool = False  # shown at once on a page (the rest fold away)
    torch: str = ""  # torch's keyword when it differs from the key ("betas[0]")

    @property
    def name(self) -> str:
        """torch's name for it: the keyword, or an element of torch's pair ("betas[1]")."""
        return self.torch or self.key

    @property
    def pair(self) -> tuple[str, int] | None:
        """(torch's keyword, index) for a member of a pair such as betas = (β₁, β₂); None otherwise."""
        if "[" not in self.name:
            return None
        keyword, index = self.name[:-1].split("[")
        return keyword, int(index)

    @property
    def label(self) -> str:
        return f"{self.symbol} ({self.name})"

    def check(self, owner: str, value):
        """The value as float64 (scalar or (K,)), or a bool; a ValueError names the field and the range."""
        if self.control == "bool":
            if np.ndim(value) != 0:
                raise ValueError(f"{owner}: {self.name} = {value!r} must be True or False (it cannot be swept)")
            return bool(value)
        return in_range(owner, self.name, value, self.lo, self.hi, lo_open=self.lo_open, hi_open=self.hi_open)


@dataclass(frozen=True, eq=False)
class Rule:
    """One m or σ rule; see the module docstring for the compiled functions' signatures."""
    key: str
    part: str  # "m" or "sigma"
    summary: str  # one line: the rule and where it comes from
    hyper: tuple = ()  # Hyper, in the order the step reads them (h[0], h[1], …)
    state: tuple = ()  # names of the per-parameter state variables (s[0], s[1], …)
    step: Callable = None
    latex: Callable = None  # (bound rule, optimizer) -> LaTeX lines "lhs &= rhs"
    note: str = ""  # how it differs from torch.optim ("" : as torch.optim)
    lecture: bool = False  # the lecture's form of a rule that torch writes differently
    lecture_form: str = ""  # key of this rule's lecture form, if the lecture writes it differently
    apply: Callable | None = None
    update_latex: Callable | None = None  # the update's LaTeX lines when ``apply`` is set
    start: Callable | None = None
    tables: Callable | None = None  # (values: dict, steps) -> float64 array (rows, steps + 1)
    table_hyper: tuple = ()  # the hyperparameters ``tables`` reads: runs that differ in them run apart
    carries_eta: bool = False  # m is the move itself, η included (the lecture's momentum): θ ← θ + m
    check: Callable | None = None  # (owner, values) -> None: checks across hyperparameters
    code: int = field(default=-1, compare=False)

    def hyper_keys(self) -> tuple[str, ...]:
        return tuple(h.key for h in self.hyper)

    def table_rows(self, values: dict, steps: int) -> np.ndarray:
        if self.tables is None:
            return np.zeros((1, steps + 1))
        return np.ascontiguousarray(self.tables({k: float(values[k]) for k in self.table_hyper}, steps))

    def n_tables(self) -> int:
        """How many per-step table rows the rule reads."""
        return 0 if self.tables is None else len(self.table_rows({h.key: h.default for h in self.hyper}, 0))


REGISTRY: dict[str, dict[str, Rule]] = {"m": {}, "sigma": {}}


def register(rule: Rule) -> Rule:
    """Add a rule; its kernel code is its position among the rules of its part."""
    table = REGISTRY[rule.part]
    if rule.key in table:
        raise ValueError(f"rules: {rule.part} rule {rule.key!r} is registered twice")
    object.__setattr__(rule, "code", len(table))
    table[rule.key] = rule
    return rule


def rule(part: str, key: str) -> Rule:
    try:
        return REGISTRY[part][key]
    except KeyError:
        raise ValueError(f"rules: no {part} rule {key!r}; known: {', '.join(REGISTRY.get(part, {}))}") from None


def by_code(part: str) -> tuple[Rule, ...]:
    return tuple(REGISTRY[part].values())


def all_rules() -> tuple[Rule, ...]:
    return by_code("m") + by_code("sigma")


@dataclass(frozen=True, eq=False)
class Bound:
    """A rule with values for its hyperparameters (float64 scalars or (K,) arrays, bools):
    ``bound.momentum`` reads one."""
    rule: Rule
    values: dict

    def __getattr__(self, name):
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(f"{self.__dict__.get('rule').key if 'rule' in self.__dict__ else 'rule'} "
                             f"has no hyperparameter {name!r}")

    @property
    def key(self) -> str:
        return self.rule.key

    def column(self, key: str, K: int) -> np.ndarray:
        return np.broadcast_to(np.asarray(self.values[key], dtype=np.float64), (K,))

    def matrix(self, K: int) -> np.ndarray:
        """(number of hyperparameters, K) float64: row i is the rule's i-th hyperparameter per run."""
        H = np.zeros((max(1, len(self.rule.hyper)), K))
        for i, h in enumerate(self.rule.hyper):
            H[i] = self.column(h.key, K)
        return H
