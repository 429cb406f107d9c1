"""A surface's gallery thumbnail as a PNG image: the map's banded raster with the critical points and
the default start marked, drawn on the server with Pillow.

Home shows one per surface; as images they cost a rerun a media-store look-up each (a chart would be
a component and a figure per surface), and the browser keeps them. Colours and markers are the
map's (figures.map, figures.sprites): log-spaced height bands, white ★ minima, ✕ saddles, ▲ maxima,
and the default start as a red ●. Pure function.
"""
from __future__ import annotations

import io

from PIL import Image

from optimizers.validate import integer
from surfaces.once import computed_once

from .map import surface_rgb
from .sprites import paste_marker
from .surface_map import MARKER_CROWD, _points

SIZE = (360, 240)  # pixels; the window is stretched to it, as the maps stretch it over their axes
START_COLOR = "#ff4b4b"
CRITICAL = (("minima", "star", 13), ("saddles", "x", 10), ("maxima", "triangle", 10))


def pixel(surface, points, size) -> list[tuple[float, float]]:
    """Where the points (n, 2) of ``surface``'s window land in an image of ``size`` (row 0 at ymax)."""
    (x0, x1), (y0, y1) = surface.bounds
    width, height = size
    return [((x - x0) / (x1 - x0) * width, (y1 - y) / (y1 - y0) * height) for x, y in _points(points)]


@computed_once(maxsize=64)
def thumbnail_png(surface, size: tuple[int, int] = SIZE) -> bytes:
    """The thumbnail of ``surface`` as PNG bytes (``size`` = (width, height) pixels); cached per surface."""
    width = integer("thumbnail_png", "width", size[0], 16, 4096)
    height = integer("thumbnail_png", "height", size[1], 16, 4096)
    img = Image.fromarray(surface_rgb(surface, width, height))
    for name, shape, diameter in CRITICAL:
        points = getattr(surface, name)
        crowded = len(_points(points)) > MARKER_CROWD  # Rastrigin's egg crate: small, thin outlines
        for x, y in pixel(surface, points, (width, height)):
            paste_marker(img, shape, x, y, max(4, diameter // 2) if crowded else diameter, "white",
                         0.5 if crowded else 1.0)
    (x, y), = pixel(surface, [surface.start], (width, height))
    paste_marker(img, "circle", x, y, 10, START_COLOR, 1.0)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
