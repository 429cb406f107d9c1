"""Classic optimization test functions: formulas only (see surfaces.surface)."""
import numpy as np


# --- Rosenbrock: L = (a − x)² + b (y − x²)², p = [a, b] ---
def rosenbrock_loss(x, y, p, m=np):
    return (p[0] - x) ** 2 + p[1] * (y - x * x) ** 2


def rosenbrock_grad(x, y, p):
    return -2.0 * (p[0] - x) - 4.0 * p[1] * x * (y - x * x), 2.0 * p[1] * (y - x * x)


def rosenbrock_hessian(x, y, p):
    return 2.0 - 4.0 * p[1] * y + 12.0 * p[1] * x * x, -4.0 * p[1] * x, 2.0 * p[1] + 0.0 * x


# --- Beale: L = Σᵢ (cᵢ − x + x yⁱ)², c = (1.5, 2.25, 2.625) ---
def beale_loss(x, y, p, m=np):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y * y) ** 2 + (2.625 - x + x * y * y * y) ** 2


def beale_grad(x, y, p):
    a1, a2, a3 = 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y * y * y
    gx = 2.0 * (a1 * (y - 1.0) + a2 * (y * y - 1.0) + a3 * (y * y * y - 1.0))
    gy = 2.0 * (a1 * x + a2 * 2.0 * x * y + a3 * 3.0 * x * y * y)
    return gx, gy


def beale_hessian(x, y, p):
    a1, a2, a3 = 1.5 - x + x * y, 2.25 - x + x * y * y, 2.625 - x + x * y * y * y
    dx1, dx2, dx3 = y - 1.0, y * y - 1.0, y * y * y - 1.0
    dy1, dy2, dy3 = x, 2.0 * x * y, 3.0 * x * y * y
    hxx = 2.0 * (dx1 * dx1 + dx2 * dx2 + dx3 * dx3)
    hxy = 2.0 * (dx1 * dy1 + a1 + dx2 * dy2 + a2 * 2.0 * y + dx3 * dy3 + a3 * 3.0 * y * y)
    hyy = 2.0 * (dy1 * dy1 + dy2 * dy2 + a2 * 2.0 * x + dy3 * dy3 + a3 * 6.0 * x * y)
    return hxx, hxy, hyy


# --- Himmelblau: L = (x² + y − 11)² + (x + y² − 7)² ---
def himmelblau_loss(x, y, p, m=np):
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def himmelblau_grad(x, y, p):
    b1, b2 = x * x + y - 11.0, x + y * y - 7.0
    return 4.0 * x * b1 + 2.0 * b2, 2.0 * b1 + 4.0 * y * b2


def himmelblau_hessian(x, y, p):
    b1, b2 = x * x + y - 11.0, x + y * y - 7.0
    return 4.0 * b1 + 8.0 * x * x + 2.0, 4.0 * (x + y), 2.0 + 4.0 * b2 + 8.0 * y * y


# --- Rastrigin: L = 2A + Σ (xᵢ² − A cos 2πxᵢ), p = [A] ---
def rastrigin_loss(x, y, p, m=np):
    tau = 2.0 * np.pi
    return 2.0 * p[0] + x * x - p[0] * m.cos(tau * x) + y * y - p[0] * m.cos(tau * y)


def rastrigin_grad(x, y, p):
    tau = 2.0 * np.pi
    return 2.0 * x + tau * p[0] * np.sin(tau * x), 2.0 * y + tau * p[0] * np.sin(tau * y)


def rastrigin_hessian(x, y, p):
    tau = 2.0 * np.pi
    return (2.0 + tau * tau * p[0] * np.cos(tau * x), 0.0 * x,
            2.0 + tau * tau * p[0] * np.cos(tau * y))


# --- six-hump camel: L = (4 − 2.1x² + x⁴/3) x² + xy + (4y² − 4) y² ---
def six_hump_camel_loss(x, y, p, m=np):
    x2, y2 = x * x, y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (4.0 * y2 - 4.0) * y2


def six_hump_camel_grad(x, y, p):
    x2 = x * x
    return 8.0 * x - 8.4 * x2 * x + 2.0 * x2 * x2 * x + y, x - 8.0 * y + 16.0 * y * y * y


def six_hump_camel_hessian(x, y, p):
    x2 = x * x
    return 8.0 - 25.2 * x2 + 10.0 * x2 * x2, 1.0 + 0.0 * x, -8.0 + 48.0 * y * y
