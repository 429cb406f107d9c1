"""figures.diagnostics (loss − L*, |∇L|, η/σ, η against the step) and figures.schedule_plot (η_t).

The runs are real engine runs (optimizers.simulate); the expected curves are
recomputed here from the recorded path with the surface's own NumPy loss and
gradient, not taken from the figure module."""
import json
import math
import re

import numpy as np
import pytest

import optimizers
import surfaces
from figures.diagnostics import FLOOR, diagnostics, line_color
from lab.runs import PALETTE, RunView
from figures.schedule_plot import MAX_POINTS, schedule_figure
from tests.apptest_helpers import decode

VARIANTS = ("torch", "lecture")


def make_run(surface, name, steps, *, schedule="constant", color=PALETTE[0], label=None, **hyper):
    """A RunView of one real engine run, η_t from the schedule (and Adagrad's lr_decay)."""
    opt = optimizers.get(name, **hyper)
    sched = optimizers.schedule(schedule) if isinstance(schedule, str) else schedule
    traj = optimizers.simulate(surface, opt, steps=steps, schedule=sched)
    lr = float(np.ravel(opt.lr)[0])
    eta = sched(traj.steps, lr) / (1.0 + traj.steps * float(opt.lr_decay))
    return RunView(label or f"{name} ({opt.variant})", color, traj, eta)


def sent(fig):
    """The traces as the browser receives them: fig.to_json(), arrays decoded."""
    spec = json.loads(fig.to_json())
    traces = []
    for t in spec["data"]:
        traces.append(dict(t, x=decode(t.get("x", [])), y=decode(t.get("y", []))))
    return spec, traces


def row_of(trace):
    axis = trace.get("yaxis", "y")
    return 1 if axis == "y" else int(axis[1:])


def curves(traces, run, row):
    return [t for t in traces if t.get("legendgroup") == run.label and row_of(t) == row]


def expected_L_star(surface):
    return float(surface.loss(surface.minima[0]))


@pytest.fixture(scope="module")
def bowl():
    return surfaces.get("bowl")


@pytest.fixture(scope="module")
def lecture_runs(bowl):
    """The lecture's two stories on the bowl: GD stalling on the walls, the lecture's Adagrad bursting."""
    return [make_run(bowl, "gd", 20_000, lr=1e-2, label="GD lr=1e-2", color=PALETTE[0]),
            make_run(bowl, "adagrad", 20_000, lr=0.1, variant="lecture", label="Adagrad (lecture)",
                     color=PALETTE[1])]


@pytest.fixture(scope="module")
def diverged():
    s = surfaces.get("rosenbrock")
    run = make_run(s, "gd", 3_000, lr=1e-2, schedule="warmup_linear", label="GD warm-up")
    assert run.diverged_at > 0, "this run is chosen because it diverges (the warm-up raises η too far)"
    return s, run


def test_four_rows_sharing_the_step_axis(bowl, lecture_runs):
    fig = diagnostics(bowl, lecture_runs)
    layout = fig.layout
    for k in ("yaxis", "yaxis2", "yaxis3", "yaxis4"):
        assert layout[k].type == "log"
    assert "yaxis5" not in fig.to_plotly_json()["layout"]
    matched = [layout[k].matches for k in ("xaxis", "xaxis2", "xaxis3", "xaxis4")]
    assert sum(m is not None for m in matched) == 3, "shared_xaxes: three x axes follow the fourth"
    titles = [a.text for a in layout.annotations][:4]
    assert "L(θ_t) − L*" in titles[0] and "gradient norm" in titles[1]
    assert "η_t/σ_t" in titles[2] and "solid" in titles[2] and "dashed" in titles[2]
    assert "η_t" in titles[3]
    assert layout.xaxis4.title.text == "step t"


def test_loss_row_is_loss_minus_lowest_minimum(bowl, lecture_runs):
    L_star = expected_L_star(bowl)
    _, traces = sent(diagnostics(bowl, lecture_runs, max_points=500))
    for run in lecture_runs:
        (trace,) = curves(traces, run, 1)
        steps = trace["x"].astype(np.int64)
        assert 2 < len(steps) <= 502 and steps[0] == 0 and steps[-1] == run.steps[-1]
        expected = np.maximum(bowl.loss(run.path[steps]) - L_star, FLOOR)
        np.testing.assert_allclose(trace["y"], expected, rtol=1e-12, atol=0)


def test_gradient_norm_row(bowl, lecture_runs):
    _, traces = sent(diagnostics(bowl, lecture_runs, max_points=500))
    for run in lecture_runs:
        (trace,) = curves(traces, run, 2)
        steps = trace["x"].astype(np.int64)
        expected = np.maximum(np.linalg.norm(bowl.grad(run.path[steps]), axis=1), FLOOR)
        np.testing.assert_allclose(trace["y"], expected, rtol=1e-9, atol=0)


def test_the_lecture_story_loss_stalls_while_the_gradient_stays_large(bowl, lecture_runs):
    gd = lecture_runs[0]
    _, traces = sent(diagnostics(bowl, [gd]))
    (loss,) = curves(traces, gd, 1)
    (gnorm,) = curves(traces, gd, 2)
    assert np.ptp(np.log10(loss["y"][loss["x"] > 10_000])) < 0.1, "GD lr=1e-2 on the bowl: the loss has stalled"
    assert gnorm["y"][gnorm["x"] > 10_000].min() > 1.0, "… while the gradient stays large"


def test_effective_step_rows_are_the_recorded_ones(bowl, lecture_runs):
    _, traces = sent(diagnostics(bowl, lecture_runs, max_points=500))
    for run in lecture_runs:
        rows = curves(traces, run, 3)
        assert [t["line"]["dash"] for t in rows] == ["solid", "dash"]
        for j, trace in enumerate(rows):
            steps = trace["x"].astype(np.int64)
            np.testing.assert_array_equal(trace["y"], run.trajectory.lr_eff[0, steps, j])
        (eta,) = curves(traces, run, 4)
        steps = eta["x"].astype(np.int64)
        np.testing.assert_array_equal(eta["y"], run.eta[steps])


def test_downsampling_keeps_the_envelope(bowl, lecture_runs):
    """keep_turns keeps each bucket's extremes: the plotted curve reaches the full series' min and max."""
    fig = diagnostics(bowl, lecture_runs, max_points=300)
    L_star = expected_L_star(bowl)
    for run in lecture_runs:
        (trace,) = [t for t in fig.data if t.legendgroup == run.label and t.yaxis == "y"]
        full = np.maximum(bowl.loss(run.path) - L_star, FLOOR)
        assert len(trace.y) <= 302
        assert trace.y.min() == full.min() and trace.y.max() == full.max()
        step_y = [t for t in fig.data if t.legendgroup == run.label and t.yaxis == "y3"][1]
        assert step_y.y.max() == run.trajectory.lr_eff[0, :, 1].max()


def test_legend_one_entry_per_run_and_white_drawn_grey(bowl, lecture_runs):
    fig = diagnostics(bowl, lecture_runs)
    shown = [t for t in fig.data if t.showlegend]
    assert [t.name for t in shown] == [r.label for r in lecture_runs]
    assert all(t.yaxis == "y" for t in shown)
    for run in lecture_runs:
        colors = {t.line.color for t in fig.data if t.legendgroup == run.label}
        assert colors == {line_color(run.color)}
    assert line_color("#ffffff") == line_color("#FFF") == "#888888"
    assert line_color("#ff4b4b") == "#ff4b4b"


def test_diverged_run_stops_at_last_good(diverged):
    s, run = diverged
    fig = diagnostics(s, [run])
    _, traces = sent(fig)
    last = int(run.steps[run.last_good])
    for row in (1, 2, 3, 4):
        for trace in curves(traces, run, row):
            assert trace["x"].max() == last
    marks = [sh for sh in fig.layout.shapes if sh.x0 == run.diverged_at]
    assert len(marks) == 4, "a vertical marker on every row"
    assert any(f"diverged at step {run.diverged_at:,}" in a.text for a in fig.layout.annotations)


def test_log_steps_shift_by_one(bowl, lecture_runs):
    fig = diagnostics(bowl, lecture_runs, log_steps=True, max_points=400)
    assert fig.layout.xaxis4.type == "log"
    assert "step t + 1" in fig.layout.xaxis4.title.text and "step 0" in fig.layout.xaxis4.title.text
    run = lecture_runs[0]
    (trace,) = [t for t in fig.data if t.legendgroup == run.label and t.yaxis == "y"]
    assert trace.x[0] == 1
    steps = np.asarray(trace.x, dtype=np.int64) - 1
    np.testing.assert_array_equal(trace.y, np.maximum(bowl.loss(run.path[steps]) - expected_L_star(bowl), FLOOR))
    assert (np.diff(np.log10(trace.x[:60])) > 0).all() and trace.x[59] <= 200, "the first steps stay detailed"


def test_log_steps_divergence_marker(diverged):
    s, run = diverged
    fig = diagnostics(s, [run], log_steps=True)
    marks = [sh for sh in fig.layout.shapes if sh.x0 == run.diverged_at + 1]
    assert len(marks) == 4
    (note,) = [a for a in fig.layout.annotations if "diverged" in (a.text or "")]
    assert note.x == pytest.approx(math.log10(run.diverged_at + 1)), "annotations on a log axis take log10(x)"


def _assert_all_finite(fig):
    text = fig.to_json()
    assert not re.search(r"[\[:,]\s*-?(NaN|Infinity)\b", text), "a NaN/inf literal in the JSON"
    _, traces = sent(fig)
    for t in traces:
        for key in ("x", "y"):
            arr = t[key]
            if arr.size:
                assert np.isfinite(arr.astype(float)).all(), (t.get("name"), key)
                if key == "y":
                    assert (arr > 0).all(), "every value sits on a log axis"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", optimizers.names())
def test_every_optimizer_and_variant(bowl, name, variant):
    run = make_run(bowl, name, 3_000, variant=variant, schedule="cosine")
    fig = diagnostics(bowl, [run], max_points=400)
    _assert_all_finite(fig)
    _, traces = sent(fig)
    assert [row_of(t) for t in traces] == [1, 2, 3, 3, 4]
    loss = traces[0]
    steps = loss["x"].astype(np.int64)
    np.testing.assert_allclose(loss["y"], np.maximum(bowl.loss(run.path[steps]) - expected_L_star(bowl), FLOOR),
                               rtol=1e-12)
    for j, trace in enumerate(traces[2:4]):
        steps = trace["x"].astype(np.int64)
        np.testing.assert_array_equal(trace["y"], run.trajectory.lr_eff[0, steps, j])


def test_non_finite_and_zero_values_are_left_out():
    """Adagrad with eps = 0 on a zero gradient component: η/σ is inf there; warm-up-linear ends at η = 0."""
    s = surfaces.get("saddle")  # starts on the x axis: g_y = 0 at the start
    run = make_run(s, "adagrad", 50, eps=0.0, lr=0.1)
    assert not np.isfinite(run.trajectory.lr_eff[0, : run.last_good + 1]).all()
    _assert_all_finite(diagnostics(s, [run]))
    bowl = surfaces.get("bowl")
    run = make_run(bowl, "adam", 3_000, lr=0.05, schedule="warmup_linear")
    assert (run.eta == 0).any()
    fig = diagnostics(bowl, [run])
    _assert_all_finite(fig)


def test_all_surfaces_and_several_runs():
    for name in surfaces.names():
        s = surfaces.get(name)
        runs = [make_run(s, "adam", 500, lr=0.05, color=PALETTE[0], label="a"),
                make_run(s, "gd", 500, lr=1e-3, color=PALETTE[1], label="b"),
                make_run(s, "rmsprop", 500, lr=0.5, variant="lecture", color=PALETTE[2], label="c")]
        fig = diagnostics(s, runs, max_points=100)
        _assert_all_finite(fig)
        assert sum(t.showlegend for t in fig.data) == 3


# ---------------------------------------------------------------- schedule_plot
def _plotted(fig):
    _, (trace,) = sent(fig)
    return trace["x"].astype(np.int64), trace["y"]


@pytest.mark.parametrize("kind", optimizers.schedule_names())
@pytest.mark.parametrize("steps", [50, 5_000, 200_000])
def test_schedule_values_are_exact(kind, steps):
    sched = optimizers.schedule(kind)
    fig = schedule_figure(sched, 0.01, steps)
    t, y = _plotted(fig)
    assert len(t) <= MAX_POINTS and t[0] == 0 and t[-1] == steps
    assert (np.diff(t) > 0).all()
    np.testing.assert_array_equal(y, sched(t, 0.01))
    assert np.isfinite(y).all()
    assert fig.layout.showlegend is False and fig.layout.height == 160
    if steps + 1 <= MAX_POINTS:  # every step is on the line drawn (straight stretches by their ends)
        every = np.arange(steps + 1)
        log = fig.layout.yaxis.type == "log"
        drawn = np.interp(every, t, np.log10(y) if log else y)
        exact = sched(every, 0.01)
        np.testing.assert_allclose(10 ** drawn if log else drawn, exact, rtol=1e-8, atol=1e-12 * 0.01)


def test_a_constant_rate_is_drawn_by_its_two_ends():
    t, y = _plotted(schedule_figure(optimizers.schedule("constant"), 0.01, 10_000))
    np.testing.assert_array_equal(t, [0, 10_000])
    np.testing.assert_array_equal(y, [0.01, 0.01])


@pytest.mark.parametrize("kind, params, edges", [
    ("step", dict(step_size=300, gamma=0.1), range(300, 5_001, 300)),
    ("multistep", dict(milestones=(1234, 4321)), (1234, 4321)),
    ("resnet", dict(total_iters=400, milestones=(2000, 3001)), (400, 2000, 3001)),
    ("warmup_linear", dict(warmup_iters=333, total_iters=2222), (333, 2222)),
])
def test_step_boundaries_are_kept(kind, params, edges):
    sched = optimizers.schedule(kind, **params)
    fig = schedule_figure(sched, 0.1, 5_000)
    t, y = _plotted(fig)
    log = fig.layout.yaxis.type == "log"
    for edge in edges:  # the line drawn passes through both sides of the break (a drop stays vertical)
        around = np.array([edge - 1, edge, edge + 1])
        drawn = np.interp(around, t, np.log10(y) if log else y)
        np.testing.assert_allclose(10 ** drawn if log else drawn, sched(around, 0.1), rtol=1e-8, err_msg=str(edge))
    np.testing.assert_array_equal(y, sched(t, 0.1))


def test_step_boundaries_over_a_million_steps():
    sched = optimizers.schedule("step", step_size=50_000, gamma=0.5)
    t, y = _plotted(schedule_figure(sched, 1.0, 1_000_000))
    assert len(t) <= MAX_POINTS
    for edge in range(50_000, 1_000_001, 50_000):
        assert edge - 1 in t and edge in t
    np.testing.assert_array_equal(y, sched(t, 1.0))


def test_log_axis_only_for_a_wide_positive_range():
    assert schedule_figure(optimizers.schedule("exponential"), 0.1, 5_000).layout.yaxis.type == "log"
    assert schedule_figure(optimizers.schedule("transformer"), 1.0, 20_000).layout.yaxis.type == "log"
    assert schedule_figure(optimizers.schedule("constant"), 0.1, 5_000).layout.yaxis.type == "linear"
    assert schedule_figure(optimizers.schedule("step"), 0.1, 500).layout.yaxis.type == "linear"  # one decade
    # cosine reaches η = 0, which no log axis can show
    assert schedule_figure(optimizers.schedule("cosine"), 0.1, 5_000).layout.yaxis.type == "linear"


def test_swept_rate_draws_the_first():
    sched = optimizers.schedule("inverse_sqrt")
    fig = schedule_figure(sched, np.array([0.3, 0.1]), 100)
    t, y = _plotted(fig)
    np.testing.assert_array_equal(y, sched(t, 0.3))
    assert "first of 2" in fig.layout.yaxis.title.text
