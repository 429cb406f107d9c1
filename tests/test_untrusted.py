"""lab.untrusted: echoed values are shown literally (checked with a CommonMark reading of code spans)."""
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab.untrusted import LIMIT, quote, visible


def code_span_content(markdown: str) -> str:
    """The content of a Markdown text that must be exactly one code span (CommonMark 6.1)."""
    fence = re.match("`+", markdown).group(0)
    assert markdown.endswith(fence) and len(markdown) > 2 * len(fence)
    inner = markdown[len(fence):-len(fence)]
    assert f"`{fence}" not in inner and not re.search(f"(?<!`){fence}(?!`)", inner), "the fence closes early"
    if inner.startswith(" ") and inner.endswith(" ") and inner.strip(" "):
        inner = inner[1:-1]
    return inner


@pytest.mark.parametrize("value", [
    "**Exam answers:** [click here](http://evil.example/x) ![t](http://evil.example/p.png)",
    "<img src=x onerror=alert(1)>", "javascript:alert(1)", "`", "``a``", " ` ", "$x^2$", ":red[alert]",
])
def test_quote_shows_the_value_character_for_character(value):
    assert code_span_content(quote(value)) == visible(value)
    assert visible(value) == value or len(value) > LIMIT


@given(st.text(min_size=1, max_size=LIMIT))
def test_quote_round_trips_any_visible_text(value):
    assert code_span_content(quote(value)) == visible(value)


def test_invisible_characters_are_written_as_escapes():
    assert visible("a\u202eb\u200bc\nd") == "a\\u202eb\\u200bc\\nd"
    assert visible("x\u2028y") == "x\\u2028y"


def test_long_values_are_cut_to_the_limit():
    assert visible("x" * 10_000) == "x" * (LIMIT - 1) + "…"
    assert len(visible("y" * 500, limit=30)) == 30


def test_empty_value_shows_as_empty_quotes():
    assert quote("") == '`""`'


def test_limit_below_one_is_refused_with_its_range():
    with pytest.raises(ValueError, match="limit = 0 is out of range"):
        visible("a", limit=0)
