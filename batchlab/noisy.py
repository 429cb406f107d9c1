"""Noisy mini-batch gradients: one sigmoid unit on mirrored data, its loss surfaces, and SGD runs.

The model has two parameters, θ = (w, b): a weight and a bias,

    ŷ = σ(w·x + b),    σ(z) = 1 / (1 + e^(−z)),

and the loss of a batch B is the mean squared error over its examples,

    L_B(θ) = (1/|B|) Σ_{n∈B} (σ(w·x_n + b) − y_n)²,

so the full-batch loss L is L_B with B = every example, and each mini-batch
has an error surface of its own. SGD (the lecture's update, one per batch) is

    θ ← θ − η·g_B,    g_B = ∇L_B(θ),

with the examples reshuffled at the start of every epoch.

Why full-batch gradient descent gets stuck here. The data are mirrored: every
example (x, y) has a twin (−x, y) (class 1 sits in both tails, class 0 in
the middle). On the line w = 0 the model predicts the same σ(b) for a twin
pair, so their terms of ∂L/∂w = (1/N) Σ 2(ŷ_n − y_n)·ŷ_n(1 − ŷ_n)·x_n cancel:
the full gradient has no w-component anywhere on that line, and gradient
descent started on it never leaves it. On the line it slides (from far
below, off the plateau σ(b) ≈ 0, only slowly) to

    b* = ln(ȳ / (1 − ȳ))    (where σ(b*) = ȳ, the share of class 1),

the critical point (0, b*) of L. It is a saddle, not a minimum: a sigmoid
that fits one tail (w ≠ 0) beats the constant ȳ, and the two minima sit at
(±w_min, b_min). A mini-batch has no such symmetry (its twins are spread
over other batches), so g_B has a w-component at the saddle and SGD moves on.

The data keep twins next to each other and the full batch is summed in that
order, so the cancellation is exact in floating point as well, not only up to
a rounding error that the saddle's unstable direction would amplify: a running
sum returns to exactly 0 after each pair, and NumPy's pairwise sums add
neighbours' partial sums, which are exact negatives of each other.

NumPy only (no torch import: the page loads fast); tests check the
gradients against torch autograd and finite differences.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from optimizers.validate import in_range, integer

N = 128  # examples: 64 twin pairs
DATA_SEED = 0  # the data never change; the control "seed" reshuffles the batches
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, N)  # divisors of N: every batch of an epoch has the same size
DEFAULT_BATCH_SIZES = (1, 8, 32, N)
MAX_RUNS = 4
WINDOW = ((-8.0, 8.0), (-10.0, 4.0))  # (w range, b range) drawn and allowed as starts
ETA_RANGE = (0.0, 50.0)  # 0 < η ≤ 50
MAX_EPOCHS = 200
MAX_SEED = 999_999  # six digits: enough seeds, and a range that reads plainly in messages
GRID_N = 80  # surface grid points per side
MAX_FRAMES = 32  # batches of an epoch drawn as animation frames
ORDINARY_START = (-7.0, -2.0)  # off the mirror line: every batch size goes downhill into the left valley


# ----------------------------------------------------------------- bad input
class ConfigError(ValueError):
    """A setting out of range: ``field``, ``value`` and the allowed ``lo``/``hi`` for the page's message."""

    def __init__(self, field: str, value, lo=None, hi=None, detail: str = ""):
        self.field, self.value, self.lo, self.hi = field, value, lo, hi
        allowed = detail or f"{lo:g} .. {hi:g}"
        super().__init__(f"{field} = {value!r} is out of range; allowed {allowed}")


def _number(field: str, value, lo: float, hi: float, lo_open: bool = False) -> float:
    try:
        return float(in_range("noisy gradients", field, value, lo, hi, lo_open=lo_open))
    except (TypeError, ValueError):  # TypeError: float() of a longer array
        raise ConfigError(field, value, lo, hi) from None


def _integer(field: str, value, lo: int, hi: int) -> int:
    try:
        return integer("noisy gradients", field, value, lo, hi)
    except ValueError:
        raise ConfigError(field, value, lo, hi) from None


# ----------------------------------------------------------------- settings
@dataclass(frozen=True)
class NoisyConfig:
    """One experiment: every batch size starts at ``start`` = (w₀, b₀) with the same η, epochs and seed."""

    eta: float = 2.0
    epochs: int = 30
    batch_sizes: tuple = DEFAULT_BATCH_SIZES
    seed: int = 0
    start: tuple = (0.0, 0.0)  # on the mirror line; the page passes a preset's start

    def __post_init__(self):
        set_ = object.__setattr__
        set_(self, "eta", _number("eta", self.eta, *ETA_RANGE, lo_open=True))
        set_(self, "epochs", _integer("epochs", self.epochs, 1, MAX_EPOCHS))
        set_(self, "seed", _integer("seed", self.seed, 0, MAX_SEED))
        sizes = tuple(self.batch_sizes) if isinstance(self.batch_sizes, (tuple, list)) else (self.batch_sizes,)
        if not 1 <= len(sizes) <= MAX_RUNS or len(set(sizes)) != len(sizes) or \
                any(s not in BATCH_SIZES for s in sizes):
            raise ConfigError("batch_sizes", list(sizes), 1, MAX_RUNS,
                              detail=f"1 to {MAX_RUNS} different sizes among {', '.join(map(str, BATCH_SIZES))}")
        set_(self, "batch_sizes", tuple(sorted(int(s) for s in sizes)))
        try:
            w0, b0 = self.start
        except (TypeError, ValueError):
            raise ConfigError("start", self.start, detail="two numbers (w₀, b₀)") from None
        (wlo, whi), (blo, bhi) = WINDOW
        set_(self, "start", (_number("w0", w0, wlo, whi), _number("b0", b0, blo, bhi)))


# ----------------------------------------------------------------- data
@dataclass(frozen=True, eq=False)
class Dataset:
    x: np.ndarray  # (N,) standardized feature; x[2i + 1] = −x[2i]
    y: np.ndarray  # (N,) class 0 or 1; y[2i + 1] = y[2i]


@lru_cache(maxsize=1)
def dataset() -> Dataset:
    """128 examples from a fixed seed: class 0 in the middle, class 1 in both tails, stored as twin pairs.

    Half of them: 52 of class 0 at |N(0, 0.8²)|, 12 of class 1 at |N(2.5, 1)|; each
    gets its mirror twin (−x, y) right after it. x is then divided by its root
    mean square (it has mean 0 by the mirroring) and rounded to 3 decimals,
    which keeps every twin an exact mirror. Read-only arrays.
    """
    rng = np.random.default_rng(DATA_SEED)
    half = np.concatenate([np.abs(rng.normal(0.0, 0.8, 52)), np.abs(rng.normal(2.5, 1.0, 12))])
    labels = np.concatenate([np.zeros(52), np.ones(12)])
    x, y = np.empty(N), np.empty(N)
    x[0::2], x[1::2] = half, -half
    y[0::2] = y[1::2] = labels
    x = np.round(x / np.sqrt(np.mean(x * x)), 3)
    x.setflags(write=False)
    y.setflags(write=False)
    return Dataset(x, y)


# ----------------------------------------------------------------- model: loss, gradient, Hessian
def sigmoid(z):
    """σ(z) = 1 / (1 + e^(−z)), written as (1 + tanh(z/2)) / 2: no overflow for any z."""
    return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(z, dtype=np.float64))


def _split(theta):
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape[-1:] != (2,):
        raise ValueError(f"theta has shape {theta.shape}; allowed (..., 2) for (w, b)")
    return theta[..., 0:1], theta[..., 1:2]  # (..., 1): broadcast against the examples


def loss(theta, x, y) -> np.ndarray:
    """L_B(θ) = (1/|B|) Σ_n (σ(w·x_n + b) − y_n)² for θ of shape (..., 2); result shape (...)."""
    w, b = _split(theta)
    return np.mean((sigmoid(w * x + b) - y) ** 2, axis=-1)


def gradient(theta, x, y) -> np.ndarray:
    """g_B = ∇L_B(θ) = (1/|B|) Σ_n r_n·(x_n, 1), r_n = 2(ŷ_n − y_n)·ŷ_n(1 − ŷ_n); shape (..., 2)."""
    w, b = _split(theta)
    p = sigmoid(w * x + b)
    r = 2.0 * (p - y) * p * (1.0 - p)
    return np.stack([np.mean(r * x, axis=-1), np.mean(r, axis=-1)], axis=-1)


def hessian(theta, x, y) -> np.ndarray:
    """∇²L_B(θ) = (1/|B|) Σ_n s_n·[[x_n², x_n], [x_n, 1]],
    s_n = 2[ŷ_n(1 − ŷ_n)]² + 2(ŷ_n − y_n)·ŷ_n(1 − ŷ_n)(1 − 2ŷ_n); shape (..., 2, 2)."""
    w, b = _split(theta)
    p = sigmoid(w * x + b)
    d = p * (1.0 - p)
    s = 2.0 * d * d + 2.0 * (p - y) * d * (1.0 - 2.0 * p)
    hww, hwb, hbb = np.mean(s * x * x, axis=-1), np.mean(s * x, axis=-1), np.mean(s, axis=-1)
    return np.stack([np.stack([hww, hwb], -1), np.stack([hwb, hbb], -1)], -2)


# ----------------------------------------------------------------- the full-batch critical points
def saddle() -> tuple[float, float]:
    """(0, b*) with b* = ln(ȳ / (1 − ȳ)): where the full gradient vanishes on the mirror line w = 0."""
    ybar = float(np.mean(dataset().y))
    return 0.0, float(np.log(ybar / (1.0 - ybar)))


@lru_cache(maxsize=1)
def minima() -> np.ndarray:
    """The two full-batch minima (−w_min, b_min) and (w_min, b_min), shape (2, 2).

    Newton's method θ ← θ − H⁻¹g from the lowest point of a coarse grid with w > 0; the other
    is its mirror image (L(w, b) = L(−w, b) for mirrored data)."""
    d = dataset()
    (w0, w1), (b0, b1) = WINDOW
    W, B = np.meshgrid(np.linspace(0.5, w1, 61), np.linspace(b0, b1, 61))
    grid = np.stack([W, B], -1)
    Z = loss(grid, d.x, d.y)
    theta = grid[np.unravel_index(np.argmin(Z), Z.shape)]
    for _ in range(50):
        step = np.linalg.solve(hessian(theta, d.x, d.y), gradient(theta, d.x, d.y))
        theta = theta - step
        if np.max(np.abs(step)) < 1e-13:
            break
    return np.array([[-theta[0], theta[1]], [theta[0], theta[1]]])


def presets() -> dict[str, tuple[float, float]]:
    """Starts offered on the page: exactly on the saddle, and an ordinary start off the mirror line."""
    return {"stuck": saddle(), "ordinary": ORDINARY_START}


# ----------------------------------------------------------------- surfaces on a grid
def grid_axes(n: int = GRID_N) -> tuple[np.ndarray, np.ndarray]:
    """``(ws, bs)``: n evenly spaced values across each side of WINDOW."""
    (w0, w1), (b0, b1) = WINDOW
    return np.linspace(w0, w1, n), np.linspace(b0, b1, n)


@lru_cache(maxsize=4)
def example_losses(n: int = GRID_N) -> np.ndarray:
    """E[k, i, j] = (σ(ws[j]·x_k + bs[i]) − y_k)²: every example's own loss surface, shape (N, n, n).

    A batch's surface is the mean of its examples' slices (``batch_surfaces``). Read-only."""
    d = dataset()
    ws, bs = grid_axes(n)
    Z = sigmoid(ws[None, None, :] * d.x[:, None, None] + bs[None, :, None]) - d.y[:, None, None]
    E = Z * Z
    E.setflags(write=False)
    return E


@lru_cache(maxsize=4)
def full_surface(n: int = GRID_N) -> np.ndarray:
    """L on the grid: Z[i, j] = L(ws[j], bs[i]) (rows follow b), shape (n, n). Read-only."""
    Z = example_losses(n).mean(axis=0)
    Z.setflags(write=False)
    return Z


def batch_surfaces(batches: np.ndarray, n: int = GRID_N) -> np.ndarray:
    """L_B on the grid for each row of ``batches`` (example indices, shape (k, |B|)): shape (k, n, n)."""
    batches = np.asarray(batches, dtype=np.intp)
    return example_losses(n)[batches].mean(axis=1)


# ----------------------------------------------------------------- batches
def epoch_orders(seed: int, epochs: int, batch_size: int) -> np.ndarray:
    """The order of the examples in each epoch, shape (epochs, N); batch k of epoch e is
    ``orders[e, k·|B| : (k + 1)·|B|]``.

    Mini-batches: a fresh permutation per epoch from ``np.random.default_rng(seed)``, so every batch
    size sees the same shuffles. The full batch is every example in the data's order each epoch
    (the order of one batch changes nothing but rounding, and this one keeps twins together)."""
    if batch_size == N:
        return np.tile(np.arange(N), (epochs, 1))
    rng = np.random.default_rng(seed)
    return np.stack([rng.permutation(N) for _ in range(epochs)])


def epoch_batches(seed: int, epoch: int, batch_size: int) -> np.ndarray:
    """The batches of epoch ``epoch`` (0-based) as rows of example indices, shape (N / |B|, |B|)."""
    return epoch_orders(seed, epoch + 1, batch_size)[epoch].reshape(-1, batch_size)


# ----------------------------------------------------------------- SGD
@dataclass(frozen=True, eq=False)
class Run:
    batch_size: int
    updates_per_epoch: int  # N / |B|
    path: np.ndarray  # (U + 1, 2): θ before the first update, then after each update
    loss: np.ndarray  # (U + 1,): full-batch L at each θ of path

    @property
    def epochs(self) -> np.ndarray:
        """The x axis of the loss curves: update u is at epoch u / (N / |B|)."""
        return np.arange(len(self.path)) / self.updates_per_epoch

    @property
    def end_gradient(self) -> np.ndarray:
        d = dataset()
        return gradient(self.path[-1], d.x, d.y)


def sgd(start, eta: float, epochs: int, batch_size: int, seed: int) -> Run:
    """Mini-batch SGD θ ← θ − η·g_B over ``epochs`` epochs of N / |B| updates each.

    g_B is summed example by example in plain Python floats: with 1 to 128 examples per
    update that is about 20 times faster than NumPy's per-call overhead (a 30-epoch run of
    batch size 1 takes a few ms). The full-batch loss of every θ is computed at the end in
    one vectorized call."""
    d = dataset()
    xs, ys = d.x.tolist(), d.y.tolist()
    per_epoch = N // batch_size
    orders = epoch_orders(seed, epochs, batch_size).tolist()
    path = np.empty((epochs * per_epoch + 1, 2))
    w, b = (float(v) for v in start)
    path[0] = w, b
    u = 1
    tanh = math.tanh
    for order in orders:
        for k in range(0, N, batch_size):
            gw = gb = 0.0
            for i in order[k:k + batch_size]:
                p = 0.5 + 0.5 * tanh(0.5 * (w * xs[i] + b))
                r = 2.0 * (p - ys[i]) * p * (1.0 - p)
                gw += r * xs[i]
                gb += r
            w, b = w - eta * (gw / batch_size), b - eta * (gb / batch_size)
            path[u] = w, b
            u += 1
    path.setflags(write=False)
    losses = loss(path, d.x, d.y)
    losses.setflags(write=False)
    return Run(batch_size, per_epoch, path, losses)


@dataclass(frozen=True, eq=False)
class NoisyResult:
    config: NoisyConfig
    runs: tuple  # one Run per batch size, smallest first

    def run(self, batch_size: int) -> Run:
        return next(r for r in self.runs if r.batch_size == batch_size)


def run_all(config: NoisyConfig) -> NoisyResult:
    """Every batch size of ``config`` from the same start, with the same η, epochs and shuffles."""
    return NoisyResult(config, tuple(sgd(config.start, config.eta, config.epochs, s, config.seed)
                                     for s in config.batch_sizes))


# ----------------------------------------------------------------- what the animation shows
@dataclass(frozen=True, eq=False)
class EpochView:
    """The first ``len(surfaces)`` batches of one epoch of one run, and θ at each."""

    batch_size: int
    epoch: int  # 0-based
    batches_in_epoch: int
    batches: np.ndarray  # (k, |B|) example indices
    surfaces: np.ndarray  # (k, n, n): L_B on the grid
    before: np.ndarray  # (k, 2): θ at which batch k's gradient is taken
    after: np.ndarray  # (k, 2): θ after its update
    batch_loss: np.ndarray  # (k,): L_B(θ before)
    full_loss: np.ndarray  # (k,): L(θ before)
    batch_grad: np.ndarray  # (k, 2): g_B(θ before), the gradient the update used
    full_grad: np.ndarray  # (k, 2): ∇L(θ before), what full-batch gradient descent would use


def epoch_view(result: NoisyResult, batch_size: int, epoch: int, max_frames: int = MAX_FRAMES,
               n: int = GRID_N) -> EpochView:
    """The batches of epoch ``epoch`` (0-based) of the run with ``batch_size``: surfaces and θ."""
    config = result.config
    if batch_size not in config.batch_sizes:
        raise ConfigError("batch_size", batch_size, detail=", ".join(map(str, config.batch_sizes)))
    epoch = _integer("epoch", epoch, 0, config.epochs - 1)
    run = result.run(batch_size)
    batches = epoch_batches(config.seed, epoch, batch_size)
    per_epoch = len(batches)
    batches = batches[:max_frames]
    k = len(batches)
    first = epoch * per_epoch
    before, after = run.path[first:first + k], run.path[first + 1:first + k + 1]
    d = dataset()
    # row i of θ (k, 2) against row i of the batches' examples (k, |B|): one vectorized call each
    batch_loss = loss(before, d.x[batches], d.y[batches])
    batch_grad = gradient(before, d.x[batches], d.y[batches])
    return EpochView(batch_size, epoch, per_epoch, batches, batch_surfaces(batches, n), before, after,
                     batch_loss, run.loss[first:first + k], batch_grad, gradient(before, d.x, d.y))
