"""The formula language: a tokenizer and a recursive-descent parser of our own, nothing of Python's.

The grammar admits exactly this (the text is never evaluated, and no name is looked up anywhere
but in the tables below):

    formula := sum END
    sum     := product (("+" | "-") product)*
    product := signed (("*" | "/") signed)*
    signed  := ("+" | "-")* power                   -x^2 = -(x^2)
    power   := atom (("^" | "**") signed)?          right-associative: x^y^z = x^(y^z)
    atom    := NUMBER | "x" | "y" | "pi" | "e" | FUNCTION "(" sum ")" | "(" sum ")"

NUMBER is ASCII digits with an optional fraction and exponent (``2``, ``.5``, ``1e-3``); spaces,
tabs and line breaks separate tokens. Limits, checked before any work that grows with them:
``MAX_LENGTH`` characters, and ``MAX_DEPTH`` levels of parentheses, function calls and exponents
inside one another (so the parser's own recursion is bounded too). Sums, products and sign
chains are read in loops, not by recursion. Every refusal is a ``FormulaError`` naming the
position of the offending character.
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from .errors import FormulaError

MAX_LENGTH = 500
MAX_DEPTH = 50
VARIABLES = ("x", "y")
CONSTANTS = {"pi": math.pi, "e": math.e}
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh", "arctan")
# Names people type for an allowed one: offered as a suggestion, never accepted.
SUGGESTIONS = {"ln": "log", "atan": "arctan", "arctg": "arctan", "tg": "tan", "fabs": "abs", "PI": "pi",
               "Pi": "pi", "X": "x", "Y": "y", "E": "e"}

_TOKEN = re.compile(r"""
    (?P<space>[ \t\r\n]+)
  | (?P<number>(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>\*\*|[-+*/^()])
""", re.VERBOSE | re.ASCII)


@dataclass(frozen=True)
class Token:
    kind: str  # "number", "name", "op", "end"
    text: str
    pos: int


@dataclass(frozen=True)
class Node:
    """A node of the parse tree; ``pos``/``end`` delimit its text.

    kind      value          args / ops
    number    its float      (text: the token as typed)
    name      "x" "y" "pi" "e"
    sum                      args: the terms; ops: "+" or "-" before each (the first "+")
    product                  args: the factors; ops: "*" or "/" before each (the first "*")
    neg                      args: (operand,)
    power                    args: (base, exponent)
    call      function name  args: (argument,)
    """
    kind: str
    pos: int
    end: int
    value: object = None
    args: tuple = ()
    ops: tuple = ()
    text: str = ""


def _character(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def tokenize(text: str) -> list[Token]:
    tokens = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise FormulaError("bad_character", at, char=text[at], unicode=_character(text[at]))
        if match.lastgroup != "space":
            tokens.append(Token(match.lastgroup, match.group(), at))
        at = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def at_op(self, *ops) -> bool:
        return self.token.kind == "op" and self.token.text in ops

    def deeper(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FormulaError("too_deep", pos, limit=MAX_DEPTH)

    def missing_operand(self) -> FormulaError:
        token = self.token
        if token.kind == "end":
            return FormulaError("ends_early", token.pos)
        return FormulaError("missing_operand", token.pos, found=token.text)

    # ---- grammar
    def formula(self) -> Node:
        if self.token.kind == "end":
            raise FormulaError("empty", None)
        node = self.sum()
        token = self.token
        if token.kind == "op" and token.text == ")":
            raise FormulaError("unopened", token.pos)
        if token.kind != "end":
            raise FormulaError("missing_operator", token.pos, found=token.text)
        return node

    def chain(self, kind: str, operand, ops: tuple[str, str]) -> Node:
        """operand (op operand)*, read in a loop: one node for the whole chain (or the single operand)."""
        parts, signs = [operand()], [ops[0]]
        while self.at_op(*ops):
            signs.append(self.take().text)
            parts.append(operand())
        if len(parts) == 1:
            return parts[0]
        return Node(kind, parts[0].pos, parts[-1].end, args=tuple(parts), ops=tuple(signs))

    def sum(self) -> Node:
        return self.chain("sum", self.product, ("+", "-"))

    def product(self) -> Node:
        return self.chain("product", self.signed, ("*", "/"))

    def signed(self) -> Node:
        start, negative = self.token.pos, False
        while self.at_op("+", "-"):
            negative ^= self.take().text == "-"
        node = self.power()
        return Node("neg", start, node.end, args=(node,)) if negative else node

    def power(self) -> Node:
        base = self.atom()
        if not self.at_op("^", "**"):
            return base
        self.deeper(self.take().pos)
        exponent = self.signed()
        self.depth -= 1
        return Node("power", base.pos, exponent.end, args=(base, exponent))

    def atom(self) -> Node:
        token = self.token
        if token.kind == "number":
            self.take()
            return Node("number", token.pos, token.pos + len(token.text), value=float(token.text), text=token.text)
        if token.kind == "name":
            return self.name()
        if self.at_op("("):
            self.take()
            node = self.group(token.pos)
            return Node(node.kind, token.pos, self.tokens[self.i - 1].pos + 1, node.value, node.args, node.ops,
                        node.text)
        raise self.missing_operand()

    def group(self, opened: int) -> Node:
        """The inside of parentheses opened at ``opened``, and the closing one."""
        self.deeper(opened)
        node = self.sum()
        if not self.at_op(")"):
            if self.token.kind == "end":
                raise FormulaError("unclosed", opened)
            raise FormulaError("missing_operator", self.token.pos, found=self.token.text)
        self.take()
        self.depth -= 1
        return node

    def name(self) -> Node:
        token = self.take()
        name, end = token.text, token.pos + len(token.text)
        called = self.at_op("(")
        if name in FUNCTIONS:
            if not called:
                raise FormulaError("needs_argument", token.pos, name=name)
            opened = self.take().pos
            argument = self.group(opened)
            return Node("call", token.pos, self.tokens[self.i - 1].pos + 1, value=name, args=(argument,))
        if name in VARIABLES or name in CONSTANTS:
            if called:
                raise FormulaError("not_a_function", token.pos, name=name)
            return Node("name", token.pos, end, value=name)
        suggestion = SUGGESTIONS.get(name) or (name.lower() if name.lower() in (*VARIABLES, *CONSTANTS, *FUNCTIONS)
                                               else "")
        raise FormulaError("unknown_name", token.pos, name=name, suggestion=suggestion)


def parse(text: str) -> Node:
    """The parse tree of ``text``; raises FormulaError (too long, a bad character, a syntax error, …)."""
    if not isinstance(text, str):
        raise FormulaError("empty", None)
    if len(text) > MAX_LENGTH:
        raise FormulaError("too_long", MAX_LENGTH, length=len(text), limit=MAX_LENGTH)
    return _Parser(tokenize(text)).formula()
