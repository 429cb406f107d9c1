"""Surfaces: gradients and Hessians against torch autograd and finite differences; registry; critical points."""
import numpy as np
import pytest
import torch

import surfaces
from surfaces.compiled import grad_at

NAMES = surfaces.names()


def _random_points(surf, n=64, seed=0):
    (x0, x1), (y0, y1) = surf.bounds
    rng = np.random.default_rng(seed)
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], -1)


def _torch_loss(surf):
    return lambda q: surf.loss_fn(q[0], q[1], torch.from_numpy(surf.params), torch)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_equals_torch_autograd(name):
    surf = surfaces.get(name)
    P = _random_points(surf)
    ref = np.stack([torch.func.grad(_torch_loss(surf))(torch.tensor(p)).numpy() for p in P])
    np.testing.assert_allclose(surf.grad(P), ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


@pytest.mark.parametrize("name", NAMES)
def test_hessian_equals_torch_autograd(name):
    surf = surfaces.get(name)
    P = _random_points(surf, seed=1)
    ref = np.stack([torch.func.hessian(_torch_loss(surf))(torch.tensor(p)).numpy() for p in P])
    np.testing.assert_allclose(surf.hessian(P), ref, rtol=1e-10, atol=1e-10 * np.abs(ref).max())


@pytest.mark.parametrize("name", NAMES)
def test_gradient_and_hessian_match_finite_differences(name):
    surf = surfaces.get(name)
    P = _random_points(surf, seed=2)
    h = 1e-6 * surf.span
    E = np.eye(2) * h
    fd_grad = np.stack([(surf.loss(P + e) - surf.loss(P - e)) / (2 * h) for e in E], -1)
    fd_hess = np.stack([(surf.grad(P + e) - surf.grad(P - e)) / (2 * h) for e in E], -1)
    g, H = surf.grad(P), surf.hessian(P)
    np.testing.assert_allclose(g, fd_grad, rtol=1e-5, atol=1e-6 * (1 + np.abs(g).max()))
    np.testing.assert_allclose(H, fd_hess, rtol=1e-5, atol=1e-6 * (1 + np.abs(H).max()))
    np.testing.assert_allclose(H, np.swapaxes(H, -1, -2))


@pytest.mark.parametrize("name", NAMES)
def test_compiled_gradient_equals_numpy_gradient(name):
    surf = surfaces.get(name)
    for p in _random_points(surf, n=16, seed=3):
        np.testing.assert_allclose(grad_at(surf.kernel_id, p[0], p[1], surf.params), surf.grad(p), rtol=1e-14,
                                   atol=1e-300)


@pytest.mark.parametrize("name", NAMES)
def test_vectorized_over_any_leading_shape(name):
    surf = surfaces.get(name)
    P = _random_points(surf, n=24).reshape(2, 3, 4, 2)
    assert surf.loss(P).shape == (2, 3, 4)
    assert surf.grad(P).shape == (2, 3, 4, 2)
    assert surf.hessian(P).shape == (2, 3, 4, 2, 2)
    assert surf.loss(P[0, 0, 0]).shape == ()
    np.testing.assert_array_equal(surf.grad(P)[1, 2, 3], surf.grad(P[1, 2, 3]))
    assert all(np.isfinite(a).all() for a in (surf.loss(P), surf.grad(P), surf.hessian(P)))


@pytest.mark.parametrize("name", NAMES)
def test_metadata_and_critical_points(name):
    surf = surfaces.get(name)
    (x0, x1), (y0, y1) = surf.bounds
    assert x0 < x1 and y0 < y1 and surf.title and surf.description and surf.latex
    assert x0 <= surf.start[0] <= x1 and y0 <= surf.start[1] <= y1
    assert len(surf.minima) >= 1
    assert np.all(np.linalg.norm(surf.grad(surf.minima), axis=-1) < 1e-9)
    assert np.all(np.linalg.eigvalsh(surf.hessian(surf.minima))[:, 0] > 0)
    if len(surf.saddles):
        eig = np.linalg.eigvalsh(surf.hessian(surf.saddles))
        assert np.all((eig[:, 0] < 0) & (eig[:, 1] > 0))


LITERATURE_MINIMA = {  # (point, loss) from the functions' standard references
    "rosenbrock": ([(1.0, 1.0)], 0.0),
    "beale": ([(3.0, 0.5)], 0.0),
    "himmelblau": ([(3.0, 2.0), (-2.805118, 3.131312), (-3.779310, -3.283186), (3.584428, -1.848126)], 0.0),
    "rastrigin": ([(0.0, 0.0)], 0.0),
    "six_hump_camel": ([(0.0898, -0.7126), (-0.0898, 0.7126)], -1.0316),
}


@pytest.mark.parametrize("name", sorted(LITERATURE_MINIMA))
def test_known_global_minima_are_found(name):
    surf = surfaces.get(name)
    points, value = LITERATURE_MINIMA[name]
    for p in points:
        assert np.min(np.linalg.norm(surf.minima - np.array(p), axis=-1)) < 1e-4
    assert surf.loss(surf.minima[0]) == pytest.approx(value, abs=1e-4)


def test_rastrigin_has_a_local_minimum_near_every_integer_point():
    assert len(surfaces.get("rastrigin").minima) == 121


def test_registry_lists_the_lecture_surfaces_first_and_rejects_unknown_names():
    assert NAMES[:4] == ("bowl", "crescent", "saddle", "bumpy_valley")
    assert len(NAMES) >= 8
    with pytest.raises(ValueError, match="valid names: bowl, crescent"):
        surfaces.get("banana")
    with pytest.raises(ValueError, match="kappa = 0.5 is out of range"):
        surfaces.get("bowl", kappa=0.5)
    with pytest.raises(ValueError, match="crescent"):
        surfaces.get("crescent", kappa=3)


def test_bowl_condition_number_and_rotation():
    for kappa, angle in [(1.6e5, 0.0), (100.0, 30.0), (1e3, -75.0)]:
        bowl = surfaces.get("bowl", kappa=kappa, angle=angle)
        eig, vec = np.linalg.eigh(bowl.hessian(np.zeros(2)))
        assert eig[1] / eig[0] == pytest.approx(kappa, rel=1e-9)
        flat = vec[:, 0] * np.sign(vec[0, 0] or 1.0)
        expected = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        assert abs(abs(flat @ expected) - 1.0) < 1e-9
