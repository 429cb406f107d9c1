"""Formula surfaces: equal to the built-in surfaces they spell out, derivatives against autograd and
finite differences, the compiled code against NumPy, the engine's divergence rule, caching and pickling."""
import pickle

import numpy as np
import pytest
import torch

import optimizers
import surfaces
from surfaces.compiled import FORMULA_ID, grad_at
from surfaces.formula import from_formula

def bowl_text(p) -> str:
    """The lecture's bowl (surfaces.lecture.bowl_loss) typed out at angle 0, where u = x and v = y, with the
    built-in bowl's own parameters p = [a, b, w, cos φ, sin φ, x*, y*, c]:
    ½ a x² + ½ c y² + (b − c) w² (√(1 + (y/w)²) − 1)."""
    a, b, w, c = (repr(float(v)) for v in (*p[:3], p[7]))
    return f"0.5*{a}*x^2 + 0.5*{c}*y^2 + ({b} - {c})*{w}^2*(sqrt(1 + (y/{w})^2) - 1)"


# The built-in surfaces typed as text (the bowl at its default parameters).
SPELLED = {
    "himmelblau": "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "rosenbrock": "(1 - x)^2 + 100*(y - x^2)^2",
    "bowl": bowl_text(surfaces.get("bowl").params),
}


def twin(name):
    """(the built-in surface, the same surface typed as a formula, with its window and start)."""
    built = surfaces.get(name)
    return built, from_formula(SPELLED[name], bounds=built.bounds, start=tuple(built.start))


def points(surf, n=200, seed=0):
    (x0, x1), (y0, y1) = surf.bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], -1)


def close(actual, expected, scale=None, rtol=1e-12):
    """|actual − expected| ≤ rtol·max(|expected|, scale): relative, with values that pass through zero
    compared at the size of the whole array (a gradient is 0 at a minimum)."""
    scale = np.abs(expected).max() if scale is None else scale
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("name", SPELLED)
def test_loss_gradient_and_hessian_equal_the_built_in_surface(name):
    built, typed = twin(name)
    P = points(built)
    close(typed.loss(P), built.loss(P))
    close(typed.grad(P), built.grad(P))
    close(typed.hessian(P), built.hessian(P))


@pytest.mark.parametrize("name", SPELLED)
def test_critical_points_equal_the_built_in_surface(name):
    built, typed = twin(name)
    for kind in ("minima", "saddles", "maxima"):
        got, want = getattr(typed, kind), getattr(built, kind)
        assert got.shape == want.shape, kind
        if len(want):
            order = lambda P: P[np.lexsort(P.T[::-1])]  # noqa: E731
            close(order(got), order(want), scale=built.span, rtol=1e-9)  # both are Newton's answers to 1e-9 in ∇L


@pytest.mark.parametrize("name", SPELLED)
@pytest.mark.parametrize("optimizer, lr", [("gd", 1e-3), ("momentum", 1e-3), ("adam", 1e-2)])
def test_paths_equal_the_built_in_surface(name, optimizer, lr):
    built, typed = twin(name)
    starts = points(built, n=8, seed=4)
    ref = optimizers.simulate(built, optimizers.get(optimizer, lr=lr), starts, steps=2_000)
    got = optimizers.simulate(typed, optimizers.get(optimizer, lr=lr), starts, steps=2_000)
    np.testing.assert_array_equal(got.diverged_at, ref.diverged_at)
    close(got.path, ref.path, scale=built.span)
    close(got.loss, ref.loss, scale=np.abs(ref.loss).max())


FORMULAS = [
    ("sin(x)*cos(y) + tan(x/3)", ((-2, 2), (-2, 2))),
    ("exp(-x^2 - y^2) + log(1 + x^2 + y^2)", ((-2, 2), (-2, 2))),
    ("sqrt(x^2 + y^2 + 1) + abs(x - 2*y)", ((-2, 2), (-2, 2))),
    ("tanh(x*y) + sinh(x/2) - cosh(y/3)", ((-2, 2), (-2, 2))),
    ("arctan(x + 2*y) * x", ((-2, 2), (-2, 2))),
    ("x^y + 2^x + x^2.5 + y^-2", ((0.5, 2), (0.5, 2))),
    ("e^(x*y) - pi*x + 1/(1 + x^2 + y^2)", ((-1, 1), (-1, 1))),
    ("x^3 - 3*x*y^2 - -y**4", ((-1, 1), (-1, 1))),
    ("(x^2 + y - 11)^2 + (x + y^2 - 7)^2", ((-5, 5), (-5, 5))),
    ("sin(sin(sin(x + y))) * exp(cos(x*y)/2) / (2 + cos(x))", ((-3, 3), (-3, 3))),
    ("log(x)*y^2 + sqrt(x)/y", ((0.2, 3), (0.5, 3))),
]


@pytest.mark.parametrize("text, bounds", FORMULAS)
def test_gradient_and_hessian_equal_torch_autograd_of_the_same_expression(text, bounds):
    surf = from_formula(text, bounds=bounds)

    def loss(q):  # the formula's own graph evaluated with torch operations
        return surf.formula.loss(q[0], q[1], m=torch)

    P = points(surf, n=40, seed=1)
    grad = np.stack([torch.func.grad(loss)(torch.tensor(p)).numpy() for p in P])
    hess = np.stack([torch.func.hessian(loss)(torch.tensor(p)).numpy() for p in P])
    close(surf.grad(P), grad, rtol=1e-10)
    close(surf.hessian(P), hess, rtol=1e-10)


@pytest.mark.parametrize("text, bounds", FORMULAS)
def test_hessian_matches_finite_differences_of_the_gradient(text, bounds):
    surf = from_formula(text, bounds=bounds)
    P = points(surf, n=40, seed=2)
    h = 1e-6 * surf.span
    fd = np.stack([(surf.grad(P + e) - surf.grad(P - e)) / (2 * h) for e in np.eye(2) * h], -1)
    H = surf.hessian(P)
    np.testing.assert_allclose(H, fd, rtol=1e-5, atol=1e-6 * (1 + np.abs(H).max()))
    np.testing.assert_array_equal(H, np.swapaxes(H, -1, -2))


@pytest.mark.parametrize("text, bounds", FORMULAS)
def test_compiled_gradient_equals_numpy_gradient(text, bounds):
    surf = from_formula(text, bounds=bounds)
    assert surf.kernel_id == FORMULA_ID
    for p in points(surf, n=32, seed=3):
        np.testing.assert_allclose(grad_at(FORMULA_ID, p[0], p[1], surf.params), surf.grad(p), rtol=1e-13,
                                   atol=1e-300)


def test_compiled_code_refuses_parameters_made_for_another_surface():
    assert np.isnan(grad_at(FORMULA_ID, 0.5, 0.5, surfaces.get("saddle").params)).all()


def test_a_path_that_leaves_the_finite_region_stops_as_a_divergence():
    surf = from_formula("log(x) + y^2", bounds=((0.1, 3), (-1, 1)), start=(0.5, 0.5))
    # GD steps x ← x − η/x: from 0.5 with η = 1 it lands at −1.5, where log is not finite although 1/x is
    traj = optimizers.simulate(surf, optimizers.get("gd", lr=1.0), steps=50)
    assert traj.diverged_at[0] == 1
    np.testing.assert_array_equal(traj.final[0], [0.5, 0.5])  # the last good point
    assert np.isfinite(traj.loss).all() and np.isfinite(traj.path).all()
    assert np.isnan(surf.grad([-1.5, 0.5])).all()  # NumPy agrees: no slope where L is not finite


def test_a_run_without_a_gradient_at_its_start_does_not_hide_another_runs_divergence_in_its_block():
    """A run whose start has no finite gradient stops at step 0, and its point is out at every later step;
    the runs sharing its block of lanes still stop where each stops alone (the kernel counts the bad points
    of a step against those frozen at their start)."""
    surf = from_formula("log(x) + y^2", bounds=((-3, 3), (-1, 1)), start=(1.0, 0.5))
    starts = np.array([[-0.5, 0.5], [0.5, 0.5], [1.0, 0.5], [2.0, 0.5], [1.5, -0.5], [-1.0, 0.2]])
    lrs = np.array([1e-3, 1.0, 0.3, 1e-3, 0.9, 0.5])
    alone = [optimizers.simulate(surf, optimizers.get("gd", lr=lr), start, steps=40, record=())
             for start, lr in zip(starts, lrs)]
    expected = np.array([a.diverged_at[0] for a in alone])
    assert expected[0] == 0 and expected[5] == 0 and (expected[1:5] > 0).sum() >= 2 and (expected == -1).any()
    for block in (4, 6):
        together = optimizers.simulate(surf, optimizers.get("gd", lr=lrs), starts, steps=40, record=(),
                                       block=block, threads=1)
        np.testing.assert_array_equal(together.diverged_at, expected)
        np.testing.assert_array_equal(together.final, np.concatenate([a.final for a in alone]))


def test_formula_surface_is_cached_hashable_and_pickles_by_its_text():
    a = surfaces.get(surfaces.FORMULA, text="x^2 + 3*y^2", bounds=((-1, 1), (-2, 2)))
    b = surfaces.get(surfaces.FORMULA, text="x^2 + 3*y^2", bounds=((-1.0, 1.0), (-2.0, 2.0)))
    assert a is b and a == from_formula("x^2 + 3*y^2", ((-1, 1), (-2, 2))) and hash(a) == hash(b)
    assert a.name.startswith("formula_") and a.name != from_formula("x^2 + 3*y^2").name
    copy = pickle.loads(pickle.dumps(a))
    assert copy == a and copy.params[0] == a.params[0]  # rebuilt from the text: the same cached machine code
    run = optimizers.simulate(copy, "gd", steps=10)
    assert np.isfinite(run.path).all()


def test_critical_points_of_a_formula_are_found_and_classified():
    surf = from_formula("x^4/4 - x^2/2 + y^2/2", bounds=((-2, 2), (-1, 1)))  # minima at (±1, 0), saddle at 0
    np.testing.assert_allclose(np.sort(surf.minima[:, 0]), [-1, 1], atol=1e-12)
    np.testing.assert_allclose(surf.saddles, [[0, 0]], atol=1e-12)
    assert len(surf.maxima) == 0
