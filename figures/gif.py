"""A streaming animated-GIF writer on Pillow's GIF encoder.

``Image.save(save_all=True)`` keeps every frame in memory until the end (two copies with
``optimize``): 600 frames of 1280 × 720 would hold over 1 GB. This writer encodes each frame as it
comes, with Pillow's public ``GifImagePlugin.getheader``/``getdata`` helpers, and does what
``optimize`` does itself: only the bounding box of the pixels that changed is written, and unchanged
pixels inside it take the transparent index, which LZW compresses to almost nothing. Memory: the
previous frame and the growing file.

All frames share one global palette of at most 255 colours; index 255 is the transparent one.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import GifImagePlugin, Image

TRANSPARENT = 255


def palette_for(samples: list[Image.Image], exact: list[tuple[int, int, int]]) -> Image.Image:
    """A "P" image whose palette holds the ``exact`` colours and, in the remaining slots (255 in all),
    the colours median cut finds in ``samples`` (RGB images: anti-aliased edges and text)."""
    exact = list(dict.fromkeys(tuple(int(v) for v in c) for c in exact))[:TRANSPARENT]
    colors = list(exact)
    room = TRANSPARENT - len(colors)
    if room > 0 and samples:
        strip = Image.new("RGB", (max(s.width for s in samples), sum(s.height for s in samples)))
        y = 0
        for s in samples:
            strip.paste(s, (0, y))
            y += s.height
        found = strip.quantize(colors=room, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        flat = found.getpalette()[: 3 * room]
        known = set(colors)
        colors += [c for c in (tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)) if c not in known]
    colors = list(dict.fromkeys(colors))[:TRANSPARENT]
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for c in colors for v in c])
    return palette


def centiseconds(frames: int, fps: float) -> list[int]:
    """GIF delays (in 1/100 s) of ``frames`` frames at ``fps``: rounded cumulatively, so that the total
    stays exact (30 fps: 3, 4, 3, 3, 4, 3, …, not 3 cs = 33.3 fps)."""
    ends = np.rint(np.arange(1, frames + 1) * 100.0 / fps)
    return np.diff(np.concatenate([[0.0], ends])).astype(int).tolist()


class GifWriter:
    """``add(frame_rgb, centiseconds)`` per frame, then ``finish()`` → the file's bytes (loops forever)."""

    def __init__(self, palette: Image.Image):
        self.palette = palette
        self.raw = palette.getpalette()[:3 * TRANSPARENT]
        self.raw += [0] * (3 * 256 - len(self.raw))  # index 255 (and unused ones): black, never drawn
        self.buffer = io.BytesIO()
        self.previous: np.ndarray | None = None
        self.count = 0

    def _image(self, index: np.ndarray) -> Image.Image:
        img = Image.frombytes("P", (index.shape[1], index.shape[0]), np.ascontiguousarray(index).tobytes())
        img.putpalette(self.raw)
        return img

    def add(self, frame: Image.Image, delay_cs: int):
        """Append one RGB frame shown for ``delay_cs`` hundredths of a second."""
        index = np.asarray(frame.convert("RGB").quantize(palette=self.palette, dither=Image.Dither.NONE))
        ms = int(delay_cs) * 10
        if self.previous is None:
            header, _ = GifImagePlugin.getheader(self._image(index), info={"loop": 0})
            self.buffer.write(b"".join(header))
            chunks = GifImagePlugin.getdata(self._image(index), (0, 0), duration=ms, disposal=1)
        else:
            changed = index != self.previous
            rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
            if not len(rows):
                # An unchanged frame is still a frame (Pillow's own writer would merge it into the
                # previous one): one transparent pixel keeps the frame count and timing.
                patch, offset = np.full((1, 1), TRANSPARENT, np.uint8), (0, 0)
            else:
                r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
                patch = np.where(changed[r0:r1, c0:c1], index[r0:r1, c0:c1], TRANSPARENT).astype(np.uint8)
                offset = (int(c0), int(r0))
            chunks = GifImagePlugin.getdata(self._image(patch), offset, duration=ms, disposal=1,
                                            transparency=TRANSPARENT)
        self.buffer.write(b"".join(chunks))
        self.previous = index
        self.count += 1

    def finish(self) -> bytes:
        if self.previous is None:
            raise ValueError("GifWriter: no frames were added")
        self.buffer.write(b";")  # the GIF trailer
        return self.buffer.getvalue()
