"""Hostile formulas: each is refused by the parser, with a reason, and nothing of it is ever executed.

Two independent checks that nothing runs: inputs that would create a marker file if any part of them
were executed as Python leave no file behind, and while they are refused, Python's ways to run or load
code (eval, exec, compile, __import__, open) are replaced by traps that fail the test when called.
The time each refusal takes is measured by ``python -m benchmarks.formula`` (no timed assertions here).
"""
import builtins
import contextlib

import pytest

from surfaces.formula import FormulaError, from_formula

MARKER = "MARKER_PATH"

HOSTILE = [
    # Python that would run code or reach the system
    f"__import__('os').system('touch {MARKER}')",
    f"open('{MARKER}', 'w')",
    f"exec(\"open('{MARKER}', 'w')\")",
    f"eval(\"open('{MARKER}', 'w')\")",
    "compile('1', 'f', 'eval')",
    f"os.system('touch {MARKER}')",
    "import os",
    "x; import os",
    "__builtins__",
    "globals()",
    "breakpoint()",
    "getattr(x, 'real')",
    # attribute access and dunders
    "x.real",
    "x.__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "sin.__globals__",
    "(1).__add__(x)",
    # lambdas, comprehensions, f-strings, other syntax
    f"(lambda: open('{MARKER}', 'w'))()",
    f"[open('{MARKER}', 'w') for _ in 'a']",
    f"{{open('{MARKER}', 'w')}}",
    f"f'{{open(\"{MARKER}\", \"w\")}}'",
    "x if y else 1",
    "x and y",
    "not x",
    "x == y",
    "x % 2",
    "x // 2",
    "x @ y",
    "x[0]",
    "x, y",
    "'x'",
    "x # comment",
    "\\x",
    "max(x, y)",
    "sum(x)",
    # values that blow up and sizes beyond the limits
    "9**9**9",
    "x^(9^9^9)",
    "10^400 * x",
    "x + 1e99999",
    "(" * 60 + "x" + ")" * 60,
    "sin(" * 60 + "x" + ")" * 60,
    "^".join(["x"] * 60),
    "x" * 10_000,
    "x+" * 5_000 + "x",
    # invisible, bidirectional and look-alike characters
    "x\u202e+y",
    "x\u200b+y",
    "x\u2066+y\u2069",
    "\ufeffx+y",
    "\u0445^2 + y^2",      # Cyrillic х
    "x^2 + \u0443^2",      # Cyrillic у
    "\uff58^2 + y^2",      # fullwidth ｘ
    "\U0001d465^2 + y^2",  # mathematical italic 𝑥
    "x\u00b2 + y",         # superscript two
    "\u0661 + x",          # Arabic-Indic digit one
    "x\u00a0+ y",          # no-break space
    "x\x00+y",
    # nothing at all
    "",
    " \t ",
]


@contextlib.contextmanager
def traps(called: list):
    """eval, exec, compile, __import__ and open replaced, for the duration, by traps that record a call."""
    names = ("eval", "exec", "compile", "__import__", "open")
    saved = {name: getattr(builtins, name) for name in names}

    def trap(name):
        def called_trap(*args, **kwargs):
            called.append(name)
            raise AssertionError(f"{name} was called while a hostile formula was read")
        return called_trap

    try:
        for name in names:
            setattr(builtins, name, trap(name))
        yield
    finally:
        for name, function in saved.items():
            setattr(builtins, name, function)


def test_there_are_at_least_forty_hostile_inputs():
    assert len(HOSTILE) >= 40 and len(set(HOSTILE)) == len(HOSTILE)


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_formula_is_refused_and_nothing_runs(text, tmp_path):
    marker = tmp_path / "marker"
    text = text.replace(MARKER, str(marker))
    called = []
    with pytest.raises(FormulaError) as caught, traps(called):
        from_formula(text)
    assert called == []
    assert not marker.exists()
    error = caught.value
    assert error.code in ("empty", "too_long", "too_deep", "bad_character", "unknown_name", "not_a_function",
                          "needs_argument", "missing_operand", "missing_operator", "ends_early", "unclosed",
                          "unopened", "not_finite_part")
    assert (error.pos is None) == (error.code == "empty")


@pytest.mark.parametrize("text, name", [("\u0445^2 + y^2", "CYRILLIC SMALL LETTER HA"),
                                        ("x\u202e+y", "RIGHT-TO-LEFT OVERRIDE"), ("x\u200b+y", "ZERO WIDTH SPACE")])
def test_look_alike_and_invisible_characters_are_named(text, name):
    with pytest.raises(FormulaError) as caught:
        from_formula(text)
    assert caught.value.code == "bad_character" and name in caught.value.fields["unicode"]
