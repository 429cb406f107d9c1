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

Each rule's lines come from its registry entry (``Rule.latex``, and
``Rule.update_latex`` for a rule that makes the update itself); this module
only puts the parts together. A hyperparameter swept over K runs (an array)
is written as its first and last values, ``(a … b)``, with a note.

No plotly, no streamlit.
"""
from __future__ import annotations

from .schedules import Schedule
from .tex import nonzero as _nonzero
from .tex import value as number

__all__ = ["number", "update_rule", "describe"]


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
    if _nonzero(opt.lr_decay):  # optimizers.schedules.with_lr_decay
        lines.append(rf"\eta^{{t}} &\leftarrow \frac{{\eta^{{t}}}}{{1 + {number(opt.lr_decay)}\, t}}"
                     r" \quad \text{(lr\_decay)}")
    return lines


def _update_lines(opt):
    decay = ""
    theta = r"\theta^{t}"
    if _nonzero(opt.weight_decay) and opt.decoupled_weight_decay:
        theta = rf"(1 - {number(opt.weight_decay)}\, \eta^{{t}})\, \theta^{{t}}"
        decay = r" \quad \text{(decoupled weight decay)}"
    for rule in (opt.m.rule, opt.sigma.rule):  # the rule that makes the update writes it
        if rule.update_latex is not None:
            lines = rule.update_latex(opt, theta, decay)
            if lines:
                return lines
    return [rf"\theta^{{t+1}} &= {theta} - \frac{{\eta^{{t}}}}{{\sigma^{{t}}}} \odot m^{{t}}{decay}"]


def _swept_note(lines):
    if not any(r"\ldots" in line for line in lines):
        return []
    return [r"& \text{(a \ldots\ b): swept over the runs; first and last values shown}"]


def update_rule(optimizer, schedule: Schedule | None = None) -> str:
    """The optimizer's update as a LaTeX ``\\begin{aligned} … \\end{aligned}`` block, values substituted."""
    opt = optimizer
    lines = [_gradient_line(opt)]
    lines += opt.m.rule.latex(opt.m, opt)
    lines += opt.sigma.rule.latex(opt.sigma, opt)
    lines += _eta_lines(opt, schedule)
    lines += _update_lines(opt)
    lines += _swept_note(lines)
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def describe(optimizer) -> str:
    """One plain-text line: which differences from torch.optim apply to this optimizer."""
    opt = optimizer
    notes = [rule.note for rule in (opt.m.rule, opt.sigma.rule) if rule.note]
    if _nonzero(opt.weight_decay):
        notes.append("weight decay is decoupled, θ ← θ(1 − ηλ), as in torch.optim.AdamW"
                     if opt.decoupled_weight_decay else "weight decay is L2, added to the gradient, as in torch.optim")
    if opt.variant == "lecture" and not (opt.m.rule.lecture or opt.sigma.rule.lecture):
        notes.append("the lecture's variant is the same rule as torch's here")
    if not notes:
        notes.append("same as torch.optim")
    text = "; ".join(notes) + "."
    return text if text.startswith("torch") else text[0].upper() + text[1:]
