"""The lecture tour: scenes read from lab/tour.toml (data, so that an instructor can add one)."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import i18n

SCENES_FILE = Path(__file__).with_name("tour.toml")
PREVIEWS = ("", "map", "diagnostics")


@dataclass(frozen=True)
class Scene:
    id: str
    page: str  # a page file stem: pages/<page>.py
    link: tuple  # ((query parameter, text), ...) as that page writes its links
    text: tuple  # ((lang, title, explanation), ...)
    preview: str = ""  # "map" or "diagnostics": a Playground figure drawn in the tour

    def title(self, lang: str) -> str:
        return dict((code, title) for code, title, _ in self.text)[lang]

    def explanation(self, lang: str) -> str:
        return dict((code, body) for code, _, body in self.text)[lang]

    def query(self, lang: str) -> dict[str, str]:
        """The link's query string, with the language when it is not the default."""
        return {**dict(self.link), **({"lang": lang} if lang != i18n.DEFAULT else {})}


def parse(data: dict, pages: set[str] | None = None) -> tuple[Scene, ...]:
    """Scenes from the TOML structure; a message names the scene and the field that is wrong."""
    scenes = []
    for k, raw in enumerate(data.get("scene", [])):
        where = f"scene {k + 1} ({raw.get('id', 'no id')})"
        for name in ("id", "page", "text"):
            if name not in raw:
                raise ValueError(f"{where}: field {name!r} is missing")
        if pages is not None and raw["page"] not in pages:
            raise ValueError(f"{where}: page={raw['page']!r} is not a page; allowed {', '.join(sorted(pages))}")
        if raw.get("preview", "") not in PREVIEWS or (raw.get("preview") and raw["page"] != "playground"):
            raise ValueError(f"{where}: preview={raw.get('preview')!r}; allowed 'map' or 'diagnostics', "
                             "on playground scenes only")
        missing = [code for code in i18n.LANGUAGES if not {"title", "text"} <= set(raw["text"].get(code, {}))]
        if missing:
            raise ValueError(f"{where}: title and text are missing in {', '.join(missing)}")
        text = tuple((code, raw["text"][code]["title"], raw["text"][code]["text"]) for code in i18n.LANGUAGES)
        link = tuple((str(key), str(value)) for key, value in raw.get("link", {}).items())
        scenes.append(Scene(raw["id"], raw["page"], link, text, raw.get("preview", "")))
    if len({s.id for s in scenes}) != len(scenes):
        raise ValueError("scene ids must be unique")
    return tuple(scenes)


@lru_cache(maxsize=1)
def scenes() -> tuple[Scene, ...]:
    pages = {p.stem for p in (SCENES_FILE.parents[1] / "pages").glob("*.py")}
    with open(SCENES_FILE, "rb") as handle:
        return parse(tomllib.load(handle), pages)
