"""Charts drawn in the browser: a figure split into a template and blobs (figures.packed), shown
through a custom component (Streamlit's components v2, no build step).

- The template, the options and the URLs of the blobs and images go in the component's data;
  the browser draws the figure with plotly.js. A map (``show_map``) also animates there and
  reports clicks and the scrubbed step.
- Each blob (one run's arrays) and image (the surface raster) goes to Streamlit's media store,
  whose URLs name the bytes by their hash: the browser fetches a blob once and keeps it, so a
  slider move costs the template and the arrays of the run that moved, never the surface.

The component carries only a few lines of inline JavaScript, which imports the real client,
``static/descent/plot.js``, from Streamlit's static serving (``server.enableStaticServing``); the
browser caches it and the plotly.js bundle (copied from the plotly package into
``static/vendor/`` on first import).
"""
from __future__ import annotations

import hashlib
import math
import shutil
from pathlib import Path

import plotly
import streamlit as st
from plotly.offline import get_plotlyjs_version

from figures.packed import Split, dumps
from ui.i18n import t
from ui.page import presenting

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "static"
CLIENT = STATIC / "descent" / "plot.js"


def _base() -> str:
    """The server's URL path prefix, with slashes: "/" or "/<baseUrlPath>/"."""
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def _plotly_bundle() -> str:
    """The plotly.js bundle of the installed plotly package, copied under static/vendor/ (the file
    name carries its version, so a browser's cached copy is never stale); returns its path there."""
    source = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    target = STATIC / "vendor" / f"plotly-{get_plotlyjs_version()}.min.js"
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        shutil.copy2(source, partial)  # with its date: browsers keep an older file longer without asking
        partial.replace(target)  # atomic: another process never serves half a file
    return f"vendor/{target.name}"


def _version(path: Path) -> str:
    return hashlib.blake2b(path.read_bytes(), digest_size=6).hexdigest()


PLOTLY_PATH = _plotly_bundle()
CLIENT_PATH = f"descent/plot.js?v={_version(CLIENT)}"


def _loader(entry: str) -> str:
    """The inline module a component runs: it imports the client once and hands it the component."""
    return (
        f"const url = new URL('{_base()}app/static/{CLIENT_PATH}', window.location.origin).href;\n"
        "let client = null;\n"
        "export default function (component) {\n"
        "  let stop = null, gone = false;\n"
        "  (client ??= import(url)).then((m) => { if (!gone) stop = m." + entry + "(component); })\n"
        "    .catch((e) => { component.parentElement.textContent = String(e); });\n"
        "  return () => { gone = true; if (typeof stop === 'function') stop(); };\n"
        "}\n"
    )


_PLOT = st.components.v2.component("descent_plot", js=_loader("render"), isolate_styles=False)
BLOB_MIME = "application/octet-stream"


def _media_url(raw: bytes, mime: str, where: str) -> str:
    """``raw`` in Streamlit's media store for this session (``where`` names its place on the page)."""
    from streamlit import runtime

    url = runtime.get_instance().media_file_mgr.add(raw, mime, where)
    return _base().rstrip("/") + url if url.startswith("/") else url


def _payload(part: Split, key: str, opts: dict) -> bytes:
    """The component's data: UTF-8 JSON of the template (encoded once per figure), the URLs of its
    blobs and images, and the options."""
    blobs = {blob.id: _media_url(blob.data, BLOB_MIME, f"descent:{key}:blob{k}") for k, blob in enumerate(part.blobs)}
    images = [_media_url(raw, mime, f"descent:{key}:image{k}") for k, (mime, raw) in enumerate(part.images)]
    opts = {"plotly": f"{_base()}app/static/{PLOTLY_PATH}", "labels": {"failed": t("plot.failed")}, **opts}
    return (b'{"blobs":' + dumps(blobs) + b',"images":' + dumps(images) + b',"opts":' + dumps(opts)
            + b',"spec":' + part.template_json + b"}")


def show(part: Split, *, key: str, height: int | None = None, config: dict | None = None) -> None:
    """Draw ``part`` (a figures.packed.Split) in the browser; ``config`` is plotly.js's config."""
    _PLOT(key=key, data=_payload(part, key, {"height": height, "present": presenting(), "config": config or {}}))


def _point(value) -> tuple[float, float] | None:
    """A click the browser reported, as (x, y); None for anything else (the browser is not trusted)."""
    if not isinstance(value, dict):
        return None
    try:
        x, y = float(value.get("x")), float(value.get("y"))
    except (TypeError, ValueError):
        return None
    return (x, y) if math.isfinite(x) and math.isfinite(y) else None


def show_map(part: Split, anim: dict, *, key: str, height: int, on_click=None, on_step=None,
             config: dict | None = None) -> None:
    """Draw a trajectory map (``figures.map.map_split``'s ``part`` and ``anim``) with Play/Pause,
    the step scrubber and the speed choice. ``on_click(x, y)`` gets a click on the map (inside
    the axes, in surface coordinates) and ``on_step(step)`` the step the scrubber stopped at; both
    run as callbacks, before the page's script, so that they can set widgets drawn above the map."""
    labels = {name: t(f"map.{name}") for name in ("play", "pause", "speed", "scrub")}
    labels["step"] = t("map.step_of")
    opts = {"height": height, "present": presenting(), "config": config or {},
            "map": {**anim, "click": on_click is not None, "step": on_step is not None, "labels": labels}}
    callbacks = {}
    if on_click is not None:
        def clicked():
            point = _point((st.session_state.get(key) or {}).get("click"))
            if point is not None:
                on_click(*point)
        callbacks["on_click_change"] = clicked
    if on_step is not None:
        def stepped():
            value = (st.session_state.get(key) or {}).get("step")
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                on_step(int(value))
        callbacks["on_step_change"] = stepped
    _PLOT(key=key, data=_payload(part, key, opts), **callbacks)
