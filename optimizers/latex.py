r"""The update rule that actually runs, in the lecture's notation, with the current values.

``update_rule(optimizer, schedule)`` returns a LaTeX ``aligned`` block (for
``st.latex``) with one line per part of θ^{t+1} = θ^t − (η^t/σ^t) ⊙ m^t:
the gradient (with L2 weight decay when there is some), m^t, σ^t, η^t and
the update. ``describe(optimizer)`` says in one plain line where the rule
differs from torch.optim.

Notation: as in the lecture (and ``optimizers.schedules``), t = 0, 1, 2, …
counts the updates: θ^0 is the start, g^t = ∇L(θ^t) and the update leaving
θ^t uses η^t (torch's ``step`` is t + 1, hence 1 − β^{t+1} in Adam's bias
corrections). Every operation on vectors is per parameter.

Each rule of ``optimizers.rules`` has one small function here, found by its
class (``M_LINES``, ``SIGMA_LINES``): a new rule costs a few lines. A
hyperparameter swept over K runs (an array) is written as its first and last
values, ``(a … b)``, with a note.

No plotly, no streamlit.
"""
from __future__ import annotations

import numpy as np

from . import rules as R
from .schedules import Schedule
from .tex import number as tex_number


# ---------------------------------------------------------------- numbers
def number(value) -> str:
    """A hyperparameter as LaTeX: 0.9, 10^{-3}, 2.5 \\times 10^{-4}; a swept array as (first \\ldots last)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 1 and arr.size > 1:
        return rf"({_scalar(arr[0])} \ldots {_scalar(arr[-1])})"
    return _scalar(arr.reshape(-1)[0] if arr.size else 0.0)


def _scalar(v) -> str:
    return tex_number(float(v))


def _factor(value) -> str:
    """A number used as a factor or base: parenthesized when it is a power or a product."""
    s = number(value)
    return rf"\left({s}\right)" if ("^" in s or "times" in s) and not s.startswith("(") else s


def _swept(value) -> bool:
    return np.ndim(value) == 1 and np.size(value) > 1


def _nonzero(value) -> bool:
    return bool(np.any(np.asarray(value, dtype=np.float64) != 0))


def _one_minus(value) -> str:
    return rf"(1 - {number(value)})"


def _pow_t1(value) -> str:
    return f"{_factor(value)}^{{t+1}}"


# ---------------------------------------------------------------- m: one function per rule
def _m_gradient(rule, opt):
    return [r"m^{t} &= g^{t}"]


def _heavy_ball_buffer(rule, symbol):
    damp = rf"{_one_minus(rule.dampening)}\, g^{{t}}" if _nonzero(rule.dampening) else "g^{t}"
    return (rf"{symbol}^{{t}} &= {number(rule.momentum)}\, {symbol}^{{t-1}} + {damp}"
            rf",\quad {symbol}^{{0}} = g^{{0}}")


def _m_heavy_ball(rule, opt):
    return [_heavy_ball_buffer(rule, "m")]


def _m_nesterov(rule, opt):
    return [_heavy_ball_buffer(rule, "b"), rf"m^{{t}} &= g^{{t}} + {number(rule.momentum)}\, b^{{t}}"]


def _m_bias_corrected(rule, opt):
    b1 = rule.beta1
    return [rf"e^{{t}} &= {number(b1)}\, e^{{t-1}} + {_one_minus(b1)}\, g^{{t}},\quad e^{{-1}} = 0",
            rf"m^{{t}} &= \frac{{e^{{t}}}}{{1 - {_pow_t1(b1)}}}"]


def _m_lecture(rule, opt):
    scaled = r"\frac{\eta^{t}}{\sigma^{t}} \odot g^{t}" if not _unit(opt) else r"\eta^{t} g^{t}"
    return [rf"m^{{t}} &= {number(rule.momentum)}\, m^{{t-1}} - {scaled},\quad m^{{-1}} = 0"]


M_LINES = {
    R.Gradient: _m_gradient,
    R.HeavyBall: _m_heavy_ball,
    R.Nesterov: _m_nesterov,
    R.BiasCorrectedAverage: _m_bias_corrected,
    R.LectureMomentum: _m_lecture,
}


# ---------------------------------------------------------------- σ: one function per rule
def _unit(opt) -> bool:
    return isinstance(opt.sigma, R.Unit)


def _sigma_unit(rule, opt):
    return []


def _eps(rule) -> str:
    return rf" + {number(rule.eps)}" if _nonzero(rule.eps) else ""


def _sigma_root_sum(rule, opt):
    acc = rf"{number(rule.initial_accumulator_value)} + " if _nonzero(rule.initial_accumulator_value) else ""
    return [rf"\sigma^{{t}} &= \sqrt{{{acc}\sum_{{i=0}}^{{t}} (g^{{i}})^2}}{_eps(rule)}"]


def _sigma_root_mean(rule, opt):
    return [rf"\sigma^{{t}} &= \sqrt{{\frac{{1}}{{t+1}} \sum_{{i=0}}^{{t}} (g^{{i}})^2}}{_eps(rule)}"]


def _average_of_squares(alpha, start):
    return rf"v^{{t}} &= {number(alpha)}\, v^{{t-1}} + {_one_minus(alpha)}\, (g^{{t}})^2,\quad {start}"


def _sigma_moving(rule, opt):
    lines = [_average_of_squares(rule.alpha, r"v^{-1} = 0")]
    if rule.centered:
        lines.append(rf"\bar g^{{t}} &= {number(rule.alpha)}\, \bar g^{{t-1}} + {_one_minus(rule.alpha)}\, g^{{t}}"
                     r",\quad \bar g^{-1} = 0")
        lines.append(rf"\sigma^{{t}} &= \sqrt{{v^{{t}} - (\bar g^{{t}})^2}}{_eps(rule)}")
    else:
        lines.append(rf"\sigma^{{t}} &= \sqrt{{v^{{t}}}}{_eps(rule)}")
    return lines


def _sigma_lecture_rms(rule, opt):
    return [_average_of_squares(rule.alpha, r"v^{0} = (g^{0})^2"),
            rf"\sigma^{{t}} &= \sqrt{{v^{{t}}}}{_eps(rule)}"]


def _sigma_adam(rule, opt):
    lines = [_average_of_squares(rule.beta2, r"v^{-1} = 0")]
    v = "v^{t}"
    if rule.amsgrad:
        lines.append(r"\hat v^{t} &= \max(\hat v^{t-1},\, v^{t})")
        v = r"\hat v^{t}"
    lines.append(rf"\sigma^{{t}} &= \frac{{\sqrt{{{v}}}}}{{\sqrt{{1 - {_pow_t1(rule.beta2)}}}}}{_eps(rule)}")
    return lines


def _sigma_rectified(rule, opt):
    b2 = rule.beta2
    with np.errstate(divide="ignore"):
        rho_inf = 2.0 / (1.0 - np.asarray(b2, dtype=np.float64)) - 1.0
    eps = rf" + {number(rule.eps)}" if _nonzero(rule.eps) else ""
    return [
        _average_of_squares(b2, r"v^{-1} = 0"),
        rf"\rho_\infty &= \frac{{2}}{{1 - {number(b2)}}} - 1 = {number(rho_inf)}",
        rf"\rho^{{t}} &= \rho_\infty - \frac{{2 (t+1)\, {_pow_t1(b2)}}}{{1 - {_pow_t1(b2)}}}",
        r"r^{t} &= \sqrt{\frac{(\rho^{t} - 4)(\rho^{t} - 2)\,\rho_\infty}{(\rho_\infty - 4)(\rho_\infty - 2)\,\rho^{t}}}",
        rf"\sigma^{{t}} &= \begin{{cases}} \dfrac{{\sqrt{{v^{{t}}}}{eps}}}{{\sqrt{{1 - {_pow_t1(b2)}}}\; r^{{t}}}}"
        r" & \rho^{t} > 5 \\ 1 & \rho^{t} \le 5 \text{ (variance not yet trustworthy)} \end{cases}",
    ]


SIGMA_LINES = {
    R.Unit: _sigma_unit,
    R.RootSumSquare: _sigma_root_sum,
    R.RootMeanSquare: _sigma_root_mean,
    R.MovingRMS: _sigma_moving,
    R.LectureRMS: _sigma_lecture_rms,
    R.AdamRMS: _sigma_adam,
    R.RectifiedRMS: _sigma_rectified,
}


def _lookup(table, rule, part):
    for cls in type(rule).__mro__:  # exact class first, then its bases
        if cls in table:
            return table[cls]
    raise ValueError(f"update_rule: no LaTeX for the {part} rule {type(rule).__name__}; add it to "
                     f"optimizers.latex.{'M_LINES' if part == 'm' else 'SIGMA_LINES'}")


# ---------------------------------------------------------------- the other lines
def _gradient_line(opt):
    wd = opt.weight_decay
    if _nonzero(wd) and not opt.decoupled_weight_decay:
        return rf"g^{{t}} &= \nabla L(\theta^{{t}}) + {number(wd)}\, \theta^{{t}} \quad \text{{(L2 weight decay)}}"
    return r"g^{t} &= \nabla L(\theta^{t})"


def _eta_lines(opt, schedule: Schedule | None):
    lr = number(opt.lr)
    if schedule is None or schedule.kind == "constant":
        lines = [rf"\eta^{{t}} &= \eta = {lr}"]
    else:
        formula = schedule.latex
        head, sep, tail = formula.partition("=")
        lines = [rf"{head.rstrip()} &= {tail.lstrip()},\quad \eta = {lr}" if sep else formula]
    if _nonzero(opt.lr_decay):
        lines.append(rf"\eta^{{t}} &\leftarrow \frac{{\eta^{{t}}}}{{1 + {number(opt.lr_decay)}\, t}}"
                     r" \quad \text{(lr\_decay)}")
    return lines


def _update_lines(opt):
    decay = ""
    theta = r"\theta^{t}"
    if _nonzero(opt.weight_decay) and opt.decoupled_weight_decay:
        theta = rf"(1 - {number(opt.weight_decay)}\, \eta^{{t}})\, \theta^{{t}}"
        decay = r" \quad \text{(decoupled weight decay)}"
    if isinstance(opt.m, R.LectureMomentum):
        return [rf"\theta^{{t+1}} &= {theta} + m^{{t}}{decay}"]
    if isinstance(opt.sigma, R.MovingRMS) and _nonzero(opt.sigma.momentum):
        return [rf"b^{{t}} &= {number(opt.sigma.momentum)}\, b^{{t-1}} + \frac{{m^{{t}}}}{{\sigma^{{t}}}}"
                r",\quad b^{-1} = 0",
                rf"\theta^{{t+1}} &= {theta} - \eta^{{t}}\, b^{{t}}{decay}"]
    if _unit(opt):
        return [rf"\theta^{{t+1}} &= {theta} - \eta^{{t}}\, m^{{t}}{decay}"]
    return [rf"\theta^{{t+1}} &= {theta} - \frac{{\eta^{{t}}}}{{\sigma^{{t}}}} \odot m^{{t}}{decay}"]


def _swept_note(lines):
    if not any(r"\ldots" in line for line in lines):
        return []
    return [r"& \text{(a \ldots\ b): swept over the runs; first and last values shown}"]


def update_rule(optimizer, schedule: Schedule | None = None) -> str:
    """The optimizer's update as a LaTeX ``\\begin{aligned} … \\end{aligned}`` block, values substituted."""
    opt = optimizer
    lines = [_gradient_line(opt)]
    lines += _lookup(M_LINES, opt.m, "m")(opt.m, opt)
    lines += _lookup(SIGMA_LINES, opt.sigma, "σ")(opt.sigma, opt)
    lines += _eta_lines(opt, schedule)
    lines += _update_lines(opt)
    lines += _swept_note(lines)
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


# ---------------------------------------------------------------- differences from torch.optim
NOTES = {  # rule type -> how it differs from torch.optim (plain text)
    R.HeavyBall: "torch.optim.SGD's buffer: m starts at the first gradient and η multiplies the whole buffer, "
                  "so under a schedule the stored velocity is rescaled by the current η (the lecture's m = λm − ηg "
                  "gives the same path only while η is constant)",
    R.Nesterov: "torch.optim.SGD(nesterov=True): torch's θ is the lecture's look-ahead point θ + μm, not θ itself",
    R.LectureMomentum: "lecture form m = λm − η g, θ ← θ + m: equal to torch.optim.SGD(momentum) at constant η, "
                  "but past moves keep the η they were made with (torch rescales its buffer by the current η)",
    R.RootSumSquare: "torch.optim.Adagrad: σ is the root of the sum of squared gradients (√(t+1) times the lecture's "
                  "root mean square), ε outside the root",
    R.RootMeanSquare: "lecture form: σ is the root mean square of the past gradients, torch.optim.Adagrad's is the root "
                  "of their sum (√(t+1) times larger, which no constant learning rate can absorb)",
    R.MovingRMS: "torch.optim.RMSprop: the average of squares starts at 0 with no bias correction, so the first "
                  "step is 1/√(1 − α) times η·sign(g) (10× at α = 0.99); the lecture starts it at (g⁰)²",
    R.LectureRMS: "lecture form: the average of squares starts at (g⁰)², so the first step is η·sign(g); "
                  "torch.optim.RMSprop starts it at 0 (a first step 1/√(1 − α) times larger)",
    R.AdamRMS: "as torch.optim.Adam: ε is added after the bias correction (the paper's 'efficient' form adds it "
                  "before, about 1e-9 apart)",
    R.RectifiedRMS: "as torch.optim.RAdam: σ = 1 (momentum SGD) while ρ ≤ 5, and ε sits before the bias correction, "
                  "unlike Adam",
}


def describe(optimizer) -> str:
    """One plain-text line: which differences from torch.optim apply to this optimizer."""
    opt = optimizer
    notes = []
    for rule in (opt.m, opt.sigma):
        if type(rule) in NOTES:
            notes.append(NOTES[type(rule)])
    if _nonzero(opt.weight_decay):
        notes.append("weight decay is decoupled, θ ← θ(1 − ηλ), as in torch.optim.AdamW"
                     if opt.decoupled_weight_decay else "weight decay is L2, added to the gradient, as in torch.optim")
    lecture_rules = (R.LectureMomentum, R.RootMeanSquare, R.LectureRMS)
    if opt.variant == "lecture" and not isinstance(opt.m, lecture_rules) and not isinstance(opt.sigma, lecture_rules):
        notes.append("the lecture's variant is the same rule as torch's here")
    if not notes:
        notes.append("same as torch.optim")
    text = "; ".join(notes) + "."
    return text if text.startswith("torch") else text[0].upper() + text[1:]
