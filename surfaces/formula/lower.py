"""From the parse tree to graph nodes, with constant parts computed once and checked.

A part of the formula without x or y is folded to one float64 number as it is read; if that
number is not finite (``9^9^9``, ``1/0``, ``log(0)``, ``sqrt(-1)``, ``1e999``) the formula is
refused at that part's position, before anything grows with its size. Powers with a constant
integer exponent up to ``graph.MAX_POWI`` become multiplications; ``e^u`` is ``exp(u)``.
"""
from __future__ import annotations

import math

from .errors import FormulaError
from .graph import MAX_POWI, Graph, nonfinite_name
from .parse import CONSTANTS, Node


def lower(tree: Node, graph: Graph, text: str) -> int:
    """The graph node of the formula ``tree`` (parsed from ``text``)."""
    index = _lower(tree, graph, text)
    _check_finite(tree, graph, index, text)
    return index


def _check_finite(node: Node, graph: Graph, index: int, text: str) -> None:
    value = graph.value(index)
    if value is not None and not math.isfinite(value):
        raise FormulaError("not_finite_part", node.pos, part=text[node.pos:node.end], value=nonfinite_name(value))


def _lower(node: Node, graph: Graph, text: str) -> int:
    def sub(child: Node) -> int:
        index = _lower(child, graph, text)
        _check_finite(child, graph, index, text)
        return index

    kind = node.kind
    if kind == "number":
        return graph.const(node.value)
    if kind == "name":
        if node.value in ("x", "y"):
            return graph.x if node.value == "x" else graph.y
        return graph.const(CONSTANTS[node.value])
    if kind == "sum":
        total = sub(node.args[0])
        for op, term in zip(node.ops[1:], node.args[1:]):
            value = sub(term)
            total = graph.node("add", total, value if op == "+" else graph.node("neg", value))
        return total
    if kind == "product":
        total = sub(node.args[0])
        for op, factor in zip(node.ops[1:], node.args[1:]):
            total = graph.node("mul" if op == "*" else "div", total, sub(factor))
        return total
    if kind == "neg":
        return graph.node("neg", sub(node.args[0]))
    if kind == "call":
        return graph.node(node.value, sub(node.args[0]))
    if kind == "power":
        base_node, exponent_node = node.args
        exponent = sub(exponent_node)
        if base_node.kind == "name" and base_node.value == "e":
            return graph.node("exp", exponent)
        base = sub(base_node)
        n = graph.value(exponent)
        if n is not None and n == int(n) and abs(n) <= MAX_POWI:
            return graph.node("powi", base, value=int(n))
        return graph.node("pow", base, exponent)
    raise AssertionError(f"lower: unknown parse node {kind}")
