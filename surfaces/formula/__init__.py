"""A surface typed as a formula: ``from_formula("(x^2 + y - 11)^2 + (x + y^2 - 7)^2")``.

The text is read by our own parser (``parse``: numbers, pi, e, x, y, + - * / ^ **, parentheses
and eleven functions, nothing else), its constant parts folded and checked (``lower``), its
gradient and Hessian derived exactly with sympy's rules along a shared graph (``derive``), and
L with ∇L compiled to machine code that the trajectory kernel calls (``native``). A prepared
formula is cached by its text, so a page that reruns with the same formula prepares nothing.

Everything that can go wrong is a ``FormulaError`` with a code and the position in the text.
"""
from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..compiled import FORMULA_CHECK, FORMULA_ID
from ..surface import Surface
from .errors import FormulaError
from .graph import Graph
from .latex import to_latex
from .lower import lower
from .parse import CONSTANTS, FUNCTIONS, MAX_DEPTH, MAX_LENGTH, VARIABLES, parse

NAME = "formula"
DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))
MAX_COORDINATE = 1e6  # |bound| and |start| at most this: the divergence box (1e6 windows) stays finite
MIN_WIDTH = 1e-6
CHECK_POINTS = 64  # the window is checked on a CHECK_POINTS × CHECK_POINTS grid (finite somewhere? constant?)
FLAT = 1e-12  # a loss whose range over that grid is at most FLAT × its size is constant
# Where a default start goes, as fractions of the window (the first point where the slope is finite
# and not zero); most formulas have their minimum near the middle, so the corners come first.
START_CANDIDATES = ((0.8, 0.8), (0.2, 0.8), (0.8, 0.2), (0.2, 0.2), (0.5, 0.8), (0.8, 0.5), (0.2, 0.5), (0.5, 0.2))
CACHE_SIZE = 128


@dataclass(eq=False)
class Formula:
    """A prepared formula: graph nodes of L, ∇L and ∇²L, its LaTeX, and its machine code."""
    text: str
    graph: Graph
    outputs: tuple  # (L, ∂L/∂x, ∂L/∂y, ∂²L/∂x², ∂²L/∂x∂y, ∂²L/∂y²)
    latex: str
    native: object  # native.NativeCode: keeps the machine code alive

    def loss(self, x, y, p=None, m=np):
        return self.graph.evaluate(self.outputs[:1], x, y, m)[0]

    def grad(self, x, y, p=None):
        loss, gx, gy = self.graph.evaluate(self.outputs[:3], x, y)
        bad = ~np.isfinite(loss)  # as the kernel has it: no slope where L itself is not finite
        return np.where(bad, np.nan, gx), np.where(bad, np.nan, gy)

    def hessian(self, x, y, p=None):
        loss, *h = self.graph.evaluate(self.outputs[:1] + self.outputs[3:], x, y)
        bad = ~np.isfinite(loss)
        return tuple(np.where(bad, np.nan, v) for v in h)

    @property
    def constant(self) -> bool:
        """L does not depend on x or y, or its derivatives are identically zero."""
        g = self.graph
        return not g.depends_on_xy(self.outputs[0]) or (self.outputs[1] == g.zero and self.outputs[2] == g.zero)


_cache: OrderedDict = OrderedDict()
_cache_lock = threading.Lock()
_derive_lock = threading.Lock()  # sympy's caches are not documented as safe for threads: one derivation at a time


def _prepare(text: str) -> Formula:
    tree = parse(text)  # a refusal here waits for nothing
    graph = Graph()
    loss = lower(tree, graph, text)
    from .derive import gradient_and_hessian  # sympy is imported with the first formula read, not with surfaces
    from .native import compile_native

    with _derive_lock:
        outputs = (loss, *gradient_and_hessian(graph, loss))
    formula = Formula(text, graph, outputs, to_latex(tree), None)
    if not formula.constant:
        formula.native = compile_native(graph, outputs[:3])
    return formula


def prepare(text: str) -> Formula:
    """The prepared formula of ``text`` (cached by text; the newest CACHE_SIZE kept)."""
    with _cache_lock:
        if text in _cache:
            _cache.move_to_end(text)
            return _cache[text]
    formula = _prepare(text)
    with _cache_lock:
        _cache[text] = formula
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return formula


@dataclass(frozen=True, eq=False)
class FormulaSurface(Surface):
    """A Surface whose loss, gradient and Hessian come from a typed formula.

    Its name is ``formula_`` and a digest of the text and window, so that settings kept per surface
    (a page's start point) start afresh for each formula. Pickling rebuilds it from the text: the
    machine code's address means nothing in another process."""
    formula: Formula = field(default=None, repr=False)

    def __reduce__(self):
        settings = dict(self.settings)
        return from_formula, (settings["text"], settings["bounds"], settings["start"])


def _coordinate(field_name: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not (math.isfinite(number) and abs(number) <= MAX_COORDINATE):
        raise FormulaError("bounds_range", None, field=field_name, value=str(value)[:20], limit=f"{MAX_COORDINATE:g}")
    return number


def check_bounds(bounds) -> tuple:
    """((x0, x1), (y0, y1)) as floats with x0 < x1, y0 < y1, |·| ≤ MAX_COORDINATE; FormulaError names the field."""
    try:
        (x0, x1), (y0, y1) = bounds
    except (TypeError, ValueError):
        raise FormulaError("bounds_shape", None, value=repr(bounds)[:40]) from None
    out = []
    for axis, (lo, hi) in (("x", (x0, x1)), ("y", (y0, y1))):
        lo, hi = _coordinate(f"{axis}0", lo), _coordinate(f"{axis}1", hi)
        if not hi - lo >= MIN_WIDTH * max(1.0, abs(lo), abs(hi)):
            raise FormulaError("bounds_order", None, axis=axis, lo=f"{lo:g}", hi=f"{hi:g}")
        out.append((lo, hi))
    return tuple(out)


def _window_grid(bounds, n: int = CHECK_POINTS) -> np.ndarray:
    (x0, x1), (y0, y1) = bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return np.stack([X.ravel(), Y.ravel()], -1)


def _check_window(formula: Formula, bounds) -> None:
    P = _window_grid(bounds)
    L = np.asarray(formula.loss(P[:, 0], P[:, 1]), dtype=np.float64) + 0.0 * P[:, 0]
    finite = L[np.isfinite(L)]
    if finite.size == 0:
        raise FormulaError("not_finite", None)
    size = float(np.max(np.abs(finite)))
    if float(np.ptp(finite)) <= FLAT * size:
        raise FormulaError("constant", None)


def _usable(formula: Formula, x: float, y: float) -> bool:
    gx, gy = formula.grad(np.float64(x), np.float64(y))
    return bool(np.isfinite(gx) and np.isfinite(gy) and (gx != 0.0 or gy != 0.0))


def default_start(formula: Formula, bounds) -> tuple[float, float]:
    """The first of START_CANDIDATES with a finite, non-zero slope; else the first such grid point."""
    (x0, x1), (y0, y1) = bounds
    candidates = [(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)) for fx, fy in START_CANDIDATES]
    candidates += [tuple(p) for p in _window_grid(bounds, 17)]
    for x, y in candidates:
        if _usable(formula, x, y):
            return (float(x), float(y))
    raise FormulaError("constant", None)  # finite somewhere, yet flat at every point looked at


def _check_start(formula: Formula, bounds, start) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in start)
    except (TypeError, ValueError):
        raise FormulaError("start_shape", None, value=repr(start)[:40]) from None
    (x0, x1), (y0, y1) = bounds
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        raise FormulaError("start_outside", None, x=f"{x:g}", y=f"{y:g}")
    if not np.isfinite(formula.grad(np.float64(x), np.float64(y))).all():
        raise FormulaError("start_not_finite", None, x=f"{x:g}", y=f"{y:g}")
    return (x, y)


def surface_name(text: str, bounds) -> str:
    """``formula_`` and a digest of the text and window (stable across processes)."""
    digest = hashlib.sha1(repr((text, check_bounds(bounds))).encode("utf-8", "surrogatepass")).hexdigest()
    return f"{NAME}_{digest[:10]}"


def from_formula(text: str, bounds=None, start=None) -> FormulaSurface:
    """The surface L(x, y) = ``text`` over the window ``bounds`` = ((x0, x1), (y0, y1)), runs starting at ``start``.

    Defaults: bounds DEFAULT_BOUNDS; start the first of START_CANDIDATES where the slope is finite and
    not zero. Refused (FormulaError, with the position in the text where there is one): a text the
    grammar does not admit, a constant part that is not finite, a formula constant in the window or
    finite nowhere in it, a bad window or start. Critical points are found as for every surface."""
    formula = prepare(text)
    bounds = check_bounds(DEFAULT_BOUNDS if bounds is None else bounds)
    if formula.constant:
        raise FormulaError("constant", None)
    _check_window(formula, bounds)
    start = default_start(formula, bounds) if start is None else _check_start(formula, bounds, start)
    return FormulaSurface(
        name=surface_name(text, bounds), title="Your formula", description=text, latex=formula.latex,
        bounds=bounds, start=np.array(start, dtype=np.float64),
        params=np.array([float(formula.native.address), FORMULA_CHECK]), kernel_id=FORMULA_ID,
        loss_fn=formula.loss, grad_fn=formula.grad, hessian_fn=formula.hessian,
        settings=(("bounds", bounds), ("start", start), ("text", text)), formula=formula,
    )


__all__ = ["from_formula", "FormulaError", "FormulaSurface", "prepare", "NAME", "DEFAULT_BOUNDS", "MAX_LENGTH",
           "MAX_DEPTH", "MAX_COORDINATE", "VARIABLES", "CONSTANTS", "FUNCTIONS", "surface_name", "check_bounds"]
