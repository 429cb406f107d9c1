"""The formula as LaTeX, written from its parse tree (so the page shows how the text was read).

Only our own tokens reach the output: numbers (ASCII digits, a point, an exponent), x, y, and
fixed commands for π, e and the functions; nothing typed is copied through otherwise.
"""
from __future__ import annotations

from .parse import Node

_FUNCTIONS = {"sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "exp": r"\exp", "log": r"\ln", "tanh": r"\tanh",
              "sinh": r"\sinh", "cosh": r"\cosh", "arctan": r"\arctan"}
# How tightly each kind binds: a child that binds less tightly than its place needs gets parentheses.
_SUM, _PRODUCT, _NEG, _POWER, _ATOM = range(5)
_BINDING = {"sum": _SUM, "product": _PRODUCT, "neg": _NEG, "power": _POWER}


def _number(text: str) -> str:
    mantissa, _, exponent = text.lower().partition("e")
    if not exponent:
        return mantissa
    power = f"10^{{{int(exponent)}}}"
    return power if float(mantissa) == 1.0 else rf"{mantissa} \cdot {power}"


def _wrapped(node: Node, least: int) -> str:
    body = to_latex(node)
    return rf"\left({body}\right)" if _BINDING.get(node.kind, _ATOM) < least else body


def to_latex(node: Node) -> str:
    kind = node.kind
    if kind == "number":
        return _number(node.text)
    if kind == "name":
        return r"\pi" if node.value == "pi" else node.value
    if kind == "sum":
        out = _wrapped(node.args[0], _SUM)
        for op, term in zip(node.ops[1:], node.args[1:]):
            out += (" + " if op == "+" else " - ") + _wrapped(term, _PRODUCT)
        return out
    if kind == "product":
        first = node.args[0]
        out = to_latex(first) if node.ops[1] == "/" else _wrapped(first, _PRODUCT)  # a fraction needs no parentheses
        for op, factor in zip(node.ops[1:], node.args[1:]):
            out = rf"\frac{{{out}}}{{{to_latex(factor)}}}" if op == "/" else rf"{out} \cdot {_wrapped(factor, _POWER)}"
        return out
    if kind == "neg":
        return "-" + _wrapped(node.args[0], _POWER)
    if kind == "power":
        base, exponent = node.args
        return f"{_wrapped(base, _ATOM)}^{{{to_latex(exponent)}}}"
    if kind == "call":
        inner = to_latex(node.args[0])
        if node.value == "sqrt":
            return rf"\sqrt{{{inner}}}"
        if node.value == "abs":
            return rf"\left|{inner}\right|"
        return rf"{_FUNCTIONS[node.value]}\left({inner}\right)"
    raise AssertionError(f"to_latex: unknown parse node {kind}")
