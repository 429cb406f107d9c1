"""Lecture tour: the lecture's demos in order, one scene at a time, each opening its exact set-up."""
from __future__ import annotations

import streamlit as st

from lab.playground import view_from_link
from lab.tour import scenes
from ui import links
from ui.i18n import lang, t
from ui.page import finish, setup
from ui.plot import show, show_map
from ui.views import MAP_HEIGHT, diagnostics_part, map_part

setup("tour")

CHART = {"displaylogo": False}
SCENES = scenes()


def preview(scene, language: str) -> None:
    """The scene's Playground figure, from the Playground's own cached core calls (and cache)."""
    view = view_from_link(dict(scene.link))
    key = repr(view)
    if scene.preview == "diagnostics":
        show(diagnostics_part(key, language, True, view), key="preview", config=CHART)
    else:
        part, anim = map_part(key, language, view)
        show_map(part, anim, key="preview", height=MAP_HEIGHT, config=CHART)


def move(by: int) -> None:
    st.session_state["scene"] = min(max(st.session_state["scene"] + by, 0), len(SCENES) - 1)


language = lang()
st.title(t("tour.title"))
st.caption(t("tour.intro"))

index = links.select(st.selectbox, t("tour.scene"), range(len(SCENES)), 0, key="scene",
                     format_func=lambda k: f"{k + 1}. {SCENES[k].title(language)}", help=t("tour.scene_help"))
scene = SCENES[index]
back, forward, open_it = st.columns([1, 1, 3])
back.button(t("tour.previous"), on_click=move, args=(-1,), disabled=index == 0, width="stretch")
forward.button(t("tour.next"), on_click=move, args=(1,), disabled=index == len(SCENES) - 1, width="stretch")
open_it.button(t("tour.open", page=t(f"nav.{scene.page}")), type="primary", key="open_scene",
               on_click=st.session_state.update, args=({"_open_scene": scene.id},))
# Opened from a flag set by the click, not from the button's value: a click is gone after a rerun,
# and a page may rerun once before it draws (ui.navigation).
if st.session_state.pop("_open_scene", None) == scene.id:
    st.switch_page(f"pages/{scene.page}.py", query_params=scene.query(language))

st.header(t("tour.heading", n=index + 1, total=len(SCENES), title=scene.title(language)))
st.markdown(scene.explanation(language))
if scene.preview:
    preview(scene, language)
st.caption(t("tour.add_scene"))
finish()
