"""Anti-aliased markers for the server-side animation, and a font with θ and η.

Pillow draws without anti-aliasing, so each marker is drawn once at ``SUPERSAMPLE``× its size and
reduced (premultiplied alpha, so the edges do not darken) to an RGBA sprite; a frame pastes sprites
at whole output pixels (a marker's centre is off by at most half a pixel).
"""
from __future__ import annotations

import math
import os
from functools import lru_cache

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

SUPERSAMPLE = 2
DARK = (26, 26, 26)  # marker outlines, as on the map
# Fonts with θ, η and subscripts (Pillow's built-in font lacks them), CJK first for translated labels.
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/Arial Unicode.ttf",
    "C:/Windows/Fonts/arial.ttf",
)


def font(px: int):
    """The first of ``FONT_CANDIDATES`` found, at ``px`` pixels; else Pillow's built-in font.

    Not cached: a FreeType face must not be shared by the threads of concurrent sessions (about 1 ms
    to load, twice per animation)."""
    for path in FONT_CANDIDATES:
        if os.path.exists(path):
            return ImageFont.truetype(path, px)
    return ImageFont.load_default(size=px)


def rgb(color) -> tuple[int, int, int]:
    """A CSS colour ("#ff4b4b", "rgb(…)", a name) or a tuple as (r, g, b)."""
    return ImageColor.getrgb(color)[:3] if isinstance(color, str) else tuple(int(c) for c in color[:3])


def draw_marker(d: ImageDraw.ImageDraw, shape: str, cx: float, cy: float, r: float, color, o: float):
    """A marker of radius ``r`` and outline width ``o`` (pixels) centred on (cx, cy):
    "circle", "star", "triangle" or "x"."""
    o = max(1, round(o))
    if shape == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=color, outline=DARK, width=o)
    elif shape == "star":
        angles = -np.pi / 2 + np.arange(10) * np.pi / 5
        radii = np.where(np.arange(10) % 2 == 0, r, r * 0.5)
        d.polygon(list(zip(cx + radii * np.cos(angles), cy + radii * np.sin(angles))), fill=color,
                  outline=DARK, width=o)
    elif shape == "triangle":
        d.polygon([(cx, cy - r), (cx - 0.87 * r, cy + r / 2), (cx + 0.87 * r, cy + r / 2)], fill=color,
                  outline=DARK, width=o)
    else:  # "x": dark strokes under coloured ones make the outline
        arm, stroke = r * 0.8, max(2, round(r * 0.4))
        for fill, width in ((DARK, stroke + 2 * o), (color, stroke)):
            d.line([(cx - arm, cy - arm), (cx + arm, cy + arm)], fill=fill, width=width)
            d.line([(cx - arm, cy + arm), (cx + arm, cy - arm)], fill=fill, width=width)


@lru_cache(maxsize=256)
def sprite(shape: str, diameter: float, color: tuple, outline: float) -> tuple[Image.Image, Image.Image, int]:
    """``(rgb, alpha, half)``: the marker (``diameter`` and ``outline`` in output pixels) as an RGB
    image and its coverage mask, 2·half output pixels square, centred on the corner between the
    middle pixels."""
    half = math.ceil(diameter / 2 + outline + 1)
    side = 2 * half * SUPERSAMPLE
    img = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    centre = side / 2
    draw_marker(ImageDraw.Draw(img), shape, centre, centre, diameter / 2 * SUPERSAMPLE, color + (255,),
                outline * SUPERSAMPLE)
    small = img.convert("RGBa").reduce(SUPERSAMPLE).convert("RGBA")
    return small.convert("RGB"), small.getchannel("A"), half


def paste_marker(img: Image.Image, shape: str, x: float, y: float, diameter: float, color, outline: float):
    """Paste the marker centred at output pixel position (x, y) (Pillow clips at the image's edges)."""
    rgb_img, alpha, half = sprite(shape, round(diameter * 4) / 4, tuple(rgb(color)), round(outline * 4) / 4)
    img.paste(rgb_img, (round(x) - half, round(y) - half), alpha)
