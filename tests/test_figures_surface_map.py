"""figures.surface_map: the loss grid and the log heights; figures.thumbnail: the gallery thumbnail, for every surface."""
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import surfaces
from figures.map import LEVELS, surface_bands, surface_rgb
from figures.surface_map import log_height, loss_grid
from figures.thumbnail import SIZE, pixel, thumbnail_png

NAMES = surfaces.names()


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


# ----------------------------------------------------------------- the gallery thumbnail (figures.thumbnail)
def thumbnail_pixels(s):
    return np.asarray(Image.open(io.BytesIO(thumbnail_png(s))).convert("RGB"), dtype=np.int64)


def near(img, xy, color, radius=5, tolerance=60):
    """How many pixels within ``radius`` of ``xy`` are within ``tolerance`` (RGB distance) of ``color``."""
    x, y = (int(round(v)) for v in xy)
    patch = img[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1]
    return int((np.linalg.norm(patch - np.array(color), axis=-1) < tolerance).sum())


@pytest.mark.parametrize("name", NAMES)
def test_thumbnail_is_the_maps_raster_with_the_lowest_band_at_the_minimum(name):
    s = surfaces.get(name)
    png = thumbnail_png(s)
    assert png.startswith(b"\x89PNG") and thumbnail_png(s) is png  # built once per surface
    img = thumbnail_pixels(s)
    width, height = SIZE
    assert img.shape == (height, width, 3)
    bands = surface_bands(s, width, height) % LEVELS
    (x0, x1), (y0, y1) = s.bounds
    mx, my = s.minima[0]
    col, row = min(int((mx - x0) / (x1 - x0) * width), width - 1), min(int((y1 - my) / (y1 - y0) * height), height - 1)
    assert bands[row, col] <= 1  # the global minimum lies in the lowest bands
    # away from the markers, every pixel is the map's colour for its height band
    raster = surface_rgb(s, width, height)
    assert np.mean(np.all(img == raster, axis=-1)) > 0.7


@pytest.mark.parametrize("name", [n for n in NAMES if n != "rastrigin"])
def test_thumbnail_marks_the_critical_points_in_white_and_the_start_in_red(name):
    s = surfaces.get(name)
    img = thumbnail_pixels(s)
    for kind in ("minima", "saddles", "maxima"):
        for xy in pixel(s, getattr(s, kind), SIZE):
            if 3 <= xy[0] <= SIZE[0] - 3 and 3 <= xy[1] <= SIZE[1] - 3:
                assert near(img, xy, (255, 255, 255)) >= 4, (kind, xy)
    (start,) = pixel(s, [s.start], SIZE)
    assert near(img, start, (255, 75, 75)) >= 10


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
