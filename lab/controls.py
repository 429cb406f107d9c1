"""What the hyperparameter controls offer: the lecture's symbol, torch's name, the range.

Pure data for the pages' widgets; the engine validates again at its edge.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

import optimizers
from optimizers import catalog

from .untrusted import quote


def log_options(lo_exp: int, hi_exp: int, mantissas=(1, 2, 5)) -> tuple[float, ...]:
    """1e{lo}, 2e{lo}, 5e{lo}, …, 1e{hi}: a logarithmic slider's stops."""
    values = [m * 10.0 ** e for e in range(lo_exp, hi_exp) for m in mantissas] + [10.0 ** hi_exp]
    return tuple(float(f"{v:.12g}") for v in values)


LR_OPTIONS = log_options(-8, 1, (1, 2, 3, 5))  # 1e-8 … 10; 3e-k too: the lecture uses η = 0.03
STEP_OPTIONS = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)


@dataclass(frozen=True)
class Control:
    name: str  # torch.optim's keyword
    symbol: str  # the lecture's symbol
    kind: str  # "log" (select among options), "linear" (slider), "bool"
    options: tuple = ()
    lo: float = 0.0
    hi: float = 1.0
    step: float = 0.01  # the help text of each control is in the catalogs (i18n/*.toml, table control.<key>)

    @property
    def label(self) -> str:
        return f"{self.symbol} ({self.name})"


CONTROLS = {
    "lr": Control("lr", "η", "log", LR_OPTIONS),
    "momentum": Control("momentum", "λ", "linear", lo=0.0, hi=0.99, step=0.01),
    "dampening": Control("dampening", "1−τ", "linear", lo=0.0, hi=0.99, step=0.01),
    "alpha": Control("alpha", "α", "linear", lo=0.0, hi=0.999, step=0.001),
    "beta1": Control("betas[0]", "β₁", "linear", lo=0.0, hi=0.999, step=0.001),
    "beta2": Control("betas[1]", "β₂", "linear", lo=0.0, hi=0.9999, step=0.0001),
    "eps": Control("eps", "ε", "log", log_options(-12, -1, (1,))),
    "weight_decay": Control("weight_decay", "λ_wd", "log", (0.0,) + log_options(-5, 0, (1, 3))),
    "lr_decay": Control("lr_decay", "d", "log", (0.0,) + log_options(-5, 0, (1, 3))),
    "initial_accumulator_value": Control("initial_accumulator_value", "G₀", "log", (0.0,) + log_options(-4, 1, (1,))),
    "centered": Control("centered", "centered", "bool"),
    "amsgrad": Control("amsgrad", "AMSGrad", "bool"),
    "decoupled_weight_decay": Control("decoupled_weight_decay", "decoupled", "bool"),
}


PRIMARY = ("lr", "momentum", "alpha", "beta1", "beta2")  # shown at once; the rest fold away


def hyperparameters(optimizer: str) -> dict:
    """{control key: default} for one optimizer, from its factory's signature (torch's defaults)."""
    return dict(_hyperparameters(optimizer))


@lru_cache(maxsize=None)
def _hyperparameters(optimizer: str) -> dict:
    """(read once per optimizer: inspect.signature costs a page's rerun a millisecond per call)"""
    params = inspect.signature(catalog.FACTORIES[optimizer]).parameters
    out = {}
    for name, p in params.items():
        if name in ("variant", "name"):
            continue
        if name == "betas":
            out["beta1"], out["beta2"] = p.default
        else:
            out[name] = p.default
    return out


def to_torch_names(values: dict) -> dict:
    """Control values -> optimizers.get keywords (β₁, β₂ -> betas)."""
    kw = {k: v for k, v in values.items() if k not in ("beta1", "beta2")}
    if "beta1" in values:
        kw["betas"] = (values["beta1"], values["beta2"])
    return kw


def nearest_option(options, value) -> float:
    """The option closest to ``value`` on a log scale (0 matches 0)."""
    opts = np.asarray(options, dtype=float)
    if value == 0 and 0 in opts:
        return 0.0
    positive = np.where(opts > 0, opts, np.nan)
    return float(opts[np.nanargmin(np.abs(np.log(positive) - np.log(max(value, 1e-300))))])


def schedule_defaults(kind: str) -> dict:
    return dict(optimizers.schedule(kind).params)


def parse_steps(name: str, text: str) -> tuple[int, ...]:
    """A list of steps as a text box holds it ("300, 600" -> (300, 600)); the schedule checks the numbers.

    Raises ValueError naming ``name``, with the text quoted (lab.untrusted.quote): pages show it as Markdown."""
    try:
        return tuple(int(v) for v in str(text).replace(" ", "").split(",") if v)
    except ValueError:
        raise ValueError(f"{name} = {quote(text)} is not whole numbers separated by commas, e.g. 300, 600") from None
