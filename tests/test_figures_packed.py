"""figures.packed: a figure split into a template and per-run blobs, and put back as the browser does."""
import struct

import numpy as np
import pytest

import surfaces
from figures.diagnostics import diagnostics_spec
from figures.map import BROWSER_POINTS, CASING_NAME, map_split, path_map, surface_image
from figures.packed import MIN_ARRAY, dumps, join, pack, split, unpack
from lab.runs import PALETTE, RunView
from lab.playground import RunSpec, View, run_view
from tests.apptest_helpers import decode


def header(blob):
    import json

    (length,) = struct.unpack_from("<I", blob.data, 0)
    return json.loads(blob.data[4:4 + length])


# ----------------------------------------------------------------- one blob
def test_a_blob_reads_back_every_array_to_float32_precision_or_exactly():
    rng = np.random.default_rng(0)
    arrays = {
        "xy": rng.standard_normal(1000) * 3,
        "steps": np.arange(0, 100_000, 37),  # increasing integers: stored as uint16 gaps
        "jumpy": np.array([0, 70_000, 70_001] * 20),  # not increasing: int32
        "custom": np.column_stack([np.arange(500.0), rng.random(500) * 1e3]),  # a narrow 2-D array
        "z": rng.random((40, 50)),  # a wide one (a contour)
        "huge": np.array([1e300, -1e301] * 20),  # beyond float32: kept as float64
    }
    blob_id, back = unpack(pack(arrays).data)
    np.testing.assert_allclose(back["xy"], arrays["xy"], rtol=6e-8)
    np.testing.assert_array_equal(back["steps"], arrays["steps"])
    np.testing.assert_array_equal(back["jumpy"], arrays["jumpy"])
    assert back["custom"].shape == (500, 2) and back["z"].shape == (40, 50)
    np.testing.assert_array_equal(back["custom"][:, 0], np.arange(500.0))
    np.testing.assert_allclose(back["z"], arrays["z"], rtol=6e-8)
    np.testing.assert_array_equal(back["huge"], arrays["huge"])
    types = {name: h.get("type") for name, h in header(pack(arrays))["arrays"].items()}
    assert types == {"xy": "f4", "steps": "d2", "jumpy": "i4", "custom": None, "z": "f4", "huge": "f8"}
    assert [c["type"] for c in header(pack(arrays))["arrays"]["custom"]["columns"]] == ["d2", "f4"]


def test_arrays_start_on_8_byte_boundaries_and_equal_arrays_share_their_bytes():
    x = np.linspace(0, 1, 333)
    blob = pack({"a": np.arange(7.5, 300), "x": x, "same": x.copy()})
    h = header(blob)
    assert (4 + len(dumps(h))) <= len(blob.data)
    assert all(e["offset"] % 8 == 0 for e in h["arrays"].values())
    assert h["arrays"]["x"]["offset"] == h["arrays"]["same"]["offset"]


def test_the_id_follows_the_bytes():
    a = {"x": np.arange(100.0)}
    assert pack(a).id == pack({"x": np.arange(100.0)}).id
    assert pack(a).id != pack({"x": np.arange(100.0) + 1}).id


def test_nan_and_infinity_are_refused():
    with pytest.raises(ValueError, match="NaN or infinity"):
        pack({"x": np.array([1.0, np.nan] * 20)})
    with pytest.raises(ValueError):
        dumps({"x": float("inf")})


# ----------------------------------------------------------------- a figure
@pytest.fixture(scope="module")
def bowl_runs():
    return run_view(View(steps=2_000))


def test_a_split_figure_joins_back_to_the_same_numbers(bowl_runs):
    bowl = surfaces.get("bowl")
    whole = path_map(bowl, bowl_runs, animate=False, max_points=BROWSER_POINTS).to_plotly_json()
    part, anim = map_split(bowl, bowl_runs)
    drawn = join(part)
    by_name = {t["name"]: t for t in drawn["data"]}
    for trace in whole["data"]:
        if trace.get("name") in ("click-grid", CASING_NAME) or trace.get("name") not in by_name:
            continue
        got = by_name[trace["name"]]
        for key in ("x", "y"):
            np.testing.assert_allclose(decode(got[key]), decode(trace[key]), rtol=1e-6, atol=1e-7)
    assert drawn["layout"]["images"][0]["source"] == surface_image(bowl)["source"]  # the same PNG
    assert part.images and part.images[0][0] == "image/png"
    assert [drawn["data"][r["now"]]["name"] for r in anim["runs"]] == [f"{r.label} · now" for r in bowl_runs]


def test_each_run_has_a_blob_of_its_own_and_small_arrays_stay_in_the_template(bowl_runs):
    part, _ = map_split(surfaces.get("bowl"), bowl_runs)
    assert len(part.blobs) == len(bowl_runs)
    text = part.template_json.decode()
    assert '"$ref"' in text and "bdata" not in text
    for trace in part.template["data"]:
        for key in ("x", "y"):
            value = trace.get(key)
            assert isinstance(value, dict) or len(value) < MIN_ARRAY


def test_a_run_that_did_not_change_keeps_its_blob(bowl_runs):
    """Only the moved run's blob changes: the browser keeps the other one (its URL is its hash)."""
    bowl = surfaces.get("bowl")
    moved = run_view(View(steps=2_000, runs=(RunSpec("gd", (("lr", 1e-3),), slot=0), RunSpec("adagrad", (("lr", 0.1),),
                                                                                               slot=1))))
    before, _ = map_split(bowl, bowl_runs)
    after, _ = map_split(bowl, [moved[0], bowl_runs[1]])
    assert before.blobs[0].id != after.blobs[0].id and before.blobs[1].id == after.blobs[1].id
    spec_before = split(diagnostics_spec(bowl, bowl_runs, log_steps=True, max_points=600))
    spec_after = split(diagnostics_spec(bowl, [moved[0], bowl_runs[1]], log_steps=True, max_points=600))
    assert [b.id for b in spec_before.blobs][1] == [b.id for b in spec_after.blobs][1]


def test_a_default_move_sends_tens_of_kilobytes(bowl_runs):
    """The default view's map and diagnostics for one run: what a learning-rate move adds to the wire."""
    bowl = surfaces.get("bowl")
    runs = run_view(View())
    part, _ = map_split(bowl, runs)
    diag = split(diagnostics_spec(bowl, runs, log_steps=True, max_points=600))
    one_run = len(part.blobs[0].data) + len(diag.blobs[0].data) + len(part.template_json) + len(diag.template_json)
    assert one_run < 60_000, one_run


def test_groups_must_match_the_traces():
    with pytest.raises(ValueError, match="2 group names for 1 traces"):
        split({"data": [{"type": "scatter", "x": np.arange(50.0)}], "layout": {}}, ["a", "b"])


def test_a_figure_from_plotly_objects_splits_too():
    import plotly.graph_objects as go

    fig = go.Figure(go.Contour(z=np.random.default_rng(1).random((30, 40)), x=np.arange(40.0), y=np.arange(30.0)))
    back = join(split(fig))
    (trace,) = back["data"]
    np.testing.assert_allclose(trace["z"], fig.data[0].z, rtol=6e-8)
    assert "template" not in back["layout"]


def test_palette_reads_on_white_and_on_streamlits_dark_theme():
    """WCAG contrast of every run colour against the light (white) and dark (#0e1117) page: at least 3:1."""
    def luminance(color):
        r, g, b = (int(color.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4))
        lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for color in PALETTE:
        for page in ("#ffffff", "#0e1117"):
            hi, lo = sorted((luminance(color), luminance(page)), reverse=True)
            assert (hi + 0.05) / (lo + 0.05) >= 3.0, (color, page)
    assert len(set(PALETTE)) == len(PALETTE) >= 4


def test_every_path_on_the_map_lies_on_a_dark_casing(bowl_runs):
    drawn = join(map_split(surfaces.get("bowl"), bowl_runs)[0])
    for run in bowl_runs:
        k = next(i for i, t in enumerate(drawn["data"]) if t.get("name") == run.label)
        casing = drawn["data"][k - 1]
        assert casing["name"] == CASING_NAME and casing["line"]["width"] > drawn["data"][k]["line"]["width"]
        np.testing.assert_array_equal(casing["x"], drawn["data"][k]["x"])


def test_not_runviews_are_refused():
    with pytest.raises(ValueError, match="RunView"):
        map_split(surfaces.get("bowl"), [object()])
    assert RunView  # the type the maps take
