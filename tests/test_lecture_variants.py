"""variant="lecture" equals a naive loop written from the lecture's formulas."""
import numpy as np
import pytest

import optimizers
import surfaces
from tests.lecture_reference import lecture_adagrad, lecture_momentum, lecture_rmsprop, naive

STEPS = 500


CASES = [
    ("momentum", {"lr": 1e-3, "momentum": 0.9}, lambda eta: lecture_momentum(0.9, eta)),
    ("adagrad", {"lr": 0.01}, lambda eta: lecture_adagrad(eta, 1e-10)),
    ("rmsprop", {"lr": 1e-3, "alpha": 0.9}, lambda eta: lecture_rmsprop(0.9, eta, 1e-8)),
]


@pytest.mark.parametrize("surface", ["bowl", "saddle", "himmelblau", "rosenbrock", "six_hump_camel"])
@pytest.mark.parametrize("name,hyper,rule", CASES)
@pytest.mark.parametrize("decay", [False, True])
def test_lecture_variant_equals_naive_loop(name, hyper, rule, surface, decay):
    surf = surfaces.get(surface)
    sched = optimizers.schedule("inverse_sqrt") if decay else None
    lr = hyper["lr"]
    eta = (lambda t: lr / np.sqrt(t + 1)) if decay else (lambda t: lr)
    ours = optimizers.simulate(surf, optimizers.get(name, variant="lecture", **hyper), steps=STEPS,
                               schedule=sched, record=("path",))
    ref = naive(surf, surf.start, STEPS, rule(eta))
    np.testing.assert_allclose(ours.path[0], ref, rtol=1e-9, atol=1e-12)


def test_lecture_momentum_equals_torch_form_only_while_eta_is_constant():
    surf = surfaces.get("himmelblau")
    run = lambda variant, sched: optimizers.simulate(
        surf, optimizers.get("momentum", lr=1e-3, variant=variant), steps=300, schedule=sched, record=("path",)).path[0]
    np.testing.assert_allclose(run("lecture", None), run("torch", None), rtol=1e-12, atol=1e-12)
    decay = optimizers.schedule("step", step_size=50, gamma=0.5)
    assert np.abs(run("lecture", decay) - run("torch", decay)).max() > 1e-4


def test_lecture_adagrad_and_rmsprop_differ_from_torch():
    surf = surfaces.get("bowl")
    for name in ("adagrad", "rmsprop"):
        a = optimizers.simulate(surf, optimizers.get(name, variant="lecture"), steps=200, record=("path",)).path[0]
        b = optimizers.simulate(surf, optimizers.get(name), steps=200, record=("path",)).path[0]
        assert np.abs(a - b).max() > 1e-3
