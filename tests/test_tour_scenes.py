"""Every tour scene's text, claim by claim, on the scene's own link (the runs its Playground opens).

Each test reads the scene's link exactly as the tour opens it and checks each sentence of the scene's
text with the threshold the text names (a reader can check it on the page: the map, the diagnostics,
the step inspector's θ₁, θ₂ and the table of end points). When a scene's set-up or text changes, its
test here changes with it.
"""
from __future__ import annotations

import numpy as np
import pytest

from lab import tour
from lab.playground import run_view, verdict, view_from_link

SCENES = {s.id: s for s in tour.scenes()}


def runs_of(scene_id: str):
    """(surface, runs) of a Playground scene: the runs simulated from the scene's own link."""
    view = view_from_link(dict(SCENES[scene_id].link))
    return view.build_surface(), run_view(view)


def text(scene_id: str) -> str:
    return SCENES[scene_id].explanation("en")


def excursions(across: np.ndarray, floor: float, height: float) -> list[tuple[int, int, float]]:
    """(step above ``height``, step back below ``floor`` or None, peak) for each excursion from the floor,
    counted from the first step on the floor. A plain loop: the reference for the scenes' burst counts."""
    out, on_floor, start, peak = [], False, None, 0.0
    for t, a in enumerate(across):
        if start is None:
            if a < floor:
                on_floor = True
            elif on_floor and a > height:
                start, peak = t, a
        else:
            peak = max(peak, a)
            if a < floor:
                out.append((start, t, peak))
                start = None
    if start is not None:
        out.append((start, None, peak))
    return out


@pytest.fixture(scope="module")
def bursting():
    return runs_of("adagrad_bursts")


@pytest.fixture(scope="module")
def bounce():
    return runs_of("bowl_bounce")


def test_bowl_bounce_big_rate_bounces_stalled_with_a_large_gradient_short_of_the_minimum(bounce):
    assert "10⁻²" in text("bowl_bounce") and "less than a tenth" in text("bowl_bounce")
    surface, (big, _) = bounce
    assert big.diverged_at < 0 and len(big.steps) == 100_001
    y = big.path[:, 1]
    assert np.all(y[100:-1] * y[101:] < 0), "bounces from wall to wall: θ₂ changes sign at every step"
    loss = surface.loss(big.path)
    assert np.ptp(loss[100:]) < 0.01 * loss[100:].mean(), "the loss stalled"
    assert np.linalg.norm(surface.grad(big.path), axis=1).min() > 100, "the gradient large"
    x0, x_end = big.path[0, 0], big.path[-1, 0]
    assert (x_end - x0) / (0.0 - x0) < 0.1, "less than a tenth of the way along the valley to the minimum"


def test_bowl_bounce_small_rate_reaches_the_floor_by_step_20000_then_crawls(bounce):
    assert "10⁻⁷" in text("bowl_bounce") and "by step 20,000" in text("bowl_bounce")
    surface, (_, small) = bounce
    across = np.abs(small.path[:, 1])
    floor = int(np.argmax(across < 0.01))
    assert 0 < floor <= 20_000, "reaches the floor (|θ₂| < 0.01) by step 20,000"
    assert np.all(across[floor:] < 0.01), "then stays on the floor"
    assert np.all(np.diff(small.path[:, 0]) > 0), "crawls along it towards the minimum"
    assert f"{small.path[-1, 0]:.6g}" == "-1.8", "θ₁ still reads −1.8 at the end (the inspector shows six digits)"
    assert abs(small.path[-1, 0] - surface.minima[0, 0]) > 1.7, "far from the minimum at θ₁ = 0"
    assert surface.minima[0, 0] == 0.0


def test_loss_stalls_while_the_gradient_stays_above_100_bouncing():
    surface, (gd,) = runs_of("loss_stalls")
    assert "within 1 %" in text("loss_stalls") and "above 100" in text("loss_stalls")
    loss = surface.loss(gd.path)
    assert np.ptp(loss[100:]) < 0.01 * loss[100:].min(), "from step 100 on within 1 % of the same value"
    assert np.linalg.norm(surface.grad(gd.path), axis=1).min() > 100, "the gradient norm stays above 100"
    assert verdict(surface, gd)["kind"] == "not_critical"
    y = gd.path[:, 1]
    assert np.all(y[:-1] * y[1:] < 0), "θ₂ changes sign at every step"


def test_adagrad_arrives_within_0001_by_step_1000_and_stays():
    surface, (ada,) = runs_of("adagrad_arrives")
    assert "0.001" in text("adagrad_arrives") and "step 1,000" in text("adagrad_arrives")
    bounce_view = view_from_link(dict(SCENES["bowl_bounce"].link))
    assert tuple(ada.path[0]) == tuple(bounce_view.start_point()), "from the same point as gradient descent"
    distance = np.linalg.norm(ada.path - surface.minima[0], axis=1)
    arrived = int(np.argmax(distance < 1e-3))
    assert 0 < arrived <= 1_000 and np.all(distance[arrived:] < 1e-3)
    assert verdict(surface, ada)["kind"] == "minimum"


def test_adagrad_bursts_reaches_the_minimum_then_bursts_and_falls_back_again_and_again(bursting):
    words = text("adagrad_bursts")
    assert "within 100 steps" in words and "more than 30 bursts" in words and "above 0.5" in words
    surface, (ada,) = bursting
    assert dict(surface.settings)["walls"] == "quadratic" and ada.label.endswith("lecture η=0.1")
    distance = np.linalg.norm(ada.path - surface.minima[0], axis=1)
    assert np.argmax(distance < 1e-3) <= 100, "reaches the minimum within 100 steps"
    bursts = excursions(np.abs(ada.path[:, 1]), floor=1e-3, height=0.1)
    first_start, _, first_peak = bursts[0]
    assert 100 < first_start < 1_000 and first_peak > 0.5, "the first burst: after a few hundred steps, above 0.5"
    assert len(bursts) > 30, "more than 30 bursts"
    assert all(back is not None for _, back, _ in bursts), "each one followed by a fall back to |θ₂| < 0.001"


def test_adagrad_bursts_only_on_quadratic_walls():
    """The scene names the quadratic walls: on the straight ones the lecture's Adagrad bounces in a narrow band."""
    link = {k: v for k, v in SCENES["adagrad_bursts"].link if k != "bowl_walls"}
    view = view_from_link(link)
    (ada,) = run_view(view)
    late = np.abs(ada.path[50_000:, 1])
    assert late.max() < 0.1 and late.min() > 0.01


def test_adagrad_decay_stays_at_the_minimum_while_the_constant_rate_keeps_bursting():
    words = text("adagrad_decay")
    assert "by step 1,000" in words and "more than 30 times" in words
    surface, (constant, decayed) = runs_of("adagrad_decay")
    assert decayed.label.endswith("lecture η=0.1") and constant.label.endswith("lecture η=0.1")
    distance = np.linalg.norm(decayed.path - surface.minima[0], axis=1)
    arrived = int(np.argmax(distance < 1e-3))
    assert 0 < arrived <= 1_000 and np.all(distance[arrived:] < 1e-3), "reaches the minimum by step 1,000 and stays"
    across = np.abs(decayed.path[:, 1])
    on_floor = int(np.argmax(across < 1e-3))
    assert np.all(across[on_floor:] < 1e-3), "never again leaving the floor"
    assert verdict(surface, decayed)["kind"] == "minimum"
    bursts = excursions(np.abs(constant.path[:, 1]), floor=1e-3, height=0.1)
    assert len(bursts) > 30 and all(back is not None for _, back, _ in bursts), "run 1 keeps bursting and falling back"


@pytest.mark.slow
def test_batch_generalization_shows_the_two_comparisons_apart_and_the_mechanism():
    """The scene opens the Generalization page with its defaults: the digits study (same epochs), the same
    study trained to the default target loss, and the one-dimensional picture."""
    import dataclasses

    from batchlab import digits as D
    from batchlab import flat_sharp as FS
    from lab import generalization as compare

    words = text("batch_generalization")
    assert dict(SCENES["batch_generalization"].link) == {}
    study = D.StudyConfig()
    assert study.epochs == 30 and "the same 30 epochs" in words
    assert compare.DEFAULT_TARGET == 0.05 and "the same training loss (0.05)" in words

    same = compare.Comparison.of([D.train(c) for c in study.runs()])
    assert same.batches == (8, 32, 128, 512, D.N_TRAIN) and not same.diverged
    assert np.all(np.diff(same.val_acc) < 0), "large batches end with lower validation accuracy"
    assert np.all(np.diff(same.train_acc) < 0), "… and a lower training accuracy too"
    assert f"({same.train_acc[0]:.1f} % at B = 8, {same.train_acc[-1]:.1f} % at the full batch)" in words
    assert compare.same_epochs_text(same, study.epochs).count("under-trained") == 1  # the page says so too

    equal = compare.Comparison.of([D.train(c) for c in dataclasses.replace(study, target_loss=0.05).runs()])
    assert all(equal.reached) and max(equal.train_loss) <= 0.05
    assert equal.train_spread <= 2.0, "training accuracies within 2 points"
    assert equal.val_spread <= 1.0 and equal.verdict() == "no_gap", "validation accuracies within 1 point"
    assert equal.sharpness[0] < equal.sharpness[-1]
    assert f"λ_max {equal.sharpness[0]:.2f} against {equal.sharpness[-1]:.2f} for the full batch" in words

    toy = FS.run_toy(FS.ToyConfig())
    assert toy.small.batch == 4 and toy.large.batch == toy.landscape.n_examples  # B = 4 and the full batch
    assert toy.small.flat_share == 1.0, "with B = 4 every run ends in the flat minimum"
    assert f"with the full batch only {100 * toy.large.flat_share:.0f} %" in words
    small_train, large_train = toy.small.train_loss.mean(), toy.large.train_loss.mean()
    assert abs(small_train - large_train) < 0.01 * large_train, "about the same training loss"
    assert toy.small.test_loss.mean() < toy.large.test_loss.mean(), "the small batch's mean test loss is lower"


@pytest.mark.slow
def test_batch_time_on_this_cpu_a_large_update_takes_several_times_as_long_yet_an_epoch_is_faster():
    """The scene opens Batch timing with its defaults. This measures B = 1 and B = 1,000 the way the page does
    (its worker process, its default model, threads and repeats): a claim about time needs a clock, and its
    threshold, several times (3×), sits far below what the CPUs here show (13× with one thread, 7× with two on
    a machine loaded about 3×); the arithmetic is 1,000 times larger."""
    from batchlab import timing, timing_worker

    words = text("batch_time")
    assert "This server measures on its CPU" in words and timing.available_devices() == ["cpu"]
    config = timing.TimingConfig(batches=(1, 1_000), epoch_budget_s=0.0, device=timing.resolve_device("auto"))
    assert config.model == "mlp" and config.threads == timing.MAX_THREADS  # the page's defaults
    worker = timing_worker.TimingWorker()
    try:
        one, thousand = (worker.run(config, batch) for batch in config.batches)
    finally:
        worker.close()
    assert one.ok and thousand.ok
    assert "several times as long" in words and thousand.median_s > 3 * one.median_s
    assert "1,000 times fewer updates" in words and thousand.epoch_estimate_s < one.epoch_estimate_s


def test_batch_time_draws_an_uploaded_gpu_csv_beside_this_server_and_prints_both_ratios():
    """The scene's last sentence, on the page: the CSV here is a test fixture (made-up GPU timings), not a
    measurement; the app ships none."""
    import math
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from batchlab import timing_csv
    from batchlab.timing_csv import TimingRow
    from tests.apptest_helpers import ok

    assert "upload its CSV" in text("batch_time")
    cpu = [TimingRow("CPU: here", "mlp", b, 60_000, 5, m, m, m, math.ceil(60_000 / b) * m) for b, m in
           ((1, 5e-4), (1_000, 1.5e-2))]
    gpu = [TimingRow("GPU: fixture", "mlp", b, 60_000, 5, m, m, m, math.ceil(60_000 / b) * m) for b, m in
           ((1, 2e-4), (1_000, 2.4e-4))]
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "pages" / "batch_timing.py"), default_timeout=60)
    at.run()
    at.file_uploader(key="bt_upload").set_value(("gpu.csv", timing_csv.to_csv(cpu + gpu).encode(), "text/csv")).run()
    ok(at)
    lines = " ".join(m.value for m in at.markdown)
    assert "` MLP · GPU: fixture (uploaded) `: one update at B = 1,000 takes 1.2× as long as at B = 1" in lines
    assert "` MLP · CPU: here (uploaded) `: one update at B = 1,000 takes 30× as long as at B = 1" in lines
    assert not list(Path(__file__).resolve().parents[1].rglob("*gpu*.csv"))  # no GPU sample shipped


def test_crescent_rmsprop_adagrad_crawls_after_the_steep_part_while_rmsprop_forgets_it_and_speeds_up():
    surface, (ada, rms) = runs_of("crescent_rmsprop")
    assert "gentle, then steep, then gentle again" in text("crescent_rmsprop")
    # along the floor y = k x² the slope in x: gentle, then steep (the step near x = 0), then gentle
    k = surface.params[1]
    xs = np.linspace(1.8, -1.5, 331)
    slope = np.abs(surface.grad(np.stack([xs, k * xs * xs], -1))[:, 0])
    steep = slope.argmax()
    assert slope[0] < 0.3 * slope[steep] and slope[-1] < 0.3 * slope[steep] and abs(xs[steep]) < 0.3
    for run in (ada, rms):
        assert run.path[:, 0].min() < -0.3  # both get through the steep part
    crossed = lambda run: int(np.argmax(run.path[:, 0] < -0.3))
    after_ada, after_rms = crossed(ada), crossed(rms)
    rate = lambda run, t: run.trajectory.lr_eff[0, t, 0]  # η/σ along x
    assert rate(ada, -1) <= rate(ada, after_ada), "Adagrad's σ stays large: its step does not grow again"
    assert rate(rms, -1) > 3 * rate(rms, after_rms), "RMSProp forgets the steep part and speeds up again"
    assert rate(rms, -1) > 10 * rate(ada, -1)
    distance = lambda run: np.linalg.norm(run.path[-1] - surface.minima[0])
    assert distance(ada) > 0.5 and distance(rms) < 0.1, "Adagrad crawls; RMSProp arrives"


def test_momentum_hill_rolls_over_a_hill_into_a_lower_minimum_where_gd_stops_in_the_first_dip():
    surface, (gd, ball) = runs_of("momentum_hill")
    assert "Same learning rate, same start" in text("momentum_hill")
    assert gd.label.endswith("η=0.01") and ball.label.endswith("η=0.01")
    np.testing.assert_array_equal(gd.path[0], ball.path[0])
    for run in (gd, ball):
        assert verdict(surface, run)["kind"] == "minimum"
    assert surface.loss(ball.path[-1]) < surface.loss(gd.path[-1]), "a lower minimum"
    # the floor's hilltops (the bumps' maxima along y = 0) between the start and each end
    start = gd.path[0, 0]
    hills = _floor_hilltops(surface)
    between = lambda end: [h for h in hills if min(start, end) < h < max(start, end)]
    assert between(gd.path[-1, 0]) == [], "gradient descent stops in the first dip below its start"
    assert len(between(ball.path[-1, 0])) >= 1, "momentum rolls over a hill"


def _floor_hilltops(surface) -> list[float]:
    """x of the local maxima of L along the valley floor y = 0: where ∂L/∂x turns from positive to negative
    as x grows (L rises, then falls)."""
    xs = np.linspace(-5.0, 5.0, 20_001)
    gx = surface.grad(np.stack([xs, np.zeros_like(xs)], -1))[:, 0]
    return [float(xs[i]) for i in np.flatnonzero((gx[:-1] > 0) & (gx[1:] <= 0))]


def test_saddle_noise_gd_goes_straight_to_the_saddle_and_noise_escapes_to_a_minimum():
    surface, (gd, noisy) = runs_of("saddle_noise")
    assert "one negative Hessian eigenvalue" in text("saddle_noise")
    assert gd.path[0, 1] == 0.0 and np.all(gd.path[:, 1] == 0.0), "started on the x-axis, straight along it"
    end = verdict(surface, gd)
    assert end["kind"] == "saddle" and end["grad_norm"] < 1e-6 and (end["eigenvalues"] < 0).sum() == 1
    np.testing.assert_allclose(gd.path[-1], surface.saddles[0], atol=1e-6)
    assert noisy.trajectory.optimizer == gd.trajectory.optimizer and np.array_equal(noisy.path[0], gd.path[0])
    assert abs(noisy.path[-1, 1]) > 0.5, "pushed off the ridge"
    assert np.linalg.norm(surface.minima - noisy.path[-1], axis=1).min() < 0.2, "escapes to a minimum"


def test_warmup_wild_first_steps_a_rising_rate_and_a_run_it_saves():
    from lab.schedules_demo import ADAM_WARMUP, demo_runs
    from optimizers import outcomes

    assert "wild first steps" in text("warmup") and "a run that warm-up saves" in text("warmup")
    plain, warm = demo_runs(ADAM_WARMUP)
    eta = ADAM_WARMUP.runs[0].spec.lr
    first_moves = np.abs(np.diff(plain.path[:3], axis=0))
    np.testing.assert_allclose(first_moves[0], eta, rtol=1e-6)  # η in every coordinate, whatever the slope
    np.testing.assert_allclose(first_moves[1], eta, rtol=0.15)
    assert np.all(np.diff(warm.eta[:100]) > 0) and warm.eta[0] < 0.05 * eta, "starts small and raises it"
    surface = ADAM_WARMUP.build_surface()
    assert outcomes.label(surface, plain.trajectory)[0] != "converged"
    assert outcomes.label(surface, warm.trajectory)[0] == "converged"


def test_noisy_batches_the_full_batch_stops_at_a_critical_point_where_the_next_batch_is_not_flat():
    from batchlab import noisy as nz

    assert "the surface of the next batch is not flat" in text("noisy_batches")
    result = nz.run_all(nz.NoisyConfig(start=nz.saddle()))  # the page's defaults: the "stuck" start
    full = result.run(nz.N)
    assert np.abs(full.end_gradient).max() < 1e-6, "full-batch gradient descent stops at a critical point"
    for size in result.config.batch_sizes[:-1]:
        view = nz.epoch_view(result, size, 0)
        assert np.linalg.norm(view.full_grad[0]) < 1e-6 < np.linalg.norm(view.batch_grad[0]), \
            "there, the next batch's surface is not flat"
        assert result.run(size).loss[-1] < full.loss[-1] - 1e-3, "mini-batch SGD moves on (to a lower loss)"


def test_every_scene_has_a_test_of_its_claims_here():
    """A new scene needs its own test in this file, named test_<scene id>_…"""
    names = [name for name in globals() if name.startswith("test_")]
    assert [sid for sid in SCENES if not any(name.startswith(f"test_{sid}_") for name in names)] == []
