"""Which surface a page shows, as its link writes it: a built-in name, or a formula with its window.

A page's surface settings share a prefix ("" on the Playground and the sweep, "basin_" on Basins):

    {prefix}surface      a built-in name or "formula"
    {prefix}formula      the formula's text (at most surfaces.formula.MAX_LENGTH characters)
    {prefix}formula_x0 … {prefix}formula_y1    its window

Runs start where the page's own start settings say; those are kept per surface (their keys end in the
surface's name, which for a formula is ``formula_`` and a digest of its text and window), so a link
that carries a formula carries its start too. No Streamlit here: ``ui.surface_picker`` draws the
widgets, ``lab.playground.view_from_link`` reads a link without them.
"""
from __future__ import annotations

from dataclasses import dataclass

import surfaces
from surfaces.formula import MAX_COORDINATE, MAX_LENGTH
from surfaces.formula.examples import DEFAULT, EXAMPLES

FORMULA = surfaces.FORMULA
BOUND_NAMES = ("x0", "x1", "y0", "y1")
COORDINATE_LIMIT = MAX_COORDINATE  # a window's bounds may lie within ±this
# The first formula of a server process imports sympy and starts LLVM's JIT (about 1 s of one core): a page
# with the picker does that in the background this many seconds after it is first loaded (once its own first
# run, the heaviest, has had the machine), not when a student first types. Benchmarks wait it out.
WARM_UP_AFTER_S = 5.0


@dataclass(frozen=True)
class FormulaKeys:
    surface: str
    text: str
    bounds: tuple  # keys of x0, x1, y0, y1


def keys(prefix: str = "") -> FormulaKeys:
    return FormulaKeys(f"{prefix}surface", f"{prefix}formula",
                       tuple(f"{prefix}formula_{name}" for name in BOUND_NAMES))


def default_bounds() -> tuple[float, float, float, float]:
    (x0, x1), (y0, y1) = DEFAULT.bounds
    return (x0, x1, y0, y1)


def example_start(text: str, window) -> tuple | None:
    """The start of the gallery's example with this text and window ((x0, x1), (y0, y1)), else None."""
    for e in EXAMPLES:
        if e.text == text and e.bounds == window:
            return e.start
    return None


def formula_params(text: str, bounds, start=None) -> tuple:
    """``surfaces.get(FORMULA, **dict(...))``'s parameters for a formula, its window (x0, x1, y0, y1) and start.

    Without a start, a gallery example starts where the example does (Rosenbrock at (−1.2, 1)); any
    other formula where ``surfaces.from_formula`` puts it."""
    x0, x1, y0, y1 = (float(b) for b in bounds)
    window = ((x0, x1), (y0, y1))
    return surfaces.formula_settings(text, window, example_start(text, window) if start is None else start)


def from_link(params: dict, prefix: str = "", default: str = "bowl") -> tuple[str, tuple]:
    """(surface name, its parameters) as a link with these query parameters opens them; a formula's text
    and window fall back to the gallery's first example. Values are not checked here: building the
    surface does that (a FormulaError names what is wrong)."""
    k = keys(prefix)
    name = params.get(k.surface, default)
    if name != FORMULA:
        return name, ()
    text = params.get(k.text, DEFAULT.text)[:MAX_LENGTH + 1]
    bounds = tuple(float(params.get(key, value)) for key, value in zip(k.bounds, default_bounds()))
    return name, formula_params(text, bounds)


def example(example_id: str):
    return next(e for e in EXAMPLES if e.id == example_id)
