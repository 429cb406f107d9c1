"""Run labels on runs whose behaviour is known: a bounce, a crawl, an arrival, a divergence."""
import numpy as np
import pytest

import optimizers
import surfaces
from optimizers import outcomes
from optimizers.engine import Trajectory


def run(surface, name, steps, **hyper):
    return optimizers.simulate(surface, optimizers.get(name, **hyper), steps=steps, record=("path",), every=100,
                               tail=8)


def test_the_bowl_story_gets_the_four_labels():
    bowl = surfaces.get("bowl")
    assert outcomes.label(bowl, run(bowl, "gd", 20_000, lr=1e-2))[0] == "oscillating"  # bounces between the walls
    assert outcomes.label(bowl, run(bowl, "gd", 20_000, lr=1e-7))[0] == "still_moving"  # crawls
    assert outcomes.label(bowl, run(bowl, "adagrad", 20_000, lr=0.1))[0] == "converged"
    # the bowl's walls straighten, so big steps (up to 2/c) bounce for ever; Rosenbrock's quartic walls throw them out
    assert outcomes.label(bowl, run(bowl, "gd", 1_000, lr=0.1))[0] == "oscillating"
    rosenbrock = surfaces.get("rosenbrock")
    assert outcomes.label(rosenbrock, run(rosenbrock, "gd", 1_000, lr=0.05))[0] == "diverged"


def test_a_sweep_is_labelled_run_by_run():
    surf = surfaces.get("rosenbrock")
    lrs = np.array([1e-7, 1e-3, 5e-2])
    tr = optimizers.simulate(surf, optimizers.get("gd", lr=lrs), steps=20_000, record=("path",), every=50, tail=8)
    assert list(outcomes.label(surf, tr)) == ["still_moving", "converged", "diverged"]


def constructed(path, diverged_at=-1):
    """A hand-made trajectory: the labels read nothing but the path and the divergence step."""
    path = np.asarray(path, dtype=float)[None]
    steps = np.arange(path.shape[1])
    return Trajectory("saddle", "gd", steps, path, None, None, None, None, np.array([diverged_at]), path[:, -1],
                      np.zeros(1))


def test_constructed_trajectories():
    saddle = surfaces.get("saddle")  # minima at (0, ±1)
    t = np.arange(12)
    bounce = np.stack([0.5 + 0.001 * t, 0.5 * (-1.0) ** t], -1)
    crawl = np.stack([1.0 - 0.001 * t, 0.5 + 0.0 * t], -1)
    arrived = np.stack([0.0 * t, 1.0 + 0.0 * t], -1)
    at_saddle = np.zeros((12, 2))
    assert outcomes.label(saddle, constructed(bounce))[0] == "oscillating"
    assert outcomes.label(saddle, constructed(crawl))[0] == "still_moving"
    assert outcomes.label(saddle, constructed(arrived))[0] == "converged"
    assert outcomes.label(saddle, constructed(at_saddle))[0] == "converged"  # a critical point, not a minimum
    assert outcomes.label(saddle, constructed(crawl, diverged_at=5))[0] == "diverged"


def test_labels_need_the_last_steps():
    tr = optimizers.simulate("bowl", "gd", steps=1000, record=("path",), every=100)
    with pytest.raises(ValueError, match="tail=8"):
        outcomes.label(surfaces.get("bowl"), tr)


def test_nearest_minimum_and_settling():
    him = surfaces.get("himmelblau")
    idx, dist = outcomes.nearest_minimum(him, him.minima + 0.01)
    np.testing.assert_array_equal(idx, np.arange(len(him.minima)))
    np.testing.assert_allclose(dist, np.sqrt(2) * 0.01)
    path = np.concatenate([np.linspace([3.0, 0.0], [0.0, 1.0], 6), np.tile([0.0, 1.0], (6, 1))])
    assert outcomes.settled_at(constructed(path), tol=1e-9)[0] == 5


def test_a_one_step_run_is_never_oscillating():
    surf = surfaces.get("saddle")
    tr = optimizers.simulate(surf, optimizers.get("gd", lr=np.array([1e-3, 1e3])), np.array([[0.0, 0.0], [1.0, 0.5]]),
                             steps=1, record=("path",))
    assert list(outcomes.label(surf, tr)) == ["converged", "still_moving"]
