"""2D error surfaces: loss, gradient and Hessian, float64, vectorized.

``names()`` lists the surfaces (the lecture's four first), ``get(name, **params)``
builds one; see ``surfaces.catalog`` for each surface's story.
"""
from functools import lru_cache

from .catalog import FACTORIES
from .surface import Surface

LECTURE = ("bowl", "crescent", "saddle", "bumpy_valley")


def names() -> tuple[str, ...]:
    return tuple(FACTORIES)


@lru_cache(maxsize=64)
def _build(name, settings):
    return FACTORIES[name](**dict(settings))


def get(name: str, **params) -> Surface:
    """The surface called ``name``; ``params`` go to its factory (e.g. bowl's kappa, angle)."""
    if name not in FACTORIES:
        raise ValueError(f"surface: {name!r} is not a surface; valid names: {', '.join(names())}")
    try:
        return _build(name, tuple(sorted(params.items())))
    except TypeError as exc:
        raise ValueError(f"surface {name!r}: {exc}") from None


__all__ = ["Surface", "names", "get", "LECTURE"]
