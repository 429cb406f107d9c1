"""The three parts of the lecture's update rule θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t.

- ``m`` (momentum rules): what direction to move, from the gradients so far.
- ``σ`` (scaling rules): the per-parameter root mean square of past gradients.
- ``η_t`` (schedules, ``optimizers.schedules``): the learning rate at step t.

Each rule is a small frozen record: its kernel code and its hyperparameters
(torch.optim's names, scalars or arrays of shape (K,) for a sweep). The
compiled kernel (``optimizers.kernel``) carries out the formulas given here;
t counts updates from 1, as torch's ``step`` does.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Columns of the (K, NCOL) hyperparameter matrix the kernel reads.
LR, MOMENTUM, DAMPENING, BETA2, EPS, WEIGHT_DECAY, LR_DECAY, INIT_ACC, NOISE, RMS_MOMENTUM = range(10)
NCOL = 10


@dataclass(frozen=True)
class Rule:
    code = -1
    flag = 0  # a rule-specific switch (centered, amsgrad)

    def columns(self) -> dict:
        return {}


# ---------------------------------------------------------------- m: momentum
@dataclass(frozen=True)
class Gradient(Rule):
    """m_t = g_t (no momentum)."""
    code = 0


@dataclass(frozen=True)
class HeavyBall(Rule):
    """m_1 = g_1,  m_t = μ m_{t−1} + (1 − dampening) g_t   (torch.optim.SGD's buffer).

    The lecture writes m_t = λ m_{t−1} − η g_t, θ_{t+1} = θ_t + m_t: the same
    path while η is constant; under a schedule torch rescales the whole
    stored velocity by the current η (see ``LectureMomentum``)."""
    momentum: object = 0.9
    dampening: object = 0.0
    code = 1

    def columns(self):
        return {MOMENTUM: self.momentum, DAMPENING: self.dampening}


@dataclass(frozen=True)
class Nesterov(HeavyBall):
    """Buffer b_t as HeavyBall; m_t = g_t + μ b_t (torch's Nesterov form).

    torch's θ is the lecture's look-ahead point θ + μm, not θ itself."""
    code = 2


@dataclass(frozen=True)
class BiasCorrectedAverage(Rule):
    """e_t = β₁ e_{t−1} + (1 − β₁) g_t,  e_0 = 0;  m_t = e_t / (1 − β₁ᵗ)   (Adam's first moment)."""
    beta1: object = 0.9
    code = 3

    def columns(self):
        return {MOMENTUM: self.beta1}


@dataclass(frozen=True)
class LectureMomentum(Rule):
    """The lecture's movement: m_0 = 0,  m_t = λ m_{t−1} − η_t g_t,  θ_{t+1} = θ_t + m_t.

    Here m carries the learning rate (it is the move itself). Equal to
    torch.optim.SGD(momentum=λ) at constant η; under a schedule, past moves
    keep the η they were made with."""
    momentum: object = 0.9
    code = 4

    def columns(self):
        return {MOMENTUM: self.momentum}


# ---------------------------------------------------------------- σ: scaling
@dataclass(frozen=True)
class Unit(Rule):
    """σ_t = 1."""
    code = 0


@dataclass(frozen=True)
class RootSumSquare(Rule):
    """G_t = G_{t−1} + g_t²,  G_0 = initial_accumulator_value;  σ_t = √G_t + ε   (torch.optim.Adagrad).

    The lecture's Adagrad uses the root *mean* square (``RootMeanSquare``):
    torch's σ is √t times larger, which a learning rate cannot absorb."""
    eps: object = 1e-10
    initial_accumulator_value: object = 0.0
    code = 1

    def columns(self):
        return {EPS: self.eps, INIT_ACC: self.initial_accumulator_value}


@dataclass(frozen=True)
class RootMeanSquare(Rule):
    """σ_t = √( (1/t) Σ_{i≤t} g_i² ) + ε   (the lecture's Adagrad; ε outside the root as in torch)."""
    eps: object = 1e-10
    code = 2

    def columns(self):
        return {EPS: self.eps}


@dataclass(frozen=True)
class MovingRMS(Rule):
    """v_t = α v_{t−1} + (1 − α) g_t²,  v_0 = 0;  σ_t = √v_t + ε   (torch.optim.RMSprop).

    centered: σ_t = √(v_t − ḡ_t²) + ε with ḡ_t = α ḡ_{t−1} + (1 − α) g_t.
    momentum > 0 (torch's form): b_t = μ b_{t−1} + g_t/σ_t, θ_{t+1} = θ_t − η_t b_t.
    The lecture starts from σ_0 = |g_0| instead of 0 (``LectureRMS``)."""
    alpha: object = 0.99
    eps: object = 1e-8
    centered: bool = False
    momentum: object = 0.0
    code = 3

    @property
    def flag(self):
        return int(self.centered)

    def columns(self):
        return {BETA2: self.alpha, EPS: self.eps, RMS_MOMENTUM: self.momentum}


@dataclass(frozen=True)
class LectureRMS(Rule):
    """σ_1² = g_1²,  σ_t² = α σ_{t−1}² + (1 − α) g_t²;  divides by σ_t + ε   (the lecture's RMSProp)."""
    alpha: object = 0.99
    eps: object = 1e-8
    code = 4

    def columns(self):
        return {BETA2: self.alpha, EPS: self.eps}


@dataclass(frozen=True)
class AdamRMS(Rule):
    """v_t = β₂ v_{t−1} + (1 − β₂) g_t²;  σ_t = √v_t / √(1 − β₂ᵗ) + ε   (torch.optim.Adam).

    ε is added after the bias correction (the paper's "efficient" form adds
    it before, a difference of about 1e-9). amsgrad: v_t → max_{i≤t} v_i."""
    beta2: object = 0.999
    eps: object = 1e-8
    amsgrad: bool = False
    code = 5

    @property
    def flag(self):
        return int(self.amsgrad)

    def columns(self):
        return {BETA2: self.beta2, EPS: self.eps}


@dataclass(frozen=True)
class RectifiedRMS(Rule):
    """RAdam's σ: with ρ_∞ = 2/(1 − β₂) − 1 and ρ_t = ρ_∞ − 2tβ₂ᵗ/(1 − β₂ᵗ),
    σ_t = (√v_t + ε) / (√(1 − β₂ᵗ) · r_t) with
    r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t)) when ρ_t > 5, else σ_t = 1
    (the variance of σ is not yet trustworthy: plain momentum SGD; torch.optim.RAdam).
    Note ε sits before the bias correction here, unlike Adam (as in torch)."""
    beta2: object = 0.999
    eps: object = 1e-8
    code = 6

    def columns(self):
        return {BETA2: self.beta2, EPS: self.eps}


def as_column(name: str, value) -> np.ndarray:
    """A hyperparameter as a float64 array of shape () or (K,)."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim > 1:
        raise ValueError(f"{name}: shape {arr.shape} is not a scalar or (K,) sweep")
    return arr
