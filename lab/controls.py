"""What the hyperparameter controls offer: the lecture's symbol, torch's name, the range.

Derived from the optimizers' registry (``optimizers.catalog``): each rule's
hyperparameters carry their control. Pure data for the pages' widgets; the
engine validates again at its edge.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

import optimizers
from optimizers import catalog
from optimizers.rules import Hyper, log_options

from .untrusted import quote

LR_OPTIONS = catalog.LR_OPTIONS
STEP_OPTIONS = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)

Control = Hyper  # a control is a hyperparameter's entry (the help text of each is in the catalogs, control.<key>)
CONTROLS: dict[str, Hyper] = catalog.controls()
PRIMARY = tuple(k for k, h in CONTROLS.items() if h.primary)  # shown at once; the rest fold away
LECTURE_OPTIMIZERS = catalog.lecture_optimizers()  # those whose lecture variant differs from torch's

__all__ = ["CONTROLS", "PRIMARY", "LR_OPTIONS", "STEP_OPTIONS", "LECTURE_OPTIMIZERS", "Control", "log_options",
           "hyperparameters", "to_torch_names", "nearest_option", "schedule_defaults", "parse_steps"]


def hyperparameters(optimizer: str) -> dict:
    """{control key: default} for one optimizer (torch's defaults), lr first."""
    return dict(_hyperparameters(optimizer))


@lru_cache(maxsize=None)
def _hyperparameters(optimizer: str) -> dict:
    """(read once per optimizer: a page's rerun asks for it many times)"""
    return catalog.entry(optimizer).defaults_by_key()


def to_torch_names(values: dict) -> dict:
    """Control values -> optimizers.get keywords (β₁, β₂ -> betas; η₋, η₊ -> etas; …)."""
    pairs: dict[str, dict] = {}
    kw = {}
    for key, value in values.items():
        pair = CONTROLS[key].pair if key in CONTROLS else None
        if pair:
            pairs.setdefault(pair[0], {})[pair[1]] = value
        else:
            kw[key] = value
    for keyword, members in pairs.items():
        if len(members) != 2:
            missing = ({0, 1} - set(members)).pop()
            raise ValueError(f"{keyword}: both values are needed; {keyword}[{missing}] is missing")
        kw[keyword] = (members[0], members[1])
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
