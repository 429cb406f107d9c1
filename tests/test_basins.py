"""Basin maps: categories agree with where runs end, match single runs, and draw as one colour per category."""
import json

import numpy as np
import plotly.graph_objects as go
import pytest

import optimizers
import surfaces
from figures.basins import CELLS_NAME, OTHER_COLORS, basin_figure, minimum_color
from lab.basins import (OTHER, SETTLE_TOL, BasinConfig, categorize, grid, labels_of, pick_runs, pick_summary,
                        record_every, run_basins)
from optimizers import outcomes
from tests.apptest_helpers import as_json, decode, walk_numbers


def config(surface="himmelblau", optimizer="gd", lr=1e-2, n=30, steps=2_000, **kw):
    return BasinConfig(surface=surface, optimizer=optimizer, hyper=(("lr", lr),), n=n, steps=steps, **kw)


@pytest.fixture(scope="module")
def himmelblau_gd():
    return run_basins(config())


@pytest.fixture(scope="module")
def valley_pair():
    return (run_basins(config("bumpy_valley", "gd")), run_basins(config("bumpy_valley", "momentum")))


# ----------------------------------------------------------------- what the categories mean
def test_every_converged_start_is_labelled_with_the_minimum_nearest_its_end(himmelblau_gd):
    r = himmelblau_gd
    surface = surfaces.get("himmelblau")
    category = r.category
    is_min = np.vectorize(lambda c: isinstance(c, int))(category)
    assert is_min.mean() > 0.95, r.counts  # GD with η = 0.01 settles almost everywhere on Himmelblau
    index, distance = outcomes.nearest_minimum(surface, r.ends[is_min])
    assert np.array_equal(index, category[is_min].astype(int))
    assert distance.max() < 1e-3 * surface.span
    assert set(category[is_min]) == {0, 1, 2, 3}  # each of the four minima has a basin
    assert r.codes.shape == (30, 30) and r.ends.shape == (30, 30, 2)
    assert sum(r.counts.values()) == 900


def test_grid_is_the_cell_centres(himmelblau_gd):
    (x0, x1), (y0, y1) = surfaces.get("himmelblau").bounds
    xs, ys = himmelblau_gd.xs, himmelblau_gd.ys
    np.testing.assert_allclose(np.diff(xs), (x1 - x0) / 30)
    np.testing.assert_allclose([xs[0] - x0, x1 - xs[-1]], (x1 - x0) / 60)
    np.testing.assert_allclose([ys[0] - y0, y1 - ys[-1]], (y1 - y0) / 60)
    i, j = himmelblau_gd.nearest_cell(xs[7] + 0.01, ys[19] - 0.01)
    assert (i, j) == (19, 7)
    np.testing.assert_array_equal(himmelblau_gd.start(19, 7), [xs[7], ys[19]])


def test_momentum_changes_which_minimum_a_start_falls_into(valley_pair):
    gd, ball = valley_pair
    both = (gd.codes < 5) & (ball.codes < 5)  # the bumpy valley has five minima
    assert both.mean() > 0.95
    moved = both & (gd.codes != ball.codes)
    assert moved.mean() > 0.1, "momentum should carry many starts into another minimum"
    # the heavy ball rolls over the bumps into lower minima: never the other way here
    assert np.all(ball.final_loss[moved] < gd.final_loss[moved])
    assert ball.counts[0] >= gd.counts[0]


@pytest.mark.parametrize("name", ["gd", "momentum", "adam"])
def test_cells_equal_single_runs(name):
    """An independent reference: each picked cell re-run alone, classified with optimizers.classify."""
    surface = surfaces.get("bumpy_valley")
    cfg = config("bumpy_valley", name, lr=0.05 if name != "adam" else 0.3, n=20, steps=1_500)
    r = run_basins(cfg)
    rng = np.random.default_rng(7)
    tol = SETTLE_TOL * surface.span
    for i, j in rng.integers(0, 20, size=(6, 2)):
        start = np.array([r.xs[j], r.ys[i]])
        alone = optimizers.simulate(surface, cfg.build_optimizer(), start, cfg.steps, record=("path",))
        np.testing.assert_allclose(r.ends[i, j], alone.final[0], rtol=1e-12, atol=1e-12)
        assert r.final_loss[i, j] == pytest.approx(float(alone.final_loss[0]), rel=1e-12, abs=1e-14)
        assert r.diverged_at[i, j] == alone.diverged_at[0]
        label = r.labels[r.codes[i, j]]
        if isinstance(label, int):
            assert optimizers.classify(surface, alone.final[0], grad_tol=1e-3)["kind"] == "minimum"
            assert np.linalg.norm(alone.final[0] - surface.minima[label]) < 1e-2 * surface.span
            # steps needed: the first recorded step from which the run stays within tol of its end. The
            # grid records every `every` steps (and the last 8): the same rule on those steps of the full
            # path gives the same step, and it is never more than `every` steps after the exact one
            far = np.linalg.norm(alone.path[0] - alone.final[0], axis=1) > tol
            recorded = optimizers.record_steps(cfg.steps, r.every, 8)
            last_far = recorded[far[recorded]]
            after = recorded[recorded > last_far[-1]] if len(last_far) else recorded
            assert r.steps_needed[i, j] == after[0]
            exact = int(np.flatnonzero(far)[-1] + 1) if far.any() else 0
            assert r.steps_needed[i, j] < exact + r.every
        else:
            assert np.isnan(r.steps_needed[i, j])


def test_other_categories_and_pick_summary_agree_with_the_grid():
    # GD on the saddle surface from θ₂ = 0 rides the stable manifold into the saddle; η = 1e-7 crawls
    r = run_basins(config("saddle", "gd", n=11, steps=2_000))  # odd n: the middle row is θ₂ = 0
    assert r.ys[5] == pytest.approx(0.0, abs=1e-15)
    assert "saddle" in set(r.category[5])
    crawl = run_basins(config("himmelblau", "gd", lr=1e-7, n=4, steps=100))
    assert set(crawl.category.ravel()) == {"still moving"}
    wild = run_basins(config("rosenbrock", "gd", lr=0.05, n=8, steps=500))
    assert "diverged" in wild.counts and (wild.diverged_at[wild.category == "diverged"] > 0).all()
    # a clicked cell's runs: the same category and end as the grid's
    for cfg, res in ((config("saddle", "gd", n=11, steps=2_000), r),
                     (config("rosenbrock", "gd", lr=0.05, n=8, steps=500), wild)):
        for i, j in ((5, 3), (0, 0), (7, 7)):
            if i >= res.n or j >= res.n:
                continue
            (run,) = pick_runs([cfg], res.start(i, j))
            row = pick_summary(res.surface, run)
            assert row["category"] == res.labels[res.codes[i, j]]
            np.testing.assert_allclose(row["end"], res.ends[i, j], rtol=1e-12, atol=1e-12)


def test_very_short_runs_still_get_categories():
    for steps in (1, 2, 3):
        r = run_basins(config(n=3, steps=steps, lr=1e-3))
        assert set(r.category.ravel()) <= set(OTHER) | {0, 1, 2, 3}
        assert r.every == 1


def test_record_every_fits_the_records_in_the_budget():
    assert record_every(1) == 1 and record_every(100) == 1
    assert record_every(2_000, 40_000) == 10 and record_every(2_000, 10_000) == 3
    assert record_every(100_000, 40_000) == 479 and record_every(100_000, 4) == 1  # 209 records of 40,000 runs
    assert record_every(2_000, 10**6) == 20  # never fewer than 100 records


def test_progress_is_reported_up_to_one():
    seen = []
    run_basins(config("himmelblau", "gd", n=50, steps=1_000), progress=seen.append)
    assert seen and seen[-1] == pytest.approx(1.0) and all(0 < f <= 1 for f in seen)


@pytest.mark.slow
def test_the_largest_grid_equals_single_runs_in_every_piece():
    """200 × 200 starts are run in pieces (progress, cancelling); cells from the first, middle and last
    rows and columns end where the same start run alone ends. (Its speed: benchmarks/engine.py.)"""
    surface = surfaces.get("bumpy_valley")
    cfg = config("bumpy_valley", "momentum", n=200, steps=2_000)
    r = run_basins(cfg)
    assert r.codes.shape == (200, 200) and sum(r.counts.values()) == 40_000
    cells = [(i, j) for i in (0, 99, 199) for j in (0, 100, 199)]
    starts = np.array([r.start(i, j) for i, j in cells])
    alone = optimizers.simulate(surface, cfg.build_optimizer(), starts, cfg.steps)
    np.testing.assert_allclose([r.ends[i, j] for i, j in cells], alone.final, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- validation
@pytest.mark.parametrize("kw, message", [
    (dict(n=201), r"basins: n = 201 is out of range; allowed integers 2 <= n <= 200"),
    (dict(n=1), r"n = 1 is out of range"),
    (dict(steps=0), r"steps = 0 is out of range; allowed integers 1 <= steps <= 100,000"),
    (dict(steps=100_001), r"steps = 100001 is out of range"),
    (dict(by="colour"), r"by = 'colour' is not valid; allowed: end, steps"),
    (dict(surface="moon"), r"surface = 'moon' is not valid; allowed: bowl"),
    (dict(optimizer="sgd"), r"optimizer = 'sgd' is not valid; allowed: gd"),
    (dict(variant="numpy"), r"variant = 'numpy' is not valid; allowed: torch, lecture"),
    (dict(hyper=(("lr", -1.0),)), r"gd: lr = -1 is out of range; allowed 0 <= lr <= 1e\+06"),
    (dict(hyper=(("momentum", 0.9),)), r"hyperparameter 'momentum' is not one of gd's; allowed: lr"),
])
def test_bad_settings_name_the_field_the_value_and_the_range(kw, message):
    with pytest.raises(ValueError, match=message):
        BasinConfig(**kw)


def test_one_beta_is_completed_with_the_others_default():
    cfg = BasinConfig(optimizer="adam", hyper=(("lr", 0.1), ("beta1", 0.5)))
    assert dict(cfg.hyper)["beta2"] == 0.999
    np.testing.assert_allclose(np.asarray(cfg.build_optimizer().m.columns()[optimizers.rules.MOMENTUM]), 0.5)
    assert cfg.label == "adam β₁=0.5 η=0.1"


def test_run_basins_refuses_anything_but_a_config():
    with pytest.raises(ValueError, match="BasinConfig"):
        run_basins({"n": 10})


def test_labels_and_categorize_on_a_hand_made_trajectory():
    surface = surfaces.get("himmelblau")
    assert labels_of(surface) == (0, 1, 2, 3) + OTHER
    traj = optimizers.simulate(surface, optimizers.get("gd", lr=1e-2), surface.minima + 0.01, 2_000,
                               record=("path",), every=20, tail=8)
    assert list(categorize(surface, traj)) == [0, 1, 2, 3]


# ----------------------------------------------------------------- the figure
def sent(fig):
    tree = as_json(fig)[1]
    go.Figure(tree)  # plotly.py validates what basin_figure wrote without validation
    return tree


@pytest.mark.parametrize("by", ["end", "steps"])
def test_figure_is_finite_with_one_colour_per_category(valley_pair, by):
    r = valley_pair[1]
    surface = r.surface
    tree = sent(basin_figure(surface, r, by=by))
    for where, values in walk_numbers(tree):
        if where.endswith(".z") and by == "steps":
            continue  # the steps heatmap leaves non-converged cells out (NaN = transparent), checked below
        assert np.isfinite(values).all(), where
    heat = tree["data"][0]
    assert heat["type"] == "heatmap" and heat["hoverinfo"] == "skip"
    present = sorted(set(r.codes.ravel().tolist()))
    colors = [c for _, c in heat["colorscale"]]
    flat = colors[::2]
    assert len(flat) == len(present) and colors[::2] == colors[1::2], "one flat band per category"
    assert flat == [minimum_color(r.labels[c]) if c < len(surface.minima) else OTHER_COLORS[r.labels[c]]
                    for c in present]
    assert len(set(flat)) == len(flat)
    z = decode(heat["z"]).reshape(r.n, r.n)
    assert z.min() == 0 and z.max() == len(present) - 1
    np.testing.assert_array_equal(np.array(present)[z.astype(int)], r.codes)
    # the legend names each category once; stars sit at the minima in their basin's colour
    legend = [t["name"] for t in tree["data"] if t.get("showlegend", True) and t["type"] == "scatter"
              and not t["name"].startswith(CELLS_NAME)]
    assert len(legend) == len(present)
    stars = [t for t in tree["data"] if t.get("marker", {}).get("symbol") == "star"]
    assert len(stars) == len(surface.minima)
    for k, t in enumerate(stars):
        assert t["marker"]["color"] == minimum_color(k)
        np.testing.assert_allclose([t["x"][0], t["y"][0]], surface.minima[k], atol=1e-6)
    if by == "steps":
        steps = tree["data"][1]
        assert steps["type"] == "heatmap" and steps["colorbar"]["ticktext"]
        logs = decode(steps["z"]).reshape(r.n, r.n)
        finite = np.isfinite(r.steps_needed)
        np.testing.assert_array_equal(np.isfinite(logs), finite)
        np.testing.assert_allclose(10 ** logs[finite], np.maximum(r.steps_needed[finite], 1), rtol=1e-5)


def test_hover_and_click_markers_cover_every_cell_with_its_numbers(himmelblau_gd):
    r = himmelblau_gd
    tree = sent(basin_figure(r.surface, r))
    cells = [t for t in tree["data"] if t.get("name", "").startswith(CELLS_NAME)]
    assert cells and all(t["marker"]["opacity"] == 0 for t in cells)
    xs = np.concatenate([decode(t["x"]) for t in cells])
    ys = np.concatenate([decode(t["y"]) for t in cells])
    assert len(xs) == r.n ** 2
    for t in cells:
        custom = decode(t["customdata"]).reshape(-1, 4)
        for (x, y), (ex, ey, loss, _) in zip(zip(decode(t["x"]), decode(t["y"])), custom):
            i, j = r.nearest_cell(x, y)
            np.testing.assert_allclose([ex, ey, loss], [*r.ends[i, j], r.final_loss[i, j]], rtol=1e-5, atol=1e-6)
        assert "start" in t["hovertemplate"] and "end" in t["hovertemplate"] and "L =" in t["hovertemplate"]
    assert set(zip(xs.round(9), ys.round(9))) == {(round(x, 9), round(y, 9)) for x in r.xs for y in r.ys}


def test_big_grids_get_a_thinned_hover_grid_and_stay_small():
    r = run_basins(config("himmelblau", "momentum", n=200, steps=200))
    fig = basin_figure(r.surface, r, by="steps")
    tree = sent(fig)
    cells = [t for t in tree["data"] if t.get("name", "").startswith(CELLS_NAME)]
    assert sum(len(decode(t["x"])) for t in cells) == 100 * 100
    assert len(fig.to_json()) < 1.5e6


def test_figure_validation():
    r = run_basins(config(n=4, steps=10))
    with pytest.raises(ValueError, match="by = 'size' is not valid"):
        basin_figure(r.surface, r, by="size")
    with pytest.raises(ValueError, match="height = 5 is out of range"):
        basin_figure(r.surface, r, height=5)


def test_cell_grid_helper_matches_the_result():
    s = surfaces.get("bumpy_valley")
    xs, ys = grid(s, 5)
    assert xs[2] == pytest.approx(0.0) and ys[2] == pytest.approx(0.0)


def test_two_maps_can_share_one_steps_scale(valley_pair):
    from figures.basins import steps_range

    gd, ball = valley_pair
    lo, hi = steps_range(gd, ball)
    assert lo == max(1.0, min(np.nanmin(gd.steps_needed), np.nanmin(ball.steps_needed)))
    assert hi == max(np.nanmax(gd.steps_needed), np.nanmax(ball.steps_needed))
    for r in (gd, ball):
        heat = sent(basin_figure(r.surface, r, by="steps", steps_scale=(lo, hi)))["data"][1]
        assert heat["zmin"] == pytest.approx(np.log10(lo)) and heat["zmax"] == pytest.approx(np.log10(hi))
    assert steps_range(run_basins(config(lr=1e-7, n=3, steps=10))) is None  # nothing converged


def test_a_picked_start_is_marked(himmelblau_gd):
    r = himmelblau_gd
    tree = sent(basin_figure(r.surface, r, mark=(1.5, -2.0)))
    (ring,) = [t for t in tree["data"] if t["name"] == "picked start"]
    assert ring["x"] == [1.5] and ring["y"] == [-2.0]
    assert not any(t["name"] == "picked start" for t in sent(basin_figure(r.surface, r))["data"])
    with pytest.raises(ValueError, match="mark"):
        basin_figure(r.surface, r, mark=(float("nan"), 0.0))


# ----------------------------------------------------------------- words in the page's language
def test_category_names_and_labels_follow_the_language():
    from lab.basins import category_name

    surface = surfaces.get("himmelblau")
    assert category_name(surface, 1) == "minimum 2 (3, 2)"
    assert category_name(surface, 1, "zh-TW") == "最小值 2 (3, 2)"
    assert [category_name(surface, c, "zh-TW") for c in OTHER] == [
        "其他最小值", "鞍點", "局部最大值", "退化的臨界點", "震盪", "還在移動", "發散"]
    lecture = BasinConfig(optimizer="momentum", variant="lecture", hyper=(("lr", 0.01), ("momentum", 0.5)))
    assert lecture.label == lecture.describe("en") == "momentum, lecture λ=0.5 η=0.01"
    assert lecture.describe("zh-TW") == "momentum（課程版） λ=0.5 η=0.01"


def test_figure_words_follow_the_language(valley_pair):
    gd = valley_pair[0]
    en = json.loads(basin_figure(gd.surface, gd, by="steps", mark=(1.0, 0.0)).to_json())
    zh = json.loads(basin_figure(gd.surface, gd, by="steps", mark=(1.0, 0.0), lang="zh-TW").to_json())
    assert zh["layout"]["xaxis"]["title"]["text"] == "起點 θ₁ (x)"
    assert zh["data"][1]["colorbar"]["title"]["text"] == "所需<br>步數"
    legend = [t["name"] for t in zh["data"] if t.get("showlegend", True) and not t["name"].startswith(CELLS_NAME)]
    assert any(name.startswith("最小值 ") for name in legend)
    hovers = [t["hovertemplate"] for t in zh["data"] if str(t.get("name", "")).startswith(CELLS_NAME)]
    assert hovers and all("<br>起點 (" in h and "<br>終點 (" in h for h in hovers)
    # the same data in either language
    for a, b in zip(en["data"], zh["data"]):
        assert {k: v for k, v in a.items() if k not in ("name", "hovertemplate", "colorbar")} == \
               {k: v for k, v in b.items() if k not in ("name", "hovertemplate", "colorbar")}


def test_pick_summary_words_follow_the_language():
    wild = config("rosenbrock", "gd", lr=0.05, n=8, steps=500)
    res = run_basins(wild)
    i, j = map(int, np.argwhere(res.category == "diverged")[0])
    (run,) = pick_runs([wild], res.start(i, j))
    assert pick_summary(res.surface, run, "zh-TW")["steps_text"] == f"在第 {run.diverged_at:,} 步發散"
    assert pick_summary(res.surface, run)["steps_text"] == f"diverged at step {run.diverged_at:,}"


def test_basins_run_on_the_bowl_with_quadratic_walls():
    r = run_basins(config("bowl", "adagrad", lr=0.1, n=4, steps=200, surface_params=(("walls", "quadratic"),)))
    assert r.codes.size == 16 and dict(r.config.surface_params)["walls"] == "quadratic"
