"""The one-dimensional flat/sharp picture: derivatives against finite differences, mini-batch noise
against its formula, the vectorized SGD against a per-seed loop over examples, and the claim itself
(small batches end in the flat minimum more often, with a lower test loss) with fixed seeds."""
import numpy as np
import pytest

from batchlab import flat_sharp as FS

LAND = FS.Landscape()


def test_derivatives_match_finite_differences():
    theta = np.linspace(-2.5, 2.5, 101)
    h = 1e-6
    np.testing.assert_allclose(LAND.grad(theta), (LAND.loss(theta + h) - LAND.loss(theta - h)) / (2 * h),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(LAND.curvature(theta), (LAND.grad(theta + h) - LAND.grad(theta - h)) / (2 * h),
                               rtol=1e-5, atol=1e-4)
    u = np.linspace(-3, 3, 61)
    np.testing.assert_allclose(LAND.curve_grad(u), (LAND.curve(u + h) - LAND.curve(u - h)) / (2 * h),
                               rtol=1e-6, atol=1e-6)
    # the training loss is the mean of the examples' own curves, and the test loss is it shifted
    assert LAND.loss(0.3) == pytest.approx(np.mean([LAND.curve(0.3 - s) for s in LAND.shifts]), rel=1e-12)
    assert LAND.test_loss(0.3, 0.2) == pytest.approx(LAND.loss(0.1), rel=1e-12)


def test_two_minima_of_similar_depth_one_much_sharper():
    m = LAND.landmarks
    assert m.flat < m.barrier < m.sharp
    assert LAND.grad(m.flat) == pytest.approx(0, abs=1e-10) and LAND.grad(m.sharp) == pytest.approx(0, abs=1e-10)
    flat_h, sharp_h = LAND.curvature(m.flat), LAND.curvature(m.sharp)
    assert 0 < flat_h and sharp_h > 8 * flat_h and LAND.curvature(m.barrier) < 0
    # similar depth, the sharp one even a little deeper on the training data…
    assert 0 < LAND.loss(m.flat) - LAND.loss(m.sharp) < 0.05
    assert LAND.loss(m.barrier) > LAND.loss(m.flat) + 0.3
    # …and worse on the shifted test curve
    assert LAND.test_loss(m.sharp, 0.2) > LAND.test_loss(m.flat, 0.2) + 0.2
    assert m.in_flat([m.flat, m.barrier - 1e-3, m.barrier + 1e-3, m.sharp]).tolist() == [True, True, False, False]


@pytest.mark.parametrize("where", ["flat", "sharp"])
def test_minibatch_noise_comes_from_the_examples_and_shrinks_with_the_batch(where):
    theta = getattr(LAND.landmarks, where)
    per_example = LAND.example_grads(theta)
    n = LAND.n_examples
    rng = np.random.default_rng(0)
    variances = {}
    for batch in (4, 16, 64):
        draws = 4000
        order = rng.permuted(np.broadcast_to(np.arange(n), (draws, n)), axis=1)  # B distinct examples each
        g = FS.minibatch_grads(LAND, np.full(draws, theta), order, batch, 0)
        assert g.mean() == pytest.approx(LAND.grad(theta), abs=4 * np.sqrt(per_example.var() / batch / draws))
        variances[batch] = g.var()
        expected = per_example.var() / batch * (n - batch) / (n - 1)  # without replacement
        assert g.var() == pytest.approx(expected, rel=0.1)
    assert variances[4] > variances[16] > variances[64]
    # one epoch of batches that partition the data averages to the full gradient exactly
    order = rng.permuted(np.broadcast_to(np.arange(n), (1, n)), axis=1)
    parts = [FS.minibatch_grads(LAND, np.array([theta]), order, 16, i)[0] for i in range(n // 16)]
    assert np.mean(parts) == pytest.approx(float(LAND.grad(theta)), abs=1e-12)


def test_noise_is_much_larger_in_the_sharp_minimum():
    m = LAND.landmarks
    assert LAND.example_grads(m.sharp).std() > 10 * LAND.example_grads(m.flat).std()


def naive_sgd(land, starts, batch, lr, steps, rng):
    """One seed at a time, one example at a time; the same shuffles as run_sgd (same generator calls)."""
    n = land.n_examples
    per_epoch = n // batch
    base = np.broadcast_to(np.arange(n), (len(starts), n))
    theta = [float(s) for s in starts]
    order = None
    for t in range(steps):
        if t % per_epoch == 0:
            order = rng.permuted(base, axis=1)
        j = t % per_epoch
        for k in range(len(theta)):
            picked = order[k, j * batch:(j + 1) * batch]
            g = sum(float(land.curve_grad(theta[k] - land.shifts[i])) for i in picked) / batch
            theta[k] -= lr * g
    return np.array(theta)


def test_vectorized_sgd_equals_a_per_seed_loop():
    starts = np.array([-1.5, 0.2, 0.9, 1.7])
    fast = FS.run_sgd(LAND, starts, 8, 0.08, 40, np.random.default_rng(3))
    slow = naive_sgd(LAND, starts, 8, 0.08, 40, np.random.default_rng(3))
    np.testing.assert_allclose(fast, slow, rtol=1e-12, atol=1e-12)
    # the full batch is gradient descent on L
    theta = starts.copy()
    for _ in range(40):
        theta = theta - 0.08 * np.array([np.mean(LAND.curve_grad(t - LAND.shifts)) for t in theta])
    np.testing.assert_allclose(FS.run_sgd(LAND, starts, LAND.n_examples, 0.08, 40, None), theta, rtol=1e-12)


def test_small_batches_end_in_the_flat_minimum_more_often_and_test_better():
    result = FS.run_toy(FS.ToyConfig(small_batch=4, large_batch=128, lr=0.08, steps=300, runs=300, seed=0))
    small, large = result.small, result.large
    marks = LAND.landmarks
    # gradient descent (B = N) stays in the basin it starts in: the sharp one catches its share of the starts
    np.testing.assert_array_equal(large.in_flat, marks.in_flat(result.starts))
    assert 0.2 < 1 - large.flat_share < 0.6
    assert small.flat_share > 0.95 and small.flat_share > large.flat_share + 0.2
    # on the training data the large batch is as good or better (the sharp minimum is a bit deeper)…
    assert large.train_loss.mean() <= small.train_loss.mean() + 0.01
    # …on the shifted test curve it is worse
    assert large.test_loss.mean() > small.test_loss.mean() + 0.05
    # the same config gives the same numbers
    again = FS.run_toy(result.config)
    np.testing.assert_array_equal(again.small.ends, small.ends)


def test_a_larger_batch_needs_a_larger_step_to_leave_the_sharp_minimum():
    """Noise scale ~ η/B: at η = 0.04 batch 16 mostly stays where it started; at η = 0.08 it leaves."""
    low = FS.run_toy(FS.ToyConfig(small_batch=16, large_batch=128, lr=0.04, steps=300, runs=300))
    high = FS.run_toy(FS.ToyConfig(small_batch=16, large_batch=128, lr=0.08, steps=300, runs=300))
    assert high.small.flat_share > low.small.flat_share + 0.1


@pytest.mark.parametrize("kwargs", [dict(small_batch=0), dict(large_batch=129), dict(lr=0.0), dict(lr=0.6),
                                    dict(steps=0), dict(runs=0), dict(shift=2.0)])
def test_bad_toy_settings_are_refused(kwargs):
    field = next(iter(kwargs))
    with pytest.raises(ValueError, match=f"{field} = "):
        FS.ToyConfig(**kwargs)


def test_progress_is_reported_in_order_up_to_the_end():
    seen = []
    FS.run_toy(FS.ToyConfig(small_batch=4, large_batch=128, steps=100, runs=20), progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0) and len(seen) == 4
    # the full batch computes 32 times more per update than batch 4: it gets most of the bar
    assert seen[1] == pytest.approx(4 / (4 + 128))
