"""The lecture's four surfaces, each tuned so that it tells its story.

Formulas only: (x, y, p) -> loss / gradient / Hessian, with p the parameter
vector built by the factory in ``surfaces.catalog``. ``m`` is the array module
(NumPy, or torch in the tests).
"""
import numpy as np


# --- bowl: L = ½ a u² + ½ c v² + (b − c) w² (√(1 + (v/w)²) − 1),  (u, v) = R(φ)ᵀ (θ − θ*) ---
# p = [a, b, w, cos φ, sin φ, x*, y*, c]. Along the valley the curvature is a. Across it, at the
# floor (|v| ≪ w), the curvature is b; beyond |v| ≈ w the walls straighten to a slope of about
# (b − c) w and curve only by c ≪ b, so that a step size too large for the floor bounces between
# the walls (a stable 2-cycle) instead of flying off: the lecture's "loss stalls while the gradient
# stays large". With c = b the walls are quadratic: L = ½ a u² + ½ b v², ellipses everywhere.
def bowl_loss(x, y, p, m=np):
    u = p[3] * (x - p[5]) + p[4] * (y - p[6])
    v = -p[4] * (x - p[5]) + p[3] * (y - p[6])
    walls = (p[1] - p[7]) * p[2] * p[2] * (m.sqrt(1.0 + (v / p[2]) ** 2) - 1.0)
    return 0.5 * p[0] * u * u + 0.5 * p[7] * v * v + walls


def bowl_grad(x, y, p):
    u = p[3] * (x - p[5]) + p[4] * (y - p[6])
    v = -p[4] * (x - p[5]) + p[3] * (y - p[6])
    q = v / p[2]
    lu = p[0] * u
    lv = p[7] * v + (p[1] - p[7]) * v / np.sqrt(1.0 + q * q)
    return p[3] * lu - p[4] * lv, p[4] * lu + p[3] * lv


def bowl_hessian(x, y, p):
    v = -p[4] * (x - p[5]) + p[3] * (y - p[6])
    q = v / p[2]
    r = np.sqrt(1.0 + q * q)
    luu, lvv = p[0], p[7] + (p[1] - p[7]) / (r * r * r)
    c, s = p[3], p[4]
    return c * c * luu + s * s * lvv, c * s * (luu - lvv), s * s * luu + c * c * lvv


# --- crescent: L = ½ s (y − k x²)² + D w tanh(x/w) + ½ ε (x − x_m)² ---
# p = [s, k, D, w, ε, x_m]. A parabolic valley; along its floor the slope in x
# is gentle, then steep (the tanh step), then gentle again near the minimum.
def crescent_loss(x, y, p, m=np):
    e = y - p[1] * x * x
    return 0.5 * p[0] * e * e + p[2] * p[3] * m.tanh(x / p[3]) + 0.5 * p[4] * (x - p[5]) ** 2


def crescent_grad(x, y, p):
    e = y - p[1] * x * x
    t = np.tanh(x / p[3])
    gx = -2.0 * p[0] * p[1] * x * e + p[2] * (1.0 - t * t) + p[4] * (x - p[5])
    return gx, p[0] * e


def crescent_hessian(x, y, p):
    e = y - p[1] * x * x
    t = np.tanh(x / p[3])
    hxx = p[0] * (4.0 * p[1] * p[1] * x * x - 2.0 * p[1] * e) - 2.0 * p[2] / p[3] * (1.0 - t * t) * t + p[4]
    return hxx, -2.0 * p[0] * p[1] * x, p[0] + 0.0 * x


# --- saddle: L = ½ a x² + ¼ c (y² − 1)² ---
# p = [a, c]. A saddle at the origin (curvatures a and −c) between two minima
# at (0, ±1). The x-axis is its stable manifold: plain GD started on it
# converges to the saddle; noise or momentum off the axis escapes.
def saddle_loss(x, y, p, m=np):
    return 0.5 * p[0] * x * x + 0.25 * p[1] * (y * y - 1.0) ** 2


def saddle_grad(x, y, p):
    return p[0] * x, p[1] * y * (y * y - 1.0)


def saddle_hessian(x, y, p):
    return p[0] + 0.0 * x, 0.0 * x, p[1] * (3.0 * y * y - 1.0)


# --- bumpy valley: L = ½ s y² + ½ c x² + A (1 − cos ωx) ---
# p = [s, c, A, ω]. A valley along x whose floor has small hills: local minima
# near x = 2πk/ω, the lowest at the origin.
def bumpy_valley_loss(x, y, p, m=np):
    return 0.5 * p[0] * y * y + 0.5 * p[1] * x * x + p[2] * (1.0 - m.cos(p[3] * x))


def bumpy_valley_grad(x, y, p):
    return p[1] * x + p[2] * p[3] * np.sin(p[3] * x), p[0] * y


def bumpy_valley_hessian(x, y, p):
    return p[1] + p[2] * p[3] * p[3] * np.cos(p[3] * x), 0.0 * x, p[0] + 0.0 * x
