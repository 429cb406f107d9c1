"""The lecture's stories hold on the default surfaces."""
import numpy as np

import optimizers
import surfaces
from optimizers import Noise, simulate


def distance_to_nearest_minimum(surface, points):
    return np.linalg.norm(points[:, None, :] - surface.minima[None], axis=-1).min(axis=1)


def test_bowl_gd_bounces_or_crawls_while_adagrad_arrives():
    bowl = surfaces.get("bowl")
    start_distance = distance_to_nearest_minimum(bowl, bowl.start[None])[0]
    # η = 1e-2 moves along the flat axis but bounces between the walls for ever
    big = simulate(bowl, optimizers.get("gd", lr=1e-2), steps=100_000, record=("path",))
    y = big.path[0, -100:, 1]
    assert big.diverged_at[0] == -1 and np.all(y[1:] * y[:-1] < 0) and np.abs(y).min() > 0.3
    # every η small enough not to bounce (η·b ≤ 1) is still far away after 100,000 steps
    small = np.logspace(-8, np.log10(1 / surfaces.catalog.BOWL_FLOOR), 16)
    crawl = simulate(bowl, optimizers.get("gd", lr=small), steps=100_000, record=())
    assert np.all(distance_to_nearest_minimum(bowl, crawl.final) > 0.4 * start_distance)
    assert distance_to_nearest_minimum(bowl, crawl.final[:1])[0] > 0.98 * start_distance  # η = 1e-8 crawls
    # Adagrad (torch's defaults) from the same start arrives
    ada = simulate(bowl, "adagrad", steps=100_000, record=())
    assert distance_to_nearest_minimum(bowl, ada.final)[0] < 1e-3


def test_crescent_rmsprop_arrives_where_adagrad_crawls_after_the_steep_part():
    crescent = surfaces.get("crescent")
    runs = {name: simulate(crescent, optimizers.get(name, lr=0.03), steps=10_000, every=100)
            for name in ("adagrad", "rmsprop")}
    ada, rms = runs["adagrad"], runs["rmsprop"]
    crossed = ada.steps[np.argmax(ada.path[0, :, 0] < -0.3)]
    assert crossed <= 2_000  # Adagrad gets through the steep step …
    assert distance_to_nearest_minimum(crescent, ada.final)[0] > 0.5  # … then crawls on the gentle slope
    assert distance_to_nearest_minimum(crescent, rms.final)[0] < 0.1
    after = ada.steps >= crossed + 1000
    assert np.median(ada.lr_eff[0, after, 0]) < 0.05 * np.median(rms.lr_eff[0, after, 0])


def test_saddle_gd_converges_to_it_noise_and_momentum_escape():
    saddle = surfaces.get("saddle")
    gd = optimizers.get("gd", lr=1e-2)
    stuck = simulate(saddle, gd, steps=2_000, record=())
    assert optimizers.classify(saddle, stuck.final[0])["kind"] == "saddle"
    noisy = simulate(saddle, gd, np.repeat(saddle.start[None], 8, 0), steps=2_000, noise=Noise(std=0.1), seed=1,
                     record=())
    assert np.all(distance_to_nearest_minimum(saddle, noisy.final) < 0.05)
    near = saddle.start + np.array([0.0, 1e-6])  # a hair off the stable manifold
    slow = simulate(saddle, gd, near, steps=1_000, record=())
    rolled = simulate(saddle, optimizers.get("momentum", lr=1e-2), near, steps=1_000, record=())
    assert np.linalg.norm(slow.final[0]) < 0.05  # GD still sits at the saddle
    assert optimizers.classify(saddle, rolled.final[0])["kind"] == "minimum"


def test_bumpy_valley_momentum_rolls_over_a_hill_into_a_lower_minimum():
    valley = surfaces.get("bumpy_valley")
    for lr in (1e-2, 3e-2):
        gd = simulate(valley, optimizers.get("gd", lr=lr), steps=20_000, record=())
        ball = simulate(valley, optimizers.get("momentum", lr=lr), steps=20_000, record=())
        for run in (gd, ball):
            assert optimizers.classify(valley, run.final[0])["kind"] == "minimum"
        assert ball.final_loss[0] < gd.final_loss[0] - 0.1
        assert gd.final[0, 0] > 2.0  # GD stopped in the first dip below the start
