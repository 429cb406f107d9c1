"""The map animation as a GIF or MP4 file, rendered server-side (Pillow and ffmpeg, no browser).

``animation(surface, runs)`` picks the frames as the map's animation does (``frame_indices``: half
log-spaced, so Adam's first moves show, half evenly spaced), draws each with ``canvas.Canvas`` and
streams it to the encoder: the GIF through ``gif.GifWriter``, the MP4 through the ffmpeg binary that
imageio-ffmpeg bundles (H.264, yuv420p, which slides and browsers play). Memory stays at a few
frames whatever the length. Diverged runs stop at their last good point.
"""
from __future__ import annotations

import os
import tempfile
from typing import Callable

import numpy as np

from optimizers.validate import choice, integer

from .canvas import BACKGROUND, BOX, GREY, TEXT_COLOR, WHITE, Canvas, good_paths
from .downsample import frame_indices
from .gif import GifWriter, centiseconds, palette_for
from .map import _validate_runs, surface_palette
from .sprites import DARK, rgb

FORMATS = ("gif", "mp4")
MIME = {"gif": "image/gif", "mp4": "video/mp4"}
FRAMES = (2, 600)
FPS = {"gif": (1, 50), "mp4": (1, 60)}  # browsers play GIF delays under 2/100 s at 10 fps
WIDTH = (240, 1920)
HEIGHT = (180, 1080)
DEFAULTS = dict(frames=150, size=(640, 480), fps=30)
CRF = 20  # x264 quality (lower is better, 23 its default): flat colour bands and thin lines need a little more
# x264 speed: "veryfast" encodes about 3× faster than "medium" here for files about 1.3× larger (still
# under 0.2 MB for 150 frames): the render blocks a student, the file size hardly matters.
PRESET = "veryfast"
LABELS = {
    "step": "step {step:,} / {total:,}",
    "diverged": "diverged at step {step:,}",
    "minima": "minima",
    "saddles": "saddles",
    "maxima": "maxima",
}


def validate(fmt, frames, size, fps) -> tuple[str, int, tuple[int, int], int]:
    """The checked settings, or ValueError naming the field, its value and the allowed range."""
    fmt = choice("animation", "fmt", fmt, FORMATS)
    frames = integer("animation", "frames", frames, *FRAMES)
    fps = integer("animation", "fps", fps, *FPS["mp4"])
    if fps > FPS[fmt][1]:
        raise ValueError(f"animation: fps = {fps} is out of range for {fmt}; allowed integers "
                         f"{FPS[fmt][0]} <= fps <= {FPS[fmt][1]} (browsers play faster GIFs at 10 fps)")
    if not isinstance(size, (tuple, list)) or len(size) != 2:
        raise ValueError(f"animation: size = {size!r} must be (width, height) in pixels")
    width = integer("animation", "width", size[0], *WIDTH)
    height = integer("animation", "height", size[1], *HEIGHT)
    if fmt == "mp4" and (width % 2 or height % 2):
        raise ValueError(f"animation: size = {width}×{height} is not allowed for mp4; "
                         "width and height must be even (H.264 in yuv420p)")
    return fmt, frames, (width, height), fps


def exact_indices(n: int, count: int) -> np.ndarray:
    """``count`` sorted indices into range(n): ``frame_indices`` (log ∪ linear), topped up with evenly
    spaced unused indices when its unique picks fall short; with n < count, indices repeat (the
    animation holds those records longer)."""
    if n < count:
        return np.floor(np.linspace(0, n - 1, count) + 1e-9).astype(np.intp)
    chosen = frame_indices(n, count)
    missing = count - len(chosen)
    if missing:
        unused = np.setdiff1d(np.arange(n), chosen)
        # floor of points ≥ 1 apart (missing ≤ len(unused)) gives distinct picks
        extra = unused[np.floor(np.linspace(0, len(unused) - 1, missing) + 1e-9).astype(np.intp)]
        chosen = np.sort(np.concatenate([chosen, extra]))
    return chosen


def frame_plan(runs, frames: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """``(shown, at)``: the step each of the ``frames`` frames shows (picked from the records of the
    run that got furthest), and per run the index (into its good path) of its record at or before
    that step: a run that ended or diverged earlier stays at its last good point."""
    goods = good_paths(runs)
    records = [steps for steps, _ in goods if len(steps)]
    if not records:
        return np.zeros(frames, dtype=np.int64), [np.zeros(frames, dtype=np.intp) for _ in goods]
    longest = max(records, key=lambda steps: (steps[-1], len(steps)))
    shown = longest[exact_indices(len(longest), frames)]
    at = [np.clip(np.searchsorted(steps, shown, side="right") - 1, 0, max(len(steps) - 1, 0))
          for steps, _ in goods]
    return shown, at


def _prepare(surface, runs, frames: int, size, labels: dict):
    runs = _validate_runs(runs)
    shown, at = frame_plan(runs, frames)
    return Canvas(surface, runs, size=size, labels=labels), shown, at


def _stream(canvas: Canvas, shown, at):
    for f in range(len(shown)):
        yield canvas.frame([int(a[f]) for a in at], int(shown[f]))


def render_frames(surface, runs, *, frames: int = DEFAULTS["frames"], size=DEFAULTS["size"], labels=None):
    """The animation's ``frames`` frames, one at a time (PIL RGB images of ``size``)."""
    yield from _stream(*_prepare(surface, runs, frames, size, {**LABELS, **(labels or {})}))


def _gif_palette(canvas: Canvas, shown, at):
    """Exact colours (surface bands, page colours, run colours) plus the anti-aliased ones of the last
    frame, which holds every path, marker and label the animation draws."""
    last = canvas.preview([int(a[-1]) for a in at], int(shown[-1]))
    exact = [tuple(c) for c in surface_palette()] + [BACKGROUND, TEXT_COLOR, GREY, BOX, DARK, WHITE]
    exact += [rgb(run.color) for run in canvas.runs]
    return palette_for([last], exact)


def animation(surface, runs, *, fmt: str = "gif", frames: int = DEFAULTS["frames"],
              size: tuple[int, int] = DEFAULTS["size"], fps: int = DEFAULTS["fps"],
              progress: Callable[[float], None] | None = None, labels: dict | None = None) -> bytes:
    """The map animation of ``runs`` (RunViews) on ``surface`` as GIF or MP4 bytes.

    ``frames`` frames (2–600) of ``size`` = (width, height) pixels (240–1920 × 180–1080; even for
    mp4) played at ``fps`` frames per second (1–50 for gif, 1–60 for mp4); the GIF loops forever.
    ``progress(fraction)`` is called after each frame (fractions increasing, the last call 1.0 once
    the file is complete). ``labels`` replaces any of ``LABELS`` (the visible strings)."""
    fmt, frames, size, fps = validate(fmt, frames, size, fps)
    canvas, shown, at = _prepare(surface, runs, frames, size, {**LABELS, **(labels or {})})
    stream = _stream(canvas, shown, at)

    def report(done: int):
        if progress is not None:
            progress(min(done / (frames + 1), 1.0))

    if fmt == "gif":
        writer = GifWriter(_gif_palette(canvas, shown, at))
        for f, (frame, delay) in enumerate(zip(stream, centiseconds(frames, fps))):
            writer.add(frame, delay)
            report(f + 1)
        data = writer.finish()
    else:
        data = _mp4(stream, size, fps, report)
    if progress is not None:
        progress(1.0)
    return data


def _mp4(stream, size, fps: int, report) -> bytes:
    import imageio_ffmpeg  # only the MP4 export needs it

    with tempfile.TemporaryDirectory(prefix="descent-lab-") as folder:
        path = os.path.join(folder, "animation.mp4")
        writer = imageio_ffmpeg.write_frames(
            path, size, fps=fps, codec="libx264", pix_fmt_in="rgb24", pix_fmt_out="yuv420p", quality=None,
            macro_block_size=2, ffmpeg_log_level="error",
            output_params=["-crf", str(CRF), "-preset", PRESET, "-tune", "animation", "-movflags", "+faststart"],
        )
        writer.send(None)  # start ffmpeg
        try:
            for f, frame in enumerate(stream):
                writer.send(frame.tobytes())  # rgb24, row by row
                report(f + 1)
        finally:
            writer.close()  # waits for ffmpeg to write the file
        with open(path, "rb") as handle:
            return handle.read()
