"""The m rules: which way to move, from the gradients so far (see ``optimizers.rules``).

Each rule is written in torch.optim's order of operations (``optimizers.floatops``),
and t counts updates from 0 as the lecture does (torch's ``step`` is n = t + 1).
"""
from __future__ import annotations

from dataclasses import replace

import numba
import numpy as np

from . import tex
from .floatops import INLINE, fma, lerp, sign
from .rules import Hyper, Rule, log_options, register

MOMENTUM = Hyper("momentum", 0.9, "λ", 0.0, 1.0, ui_range=(0.0, 0.99, 0.01), primary=True)
DAMPENING = Hyper("dampening", 0.0, "1−τ", 0.0, 1.0, ui_range=(0.0, 0.99, 0.01))
BETA1 = Hyper("beta1", 0.9, "β₁", 0.0, 1.0, hi_open=True, ui_range=(0.0, 0.999, 0.001), primary=True,
              torch="betas[0]")
BETA2 = Hyper("beta2", 0.999, "β₂", 0.0, 1.0, hi_open=True, ui_range=(0.0, 0.9999, 0.0001), primary=True,
              torch="betas[1]")
WEIGHT_DECAY = Hyper("weight_decay", 0.0, "λ_wd", 0.0, 1e6, control="log", options=(0.0,) + log_options(-5, 0, (1, 3)))


# ---------------------------------------------------------------- m = g
@numba.njit(**INLINE)
def _gradient(h, s, d, n, tb, eta, sig):
    return (d, d, eta, eta), s


register(Rule(
    "gradient", "m", "m_t = g_t (no momentum)",
    step=_gradient, latex=lambda rule, opt: [r"m^{t} &= g^{t}"]))


# ---------------------------------------------------------------- heavy ball, Nesterov (torch.optim.SGD)
@numba.njit(**INLINE)
def _buffer(h, s, d, n):
    """torch.optim.SGD's buffer: b_1 = g_1, b_n = μ b_{n−1} + (1 − dampening) g_n."""
    return d if n == 1.0 else fma(1.0 - h[1], d, s[0] * h[0])


@numba.njit(**INLINE)
def _heavy_ball(h, s, d, n, tb, eta, sig):
    b = _buffer(h, s, d, n)
    return (b, b, eta, eta), (b,)


@numba.njit(**INLINE)
def _nesterov(h, s, d, n, tb, eta, sig):
    b = _buffer(h, s, d, n)
    m = fma(h[0], b, d)
    return (m, m, eta, eta), (b,)


def _buffer_line(rule, symbol):
    damp = rf"{tex.one_minus(rule.dampening)}\, g^{{t}}" if tex.nonzero(rule.dampening) else "g^{t}"
    return (rf"{symbol}^{{t}} &= {tex.value(rule.momentum)}\, {symbol}^{{t-1}} + {damp}"
            rf",\quad {symbol}^{{0}} = g^{{0}}")


register(Rule(
    "heavy_ball", "m", "m_1 = g_1, m_t = μ m_{t−1} + (1 − dampening) g_t (torch.optim.SGD's buffer)",
    hyper=(MOMENTUM, DAMPENING), state=("buffer",), step=_heavy_ball,
    latex=lambda rule, opt: [_buffer_line(rule, "m")],
    note="torch.optim.SGD's buffer: m starts at the first gradient and η multiplies the whole buffer, so under "
         "a schedule the stored velocity is rescaled by the current η (the lecture's m = λm − ηg gives the same "
         "path only while η is constant)",
    lecture_form="lecture_momentum"))

register(Rule(
    "nesterov", "m", "buffer b as torch.optim.SGD's; m_t = g_t + μ b_t (torch's Nesterov form)",
    hyper=(replace(MOMENTUM, lo_open=True), replace(DAMPENING, hi=0.0)), state=("buffer",), step=_nesterov,
    latex=lambda rule, opt: [_buffer_line(rule, "b"), rf"m^{{t}} &= g^{{t}} + {tex.value(rule.momentum)}\, b^{{t}}"],
    note="torch.optim.SGD(nesterov=True): torch's θ is the lecture's look-ahead point θ + μm, not θ itself"))


# ---------------------------------------------------------------- the lecture's momentum
@numba.njit(**INLINE)
def _lecture_momentum(h, s, d, n, tb, eta, sig):
    m = h[0] * s[0] - eta * d / sig
    return (m, m, eta, eta), (m,)


@numba.njit(**INLINE)
def _move(hm, sm, tm, hs, ss, ts, th, d, n, eta, eta_u, m, u, sig):
    return th + m, sm, ss


def _lecture_momentum_latex(rule, opt):
    scaled = r"\eta^{t} g^{t}" if opt.sigma.key == "unit" else r"\frac{\eta^{t}}{\sigma^{t}} \odot g^{t}"
    return [rf"m^{{t}} &= {tex.value(rule.momentum)}\, m^{{t-1}} - {scaled},\quad m^{{-1}} = 0"]


register(Rule(
    "lecture_momentum", "m", "the lecture's movement: m_0 = 0, m_t = λ m_{t−1} − η_t g_t, θ_{t+1} = θ_t + m_t",
    hyper=(MOMENTUM,), state=("move",), step=_lecture_momentum, latex=_lecture_momentum_latex,
    note="lecture form m = λm − η g, θ ← θ + m: equal to torch.optim.SGD(momentum) at constant η, but past "
         "moves keep the η they were made with (torch rescales its buffer by the current η)",
    lecture=True, apply=_move, carries_eta=True,
    update_latex=lambda opt, theta, decay: [rf"\theta^{{t+1}} &= {theta} + m^{{t}}{decay}"]))


# ---------------------------------------------------------------- Adam's first moment
@numba.njit(cache=True)
def one_minus_powers(beta, steps):
    """1 − βⁿ for n = 1 … steps + 1, with the pow Python's ``beta ** step`` calls (the same bits)."""
    out = np.empty((1, steps + 1))
    for t in range(steps + 1):
        out[0, t] = 1.0 - beta ** np.float64(t + 1)
    return out


@numba.njit(**INLINE)
def _bias_corrected(h, s, d, n, tb, eta, sig):
    e = lerp(s[0], d, 1.0 - h[0])
    bc1 = tb[0]
    return (e / bc1, e, eta / bc1, eta), (e,)  # torch: step size η/(1 − β₁ⁿ) times the raw average


register(Rule(
    "adam_average", "m", "e_t = β₁ e_{t−1} + (1 − β₁) g_t, e_{−1} = 0; m_t = e_t / (1 − β₁^{t+1}) (Adam's first moment)",
    hyper=(BETA1,), state=("average",), step=_bias_corrected,
    latex=lambda rule, opt: [
        rf"e^{{t}} &= {tex.value(rule.beta1)}\, e^{{t-1}} + {tex.one_minus(rule.beta1)}\, g^{{t}},\quad e^{{-1}} = 0",
        rf"m^{{t}} &= \frac{{e^{{t}}}}{{1 - {tex.pow_t1(rule.beta1)}}}"],
    tables=lambda v, steps: one_minus_powers(v["beta1"], steps), table_hyper=("beta1",)))


# ---------------------------------------------------------------- NAdam's first moment
MOMENTUM_DECAY = Hyper("momentum_decay", 4e-3, "ψ", 0.0, 1e3, control="log",
                       options=(0.0,) + log_options(-5, 0, (1, 2, 4)))


@numba.njit(cache=True)
def nadam_tables(beta1, momentum_decay, steps):
    """Rows 1 − μ_n, μ_{n+1}, 1 − Π_n, 1 − Π_n μ_{n+1} for n = 1 … steps + 1, where
    μ_n = β₁ (1 − ½ · 0.96^{n ψ}) and Π_n = μ_1 ⋯ μ_n is kept in float32, as torch keeps its
    ``mu_product`` (a float32 tensor at torch's default dtype)."""
    out = np.empty((4, steps + 1))
    product = np.float32(1.0)
    for t in range(steps + 1):
        step = np.float64(t + 1)
        mu = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        mu_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1.0) * momentum_decay)))
        product = np.float32(product * np.float32(mu))
        out[0, t] = 1.0 - mu
        out[1, t] = mu_next
        out[2, t] = 1.0 - np.float64(product)
        out[3, t] = 1.0 - np.float64(product) * mu_next
    return out


@numba.njit(**INLINE)
def _nadam(h, s, d, n, tb, eta, sig):
    e = lerp(s[0], d, 1.0 - h[0])
    m = (tb[1] * e) / tb[3] + (tb[0] * d) / tb[2]
    return (m, e, eta, eta), (e,)


@numba.njit(**INLINE)
def _nadam_apply(hm, sm, tm, hs, ss, ts, th, d, n, eta, eta_u, m, u, sig):
    """Two addcdiv_ calls: θ + (c₁ g)/σ, then + (c₂ e)/σ, with torch's coefficients."""
    c1 = (-eta) * tm[0] / tm[2]
    c2 = (-eta) * tm[1] / tm[3]
    return (th + (c1 * d) / sig) + (c2 * u) / sig, sm, ss


register(Rule(
    "nadam_average", "m",
    "e as Adam's; m_t = μ_{t+1} e_t / (1 − Π_{t+1} μ_{t+2}) + (1 − μ_{t+1}) g_t / (1 − Π_{t+1}) with the "
    "momentum schedule μ_n = β₁ (1 − ½ · 0.96^{nψ}) (torch.optim.NAdam)",
    hyper=(BETA1, MOMENTUM_DECAY), state=("average",), step=_nadam, apply=_nadam_apply,
    latex=lambda rule, opt: [
        rf"\mu^{{t}} &= {tex.value(rule.beta1)} \left(1 - \tfrac{{1}}{{2}}\, 0.96^{{(t+1)\, {tex.value(rule.momentum_decay)}}}\right)"
        r",\quad \Pi^{t} = \mu^{0} \cdots \mu^{t}",
        rf"e^{{t}} &= {tex.value(rule.beta1)}\, e^{{t-1}} + {tex.one_minus(rule.beta1)}\, g^{{t}},\quad e^{{-1}} = 0",
        r"m^{t} &= \frac{\mu^{t+1}\, e^{t}}{1 - \Pi^{t}\mu^{t+1}} + \frac{(1 - \mu^{t})\, g^{t}}{1 - \Pi^{t}}"],
    note="as torch.optim.NAdam: the product of the μ is kept in float32 (torch's default dtype), and the "
         "update is two steps, (1 − μ)g/σ and then μ e/σ",
    update_latex=lambda opt, theta, decay: [
        rf"\theta^{{t+1}} &= {theta} - \frac{{\eta^{{t}}}}{{\sigma^{{t}}}} \odot m^{{t}}{decay}"],
    tables=lambda v, steps: nadam_tables(v["beta1"], v["momentum_decay"], steps),
    table_hyper=("beta1", "momentum_decay")))


# ---------------------------------------------------------------- Lion (Chen et al. 2023)
@numba.njit(**INLINE)
def _lion(h, s, d, n, tb, eta, sig):
    b1, b2, e = h[0], h[1], s[0]
    direction = sign(b1 * e + (1.0 - b1) * d)
    return (direction, direction, eta, eta), (b2 * e + (1.0 - b2) * d,)


@numba.njit(**INLINE)
def _lion_apply(hm, sm, tm, hs, ss, ts, th, d, n, eta, eta_u, m, u, sig):
    return th - eta * (u + hm[2] * th), sm, ss


register(Rule(
    "lion", "m",
    "c_t = β₁ e_{t−1} + (1 − β₁) g_t, m_t = sign(c_t), e_t = β₂ e_{t−1} + (1 − β₂) g_t "
    "(Lion, Chen et al. 2023, \"Symbolic Discovery of Optimization Algorithms\")",
    hyper=(BETA1, replace(BETA2, default=0.99), WEIGHT_DECAY), state=("average",), step=_lion,
    apply=_lion_apply,
    latex=lambda rule, opt: [
        rf"c^{{t}} &= {tex.value(rule.beta1)}\, e^{{t-1}} + {tex.one_minus(rule.beta1)}\, g^{{t}},\quad e^{{-1}} = 0",
        r"m^{t} &= \operatorname{sign}(c^{t})",
        rf"e^{{t}} &= {tex.value(rule.beta2)}\, e^{{t-1}} + {tex.one_minus(rule.beta2)}\, g^{{t}}"],
    update_latex=lambda opt, theta, decay: [
        rf"\theta^{{t+1}} &= \theta^{{t}} - \eta^{{t}} \left(m^{{t}} + {tex.value(opt.m.weight_decay)}\, \theta^{{t}}\right)"
        if tex.nonzero(opt.m.weight_decay) else r"\theta^{t+1} &= \theta^{t} - \eta^{t}\, m^{t}"],
    note="not in torch.optim: the paper's update θ ← θ − η(sign(c) + λθ), with the names of the common PyTorch "
         "implementations (lr, betas, weight_decay); every step has the same size η in every coordinate"))


# ---------------------------------------------------------------- Rprop (torch.optim.Rprop)
ETAMINUS = Hyper("etaminus", 0.5, "η₋", 0.0, 1.0, lo_open=True, hi_open=True, ui_range=(0.05, 0.95, 0.05),
                 torch="etas[0]")
ETAPLUS = Hyper("etaplus", 1.2, "η₊", 1.0, 1e3, lo_open=True, ui_range=(1.05, 3.0, 0.05), torch="etas[1]")
STEP_MIN = Hyper("step_size_min", 1e-6, "Γ_min", 0.0, 1e6, control="log", options=(0.0,) + log_options(-9, 0, (1,)),
                 torch="step_sizes[0]")
STEP_MAX = Hyper("step_size_max", 50.0, "Γ_max", 0.0, 1e6, control="log", options=log_options(-3, 3, (1, 2, 5)),
                 torch="step_sizes[1]")


@numba.njit(**INLINE)
def _rprop(h, s, d, n, tb, eta, sig):
    minus, plus, lo, hi = h[0], h[1], h[2], h[3]
    size = eta if n == 1.0 else s[1]  # torch fills the step sizes with lr when its state starts
    p = d * s[0]
    factor = plus if p > 0.0 else (minus if p < 0.0 else (1.0 if p == 0.0 else p))
    size = size * factor
    size = lo if size < lo else (hi if size > hi else size)
    g = 0.0 if factor == minus else d  # after a sign change, no step and no memory of the gradient
    direction = sign(g)
    return (direction, direction, size, size), (g, size)


def _check_rprop(owner, values):
    lo, hi = np.asarray(values["step_size_min"]), np.asarray(values["step_size_max"])
    if np.any(lo > hi):
        raise ValueError(f"{owner}: step_sizes = ({float(np.max(lo)):g}, {float(np.min(hi)):g}) is out of range; "
                         "allowed step_sizes[0] <= step_sizes[1]")


register(Rule(
    "rprop", "m",
    "m_t = sign(g̃_t) with per-parameter step sizes s_t: s_t = s_{t−1}·η₊ while g keeps its sign, ·η₋ when it "
    "flips (then g̃_t = 0), clipped to [Γ_min, Γ_max], s_{−1} = η (torch.optim.Rprop)",
    hyper=(ETAMINUS, ETAPLUS, STEP_MIN, STEP_MAX), state=("previous", "step_size"), step=_rprop, check=_check_rprop,
    latex=lambda rule, opt: [
        rf"s^{{t}} &= \operatorname{{clip}}\!\left(s^{{t-1}} \cdot \begin{{cases}} {tex.value(rule.etaplus)} & g^{{t}} \tilde g^{{t-1}} > 0 \\"
        rf" {tex.value(rule.etaminus)} & g^{{t}} \tilde g^{{t-1}} < 0 \\ 1 & \text{{else}} \end{{cases}},\ "
        rf"{tex.value(rule.step_size_min)},\ {tex.value(rule.step_size_max)}\right),\quad s^{{-1}} = \eta",
        r"\tilde g^{t} &= \begin{cases} 0 & g^{t} \tilde g^{t-1} < 0 \\ g^{t} & \text{else} \end{cases}",
        r"m^{t} &= \operatorname{sign}(\tilde g^{t})"],
    update_latex=lambda opt, theta, decay: [rf"\theta^{{t+1}} &= {theta} - s^{{t}} \odot m^{{t}}{decay}"],
    note="as torch.optim.Rprop: the step sizes s play the part of η/σ; lr only sets their start, so a "
         "schedule has no effect after the first step (torch reads lr only when its state starts)"))
