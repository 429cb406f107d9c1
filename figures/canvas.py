"""The map animation drawn server-side with Pillow: one RGB frame at a time, no browser.

What a frame shows, as the Playground's map does (figures/map.py): the banded surface raster
(``map.surface_rgb``, the same colours), the critical points, each run's path so far in its colour
with its start marker and a moving marker (an ✕ once a diverged run reached its last good point),
a legend with the run labels, tick labels on both axes and a step counter.

Cost per frame stays flat however long the runs are: paths are drawn incrementally (each segment
once over the whole animation) on a layer at ``SUPERSAMPLE``× the output resolution, and only the
region a frame's new segments touched is reduced (box filter: the anti-aliasing Pillow's lines
lack) into the output-resolution layer. Markers are pre-drawn anti-aliased sprites; text is
anti-aliased by FreeType.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from .map import _good_path, surface_rgb
from .pixels import moves, nice_ticks, polylines
from .sprites import SUPERSAMPLE, font, paste_marker, rgb
from .surface_map import MARKER_CROWD, _points

BACKGROUND = (14, 17, 23)  # Streamlit's dark theme: the white markers and bright palette read on it
TEXT_COLOR = (250, 250, 250)
GREY = (128, 132, 149)
BOX = (38, 39, 48)  # the step counter's box, the map legend's colour
WHITE = (255, 255, 255)
# Sizes (diameters) and widths in output pixels at 640 × 480, as the map's Plotly sizes; they scale
# with min(width / 640, height / 480).
PATH_WIDTH = 2.0
NOW_SIZE, NOW_OUTLINE = 16, 2.5
START_SIZE = 10
DIVERGED_SIZE = 20
CRITICAL = (("minima", "star", 14), ("saddles", "x", 10), ("maxima", "triangle", 10))
FAR = 8.0  # path points beyond FAR plot sizes are clipped there (Pillow's coordinates are integers)


def good_paths(runs) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per run ``(steps, path)`` up to its last good point (a diverged run stops there)."""
    return [_good_path(run)[:2] for run in runs]


class Canvas:
    """Draws the frames of one animation of ``runs`` (RunViews) on ``surface``; ``labels``: the
    visible strings (``step``, ``diverged``, and the critical-point names ``minima``, …)."""

    def __init__(self, surface, runs, *, size: tuple[int, int], labels: dict):
        self.surface, self.runs, self.labels = surface, list(runs), labels
        self.goods = good_paths(self.runs)
        # The counter's total: the last recorded step of the longest run (diverged ones record on).
        self.total = max((int(run.steps[-1]) for run in self.runs if len(run.steps)), default=0)
        self.width, self.height = size
        self.k = min(self.width / 640, self.height / 480)  # output pixels per reference pixel
        self.font = font(max(9, round(13 * self.k)))
        self.tick_font = font(max(8, round(11 * self.k)))
        self.colors = [rgb(run.color) for run in self.runs]
        self.critical = [(name, shape, size, _points(getattr(surface, name))) for name, shape, size in CRITICAL]
        self.critical = [c for c in self.critical if len(c[3])]
        self._layout()
        self.static = self._static()
        raster = surface_rgb(surface, self.pw, self.ph)
        self.trail = Image.fromarray(raster)  # output resolution
        # The drawing layer: the same raster enlarged without smoothing (its reduction is the raster again).
        self.fine = self.trail.resize((self.pw * SUPERSAMPLE, self.ph * SUPERSAMPLE), Image.NEAREST)
        self.fine_draw = ImageDraw.Draw(self.fine)
        self.paths = [self._to_fine(path) for _, path in self.goods]  # drawing-layer pixels
        self.moves = [moves(p) for p in self.paths]
        self.drawn = [0] * len(self.runs)  # per run: the last path index already on the layer

    # ------------------------------------------------------------- layout
    def _px(self, v: float) -> int:
        return max(1, round(v * self.k))

    def _text_size(self, text: str, f) -> tuple[int, int]:
        box = f.getbbox(text)
        return box[2] - box[0], box[3] - box[1]

    def _legend_items(self) -> list[tuple[str, tuple, tuple]]:
        items = []
        for run, color in zip(self.runs, self.colors):
            note = (" · " + self.labels["diverged"].format(step=run.diverged_at)) if run.diverged_at >= 0 else ""
            items.append((run.label + note, ("run", START_SIZE), color))
        items += [(self.labels[name], (shape, size), WHITE) for name, shape, size, _ in self.critical]
        return items

    def _layout(self):
        pad = self._px(8)
        (x0, x1), (y0, y1) = self.surface.bounds
        self.xticks, self.yticks = nice_ticks(x0, x1), nice_ticks(y0, y1)
        tick_w = max(self._text_size(f"{v:g}", self.tick_font)[0] for v in self.yticks)
        self.tick_h = self._text_size("0123456789", self.tick_font)[1]
        self.line_h = self._text_size("Hgθη", self.font)[1] + self._px(8)
        swatch, gap = self._px(30), self._px(16)
        rows, x, row = [], 0, []
        for text, marker, color in self._legend_items():  # items flow left to right and wrap
            w = swatch + self._text_size(text, self.font)[0]
            if row and x + w > self.width - 2 * pad:
                rows.append(row)
                row, x = [], 0
            row.append((x, text, marker, color))
            x += w + gap
        if row:
            rows.append(row)
        self.legend = rows
        self.left, self.top = pad + tick_w + self._px(6), pad
        right = self.width - pad - self._px(6)
        bottom = self.height - pad - len(rows) * self.line_h - self.tick_h - self._px(12)
        self.pw, self.ph = right - self.left, bottom - self.top
        if self.pw < 20 or self.ph < 20:
            raise ValueError(f"animation: size = {self.width}×{self.height} leaves no room for the map "
                             f"next to {len(self.runs)} legend entries; choose a larger size")

    def _to_fine(self, path: np.ndarray) -> np.ndarray:
        """θ → drawing-layer pixels from the plot's top-left corner (y grows downwards)."""
        if not len(path):
            return np.zeros((0, 2))
        (x0, x1), (y0, y1) = self.surface.bounds
        w, h = self.pw * SUPERSAMPLE, self.ph * SUPERSAMPLE
        return np.column_stack([(path[:, 0] - x0) / (x1 - x0) * w, (y1 - path[:, 1]) / (y1 - y0) * h])

    def output_pixel(self, theta) -> tuple[float, float]:
        """Where θ = (θ₁, θ₂) lands in an output frame, in pixels from its top-left corner."""
        x, y = self._to_fine(np.asarray(theta, dtype=np.float64).reshape(1, 2))[0] / SUPERSAMPLE
        return self.left + x, self.top + y

    # ------------------------------------------------------------- the static part
    def _static(self) -> Image.Image:
        img = Image.new("RGB", (self.width, self.height), BACKGROUND)
        d = ImageDraw.Draw(img)
        (x0, x1), (y0, y1) = self.surface.bounds
        tick, bottom = self._px(4), self.top + self.ph
        for v in self.xticks:
            x = round(self.left + (v - x0) / (x1 - x0) * self.pw)
            d.line([(x, bottom), (x, bottom + tick)], fill=GREY, width=self._px(1))
            w = self._text_size(f"{v:g}", self.tick_font)[0]
            d.text((min(max(x - w / 2, 0), self.width - w), bottom + tick + self._px(2)), f"{v:g}",
                   font=self.tick_font, fill=GREY)
        for v in self.yticks:
            y = round(self.top + (y1 - v) / (y1 - y0) * self.ph)
            d.line([(self.left - tick, y), (self.left, y)], fill=GREY, width=self._px(1))
            d.text((self.left - tick - self._px(2), y), f"{v:g}", font=self.tick_font, fill=GREY, anchor="rm")
        y = bottom + tick + self.tick_h + self._px(12)
        for row in self.legend:
            for x, text, (shape, size), color in row:
                cx, cy = self._px(8) + x, y + self.line_h / 2
                if shape == "run":
                    d.line([(cx, cy), (cx + self._px(22), cy)], fill=color, width=self._px(PATH_WIDTH))
                    shape = "circle"
                paste_marker(img, shape, cx + self._px(11), cy, size * self.k, color, self.k)
                d.text((cx + self._px(30), cy), text, font=self.font, fill=TEXT_COLOR, anchor="lm")
            y += self.line_h
        return img

    # ------------------------------------------------------------- frames
    def _advance(self, at: list[int]):
        """Draw each run's path from where the layer stopped up to index ``at[r]``, and bring the
        touched region of the output-resolution layer up to date."""
        width = max(1, round(PATH_WIDTH * self.k * SUPERSAMPLE))
        W, H = self.fine.size
        lim = FAR * max(W, H)
        for r, (pixels, kept, color) in enumerate(zip(self.paths, self.moves, self.colors)):
            lo, hi = self.drawn[r], at[r]
            if hi <= lo:
                continue
            inner = kept[np.searchsorted(kept, lo, side="right"):np.searchsorted(kept, hi, side="left")]
            pieces = polylines(pixels[np.concatenate([[lo], inner, [hi]])], lim)
            for piece in pieces:
                self.fine_draw.line(piece.ravel().tolist(), fill=color, width=width)
            self.drawn[r] = hi
            points = np.concatenate(pieces)
            box = np.concatenate([points.min(axis=0) - width, points.max(axis=0) + width])
            # whole output pixels: x0, y0 down and x1, y1 up to multiples of SUPERSAMPLE, inside the layer
            x0, y0 = (max(0, int(v) // SUPERSAMPLE) for v in box[:2])
            x1 = min(self.pw, -(-int(min(box[2], W) + 1) // SUPERSAMPLE))
            y1 = min(self.ph, -(-int(min(box[3], H) + 1) // SUPERSAMPLE))
            if x1 > x0 and y1 > y0:
                s = SUPERSAMPLE
                self.trail.paste(self.fine.crop((x0 * s, y0 * s, x1 * s, y1 * s)).reduce(s), (x0, y0))

    def frame(self, at: list[int], step: int) -> Image.Image:
        """The frame (output size, RGB) with each run at path index ``at[r]`` and the counter at ``step``.

        ``at`` must not decrease from one call to the next (the paths only grow)."""
        self._advance(at)
        plot = self.trail.copy()
        for name, shape, size, points in self.critical:
            crowded = len(points) > MARKER_CROWD
            diameter, outline = (max(4, size // 2), 0.5) if crowded else (size, 1.0)
            for x, y in self._to_fine(points) / SUPERSAMPLE:
                paste_marker(plot, shape, x, y, diameter * self.k, WHITE, outline * self.k)
        for pixels, color in zip(self.paths, self.colors):
            if len(pixels):
                x, y = pixels[0] / SUPERSAMPLE
                paste_marker(plot, "circle", x, y, START_SIZE * self.k, color, self.k)
        for r, (pixels, color, run) in enumerate(zip(self.paths, self.colors, self.runs)):
            if not len(pixels) or np.abs(pixels[at[r]]).max() > FAR * max(self.fine.size):
                continue
            x, y = pixels[at[r]] / SUPERSAMPLE
            if run.diverged_at >= 0 and at[r] == len(pixels) - 1:
                paste_marker(plot, "x", x, y, DIVERGED_SIZE * self.k, color, 1.5 * self.k)
            else:
                paste_marker(plot, "circle", x, y, NOW_SIZE * self.k, color, NOW_OUTLINE * self.k)
        self._counter(ImageDraw.Draw(plot), step)
        img = self.static.copy()
        img.paste(plot, (self.left, self.top))
        return img

    def preview(self, at: list[int], step: int) -> Image.Image:
        """``frame(at, step)`` without moving the paths on: the animation continues where it was."""
        saved = self.fine.copy(), self.trail.copy(), list(self.drawn)
        try:
            return self.frame(at, step)
        finally:
            self.fine, self.trail, self.drawn = saved
            self.fine_draw = ImageDraw.Draw(self.fine)

    def _counter(self, d: ImageDraw.ImageDraw, step: int):
        text = self.labels["step"].format(step=int(step), total=int(self.total))
        widest = self.labels["step"].format(step=int(self.total), total=int(self.total))
        w, h = self._text_size(widest, self.font)  # a fixed box: the counter does not jitter
        pad = self._px(6)
        x1, y0 = self.pw - self._px(8), self._px(8)
        d.rectangle([x1 - w - 2 * pad, y0, x1, y0 + h + 2 * pad], fill=BOX)
        d.text((x1 - pad, y0 + pad + h / 2), text, font=self.font, fill=TEXT_COLOR, anchor="rm")
