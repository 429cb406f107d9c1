"""Text that a link or a text box supplied, made safe to show inside Markdown.

Streamlit renders notes, warnings and captions as Markdown (links, images, bold, LaTeX, colour
directives, autolinked URLs). A value that came from outside is therefore never pasted into
Markdown as it is: ``quote`` puts it in a code span, which Markdown shows character for
character, and ``visible`` first turns invisible characters (controls, bidirectional overrides,
zero-width marks) into escapes and cuts the value to a length a note can hold.
"""
from __future__ import annotations

import re
import unicodedata

LIMIT = 80  # characters of an echoed value; enough to recognise it, too few to carry a message


def visible(value, limit: int = LIMIT) -> str:
    """``value`` as one line of visible characters, at most ``limit`` long (cut with "…").

    Characters of Unicode category C (controls, format characters such as U+202E or U+200B,
    surrogates, private use, unassigned) and line or paragraph separators are written as
    Python escapes (``\\u202e``), so nothing in an echoed value can reorder or hide text."""
    if limit < 1:
        raise ValueError(f"visible: limit = {limit} is out of range; allowed limit >= 1")
    out = []
    for ch in str(value):
        category = unicodedata.category(ch)
        out.append(ch.encode("unicode_escape").decode("ascii") if category[0] == "C" or category in ("Zl", "Zp")
                   else ch)
    text = "".join(out)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def quote(value, limit: int = LIMIT) -> str:
    """Markdown that shows ``visible(value, limit)`` literally: an inline code span.

    The fence is one backtick longer than the longest run of backticks inside, and the content is
    padded with one space on each side (CommonMark strips exactly those; it strips nothing from a
    span of spaces only, so that gets no padding), so no value can close the span early. An empty
    value shows as an empty pair of quotes."""
    text = visible(value, limit)
    if not text:
        return '`""`'
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = "" if not text.strip(" ") else " "
    return f"{fence}{pad}{text}{pad}{fence}"
