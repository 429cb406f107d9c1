"""Flat and sharp minima in one dimension: why mini-batch noise favours the flat one.

A data set of N examples, each with its own loss curve: the same curve ℓ shifted by the
example's own offset s_n (drawn once, s_n ~ N(0, spread²)):

    e_n(θ) = ℓ(θ − s_n)
    ℓ(u)   = κu²/2 + a_f(1 − exp(−(u − c_f)²/(2w_f²))) + a_s(1 − exp(−(u − c_s)²/(2w_s²)))

a wide (flat) well at c_f and a narrow (sharp) one at c_s inside a gentle bowl. The training
loss is the mean, L(θ) = (1/N) Σ_n e_n(θ). A mini-batch 𝔅 of B examples gives the gradient
g_𝔅(θ) = (1/B) Σ_{n∈𝔅} e_n′(θ), whose mean over batches is L′(θ). Nothing is added to it: its
noise is the disagreement between examples. In the sharp well the examples' curves are steep
and each has its bottom somewhere else, so their gradients disagree a lot; in the flat well
they nearly agree. Drawn without replacement, Var g_𝔅 = (σ_e²(θ)/B)·(N − B)/(N − 1), with
σ_e²(θ) the variance of e_n′(θ) over the examples: it shrinks with B and vanishes at B = N.

The test loss is the training curve shifted by δ (the test data are not the training data):
L_test(θ) = L(θ − δ). A shift costs little at the bottom of a wide well and a lot in a narrow one.

``run_sgd`` runs K seeds at once in NumPy (one array of K parameters): every seed starts at
its own θ₀ (the same starts for every batch size), reshuffles the examples every epoch and
takes ⌊N/B⌋ updates of θ ← θ − η g_𝔅 per epoch, for the same number of updates at every B.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from optimizers.validate import in_range, integer

GRID = np.linspace(-2.5, 2.5, 5001)  # where the minima and the barrier are looked for
START_LO, START_HI = -2.0, 2.0  # θ₀ uniform in this interval


@dataclass(frozen=True)
class Landscape:
    """The data set of per-example curves. The defaults give L two minima of similar depth (the sharp
    one 0.02 deeper) whose curvatures L″ are 1.4 and 15.4, about 11 times apart."""
    n_examples: int = 128
    spread: float = 0.12  # std of the per-example shifts s_n
    data_seed: int = 0
    bowl: float = 0.5  # κ
    flat_center: float = -1.0  # c_f
    flat_width: float = 0.6  # w_f
    flat_depth: float = 0.5  # a_f
    sharp_center: float = 1.0  # c_s
    sharp_width: float = 0.05  # w_s
    sharp_depth: float = 1.57  # a_s

    @cached_property
    def shifts(self) -> np.ndarray:
        """s_n, n = 1…N (fixed by data_seed)."""
        s = np.random.default_rng(self.data_seed).normal(0.0, self.spread, self.n_examples)
        s.flags.writeable = False
        return s

    def _wells(self, u):
        gf = self.flat_depth * np.exp(-0.5 * ((u - self.flat_center) / self.flat_width) ** 2)
        gs = self.sharp_depth * np.exp(-0.5 * ((u - self.sharp_center) / self.sharp_width) ** 2)
        return gf, gs

    def curve(self, u):
        """ℓ(u)."""
        gf, gs = self._wells(u)
        return 0.5 * self.bowl * u * u + (self.flat_depth - gf) + (self.sharp_depth - gs)

    def curve_grad(self, u):
        """ℓ′(u)."""
        gf, gs = self._wells(u)
        return (self.bowl * u + gf * (u - self.flat_center) / self.flat_width ** 2
                + gs * (u - self.sharp_center) / self.sharp_width ** 2)

    def curve_curvature(self, u):
        """ℓ″(u)."""
        gf, gs = self._wells(u)
        return (self.bowl
                + gf * (1.0 - ((u - self.flat_center) / self.flat_width) ** 2) / self.flat_width ** 2
                + gs * (1.0 - ((u - self.sharp_center) / self.sharp_width) ** 2) / self.sharp_width ** 2)

    def example_grads(self, theta) -> np.ndarray:
        """e_n′(θ) for every example: shape θ.shape + (N,)."""
        return self.curve_grad(np.asarray(theta, dtype=np.float64)[..., None] - self.shifts)

    def loss(self, theta) -> np.ndarray:
        """L(θ) = (1/N) Σ_n ℓ(θ − s_n), for any shape of θ."""
        return self.curve(np.asarray(theta, dtype=np.float64)[..., None] - self.shifts).mean(-1)

    def grad(self, theta) -> np.ndarray:
        """L′(θ), the full-batch gradient."""
        return self.example_grads(theta).mean(-1)

    def curvature(self, theta) -> np.ndarray:
        """L″(θ)."""
        return self.curve_curvature(np.asarray(theta, dtype=np.float64)[..., None] - self.shifts).mean(-1)

    def test_loss(self, theta, shift: float) -> np.ndarray:
        """L_test(θ) = L(θ − δ)."""
        return self.loss(np.asarray(theta, dtype=np.float64) - shift)

    @cached_property
    def landmarks(self) -> "Landmarks":
        """The two minima of L and the barrier between them, found on GRID and refined by Newton steps."""
        values = self.loss(GRID)
        inner = np.arange(1, len(GRID) - 1)
        minima = inner[(values[inner] < values[inner - 1]) & (values[inner] <= values[inner + 1])]
        maxima = inner[(values[inner] > values[inner - 1]) & (values[inner] >= values[inner + 1])]
        if len(minima) != 2 or len(maxima) != 1:
            raise ValueError(f"flat/sharp landscape: expected 2 minima and 1 barrier, found {len(minima)} "
                             f"minima and {len(maxima)} maxima")
        points = [self._newton(GRID[i]) for i in (*minima, *maxima)]
        a, b, barrier = points
        flat, sharp = (a, b) if self.curvature(a) < self.curvature(b) else (b, a)
        return Landmarks(flat=flat, sharp=sharp, barrier=barrier)

    def _newton(self, theta: float, steps: int = 20) -> float:
        for _ in range(steps):
            theta -= float(self.grad(theta)) / float(self.curvature(theta))
        return float(theta)


@dataclass(frozen=True)
class Landmarks:
    flat: float  # θ of the flat minimum
    sharp: float  # θ of the sharp minimum
    barrier: float  # θ of the maximum between them

    def in_flat(self, theta) -> np.ndarray:
        """True where θ lies on the flat minimum's side of the barrier."""
        theta = np.asarray(theta)
        return theta < self.barrier if self.flat < self.barrier else theta > self.barrier


def minibatch_grads(land: Landscape, theta: np.ndarray, order: np.ndarray, batch: int, index: int) -> np.ndarray:
    """g_𝔅 for each seed: the mean of e_n′(θ_k) over batch ``index`` of seed k's shuffled order (K, N)."""
    picked = order[:, index * batch:(index + 1) * batch]
    return land.curve_grad(theta[:, None] - land.shifts[picked]).mean(1)


PROGRESS_EVERY = 50  # updates between progress reports


def run_sgd(land: Landscape, starts: np.ndarray, batch: int, lr: float, steps: int,
            rng: np.random.Generator, progress=None) -> np.ndarray:
    """End points θ_T of K seeds of mini-batch SGD, θ ← θ − η g_𝔅 (B = N: gradient descent on L);
    ``progress(fraction)`` every PROGRESS_EVERY updates."""
    theta = np.array(starts, dtype=np.float64)
    n = land.n_examples
    per_epoch = max(n // batch, 1)
    base = np.broadcast_to(np.arange(n), (len(theta), n))
    order = None
    for t in range(steps):
        if batch >= n:
            theta -= lr * land.grad(theta)
        else:
            if t % per_epoch == 0:
                order = rng.permuted(base, axis=1)  # each seed its own shuffle, every epoch
            theta -= lr * minibatch_grads(land, theta, order, batch, t % per_epoch)
        if progress is not None and (t + 1) % PROGRESS_EVERY == 0:
            progress((t + 1) / steps)
    return theta


MAX_RUNS = 2_000
MAX_STEPS = 2_000
LR_HI = 0.5
SHIFT_HI = 1.0


@dataclass(frozen=True)
class ToyConfig:
    """Two batch sizes compared with the same η, the same number of updates and the same starts;
    ``runs`` seeds each. B = 128 = N is the full batch (gradient descent on L)."""
    small_batch: int = 4
    large_batch: int = 128
    lr: float = 0.08
    steps: int = 500
    runs: int = 500
    shift: float = 0.2  # δ
    seed: int = 0

    def __post_init__(self):
        owner = "flat/sharp"
        n = Landscape().n_examples
        object.__setattr__(self, "small_batch", integer(owner, "small_batch", self.small_batch, 1, n))
        object.__setattr__(self, "large_batch", integer(owner, "large_batch", self.large_batch, 1, n))
        object.__setattr__(self, "lr", float(in_range(owner, "lr", self.lr, 0.0, LR_HI, lo_open=True)))
        object.__setattr__(self, "steps", integer(owner, "steps", self.steps, 1, MAX_STEPS))
        object.__setattr__(self, "runs", integer(owner, "runs", self.runs, 1, MAX_RUNS))
        object.__setattr__(self, "shift", float(in_range(owner, "shift", self.shift, -SHIFT_HI, SHIFT_HI)))
        object.__setattr__(self, "seed", integer(owner, "seed", self.seed, 0, 2**31 - 1))


@dataclass(frozen=True)
class BatchEnds:
    """Where one batch size's runs ended."""
    batch: int
    ends: np.ndarray  # (K,) θ_T
    in_flat: np.ndarray  # (K,) bool
    train_loss: np.ndarray  # (K,) L(θ_T)
    test_loss: np.ndarray  # (K,) L(θ_T − δ)

    @property
    def flat_share(self) -> float:
        return float(self.in_flat.mean())


@dataclass(frozen=True)
class ToyResult:
    config: ToyConfig
    landscape: Landscape
    starts: np.ndarray
    small: BatchEnds
    large: BatchEnds


def work(batch: int, land: Landscape | None = None) -> int:
    """Per-example gradients a run of one update computes: B, or N for the full batch."""
    return min(batch, (land or Landscape()).n_examples)


def run_toy(config: ToyConfig, progress=None, land: Landscape | None = None) -> ToyResult:
    """K seeds of small- and large-batch SGD from the same starts, their end points and losses
    (read-only arrays); ``progress(fraction)`` along the way, shared out by the work of each."""
    land = land or Landscape()
    marks = land.landmarks
    rng = np.random.default_rng(config.seed)
    starts = rng.uniform(START_LO, START_HI, config.runs)
    batches = (config.small_batch, config.large_batch)
    shares = np.array([work(b, land) for b in batches], dtype=np.float64)
    shares /= shares.sum()
    out = []
    for i, batch in enumerate(batches):
        batch_rng = np.random.default_rng([config.seed, i + 1])  # each batch size its own shuffles
        report = None if progress is None else \
            (lambda f, done=float(shares[:i].sum()), share=float(shares[i]): progress(done + share * f))
        ends = run_sgd(land, starts, batch, config.lr, config.steps, batch_rng, report)
        arrays = dict(ends=ends, in_flat=marks.in_flat(ends), train_loss=land.loss(ends),
                      test_loss=land.test_loss(ends, config.shift))
        for a in arrays.values():
            a.flags.writeable = False
        out.append(BatchEnds(batch=batch, **arrays))
    starts.flags.writeable = False
    return ToyResult(config=config, landscape=land, starts=starts, small=out[0], large=out[1])
