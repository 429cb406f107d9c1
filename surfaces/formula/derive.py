"""Exact gradient and Hessian of a formula: sympy's derivative rules, applied along the shared graph.

Each kind of operation is written once as a sympy expression of placeholder symbols a, b (``sin(a)``,
``a/b``, ``a**c`` with the exponent c as an exact rational); ``sympy.diff`` gives its partial
derivatives (``cos(a)``; ``1/b`` and ``-a/b**2``; ``c*a**(c-1)``), and those are turned back into
graph nodes with a, b bound to the operation's arguments. The chain rule then runs forward over
the graph, once per variable:

    dv_i/dx = Σ_j ∂f_i/∂a_j · da_j/dx

and again over the gradient's own nodes for the Hessian. Working node by node, on a graph that
shares equal subexpressions, keeps the result's size linear in the formula's (differentiating the
whole expression tree at once grows with the square of its depth, and sympy's recursion fails
on formulas within our nesting limit). Nothing is approximated: the derivatives are exact
expressions, evaluated in float64 like the formula itself.

Where a function has no derivative (|a| at 0) sympy's answer is used: d|a|/da = sign(a), and the
DiracDelta of d sign(a)/da counts as 0, its value everywhere else.
"""
from __future__ import annotations

import math
from functools import lru_cache

import sympy

from .errors import FormulaError
from .graph import MAX_POWI, Graph

A, B = sympy.symbols("a b", real=True)

_FUNCTIONS = {
    "sqrt": sympy.sqrt, "exp": sympy.exp, "log": sympy.log, "sin": sympy.sin, "cos": sympy.cos,
    "tan": sympy.tan, "tanh": sympy.tanh, "sinh": sympy.sinh, "cosh": sympy.cosh, "arctan": sympy.atan,
    "abs": sympy.Abs, "sign": sympy.sign,
}
_KINDS = {sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
          sympy.tanh: "tanh", sympy.sinh: "sinh", sympy.cosh: "cosh", sympy.atan: "arctan", sympy.Abs: "abs",
          sympy.sign: "sign"}


def _exact(value: float) -> sympy.Rational:
    return sympy.Rational(value)  # the float's exact binary value


@lru_cache(maxsize=4096)
def partial(kind: str, j: int, exponent: float | None = None) -> sympy.Expr:
    """∂ kind(a, b) / ∂(a if j == 0 else b), as sympy derives it. ``exponent``: a constant power's."""
    if kind == "powi" or (kind == "pow" and exponent is not None):
        expr = A ** _exact(exponent)
    elif kind == "add":
        expr = A + B
    elif kind == "mul":
        expr = A * B
    elif kind == "div":
        expr = A / B
    elif kind == "pow":
        expr = A ** B
    elif kind == "neg":
        expr = -A
    else:
        expr = _FUNCTIONS[kind](A)
    return sympy.diff(expr, (A, B)[j])


def _number(expr) -> float:
    try:
        return float(expr)
    except OverflowError:
        return math.copysign(math.inf, float(sympy.sign(expr)))


def to_graph(expr, graph: Graph, env: dict) -> int:
    """The graph node of a sympy expression whose symbols are bound in ``env``."""
    if expr in env:
        return env[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return graph.const(_number(expr))
    if isinstance(expr, sympy.Add):
        total = graph.zero
        for term in expr.args:
            total = graph.node("add", total, to_graph(term, graph, env))
        return total
    if isinstance(expr, sympy.Mul):
        return _product(expr, graph, env)
    if isinstance(expr, sympy.Pow):
        if expr.exp.is_Number and expr.exp < 0:
            return graph.node("div", graph.one, _power(expr.base, -expr.exp, graph, env))
        return _power(expr.base, expr.exp, graph, env)
    if isinstance(expr, sympy.DiracDelta):
        return graph.zero
    kind = _KINDS.get(expr.func)
    if kind is None:
        raise FormulaError("too_complex", None, limit=0)  # sympy answered with a function we do not compile
    return graph.node(kind, to_graph(expr.args[0], graph, env))


def _power(base, exponent, graph: Graph, env: dict) -> int:
    a = to_graph(base, graph, env)
    if exponent.is_Integer and abs(int(exponent)) <= MAX_POWI:
        return graph.node("powi", a, value=int(exponent))
    if exponent == sympy.Rational(1, 2):
        return graph.node("sqrt", a)
    return graph.node("pow", a, to_graph(exponent, graph, env))


def _product(expr, graph: Graph, env: dict) -> int:
    """c·Πnum / Πden with the denominator's factors (negative powers) divided, not multiplied by 1/d."""
    coeff, factors = expr.as_coeff_mul()
    numerator = [to_graph(f, graph, env) for f in factors if not (f.is_Pow and f.exp.is_Number and f.exp < 0)]
    denominator = [_power(f.base, -f.exp, graph, env) for f in factors if f.is_Pow and f.exp.is_Number and f.exp < 0]
    negative = coeff < 0
    coeff = -coeff if negative else coeff
    if coeff.is_Rational and coeff.q != 1:
        denominator.append(graph.const(_number(coeff.q)))
        coeff = coeff.p
    if coeff != 1:
        numerator.insert(0, graph.const(_number(coeff)))
    top = graph.one
    for f in numerator:
        top = graph.node("mul", top, f)
    if denominator:
        bottom = denominator[0]
        for f in denominator[1:]:
            bottom = graph.node("mul", bottom, f)
        top = graph.node("div", top, bottom)
    return graph.node("neg", top) if negative else top


class Derivatives:
    """d/dx and d/dy of graph nodes, each node differentiated once (memoized per variable)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.memo = {"x": {}, "y": {}}
        self._partials: dict = {}

    def __call__(self, index: int, var: str) -> int:
        memo = self.memo[var]
        for i in self.graph.cone([index]):
            if i not in memo:
                memo[i] = self._chain_rule(i, var, memo)
        return memo[index]

    def _chain_rule(self, i: int, var: str, memo: dict) -> int:
        graph = self.graph
        kind, args, _ = graph.nodes[i]
        if kind in ("x", "y"):
            return graph.one if kind == var else graph.zero
        total = graph.zero
        for j, a in enumerate(args):
            if memo[a] != graph.zero:
                total = graph.node("add", total, graph.node("mul", self._partial(i, j), memo[a]))
        return total

    def _partial(self, i: int, j: int) -> int:
        if (i, j) not in self._partials:
            graph = self.graph
            kind, args, value = graph.nodes[i]
            exponent = value if kind == "powi" else graph.value(args[1]) if kind == "pow" else None
            env = {A: args[0]} if len(args) == 1 else {A: args[0], B: args[1]}
            self._partials[(i, j)] = to_graph(partial(kind, j, exponent), graph, env)
        return self._partials[(i, j)]


def gradient_and_hessian(graph: Graph, loss: int) -> tuple[int, int, int, int, int]:
    """Nodes of (∂L/∂x, ∂L/∂y, ∂²L/∂x², ∂²L/∂x∂y, ∂²L/∂y²)."""
    d = Derivatives(graph)
    gx, gy = d(loss, "x"), d(loss, "y")
    return gx, gy, d(gx, "x"), d(gx, "y"), d(gy, "y")
