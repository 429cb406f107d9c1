"""simulate(): vectorized runs, recording, divergence, noise, bad input; classify()."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import optimizers
import surfaces
from optimizers import Noise, simulate

ALL = ("path", "loss", "grad", "momentum", "lr_eff")


@settings(max_examples=25, deadline=None)
@given(surface=st.sampled_from(surfaces.names()), name=st.sampled_from(optimizers.names()),
       K=st.integers(1, 5), seed=st.integers(0, 2**31), steps=st.integers(1, 300))
def test_K_runs_at_once_equal_K_single_runs(surface, name, K, seed, steps):
    surf = surfaces.get(surface)
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = surf.bounds
    starts = np.stack([rng.uniform(x0, x1, K), rng.uniform(y0, y1, K)], -1)
    lrs = 10 ** rng.uniform(-4, -2, K)
    together = simulate(surf, optimizers.get(name, lr=lrs), starts, steps)
    for k in range(K):
        alone = simulate(surf, optimizers.get(name, lr=lrs[k]), starts[k], steps)
        for field in ALL + ("final", "final_loss", "diverged_at"):
            np.testing.assert_array_equal(getattr(together, field)[k], getattr(alone, field)[0])


def test_record_every_n_is_the_full_record_subsampled():
    surf = surfaces.get("rosenbrock")
    full = simulate(surf, "adam", steps=1000)
    sparse = simulate(surf, "adam", steps=1000, every=7)
    assert sparse.steps[0] == 0 and sparse.steps[-1] == 1000 and np.all(np.diff(sparse.steps) > 0)
    for field in ALL:
        np.testing.assert_array_equal(getattr(sparse, field), getattr(full, field)[:, sparse.steps])
    only = simulate(surf, "adam", steps=1000, record=("path",))
    assert only.loss is None and only.grad is None and only.momentum is None and only.lr_eff is None
    np.testing.assert_array_equal(only.path, full.path)
    np.testing.assert_array_equal(simulate(surf, "adam", steps=1000, record=()).final, full.path[:, -1])


def test_recorded_arrays_follow_their_definitions():
    surf = surfaces.get("himmelblau")
    tr = simulate(surf, optimizers.get("momentum", lr=1e-3), steps=200)
    assert tr.path.shape == (1, 201, 2) and tr.loss.shape == (1, 201)
    np.testing.assert_array_equal(tr.loss[0], surf.loss(tr.path[0]))
    np.testing.assert_array_equal(tr.grad[0], surf.grad(tr.path[0]))
    # θ_{t+1} = θ_t − η m_t for σ = 1, with m_t = 0.9 m_{t−1} + g_t
    np.testing.assert_allclose(tr.path[0, 1:], tr.path[0, :-1] - 1e-3 * tr.momentum[0, :-1], rtol=1e-13)
    np.testing.assert_allclose(tr.momentum[0, 1:], 0.9 * tr.momentum[0, :-1] + tr.grad[0, 1:], rtol=1e-12)
    np.testing.assert_array_equal(tr.lr_eff[0], 1e-3)
    adam = simulate(surf, "adam", steps=1)
    np.testing.assert_allclose(adam.lr_eff[0, 0], 1e-3 / (np.abs(adam.grad[0, 0]) + 1e-8), rtol=1e-12)


def test_divergence_is_a_result_and_the_path_freezes():
    surf = surfaces.get("rosenbrock")
    lrs = np.array([1e-4, 0.05])
    tr = simulate(surf, optimizers.get("gd", lr=lrs), steps=500)
    assert tr.diverged_at[0] == -1
    d = tr.diverged_at[1]
    assert 0 < d < 500 and tr.diverged[1]
    for field in ALL:
        arr = getattr(tr, field)
        assert np.all(np.isfinite(arr))
        np.testing.assert_array_equal(arr[1, d:], np.broadcast_to(arr[1, d - 1], arr[1, d:].shape))
    assert np.all(np.abs(tr.path[1, : d]) <= surf.box)
    np.testing.assert_array_equal(tr.final[1], tr.path[1, d - 1])
    assert np.isfinite(tr.final_loss).all()


def test_bowl_walls_bounce_big_steps_instead_of_diverging():
    tr = simulate("bowl", optimizers.get("gd", lr=1e-2), steps=100_000, record=("path",), every=1)
    assert tr.diverged_at[0] == -1
    y = tr.path[0, -1000:, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1])) and np.abs(y).min() > 0.3


def test_noise_is_reproducible_unbiased_and_scales_with_batch_size():
    surf = surfaces.get("saddle")
    start = np.zeros(2)  # a critical point: every move is noise
    opt = optimizers.get("gd", lr=1.0)
    one = simulate(surf, opt, np.zeros((4000, 2)), steps=1, noise=Noise(std=2.0, batch_size=1), seed=7)
    again = simulate(surf, opt, np.zeros((4000, 2)), steps=1, noise=Noise(std=2.0, batch_size=1), seed=7)
    other = simulate(surf, opt, np.zeros((4000, 2)), steps=1, noise=Noise(std=2.0, batch_size=1), seed=8)
    big = simulate(surf, opt, np.zeros((4000, 2)), steps=1, noise=Noise(std=2.0, batch_size=16), seed=7)
    np.testing.assert_array_equal(one.final, again.final)
    assert np.abs(one.final - other.final).max() > 0.1
    moves = -one.final  # θ_1 = θ_0 − 1.0·(0 + noise)
    assert abs(moves.mean()) < 0.1 and moves.std() == pytest.approx(2.0, rel=0.05)
    assert (-big.final).std() == pytest.approx(0.5, rel=0.05)
    assert abs(np.corrcoef(moves[:, 0], moves[:, 1])[0, 1]) < 0.05
    assert simulate(surf, opt, start, steps=10, noise=0.0).final[0].tolist() == [0.0, 0.0]


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(("gd", "adam", "rmsprop", "rprop")), K=st.integers(1, 70), block=st.integers(1, 40),
       threads=st.integers(1, 3), seed=st.integers(0, 2**31), noisy=st.booleans())
def test_blocked_runs_equal_single_runs_lane_by_lane(name, K, block, threads, seed, noisy):
    """K runs advanced in blocks of ``block`` lanes on ``threads`` threads give, run by run, the bits of
    each run in a block of its own: divergence, noise and records are each lane's own, and recording
    nothing changes no end point or divergence step. Without noise,
    a run equals the same run simulated alone (with noise, run k draws the numbers of run index k)."""
    surf = surfaces.get("rosenbrock")
    rng = np.random.default_rng(seed)
    starts = np.stack([rng.uniform(-2, 2, K), rng.uniform(-1, 3, K)], -1)
    lrs = 10 ** rng.uniform(-4, -0.5, K)  # the largest diverge on Rosenbrock's walls
    kw = dict(steps=150, noise=0.3 if noisy else None, seed=seed, every=7, tail=3)
    together = simulate(surf, optimizers.get(name, lr=lrs), starts, block=block, threads=threads, **kw)
    apart = simulate(surf, optimizers.get(name, lr=lrs), starts, block=1, threads=1, **kw)
    for field in ALL + ("final", "final_loss", "diverged_at"):
        np.testing.assert_array_equal(getattr(together, field), getattr(apart, field))
    bare = simulate(surf, optimizers.get(name, lr=lrs), starts, block=block, threads=threads, record=(), **kw)
    for field in ("final", "final_loss", "diverged_at"):  # recording nothing takes another path per step
        np.testing.assert_array_equal(getattr(bare, field), getattr(apart, field))
    if not noisy:
        for k in rng.choice(K, min(K, 3), replace=False):
            alone = simulate(surf, optimizers.get(name, lr=lrs[k]), starts[k], **kw)
            for field in ALL + ("final", "final_loss", "diverged_at"):
                np.testing.assert_array_equal(getattr(together, field)[k], getattr(alone, field)[0])


def test_threads_and_chunks_do_not_change_results():
    surf = surfaces.get("himmelblau")
    rng = np.random.default_rng(0)
    starts = rng.uniform(-5, 5, (64, 2))
    kw = dict(steps=40_000, noise=0.5, seed=3, record=("path",), every=1000)
    one = simulate(surf, "adam", starts, threads=1, **kw)
    seen = []
    two = simulate(surf, "adam", starts, threads=2, progress=seen.append, **kw)
    np.testing.assert_array_equal(one.path, two.path)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)


@pytest.mark.parametrize("call,message", [
    (lambda: simulate("bowl", "sgd"), "valid names: gd, momentum"),
    (lambda: simulate("nowhere", "gd"), "valid names: bowl"),
    (lambda: simulate("bowl", "gd", steps=0), "steps = 0 is out of range; allowed integers 1 <= steps"),
    (lambda: simulate("bowl", "gd", steps=2.5), "steps = 2.5"),
    (lambda: optimizers.get("gd", lr=-1), "gd: lr = -1 is out of range; allowed 0 <= lr"),
    (lambda: optimizers.get("gd", lr=float("nan")), "lr = nan is out of range"),
    (lambda: optimizers.get("adam", lr=np.array([1e-3, np.inf])), "lr = inf \\(at index 1 of the sweep\\)"),
    (lambda: optimizers.get("adam", betas=(0.9, 1.0)), "betas\\[1\\] = 1 is out of range; allowed 0 <= betas\\[1\\] < 1"),
    (lambda: optimizers.get("momentum", momentum=1.5), "momentum = 1.5 is out of range"),
    (lambda: optimizers.get("rmsprop", alpha=-0.1), "alpha = -0.1 is out of range"),
    (lambda: optimizers.get("adagrad", eps=-1), "eps = -1 is out of range"),
    (lambda: optimizers.get("adam", gamma=3), "unexpected keyword argument 'gamma'"),
    (lambda: optimizers.get("rmsprop", variant="paper"), "variant = 'paper' is not valid; allowed: torch, lecture"),
    (lambda: simulate("bowl", optimizers.get("gd", lr=[1e-3, 1e-2]), np.zeros((3, 2))), "same length K"),
    (lambda: simulate("bowl", "gd", starts=[np.nan, 0.0]), "starts must be finite"),
    (lambda: simulate("bowl", "gd", record=("path", "hessian")), "'hessian'"),
    (lambda: simulate("bowl", "gd", np.zeros((40_000, 2)), steps=200_000), "trajectory-steps"),
    (lambda: simulate("bowl", "gd", np.zeros((2_000, 2)), steps=100_000), "allowed up to 600 MB"),
    (lambda: simulate("bowl", "gd", noise=Noise(std=1.0, batch_size=0)), "batch_size = 0 is out of range"),
    (lambda: simulate("bowl", "gd", schedule="warmup"), "warmup"),
])
def test_bad_input_names_the_field_the_value_and_the_range(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_classify_the_kinds_of_critical_point():
    saddle = surfaces.get("saddle")
    c = optimizers.classify(saddle, [0.0, 0.0])
    assert c["kind"] == "saddle" and c["grad_norm"] == 0.0
    np.testing.assert_allclose(c["eigenvalues"], [-1.0, 1.0])
    np.testing.assert_allclose(np.abs(c["escape_direction"]), [0.0, 1.0])
    assert optimizers.classify(saddle, [0.0, 1.0])["kind"] == "minimum"
    assert optimizers.classify(saddle, [0.5, 0.5])["kind"] == "not_critical"
    himmelblau = surfaces.get("himmelblau")
    assert optimizers.classify(himmelblau, himmelblau.maxima[0])["kind"] == "maximum"
    for p in himmelblau.saddles:
        assert optimizers.classify(himmelblau, p)["kind"] == "saddle"


@settings(max_examples=200, deadline=None)
@given(steps=st.integers(1, 500), every=st.integers(1, 500), tail=st.integers(0, 500))
def test_record_steps_are_every_nth_plus_the_tail(steps, every, tail):
    every, tail = min(every, steps), min(tail, steps)
    expected = sorted({t for t in range(steps + 1) if t % every == 0 or t >= steps - tail})
    assert optimizers.record_steps(steps, every, tail).tolist() == expected
    tr = simulate("himmelblau", "adam", steps=steps, every=every, tail=tail, record=("path",))
    assert tr.steps.tolist() == expected and tr.path.shape[1] == len(expected)


def test_select_takes_runs_out_of_a_batch():
    lrs = np.array([1e-4, 1e-3, 1e-2])
    batch = simulate("himmelblau", optimizers.get("adam", lr=lrs), steps=200)
    for k in range(3):
        alone = simulate("himmelblau", optimizers.get("adam", lr=lrs[k]), steps=200)
        one = batch.select(k)
        for field in ALL + ("final", "final_loss", "diverged_at"):
            np.testing.assert_array_equal(getattr(one, field), getattr(alone, field))
    assert batch.select(np.array([2, 0])).path.shape == (2, 201, 2)
