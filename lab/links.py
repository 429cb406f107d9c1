"""How a view's settings are written in a link and read back (no Streamlit here).

Each linked setting is a Field: its key (the widget's key, which is also the query parameter's
name), its default, a ``parse`` that turns the link's text into a value or raises ValueError
with a message naming the field, the value and what is allowed, and a ``format`` that writes
a value so that ``parse(format(v)) == v``, and a ``rule``: the same check as plain JSON data, from
which ``from_rule`` builds the field again elsewhere (a class room checks a student's run against
the fields its question allows, in another process). Only values that differ from their defaults go into
a link, which keeps links short and lets defaults improve later.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from lab.untrusted import quote


class LinkValueError(ValueError):
    """A link's value a field cannot use. The message is English, safe to show as Markdown (the key and
    the value quoted); ``rule`` and ``fields`` let a page say the same in its own language (catalog key
    ``links.<rule>`` with those fields, the key and ``raw`` quoted there too)."""

    def __init__(self, key: str, raw: str, rule: str, message: str, **fields):
        super().__init__(f"{quote(key)} = {quote(raw)} is not {message}")
        self.key, self.raw, self.rule, self.fields = key, raw, rule, fields


@dataclass(frozen=True)
class Field:
    key: str
    default: Any
    parse: Callable[[str], Any]
    format: Callable[[Any], str]
    rule: dict = field(default=None, compare=False, hash=False)  # JSON data: ``from_rule(key, rule)`` rebuilds it


def _number_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    return repr(float(value))  # shortest text that reads back to the same float


def _option_text(option, format_func=None) -> str:
    if isinstance(option, str):
        return option
    if isinstance(option, (int, float)):
        return _number_text(option)
    return str(format_func(option) if format_func else option)


def _plain(value, format_func=None):
    """``value`` as JSON data: numbers and strings as they are, anything else by its text."""
    if isinstance(value, (str, int, float)):
        return value
    return _option_text(value, format_func)


def choice_field(key: str, options: list, default, format_func=None) -> Field:
    """One of ``options``, written by its own text (numbers as numbers, so 1e-2 and 0.01 both read)."""
    texts = [_option_text(o, format_func) for o in options]
    rule = {"kind": "choice", "options": [_plain(o, format_func) for o in options],
            "default": None if default is None else _plain(default, format_func)}

    def parse(raw: str):
        if raw in texts:
            return options[texts.index(raw)]
        try:
            number = float(raw)
        except ValueError:
            number = None
        for option in options:
            if number is not None and isinstance(option, (int, float)) and not isinstance(option, bool) \
                    and math.isclose(float(option), number, rel_tol=1e-12, abs_tol=0.0):
                return option
        shown = ", ".join(texts[:12]) + (", …" if len(texts) > 12 else "")
        raise LinkValueError(key, raw, "choices", f"one of the choices ({shown})", choices=shown)

    return Field(key, default, parse, lambda v: _option_text(v, format_func), rule)


def number_field(key: str, lo, hi, default) -> Field:
    """A number from ``lo`` to ``hi`` (an integer when the default is one)."""
    integer = isinstance(default, int) and not isinstance(default, bool)

    def parse(raw: str):
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not lo <= value <= hi or (integer and value != int(value)):
            rule, kind = ("integer", "an integer") if integer else ("number", "a number")
            raise LinkValueError(key, raw, rule, f"{kind} from {lo:g} to {hi:g}", lo=f"{lo:g}", hi=f"{hi:g}")
        return int(value) if integer else value

    return Field(key, default, parse, _number_text, {"kind": "number", "lo": lo, "hi": hi, "default": default})


def bool_field(key: str, default: bool) -> Field:
    def parse(raw: str) -> bool:
        if raw.lower() in ("1", "true", "on", "yes"):
            return True
        if raw.lower() in ("0", "false", "off", "no"):
            return False
        raise LinkValueError(key, raw, "switch", "on or off (1 or 0)")

    return Field(key, bool(default), parse, lambda v: "1" if v else "0", {"kind": "switch", "default": bool(default)})


def text_field(key: str, default: str, max_length: int = 200) -> Field:
    def parse(raw: str) -> str:
        if len(raw) > max_length:
            raise LinkValueError(key, raw[:20] + "…", "length", f"at most {max_length} characters long",
                                 n=max_length)
        return raw

    return Field(key, default, parse, str, {"kind": "text", "max_length": max_length, "default": default})


def many_field(key: str, options: list, default, format_func=None) -> Field:
    """Several of ``options``, comma-separated in the link; an unknown one fails the whole field."""
    single = choice_field(key, options, None, format_func)

    def parse(raw: str) -> list:
        return [single.parse(part) for part in raw.split(",") if part]

    return Field(key, list(default), parse, lambda values: ",".join(single.format(v) for v in values),
                 {"kind": "many", "options": single.rule["options"], "default": [_plain(v, format_func) for v in default]})


def from_rule(key: str, rule: dict) -> Field:
    """The field that ``rule`` (a Field's ``rule``) describes, under ``key``; ValueError for a rule that is not one."""
    try:
        kind = rule["kind"]
        if kind == "number":
            return number_field(key, rule["lo"], rule["hi"], rule["default"])
        if kind == "choice":
            return choice_field(key, list(rule["options"]), rule["default"])
        if kind == "switch":
            return bool_field(key, rule["default"])
        if kind == "text":
            return text_field(key, rule["default"], int(rule["max_length"]))
        if kind == "many":
            return many_field(key, list(rule["options"]), list(rule["default"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{key}: {rule!r} is not a field rule ({exc})") from None
    raise ValueError(f"{key}: {kind!r} is not a kind of field; allowed number, choice, switch, text, many")


def query(fields: dict[str, Field], values) -> dict[str, str]:
    """{key: text} for every field whose value (looked up in ``values``) differs from its default."""
    out = {}
    for key, field in fields.items():
        if key in values and values[key] != field.default:
            out[key] = field.format(values[key])
    return out
