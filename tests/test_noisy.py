"""Noisy gradients core and figures: data, loss and gradients against torch autograd and finite
differences, the saddle that stops full-batch gradient descent, SGD against a naive loop and
torch.optim.SGD, and what the figures draw."""
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from batchlab import noisy as nz
from figures import noisy as F

D = nz.dataset()
SADDLE = np.array(nz.saddle())


def saddle_loss() -> float:
    return float(nz.loss(SADDLE, D.x, D.y))


# ----------------------------------------------------------------- data
def test_the_data_are_twin_pairs_with_class_1_in_both_tails():
    assert D.x.shape == D.y.shape == (nz.N,)
    np.testing.assert_array_equal(D.x[1::2], -D.x[0::2])  # exact mirrors, neighbours in storage
    np.testing.assert_array_equal(D.y[1::2], D.y[0::2])
    assert set(np.unique(D.y)) == {0.0, 1.0} and D.y.mean() == 0.1875
    assert abs(np.sqrt(np.mean(D.x ** 2)) - 1.0) < 1e-3  # standardized (before rounding to 3 decimals)
    # class 1 sits further out than class 0, on both sides
    assert np.median(np.abs(D.x[D.y == 1])) > 2 * np.median(np.abs(D.x[D.y == 0]))
    assert (D.x[D.y == 1] > 0).sum() == (D.x[D.y == 1] < 0).sum()
    assert not D.x.flags.writeable and nz.dataset() is D


# ----------------------------------------------------------------- loss, gradient, Hessian
def torch_loss_grad_hessian(theta, x, y):
    import torch

    def loss(t):
        xs, ys = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
        return ((torch.sigmoid(t[0] * xs + t[1]) - ys) ** 2).mean()

    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    value = loss(t)
    (grad,) = torch.autograd.grad(value, t)
    hess = torch.autograd.functional.hessian(loss, t.detach())
    return value.item(), grad.numpy(), hess.numpy()


@pytest.mark.parametrize("batch", [None, 1, 8, 32])
def test_loss_gradient_and_hessian_match_torch_autograd(batch):
    rng = np.random.default_rng(batch or 0)
    idx = np.arange(nz.N) if batch is None else rng.choice(nz.N, batch, replace=False)
    x, y = D.x[idx], D.y[idx]
    for theta in rng.uniform([-8, -10], [8, 4], size=(6, 2)):
        value, grad, hess = torch_loss_grad_hessian(theta, x, y)
        assert nz.loss(theta, x, y) == pytest.approx(value, rel=1e-12, abs=1e-15)
        np.testing.assert_allclose(nz.gradient(theta, x, y), grad, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(nz.hessian(theta, x, y), hess, rtol=1e-9, atol=1e-13)


def test_gradient_matches_central_differences():
    rng = np.random.default_rng(1)
    h = 1e-6
    for theta in rng.uniform([-8, -10], [8, 4], size=(8, 2)):
        fd = [(nz.loss(theta + h * e, D.x, D.y) - nz.loss(theta - h * e, D.x, D.y)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(nz.gradient(theta, D.x, D.y), fd, rtol=1e-6, atol=1e-10)


def test_functions_broadcast_over_many_thetas():
    thetas = np.random.default_rng(2).uniform(-5, 5, size=(3, 4, 2))
    L, G, H = nz.loss(thetas, D.x, D.y), nz.gradient(thetas, D.x, D.y), nz.hessian(thetas, D.x, D.y)
    assert L.shape == (3, 4) and G.shape == (3, 4, 2) and H.shape == (3, 4, 2, 2)
    assert L[1, 2] == nz.loss(thetas[1, 2], D.x, D.y)
    np.testing.assert_array_equal(G[2, 3], nz.gradient(thetas[2, 3], D.x, D.y))
    with pytest.raises(ValueError, match="theta has shape"):
        nz.loss(np.zeros(3), D.x, D.y)


def test_sigmoid_is_finite_for_huge_arguments():
    z = np.array([-1e308, -800.0, 0.0, 800.0, 1e308])
    np.testing.assert_array_equal(nz.sigmoid(z), [0.0, 0.0, 0.5, 1.0, 1.0])
    assert nz.sigmoid(1.3) == pytest.approx(1 / (1 + math.exp(-1.3)), rel=1e-15)


# ----------------------------------------------------------------- surfaces on the grid
def test_surfaces_on_the_grid_equal_the_loss_at_the_grid_points():
    ws, bs = nz.grid_axes()
    Z = nz.full_surface()
    assert Z.shape == (nz.GRID_N, nz.GRID_N) and not Z.flags.writeable
    for i, j in [(0, 0), (17, 60), (79, 79), (40, 3)]:
        assert Z[i, j] == pytest.approx(nz.loss(np.array([ws[j], bs[i]]), D.x, D.y), rel=1e-13)
    batches = nz.epoch_batches(seed=3, epoch=2, batch_size=8)
    S = nz.batch_surfaces(batches[:3])
    assert S.shape == (3, nz.GRID_N, nz.GRID_N)
    for k in range(3):
        assert S[k, 11, 52] == pytest.approx(nz.loss(np.array([ws[52], bs[11]]), D.x[batches[k]],
                                                     D.y[batches[k]]), rel=1e-13)
    # the full surface is the mean of the surfaces of one epoch's batches
    everything = nz.batch_surfaces(batches)
    np.testing.assert_allclose(everything.mean(axis=0), Z, rtol=1e-12)


# ----------------------------------------------------------------- the critical points
def test_the_saddle_is_a_critical_point_with_one_negative_curvature():
    ybar = D.y.mean()
    assert SADDLE[0] == 0.0 and SADDLE[1] == pytest.approx(math.log(ybar / (1 - ybar)), rel=1e-15)
    g = nz.gradient(SADDLE, D.x, D.y)
    assert g[0] == 0.0  # the twins cancel exactly
    assert abs(g[1]) < 1e-15
    _, torch_grad, hess = torch_loss_grad_hessian(SADDLE, D.x, D.y)
    assert np.abs(torch_grad).max() < 1e-15
    low, high = np.linalg.eigvalsh(hess)
    assert low < -0.05 and high > 0.04  # a saddle: downhill along w, uphill along b


def test_the_minima_are_mirrored_minima_below_the_saddle():
    m = nz.minima()
    assert m.shape == (2, 2) and m[1, 0] > 1 and m[0, 0] == -m[1, 0] and m[0, 1] == m[1, 1]
    for theta in m:
        assert np.abs(nz.gradient(theta, D.x, D.y)).max() < 1e-12
        _, _, hess = torch_loss_grad_hessian(theta, D.x, D.y)
        assert np.all(np.linalg.eigvalsh(hess) > 0)
        assert nz.loss(theta, D.x, D.y) < saddle_loss() - 0.03
    # the lowest loss on a fine grid of the window is no lower than the minima
    ws, bs = np.linspace(-8, 8, 161), np.linspace(-10, 4, 141)
    grid = np.stack(np.meshgrid(ws, bs), -1)
    assert nz.loss(grid, D.x, D.y).min() >= nz.loss(m[1], D.x, D.y) - 1e-12


def test_the_full_gradient_has_no_w_component_anywhere_on_the_mirror_line():
    for b in np.linspace(-10, 4, 29):
        assert nz.gradient(np.array([0.0, b]), D.x, D.y)[0] == 0.0
    # while almost every mini-batch has one there
    batches = nz.epoch_batches(seed=0, epoch=0, batch_size=8)
    pulls = nz.gradient(np.tile(SADDLE, (len(batches), 1)), D.x[batches], D.y[batches])[:, 0]
    assert np.count_nonzero(np.abs(pulls) > 1e-3) >= len(batches) - 2


# ----------------------------------------------------------------- batches
def test_every_epoch_is_a_fresh_permutation_shared_by_the_batch_sizes():
    orders = nz.epoch_orders(seed=7, epochs=5, batch_size=8)
    assert orders.shape == (5, nz.N)
    for row in orders:
        np.testing.assert_array_equal(np.sort(row), np.arange(nz.N))
    assert len({tuple(r) for r in orders}) == 5  # reshuffled each epoch
    np.testing.assert_array_equal(nz.epoch_orders(7, 5, 1), orders)  # the same shuffles for every mini-batch size
    assert not np.array_equal(nz.epoch_orders(8, 5, 8), orders)  # the seed matters
    np.testing.assert_array_equal(nz.epoch_orders(7, 3, nz.N), np.tile(np.arange(nz.N), (3, 1)))
    batches = nz.epoch_batches(seed=7, epoch=3, batch_size=32)
    np.testing.assert_array_equal(batches.ravel(), orders[3])
    assert batches.shape == (4, 32)


# ----------------------------------------------------------------- SGD against independent references
def naive_sgd(start, eta, epochs, batch_size, seed):
    """The lecture's rule written out: per epoch a new permutation from one seeded generator, then for
    each batch θ ← θ − η·g_B with g_B the mean of the per-example gradients (math.exp, one by one)."""
    rng = np.random.default_rng(seed)
    w, b = start
    path = [(w, b)]
    for _ in range(epochs):
        order = np.arange(nz.N) if batch_size == nz.N else rng.permutation(nz.N)
        for k in range(0, nz.N, batch_size):
            gw = gb = 0.0
            for i in order[k:k + batch_size]:
                x, y = float(D.x[i]), float(D.y[i])
                p = 1.0 / (1.0 + math.exp(-(w * x + b)))
                gw += 2 * (p - y) * p * (1 - p) * x / batch_size
                gb += 2 * (p - y) * p * (1 - p) / batch_size
            w, b = w - eta * gw, b - eta * gb
            path.append((w, b))
    return np.array(path)


@pytest.mark.parametrize("batch_size", [1, 8, 32, nz.N])
@pytest.mark.parametrize("start", [nz.ORDINARY_START, (2.0, 1.0)])
def test_sgd_paths_match_the_naive_loop(batch_size, start):
    run = nz.sgd(start, eta=2.0, epochs=4, batch_size=batch_size, seed=5)
    reference = naive_sgd(start, 2.0, 4, batch_size, 5)
    assert run.path.shape == reference.shape == (4 * nz.N // batch_size + 1, 2)
    assert run.updates_per_epoch == nz.N // batch_size
    np.testing.assert_allclose(run.path, reference, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(run.loss, nz.loss(reference, D.x, D.y), rtol=1e-10)
    np.testing.assert_allclose(run.epochs[[0, -1]], [0, 4])


def test_sgd_matches_torch_optim_sgd_on_the_batch_losses():
    import torch

    start, eta, epochs, size, seed = (-3.0, 1.5), 0.7, 3, 16, 11
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=eta)
    xs, ys = torch.from_numpy(D.x.copy()), torch.from_numpy(D.y.copy())
    out = [p.detach().numpy().copy()]
    for order in nz.epoch_orders(seed, epochs, size):
        for batch in torch.from_numpy(order).reshape(-1, size):
            opt.zero_grad()
            ((torch.sigmoid(p[0] * xs[batch] + p[1]) - ys[batch]) ** 2).mean().backward()
            opt.step()
            out.append(p.detach().numpy().copy())
    np.testing.assert_allclose(nz.sgd(start, eta, epochs, size, seed).path, np.array(out), rtol=1e-10, atol=1e-13)


# ----------------------------------------------------------------- the stuck case
@pytest.mark.parametrize("seed", range(5))
def test_full_batch_gd_stays_on_the_saddle_while_minibatch_sgd_moves_on(seed):
    result = nz.run_all(nz.NoisyConfig(eta=2.0, epochs=30, seed=seed, start=tuple(SADDLE)))
    full = result.run(nz.N)
    assert np.all(full.path[:, 0] == 0.0) and np.abs(full.path - SADDLE).max() < 1e-12
    assert np.linalg.norm(full.end_gradient) < 1e-15
    assert full.loss[-1] == pytest.approx(saddle_loss(), abs=1e-14)
    for size in (1, 8, 32):
        run = result.run(size)
        assert abs(run.path[-1, 0]) > 1.0, (size, run.path[-1])  # off the mirror line, into a valley
        assert run.loss[-1] < saddle_loss() - 0.02, (size, run.loss[-1])


def test_anywhere_on_the_mirror_line_full_batch_gd_slides_into_the_saddle_and_stays():
    for b0 in (3.0, -4.0):
        run = nz.sgd((0.0, b0), eta=10.0, epochs=200, batch_size=nz.N, seed=0)
        assert np.all(run.path[:, 0] == 0.0)  # 200 updates past an unstable direction: still exactly on the line
        assert abs(run.path[-1, 1] - SADDLE[1]) < 1e-9
        assert run.loss[-1] == pytest.approx(saddle_loss(), abs=1e-15)
    # Large steps or a start far down the line: w still never moves (there it sits on the plateau σ(b) ≈ 0).
    for b0, eta in ((3.0, 50.0), (-9.0, 20.0)):
        assert np.all(nz.sgd((0.0, b0), eta, 200, nz.N, 0).path[:, 0] == 0.0)


def test_from_the_ordinary_start_every_batch_size_goes_downhill_into_the_same_valley():
    result = nz.run_all(nz.NoisyConfig(eta=2.0, epochs=30, start=nz.ORDINARY_START))
    start_loss = result.runs[0].loss[0]
    for run in result.runs:
        assert run.path[-1, 0] < -3 and run.loss[-1] < min(saddle_loss(), start_loss - 0.05)


# ----------------------------------------------------------------- settings
def test_config_defaults_and_normalization():
    c = nz.NoisyConfig(batch_sizes=[32, 1], start=(1, 2), epochs=3.0)
    assert c.batch_sizes == (1, 32) and c.start == (1.0, 2.0) and c.epochs == 3 and isinstance(c.epochs, int)
    assert hash(c) == hash(nz.NoisyConfig(batch_sizes=(1, 32), start=(1.0, 2.0), epochs=3))


@pytest.mark.parametrize("kwargs, field", [
    (dict(eta=0), "eta"), (dict(eta=51), "eta"), (dict(eta=float("nan")), "eta"), (dict(eta="fast"), "eta"),
    (dict(epochs=0), "epochs"), (dict(epochs=201), "epochs"), (dict(epochs=2.5), "epochs"),
    (dict(seed=-1), "seed"), (dict(seed=10**6), "seed"),
    (dict(batch_sizes=()), "batch_sizes"), (dict(batch_sizes=(3,)), "batch_sizes"),
    (dict(batch_sizes=(1, 1)), "batch_sizes"), (dict(batch_sizes=(1, 2, 4, 8, 16)), "batch_sizes"),
    (dict(start=(9.0, 0.0)), "w0"), (dict(start=(0.0, -10.5)), "b0"), (dict(start=(0.0, float("inf"))), "b0"),
    (dict(start=(1.0,)), "start"),
])
def test_bad_settings_name_the_field_and_the_allowed_range(kwargs, field):
    with pytest.raises(nz.ConfigError) as caught:
        nz.NoisyConfig(**kwargs)
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field} = ") and "allowed" in str(caught.value)


# ----------------------------------------------------------------- the epoch view
def test_epoch_view_follows_the_run_batch_by_batch():
    result = nz.run_all(nz.NoisyConfig(epochs=3, start=tuple(SADDLE)))
    view = nz.epoch_view(result, 8, epoch=2)
    run = result.run(8)
    assert view.batches_in_epoch == 16 and len(view.batches) == 16
    np.testing.assert_array_equal(view.batches, nz.epoch_batches(0, 2, 8))
    np.testing.assert_array_equal(view.before, run.path[32:48])
    np.testing.assert_array_equal(view.after, run.path[33:49])
    np.testing.assert_allclose(view.after, view.before - 2.0 * view.batch_grad, rtol=0, atol=1e-15)
    for i in (0, 9):
        assert view.batch_loss[i] == pytest.approx(nz.loss(view.before[i], D.x[view.batches[i]],
                                                           D.y[view.batches[i]]), rel=1e-14)
        np.testing.assert_allclose(view.full_grad[i], nz.gradient(view.before[i], D.x, D.y), rtol=1e-14)
        np.testing.assert_array_equal(view.surfaces[i], nz.batch_surfaces(view.batches[i:i + 1])[0])
    assert np.all(view.full_loss == run.loss[32:48])


def test_epoch_view_of_batch_size_1_keeps_the_first_frames_only():
    result = nz.run_all(nz.NoisyConfig(epochs=1, batch_sizes=(1,)))
    view = nz.epoch_view(result, 1, 0)
    assert view.batches_in_epoch == nz.N and len(view.batches) == nz.MAX_FRAMES == len(view.surfaces)
    with pytest.raises(nz.ConfigError, match="batch_size"):
        nz.epoch_view(result, 8, 0)
    with pytest.raises(nz.ConfigError, match="epoch"):
        nz.epoch_view(result, 1, 1)


# ----------------------------------------------------------------- figures
@pytest.fixture(scope="module")
def stuck():
    return nz.run_all(nz.NoisyConfig(epochs=4, start=tuple(SADDLE)))


def test_heights_are_log_levels_per_surface():
    Z = np.array([[0.2, 0.2001], [0.21, 0.7]])
    H = F.heights(Z)
    assert H.dtype == np.uint8 and H.min() == 0 and H.max() == 255
    assert H[0, 0] < H[0, 1] < H[1, 0] < H[1, 1]
    assert H[1, 0] > 0.4 * 255  # log scale: 0.21 is 2 % of the way up in L, over 40 % of the way in colour
    np.testing.assert_array_equal(F.heights(np.full((3, 3), 0.4)), 0)


def test_batch_figure_frames_step_through_the_batches(stuck):
    view = nz.epoch_view(stuck, 8, 1)
    fig = F.batch_figure(stuck, view)
    go.Figure(fig.to_dict())  # plotly validates every trace, frame and layout entry
    frames = fig.frames
    assert [f.name for f in frames] == [str(i) for i in range(1, 17)]
    scale = F.arrow_scale(view, stuck.config.eta)
    assert scale >= 1 and f"{scale:g}"[0] in "125"
    for i in (0, 7, 15):
        frame = frames[i]
        assert list(frame.traces) == [1, 6, 7, 8, 9, 10, 11]
        np.testing.assert_array_equal(np.asarray(frame.data[0].z), F.heights(view.surfaces[i]))
        theta, tip = frame.data[4], frame.data[3]  # θ ring and batch arrow on the left panel
        assert (theta.x[0], theta.y[0]) == tuple(view.before[i])
        np.testing.assert_allclose([tip.x[1], tip.y[1]], view.before[i] - scale * 2.0 * view.batch_grad[i])
        np.testing.assert_allclose([frame.data[2].x[1], frame.data[2].y[1]],
                                   view.before[i] - scale * 2.0 * view.full_grad[i])
        assert f"Batch {i + 1} of 16" in frame.layout.annotations[1].text
    assert "epoch 2" in fig.layout.annotations[1].text
    assert f"{scale:g}×" in fig.layout.annotations[2].text


def test_paths_and_loss_figures_draw_every_run(stuck):
    paths = F.paths_figure(stuck)
    go.Figure(paths.to_dict())
    lines = {t.name: t for t in paths.data if t.type == "scatter" and t.mode == "lines"}
    assert list(lines) == ["batch size 1", "batch size 8", "batch size 32", "full batch (128)"]
    for run in stuck.runs:
        trace = lines[F.run_label(run.batch_size)]
        np.testing.assert_array_equal(np.column_stack([trace.x, trace.y]), run.path)  # 512 points: all drawn
    start = next(t for t in paths.data if t.name == "start")
    assert (start.x[0], start.y[0]) == tuple(SADDLE)

    losses = F.loss_figure(stuck)
    curves = {t.name: t for t in losses.data if t.name in lines}
    for run in stuck.runs:
        np.testing.assert_array_equal(curves[F.run_label(run.batch_size)].x, run.epochs)
        np.testing.assert_array_equal(curves[F.run_label(run.batch_size)].y, run.loss)
    assert losses.data[0].y[0] == pytest.approx(saddle_loss())


def test_long_runs_are_thinned_but_keep_their_ends():
    result = nz.run_all(nz.NoisyConfig(epochs=40, batch_sizes=(1,), start=nz.ORDINARY_START))
    run = result.runs[0]
    trace = next(t for t in F.paths_figure(result).data if t.name == "batch size 1")
    assert len(run.path) == 5121 and len(trace.x) <= F.MAX_POINTS
    assert (trace.x[0], trace.y[-1]) == (run.path[0, 0], run.path[-1, 1])


def test_fit_figure_draws_the_data_and_each_final_curve(stuck):
    fig = F.fit_figure(stuck)
    go.Figure(fig.to_dict())
    class1 = next(t for t in fig.data if t.name == "class 1")
    assert len(class1.x) == 24 and np.all(np.abs(np.asarray(class1.y) - 1) < 0.05)
    gd = next(t for t in fig.data if t.name.startswith("full batch"))
    np.testing.assert_allclose(gd.y, D.y.mean(), rtol=1e-14)  # on the saddle: the constant ȳ


def test_figures_speak_traditional_chinese(stuck):
    view = nz.epoch_view(stuck, 8, 0)
    assert "批次" in F.batch_figure(stuck, view, "zh-TW").layout.annotations[1].text
    assert F.run_label(nz.N, "zh-TW") == "完整批次（128）"
    assert "權重" in F.paths_figure(stuck, "zh-TW").layout.xaxis.title.text
    assert "損失" in F.loss_figure(stuck, "zh-TW").layout.yaxis.title.text


def test_the_largest_settings_stay_finite_and_the_arrows_keep_their_scaled_length():
    """At η = 50 far out on a plateau (gradients near zero, scale up to 200,000×), every arrow is the
    step −η·g_B recomputed from the batch, times the stated scale: the typical one at most ARROW_LENGTH,
    the longest at most 3·ARROW_LENGTH. (Where θ is near the window's edge, or has left it, an arrow can
    reach past the map: the plot cuts it there.)"""
    result = nz.run_all(nz.NoisyConfig(eta=50, epochs=nz.MAX_EPOCHS, batch_sizes=(1, 2, 4, nz.N), start=(8.0, 4.0)))
    for run in result.runs:
        assert np.isfinite(run.path).all() and np.isfinite(run.loss).all()
    view = nz.epoch_view(result, 1, nz.MAX_EPOCHS - 1)  # far out on a plateau: tiny gradients
    fig = F.batch_figure(result, view)
    scale = F.arrow_scale(view, 50)
    assert scale > 1_000  # drawn far longer than they are: the case the length bounds are for
    drawn = []
    for batch, frame in zip(view.batches, fig.frames):
        for trace in frame.data[1:]:
            assert np.isfinite(np.column_stack([trace.x, trace.y])).all()
        theta = np.array([frame.data[4].x[0], frame.data[4].y[0]])
        step = -50 * nz.gradient(theta, D.x[batch], D.y[batch])
        full = -50 * nz.gradient(theta, D.x, D.y)
        for arrow, expected in ((frame.data[3], step), (frame.data[5], step), (frame.data[2], full)):
            np.testing.assert_allclose([arrow.x[0], arrow.y[0]], theta, rtol=0, atol=0)
            np.testing.assert_allclose([arrow.x[1], arrow.y[1]], theta + scale * expected, rtol=1e-9, atol=1e-12)
        drawn.append(np.hypot(*(scale * step)))
        drawn.append(np.hypot(*(scale * full)))
    assert np.median(drawn[0::2]) <= F.ARROW_LENGTH + 1e-9
    assert max(drawn) <= 3 * F.ARROW_LENGTH + 1e-9
