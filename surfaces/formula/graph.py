"""The expression graph: a formula and its derivatives as one shared list of operations.

Each node is ``(kind, args, value)``: ``args`` are indices of earlier nodes, so the list is in
evaluation order, and ``value`` is a constant's number or ``powi``'s integer exponent. A node is
stored once (equal nodes share one index), which keeps derivatives, whose chain rule repeats
the same subexpressions, linear in size. ``node`` also folds operations on constants in float64
and applies identities exact in real arithmetic (0 + a = a, 1·a = a, 0·a = 0, −(−a) = a, a^1 = a),
so that a derivative's many zero terms disappear.

The same nodes evaluate in NumPy (any shape, IEEE float64: overflow gives inf, an undefined value
NaN), in torch (the tests' autograd reference) and compiled to machine code (``native``).
"""
from __future__ import annotations

import math

import numpy as np

from .errors import FormulaError

MAX_NODES = 20_000
MAX_POWI = 64  # integer exponents up to this are multiplications (exact for x², as NumPy and numba do it)
COMMUTATIVE = ("add", "mul")  # exactly commutative in IEEE arithmetic too, so their arguments are sorted


def powi(a, n: int):
    """a**n for an integer n by repeated squaring, in the order numba's integer power uses."""
    result, base, k = None, a, abs(n)
    while k:
        if k & 1:
            result = base if result is None else result * base
        k >>= 1
        if k:
            base = base * base
    if result is None:
        return 1.0  # a**0, as IEEE pow has it for every a
    return 1.0 / result if n < 0 else result


# Each function is the array module's own of the same name (NumPy's and torch's agree on these names).
ARRAY_FUNCTIONS = ("sqrt", "exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arctan", "abs", "sign")
OPERATIONS = {
    "add": lambda m, a, b: a + b,
    "mul": lambda m, a, b: a * b,
    "div": lambda m, a, b: a / b,
    "pow": lambda m, a, b: m.pow(a, b),
    "neg": lambda m, a: -a,
    **{name: (lambda m, a, name=name: getattr(m, name)(a)) for name in ARRAY_FUNCTIONS},
}


def apply(kind: str, m, args: tuple, value=None):
    """One operation on values of the array module ``m`` (NumPy or torch)."""
    if kind == "powi":
        return powi(args[0], value)
    return OPERATIONS[kind](m, *args)


def _key(value):
    return value.hex() if isinstance(value, float) else value  # tells -0.0 from 0.0; NaN equals NaN


class Graph:
    def __init__(self):
        self.nodes: list[tuple] = []
        self._index: dict = {}
        self._plans: dict = {}
        self.x = self._store("x", (), None)
        self.y = self._store("y", (), None)
        self.zero = self.const(0.0)
        self.one = self.const(1.0)

    def _store(self, kind, args, value) -> int:
        key = (kind, args, _key(value))
        index = self._index.get(key)
        if index is None:
            if len(self.nodes) >= MAX_NODES:
                raise FormulaError("too_complex", None, limit=MAX_NODES)
            index = len(self.nodes)
            self.nodes.append((kind, args, value))
            self._index[key] = index
        return index

    def const(self, value) -> int:
        return self._store("const", (), float(value))

    def value(self, index: int):
        """The number of a constant node, else None."""
        kind, _, value = self.nodes[index]
        return value if kind == "const" else None

    def node(self, kind: str, *args: int, value=None) -> int:
        """The index of ``kind(args)``, simplified, folded and shared."""
        consts = [self.value(a) for a in args]
        if all(c is not None for c in consts):
            with np.errstate(all="ignore"):
                return self.const(apply(kind, np, tuple(np.float64(c) for c in consts), value))
        simpler = self._identity(kind, args, consts, value)
        if simpler is not None:
            return simpler
        if kind in COMMUTATIVE:
            args = tuple(sorted(args))
        return self._store(kind, args, value)

    def _identity(self, kind, args, consts, value):
        if kind == "add":
            for a, c in ((args[0], consts[1]), (args[1], consts[0])):
                if c == 0.0:
                    return a
        elif kind == "mul":
            for a, c in ((args[0], consts[1]), (args[1], consts[0])):
                if c == 0.0:
                    return self.zero
                if c == 1.0:
                    return a
                if c == -1.0:
                    return self.node("neg", a)
        elif kind == "div" and consts[1] == 1.0:
            return args[0]
        elif kind == "neg" and self.nodes[args[0]][0] == "neg":
            return self.nodes[args[0]][1][0]
        elif kind == "powi":
            if value == 0:
                return self.one
            if value == 1:
                return args[0]
        return None

    def depends_on_xy(self, index: int) -> bool:
        return any(self.nodes[i][0] in ("x", "y") for i in self.cone([index]))

    def cone(self, outputs) -> list[int]:
        """The nodes the outputs need, in evaluation order."""
        seen, stack = set(), list(outputs)
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(self.nodes[i][1])
        return sorted(seen)

    def plan(self, outputs: tuple) -> tuple:
        """((index, kind, args, value, release), ...): the cone in order, each step with the values no later
        step needs (freed as evaluation goes, so a large grid holds few intermediate arrays)."""
        outputs = tuple(outputs)
        if outputs not in self._plans:
            order = self.cone(outputs)
            last = {}
            for step, i in enumerate(order):
                for a in self.nodes[i][1]:
                    last[a] = step
            keep = set(outputs)
            releases = [[] for _ in order]
            for a, step in last.items():
                if a not in keep:
                    releases[step].append(a)
            self._plans[outputs] = tuple((i, *self.nodes[i], tuple(releases[s])) for s, i in enumerate(order))
        return self._plans[outputs]

    def evaluate(self, outputs: tuple, x, y, m=np) -> list:
        """The outputs' values at (x, y) (arrays of one shape, or torch tensors with ``m=torch``)."""
        values = {}
        with np.errstate(all="ignore"):
            for i, kind, args, value, release in self.plan(outputs):
                if kind == "x":
                    values[i] = x
                elif kind == "y":
                    values[i] = y
                elif kind == "const":
                    values[i] = value
                else:
                    values[i] = apply(kind, m, tuple(values[a] for a in args), value)
                for a in release:
                    del values[a]
        return [values[i] for i in outputs]


def nonfinite_name(value: float) -> str:
    """How a non-finite constant is named in a message: "inf", "-inf" or "nan"."""
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
