"""figures.downsample: which records of a long run the figures draw."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import optimizers
from figures.downsample import _edges, _envelope, frame_indices, keep_turns


def check_indices(idx, n, limit):
    idx = np.asarray(idx)
    assert idx.dtype.kind == "i"
    assert len(idx) <= limit
    if n:
        assert idx[0] == 0 and idx[-1] == n - 1
    assert np.all(np.diff(idx) > 0), "sorted and unique"
    assert idx.min(initial=0) >= 0 and idx.max(initial=0) <= max(n - 1, 0)


@pytest.fixture(scope="module")
def bounce():
    """Plain GD in the bowl at lr 1e-2: y jumps between the valley walls every step, for ever."""
    return optimizers.simulate("bowl", optimizers.get("gd", lr=1e-2), steps=100_000).path[0]


# ----------------------------------------------------------------- keep_turns
@pytest.mark.parametrize("shape", [(0,), (1,), (5,), (2000,), (2000, 2), (7, 3)])
def test_short_series_keep_every_index(shape):
    np.testing.assert_array_equal(keep_turns(np.zeros(shape)), np.arange(shape[0]))


def test_long_series_within_bounds():
    rng = np.random.default_rng(0)
    for n, d, limit in [(2001, 2, 2000), (100_000, 2, 2000), (50_000, 1, 300), (10_000, 4, 500)]:
        series = rng.standard_normal((n, d)).cumsum(0)
        check_indices(keep_turns(series, max_points=limit), n, limit)


def test_one_dimensional_series_keep_their_extremes():
    x = np.sin(np.linspace(0, 40 * np.pi, 100_000))
    kept = keep_turns(x, max_points=1000)
    check_indices(kept, len(x), 1000)
    assert x[kept].max() == x.max() and x[kept].min() == x.min()


def test_the_bowl_bounce_survives(bounce):
    """Kept points still jump between the two walls at full amplitude, all along the run."""
    y = bounce[:, 1]
    assert np.all(np.sign(y[1:]) != np.sign(y[:-1])) and np.abs(y[100:]).min() > 0.5  # the engine's run bounces
    kept = keep_turns(bounce)
    check_indices(kept, len(bounce), 2000)
    steps_per_window = 10_000
    for start in range(0, len(bounce) - 1, steps_per_window):
        window = kept[(kept >= max(start, 1)) & (kept < start + steps_per_window)]
        y = bounce[window, 1]
        assert len(y) >= 20, f"window at step {start}: only {len(y)} points kept"
        assert y.max() >= 0.5 and y.min() <= -0.5, f"window at step {start}: amplitude lost"
        crossings = np.mean(np.sign(y[1:]) != np.sign(y[:-1]))
        assert crossings >= 0.5, f"window at step {start}: only {crossings:.0%} of segments cross the valley"


def test_evenly_spaced_samples_would_lose_the_bounce(bounce):
    """Why keep_turns exists: an even stride (here even) lands on one wall only."""
    y = bounce[::50, 1][1:]
    assert (y > 0).all() or (y < 0).all()


@pytest.mark.parametrize("steps", [10_000, 100_000, 1_000_000])
def test_adam_first_steps_all_kept(steps):
    path = optimizers.simulate("bowl", optimizers.get("adam", lr=0.1), steps=steps).path[0]
    kept = keep_turns(path)
    check_indices(kept, len(path), 2000)
    np.testing.assert_array_equal(kept[:50], np.arange(50))


def test_uses_most_of_the_budget(bounce):
    assert len(keep_turns(bounce)) > 1500  # the worst-case bound does not waste the allowance


def test_nan_entries_do_not_break_it():
    series = np.random.default_rng(1).standard_normal((20_000, 2))
    series[100:5000] = np.nan
    check_indices(keep_turns(series, max_points=400), len(series), 400)


@pytest.mark.parametrize("bad", [1, 0, -3, 2.5, "many", None])
def test_bad_max_points_raise(bad):
    with pytest.raises(ValueError, match="max_points"):
        keep_turns(np.zeros(10), max_points=bad)


def test_bad_shapes_raise():
    with pytest.raises(ValueError, match="shape"):
        keep_turns(np.zeros((4, 2, 2)))


@settings(max_examples=150, deadline=None)
@given(
    series=hnp.arrays(np.float64, st.tuples(st.integers(0, 3000), st.integers(1, 4)),
                      elements=st.floats(-1e6, 1e6, allow_nan=False)),
    max_points=st.integers(2, 400),
    flat=st.booleans(),
)
def test_invariants(series, max_points, flat):
    if flat:
        series = series[:, 0]
    kept = keep_turns(series, max_points=max_points)
    n = len(series)
    check_indices(kept, n, max_points)
    if n <= max_points:
        np.testing.assert_array_equal(kept, np.arange(n))
    elif max_points >= 2 + 2 * (series.shape[1] if series.ndim == 2 else 1):
        # room for at least one bucket's envelope: every column's extremes are kept
        assert np.all(series[kept].max(axis=0) == series.max(axis=0))
        assert np.all(series[kept].min(axis=0) == series.min(axis=0))


@settings(max_examples=50, deadline=None)
@given(n=st.integers(3001, 300_000), d=st.integers(1, 3), max_points=st.integers(2, 3000), seed=st.integers(0, 2**16))
def test_invariants_long(n, d, max_points, seed):
    series = np.random.default_rng(seed).standard_normal((n, d)).cumsum(0)
    check_indices(keep_turns(series, max_points=max_points), n, max_points)


def envelope_by_loop(S, edges, per_bucket):
    """The envelope as its docstring says it, bucket by bucket: all of a small bucket, else its first
    and last index and the first argmin and argmax of each column, NaN skipped."""
    kept = set()
    for lo, hi in zip(edges[:-1], edges[1:]):
        if hi - lo <= per_bucket:
            kept.update(range(lo, hi))
            continue
        kept.update((lo, hi - 1))
        for column in S[lo:hi].T:
            if not np.isnan(column).all():  # an all-NaN column has no extremes
                kept.update((lo + int(np.nanargmin(column)), lo + int(np.nanargmax(column))))
    return np.array(sorted(kept), dtype=np.intp)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(50, 5000), d=st.integers(1, 3), buckets=st.integers(1, 60), nan_share=st.sampled_from([0, 0.1, 1]),
       seed=st.integers(0, 2**16))
def test_the_envelope_equals_a_bucket_by_bucket_loop(n, d, buckets, nan_share, seed):
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((n, d)).cumsum(0)
    S[rng.random((n, d)) < nan_share] = np.nan
    per_bucket = 2 + 2 * d
    edges = _edges(n, buckets)
    np.testing.assert_array_equal(_envelope(S, edges, per_bucket), envelope_by_loop(S, edges, per_bucket))


# ----------------------------------------------------------------- frame_indices
def test_frames_short_runs_every_record():
    np.testing.assert_array_equal(frame_indices(120, 300), np.arange(120))
    assert len(frame_indices(0)) == 0
    np.testing.assert_array_equal(frame_indices(1), [0])


def test_frames_mix_log_and_linear():
    idx = frame_indices(100_001, 300)
    check_indices(idx, 100_001, 300)
    assert len(idx) >= 290  # the budget is used
    np.testing.assert_array_equal(idx[:15], np.arange(15))  # the first steps one by one
    gaps = np.diff(idx)
    assert gaps.max() <= 2 * 100_000 / 150  # the rest evenly covered


@settings(max_examples=200, deadline=None)
@given(n=st.integers(0, 2_000_000), max_frames=st.integers(2, 2000))
def test_frames_invariants(n, max_frames):
    idx = frame_indices(n, max_frames)
    check_indices(idx, n, max_frames)
    if n <= max_frames:
        assert len(idx) == n


@pytest.mark.parametrize("n, max_frames", [(-1, 300), (10, 1), (10, "x")])
def test_frames_bad_input(n, max_frames):
    with pytest.raises(ValueError):
        frame_indices(n, max_frames)
