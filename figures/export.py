"""A figure as a self-contained interactive HTML file.

plotly.js is embedded in the file (about 4.7 MB), not loaded from a CDN, so the file opens offline and
nothing is fetched when it is viewed; the map's surface raster is already a ``data:`` URI layout image.
"""
from __future__ import annotations

import html

import plotly.graph_objects as go

CONFIG = {"displaylogo": False, "responsive": True}
PNG_SCALE = 2  # the camera button's PNG at twice the on-screen size: sharp on slides


def chart_config(file_stem: str | None = None) -> dict:
    """Plotly's config for a chart whose camera button saves ``<file_stem>.png`` at ``PNG_SCALE``×
    (for ``st.plotly_chart(..., config=...)`` and for ``figure_html``)."""
    image = {"format": "png", "scale": PNG_SCALE}
    if file_stem:
        image["filename"] = file_stem
    return {**CONFIG, "toImageButtonOptions": image}


def figure_html(fig: go.Figure, *, title: str | None = None, config: dict | None = None) -> bytes:
    """``fig`` as a complete UTF-8 HTML page with plotly.js inline.

    ``config`` is merged over ``CONFIG`` (Plotly's config: ``displaylogo`` False); an animated figure
    does not start playing on load (its Play button does). ``title`` becomes the page's <title>."""
    text = fig.to_html(include_plotlyjs=True, full_html=True, include_mathjax=False, auto_play=False,
                       config={**CONFIG, **(config or {})}, validate=False)
    if title:
        text = text.replace("<head>", f"<head><title>{html.escape(title)}</title>", 1)
    return text.encode("utf-8")
