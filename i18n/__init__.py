"""Every visible string of the app, one catalog per language (i18n/<lang>.toml).

Keys are dotted (``playground.title``: table ``[playground]``, key ``title``). Values are
``str.format`` templates: ``text("sweep.running", "en", runs=3)``. Both catalogs hold the same
keys (tests/test_i18n.py checks it), so a missing key is a bug, not a fallback.
This module knows nothing of Streamlit: figures take a ``lang`` argument and call ``text``.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

LANGUAGES = {"en": "English", "zh-TW": "繁體中文"}
DEFAULT = "en"
FOLDER = Path(__file__).resolve().parent


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    out = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            out.update(_flatten(value, key + "."))
        else:
            out[key] = str(value)
    return out


@lru_cache(maxsize=None)
def catalog(lang: str = DEFAULT) -> dict[str, str]:
    """The flattened catalog of one language (read once per process)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang: {lang!r} is not a language here; allowed {', '.join(LANGUAGES)}")
    with open(FOLDER / f"{lang}.toml", "rb") as handle:
        return _flatten(tomllib.load(handle))


def text(key: str, lang: str = DEFAULT, /, **fields) -> str:
    """The string for ``key`` in ``lang``, with ``fields`` filled in."""
    template = catalog(lang)[key]
    return template.format(**fields) if fields else template


def valid(lang) -> str:
    """``lang`` when it names a catalog, else the default (for values read from links)."""
    return lang if lang in LANGUAGES else DEFAULT
