"""Every optimizer's update rule agrees with torch.optim bit for bit, fed the same gradients, in float64.

torch is fed the gradients the engine recorded (tests/torch_reference.py says why), at torch's own
defaults on every surface; the compiled gradients themselves are compared with NumPy's below."""
import numpy as np
import pytest
import torch

import optimizers
import surfaces
from tests.torch_reference import ieee_sqrt, torch_path

STEPS = 1000


def engine(surf, name, hyper, schedule=None):
    """(path, the gradients it used) of one engine run from the surface's start."""
    run = optimizers.simulate(surf, optimizers.get(name, **hyper), steps=STEPS, record=("path", "grad"),
                              schedule=schedule)
    assert run.diverged_at[0] == -1
    return run.path[0], run.grad[0, :STEPS]


@pytest.mark.parametrize("surface", surfaces.names())
@pytest.mark.parametrize("name", optimizers.names())
def test_every_optimizer_equals_torch_at_its_defaults_on_every_surface(name, surface):
    surf = surfaces.get(surface)
    path, grads = engine(surf, name, {})
    np.testing.assert_array_equal(path, torch_path(name, {}, surf.start, grads))


VARIATIONS = [
    ("gd", {"lr": 1e-3, "weight_decay": 0.1}),
    ("momentum", {"lr": 1e-3, "momentum": 0.5, "dampening": 0.3, "weight_decay": 0.01}),
    ("nesterov", {"lr": 2e-3, "momentum": 0.8, "weight_decay": 0.05}),
    ("adagrad", {"lr": 0.05, "lr_decay": 0.01, "initial_accumulator_value": 0.3, "eps": 1e-6, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 1e-3, "alpha": 0.9, "eps": 1e-6, "centered": True}),
    ("rmsprop", {"lr": 1e-3, "momentum": 0.9, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 1e-3, "momentum": 0.5, "centered": True}),
    ("adam", {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("adam", {"lr": 1e-2, "amsgrad": True}),
    ("adam", {"lr": 1e-2, "betas": (0.3, 0.9)}),  # lerp weight ≥ 0.5 takes torch's other branch
    ("adamw", {"lr": 1e-2, "weight_decay": 0.5, "amsgrad": True}),
    ("radam", {"lr": 1e-2, "weight_decay": 0.1, "betas": (0.9, 0.99)}),
    ("radam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
]


@pytest.mark.parametrize("surface", ["bowl", "himmelblau", "six_hump_camel"])
@pytest.mark.parametrize("name,hyper", VARIATIONS)
def test_hyperparameters_equal_torch(name, hyper, surface):
    surf = surfaces.get(surface)
    path, grads = engine(surf, name, hyper)
    # Bit for bit but for one rounding: torch's bias correction takes (1 − β₂ⁿ) ** 0.5 with Python's pow,
    # which can miss by half an ulp where 1 − β₂ⁿ is one ulp below 1 (β₂ = 0.9 at step 345 gives 1.0, the
    # square root 1 − 2⁻⁵³); the compiled kernel takes the square root.
    np.testing.assert_allclose(path, torch_path(name, hyper, surf.start, grads), rtol=1e-12, atol=1e-15)


SCHEDULES = [
    (("step", {"step_size": 100, "gamma": 0.5}), lambda o: torch.optim.lr_scheduler.StepLR(o, 100, 0.5)),
    (("exponential", {"gamma": 0.998}), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.998)),
    (("cosine", {"T_max": 600, "eta_min": 1e-4}),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 600, 1e-4)),
]


@pytest.mark.parametrize("name", ["momentum", "adagrad", "adam"])
@pytest.mark.parametrize("spec,make", SCHEDULES)
def test_schedules_drive_the_optimizer_as_torch_schedulers_do(name, spec, make):
    surf = surfaces.get("himmelblau")
    hyper = {"lr": 1e-2}
    kind, params = spec
    path, grads = engine(surf, name, hyper, optimizers.schedule(kind, **params))
    ref = torch_path(name, hyper, surf.start, grads, scheduler=make)
    # torch's schedulers compute η_t recursively (about 1e-15 from the closed form per step)
    np.testing.assert_allclose(path, ref, rtol=1e-9, atol=1e-10)


def test_a_sweep_of_learning_rates_equals_torch_run_by_run():
    surf = surfaces.get("rosenbrock")
    lrs = np.array([1e-4, 3e-4, 1e-3])
    run = optimizers.simulate(surf, optimizers.get("adam", lr=lrs), steps=STEPS, record=("path", "grad"))
    for k, lr in enumerate(lrs):
        np.testing.assert_array_equal(run.path[k], torch_path("adam", {"lr": lr}, surf.start, run.grad[k, :STEPS]))


# ----------------------------------------------------------------- the gradients and torch's sqrt
@pytest.mark.parametrize("surface", surfaces.names())
def test_compiled_gradients_equal_numpys_along_every_path(surface):
    """The gradients the engine used (compiled) against the surface's NumPy gradient at the same points,
    along every optimizer's path at its defaults: within 1e-12 of the gradient's size."""
    surf = surfaces.get(surface)
    for name in optimizers.names():
        path, grads = engine(surf, name, {})
        numpy_grads = surf.grad(path[:STEPS])
        size = np.linalg.norm(numpy_grads, axis=1, keepdims=True)
        assert np.all(np.abs(grads - numpy_grads) <= 1e-12 * size), name


def test_torchs_sqrt_is_at_most_one_ulp_from_ieee():
    """Why the reference swaps in IEEE's sqrt: torch's float64 sqrt on the CPU misses by one ulp at times."""
    x = np.random.default_rng(0).uniform(0.0, 10.0, 100_000)
    ours, theirs = np.sqrt(x), torch.from_numpy(x).sqrt().numpy()
    assert np.all(np.abs(ours - theirs) <= np.spacing(ours))
    with ieee_sqrt():
        np.testing.assert_array_equal(torch.from_numpy(x).sqrt().numpy(), ours)
