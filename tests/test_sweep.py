"""The learning-rate sweep: the lecture's story, equality with single runs, validation, the figure."""
import json

import numpy as np
import pytest

import optimizers
import surfaces
from figures.map import CASING_NAME, path_map
from lab.runs import PALETTE
from figures.sweep import OPTIMIZER_COLORS, SYMBOLS, run_views, sweep_figure
from lab import sweep as S
from lab.sweep import SweepConfig, run_sweep
from optimizers import outcomes
from tests.apptest_helpers import decode


@pytest.fixture(scope="module")
def bowl_story():
    # 49 rates over 8 decades: six per decade, so 1e-7 and 1e-2 are swept exactly
    return run_sweep(SweepConfig("bowl", (), ("gd", "adagrad"), 1e-8, 1.0, 49, 100_000))


def at_rate(sweep, rate):
    k = sweep.index(rate)
    assert sweep.rates[k] == pytest.approx(rate, rel=1e-9)
    return k


def test_the_bowl_tells_the_lectures_story(bowl_story):
    gd, adagrad = bowl_story.of("gd"), bowl_story.of("adagrad")
    assert gd.label[at_rate(gd, 1e-7)] == "still_moving"  # crawls along the flat floor, never arrives
    assert gd.label[at_rate(gd, 1e-2)] == "oscillating"  # bounces between the walls
    assert "converged" not in set(gd.label)  # no single rate fits both axes
    assert "converged" in set(adagrad.label)  # Adagrad arrives
    best = adagrad.best()
    assert adagrad.label[best] == "converged" and adagrad.distance[best] < 1e-6
    # the default picks: GD's two lecture rates, then Adagrad's best
    assert S.default_picks(bowl_story) == [S.pick_key("gd", gd.rates[at_rate(gd, 1e-2)]),
                                           S.pick_key("gd", gd.rates[at_rate(gd, 1e-7)]),
                                           S.pick_key("adagrad", adagrad.rates[best])]


def test_large_rates_diverge_on_rosenbrock():
    result = run_sweep(SweepConfig("rosenbrock", optimizers=("gd",), lr_min=1e-6, lr_max=1.0, n_rates=13,
                                   steps=5_000))
    gd = result.of("gd")
    assert list(gd.label[-3:]) == ["diverged"] * 3
    assert np.all(gd.diverged_at[-3:] >= 0) and np.all(gd.diverged_at[:3] == -1)
    assert np.all(np.isfinite(gd.final_loss)) and np.all(np.isfinite(gd.distance))
    assert gd.label[0] == "still_moving"
    rows = S.to_csv(result).strip().splitlines()[2:]
    assert [r.split(",")[-1] for r in rows[-3:]] == [str(d) for d in gd.diverged_at[-3:]]
    assert rows[0].split(",")[-1] == ""
    assert S.table(result)["diverged at step"][-1] == f"{gd.diverged_at[-1]:,}"


@pytest.mark.parametrize("variant", ["torch", "lecture"])
def test_results_equal_single_runs_rate_by_rate(variant):
    """Independent reference: each rate on its own, one simulate call with a scalar lr."""
    config = SweepConfig("crescent", (), ("gd", "adagrad", "adam"), 1e-4, 0.5, 7, 3_000, start=(1.5, 1.0),
                         variant=variant)
    result = run_sweep(config)
    surf = surfaces.get("crescent")
    every = S.record_every(3_000)
    for sweep in result.runs:
        assert sweep.trajectory.path.shape[1] <= S.MAX_RECORDED + S.TAIL + 1
        for k, rate in enumerate(sweep.rates):
            one = optimizers.simulate(surf, optimizers.get(sweep.optimizer, lr=float(rate), variant=variant),
                                      (1.5, 1.0), 3_000, record=("path",), every=every, tail=8)
            np.testing.assert_array_equal(sweep.trajectory.path[k], one.path[0])
            np.testing.assert_array_equal(sweep.trajectory.final[k], one.final[0])
            assert sweep.final_loss[k] == one.final_loss[0]
            assert sweep.diverged_at[k] == one.diverged_at[0]
            assert sweep.label[k] == outcomes.label(surf, one)[0]
            assert sweep.distance[k] == pytest.approx(np.min(np.linalg.norm(surf.minima - one.final[0], axis=1)))


def test_rates_are_log_spaced_and_memory_is_bounded():
    config = SweepConfig(optimizers=("gd",), lr_min=1e-8, lr_max=1.0, n_rates=200, steps=100_000)
    rates = config.rates()
    assert len(rates) == 200 and rates[0] == 1e-8 and rates[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(np.diff(np.log10(rates)), 8 / 199)
    every = S.record_every(100_000)
    assert every % 2 == 1  # an odd stride: a 2-cycle is not recorded on one wall only
    assert len(optimizers.record_steps(100_000, every, 8)) <= S.MAX_RECORDED + 9
    assert S.record_every(1_000) == 1


def test_progress_is_reported_and_reaches_one():
    seen = []
    run_sweep(SweepConfig(optimizers=("gd", "adam"), n_rates=20, steps=200_000 // 2), progress=seen.append)
    assert seen and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen) and seen == sorted(seen)


def test_one_step_runs_get_labels():
    result = run_sweep(SweepConfig(optimizers=("gd",), n_rates=3, steps=1))
    assert set(result.of("gd").label) <= {"still_moving", "converged", "diverged"}


@pytest.mark.parametrize("changes, message", [
    (dict(lr_min=0.0), "lr_min = 0 is out of range; allowed 1e-8 <= lr_min < lr_max"),
    (dict(lr_min=1.0, lr_max=1.0), "lr_min = 1 is out of range; allowed 1e-8 <= lr_min < lr_max = 1"),
    (dict(lr_min=0.5, lr_max=1e-3), "lr_min = 0.5 is out of range; allowed 1e-8 <= lr_min < lr_max = 0.001"),
    (dict(lr_min=float("nan")), "lr_min = nan is out of range"),
    (dict(lr_max=100.0), "lr_max = 100 is out of range; allowed 1e-8 < lr_max <= 10"),
    (dict(n_rates=1), "n_rates = 1 is out of range; allowed integers 2 <= n_rates <= 200"),
    (dict(n_rates=201), "n_rates = 201 is out of range; allowed integers 2 <= n_rates <= 200"),
    (dict(n_rates=2.5), "n_rates = 2.5 is out of range"),
    (dict(steps=0), "steps = 0 is out of range; allowed integers 1 <= steps <= 100,000"),
    (dict(steps=100_001), "steps = 100001 is out of range; allowed integers 1 <= steps <= 100,000"),
    (dict(optimizers=()), "optimizers = [] is out of range; allowed 1 to 3 different names"),
    (dict(optimizers=("gd", "adam", "adagrad", "rmsprop")), "optimizers = ['gd', 'adam', 'adagrad', 'rmsprop'] is out"),
    (dict(optimizers=("gd", "gd")), "optimizers = ['gd', 'gd'] is out of range"),
    (dict(optimizers=("sgd",)), "optimizers = 'sgd' is not an optimizer; allowed: gd, "),
    (dict(surface="plane"), "surface = 'plane' is not a surface; allowed: bowl, "),
    (dict(start=(5.0, 0.0)), "start = (5.0, 0.0) is out of range; allowed a point (x, y) with -2 <= x <= 2"),
    (dict(variant="keras"), "variant = 'keras' is not valid; allowed: torch, lecture"),
    (dict(surface_params=(("kappa", 0.5),)), "kappa = 0.5 is out of range"),
])
def test_bad_settings_name_field_value_and_range(changes, message):
    with pytest.raises(ValueError) as info:
        SweepConfig(**changes)
    assert message in str(info.value)


def test_config_is_normalized_and_hashable():
    a = SweepConfig(optimizers=["gd"], lr_min=1e-8, lr_max=1, n_rates=50.0, steps=1000)
    b = SweepConfig(optimizers=("gd",), lr_min=1e-8, lr_max=1.0, n_rates=50, steps=1000)
    assert a == b and repr(a) == repr(b) and hash(a) == hash(b)


# ----------------------------------------------------------------- picks
def test_picks_remap_click_and_add(bowl_story):
    gd = bowl_story.of("gd")
    coarse = run_sweep(SweepConfig(optimizers=("gd",), lr_min=1e-8, lr_max=1.0, n_rates=9, steps=100))
    # moved to the nearest swept rate of the new sweep; an optimizer no longer swept is dropped
    moved = S.remap_picks(coarse, [S.pick_key("gd", gd.rates[at_rate(gd, 1e-2)]), "adagrad@0.1", "junk"])
    assert moved == [S.pick_key("gd", 1e-2)]
    point = {"customdata": [float(gd.rates[5]), 0.0, 1.0, 1.0], "x": float(gd.rates[5])}
    assert S.click_pick(bowl_story, point) == S.pick_key("gd", gd.rates[5])
    # as Streamlit reports a click on a point whose customdata is a numpy array
    as_sent = {"curve_number": 0, "point_index": 5, "x": float(gd.rates[5]),
               "customdata": {"0": float(gd.rates[5]), "1": 0, "2": 1.0, "3": 1.0}}
    assert S.click_pick(bowl_story, as_sent) == S.pick_key("gd", gd.rates[5])
    assert S.click_pick(bowl_story, {"x": 1.0}) is None
    assert S.click_pick(bowl_story, {"customdata": {"0": "a"}}) is None
    assert S.click_pick(bowl_story, {"customdata": [0.1, 7, 0, 0]}) is None
    keys = ["a@1.0", "b@1.0", "c@1.0", "d@1.0"]
    assert S.add_pick(keys, "e@1.0") == ["b@1.0", "c@1.0", "d@1.0", "e@1.0"]
    assert S.add_pick(keys, "a@1.0") == keys
    assert S.pick_text(bowl_story, S.pick_key("gd", gd.rates[at_rate(gd, 1e-2)])) == "GD · η = 0.01 · oscillating"


def test_default_picks_elsewhere_are_each_optimizers_best():
    result = run_sweep(SweepConfig("himmelblau", (), ("adam", "rmsprop"), 1e-4, 1.0, 9, 2_000))
    assert S.default_picks(result) == [S.pick_key(s.optimizer, s.rates[s.best()]) for s in result.runs]
    lone = run_sweep(SweepConfig("himmelblau", (), ("gd",), 1e-4, 1.0, 9, 2_000))
    assert len(S.default_picks(lone)) == 3


def test_traced_picks_are_the_sweeps_runs_at_every_step(bowl_story):
    config = SweepConfig(optimizers=("gd", "adagrad"), n_rates=12, steps=3_000)
    result = run_sweep(config)
    picks = S.default_picks(result)
    traced = S.trace_picks(config, picks)
    for key, traj in zip(picks, traced):
        optimizer, rate = S.parse_pick(key)
        sweep = result.of(optimizer)
        k = sweep.index(rate)
        assert len(traj.steps) == 3_001 and traj.path.shape == (1, 3_001, 2)
        np.testing.assert_array_equal(traj.path[0, sweep.trajectory.steps], sweep.trajectory.path[k])
        np.testing.assert_array_equal(traj.final[0], sweep.trajectory.final[k])


def test_table_and_csv(bowl_story):
    cols = S.table(bowl_story)
    assert list(cols) == list(S.COLUMNS) and len(cols["optimizer"]) == 2 * 49
    text = S.to_csv(bowl_story)
    lines = text.strip().splitlines()
    assert lines[0].startswith("# surface=bowl") and lines[1] == ",".join(S.COLUMNS)
    first = lines[2].split(",")
    assert first[0] == "GD" and float(first[1]) == 1e-8 and first[2] == "still moving (too slow)"
    assert float(first[3]) == bowl_story.of("gd").final_loss[0]
    assert len(lines) == 2 + 2 * 49


# ----------------------------------------------------------------- the figure
def spec(fig):
    text = fig.to_json()
    assert "NaN" not in text and "Infinity" not in text and "null" not in text
    return json.loads(text)


def curves(fig_json, name):
    return [t for t in fig_json["data"] if t.get("name") == name and t.get("mode") == "lines+markers"]


def test_figure_has_one_colour_per_optimizer_and_clickable_rates(bowl_story):
    picks = S.default_picks(bowl_story)
    fig = spec(sweep_figure(bowl_story, picks))
    for i, sweep in enumerate(bowl_story.runs):
        loss_curve, distance_curve = curves(fig, sweep.name)
        for trace in (loss_curve, distance_curve):
            assert trace["line"]["color"] == OPTIMIZER_COLORS[i]
            custom = decode(trace["customdata"])
            np.testing.assert_array_equal(custom[:, 0], sweep.rates)  # the rate of each point, for clicks
            np.testing.assert_array_equal(custom[:, 1], i)
            np.testing.assert_array_equal(decode(trace["x"]), sweep.rates)
            assert trace["marker"]["symbol"] == [SYMBOLS[lab] for lab in sweep.label]
        np.testing.assert_allclose(decode(loss_curve["y"]), np.maximum(sweep.final_loss, 1e-16))
        np.testing.assert_allclose(decode(distance_curve["y"]), np.maximum(sweep.distance, 1e-16))
        assert loss_curve["yaxis"] in (None, "y") and distance_curve["yaxis"] == "y2"
    names = [t.get("name") for t in fig["data"]]
    for lab in S.LABELS:
        assert S.LABEL_TEXT[lab] in names  # the legend explains the four labels
    rings = [t for t in fig["data"] if str(t.get("name")).startswith("chosen: ")]
    assert len(rings) == 2 * len(picks)  # on both rows
    assert [decode(t["customdata"])[0, 0] for t in rings[::2]] == [S.parse_pick(k)[1] for k in picks]
    assert fig["layout"]["xaxis"]["type"] == "log" and fig["layout"]["yaxis"]["type"] == "log"


def test_diverged_runs_are_drawn_at_their_last_good_point_with_an_x():
    result = run_sweep(SweepConfig("rosenbrock", optimizers=("gd", "adam"), lr_min=1e-3, lr_max=10.0, n_rates=6,
                                   steps=500))
    gd = result.of("gd")
    assert "diverged" in set(gd.label)
    fig = spec(sweep_figure(result))
    trace = curves(fig, "GD")[0]
    y = decode(trace["y"])
    assert np.all(np.isfinite(y)) and np.all(y >= 1e-16)
    for k in np.flatnonzero(gd.label == "diverged"):
        assert trace["marker"]["symbol"][k] == "x"
        assert y[k] == pytest.approx(max(float(result.surface.loss(gd.trajectory.final[k])), 1e-16))


def test_loss_is_drawn_above_the_lowest_minimum():
    result = run_sweep(SweepConfig("six_hump_camel", optimizers=("adam",), lr_min=1e-3, lr_max=0.1, n_rates=5,
                                   steps=5_000))
    L_star = float(result.surface.loss(result.surface.minima[0]))
    assert L_star < -1.0
    y = decode(curves(spec(sweep_figure(result)), "Adam")[0]["y"])
    np.testing.assert_allclose(y, np.maximum(result.of("adam").final_loss - L_star, 1e-16))


def test_chosen_paths_go_on_the_playground_map(bowl_story):
    picks = S.default_picks(bowl_story)
    views = run_views(bowl_story, picks)
    assert [v.label.split(" · ")[1] for v in views] == ["oscillating", "still moving (too slow)", "converged"]
    assert len({v.color for v in views}) == 3
    fig = path_map(bowl_story.surface, views, animate=False)
    assert not fig.frames
    lines = [t for t in fig.data if t.mode == "lines" and t.name != CASING_NAME]  # each over its dark casing
    assert [t.name for t in lines] == [v.label for v in views]
    assert "NaN" not in fig.to_json()
    # bouncing runs are drawn first (underneath), each keeping its pick's colour
    reordered = run_views(bowl_story, [picks[2], picks[1], picks[0]])
    assert [v.label for v in reordered] == [views[0].label, views[2].label, views[1].label]
    assert [v.color for v in reordered] == [PALETTE[2], PALETTE[0], PALETTE[1]]
    # of two bounces, the wider one (the larger rate) goes underneath
    gd = bowl_story.of("gd")
    small, large = (S.pick_key("gd", gd.rates[at_rate(gd, r)]) for r in (1e-3, 1e-1))
    assert [v.label.split(" · ")[0] for v in run_views(bowl_story, [small, large])] == ["GD η=0.1", "GD η=0.001"]


def test_the_cache_computes_once_and_stays_within_its_budget():
    cache = S.SweepCache(max_entries=2)
    config = SweepConfig(optimizers=("gd",), n_rates=4, steps=100)
    calls = []
    first = cache.run(config, progress=calls.append)
    assert calls and cache.run(config, progress=calls.append) is first and calls[-1] == 1.0
    n = len(calls)
    cache.run(SweepConfig(optimizers=("gd",), n_rates=4, steps=200))
    cache.run(SweepConfig(optimizers=("gd",), n_rates=4, steps=300))
    assert len(cache) == 2 and cache.get(config) is None and len(calls) == n
    small = S.SweepCache(max_bytes=1)  # always keeps the newest result
    small.run(config)
    small.run(SweepConfig(optimizers=("adam",), n_rates=4, steps=100))
    assert len(small) == 1 and small.get(config) is None


# ----------------------------------------------------------------- words in the page's language
def test_every_shown_word_follows_the_language(bowl_story):
    picks = S.default_picks(bowl_story)
    fig = spec(sweep_figure(bowl_story, picks, lang="zh-TW"))
    assert fig["layout"]["legend2"]["title"]["text"] == "軌跡的結果："
    assert fig["layout"]["annotations"][0]["text"].startswith("最終 loss")
    names = [t.get("name") for t in fig["data"]]
    assert {"收斂", "震盪", "還在移動（太慢）", "發散"} <= set(names)
    assert "已選：GD η = 0.01" in names
    # the numbers do not depend on the language
    english = spec(sweep_figure(bowl_story, picks))
    for a, b in zip(english["data"], fig["data"]):
        assert a.get("x") == b.get("x") and a.get("y") == b.get("y") and a.get("customdata") == b.get("customdata")
    views, english = run_views(bowl_story, picks, lang="zh-TW"), run_views(bowl_story, picks)
    assert [v.label.split(" · ")[0] for v in views] == [v.label.split(" · ")[0] for v in english]
    assert [v.label.split(" · ")[1] for v in views] == ["震盪", "還在移動（太慢）", "收斂"]
    gd = bowl_story.of("gd")
    assert S.pick_text(bowl_story, picks[0], "zh-TW") == "GD · η = 0.01 · 震盪"
    cols = S.table(bowl_story, "zh-TW")
    assert list(cols) == ["最佳化器", "學習率", "結果", "最終 loss", "到最近最小值的距離", "在第幾步發散"]
    assert cols["結果"][at_rate(gd, 1e-2)] == "震盪"
    assert S.to_csv(bowl_story).splitlines()[1] == ",".join(S.COLUMNS)  # the CSV stays English
    definitions = S.label_definitions("zh-TW")
    assert list(definitions) == list(S.LABELS) and f"{outcomes.NEWTON_TOL:g}" in definitions["converged"]
    assert f"最後 {S.TAIL} 次移動" in definitions["oscillating"]


def test_the_update_rule_shows_the_swept_range_without_the_english_note():
    config = SweepConfig(optimizers=("gd", "adam"), lr_min=1e-4, lr_max=0.1, n_rates=4, steps=10)
    rule = S.rule(config, "adam")
    assert rule.startswith(r"\begin{aligned}") and rule.endswith(r"\end{aligned}")
    assert r"\eta^{t} &= \eta = (0.0001 \ldots 0.1) \\" in rule and r"\text" not in rule
    from optimizers.latex import update_rule
    full = update_rule(optimizers.get("adam", lr=config.rates()))
    note = r"& \text{(a \ldots\ b): swept over the runs; first and last values shown}"
    assert rule == full.replace(r" \\" + "\n" + note, "")


def test_a_sweep_runs_on_the_bowl_with_quadratic_walls():
    """The bowl's wall shape is a text setting; the sweep keeps it as it is and sweeps that surface."""
    config = SweepConfig("bowl", (("walls", "quadratic"), ("kappa", 1e4)), ("gd",), 1e-5, 1e-3, 3, 1_000)
    assert config.surface_params == (("kappa", 1e4), ("walls", "quadratic"))
    gd = run_sweep(config).of("gd")
    # quadratic walls of curvature b = 5,500: GD diverges above η = 2/b ≈ 3.6e-4, and only there
    assert list(gd.rates > 2 / surfaces.catalog.BOWL_FLOOR) == [False, False, True]
    assert list(gd.diverged_at >= 0) == [False, False, True]
