"""The export panel: a view's trajectories as CSV, its figures as HTML, its animation as GIF or MP4.

CSV and HTML are produced only when their button is clicked (Streamlit runs a callable ``data`` on
download), so a rerun costs nothing for them. The animation is rendered on request under a progress
bar; its bytes stay in ``st.session_state`` for this panel (one animation per panel), so reruns offer
the same file until the view or the settings change.
"""
from __future__ import annotations

import hashlib
import re
import time

import streamlit as st

from figures.animation import DEFAULTS, FRAMES, LABELS, MIME, animation
from figures.export import chart_config, figure_html
from lab.exports import runs_csv
from ui.i18n import t

SIZES = ((640, 480), (960, 720), (1280, 720), (1920, 1080))
FPS_MAX = 50  # the GIF limit (browsers slow faster GIFs down); MP4 allows 60 but one range keeps the widget simple


def _file_size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{max(1, round(n / 1e3))} kB"


def _slug(name: str, fallback: str) -> str:
    return re.sub(r"[^0-9a-z]+", "-", name.lower()).strip("-") or fallback


def fingerprint(surface, runs) -> str:
    """A short hash of what the animation shows: the surface and each run's label, colour and path."""
    h = hashlib.blake2b(digest_size=12)
    h.update(repr((surface.name, surface.settings, surface.bounds)).encode())
    for run in runs:
        h.update(repr((run.label, run.color, run.diverged_at, len(run.steps))).encode())
        h.update(run.path.tobytes())
        h.update(run.steps.tobytes())
    return h.hexdigest()


def _downloads(surface, runs, figures: dict, key: str):
    base = f"descent-lab-{_slug(surface.name, 'surface')}"
    columns = st.columns(1 + len(figures))
    columns[0].download_button(t("exports.csv"), data=lambda: runs_csv(runs, surface), file_name=f"{base}-runs.csv",
                               mime="text/csv", key=f"{key}_csv", help=t("exports.csv_help"), on_click="ignore")
    for i, (name, fig) in enumerate(figures.items()):
        title, stem = t("exports.html_title", name=name), f"{base}-{_slug(name, f'figure-{i + 1}')}"
        columns[i + 1].download_button(
            t("exports.html", name=name), file_name=f"{stem}.html", mime="text/html", key=f"{key}_html_{i}",
            data=lambda fig=fig, title=title, stem=stem: figure_html(fig, title=title, config=chart_config(stem)),
            help=t("exports.html_help"), on_click="ignore")
    st.caption(t("exports.png_hint"))


def _settings(key: str):
    fmt_col, size_col, frames_col, fps_col = st.columns(4)
    fmt = fmt_col.radio(t("exports.format"), ("gif", "mp4"), format_func=lambda f: t(f"exports.{f}"), horizontal=True,
                        key=f"{key}_fmt",
                         help=t("exports.format_help"))
    size = size_col.selectbox(t("exports.size"), SIZES, index=SIZES.index(DEFAULTS["size"]),
                              format_func=lambda s: f"{s[0]} × {s[1]}", key=f"{key}_size",
                              help=t("exports.size_help"))
    frames = frames_col.number_input(t("exports.frames"), FRAMES[0], FRAMES[1], DEFAULTS["frames"], step=10,
                                     key=f"{key}_frames", help=t("exports.frames_help"))
    fps = fps_col.number_input(t("exports.fps"), 1, FPS_MAX, DEFAULTS["fps"], key=f"{key}_fps",
                               help=t("exports.fps_help"))
    return fmt, tuple(size), int(frames), int(fps)


def export_panel(surface, runs, figures: dict, key: str) -> None:
    """Download buttons for ``runs`` (RunViews) on ``surface``: CSV of the trajectories, each of
    ``figures`` ({name: go.Figure}) as HTML, and the map animation rendered as GIF or MP4 on request.
    ``key`` prefixes every widget key and names the panel's rendered file in the session state."""
    _downloads(surface, runs, figures, key)
    st.markdown("**" + t("exports.animation") + "**")
    fmt, size, frames, fps = _settings(key)
    wanted = (fingerprint(surface, runs), fmt, size, frames, fps)
    state = f"{key}_rendered"
    label = t(f"exports.{fmt}")
    if st.button(t("exports.render", fmt=label), key=f"{key}_render"):
        bar = st.progress(0.0, text=t("exports.rendering", fmt=label, percent=0))
        shown = [-1]

        def progress(fraction: float):
            percent = int(fraction * 100)
            if percent != shown[0]:  # one message per percent, not per frame
                shown[0] = percent
                bar.progress(fraction, text=t("exports.rendering", fmt=label, percent=percent))

        started = time.perf_counter()
        try:
            labels = {name: t(f"exports.frame_{name}") for name in LABELS}
            data = animation(surface, runs, fmt=fmt, frames=frames, size=size, fps=fps, progress=progress,
                             labels=labels)
        except (ValueError, RuntimeError, OSError) as error:
            st.session_state.pop(state, None)
            st.error(t("exports.failed", error=error))
        else:
            # One rendered file per panel: a new one replaces the last (bounded session memory).
            st.session_state[state] = {"id": wanted, "data": data, "seconds": time.perf_counter() - started}
        bar.empty()
    done = st.session_state.get(state)
    if done is not None and done["id"] == wanted:
        st.download_button(t("exports.download", fmt=label, size=_file_size(len(done["data"]))), data=done["data"],
                           file_name=f"descent-lab-{_slug(surface.name, 'surface')}.{fmt}", mime=MIME[fmt],
                           key=f"{key}_download", type="primary", on_click="ignore")
        st.caption(t("exports.rendered", frames=frames, seconds=done["seconds"]))
