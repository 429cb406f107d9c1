"""The lecture's update rules as naive loops, written from its formulas (the reference for variant="lecture")."""
import numpy as np


def naive(surface, start, steps, update):
    """θ_{t+1} = update(t, θ_t, g_t, state) for t = 0 … steps−1; the lecture counts from 0."""
    theta, state, path = np.array(start, dtype=float), {}, [np.array(start, dtype=float)]
    for t in range(steps):
        theta = update(t, theta, surface.grad(theta), state)
        path.append(theta.copy())
    return np.array(path)


def lecture_momentum(lam, eta):
    def update(t, theta, g, s):  # m⁰ = 0;  m^{t+1} = λ m^t − η_t g^t;  θ^{t+1} = θ^t + m^{t+1}
        s["m"] = lam * s.get("m", 0.0) - eta(t) * g
        return theta + s["m"]
    return update


def lecture_adagrad(eta, eps):
    def update(t, theta, g, s):  # σ^t = √( 1/(t+1) Σ_{i≤t} (g^i)² )
        s["sum"] = s.get("sum", 0.0) + g * g
        sigma = np.sqrt(s["sum"] / (t + 1))
        return theta - eta(t) / (sigma + eps) * g
    return update


def lecture_rmsprop(alpha, eta, eps):
    def update(t, theta, g, s):  # σ⁰ = |g⁰|;  σ^t = √( α(σ^{t−1})² + (1 − α)(g^t)² )
        s["var"] = g * g if t == 0 else alpha * s["var"] + (1 - alpha) * g * g  # (σ^t)²
        return theta - eta(t) / (np.sqrt(s["var"]) + eps) * g
    return update
