"""The named optimizers: each is one choice of m, σ and the learning rate.

Hyperparameters carry torch.optim's names and defaults. ``variant="lecture"``
selects the lecture's formulas where they differ from PyTorch (momentum,
Adagrad, RMSProp); for the others both variants are the same rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import rules as R
from .validate import choice, in_range

VARIANTS = ("torch", "lecture")
INF = float("inf")


@dataclass(frozen=True, eq=False)
class Optimizer:
    """θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t with η_t = lr · schedule(t)."""
    name: str
    m: R.Rule
    sigma: R.Rule
    lr: np.ndarray
    weight_decay: np.ndarray = field(default_factory=lambda: np.float64(0.0))
    decoupled_weight_decay: bool = False  # θ ← θ(1 − η_t λ) before the step (AdamW) instead of g ← g + λθ
    lr_decay: np.ndarray = field(default_factory=lambda: np.float64(0.0))  # Adagrad: η_t / (1 + (t − 1) lr_decay)
    variant: str = "torch"
    settings: tuple = ()  # ((name, value), ...) as given, for display

    def columns(self) -> dict:
        cols = {R.LR: self.lr, R.WEIGHT_DECAY: self.weight_decay, R.LR_DECAY: self.lr_decay}
        cols.update(self.m.columns())
        cols.update(self.sigma.columns())
        return cols

    @property
    def size(self) -> int:
        """K implied by swept hyperparameters (1 when none is an array)."""
        sizes = {np.size(v) for v in self.columns().values() if np.ndim(v) == 1}
        if len(sizes) > 1:
            raise ValueError(f"{self.name}: swept hyperparameters have different lengths {sorted(sizes)}; "
                             "all arrays must have the same length K")
        return sizes.pop() if sizes else 1

    def matrix(self, K: int) -> np.ndarray:
        """The (K, NCOL) float64 hyperparameter matrix the kernel reads."""
        H = np.zeros((K, R.NCOL))
        for col, value in self.columns().items():
            H[:, col] = np.broadcast_to(np.asarray(value, dtype=np.float64), (K,))
        return H


def _lr(name, lr):
    return in_range(name, "lr", lr, 0.0, 1e6)


def _wd(name, weight_decay):
    return in_range(name, "weight_decay", weight_decay, 0.0, 1e6)


def _eps(name, eps):
    return in_range(name, "eps", eps, 0.0, 1e3)


def _betas(name, betas):
    if isinstance(betas, str) or len(betas) != 2:
        raise ValueError(f"{name}: betas = {betas!r} must be a pair (beta1, beta2)")
    return (in_range(name, "betas[0]", betas[0], 0.0, 1.0, hi_open=True),
            in_range(name, "betas[1]", betas[1], 0.0, 1.0, hi_open=True))


def _variant(name, variant):
    return choice(name, "variant", variant, VARIANTS)


def _settings(**kw):
    return tuple((k, v if np.ndim(v) == 0 else tuple(np.asarray(v).tolist())) for k, v in kw.items())


def gd(lr=1e-3, weight_decay=0.0, variant="torch"):
    """Plain gradient descent: m = g, σ = 1.  torch.optim.SGD(lr, momentum=0)."""
    return Optimizer("gd", R.Gradient(), R.Unit(), _lr("gd", lr), _wd("gd", weight_decay),
                     variant=_variant("gd", variant), settings=_settings(lr=lr, weight_decay=weight_decay))


def momentum(lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0, variant="torch"):
    """Heavy-ball momentum, σ = 1.  torch.optim.SGD(lr, momentum) — its default momentum is 0, ours 0.9.

    variant="lecture": m_t = λ m_{t−1} − η_t g_t, θ_{t+1} = θ_t + m_t (no dampening)."""
    name = "momentum"
    mu = in_range(name, "momentum", momentum, 0.0, 1.0)
    damp = in_range(name, "dampening", dampening, 0.0, 1.0)
    if _variant(name, variant) == "lecture":
        if np.any(damp != 0):
            raise ValueError(f"{name}: dampening = {dampening!r} is out of range for variant='lecture'; allowed 0")
        m = R.LectureMomentum(mu)
    else:
        m = R.HeavyBall(mu, damp)
    return Optimizer(name, m, R.Unit(), _lr(name, lr), _wd(name, weight_decay), variant=variant,
                     settings=_settings(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay))


def nesterov(lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0, variant="torch"):
    """Nesterov momentum, σ = 1.  torch.optim.SGD(lr, momentum, nesterov=True)."""
    name = "nesterov"
    mu = in_range(name, "momentum", momentum, 0.0, 1.0, lo_open=True)
    damp = in_range(name, "dampening", dampening, 0.0, 0.0)  # torch: Nesterov needs zero dampening
    return Optimizer(name, R.Nesterov(mu, damp), R.Unit(), _lr(name, lr), _wd(name, weight_decay),
                     variant=_variant(name, variant),
                     settings=_settings(lr=lr, momentum=momentum, weight_decay=weight_decay))


def adagrad(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10, variant="torch"):
    """m = g, σ = root of the summed squares of past gradients.  torch.optim.Adagrad.

    variant="lecture": σ = root *mean* square (see rules.RootMeanSquare)."""
    name = "adagrad"
    eps = _eps(name, eps)
    acc = in_range(name, "initial_accumulator_value", initial_accumulator_value, 0.0, 1e12)
    if _variant(name, variant) == "lecture":
        if np.any(acc != 0):
            raise ValueError(f"{name}: initial_accumulator_value = {initial_accumulator_value!r} is out of range "
                             "for variant='lecture'; allowed 0")
        sigma = R.RootMeanSquare(eps)
    else:
        sigma = R.RootSumSquare(eps, acc)
    return Optimizer(name, R.Gradient(), sigma, _lr(name, lr), _wd(name, weight_decay),
                     lr_decay=in_range(name, "lr_decay", lr_decay, 0.0, 1e6), variant=variant,
                     settings=_settings(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                        initial_accumulator_value=initial_accumulator_value, eps=eps))


def rmsprop(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False, variant="torch"):
    """m = g, σ = moving root mean square.  torch.optim.RMSprop.

    variant="lecture": σ starts from |g_1| instead of 0 (see rules.LectureRMS)."""
    name = "rmsprop"
    alpha = in_range(name, "alpha", alpha, 0.0, 1.0)
    eps = _eps(name, eps)
    mu = in_range(name, "momentum", momentum, 0.0, 1.0)
    if _variant(name, variant) == "lecture":
        if centered or np.any(mu != 0):
            raise ValueError(f"{name}: centered = {centered!r}, momentum = {momentum!r} are out of range for "
                             "variant='lecture'; allowed centered=False, momentum=0")
        sigma = R.LectureRMS(alpha, eps)
    else:
        sigma = R.MovingRMS(alpha, eps, bool(centered), mu)
    return Optimizer(name, R.Gradient(), sigma, _lr(name, lr), _wd(name, weight_decay), variant=variant,
                     settings=_settings(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                        momentum=momentum, centered=centered))


def adam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled_weight_decay=False,
         variant="torch", name="adam"):
    """m = bias-corrected average of g, σ = bias-corrected root mean square.  torch.optim.Adam."""
    b1, b2 = _betas(name, betas)
    return Optimizer(name, R.BiasCorrectedAverage(b1), R.AdamRMS(b2, _eps(name, eps), bool(amsgrad)),
                     _lr(name, lr), _wd(name, weight_decay), decoupled_weight_decay=bool(decoupled_weight_decay),
                     variant=_variant(name, variant),
                     settings=_settings(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                        amsgrad=amsgrad))


def adamw(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False, variant="torch"):
    """Adam with decoupled weight decay θ ← θ(1 − η_t λ).  torch.optim.AdamW."""
    return adam(lr, betas, eps, weight_decay, amsgrad, True, variant, name="adamw")


def radam(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, decoupled_weight_decay=False, variant="torch"):
    """Adam whose σ is switched off until its variance is trustworthy (rules.RectifiedRMS).  torch.optim.RAdam."""
    name = "radam"
    b1, b2 = _betas(name, betas)
    return Optimizer(name, R.BiasCorrectedAverage(b1), R.RectifiedRMS(b2, _eps(name, eps)), _lr(name, lr),
                     _wd(name, weight_decay), decoupled_weight_decay=bool(decoupled_weight_decay),
                     variant=_variant(name, variant),
                     settings=_settings(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay))


FACTORIES = {"gd": gd, "momentum": momentum, "nesterov": nesterov, "adagrad": adagrad,
             "rmsprop": rmsprop, "adam": adam, "adamw": adamw, "radam": radam}


def names() -> tuple[str, ...]:
    return tuple(FACTORIES)


def get(name: str, **hyperparameters) -> Optimizer:
    """The optimizer called ``name`` with torch.optim's hyperparameter names; any may be a (K,) array."""
    if name not in FACTORIES:
        raise ValueError(f"optimizer: {name!r} is not an optimizer; valid names: {', '.join(names())}")
    try:
        return FACTORIES[name](**hyperparameters)
    except TypeError as exc:
        raise ValueError(f"optimizer {name!r}: {exc}") from None
