"""Figures built from plain dicts without validation: they hold what was given, and Plotly accepts them."""
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

import surfaces
from figures import plain
from figures.diagnostics import diagnostics
from figures.inspector import step_figure
from figures.map import path_map
from lab.playground import MAP_OPTIONS, RunSpec, View, run_view


def test_data_layout_and_frames_come_back_as_given():
    data = [dict(type="scatter", x=np.array([0.0, 1.0]), y=[2.0, 3.0], name="a"), dict(type="scatter", x=[5.0], y=[6.0])]
    frames = [dict(name=str(k), traces=[0, 1], data=[{}, dict(x=[float(k)], y=[0.0])]) for k in range(3)]
    fig = plain.figure(data, dict(height=300, title=dict(text="t")), frames)
    d = json.loads(pio.to_json(fig, validate=False))
    assert [t["name"] for t in d["data"] if "name" in t] == ["a"]
    assert d["layout"]["height"] == 300 and d["layout"]["title"]["text"] == "t"
    assert [f["name"] for f in d["frames"]] == ["0", "1", "2"]
    assert [f["data"] for f in d["frames"]] == [[{}, {"x": [float(k)], "y": [0.0]}] for k in range(3)]
    assert [f.name for f in fig.frames] == ["0", "1", "2"]
    go.Figure(fig.to_dict())  # valid Plotly


def test_no_frames_means_none():
    fig = plain.figure([dict(type="scatter", x=[1.0], y=[1.0])], {})
    assert fig.frames == () and "frames" not in fig.to_dict()


def test_a_bad_frame_gets_in_unchecked_and_validation_finds_it():
    frames = [dict(name="0", traces=[0], data=[dict(x=[1.0], no_such_property=1)])]
    fig = plain.figure([dict(type="scatter", x=[1.0], y=[1.0])], {}, frames)
    with pytest.raises(ValueError, match="no_such_property"):
        go.Figure(fig.to_dict())


VIEWS = {
    "default": View(),
    "diverging, four runs": View("rosenbrock", (), None, 2_000, (
        RunSpec("gd", (("lr", 0.05),), slot=0), RunSpec("adam", (("lr", 0.01),), slot=1),
        RunSpec("momentum", (("lr", 1e-3),), slot=2), RunSpec("adagrad", (("lr", 0.1),), slot=3))),
}


@pytest.mark.parametrize("name", VIEWS)
def test_every_playground_figure_is_valid_plotly(name):
    view = VIEWS[name]
    surface = view.build_surface()
    runs = run_view(view)
    figures = [path_map(surface, runs, **MAP_OPTIONS), diagnostics(surface, runs, log_steps=True),
               diagnostics(surface, runs)] + [step_figure(surface, run, k) for run in runs for k in (0, 1, -1)]
    for fig in figures:
        go.Figure(fig.to_dict())


def test_the_map_frames_stay_what_the_engine_did():
    s = surfaces.get("bowl")
    runs = run_view(View())
    d = json.loads(pio.to_json(path_map(s, runs, **MAP_OPTIONS), validate=False))
    moving = [i for i, t in enumerate(d["data"]) if t.get("name", "").endswith("· now")]
    for frame in d["frames"]:
        step = int(frame["name"])
        for k, trace in enumerate(moving):
            entry = frame["data"][frame["traces"].index(trace)]
            np.testing.assert_allclose([entry["x"][0], entry["y"][0]], runs[k].path[step], atol=1e-6)
