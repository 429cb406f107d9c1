"""Exports: CSV of the trajectories, figures as HTML, the map animation as GIF and MP4."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import re

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageColor

from figures.animation import LABELS, animation, exact_indices, frame_plan, render_frames
from figures.canvas import Canvas
from figures.pixels import polylines
from lab.runs import PALETTE
from figures.export import chart_config, figure_html
from figures.map import path_map
from lab.exports import COLUMNS, parse_runs_csv, runs_csv
from lab.playground import MAP_OPTIONS, RunSpec, View, run_view

SMALL = (320, 240)


@pytest.fixture(scope="module")
def rosenbrock():
    """gd with η = 1 blows up on Rosenbrock within a few steps; Adam (vermillion, slot 0: no white marker can
    pass for it) travels along the valley. Returned in the order (gd, adam)."""
    view = View(surface="rosenbrock", steps=400,
                runs=(RunSpec("gd", (("lr", 1.0),), slot=1), RunSpec("adam", (("lr", 0.05),), slot=0)))
    runs = run_view(view)
    assert runs[0].diverged_at >= 0 and runs[1].diverged_at < 0  # the premise of the tests below
    assert runs[1].color == PALETTE[0]
    return view.build_surface(), runs


@pytest.fixture(scope="module")
def bowl():
    view = View(steps=2000)
    return view.build_surface(), run_view(view)


# ----------------------------------------------------------------- CSV
def test_csv_round_trip_is_exact(rosenbrock):
    surface, runs = rosenbrock
    text = runs_csv(runs, surface)
    back = parse_runs_csv(text)
    assert list(back) == [run.label for run in runs]
    for run in runs:
        got = back[run.label]
        np.testing.assert_array_equal(got["step"], run.steps)
        np.testing.assert_array_equal(got["path"], run.path)
        np.testing.assert_array_equal(got["loss"], run.trajectory.loss[0])
        np.testing.assert_array_equal(got["eta"], run.eta)
        expected = run.steps >= run.diverged_at if run.diverged_at >= 0 else np.zeros(len(run.steps), bool)
        np.testing.assert_array_equal(got["diverged"], expected)
    assert back[runs[0].label]["diverged"].any() and not back[runs[1].label]["diverged"].any()


def test_csv_is_plain_csv_that_csv_and_numpy_read(rosenbrock):
    surface, runs = rosenbrock
    text = runs_csv(runs, surface)
    lines = text.splitlines()
    assert lines[0] == ",".join(COLUMNS)
    assert not any(line.startswith("#") for line in lines)
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 1 + sum(len(run.steps) for run in runs)
    table = np.genfromtxt(io.StringIO(text), delimiter=",", names=True, dtype=None, encoding="utf-8")
    adam = table[table["run"] == runs[1].label]
    np.testing.assert_array_equal(adam["theta1"], runs[1].path[:, 0])
    np.testing.assert_array_equal(adam["loss"], runs[1].trajectory.loss[0])


def test_csv_quotes_a_label_with_a_comma(rosenbrock):
    surface, runs = rosenbrock
    odd = dataclasses.replace(runs[1], label='Run 2 · adam, "lecture"')
    back = parse_runs_csv(runs_csv([odd], surface))
    np.testing.assert_array_equal(back['Run 2 · adam, "lecture"']["path"], odd.path)


def test_csv_parser_rejects_another_header():
    with pytest.raises(ValueError, match="header"):
        parse_runs_csv("a,b\n1,2\n")


# ----------------------------------------------------------------- HTML
def test_html_is_self_contained(bowl):
    surface, runs = bowl
    fig = path_map(surface, runs, **MAP_OPTIONS)
    page = figure_html(fig, title="Descent Lab · map").decode("utf-8")
    assert "<title>Descent Lab · map</title>" in page
    assert re.search(r"plotly\.js v\d", page)  # the bundle itself, inline
    assert not re.search(r"<script[^>]*\bsrc=", page)  # nothing loaded by a script tag
    assert not re.search(r"<link[^>]*href=[\"']https?:", page)
    assert "data:image/png;base64," in page  # the surface raster travels inside the file
    data, _layout, config = plot_arguments(page)
    names = {trace.get("name") for trace in data}
    assert runs[0].label in names and runs[1].label in names
    assert config["displaylogo"] is False
    call = page[page.rindex("Plotly.newPlot("):]
    assert "Plotly.animate(" not in call  # opened, it waits for Play


def plot_arguments(page: str) -> tuple:
    """The data, layout and config that the page's ``Plotly.newPlot(id, data, layout, config)`` receives,
    read as JSON (plotly writes "η" raw or as "\\u03b7" depending on whether orjson is installed)."""
    call = page[page.rindex("Plotly.newPlot(") + len("Plotly.newPlot("):]
    decoder, at, values = json.JSONDecoder(), 0, []
    while len(values) < 4:
        at = len(call) - len(call[at:].lstrip(" \n,"))
        value, at = decoder.raw_decode(call, at)
        values.append(value)
    return tuple(values[1:])


def test_png_button_and_html_name_their_files(bowl):
    surface, runs = bowl
    config = chart_config("descent-lab-bowl-map")
    assert config["displaylogo"] is False
    assert config["toImageButtonOptions"] == {"format": "png", "scale": 2, "filename": "descent-lab-bowl-map"}
    page = figure_html(path_map(surface, runs, animate=False), config=config).decode("utf-8")
    shown = plot_arguments(page)[2]
    assert shown["displaylogo"] is False and shown["toImageButtonOptions"]["filename"] == "descent-lab-bowl-map"


# ----------------------------------------------------------------- frames
def test_frames_follow_the_map_log_and_linear_mix(bowl):
    _, runs = bowl
    shown, at = frame_plan(runs, 150)
    assert len(shown) == 150 and np.all(np.diff(shown) > 0)
    assert shown[0] == 0 and shown[-1] == 2000
    np.testing.assert_array_equal(shown[:8], np.arange(8))  # every early step: Adam's first moves show
    assert all(len(a) == 150 for a in at)


@pytest.mark.parametrize("n, count", [(10_001, 150), (10_001, 600), (601, 600), (40, 100), (2, 2)])
def test_exact_indices_gives_the_count_asked(n, count):
    idx = exact_indices(n, count)
    assert len(idx) == count and idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) >= 0) and np.all((0 <= idx) & (idx < n))
    if n >= count:
        assert len(np.unique(idx)) == count


def test_diverged_run_stops_at_its_last_good_point(rosenbrock):
    _, runs = rosenbrock
    shown, at = frame_plan(runs, 30)
    gd, adam = runs
    assert at[0].max() == gd.last_good  # never past the last good record
    assert at[1][-1] == len(adam.steps) - 1 and shown[-1] == adam.steps[-1]


def test_far_segments_are_clipped_keeping_their_direction():
    points = np.array([[10.0, 20.0], [30.0, 40.0], [1e12, 5e11]])
    pieces = polylines(points, lim=1000.0)
    np.testing.assert_array_equal(pieces[0], points[:2])
    a, b = pieces[1]
    np.testing.assert_allclose(a, points[1])
    assert np.abs(b).max() == pytest.approx(1000.0)
    direction = (points[2] - points[1]) / np.linalg.norm(points[2] - points[1])
    np.testing.assert_allclose((b - a) / np.linalg.norm(b - a), direction, atol=1e-9)


# ----------------------------------------------------------------- GIF
def test_gif_has_the_frames_size_and_timing_asked(bowl):
    surface, runs = bowl
    data = animation(surface, runs, fmt="gif", frames=12, size=SMALL, fps=25)
    gif = Image.open(io.BytesIO(data))
    assert data[:6] == b"GIF89a"
    assert gif.n_frames == 12 and gif.size == SMALL
    assert gif.info["loop"] == 0
    durations = []
    for i in range(gif.n_frames):
        gif.seek(i)
        durations.append(gif.info["duration"])
    assert durations == [40] * 12  # 25 fps


def test_gif_keeps_the_count_when_the_run_is_shorter_than_the_animation():
    view = View(steps=5)
    data = animation(view.build_surface(), run_view(view), fmt="gif", frames=20, size=SMALL)
    assert Image.open(io.BytesIO(data)).n_frames == 20  # repeated records are frames too


def _colour_near(frame: np.ndarray, xy, color: str, radius: int = 6, tolerance: float = 40.0) -> int:
    """How many pixels within ``radius`` of ``xy`` are within ``tolerance`` (RGB distance) of ``color``."""
    x, y = int(round(xy[0])), int(round(xy[1]))
    patch = frame[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1].astype(float)
    return int((np.linalg.norm(patch - np.array(ImageColor.getrgb(color)), axis=-1) < tolerance).sum())


def test_last_gif_frame_shows_each_run_at_its_end(rosenbrock):
    surface, runs = rosenbrock
    adam = runs[1]
    data = animation(surface, runs, fmt="gif", frames=10, size=(640, 480))
    gif = Image.open(io.BytesIO(data))
    gif.seek(gif.n_frames - 1)
    last = np.asarray(gif.convert("RGB"))
    gif.seek(0)
    first = np.asarray(gif.convert("RGB"))
    canvas = Canvas(surface, runs, size=(640, 480), labels=LABELS)
    end = canvas.output_pixel(adam.path[-1])
    assert np.hypot(*np.subtract(end, canvas.output_pixel(adam.path[0]))) > 30  # it did travel
    # The moving marker (16 px across, about 95 pixels of its colour in this 13 × 13 patch) sits on the
    # end point; the path alone would colour about 10.
    assert _colour_near(last, end, adam.color) >= 60
    assert _colour_near(first, end, adam.color) == 0  # and was not there at step 0


# ----------------------------------------------------------------- MP4
def test_mp4_has_the_frames_asked(bowl, tmp_path):
    surface, runs = bowl
    data = animation(surface, runs, fmt="mp4", frames=12, size=SMALL, fps=10)
    assert data[4:8] == b"ftyp"
    path = tmp_path / "run.mp4"
    path.write_bytes(data)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    decoded = sum(1 for _ in reader)
    assert decoded == 12
    assert tuple(meta["size"]) == SMALL and meta["fps"] == pytest.approx(10)
    assert imageio_ffmpeg.count_frames_and_secs(str(path)) == (12, pytest.approx(1.2, abs=0.05))


def test_mp4_last_frame_shows_the_run_at_its_end(rosenbrock, tmp_path):
    surface, runs = rosenbrock
    adam = runs[1]
    path = tmp_path / "run.mp4"
    path.write_bytes(animation(surface, runs, fmt="mp4", frames=8, size=(640, 480), fps=8))
    reader = imageio_ffmpeg.read_frames(str(path))
    next(reader)
    *_, raw = reader
    last = np.frombuffer(raw, np.uint8).reshape(480, 640, 3)
    end = Canvas(surface, runs, size=(640, 480), labels=LABELS).output_pixel(adam.path[-1])
    assert _colour_near(last, end, adam.color, tolerance=60) >= 60  # H.264 shifts colours a little


# ----------------------------------------------------------------- limits and progress
@pytest.mark.parametrize("settings, field", [
    (dict(frames=1), "frames"), (dict(frames=601), "frames"), (dict(fps=0), "fps"), (dict(fps=61), "fps"),
    (dict(fps=55), "fps = 55 is out of range for gif"), (dict(size=(100, 480)), "width"),
    (dict(size=(640, 2000)), "height"), (dict(size=(640,)), "size"), (dict(fmt="avi"), "fmt"),
    (dict(fmt="mp4", size=(641, 480)), "even"),
])
def test_limits_name_the_field(bowl, settings, field):
    surface, runs = bowl
    with pytest.raises(ValueError, match=re.escape(field)):
        animation(surface, runs, **{"frames": 4, "size": SMALL, **settings})


@pytest.mark.parametrize("fmt", ["gif", "mp4"])
def test_progress_rises_to_one(bowl, fmt):
    surface, runs = bowl
    seen = []
    animation(surface, runs, fmt=fmt, frames=6, size=SMALL, progress=seen.append)
    assert len(seen) >= 6
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert all(b >= a for a, b in zip(seen, seen[1:]))
    assert seen[-1] == 1.0 and seen[-2] < 1.0  # 1.0 only once the file is complete


def test_frames_are_rgb_of_the_size_asked(bowl):
    surface, runs = bowl
    frames = list(render_frames(surface, runs, frames=3, size=(480, 270)))
    assert len(frames) == 3 and all(f.size == (480, 270) and f.mode == "RGB" for f in frames)


def test_gif_frames_match_the_drawn_frames(bowl):
    """The streaming writer (changed box only, unchanged pixels transparent) must decode to the frames
    drawn, up to the 255-colour palette."""
    surface, runs = bowl
    drawn = list(render_frames(surface, runs, frames=8, size=SMALL))
    gif = Image.open(io.BytesIO(animation(surface, runs, fmt="gif", frames=8, size=SMALL)))
    for i, frame in enumerate(drawn):
        gif.seek(i)
        error = np.abs(np.asarray(gif.convert("RGB"), dtype=int) - np.asarray(frame, dtype=int)).max(axis=2)
        assert error.mean() < 1.0 and (error > 30).mean() < 0.002, i
