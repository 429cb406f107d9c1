"""Formulas to start from: the gallery a page loads into its formula box (titles in the i18n catalogs,
``formula.example.<id>``). The first is the box's default."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    bounds: tuple
    start: tuple


EXAMPLES = (
    Example("himmelblau", "(x^2 + y - 11)^2 + (x + y^2 - 7)^2", ((-5.0, 5.0), (-5.0, 5.0)), (0.0, 0.0)),
    Example("rosenbrock", "(1 - x)^2 + 100*(y - x^2)^2", ((-2.0, 2.0), (-1.0, 3.0)), (-1.2, 1.0)),
    Example("narrow_bowl", "x^2/20 + 5*y^2", ((-4.0, 4.0), (-2.0, 2.0)), (-3.5, 1.5)),
    Example("saddle", "x^2/2 + (y^2 - 1)^2/4", ((-2.0, 2.0), (-1.6, 1.6)), (1.8, 0.0)),
    Example("monkey_saddle", "x^3 - 3*x*y^2 + (x^2 + y^2)^2/4", ((-4.0, 4.0), (-4.0, 4.0)), (1.0, 0.2)),
    Example("ripples", "(x^2 + y^2)/10 - cos(3*x)*cos(3*y)", ((-3.0, 3.0), (-3.0, 3.0)), (2.5, 2.0)),
    Example("three_hump_camel", "2*x^2 - 1.05*x^4 + x^6/6 + x*y + y^2", ((-2.0, 2.0), (-2.0, 2.0)), (-1.8, 1.5)),
    Example("booth", "(x + 2*y - 7)^2 + (2*x + y - 5)^2", ((-10.0, 10.0), (-10.0, 10.0)), (-8.0, -6.0)),
    Example("corner", "abs(x) + 2*abs(y)", ((-2.0, 2.0), (-2.0, 2.0)), (1.5, 1.2)),
    Example("logistic", "log(1 + exp(-(x + 2*y))) + log(1 + exp(x - y)) + (x^2 + y^2)/100",
            ((-4.0, 4.0), (-4.0, 4.0)), (-3.0, -3.0)),
    Example("well", "1 - exp(-(x^2 + y^2)) + 0.1*sqrt(1 + x^2)", ((-3.0, 3.0), (-3.0, 3.0)), (2.0, 1.5)),
)
DEFAULT = EXAMPLES[0]
