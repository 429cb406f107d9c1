"""2D error surfaces: loss, gradient and Hessian, float64, vectorized.

``names()`` lists the built-in surfaces (the lecture's four first), ``get(name, **params)``
builds one; see ``surfaces.catalog`` for each surface's story. ``from_formula(text, bounds,
start)`` makes a surface of a typed formula (``surfaces.formula``); ``get(FORMULA, text=…,
bounds=…, start=…)`` is the same, cached like the built-in ones.
"""
from functools import lru_cache

from .catalog import FACTORIES
from .formula import FormulaError, FormulaSurface, from_formula
from .formula import NAME as FORMULA
from .surface import Surface

LECTURE = ("bowl", "crescent", "saddle", "bumpy_valley")


def names() -> tuple[str, ...]:
    """The built-in surfaces."""
    return tuple(FACTORIES)


def choices() -> tuple[str, ...]:
    """Every name ``get`` takes: the built-in surfaces and FORMULA."""
    return (*names(), FORMULA)


@lru_cache(maxsize=64)
def _build(name, settings):
    if name == FORMULA:
        return from_formula(**dict(settings))
    return FACTORIES[name](**dict(settings))


def formula_settings(text="", bounds=None, start=None) -> tuple:
    """from_formula's arguments as a small, hashable, sorted ((name, value), ...) (a cache key)."""
    def pair(values):
        return None if values is None else tuple(float(v) for v in values)

    bounds = None if bounds is None else tuple(pair(b) for b in bounds)
    return (("bounds", bounds), ("start", pair(start)), ("text", str(text)))


def settings(name: str, params) -> tuple:
    """``params`` ((name, value), ...) of surface ``name`` as a sorted, hashable tuple (a config's cache key)."""
    if name == FORMULA:
        return formula_settings(**dict(params))
    return tuple(sorted((str(k), v if isinstance(v, str) else float(v)) for k, v in dict(params).items()))


def get(name: str, **params) -> Surface:
    """The surface called ``name``; ``params`` go to its factory (e.g. bowl's kappa, angle; a formula's text)."""
    if name not in choices():
        raise ValueError(f"surface: {name!r} is not a surface; valid names: {', '.join(choices())}")
    try:
        if name == FORMULA:
            return _build(name, formula_settings(**params))
        return _build(name, tuple(sorted(params.items())))
    except TypeError as exc:
        raise ValueError(f"surface {name!r}: {exc}") from None


__all__ = ["Surface", "names", "choices", "get", "LECTURE", "FORMULA", "from_formula", "FormulaError",
           "FormulaSurface", "formula_settings", "settings"]
