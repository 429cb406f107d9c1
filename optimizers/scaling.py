"""The σ rules: the per-parameter scale of the step (see ``optimizers.rules``).

Each rule is written in torch.optim's order of operations (``optimizers.floatops``);
ε sits where torch puts it. t counts updates from 0 (torch's ``step`` is n = t + 1).
"""
from __future__ import annotations

import math
from dataclasses import replace

import numba
import numpy as np

from . import tex
from .floatops import INLINE, average_of_squares, fma, lerp, maximum
from .momentum import BETA2, MOMENTUM, one_minus_powers
from .rules import Hyper, Rule, log_options, register

EPS = Hyper("eps", 1e-8, "ε", 0.0, 1e3, control="log", options=log_options(-12, -1, (1,)))
ALPHA = Hyper("alpha", 0.99, "α", 0.0, 1.0, ui_range=(0.0, 0.999, 0.001), primary=True)
RHO = Hyper("rho", 0.9, "ρ", 0.0, 1.0, ui_range=(0.0, 0.999, 0.001), primary=True)
INITIAL_ACCUMULATOR = Hyper("initial_accumulator_value", 0.0, "G₀", 0.0, 1e12, control="log",
                            options=(0.0,) + log_options(-4, 1, (1,)))
CENTERED = Hyper("centered", False, "centered", control="bool")
AMSGRAD = Hyper("amsgrad", False, "AMSGrad", control="bool")


def _sigma_line(inside: str, eps, below: str = "") -> str:
    root = rf"\sqrt{{{inside}}}"
    if below:
        root = rf"\frac{{{root}}}{{{below}}}"
    return rf"\sigma^{{t}} &= {root}{tex.plus_eps(eps)}"


def _squares_line(beta, start: str) -> str:
    return rf"v^{{t}} &= {tex.value(beta)}\, v^{{t-1}} + {tex.one_minus(beta)}\, (g^{{t}})^2,\quad {start}"


# ---------------------------------------------------------------- σ = 1
@numba.njit(**INLINE)
def _unit(h, s, d, n, tb):
    return 1.0, s


@numba.njit(**INLINE)
def _step_by_eta(hm, sm, tm, hs, ss, ts, th, d, n, eta, eta_u, m, u, sig):
    return fma(-eta_u, u, th), sm, ss  # torch: p.add_(m, alpha=−η)


register(Rule(
    "unit", "sigma", "σ_t = 1", step=_unit, apply=_step_by_eta, latex=lambda rule, opt: [],
    update_latex=lambda opt, theta, decay: [rf"\theta^{{t+1}} &= {theta} - \eta^{{t}}\, m^{{t}}{decay}"]))


# ---------------------------------------------------------------- Adagrad
@numba.njit(**INLINE)
def _start_sum(h):
    return (h[1],)


@numba.njit(**INLINE)
def _root_sum(h, s, d, n, tb):
    total = fma(d, d, s[0])
    return math.sqrt(total) + h[0], (total,)


@numba.njit(**INLINE)
def _root_mean(h, s, d, n, tb):
    total = fma(d, d, s[0])
    return math.sqrt(total / n) + h[0], (total,)


def _root_sum_latex(rule, opt):
    acc = rf"{tex.value(rule.initial_accumulator_value)} + " if tex.nonzero(rule.initial_accumulator_value) else ""
    return [_sigma_line(rf"{acc}\sum_{{i=0}}^{{t}} (g^{{i}})^2", rule.eps)]


register(Rule(
    "root_sum_square", "sigma",
    "G_t = G_{t−1} + g_t², G_{−1} = initial_accumulator_value; σ_t = √G_t + ε (torch.optim.Adagrad)",
    hyper=(replace(EPS, default=1e-10), INITIAL_ACCUMULATOR), state=("sum",), step=_root_sum, start=_start_sum,
    latex=_root_sum_latex, lecture_form="root_mean_square",
    note="torch.optim.Adagrad: σ is the root of the sum of squared gradients (√(t+1) times the lecture's root "
         "mean square), ε outside the root"))

register(Rule(
    "root_mean_square", "sigma", "σ_t = √((1/(t+1)) Σ_{i≤t} g_i²) + ε (the lecture's Adagrad; ε outside the root)",
    hyper=(replace(EPS, default=1e-10),), state=("sum",), step=_root_mean, lecture=True,
    latex=lambda rule, opt: [_sigma_line(r"\frac{1}{t+1} \sum_{i=0}^{t} (g^{i})^2", rule.eps)],
    note="lecture form: σ is the root mean square of the past gradients, torch.optim.Adagrad's is the root of "
         "their sum (√(t+1) times larger, which no constant learning rate can absorb)"))


# ---------------------------------------------------------------- RMSprop
@numba.njit(**INLINE)
def _moving(h, s, d, n, tb):
    alpha = h[0]
    v = average_of_squares(s[0], d, alpha)
    mean = lerp(s[1], d, 1.0 - alpha)
    sigma = (math.sqrt(fma(-mean, mean, v)) if h[2] != 0.0 else math.sqrt(v)) + h[1]
    return sigma, (v, mean, s[2])


@numba.njit(**INLINE)
def _moving_apply(hm, sm, tm, hs, ss, ts, th, d, n, eta, eta_u, m, u, sig):
    """torch RMSprop: with momentum μ > 0, b = μ b + u/σ and θ − η b; else θ + (−η u)/σ."""
    mu = hs[3]
    buffer = ss[2] * mu + u / sig
    new = fma(-eta_u, buffer, th) if mu > 0.0 else th + ((-eta_u) * u) / sig
    return new, sm, (ss[0], ss[1], buffer)


def _moving_latex(rule, opt):
    lines = [_squares_line(rule.alpha, r"v^{-1} = 0")]
    if rule.centered:
        lines.append(rf"\bar g^{{t}} &= {tex.value(rule.alpha)}\, \bar g^{{t-1}} + {tex.one_minus(rule.alpha)}\, g^{{t}}"
                     r",\quad \bar g^{-1} = 0")
        lines.append(_sigma_line(r"v^{t} - (\bar g^{t})^2", rule.eps))
    else:
        lines.append(_sigma_line("v^{t}", rule.eps))
    return lines


def _moving_update(opt, theta, decay):
    if not tex.nonzero(opt.sigma.momentum):
        return None
    return [rf"b^{{t}} &= {tex.value(opt.sigma.momentum)}\, b^{{t-1}} + \frac{{m^{{t}}}}{{\sigma^{{t}}}},\quad b^{{-1}} = 0",
            rf"\theta^{{t+1}} &= {theta} - \eta^{{t}}\, b^{{t}}{decay}"]


register(Rule(
    "moving_rms", "sigma",
    "v_t = α v_{t−1} + (1 − α) g_t², v_{−1} = 0; σ_t = √v_t + ε (torch.optim.RMSprop; centered: √(v_t − ḡ_t²) + ε)",
    hyper=(ALPHA, EPS, CENTERED, replace(MOMENTUM, default=0.0)), state=("squares", "mean", "buffer"),
    step=_moving, apply=_moving_apply, latex=_moving_latex, update_latex=_moving_update, lecture_form="lecture_rms",
    note="torch.optim.RMSprop: the average of squares starts at 0 with no bias correction, so the first step is "
         "1/√(1 − α) times η·sign(g) (10× at α = 0.99); the lecture starts it at (g⁰)²"))


@numba.njit(**INLINE)
def _lecture_rms(h, s, d, n, tb):
    v = d * d if n == 1.0 else average_of_squares(s[0], d, h[0])
    return math.sqrt(v) + h[1], (v,)


register(Rule(
    "lecture_rms", "sigma", "σ_0² = g_0², σ_t² = α σ_{t−1}² + (1 − α) g_t²; divides by σ_t + ε (the lecture's RMSProp)",
    hyper=(ALPHA, EPS), state=("squares",), step=_lecture_rms, lecture=True,
    latex=lambda rule, opt: [_squares_line(rule.alpha, r"v^{0} = (g^{0})^2"), _sigma_line("v^{t}", rule.eps)],
    note="lecture form: the average of squares starts at (g⁰)², so the first step is η·sign(g); "
         "torch.optim.RMSprop starts it at 0 (a first step 1/√(1 − α) times larger)"))


# ---------------------------------------------------------------- Adam
# Python's ``x ** 0.5`` calls the C library's pow, which is not always correctly rounded; a compiler
# turns ``x ** 0.5`` with a constant 0.5 into a square root, which is. The tables take the exponent
# as an argument (HALF) so that they call pow, as torch's Python code does.
HALF = 0.5


@numba.njit(cache=True)
def root_one_minus_powers(beta, steps, half):
    """(1 − βⁿ)^0.5 for n = 1 … steps + 1, as torch computes ``bias_correction2 ** 0.5`` (pow, not sqrt)."""
    out = np.empty((1, steps + 1))
    for t in range(steps + 1):
        out[0, t] = (1.0 - beta ** np.float64(t + 1)) ** half
    return out


@numba.njit(**INLINE)
def _adam(h, s, d, n, tb):
    v = average_of_squares(s[0], d, h[0])
    top = maximum(s[1], v)
    return math.sqrt(top if h[2] != 0.0 else v) / tb[0] + h[1], (v, top)


def _adam_latex(rule, opt):
    lines = [_squares_line(rule.beta2, r"v^{-1} = 0")]
    v = "v^{t}"
    if rule.amsgrad:
        lines.append(r"\hat v^{t} &= \max(\hat v^{t-1},\, v^{t})")
        v = r"\hat v^{t}"
    lines.append(_sigma_line(v, rule.eps, rf"\sqrt{{1 - {tex.pow_t1(rule.beta2)}}}"))
    return lines


register(Rule(
    "adam_rms", "sigma",
    "v_t = β₂ v_{t−1} + (1 − β₂) g_t²; σ_t = √v_t / √(1 − β₂^{t+1}) + ε (torch.optim.Adam; amsgrad: v_t → max_{i≤t} v_i)",
    hyper=(BETA2, EPS, AMSGRAD), state=("squares", "largest"), step=_adam, latex=_adam_latex,
    note="as torch.optim.Adam: ε is added after the bias correction (the paper's 'efficient' form adds it before, "
         "about 1e-9 apart)",
    tables=lambda v, steps: root_one_minus_powers(v["beta2"], steps, HALF), table_hyper=("beta2",)))


# ---------------------------------------------------------------- RAdam
@numba.njit(cache=True)
def radam_tables(beta2, steps, half):
    """Rows 1 − β₂ⁿ, its root, r_n and [ρ_n > 5] for n = 1 … steps + 1, in torch.optim.RAdam's arithmetic."""
    out = np.empty((4, steps + 1))
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    for t in range(steps + 1):
        step = np.float64(t + 1)
        power = beta2 ** step
        correction = 1.0 - power
        rho = rho_inf - 2.0 * step * power / correction
        out[0, t] = correction
        out[1, t] = correction ** half
        out[2, t] = ((rho - 4.0) * (rho - 2.0) * rho_inf / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho)) ** half \
            if rho > 5.0 else 1.0
        out[3, t] = 1.0 if rho > 5.0 else 0.0
    return out


@numba.njit(**INLINE)
def _radam(h, s, d, n, tb):
    v = average_of_squares(s[0], d, h[0])
    return ((math.sqrt(v) + h[1]) / tb[1] / tb[2] if tb[3] != 0.0 else 1.0), (v,)


@numba.njit(**INLINE)
def _radam_apply(hm, sm, tm, hs, ss, ts, th, d, n, eta, eta_u, m, u, sig):
    """torch: θ − ((m̂·η)·(reciprocal(√v + ε)·√(1 − β₂ⁿ)))·r while ρ > 5, else θ − m̂·η."""
    adaptive = (1.0 / (math.sqrt(ss[0]) + hs[1])) * ts[1]
    return (th - ((m * eta) * adaptive) * ts[2] if ts[3] != 0.0 else th - m * eta), sm, ss


def _radam_latex(rule, opt):
    b2 = rule.beta2
    with np.errstate(divide="ignore"):
        rho_inf = 2.0 / (1.0 - np.asarray(b2, dtype=np.float64)) - 1.0
    return [
        _squares_line(b2, r"v^{-1} = 0"),
        rf"\rho_\infty &= \frac{{2}}{{1 - {tex.value(b2)}}} - 1 = {tex.value(rho_inf)}",
        rf"\rho^{{t}} &= \rho_\infty - \frac{{2 (t+1)\, {tex.pow_t1(b2)}}}{{1 - {tex.pow_t1(b2)}}}",
        r"r^{t} &= \sqrt{\frac{(\rho^{t} - 4)(\rho^{t} - 2)\,\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\,\rho^{t}}}",
        rf"\sigma^{{t}} &= \begin{{cases}} \dfrac{{\sqrt{{v^{{t}}}}{tex.plus_eps(rule.eps)}}}{{\sqrt{{1 - {tex.pow_t1(b2)}}}\; r^{{t}}}}"
        r" & \rho^{t} > 5 \\ 1 & \rho^{t} \le 5 \text{ (variance not yet trustworthy)} \end{cases}",
    ]


register(Rule(
    "rectified_rms", "sigma",
    "RAdam's σ: σ_t = (√v_t + ε)/(√(1 − β₂^{t+1}) r_t) while ρ_t > 5, else 1 (torch.optim.RAdam)",
    hyper=(BETA2, EPS), state=("squares",), step=_radam, apply=_radam_apply, latex=_radam_latex,
    note="as torch.optim.RAdam: σ = 1 (momentum SGD) while ρ ≤ 5, and ε sits before the bias correction, unlike Adam",
    tables=lambda v, steps: radam_tables(v["beta2"], steps, HALF), table_hyper=("beta2",)))


# ---------------------------------------------------------------- NAdam
@numba.njit(**INLINE)
def _nadam(h, s, d, n, tb):
    v = average_of_squares(s[0], d, h[0])
    return math.sqrt(v / tb[0]) + h[1], (v,)


register(Rule(
    "nadam_rms", "sigma", "v as Adam's; σ_t = √(v_t / (1 − β₂^{t+1})) + ε (torch.optim.NAdam)",
    hyper=(BETA2, EPS), state=("squares",), step=_nadam,
    latex=lambda rule, opt: [_squares_line(rule.beta2, r"v^{-1} = 0"),
                             _sigma_line(rf"\frac{{v^{{t}}}}{{1 - {tex.pow_t1(rule.beta2)}}}", rule.eps)],
    note="as torch.optim.NAdam: the bias correction divides v inside the root (Adam divides the root)",
    tables=lambda v, steps: one_minus_powers(v["beta2"], steps), table_hyper=("beta2",)))


# ---------------------------------------------------------------- Adamax
@numba.njit(**INLINE)
def _infinity(h, s, d, n, tb):
    u = maximum(s[0] * h[0], abs(d) + h[1])
    return u, (u,)


register(Rule(
    "infinity_norm", "sigma", "σ_t = max(β₂ σ_{t−1}, |g_t| + ε), σ_{−1} = 0 (torch.optim.Adamax)",
    hyper=(BETA2, EPS), state=("largest",), step=_infinity,
    latex=lambda rule, opt: [
        rf"\sigma^{{t}} &= \max\!\left({tex.value(rule.beta2)}\, \sigma^{{t-1}},\ |g^{{t}}|{tex.plus_eps(rule.eps)}\right)"
        r",\quad \sigma^{-1} = 0"],
    note="as torch.optim.Adamax: ε is added to |g| inside the max"))


# ---------------------------------------------------------------- Adadelta
@numba.njit(**INLINE)
def _adadelta(h, s, d, n, tb):
    rho, eps = h[0], h[1]
    v = average_of_squares(s[0], d, rho)
    return math.sqrt(v + eps) / math.sqrt(s[1] + eps), (v, s[1])


@numba.njit(**INLINE)
def _adadelta_apply(hm, sm, tm, hs, ss, ts, th, d, n, eta, eta_u, m, u, sig):
    """torch: δ = (√(U + ε)/√(v + ε))·g, θ + (−η)δ fused, then U = ρ U + (1 − ρ) δ²."""
    rho, eps = hs[0], hs[1]
    delta = (math.sqrt(ss[1] + eps) / math.sqrt(ss[0] + eps)) * u
    return fma(-eta_u, delta, th), sm, (ss[0], average_of_squares(ss[1], delta, rho))


register(Rule(
    "adadelta", "sigma",
    "v_t = ρ v_{t−1} + (1 − ρ) g_t²; σ_t = √(v_t + ε) / √(U_{t−1} + ε), U_t = ρ U_{t−1} + (1 − ρ)(g_t/σ_t)² "
    "(torch.optim.Adadelta)",
    hyper=(RHO, replace(EPS, default=1e-6)), state=("squares", "updates"), step=_adadelta, apply=_adadelta_apply,
    latex=lambda rule, opt: [
        _squares_line(rule.rho, r"v^{-1} = 0"),
        rf"\sigma^{{t}} &= \frac{{\sqrt{{v^{{t}}{tex.plus_eps(rule.eps)}}}}}{{\sqrt{{U^{{t-1}}{tex.plus_eps(rule.eps)}}}}}"
        r",\quad U^{-1} = 0",
        rf"U^{{t}} &= {tex.value(rule.rho)}\, U^{{t-1}} + {tex.one_minus(rule.rho)}\, \left(\frac{{m^{{t}}}}{{\sigma^{{t}}}}\right)^2"],
    update_latex=lambda opt, theta, decay: [
        rf"\theta^{{t+1}} &= {theta} - \eta^{{t}}\, \frac{{m^{{t}}}}{{\sigma^{{t}}}}{decay}"],
    note="as torch.optim.Adadelta: ε is inside both roots, and lr (default 1) multiplies the step"))
