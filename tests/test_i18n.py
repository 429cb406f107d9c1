"""The catalogs: same keys, same fields, every key the code asks for exists, Chinese where it should be."""
from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

import i18n

ROOT = Path(__file__).resolve().parents[1]
CODE = [p for d in ("pages", "figures", "lab", "ui", "batchlab") for p in (ROOT / d).glob("*.py")] + [ROOT / "app.py"]
LITERAL_KEY = re.compile(r"""\b(?:t|text)\(\s*["']([a-z_0-9]+(?:\.[a-z_0-9]+)+)["']""")
HAN = re.compile(r"[\u4e00-\u9fff]")


class Anything:
    """A field value that accepts any format spec ({n:,}, {seconds:.1f})."""

    def __format__(self, spec):
        return "x"


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_catalogs_have_the_same_keys():
    en, zh = i18n.catalog("en"), i18n.catalog("zh-TW")
    assert set(en) - set(zh) == set(), "keys missing from zh-TW.toml"
    assert set(zh) - set(en) == set(), "keys missing from en.toml"
    assert len(en) > 100


@pytest.mark.parametrize("lang", list(i18n.LANGUAGES))
def test_every_template_formats_with_the_same_fields_as_english(lang):
    en = i18n.catalog("en")
    for key, template in i18n.catalog(lang).items():
        assert fields(template) == fields(en[key]), key
        i18n.text(key, lang, **{name: Anything() for name in fields(template)})  # no stray braces


def test_every_key_written_in_the_code_exists():
    known = set(i18n.catalog("en"))
    used = {key for path in CODE for key in LITERAL_KEY.findall(path.read_text(encoding="utf-8"))}
    assert used, "the pattern found no keys: the test would pass vacuously"
    assert sorted(used - known) == []


def test_chinese_catalog_is_chinese_and_english_is_not():
    zh, en = i18n.catalog("zh-TW"), i18n.catalog("en")
    prose = [k for k, v in en.items() if len(re.findall(r"[A-Za-z]{3,}", v)) >= 4]  # sentences, not symbols
    untranslated = [k for k in prose if not HAN.search(zh[k])]
    assert untranslated == []
    assert [k for k, v in en.items() if HAN.search(v)] == []


def test_taiwan_usage_not_mainland_terms():
    mainland = ("数据", "内存", "默认", "程序", "信息", "视频", "文件", "优化", "设置")
    hits = {k: v for k, v in i18n.catalog("zh-TW").items() if any(w in v for w in mainland)}
    assert hits == {}


def test_unknown_language_and_key_are_errors_not_fallbacks():
    with pytest.raises(ValueError, match="lang"):
        i18n.catalog("fr")
    with pytest.raises(KeyError):
        i18n.text("no.such.key", "en")
    assert i18n.valid("zh-TW") == "zh-TW" and i18n.valid("xx") == "en" and i18n.valid(None) == "en"


def test_every_control_optimizer_schedule_and_surface_is_explained_in_every_language():
    import optimizers
    import surfaces
    from optimizers.catalog import text_keys
    from optimizers.latex import update_rule

    keys = text_keys()  # what the optimizers' registry needs: titles, short names, descriptions, control help
    assert {f"optimizer.{n}.description" for n in optimizers.names()} <= set(keys)
    for lang in i18n.LANGUAGES:
        cat = i18n.catalog(lang)
        assert [k for k in keys if not cat.get(k)] == [], lang
        for name in optimizers.names():
            assert len(cat[f"optimizer.{name}.description"]) > 15
            assert "\\theta" in update_rule(optimizers.get(name))  # and its formula
        assert all(len(cat[f"schedule.{k}.description"]) > 15 for k in optimizers.schedule_names())
        assert all(cat[f"surface.{n}.title"] and cat[f"surface.{n}.description"] for n in surfaces.names())
