"""simulate(): K trajectories of one optimizer on one surface, in one call."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

import surfaces as surface_registry

from . import catalog, kernel
from .schedules import Schedule, schedule as make_schedule
from .validate import in_range, integer

RECORDABLE = ("path", "loss", "grad", "momentum", "lr_eff")
MAX_STEPS = 1_000_000
MAX_RUNS = 1_000_000
MAX_WORK = 5_000_000_000  # trajectory-steps in one call (about 20 s on 2 cores)
MAX_RECORD_BYTES = 600 * 2**20
_CHUNK_WORK = 20_000_000  # trajectory-steps per piece when reporting progress: about 0.1–0.3 s
_THREAD_WORK = 2_000_000  # below this many trajectory-steps one thread is faster than two
# Runs advanced together by the kernel, one SIMD lane each. A step's fixed cost is shared by the block's
# lanes: `benchmarks/engine.py --blocks` put the momentum grid (40,000 runs, 2 threads) at 410 ms with 32,
# 304 ms with 128 and 294 ms with 256 (a sweep of 64 runs on 2 threads has 32 lanes a thread whatever it is).
BLOCK = 256


@dataclass(frozen=True)
class Noise:
    """Gradient noise standing in for mini-batches: g̃ = ∇L + (std/√batch_size)·z, z ~ N(0, I).

    ``std`` is the noise of a single example's gradient; averaging a batch of
    B independent examples divides it by √B."""
    std: object = 1.0
    batch_size: object = 1

    def effective_std(self) -> np.ndarray:
        std = in_range("noise", "std", self.std, 0.0, 1e6)
        batch = in_range("noise", "batch_size", self.batch_size, 1.0, 1e9)
        return std / np.sqrt(batch)


@dataclass(frozen=True, eq=False)
class Trajectory:
    """What simulate() recorded. Index i along the second axis is step ``steps[i]``.

    path[k, i]     θ at that step;  loss[k, i] = L(θ);  grad[k, i] = ∇L(θ) (without noise)
    momentum[k, i] m of the update that leaves θ (for the lecture's momentum: the move itself)
    lr_eff[k, i]   η_t/σ_t of that update, per parameter
    diverged_at[k] −1, or the first step whose point left the box or had a non-finite
                   gradient; from there on every record repeats the last good step.
    final[k]       the last good θ; final_loss[k] = L(final[k]).
    settled_at[k]  with ``simulate(settle=(targets, tol))``: the first step from which θ stays within tol
                   of targets[k] (−1 for a diverged run); else None.
    Arrays not asked for in ``record`` are None."""
    surface: str
    optimizer: str
    steps: np.ndarray
    path: np.ndarray | None
    loss: np.ndarray | None
    grad: np.ndarray | None
    momentum: np.ndarray | None
    lr_eff: np.ndarray | None
    diverged_at: np.ndarray
    final: np.ndarray
    final_loss: np.ndarray
    settled_at: np.ndarray | None = None

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0

    def select(self, runs) -> "Trajectory":
        """The runs ``runs`` (an index, a slice or an index array) as a Trajectory of their own."""
        keep = np.atleast_1d(np.arange(len(self.final))[runs])
        pick = {f: None if getattr(self, f) is None else getattr(self, f)[keep]
                for f in ("path", "loss", "grad", "momentum", "lr_eff", "diverged_at", "final", "final_loss",
                          "settled_at")}
        return replace(self, **pick)


def record_steps(steps: int, every: int, tail: int = 0) -> np.ndarray:
    """The recorded steps: 0, every, 2·every, …, and the last ``tail`` + 1 steps."""
    return np.concatenate([np.arange(0, steps - tail, every), np.arange(steps - tail, steps + 1)])


def _surface(surface):
    return surface_registry.get(surface) if isinstance(surface, str) else surface


def _optimizer(optimizer):
    return catalog.get(optimizer) if isinstance(optimizer, str) else optimizer


def _schedule(schedule):
    if schedule is None:
        return make_schedule("constant")
    if isinstance(schedule, str):
        return make_schedule(schedule)
    if isinstance(schedule, Schedule):
        return schedule
    raise ValueError(f"simulate: schedule = {schedule!r} must be a schedule name or optimizers.schedule(...)")


def _starts(starts, surface) -> np.ndarray:
    if starts is None:
        starts = surface.start
    P = np.asarray(starts, dtype=np.float64)
    if P.ndim == 1:
        P = P[None, :]
    if P.ndim != 2 or P.shape[1] != 2:
        raise ValueError(f"simulate: starts has shape {np.shape(starts)}; allowed (2,), (1, 2) or (K, 2)")
    if not np.all(np.isfinite(P)) or np.any(np.abs(P) > surface.box):
        raise ValueError(f"simulate: starts must be finite points with |coordinate| <= {surface.box:g}")
    return P


def _record(record) -> set:
    chosen = set((record,) if isinstance(record, str) else record)
    unknown = chosen - set(RECORDABLE)
    if unknown:
        raise ValueError(f"simulate: record = {sorted(unknown)} not recordable; allowed: {', '.join(RECORDABLE)}")
    return chosen


def simulate(surface, optimizer, starts=None, steps=1000, schedule=None, noise=None, seed=None,
             record=RECORDABLE, every=1, tail=0, progress=None, threads=None, block=None, settle=None) -> Trajectory:
    """Run K trajectories of θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t at once.

    surface    a Surface or its name;  optimizer  an Optimizer (optimizers.get) or a name
    starts     (K, 2), or (2,)/(1, 2) broadcast against swept hyperparameters; default surface.start
    steps      number of updates (1 … 1,000,000)
    schedule   optimizers.schedule(...) or a name; η_t = lr·scale_t + shift_t
    noise      None, a standard deviation (scalar or (K,)), or Noise(std, batch_size)
    seed       makes the noise reproducible (default 0)
    record     which arrays to keep (see Trajectory); ``every`` keeps every n-th step, and ``tail``
               the last ``tail`` steps before the final one too (to tell a bounce from a crawl)
    progress   optional callable(fraction) called as chunks of runs finish
    threads    how many threads share the runs (default: the cores, when the work is large)
    block      runs advanced together, one SIMD lane each (default BLOCK); results do not depend on it
    settle     optional (targets (K, 2), tol): ``settled_at[k]`` is then the first step from which run k
               stays within distance tol of targets[k] (its end point, from an earlier run), −1 if it diverged
    """
    surf = _surface(surface)
    opt = _optimizer(optimizer)
    sched = _schedule(schedule)
    steps = integer("simulate", "steps", steps, 1, MAX_STEPS)
    every = integer("simulate", "every", every, 1, steps)
    tail = integer("simulate", "tail", tail, 0, steps)
    block = integer("simulate", "block", BLOCK if block is None else block, 1, 4096)
    chosen = _record(record)
    P = _starts(starts, surf)
    std = (noise.effective_std() if isinstance(noise, Noise)
           else in_range("simulate", "noise", 0.0 if noise is None else noise, 0.0, 1e6))
    seed = integer("simulate", "seed", 0 if seed is None else seed, 0, 2**63 - 1)

    sizes = {len(P), opt.size, np.size(std)} - {1}
    if settle is not None:
        sizes |= {len(np.atleast_2d(settle[0]))} - {1}
    if len(sizes) > 1:
        raise ValueError(f"simulate: starts ({len(P)}), swept hyperparameters ({opt.size}) and noise "
                         f"({np.size(std)}) must have the same length K or length 1")
    K = sizes.pop() if sizes else 1
    integer("simulate", "number of runs K", K, 1, MAX_RUNS)
    if K * steps > MAX_WORK:
        raise ValueError(f"simulate: runs × steps = {K:,} × {steps:,} = {K * steps:,} is out of range; "
                         f"allowed up to {MAX_WORK:,} trajectory-steps in one call")
    at = record_steps(steps, every, tail)
    n_rec = len(at)
    want_path = "path" in chosen or "loss" in chosen  # the loss is evaluated on the recorded path
    floats = 2 * want_path + ("loss" in chosen) + 2 * len(chosen & {"grad", "momentum", "lr_eff"})
    need = K * n_rec * floats * 8
    if need > MAX_RECORD_BYTES:
        raise ValueError(f"simulate: recording {', '.join(sorted(chosen))} for {K:,} runs × {n_rec:,} steps needs "
                         f"{need / 2**20:,.0f} MB; allowed up to {MAX_RECORD_BYTES / 2**20:.0f} MB "
                         "(record fewer arrays or every n-th step)")
    full = bool(chosen & {"momentum", "lr_eff"})
    if full and settle is not None:
        raise ValueError("simulate: settle cannot be combined with recording momentum or lr_eff")
    targets, tol = _settle(settle, K)

    scale, shift = sched.coefficients(np.arange(steps + 1))
    run = _Run(surf, opt, K, steps, _owned(scale), _owned(shift), _owned(np.broadcast_to(std, (K,))), seed,
               full, block,
               _owned(at if floats else at[:0], np.int64), targets, tol)  # nothing recorded: no record steps
    buf = lambda on: np.empty((K, n_rec if on else 0, 2))  # noqa: E731
    out = {"path": buf(want_path), "grad": buf("grad" in chosen), "momentum": buf("momentum" in chosen),
           "lr_eff": buf("lr_eff" in chosen), "final": np.empty((K, 2)), "diverged": np.empty(K, dtype=np.int64),
           "settle": np.empty(K if settle is not None else 0, dtype=np.int64)}
    starts_k = _owned(np.broadcast_to(P, (K, 2)))
    groups = _groups(opt, K)
    for i, runs in enumerate(groups):
        report = progress and (lambda f, i=i: progress((i + f) / len(groups)))
        run.group(runs, starts_k, out, report, threads)

    loss = surf.loss(out["path"]) if "loss" in chosen else None
    return Trajectory(
        surface=surf.name, optimizer=opt.name, steps=at,
        path=out["path"] if "path" in chosen else None, loss=loss,
        grad=out["grad"] if "grad" in chosen else None,
        momentum=out["momentum"] if "momentum" in chosen else None,
        lr_eff=out["lr_eff"] if "lr_eff" in chosen else None,
        diverged_at=out["diverged"], final=out["final"], final_loss=surf.loss(out["final"]),
        settled_at=out["settle"] if settle is not None else None,
    )


def _settle(settle, K):
    if settle is None:
        return np.zeros((0, 2)), 0.0
    targets, tol = settle
    T = _owned(np.broadcast_to(np.asarray(targets, dtype=np.float64).reshape(-1, 2), (K, 2)))
    if not np.all(np.isfinite(T)):
        raise ValueError("simulate: settle targets must be finite points")
    return T, float(in_range("simulate", "settle tolerance", tol, 0.0, np.inf))


def _groups(opt, K):
    """Runs that share the values the rules' per-step tables read (Adam's β₁, β₂ …): one group each,
    as index arrays; a sweep over the learning rate is one group."""
    columns = [bound.column(key, K) for bound in (opt.m, opt.sigma) for key in bound.rule.table_hyper]
    if not columns:
        return [slice(0, K)]
    table = np.stack(columns, axis=1)
    if np.all(table == table[0]):
        return [slice(0, K)]
    _, inverse = np.unique(table, axis=0, return_inverse=True)
    return [np.flatnonzero(inverse.reshape(-1) == g) for g in range(inverse.max() + 1)]


def _owned(a, dtype=np.float64) -> np.ndarray:
    """A C-ordered, writeable copy: the kernel is compiled for one array type (a read-only view, as
    np.broadcast_to gives, would make numba compile it again)."""
    return np.array(a, dtype=dtype, order="C", copy=True)


@lru_cache(maxsize=32)
def _table(rule, values: tuple, steps: int) -> np.ndarray:
    table = rule.table_rows(dict(values), steps)
    table.setflags(write=False)
    return table


@dataclass
class _Run:
    """One simulate call's fixed inputs, run over groups of runs and chunks of a group."""
    surf: object
    opt: object
    K: int
    steps: int
    scale: np.ndarray
    shift: np.ndarray
    noise: np.ndarray
    seed: int
    full: bool
    block: int
    rec_steps: np.ndarray
    targets: np.ndarray
    tol: float

    def group(self, runs, starts, out, progress, threads):
        opt, K = self.opt, self.K
        first = runs.start if isinstance(runs, slice) else runs[0]
        tables = [_table(b.rule, tuple((k, float(b.column(k, K)[first])) for k in b.rule.table_hyper), self.steps)
                  for b in (opt.m, opt.sigma)]
        cols = lambda v: _owned(np.broadcast_to(np.asarray(v, dtype=np.float64), (K,))[runs])  # noqa: E731
        hm, hs = opt.m.matrix(K)[:, runs], opt.sigma.matrix(K)[:, runs]
        lr, wd, lrd = cols(opt.lr), cols(opt.weight_decay), cols(opt.lr_decay)
        noise, starts_g = _owned(self.noise[runs]), _owned(starts[runs])
        targets = self.targets[runs] if len(self.targets) else self.targets
        fn = kernel.kernel(opt.m.rule.code, opt.sigma.rule.code, self.full)
        whole = isinstance(runs, slice)
        sub = out if whole else {k: np.empty((len(runs),) + v.shape[1:], v.dtype) if v.shape[0] else v
                                 for k, v in out.items()}
        ids = _owned(np.arange(K)[runs], np.int64)  # noise is drawn per run index

        surface_fn = np.int64(kernel.surface(self.surf.kernel_id).address)

        def run_chunk(lo, hi):
            seg = lambda a: a[lo:hi] if a.shape[0] else a  # noqa: E731
            fn(surface_fn, self.surf.params, starts_g[lo:hi], (_owned(hm[:, lo:hi]), _owned(hs[:, lo:hi]),
                                                    tables[0], tables[1]),
               (lr[lo:hi], wd[lo:hi], lrd[lo:hi], noise[lo:hi], bool(opt.decoupled_weight_decay), self.scale,
                self.shift),
               (np.int64(self.steps), self.rec_steps, np.float64(self.surf.box), np.uint64(self.seed), ids[lo:hi],
                np.int64(self.block), seg(targets), np.float64(self.tol)),
               (seg(sub["path"]), seg(sub["grad"]), seg(sub["momentum"]), seg(sub["lr_eff"]), seg(sub["final"]),
                seg(sub["diverged"]), seg(sub["settle"])))

        run_chunks(run_chunk, len(ids), self.steps, progress, threads)
        if not whole:
            for key, v in out.items():
                if v.shape[0]:
                    v[runs] = sub[key]


def run_chunks(run_chunk, K, steps, progress, threads):
    """Split the K runs into chunks: over threads (the kernel releases the GIL) when the work is
    large, and, when there is progress to report, into 20 pieces or pieces of at most _CHUNK_WORK
    trajectory-steps, whichever are smaller.

    Small pieces keep progress smooth and make a run stoppable: when ``progress`` raises (a page
    whose session has gone away), the pieces not yet started are cancelled, so at most one piece
    per thread still finishes."""
    work = K * steps
    threads = threads or (min(os.cpu_count() or 1, K) if work >= _THREAD_WORK else 1)
    pieces = max(threads, min(K, max(20, -(-work // _CHUNK_WORK)))) if progress and work >= _THREAD_WORK else threads
    bounds = np.linspace(0, K, pieces + 1).astype(int)
    chunks = [(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]
    if threads == 1:
        for i, (lo, hi) in enumerate(chunks):
            run_chunk(lo, hi)
            if progress:
                progress((i + 1) / len(chunks))
        return
    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        futures = [pool.submit(run_chunk, lo, hi) for lo, hi in chunks]
        for i, f in enumerate(futures):
            f.result()
            if progress:
                progress((i + 1) / len(futures))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
