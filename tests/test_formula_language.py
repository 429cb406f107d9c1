"""The formula language: what the grammar reads and how, and every refusal with its position."""
import math

import numpy as np
import pytest

from surfaces.formula import FormulaError, from_formula, prepare
from surfaces.formula.parse import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, parse


def value(text, x=0.7, y=-1.3):
    return float(prepare(text).loss(np.float64(x), np.float64(y)))


@pytest.mark.parametrize("text, expected", [
    ("-x^2", -(0.7 ** 2)),                      # the power binds tighter than the sign
    ("2^3^2", 2.0 ** 9),                        # right-associative
    ("2**3**2", 2.0 ** 9),                      # ** is ^
    ("x^-2", 0.7 ** -2),                        # a signed exponent
    ("--x", 0.7),
    ("-+-x", 0.7),
    ("x - y - 1", 0.7 + 1.3 - 1),               # left-associative
    ("x / y / 2", 0.7 / -1.3 / 2),
    ("2 * (x + y)", 2 * (0.7 - 1.3)),
    ("1e-3 * x + .5 + 2.", 1e-3 * 0.7 + 0.5 + 2.0),
    ("2E+1", 20.0),
    ("pi * e", math.pi * math.e),
    ("e^x", math.exp(0.7)),
    ("\tx +\n y ", 0.7 - 1.3),
    ("sin(x) + cos(y) + tan(x) + exp(y) + log(x) + sqrt(x) + abs(y) + tanh(x) + sinh(y) + cosh(x) + arctan(y)",
     math.sin(0.7) + math.cos(-1.3) + math.tan(0.7) + math.exp(-1.3) + math.log(0.7) + math.sqrt(0.7) + 1.3
     + math.tanh(0.7) + math.sinh(-1.3) + math.cosh(0.7) + math.atan(-1.3)),
    ("x^2.5", 0.7 ** 2.5),
    ("x^y", 0.7 ** -1.3),
    ("(((x)))", 0.7),
])
def test_formula_reads_as_written(text, expected):
    assert value(text) == pytest.approx(expected, rel=1e-15)


def test_every_listed_function_is_admitted():
    for name in FUNCTIONS:
        assert np.isfinite(value(f"{name}(x) + y", x=0.5))


@pytest.mark.parametrize("text, code, position", [
    ("", "empty", None),
    ("   ", "empty", None),
    ("x" * (MAX_LENGTH + 1), "too_long", MAX_LENGTH),
    ("(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "too_deep", MAX_DEPTH),
    ("sin(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1), "too_deep", 4 * MAX_DEPTH + 3),
    ("x" + "^x" * (MAX_DEPTH + 1), "too_deep", 1 + 2 * MAX_DEPTH),
    ("x + foo", "unknown_name", 4),
    ("x + ln(y)", "unknown_name", 4),
    ("x # y", "bad_character", 2),
    ("x(2)", "not_a_function", 0),
    ("pi(2)", "not_a_function", 0),
    ("sin x", "needs_argument", 0),
    ("x + * y", "missing_operand", 4),
    ("()", "missing_operand", 1),
    ("x +", "ends_early", 3),
    ("2x", "missing_operator", 1),
    ("x y", "missing_operator", 2),
    ("(x + 1", "unclosed", 0),
    ("x + 1)", "unopened", 5),
    ("(x)(y)", "missing_operator", 3),
    ("x + 9**9**9", "not_finite_part", 4),
    ("x + 1/0", "not_finite_part", 4),
    ("log(0) + x", "not_finite_part", 0),
    ("x + sqrt(-1)", "not_finite_part", 4),
    ("x + 1e999", "not_finite_part", 4),
])
def test_refusal_names_what_and_where(text, code, position):
    with pytest.raises(FormulaError) as caught:
        prepare(text)
    assert (caught.value.code, caught.value.pos) == (code, position)
    if position is not None:
        assert f"at character {position + 1}" in str(caught.value)


def test_unknown_name_suggests_the_allowed_one():
    for typed, meant in (("ln(x)", "log"), ("atan(x)", "arctan"), ("X^2", "x"), ("Sin(x)", "sin")):
        with pytest.raises(FormulaError) as caught:
            prepare(typed)
        assert caught.value.fields["suggestion"] == meant


def test_a_part_without_finite_value_is_named_with_its_text():
    with pytest.raises(FormulaError) as caught:
        prepare("x^2 + (9^9^9)")
    assert caught.value.fields["part"] == "(9^9^9)" and caught.value.fields["value"] == "inf"


@pytest.mark.parametrize("text, code", [
    ("x - x", "constant"), ("0*x + 3", "constant"), ("sin(x)^2 + cos(x)^2", "constant"), ("2 + pi", "constant"),
    ("log(-1 - x^2 - y^2)", "not_finite"), ("sqrt(-1 - abs(x))", "not_finite"),
])
def test_constant_or_nowhere_finite_formulas_are_refused(text, code):
    with pytest.raises(FormulaError) as caught:
        from_formula(text)
    assert caught.value.code == code and caught.value.pos is None


@pytest.mark.parametrize("bounds, code, fields", [
    (((1, -1), (-1, 1)), "bounds_order", {"axis": "x", "lo": "1", "hi": "-1"}),
    (((-1, 1), (2, 2)), "bounds_order", {"axis": "y", "lo": "2", "hi": "2"}),
    (((-1, float("nan")), (-1, 1)), "bounds_range", {"field": "x1", "value": "nan", "limit": "1e+06"}),
    (((-2e6, 1), (-1, 1)), "bounds_range", {"field": "x0", "value": "-2000000.0", "limit": "1e+06"}),
    ((("a", 1), (-1, 1)), "bounds_range", {"field": "x0", "value": "a", "limit": "1e+06"}),
    (((-1, 1),), "bounds_shape", {"value": "((-1, 1),)"}),
])
def test_bad_window_names_the_field_and_value(bounds, code, fields):
    with pytest.raises(FormulaError) as caught:
        from_formula("x^2 + y^2", bounds=bounds)
    assert (caught.value.code, caught.value.fields) == (code, fields)


def test_start_outside_the_window_or_where_not_finite_is_refused():
    with pytest.raises(FormulaError) as caught:
        from_formula("x^2 + y^2", bounds=((-1, 1), (-1, 1)), start=(2, 0))
    assert (caught.value.code, caught.value.fields) == ("start_outside", {"x": "2", "y": "0"})
    with pytest.raises(FormulaError) as caught:
        from_formula("log(x) + y^2", bounds=((-1, 1), (-1, 1)), start=(-0.5, 0))
    assert caught.value.code == "start_not_finite"


def test_default_window_and_start():
    surf = from_formula("x^2 + y^2")
    assert surf.bounds == ((-3.0, 3.0), (-3.0, 3.0))
    np.testing.assert_allclose(surf.start, [1.8, 1.8], rtol=1e-15)  # 80 % of the way across, where the slope is not zero
    flat_corner = from_formula("log(x) + y^2", bounds=((-1, 1), (-1, 1)))  # the first corner candidates are fine
    assert flat_corner.start[0] > 0


def test_default_start_skips_points_without_a_finite_slope():
    surf = from_formula("sqrt(1 - x) + y^2", bounds=((0, 2), (-1, 1)))  # not finite for x > 1
    assert surf.start[0] <= 1.0 and np.isfinite(surf.grad(surf.start)).all()


def test_latex_shows_how_the_text_was_read():
    assert prepare("-x^2 + (x*y)/2").latex == r"-x^{2} + \frac{x \cdot y}{2}"
    assert prepare("(-x)^2 - log(y) * 1e-3").latex == r"\left(-x\right)^{2} - \ln\left(y\right) \cdot 10^{-3}"
    assert prepare("sqrt(abs(x)) + pi").latex == r"\sqrt{\left|x\right|} + \pi"


def test_parse_tree_positions_cover_the_text():
    tree = parse("  sin(x) * 2")
    assert (tree.kind, tree.pos, tree.end) == ("product", 2, 12)
    assert (tree.args[0].kind, tree.args[0].pos, tree.args[0].end) == ("call", 2, 8)


def test_prepared_formula_is_cached_by_text():
    assert prepare("x^2 + 3*y^2") is prepare("x^2 + 3*y^2")
