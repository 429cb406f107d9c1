r"""Learning-rate schedules η^t, exact to ``torch.optim.lr_scheduler``.

The lecture (Hung-yi Lee, "adaptive learning rate") writes the update as
θ^{t+1} = θ^t − η^t / σ^t · g^t, with a *schedule* η^t for the step size:
decay (η^t = η / √(t+1)), warm-up (rise, then fall) and the classic step,
exponential and cosine decays.

A schedule here is evaluated in closed form as two arrays::

    η^t = η · scale(t) + shift(t)

where ``t`` counts updates from 0 and ``η`` (``lr``) may be an array of swept
values. ``scale`` is the factor a torch scheduler applies to the optimizer's
base rate; ``shift`` is non-zero only for cosine annealing, whose ``eta_min``
is an absolute rate in torch (η_min + (η − η_min)·c = η·c + η_min·(1 − c)), so
it must not be folded into ``lr``.

Step counting: ``Schedule(...)(i, lr)`` is exactly the ``param_groups[0]["lr"]``
that torch uses for update ``i`` when its scheduler is stepped once after each
``optimizer.step()`` (the documented order). Parameter names and defaults are
torch's where torch has the schedule; where torch has no default (``step_size``,
``milestones``, ``gamma`` of ExponentialLR, ``T_max``) one is chosen for a
horizon of about a thousand updates.

Torch computes most rates recursively (η^t from η^{t−1}); the closed forms here
agree with it to a few ulps per step (about 1e-14 relative over thousands of
steps). One exception, in torch's arithmetic rather than its schedule: cosine
annealing with ``eta_min > 0`` past ``T_max`` — see :func:`_cosine`.

This module uses NumPy only (no torch, no streamlit).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .tex import factor, number

Coefficients = tuple[np.ndarray, np.ndarray]


# --------------------------------------------------------------------------
# One small function per kind: t (int64 array, >= 0) -> (scale, shift).
# --------------------------------------------------------------------------

def _ones(t):
    return np.ones(t.shape), np.zeros(t.shape)


def _multistep_factor(t, milestones, gamma):
    """γ^{#{m ∈ milestones : m ≤ t}} (torch's bisect_right)."""
    count = np.searchsorted(np.asarray(milestones, dtype=np.int64), t, side="right")
    return np.power(gamma, count.astype(np.float64))


def _cosine_factor(t, T_max):
    """c = ½ (1 + cos(π t / T_max)), with torch's operation order."""
    return (1.0 + np.cos(np.pi * t / T_max)) / 2.0


def _constant(t) -> Coefficients:
    r"""η^t = η. No torch scheduler (or LambdaLR with λ ≡ 1)."""
    return _ones(t)


def _step(t, step_size, gamma) -> Coefficients:
    r"""η^t = η · γ^{⌊t / step_size⌋}: decay by γ every ``step_size`` updates.

    torch ``StepLR(step_size, gamma=0.1)``; torch has no default for
    ``step_size`` (here 300).
    """
    return np.power(gamma, (t // step_size).astype(np.float64)), np.zeros(t.shape)


def _multistep(t, milestones, gamma) -> Coefficients:
    r"""η^t = η · γ^{Σ_m [t ≥ m]}: decay by γ at each milestone.

    torch ``MultiStepLR(milestones, gamma=0.1)``; torch has no default for
    ``milestones`` (here (300, 600)) and allows repeated or unsorted
    milestones, which are rejected here (use a smaller γ instead); empty
    milestones mean no decay.
    """
    return _multistep_factor(t, milestones, gamma), np.zeros(t.shape)


def _exponential(t, gamma) -> Coefficients:
    r"""η^t = η · γ^t. torch ``ExponentialLR(gamma)``; no torch default (here 0.995)."""
    return np.power(gamma, t.astype(np.float64)), np.zeros(t.shape)


def _inverse_sqrt(t) -> Coefficients:
    r"""η^t = η / √(t + 1): the lecture's learning-rate decay.

    torch has no class for it; it is ``LambdaLR(lambda t: 1 / sqrt(t + 1))``.
    """
    return 1.0 / np.sqrt(t + 1.0), np.zeros(t.shape)


def _cosine(t, T_max, eta_min) -> Coefficients:
    r"""η^t = η_min + ½ (η − η_min)(1 + cos(π t / T_max)).

    torch ``CosineAnnealingLR(T_max, eta_min=0.0)``; no torch default for
    ``T_max`` (here 1000). ``eta_min`` is an absolute rate, hence the shift
    η_min (1 − c). Past ``T_max`` the formula is periodic (period 2 T_max:
    the rate climbs back to η at t = 2 T_max); torch 2.13's recursive
    ``get_lr`` does the same (its branch at t ≡ T_max + 1 mod 2 T_max restarts
    the climb), so no restriction on t is needed.

    Rounding: torch recomputes η^t − η_min from the rounded η^{t−1}; after the
    restart at T_max + 1 that difference is ~(π/T_max)² (η − η_min) and its
    rounding error (~ε η_min) is then multiplied by up to 4 T_max²/π². With
    ``eta_min > 0`` and large ``T_max`` torch's rates past ``T_max`` therefore
    drift from the exact formula by ~ε η_min T_max² (3e-12 relative for
    T_max = 1000, η_min = η/3). Up to ``T_max``, and for ``eta_min = 0`` at
    any t, the two agree to ~1e-14.
    """
    c = _cosine_factor(t, T_max)
    return c, eta_min * (1.0 - c)


def _warmup_up(t, warmup_iters, start_factor):
    """Linear warm-up factor s + (1 − s) t / W (torch LinearLR(s, 1.0, W))."""
    return start_factor + (1.0 - start_factor) * t / warmup_iters


def _warmup_linear(t, warmup_iters, total_iters, start_factor, end_factor) -> Coefficients:
    r"""Linear warm-up, then linear decay.

    With W = warmup_iters, N = total_iters − W, s = start_factor,
    e = end_factor::

        η^t = η · (s + (1 − s) t / W)                 for t < W
        η^t = η · (1 + (e − 1) min(t − W, N) / N)     for t ≥ W

    so η^t rises from sη to η at t = W, falls to eη at t = total_iters and
    stays there. torch: ``SequentialLR([LinearLR(s, 1.0, total_iters=W),
    LinearLR(1.0, e, total_iters=N)], milestones=[W])``. Defaults W = 100,
    total_iters = 1000, e = 0.0; s = 0.01 rather than LinearLR's 1/3, so that
    the warm-up starts near zero as in the lecture (torch needs s > 0).
    """
    down = 1.0 + (end_factor - 1.0) * np.minimum(t - warmup_iters, total_iters - warmup_iters) \
        / (total_iters - warmup_iters)
    scale = np.where(t < warmup_iters, _warmup_up(t, warmup_iters, start_factor), down)
    return scale, np.zeros(t.shape)


def _warmup_cosine(t, warmup_iters, total_iters, start_factor, eta_min) -> Coefficients:
    r"""Linear warm-up, then cosine annealing.

    With W = warmup_iters, N = total_iters − W, s = start_factor::

        η^t = η · (s + (1 − s) t / W)                               for t < W
        η^t = η_min + ½ (η − η_min)(1 + cos(π (t − W) / N))         for t ≥ W

    torch: ``SequentialLR([LinearLR(s, 1.0, total_iters=W),
    CosineAnnealingLR(T_max=N, eta_min)], milestones=[W])``. As in torch, past
    ``total_iters`` the cosine is periodic (the rate climbs back to η at
    t = W + 2N); the rounding remark of :func:`_cosine` applies there.
    Defaults as for ``warmup_linear``: W = 100, total_iters = 1000, s = 0.01,
    eta_min = 0.0.
    """
    c = _cosine_factor(t - warmup_iters, total_iters - warmup_iters)
    warm = t < warmup_iters
    scale = np.where(warm, _warmup_up(t, warmup_iters, start_factor), c)
    return scale, np.where(warm, 0.0, eta_min * (1.0 - c))


def _transformer(t, d_model, warmup) -> Coefficients:
    r"""η^t = η · d_model^{−0.5} · min(n^{−0.5}, n · warmup^{−1.5}), n = t + 1.

    Vaswani et al., "Attention is all you need" (§5.3): linear warm-up for
    ``warmup`` steps, then ∝ 1/√n; n is the paper's step number (1-based), so
    the peak is at update t = warmup − 1. The paper uses η = 1 (its factor is
    the whole rate). torch has no class; it is ``LambdaLR`` with this formula.
    """
    n = t + 1.0
    return d_model ** -0.5 * np.minimum(n ** -0.5, n * warmup ** -1.5), np.zeros(t.shape)


def _resnet(t, factor, total_iters, milestones, gamma) -> Coefficients:
    r"""η^t = η · (factor if t < total_iters else 1) · γ^{Σ_m [t ≥ m]}.

    He et al. (ResNet, CIFAR-10, 110 layers): 0.1 × the rate for the first
    ~400 iterations to get training started, then the full rate, divided by
    10 at 32k and 48k iterations. torch: ``ChainedScheduler([ConstantLR(factor,
    total_iters), MultiStepLR(milestones, gamma)])``. torch's ConstantLR
    allows factor = 0 (then divides by zero at total_iters) and
    total_iters = 0 (then never restores the rate, unlike its own closed
    form); both are rejected here.
    """
    warm = np.where(t < total_iters, factor, 1.0)
    return warm * _multistep_factor(t, milestones, gamma), np.zeros(t.shape)


# --------------------------------------------------------------------------
# Parameter validation: each check returns the canonical value or raises.
# --------------------------------------------------------------------------

def _show(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, (tuple, list, np.ndarray)):
        items = [_show(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return repr(value)


def _fail(kind, name, value, allowed, what="is out of range"):
    raise ValueError(f"{kind}: {name} = {_show(value)} {what}; allowed {allowed}")


def _as_int(kind, name, value, allowed):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        _fail(kind, name, value, allowed, "is not an integer")
    if isinstance(value, numbers.Integral):
        return int(value)
    if not math.isfinite(value):
        _fail(kind, name, value, allowed)
    if not float(value).is_integer():
        _fail(kind, name, value, allowed, "is not an integer")
    return int(value)


_INT_MAX = 2 ** 53  # exact in float64, and t // step_size stays in int64


def _int(lo):
    """Integer from lo to 2**53."""
    def check(kind, name, value):
        allowed = f"integer {lo} <= {name} <= 2**53"
        v = _as_int(kind, name, value, allowed)
        if not lo <= v <= _INT_MAX:
            _fail(kind, name, value, allowed)
        return v
    return check


def _real(lo, hi=math.inf, lo_open=False, hi_open=False):
    """Finite real in the interval from lo to hi."""
    def check(kind, name, value):
        left = f"{lo:g} {'<' if lo_open else '<='} {name}"
        allowed = left if hi == math.inf else f"{left} {'<' if hi_open else '<='} {hi:g}"
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            _fail(kind, name, value, allowed, "is not a number")
        v = float(value)
        ok = (math.isfinite(v) and (v > lo if lo_open else v >= lo)
              and (v < hi if hi_open else v <= hi))
        if not ok:
            _fail(kind, name, value, allowed)
        return v
    return check


def _milestones(kind, name, value):
    """Strictly increasing integers >= 1, as a tuple."""
    allowed = "strictly increasing integers from 1 to 2**53, e.g. (300, 600)"
    if isinstance(value, (str, bytes)) or not np.iterable(value):
        _fail(kind, name, value, allowed, "is not a sequence")
    items = tuple(value)
    for v in items:
        if (isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real)
                or not math.isfinite(v) or not float(v).is_integer()):
            _fail(kind, name, items, allowed, "is not a sequence of integers")
    ms = tuple(int(v) for v in items)
    if any(not 1 <= m <= _INT_MAX for m in ms) or any(a >= b for a, b in zip(ms, ms[1:])):
        _fail(kind, name, ms, allowed)
    return ms


def _warmup_before_total(kind, p):
    if p["warmup_iters"] >= p["total_iters"]:
        _fail(kind, "warmup_iters", p["warmup_iters"],
              f"1 <= warmup_iters < total_iters = {p['total_iters']}")


def _validator(checks: Mapping[str, Callable], cross: Callable | None = None):
    """Build validator(kind, params) -> dict of canonical values."""
    def validate(kind, params):
        out = {name: check(kind, name, params[name]) for name, check in checks.items()}
        if cross is not None:
            cross(kind, out)
        return out
    return validate


# --------------------------------------------------------------------------
# LaTeX (the lecture's notation: η for lr, t for the update index).
# --------------------------------------------------------------------------

_tex = number
_tex_pow = factor


def _tex_milestones(t, ms) -> str:
    return " + ".join(rf"[{t} \ge {_tex(m)}]" for m in ms) or "0"


def _tex_cosine(arg, period, eta_min) -> str:
    cos = rf"\left(1 + \cos\frac{{\pi {arg}}}{{{_tex(period)}}}\right)"
    if eta_min == 0:
        return r"\frac{\eta}{2}" + cos
    m = _tex(eta_min)
    return rf"{m} + \frac{{\eta - {m}}}{{2}}" + cos


def _latex_constant():
    return r"\eta^{t} = \eta"


def _latex_step(step_size, gamma):
    return rf"\eta^{{t}} = \eta \cdot {_tex_pow(gamma)}^{{\lfloor t / {step_size} \rfloor}}"


def _latex_multistep(milestones, gamma):
    return rf"\eta^{{t}} = \eta \cdot {_tex_pow(gamma)}^{{{_tex_milestones('t', milestones)}}}"


def _latex_exponential(gamma):
    return rf"\eta^{{t}} = \eta \cdot {_tex_pow(gamma)}^{{t}}"


def _latex_inverse_sqrt():
    return r"\eta^{t} = \frac{\eta}{\sqrt{t + 1}}"


def _latex_cosine(T_max, eta_min):
    return r"\eta^{t} = " + _tex_cosine("t", T_max, eta_min)


def _tex_warmup(warmup_iters, start_factor):
    s = _tex(start_factor)
    one_minus = _tex(1.0 - start_factor)
    return rf"\eta \left({s} + {one_minus}\,\frac{{t}}{{{warmup_iters}}}\right) & t < {warmup_iters}"


def _latex_warmup_linear(warmup_iters, total_iters, start_factor, end_factor):
    n = total_iters - warmup_iters
    drop = "" if end_factor == 0 else _tex(1.0 - end_factor) + r"\,"
    decay = rf"\eta \left(1 - {drop}\frac{{\min(t - {warmup_iters},\, {n})}}{{{n}}}\right)"
    return (r"\eta^{t} = \begin{cases} " + _tex_warmup(warmup_iters, start_factor)
            + r" \\ " + decay + rf" & t \ge {warmup_iters} \end{{cases}}")


def _latex_warmup_cosine(warmup_iters, total_iters, start_factor, eta_min):
    n = total_iters - warmup_iters
    cos = _tex_cosine(f"(t - {warmup_iters})", n, eta_min)
    return (r"\eta^{t} = \begin{cases} " + _tex_warmup(warmup_iters, start_factor)
            + r" \\ " + cos + rf" & t \ge {warmup_iters} \end{{cases}}")


def _latex_transformer(d_model, warmup):
    return (rf"\eta^{{t}} = \eta \cdot {_tex(d_model)}^{{-0.5}} \min\left((t+1)^{{-0.5}},\ "
            rf"(t+1) \cdot {_tex(warmup)}^{{-1.5}}\right)")


def _latex_resnet(factor, total_iters, milestones, gamma):
    return (rf"\eta^{{t}} = \eta \cdot \begin{{cases}} {_tex(factor)} & t < {total_iters} \\ 1 & "
            rf"t \ge {total_iters} \end{{cases}} \cdot {_tex_pow(gamma)}^{{{_tex_milestones('t', milestones)}}}")


# --------------------------------------------------------------------------
# Registry: name -> (function, defaults, validator, latex, description).
# --------------------------------------------------------------------------

class _Kind(NamedTuple):
    fn: Callable[..., Coefficients]
    defaults: dict
    validate: Callable[[str, dict], dict]
    latex: Callable[..., str]
    description: str


_GAMMA = _real(0.0, 1.0, lo_open=True)
_FACTOR = _real(0.0, 1.0, lo_open=True)
_ETA_MIN = _real(0.0)
_WARMUP = {"warmup_iters": _int(1), "total_iters": _int(2)}

_KINDS: dict[str, _Kind] = {
    "constant": _Kind(
        _constant, {}, _validator({}), _latex_constant,
        "Constant rate η: the baseline every schedule is compared with."),
    "step": _Kind(
        _step, {"step_size": 300, "gamma": 0.1},
        _validator({"step_size": _int(1), "gamma": _GAMMA}), _latex_step,
        "Step decay (torch StepLR): multiply η by γ every step_size updates, "
        "to take big steps first and fine ones later."),
    "multistep": _Kind(
        _multistep, {"milestones": (300, 600), "gamma": 0.1},
        _validator({"milestones": _milestones, "gamma": _GAMMA}), _latex_multistep,
        "Multi-step decay (torch MultiStepLR): multiply η by γ at chosen updates, "
        "e.g. when the loss plateaus."),
    "exponential": _Kind(
        _exponential, {"gamma": 0.995},
        _validator({"gamma": _GAMMA}), _latex_exponential,
        "Exponential decay (torch ExponentialLR): η shrinks by γ every update, "
        "a smooth version of step decay."),
    "inverse_sqrt": _Kind(
        _inverse_sqrt, {}, _validator({}), _latex_inverse_sqrt,
        "The lecture's decay η/√(t+1): steps shrink as we approach the minimum, "
        "damping the oscillation that adaptive rates cause late in training."),
    "cosine": _Kind(
        _cosine, {"T_max": 1000, "eta_min": 0.0},
        _validator({"T_max": _int(1), "eta_min": _ETA_MIN}), _latex_cosine,
        "Cosine annealing (torch CosineAnnealingLR): η glides to η_min over T_max "
        "updates along a half cosine, slow at both ends."),
    "warmup_linear": _Kind(
        _warmup_linear,
        {"warmup_iters": 100, "total_iters": 1000, "start_factor": 0.01, "end_factor": 0.0},
        _validator({**_WARMUP, "start_factor": _FACTOR, "end_factor": _real(0.0, 1.0)},
                   _warmup_before_total),
        _latex_warmup_linear,
        "Warm-up then linear decay: start small while the adaptive statistics σ "
        "are still unreliable, then decay to finish fine."),
    "warmup_cosine": _Kind(
        _warmup_cosine,
        {"warmup_iters": 100, "total_iters": 1000, "start_factor": 0.01, "eta_min": 0.0},
        _validator({**_WARMUP, "start_factor": _FACTOR, "eta_min": _ETA_MIN},
                   _warmup_before_total),
        _latex_warmup_cosine,
        "Warm-up then cosine annealing: the common recipe for Transformers and "
        "large-batch training."),
    "transformer": _Kind(
        _transformer, {"d_model": 512, "warmup": 4000},
        _validator({"d_model": _int(1), "warmup": _int(1)}), _latex_transformer,
        "The Transformer's schedule (Vaswani et al.): linear warm-up for `warmup` "
        "steps, then decay ∝ 1/√step, scaled by 1/√d_model."),
    "resnet": _Kind(
        _resnet, {"factor": 0.1, "total_iters": 400, "milestones": (32000, 48000), "gamma": 0.1},
        _validator({"factor": _FACTOR, "total_iters": _int(1),
                    "milestones": _milestones, "gamma": _GAMMA}),
        _latex_resnet,
        "ResNet's recipe (He et al.): a short low-rate warm-up so a very deep "
        "network starts training, then step decay at 32k and 48k updates."),
}


def schedule_names() -> tuple[str, ...]:
    """The valid schedule kinds, in display order."""
    return tuple(_KINDS)


def _lookup(kind) -> _Kind:
    try:
        return _KINDS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"unknown schedule kind {kind!r}; valid kinds: "
                         f"{', '.join(_KINDS)}") from None


def _as_steps(t) -> np.ndarray:
    """t as an int64 array of update indices (>= 0)."""
    a = np.asarray(t)
    allowed = "integer t >= 0"
    if a.dtype.kind not in "iu":
        raise ValueError(f"t: dtype {a.dtype} is not an integer type; allowed {allowed}")
    if a.size and a.min() < 0:
        raise ValueError(f"t = {_show(a.min())} is out of range; allowed {allowed}")
    if a.dtype.kind == "u" and a.size and a.max() > np.iinfo(np.int64).max:
        raise ValueError(f"t = {_show(a.max())} is out of range; allowed {allowed} < 2**63")
    return a.astype(np.int64, copy=False)


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: η^t = lr · scale(t) + shift(t).

    ``params`` is ((name, value), ...) sorted by name, complete (defaults
    filled in) and canonical (ints, floats, tuples), so that equal schedules
    compare and hash equal. Construct with :func:`schedule`; constructing
    directly validates and canonicalizes too.
    """

    kind: str
    params: tuple = ()

    def __post_init__(self):
        entry = _lookup(self.kind)
        pairs = self.params.items() if isinstance(self.params, Mapping) else self.params
        given: dict = {}
        for name, value in pairs:
            if name not in entry.defaults:
                valid = ", ".join(entry.defaults) or "none"
                raise ValueError(f"{self.kind}: unknown parameter {name!r}; "
                                 f"valid parameters: {valid}")
            if name in given:
                raise ValueError(f"{self.kind}: parameter {name!r} given twice")
            given[name] = value
        values = entry.validate(self.kind, {**entry.defaults, **given})
        object.__setattr__(self, "params", tuple(sorted(values.items())))

    def coefficients(self, t) -> tuple[np.ndarray, np.ndarray]:
        """(scale, shift) float64 arrays shaped like t, so that η^t = lr · scale + shift.

        t is the index of the update counting from 0 (int scalar or int array
        of any shape); the result matches the lr torch uses for that update.
        """
        steps = _as_steps(t)
        scale, shift = _KINDS[self.kind].fn(steps, **dict(self.params))
        return (np.asarray(scale, dtype=np.float64).reshape(steps.shape),
                np.asarray(shift, dtype=np.float64).reshape(steps.shape))

    def __call__(self, t, lr=1.0) -> np.ndarray:
        """η^t = lr · scale(t) + shift(t); lr broadcasts against t (NumPy rules)."""
        scale, shift = self.coefficients(t)
        return np.asarray(lr, dtype=np.float64) * scale + shift

    @property
    def latex(self) -> str:
        """η^t in the lecture's notation, with the parameter values substituted."""
        return _KINDS[self.kind].latex(**dict(self.params))

    @property
    def description(self) -> str:
        """One line: what the schedule is and why one would use it."""
        return _KINDS[self.kind].description


def with_lr_decay(eta, t, lr_decay):
    r"""Adagrad's own decay on top of the schedule: η^t / (1 + t · lr_decay).

    torch.optim.Adagrad's ``clr = lr / (1 + (step − 1) · lr_decay)`` with step = t + 1. Plain
    arithmetic, so that the same line serves NumPy arrays (the pages' η series) and the compiled
    kernel; with lr_decay = 0 it returns η exactly."""
    return eta / (1.0 + t * lr_decay)


def schedule(kind: str, **params) -> Schedule:
    """The schedule ``kind`` with ``params`` (others at their defaults).

    Raises ValueError for an unknown kind (listing the valid ones) or a bad
    parameter (naming the field, the value and the allowed range).
    """
    return Schedule(kind, tuple(params.items()))
