"""figures.surface_map: the loss grid and the gallery thumbnail, for every surface."""
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import surfaces
from figures.surface_map import THUMB_HEIGHT, log_height, loss_grid, thumbnail

NAMES = surfaces.names()


def trace(fig, name):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}, got {[t.name for t in fig.data]}"
    return matches[0]


def xy(scatter):
    return np.column_stack([np.asarray(scatter.x, dtype=float), np.asarray(scatter.y, dtype=float)]).reshape(-1, 2)


@pytest.mark.parametrize("name", NAMES)
def test_loss_grid_covers_the_window(name):
    s = surfaces.get(name)
    xs, ys, Z = loss_grid(s, n=37)
    (x0, x1), (y0, y1) = s.bounds
    assert xs.shape == ys.shape == (37,)
    assert Z.shape == (37, 37)
    assert (xs[0], xs[-1], ys[0], ys[-1]) == (x0, x1, y0, y1)
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) > 0)
    assert np.isfinite(Z).all()
    # rows follow y, columns follow x
    for i, j in [(0, 0), (3, 30), (36, 5), (18, 18)]:
        assert Z[i, j] == pytest.approx(float(s.loss(np.array([xs[j], ys[i]]))), rel=1e-12, abs=1e-12)


def test_loss_grid_default_size():
    xs, ys, Z = loss_grid(surfaces.get("saddle"))
    assert Z.shape == (120, 120)


@pytest.mark.parametrize("n", [0, 1, -3, 2.5, True, "8"])
def test_loss_grid_rejects_bad_n(n):
    with pytest.raises(ValueError, match="n ="):
        loss_grid(surfaces.get("saddle"), n=n)


@pytest.mark.parametrize("name", NAMES)
def test_thumbnail_traces_and_layout(name):
    s = surfaces.get(name)
    fig = thumbnail(s)
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["surface", "minima", "saddles", "maxima", "start"]
    contour = trace(fig, "surface")
    assert contour.type == "contour"
    z = np.asarray(contour.z, dtype=float)
    assert z.shape == (80, 80)
    assert np.isfinite(z).all()
    assert len(contour.x) == 80 and len(contour.y) == 80
    assert fig.layout.height == THUMB_HEIGHT
    assert fig.layout.showlegend is False
    assert contour.showscale is False
    m = fig.layout.margin
    assert max(m.l, m.r, m.t, m.b) <= 40


@pytest.mark.parametrize("name", NAMES)
def test_thumbnail_marks_the_critical_points_and_start(name):
    s = surfaces.get(name)
    fig = thumbnail(s, n=40)
    np.testing.assert_allclose(xy(trace(fig, "minima")), s.minima.reshape(-1, 2))
    np.testing.assert_allclose(xy(trace(fig, "saddles")), s.saddles.reshape(-1, 2))
    np.testing.assert_allclose(xy(trace(fig, "maxima")), s.maxima.reshape(-1, 2))
    np.testing.assert_allclose(xy(trace(fig, "start")), s.start.reshape(1, 2))
    minima = trace(fig, "minima")
    assert minima.marker.symbol == "star" and minima.marker.color == "white"
    assert trace(fig, "saddles").marker.symbol == "x"


@pytest.mark.parametrize("name", NAMES)
def test_thumbnail_levels_are_logarithmic_and_the_minimum_is_lowest(name):
    s = surfaces.get(name)
    fig = thumbnail(s, n=60)
    contour = trace(fig, "surface")
    z = np.asarray(contour.z, dtype=float)
    xs, ys, L = loss_grid(s, n=60)
    # same order as the loss: a monotone transform of it
    order = np.argsort(L, axis=None, kind="stable")
    assert np.all(np.diff(z.ravel()[order]) >= -1e-5)
    assert contour.contours.start <= z.min() + 1e-6 and contour.contours.end >= z.max() - 1e-6
    assert contour.contours.size > 0
    # log-spaced: z is log10 of the height above the floor, so the top is log10 of the loss range
    # (the wide-range classics span several decades: one linear ramp would hide their floors)
    assert z.max() == pytest.approx(np.log10(L.max() - min(L.min(), s.loss(s.minima).min())), abs=1e-3)
    assert z.max() - z.min() >= 1.0
    if name in ("beale", "rosenbrock"):
        assert z.max() - z.min() >= 3.0


@pytest.mark.parametrize("name", NAMES)
def test_thumbnail_json_has_no_nan_or_inf(name):
    text = thumbnail(surfaces.get(name)).to_json()
    for bad in ("NaN", "Infinity"):
        assert bad not in text
    json.loads(text)


def test_log_height_spans_decades():
    Z = np.array([[0.0, 1e-3], [1.0, 1e5]])
    H = log_height(Z, decades=6.0)
    assert H[0, 0] == pytest.approx(5.0 - 6.0, abs=1e-6)
    assert H[1, 1] == pytest.approx(5.0, abs=1e-5)
    assert H[0, 0] < H[0, 1] < H[1, 0] < H[1, 1]


def test_log_height_uses_the_given_floor():
    H = log_height(np.array([2.0, 3.0, 12.0]), floor=2.0, decades=3.0)
    np.testing.assert_allclose(H, np.log10(np.array([0.0, 1.0, 10.0]) + 10.0 * 1e-3))


def test_log_height_of_a_flat_or_broken_grid_is_finite():
    assert np.isfinite(log_height(np.zeros((3, 3)))).all()
    assert np.isfinite(log_height(np.full((2, 2), np.nan))).all()
    H = log_height(np.array([0.0, 1.0, np.inf, np.nan, -np.inf]))
    assert np.isfinite(H).all()
    assert H[2] == H.max() and H[3] == H.max()


@settings(max_examples=200, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=12),
                  elements=st.floats(allow_nan=True, allow_infinity=True, width=64)))
def test_log_height_is_finite_and_keeps_the_order(Z):
    H = log_height(Z)
    assert H.shape == Z.shape
    assert np.isfinite(H).all()
    finite = np.isfinite(Z)
    a, b = Z[finite], H[finite]
    order = np.argsort(a, kind="stable")
    assert np.all(np.diff(b[order]) >= 0)
