"""Every optimizer equals torch.optim bit for bit, fed the same gradients, in float64.

torch is fed the gradients the engine recorded (tests/torch_reference.py says why), with a correctly
rounded square root, at torch's own defaults on every surface; the compiled gradients themselves are
compared with NumPy's below. Lion, which torch.optim does not have, is checked against a naive loop written from the
paper's update.
"""
import numpy as np
import pytest
import torch

import optimizers
import surfaces
from tests.torch_reference import TORCH, ieee_sqrt, torch_path

STEPS = 1000


def engine(surface, name, hyper, steps=STEPS, schedule=None, starts=None):
    return optimizers.simulate(surface, optimizers.get(name, **hyper), starts, steps=steps, schedule=schedule,
                               record=("path", "grad"))


def assert_bit_for_bit(traj, ref, k=0):
    """The engine's path equals torch's at every step before the engine stopped the run."""
    n = traj.diverged_at[k] if traj.diverged_at[k] >= 0 else len(ref)
    assert n > 1
    np.testing.assert_array_equal(traj.path[k, :n], ref[:n])


@pytest.mark.parametrize("surface", surfaces.names())
@pytest.mark.parametrize("name", sorted(TORCH))
def test_every_optimizer_equals_torch_at_its_defaults_on_every_surface(name, surface):
    surf = surfaces.get(surface)
    traj = engine(surf, name, {})
    ref = torch_path(name, {}, surf.start, traj.grad[0, :STEPS])
    assert_bit_for_bit(traj, ref)


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
    ("adam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamw", {"lr": 1e-2, "weight_decay": 0.5, "amsgrad": True}),
    ("radam", {"lr": 1e-2, "weight_decay": 0.1, "betas": (0.9, 0.99)}),
    ("radam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("nadam", {"lr": 1e-2, "betas": (0.8, 0.99), "momentum_decay": 0.01, "weight_decay": 0.1}),
    ("nadam", {"lr": 1e-2, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamax", {"lr": 1e-2, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1}),
    ("adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-5, "weight_decay": 0.1}),
    ("rprop", {"lr": 1e-3, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.1)}),
]


@pytest.mark.parametrize("surface", ["bowl", "himmelblau", "six_hump_camel"])
@pytest.mark.parametrize("name,hyper", VARIATIONS)
def test_hyperparameters_equal_torch(name, hyper, surface):
    surf = surfaces.get(surface)
    traj = engine(surf, name, hyper)
    ref = torch_path(name, hyper, surf.start, traj.grad[0, :STEPS])
    assert_bit_for_bit(traj, ref)


SCHEDULES = [
    (("step", {"step_size": 100, "gamma": 0.5}), lambda o: torch.optim.lr_scheduler.StepLR(o, 100, 0.5)),
    (("exponential", {"gamma": 0.998}), lambda o: torch.optim.lr_scheduler.ExponentialLR(o, 0.998)),
    (("cosine", {"T_max": 600, "eta_min": 1e-4}),
     lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 600, 1e-4)),
]


@pytest.mark.parametrize("name", ["momentum", "adagrad", "adam", "nadam", "rprop"])
@pytest.mark.parametrize("spec,make", SCHEDULES)
def test_schedules_drive_the_optimizer_as_torch_schedulers_do(name, spec, make):
    surf = surfaces.get("himmelblau")
    hyper = {"lr": 1e-2}
    kind, params = spec
    traj = engine(surf, name, hyper, schedule=optimizers.schedule(kind, **params))
    ref = torch_path(name, hyper, surf.start, traj.grad[0, :STEPS], scheduler=make)
    # torch's schedulers compute η_t recursively (about 1e-15 from the closed form per step)
    np.testing.assert_allclose(traj.path[0], ref, rtol=1e-10, atol=1e-12)


def test_a_sweep_of_learning_rates_equals_torch_run_by_run():
    surf = surfaces.get("rosenbrock")
    lrs = np.array([1e-4, 3e-4, 1e-3])
    for name in ("adam", "nadam", "adamax"):
        traj = engine(surf, name, {"lr": lrs})
        for k, lr in enumerate(lrs):
            ref = torch_path(name, {"lr": lr}, surf.start, traj.grad[k, :STEPS])
            assert_bit_for_bit(traj, ref, k)


def lion_naive(start, grads, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
    """Lion as the paper writes it (Chen et al. 2023, Program 1), one NumPy line per formula:
    c = β₁m + (1 − β₁)g;  θ ← θ − η(sign(c) + λθ);  m ← β₂m + (1 − β₂)g."""
    b1, b2 = betas
    theta, m, out = np.array(start, dtype=np.float64), np.zeros(2), [np.array(start, dtype=np.float64)]
    for g in grads[:-1]:
        c = b1 * m + (1 - b1) * g
        theta = theta - lr * (np.sign(c) + weight_decay * theta)
        m = b2 * m + (1 - b2) * g
        out.append(theta.copy())
    return np.array(out)


@pytest.mark.parametrize("surface", surfaces.names())
@pytest.mark.parametrize("hyper", [{}, {"lr": 3e-3, "betas": (0.8, 0.95), "weight_decay": 0.1}])
def test_lion_equals_the_papers_update(surface, hyper):
    surf = surfaces.get(surface)
    traj = engine(surf, "lion", hyper)
    assert_bit_for_bit(traj, lion_naive(surf.start, traj.grad[0], **hyper))


@pytest.mark.parametrize("beta", [0.9, 0.99, 0.999, 0.3])
def test_per_step_tables_have_the_bits_of_torchs_python_arithmetic(beta):
    """torch computes 1 − βⁿ, (1 − βⁿ) ** 0.5 and RAdam's ρ and r in Python floats: the tables must give
    the same bits (Python's ** 0.5 calls pow, which is not always a correctly rounded square root)."""
    from optimizers.momentum import nadam_tables, one_minus_powers
    from optimizers.scaling import HALF, radam_tables, root_one_minus_powers

    steps = 3_000
    n = [float(k) for k in range(1, steps + 2)]
    assert one_minus_powers(beta, steps)[0].tolist() == [1 - beta ** k for k in n]
    assert root_one_minus_powers(beta, steps, HALF)[0].tolist() == [(1 - beta ** k) ** 0.5 for k in n]
    rho_inf = 2 / (1 - beta) - 1
    rho = [rho_inf - 2 * k * (beta ** k) / (1 - beta ** k) for k in n]
    rect = [((r - 4) * (r - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * r)) ** 0.5 if r > 5 else 1.0 for r in rho]
    assert radam_tables(beta, steps, HALF)[2].tolist() == rect
    mu = [beta * (1.0 - 0.5 * (0.96 ** (k * 4e-3))) for k in n]
    assert nadam_tables(beta, 4e-3, steps)[0].tolist() == [1.0 - m for m in mu]


# ----------------------------------------------------------------- the gradients and torch's sqrt
@pytest.mark.parametrize("surface", surfaces.names())
def test_compiled_gradients_equal_numpys_along_every_path(surface):
    """The gradients the engine used (compiled) against the surface's NumPy gradient at the same points,
    along every optimizer's path at its defaults: within 1e-12 of the gradient's size, or 1e-14 near a
    minimum, where the gradient is a difference of terms near 1 and its rounding error is absolute."""
    surf = surfaces.get(surface)
    for name in optimizers.names():
        traj = engine(surf, name, {})
        n = traj.diverged_at[0] if traj.diverged_at[0] >= 0 else STEPS
        grads, numpy_grads = traj.grad[0, :n], surf.grad(traj.path[0, :n])
        size = np.maximum(np.linalg.norm(numpy_grads, axis=1, keepdims=True), 1e-2)
        assert np.all(np.abs(grads - numpy_grads) <= 1e-12 * size), name


def test_torchs_sqrt_is_at_most_one_ulp_from_ieee():
    """Why the reference swaps in IEEE's sqrt: torch's float64 sqrt on the CPU misses by one ulp at times."""
    x = np.random.default_rng(0).uniform(0.0, 10.0, 100_000)
    ours, theirs = np.sqrt(x), torch.from_numpy(x).sqrt().numpy()
    assert np.all(np.abs(ours - theirs) <= np.spacing(ours))
    with ieee_sqrt():
        np.testing.assert_array_equal(torch.from_numpy(x).sqrt().numpy(), ours)
