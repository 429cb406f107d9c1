"""Why a formula was refused: a code, where in the text, and the facts a message needs.

A page turns ``code`` into a sentence in its own language (catalog table ``[formula.error]``, with
``fields`` and ``pos``); ``str()`` gives the same in English for logs and the API. Fields that
hold the user's own text (a name, a character, a part of the formula) are listed in ``TEXT_FIELDS``:
a page echoes those only through ``lab.untrusted.quote``.
"""
from __future__ import annotations

TEXT_FIELDS = ("name", "char", "part", "found", "suggestion")

_ENGLISH = {
    "empty": "the formula is empty",
    "too_long": "the formula is {length} characters long; at most {limit} are allowed",
    "too_deep": "parentheses, functions and exponents nest more than {limit} deep",
    "bad_character": "the character {char} ({unicode}) cannot be part of a formula",
    "unknown_name": "{name} is not a name the formula language knows",
    "not_a_function": "{name} is not a function, so it cannot take an argument in parentheses",
    "needs_argument": "the function {name} needs its argument in parentheses, as in {name}(x)",
    "missing_operand": "a number, x, y, a function or '(' is missing before {found}",
    "ends_early": "the formula ends where a number, x, y, a function or '(' should follow",
    "missing_operator": "an operator (+ - * / ^) is missing before {found}",
    "unclosed": "this '(' is never closed",
    "unopened": "this ')' closes nothing",
    "not_finite_part": "{part} has no finite value (it is {value})",
    "not_finite": "the formula is not finite anywhere in the window",
    "constant": "the formula is constant in the window: there is no slope to descend",
    "too_complex": "the formula and its derivatives need more than {limit} operations",
    "bounds_shape": "bounds = {value} is not a window ((x0, x1), (y0, y1))",
    "bounds_range": "bounds: {field} = {value} is out of range; allowed a number from -{limit} to {limit}",
    "bounds_order": "bounds: {axis}1 = {hi} must be greater than {axis}0 = {lo}",
    "start_shape": "start = {value} is not a point (x, y)",
    "start_outside": "start: ({x}, {y}) is outside the window",
    "start_not_finite": "start: at ({x}, {y}) the formula or its slope is not finite",
}


class FormulaError(ValueError):
    """A refused formula. ``pos`` is the 0-based index of the offending character (None: the whole
    formula or a setting beside it)."""

    def __init__(self, code: str, pos: int | None = None, **fields):
        self.code, self.pos, self.fields = code, pos, fields
        shown = {k: repr(v) if k in TEXT_FIELDS else v for k, v in fields.items()}
        where = "" if pos is None else f" (at character {pos + 1})"
        super().__init__(f"formula: {_ENGLISH[code].format(**shown)}{where}")
