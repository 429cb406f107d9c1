"""figures.inspector: the step inspector's vectors, figure and table, on real engine runs.

The expected moves come from the update rules themselves (θ_{t+1} − θ_t = −η g
for GD, −η m for torch's momentum, m for the lecture's), checked against the
recorded path, not against the inspector's own arithmetic."""
import json
import re

import numpy as np
import pytest

import optimizers
import surfaces
from figures.inspector import ARROWS, clamp_index, step_figure, step_table, step_vectors
from lab.runs import PALETTE, RunView

VARIANTS = ("torch", "lecture")


def make_run(surface, name, steps, *, schedule="constant", color=PALETTE[0], **hyper):
    opt = optimizers.get(name, **hyper)
    sched = optimizers.schedule(schedule)
    traj = optimizers.simulate(surface, opt, steps=steps, schedule=sched)
    eta = sched(traj.steps, float(np.ravel(opt.lr)[0])) / (1.0 + traj.steps * float(opt.lr_decay))
    return RunView(f"{name} ({opt.variant})", color, traj, eta)


def ulps(theta, k=4):
    """Rounding room of θ_{t+1} − θ_t computed from the stored points: a few ulps of θ."""
    return k * np.spacing(np.maximum(np.abs(theta[:-1]), np.abs(theta[1:])))


@pytest.fixture(scope="module")
def bowl():
    return surfaces.get("bowl")


@pytest.fixture(scope="module")
def rosen():
    return surfaces.get("rosenbrock")


def moves(run):
    n = run.last_good + 1
    return np.array([step_vectors(run, i)["move"] for i in range(n)])


def test_gd_move_is_the_gradient_step(rosen):
    run = make_run(rosen, "gd", 400, lr=1e-3)
    path = run.path
    g = rosen.grad(path)  # independent: the surface's NumPy gradient, not the recorded one
    for i in range(run.last_good):
        v = step_vectors(run, i)
        np.testing.assert_allclose(v["gradient_step"], -1e-3 * g[i], rtol=1e-12, atol=1e-300)
        assert np.all(np.abs(v["move"] - v["gradient_step"]) <= ulps(path[i:i + 2])[0])
        np.testing.assert_array_equal(v["lr_eff"], [1e-3, 1e-3])
        np.testing.assert_array_equal(v["theta"], path[i])
        assert v["step"] == i and v["eta"] == 1e-3


def test_torch_momentum_move_is_minus_eta_m(bowl):
    run = make_run(bowl, "momentum", 300, lr=1e-3, momentum=0.9)
    eta = 1e-3
    for i in range(run.last_good):
        v = step_vectors(run, i)
        assert np.all(np.abs(v["move"] + eta * v["momentum"]) <= ulps(run.path[i:i + 2])[0])
    # and the buffer follows the torch recursion m_t = 0.9 m_{t-1} + g_t, m_0 = g_0
    g = bowl.grad(run.path)
    m = [step_vectors(run, i)["momentum"] for i in range(5)]
    np.testing.assert_allclose(m[0], g[0], rtol=1e-12)
    for i in range(1, 5):
        np.testing.assert_allclose(m[i], 0.9 * m[i - 1] + g[i], rtol=1e-10)


def test_lecture_momentum_move_is_m(bowl):
    run = make_run(bowl, "momentum", 300, lr=1e-3, momentum=0.9, variant="lecture", schedule="inverse_sqrt")
    for i in range(run.last_good):
        v = step_vectors(run, i)
        assert np.all(np.abs(v["move"] - v["momentum"]) <= ulps(run.path[i:i + 2])[0])
    # the lecture's picture: move = λ · previous move + gradient step
    for i in range(1, 50):
        v = step_vectors(run, i)
        np.testing.assert_allclose(v["move"], 0.9 * v["previous_move"] + v["gradient_step"], rtol=1e-9,
                                   atol=1e-15)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", optimizers.names())
def test_move_is_scaled_m_for_every_optimizer(bowl, name, variant):
    run = make_run(bowl, name, 200, variant=variant, schedule="cosine")
    opt = optimizers.get(name, variant=variant)
    lecture_momentum = opt.m.rule.carries_eta
    decoupled = opt.decoupled_weight_decay and float(opt.weight_decay) != 0
    M = moves(run)
    for i in range(run.last_good):
        v = step_vectors(run, i)
        expected = v["momentum"] if lecture_momentum else -v["lr_eff"] * v["momentum"]
        if decoupled:
            expected = expected - v["eta"] * float(opt.weight_decay) * v["theta"]
        np.testing.assert_allclose(M[i], expected, rtol=1e-9, atol=1e-14)
        np.testing.assert_array_equal(v["gradient_step"], -v["lr_eff"] * v["grad"])


def test_ends_and_clamping(bowl):
    run = make_run(bowl, "adam", 50, lr=0.05)
    first, last = step_vectors(run, 0), step_vectors(run, 50)
    np.testing.assert_array_equal(first["previous_move"], [0.0, 0.0])
    assert np.any(first["move"] != 0)
    np.testing.assert_array_equal(last["move"], [0.0, 0.0])
    assert last["last"] and not first["last"]
    np.testing.assert_array_equal(last["previous_move"], run.path[50] - run.path[49])
    assert step_vectors(run, -1)["step"] == 50 and step_vectors(run, 10**9)["step"] == 50
    assert step_vectors(run, -10**9)["step"] == 0
    assert clamp_index(run, -2) == 49


def test_diverged_run_clamps_to_last_good(rosen):
    run = make_run(rosen, "gd", 3_000, lr=1e-2, schedule="warmup_linear")
    assert run.diverged_at > 0
    v = step_vectors(run, 2_000)
    assert v["index"] == run.last_good and v["step"] == run.steps[run.last_good]
    np.testing.assert_array_equal(v["move"], [0.0, 0.0])
    assert np.isfinite(np.concatenate([v[k] for k in ("theta", "grad", "gradient_step", "momentum", "move")])).all()
    fig = step_figure(rosen, run, 2_000)
    assert f"diverged at step {run.diverged_at:,}" in fig.layout.title.subtitle.text
    _assert_finite(fig)


def _arrows(fig):
    return [a for a in fig.layout.annotations if a.showarrow]


def _assert_finite(fig):
    text = fig.to_json()
    assert not re.search(r"[\[:,]\s*-?(NaN|Infinity)\b", text)
    for trace in fig.data:
        for key in ("x", "y", "z"):
            values = getattr(trace, key, None)
            if values is not None:
                assert np.isfinite(np.asarray(values, dtype=float)).all(), (trace.name, key)


def test_figure_draws_the_three_arrows_true_to_scale(bowl):
    run = make_run(bowl, "momentum", 100, lr=1e-3)
    i = 5
    v = step_vectors(run, i)
    fig = step_figure(bowl, run, i)
    arrows = _arrows(fig)
    assert [a.name for a in arrows] == [key for key, *_ in ARROWS]
    cx, cy = v["theta"]
    for a in arrows:
        assert (a.axref, a.ayref, a.xref, a.yref) == ("x", "y", "x", "y")
        assert (a.ax, a.ay) == (cx, cy)
        assert a.x == cx + v[a.name][0] and a.y == cy + v[a.name][1], "heads at θ_t + vector, unscaled"
    x0, x1 = fig.layout.xaxis.range
    y0, y1 = fig.layout.yaxis.range
    for a in arrows:
        assert x0 <= a.x <= x1 and y0 <= a.y <= y1, "every arrow head inside the window"
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1, "true angles"
    contour = fig.data[0]
    assert contour.type == "contour" and contour.showscale is False and contour.colorscale is not None
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert any("gradient step" in n for n in legend) and any("previous move" in n for n in legend)
    assert any("actual move" in n for n in legend)
    _assert_finite(fig)
    json.loads(fig.to_json())


def test_first_and_last_figures(bowl):
    run = make_run(bowl, "momentum", 100, lr=1e-3)
    fig0 = step_figure(bowl, run, 0)
    assert [a.name for a in _arrows(fig0)] == ["gradient_step", "move"]
    assert "previous move is zero" in fig0.layout.title.subtitle.text
    fig_last = step_figure(bowl, run, -1)
    assert "move" not in [a.name for a in _arrows(fig_last)]
    for fig in (fig0, fig_last):
        _assert_finite(fig)


def test_tiny_vectors_are_drawn_unscaled(bowl):
    """Near the minimum the moves are ~1e-10: the window shrinks to its floor, the arrows keep their length."""
    run = make_run(bowl, "adagrad", 2_000, lr=0.1)
    i = int(np.argmin(run.trajectory.loss[0, : run.last_good]))
    v = step_vectors(run, i)
    assert max(np.hypot(*v[k]) for k in ("gradient_step", "previous_move", "move")) < 1e-6
    fig = step_figure(bowl, run, i)
    arrows = _arrows(fig)
    assert len(arrows) == 3
    for a in arrows:
        assert a.x == a.ax + v[a.name][0] and a.y == a.ay + v[a.name][1], "heads at θ_t + vector, unscaled"
    x0, x1 = fig.layout.xaxis.range
    assert x1 - x0 >= 2e-3 * bowl.span * 0.999, "the window never shrinks below its floor"
    assert "too short to see" in fig.layout.title.subtitle.text
    _assert_finite(fig)


@pytest.mark.parametrize("name", surfaces.names())
def test_figure_on_every_surface(name):
    s = surfaces.get(name)
    run = make_run(s, "adam", 60, lr=0.05)
    for i in (0, 30, 60):
        _assert_finite(step_figure(s, run, i))


def test_table_rows(bowl):
    run = make_run(bowl, "rmsprop", 40, lr=0.01)
    v = step_vectors(run, 7)
    rows = step_table(run, 7)
    assert all(set(r) == {"quantity", "θ₁", "θ₂"} for r in rows)
    by_name = {r["quantity"].split(" ")[0]: (r["θ₁"], r["θ₂"]) for r in rows}
    assert by_name["θ_t"] == tuple(v["theta"])
    assert by_name["g_t"] == tuple(v["grad"])
    assert by_name["m_t"] == tuple(v["momentum"])
    assert by_name["η_t/σ_t"] == tuple(v["lr_eff"])
    assert by_name["η_t"] == (v["eta"], v["eta"])
    assert (rows[-1]["θ₁"], rows[-1]["θ₂"]) == tuple(v["move"])  # the last row is the actual move
    zh = step_table(run, 7, lang="zh-TW")
    assert [r["θ₁"] for r in zh] == [r["θ₁"] for r in rows] and "量" in zh[0] and "實際的移動" in zh[-1]["量"]
    assert all(isinstance(r["θ₁"], float) for r in rows)


def test_infinite_step_size_is_reported_not_drawn():
    """Adagrad with eps = 0 starting on the x axis of the saddle: σ_y = 0, so η/σ = inf and −(η/σ)·0 = NaN."""
    s = surfaces.get("saddle")
    run = make_run(s, "adagrad", 20, eps=0.0, lr=0.1)
    v = step_vectors(run, 0)
    assert not np.isfinite(v["gradient_step"]).all()
    fig = step_figure(s, run, 0)
    _assert_finite(fig)
    assert "gradient step is not finite" in fig.layout.title.subtitle.text
    assert "gradient_step" not in [a.name for a in _arrows(fig)]


def test_runs_without_the_records_are_refused(bowl):
    traj = optimizers.simulate(bowl, "gd", steps=10, record=("path",))
    run = RunView("gd", PALETTE[0], traj, np.full(11, 1e-3))
    with pytest.raises(ValueError, match="grad, momentum, lr_eff"):
        step_vectors(run, 3)
