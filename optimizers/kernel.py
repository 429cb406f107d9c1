"""The compiled trajectory loop: θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t for K runs, a block of runs at a time.

The steps of one run form a chain, but different runs are independent: the
loop advances a block of runs together, one SIMD lane per run, so that the
CPU's vector units work on several runs per instruction. Each lane keeps its
own state, its divergence freeze (a run that leaves the box or meets a
non-finite gradient stops where it was; the others go on) and its records;
its noise comes from a counter-based generator keyed by (seed, run, step), so
no result depends on the block size or on how K is split across threads.

Per step a block runs a few short loops, each simple enough to vectorize:
η_t; the gradient with noise and L2 decay (only for blocks that have them);
the rules (σ_t, m_t and the new point, ``lane_step``); and the gradient at the
new points (the surface's function). A lane that diverges is rare, so it is
mended after the loops rather than by selects inside them. Why so many small
loops: numba silently gives up vectorizing a long loop with many selects, a
call, a loop over a tuple, or more than a few arrays (see ``set_option`` below).

One kernel is compiled per rule pair and recording mode: the rules are
constants of the kernel (closure variables of ``_make``), so their steps
(``optimizers.momentum``, ``optimizers.scaling``) are inlined. Each surface
has its own small compiled function (``surface``), which the kernels call
through its address with the whole block: a new surface adds no kernel, and a
new rule no surface. numba caches both on disk; a kernel compiles the first
time its rules run (seconds) and loads from the cache afterwards.
``nogil=True`` lets the engine run chunks of K on several threads.

A kernel records θ and g, and, compiled as ``full``, m and η/σ (their values
are then kept at every step, to repeat the last good one after a
divergence). Given targets, it also finds per run the first step from which
θ stays within a distance of its target (its end point, from a first run).
"""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
import warnings
from pathlib import Path

import llvmlite.binding as llvm_binding
import numba
import numpy as np
from numba.core import errors, types

# numba's pedantic check of its own SSA form flags the rules' selects once they are inlined twice in
# one kernel (the fused and the vector loops); the compiled code is right (the parity tests check
# every bit), and the warning would only fill a server's log at each compilation.
warnings.filterwarnings("ignore", category=errors.NumbaIRAssumptionWarning, module="numba.core.ssa")
from numba.extending import intrinsic, overload
from llvmlite import ir

ROOT = Path(__file__).resolve().parent.parent


# Every file with functions the kernels compile (a new one goes here, or a change in it is not seen).
COMPILED_SOURCES = ("optimizers/kernel.py", "optimizers/floatops.py", "optimizers/rules.py", "optimizers/momentum.py",
                    "optimizers/scaling.py", "optimizers/schedules.py", "surfaces/compiled.py",
                    "surfaces/kernel_math.py", "surfaces/lecture.py", "surfaces/classic.py")


def _cache_dir() -> str:
    """numba's cache, in a folder named by a hash of every file the kernel compiles.

    numba checks only the kernel file's own time stamp; a changed rule or surface
    formula in another file would otherwise reuse a stale compiled kernel."""
    if os.environ.get("DESCENT_LAB_NUMBA_CACHE"):  # benchmarks point this at an empty folder to time a cold start
        return os.environ["DESCENT_LAB_NUMBA_CACHE"]
    digest = hashlib.sha1(b"".join((ROOT / f).read_bytes() for f in COMPILED_SOURCES)).hexdigest()[:16]
    for base in (ROOT / ".numba_cache", Path(tempfile.gettempdir()) / "descent-lab-numba"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            if os.access(base, os.W_OK):
                return str(base / digest)
        except OSError:
            continue
    return str(Path(tempfile.mkdtemp()) / digest)


numba.config.CACHE_DIR = _cache_dir()
# The lane loop reads and writes a dozen small arrays; LLVM vectorizes it only after checking at run
# time that they do not overlap, and by default gives up beyond 8 such checks (the answer is fixed
# per block, so the checks cost nothing measurable). Options of this process's LLVM, set once.
for _option in ("-runtime-memory-check-threshold=1000", "-vectorize-memory-check-threshold=1000"):
    llvm_binding.set_option("descent-lab", _option)

from surfaces.compiled import grad_at  # noqa: E402  (after the cache folder is set)

from . import catalog  # noqa: E402,F401  (registers every rule)
from .floatops import INLINE, fma  # noqa: E402
from .rules import by_code  # noqa: E402
from .schedules import with_lr_decay  # noqa: E402

_JIT = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)

_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)

_lr_decay = numba.njit(**INLINE)(with_lr_decay)


@numba.njit(**INLINE)
def _mix(z):
    """splitmix64's finalizer: a counter-based generator, so that the noise of
    run k at step t does not depend on how K is split into blocks or threads."""
    z = (z ^ (z >> _S30)) * _C1
    z = (z ^ (z >> _S27)) * _C2
    return z ^ (z >> _S31)


@numba.njit(**INLINE)
def normal_pair(seed, k, t):
    """Two independent standard normals for (seed, run k, step t), by Box–Muller."""
    h = _mix(_mix(_mix(np.uint64(seed) + _GOLD) ^ np.uint64(k)) + np.uint64(t) * _GOLD)
    h2 = _mix(h ^ _GOLD)
    u1 = (np.float64(h >> _S11) + 0.5) * 1.1102230246251565e-16  # (0, 1)
    u2 = np.float64(h2 >> _S11) * 1.1102230246251565e-16
    r = math.sqrt(-2.0 * math.log(u1))
    return r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)


# ---------------------------------------------------------------- small tuples from and to the lane arrays
MAX_TUPLE = 5  # the most hyperparameters, state variables or table rows a rule may have


@numba.njit(**INLINE)
def _col1(a, i):
    return (a[0, i],)


@numba.njit(**INLINE)
def _col2(a, i):
    return (a[0, i], a[1, i])


@numba.njit(**INLINE)
def _col3(a, i):
    return (a[0, i], a[1, i], a[2, i])


@numba.njit(**INLINE)
def _col4(a, i):
    return (a[0, i], a[1, i], a[2, i], a[3, i])


@numba.njit(**INLINE)
def _col5(a, i):
    return (a[0, i], a[1, i], a[2, i], a[3, i], a[4, i])


@numba.njit(**INLINE)
def _cell1(a, c, j):
    return (a[0, c, j],)


@numba.njit(**INLINE)
def _cell2(a, c, j):
    return (a[0, c, j], a[1, c, j])


@numba.njit(**INLINE)
def _cell3(a, c, j):
    return (a[0, c, j], a[1, c, j], a[2, c, j])


@numba.njit(**INLINE)
def _cell4(a, c, j):
    return (a[0, c, j], a[1, c, j], a[2, c, j], a[3, c, j])


@numba.njit(**INLINE)
def _cell5(a, c, j):
    return (a[0, c, j], a[1, c, j], a[2, c, j], a[3, c, j], a[4, c, j])


@numba.njit(**INLINE)
def _keep1(a, c, j, v):
    a[0, c, j] = v[0]


@numba.njit(**INLINE)
def _keep2(a, c, j, v):
    a[0, c, j], a[1, c, j] = v[0], v[1]


@numba.njit(**INLINE)
def _keep3(a, c, j, v):
    a[0, c, j], a[1, c, j], a[2, c, j] = v[0], v[1], v[2]


@numba.njit(**INLINE)
def _keep4(a, c, j, v):
    a[0, c, j], a[1, c, j], a[2, c, j], a[3, c, j] = v[0], v[1], v[2], v[3]


@numba.njit(**INLINE)
def _keep5(a, c, j, v):
    a[0, c, j], a[1, c, j], a[2, c, j], a[3, c, j], a[4, c, j] = v[0], v[1], v[2], v[3], v[4]


# written out (not loops over a tuple: a loop inside the lane loop keeps it from vectorizing)
COLUMN = (None, _col1, _col2, _col3, _col4, _col5)  # (a[0, i], …, a[size − 1, i])
CELL = (None, _cell1, _cell2, _cell3, _cell4, _cell5)  # (a[0, c, j], …)
KEEP = (None, _keep1, _keep2, _keep3, _keep4, _keep5)  # a[q, c, j] = v[q]


@numba.njit(**INLINE)
def _zeros(h):
    return (0.0, 0.0, 0.0, 0.0, 0.0)


def sizes(rule) -> tuple[int, int, int]:
    """A rule's tuple sizes in the kernel: hyperparameters, state, table rows (at least 1 each)."""
    out = max(1, len(rule.hyper)), max(1, len(rule.state)), max(1, rule.n_tables())
    if max(out) > MAX_TUPLE:
        raise ValueError(f"kernel: rule {rule.key!r} has more than {MAX_TUPLE} hyperparameters, state variables "
                         "or table rows")
    return out


# ---------------------------------------------------------------- the rules, chosen at compile time
def _rules_of(m_code, s_code):
    if not (isinstance(m_code, types.IntegerLiteral) and isinstance(s_code, types.IntegerLiteral)):
        raise errors.TypingError("kernel: the rules must be compile-time constants")
    return by_code("m")[m_code.literal_value], by_code("sigma")[s_code.literal_value]


def column(a, i, size):
    raise NotImplementedError  # compiled only (the overloads below)


def lane_start(m_code, s_code, hm, sm, hs, ss, j):
    raise NotImplementedError


def lane_step(m_code, s_code, hm, sm, tm, hs, ss, ts, j, gx, gy, bx, by, n, eta):
    raise NotImplementedError


@overload(column, inline="always", prefer_literal=True)
def _column(a, i, size):
    if not isinstance(size, types.IntegerLiteral):
        raise errors.TypingError("kernel: a tuple size must be a compile-time constant")
    fn = COLUMN[size.literal_value]
    return lambda a, i, size: fn(a, i)


@overload(lane_start, inline="always", prefer_literal=True)
def _lane_start(m_code, s_code, hm, sm, hs, ss, j):
    """Each rule's state at t = 0 for both coordinates of run j (0 unless the rule has a ``start``)."""
    m, sigma = _rules_of(m_code, s_code)
    (nhm, nsm, _), (nhs, nss, _) = sizes(m), sizes(sigma)
    col_m, col_s, keep_m, keep_s = COLUMN[nhm], COLUMN[nhs], KEEP[nsm], KEEP[nss]
    start_m, start_s = m.start or _zeros, sigma.start or _zeros

    def impl(m_code, s_code, hm, sm, hs, ss, j):
        for c in range(2):
            keep_m(sm, c, j, start_m(col_m(hm, j)))
            keep_s(ss, c, j, start_s(col_s(hs, j)))
    return impl


@numba.njit(**INLINE)
def _divide(hm, sm, tm, hs, ss, ts, th, d, n, eta, eta_u, m, u, sig):
    """The default update, torch's ``p.addcdiv_(u, σ, value=−η_u)``: θ + (−η_u·u)/σ."""
    return th + ((-eta_u) * u) / sig, sm, ss


@overload(lane_step, inline="always", prefer_literal=True)
def _lane_step(m_code, s_code, hm, sm, tm, hs, ss, ts, j, gx, gy, bx, by, n, eta):
    """One update of run j: σ_t, m_t and θ_{t+1} for both coordinates, with the rules' steps inlined.
    Returns (θ_{t+1}, m_t, η_t/σ_t as recorded) per coordinate; the rules' state is kept in sm, ss."""
    m, sigma = _rules_of(m_code, s_code)
    (nhm, nsm, _), (nhs, nss, _) = sizes(m), sizes(sigma)
    col_m, col_s, cell_m, cell_s = COLUMN[nhm], COLUMN[nhs], CELL[nsm], CELL[nss]
    keep_m, keep_s = KEEP[nsm], KEEP[nss]
    m_step, s_step = m.step, sigma.step
    apply = m.apply or sigma.apply or _divide

    def impl(m_code, s_code, hm, sm, tm, hs, ss, ts, j, gx, gy, bx, by, n, eta):
        h_m, h_s = col_m(hm, j), col_s(hs, j)
        sx, ssx = s_step(h_s, cell_s(ss, 0, j), gx, n, ts)
        sy, ssy = s_step(h_s, cell_s(ss, 1, j), gy, n, ts)
        (mx, ux, ex_u, ex), smx = m_step(h_m, cell_m(sm, 0, j), gx, n, tm, eta, sx)
        (my, uy, ey_u, ey), smy = m_step(h_m, cell_m(sm, 1, j), gy, n, tm, eta, sy)
        qx, smx, ssx = apply(h_m, smx, tm, h_s, ssx, ts, bx, gx, n, eta, ex_u, mx, ux, sx)
        qy, smy, ssy = apply(h_m, smy, tm, h_s, ssy, ts, by, gy, n, eta, ey_u, my, uy, sy)
        keep_m(sm, 0, j, smx)
        keep_m(sm, 1, j, smy)
        keep_s(ss, 0, j, ssx)
        keep_s(ss, 1, j, ssy)
        return qx, qy, mx, my, ex / sx, ey / sy
    return impl


# ---------------------------------------------------------------- the surface: one small compiled function each
def arrive_lanes(sid, qx, qy, ngx, ngy, sp, nb, box):
    raise NotImplementedError


@overload(arrive_lanes, inline="always", prefer_literal=True)
def _arrive_lanes(sid, qx, qy, ngx, ngy, sp, nb, box):
    if not isinstance(sid, types.IntegerLiteral):
        raise errors.TypingError("kernel: the surface id must be a compile-time constant")
    SID = sid.literal_value

    def impl(sid, qx, qy, ngx, ngy, sp, nb, box):
        bad = 0
        for j in range(nb):
            gx, gy = grad_at(SID, qx[j], qy[j], sp)
            ngx[j], ngy[j] = gx, gy
            bad += 0 if _arrived(qx[j], qy[j], gx, gy, box) else 1
        return bad
    return impl


_P = types.CPointer(types.float64)
ARRIVE = types.int64(_P, _P, _P, _P, _P, types.int64, types.int64, types.float64)
_ARRIVE_IR = ir.FunctionType(ir.IntType(64), [ir.DoubleType().as_pointer()] * 5 + [ir.IntType(64)] * 2
                             + [ir.DoubleType()])
_SURFACES: dict = {}


def surface(sid: int):
    """The gradient at the new points of a block, for surface ``sid``: a C-callable function that the
    kernels call through its address (so one kernel serves every surface, and each surface is compiled
    once). It returns how many of the nb points left the box or have no finite gradient."""
    if sid not in _SURFACES:
        _SURFACES[sid] = _make_surface(int(sid))
    return _SURFACES[sid]


def _make_surface(SID):
    @numba.cfunc(ARRIVE, cache=True, error_model="numpy")
    def arrive(qx, qy, ngx, ngy, sp, n_sp, nb, box):
        return arrive_lanes(SID, numba.carray(qx, nb), numba.carray(qy, nb), numba.carray(ngx, nb),
                            numba.carray(ngy, nb), numba.carray(sp, n_sp), nb, box)
    return arrive


@intrinsic
def call_surface(typingctx, address, qx, qy, ngx, ngy, sp, nb, box):
    """Call the surface function at ``address`` (see ``surface``) on the arrays' data."""
    sig = types.int64(types.int64, qx, qy, ngx, ngy, sp, types.int64, types.float64)

    def codegen(context, builder, signature, args):
        fn = builder.inttoptr(args[0], _ARRIVE_IR.as_pointer())
        arrays = [context.make_array(ty)(context, builder, value) for ty, value in zip(signature.args[1:6], args[1:6])]
        return builder.call(fn, [a.data for a in arrays] + [arrays[4].nitems, args[6], args[7]])
    return sig, codegen


@numba.njit(**INLINE)
def _arrived(x, y, gx, gy, box):
    """The new point is inside the box and has a finite gradient (& : no branches)."""
    return (abs(x) <= box) & (abs(y) <= box) & (abs(gx) < np.inf) & (abs(gy) < np.inf)


@numba.njit(**INLINE)
def _put(out, k, r, a, b):
    if out.shape[1]:  # an array not asked for has no room (shape (K, 0, 2))
        out[k, r, 0], out[k, r, 1] = a, b


_KERNELS: dict = {}


def kernel(m_code: int, s_code: int, full: bool):
    """The compiled kernel for one rule pair, recording m and η/σ (``full``) or not (compiled, or loaded
    from the cache, once)."""
    key = (int(m_code), int(s_code), bool(full))
    if key not in _KERNELS:
        _KERNELS[key] = _make(*key)
    return _KERNELS[key]


# Below this many runs in a block, a step is one fused loop rather than the short loops that
# vectorize: each of those checks at run time that its arrays do not overlap, a cost per step and
# loop that a single run (the Playground's) pays without the vector's gain. Both give the same bits.
FUSED_BELOW = 4


def _make(MC, SC, FULL):
    """The kernel: a closure whose constants numba compiles in. Its arguments are grouped in tuples
    (``engine._Run.group`` says what each holds)."""
    NHM, NSM, NTM = sizes(by_code("m")[MC])
    NHS, NSS, NTS = sizes(by_code("sigma")[SC])

    @numba.njit(**_JIT)
    def run(surface_fn, sp, starts, hyper, per_run, plan, outputs):
        hm_all, hs_all, tm_all, ts_all = hyper
        lr_all, wd_all, lrd_all, noise_all, decoupled, scale, shift = per_run
        steps, rec_steps, box, seed, ids, block, target, tol = plan
        settling = target.shape[0] > 0
        out_path, out_grad, out_mom, out_lr, out_final, out_diverged, out_settle = outputs
        K = starts.shape[0]
        B = max(1, min(block, K))
        # one lane per run of the block; the step loop reads and writes only these local arrays
        hm, hs = np.empty((NHM, B)), np.empty((NHS, B))
        sm, ss = np.empty((NSM, 2, B)), np.empty((NSS, 2, B))
        lr, wd, lrd, noise = np.empty(B), np.empty(B), np.empty(B), np.empty(B)
        x, y, gx, gy, qx, qy = np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B)
        ngx, ngy, frozen = np.empty(B), np.empty(B), np.empty(B, np.int64)  # new gradients; frozen lanes
        dx, dy, bx, by, eta = np.empty(B), np.empty(B), np.empty(B), np.empty(B), np.empty(B)
        zx, zy = np.zeros(B), np.zeros(B)
        mx_last, my_last, ex_last, ey_last = np.zeros(B), np.zeros(B), np.zeros(B), np.zeros(B)
        alive, died, settle = np.empty(B), np.empty(B), np.zeros(B)  # floats: every lane array 64-bit wide
        for k0 in range(0, K, B):
            nb = min(B, K - k0)
            noisy, prepare, decaying = False, False, False
            for j in range(nb):
                k = k0 + j
                for i in range(NHM):
                    hm[i, j] = hm_all[i, k]
                for i in range(NHS):
                    hs[i, j] = hs_all[i, k]
                lr[j], wd[j], lrd[j], noise[j] = lr_all[k], wd_all[k], lrd_all[k], noise_all[k]
                noisy = noisy or noise[j] > 0.0
                prepare = prepare or noise[j] > 0.0 or wd[j] != 0.0
                decaying = decaying or lrd[j] != 0.0
                x[j], y[j] = qx[j], qy[j] = starts[k, 0], starts[k, 1]
                mx_last[j] = my_last[j] = ex_last[j] = ey_last[j] = 0.0
                lane_start(MC, SC, hm, sm, hs, ss, j)
            call_surface(surface_fn, qx, qy, gx, gy, sp, nb, box)  # g_0; a start without one: diverged at 0
            n_frozen = 0
            for j in range(nb):
                ok = abs(gx[j]) < np.inf and abs(gy[j]) < np.inf
                gx[j], gy[j] = (gx[j], gy[j]) if ok else (0.0, 0.0)
                alive[j], died[j], settle[j] = 1.0 if ok else 0.0, -1.0 if ok else 0.0, 0.0
                if not ok:
                    frozen[n_frozen] = j
                    n_frozen += 1
            no_start = n_frozen  # lanes with no gradient at their start: their point counts as bad at every step
            r = 0
            for t in range(steps + 1):
                if noisy:
                    for j in range(nb):
                        zx[j], zy[j] = normal_pair(seed, ids[k0 + j], t)
                here = r < rec_steps.size and rec_steps[r] == t
                if here:
                    for j in range(nb):
                        _put(out_path, k0 + j, r, x[j], y[j])
                        _put(out_grad, k0 + j, r, gx[j], gy[j])
                n, scale_t, shift_t, upd = np.float64(t + 1), scale[t], shift[t], t < steps
                tm, ts = column(tm_all, t, NTM), column(ts_all, t, NTS)
                if nb < FUSED_BELOW:  # a few runs (the Playground's): one loop, see FUSED_BELOW
                    for j in range(nb):
                        e = lr[j] * scale_t + shift_t
                        e = _lr_decay(e, t, lrd[j]) if decaying else e
                        vx, vy, ux, uy = gx[j], gy[j], x[j], y[j]
                        if prepare:
                            std, w = noise[j], wd[j]
                            vx = vx + std * zx[j] if std > 0.0 else vx
                            vy = vy + std * zy[j] if std > 0.0 else vy
                            l2 = w != 0.0 and not decoupled
                            shrink = w != 0.0 and decoupled
                            vx = fma(w, ux, vx) if l2 else vx
                            vy = fma(w, uy, vy) if l2 else vy
                            ux = ux * (1.0 - e * w) if shrink else ux
                            uy = uy * (1.0 - e * w) if shrink else uy
                        qx[j], qy[j], mx, my, ex, ey = lane_step(MC, SC, hm, sm, tm, hs, ss, ts, j, vx, vy, ux, uy,
                                                                 n, e)
                        if FULL:
                            live = alive[j] != 0.0
                            mx_last[j] = mx if live else mx_last[j]
                            my_last[j] = my if live else my_last[j]
                            ex_last[j] = ex if live else ex_last[j]
                            ey_last[j] = ey if live else ey_last[j]
                else:
                    # short loops per step (a long one with many selects does not vectorize): η_t is
                    # lr·scale + shift, computed in the rules' loop, unless Adagrad's lr_decay needs a loop ...
                    if decaying:
                        for j in range(nb):
                            eta[j] = _lr_decay(lr[j] * scale_t + shift_t, t, lrd[j])
                        rates, scale_t, shift_t = eta, 1.0, 0.0  # η·1 + 0 = η exactly (η ≥ 0)
                    else:
                        rates = lr
                    # ... the gradient with noise and L2 decay, and AdamW's shrunk θ, when the block has them ...
                    if prepare:
                        for j in range(nb):
                            e, std, w = rates[j] * scale_t + shift_t, noise[j], wd[j]
                            vx = gx[j] + std * zx[j] if std > 0.0 else gx[j]
                            vy = gy[j] + std * zy[j] if std > 0.0 else gy[j]
                            l2 = w != 0.0 and not decoupled
                            shrink = w != 0.0 and decoupled
                            dx[j] = fma(w, x[j], vx) if l2 else vx
                            dy[j] = fma(w, y[j], vy) if l2 else vy
                            bx[j] = x[j] * (1.0 - e * w) if shrink else x[j]
                            by[j] = y[j] * (1.0 - e * w) if shrink else y[j]
                        vxs, vys, bxs, bys = dx, dy, bx, by
                    else:
                        vxs, vys, bxs, bys = gx, gy, x, y
                    # ... the rules: σ_t, m_t and the new point ...
                    for j in range(nb):
                        qx[j], qy[j], mx, my, ex, ey = lane_step(MC, SC, hm, sm, tm, hs, ss, ts, j, vxs[j], vys[j],
                                                                 bxs[j], bys[j], n, rates[j] * scale_t + shift_t)
                        if FULL:  # FULL: m and η/σ of the last good step, for the records
                            live = alive[j] != 0.0
                            mx_last[j] = mx if live else mx_last[j]
                            my_last[j] = my if live else my_last[j]
                            ex_last[j] = ex if live else ex_last[j]
                            ey_last[j] = ey if live else ey_last[j]
                # ... and the gradient at the new points. A lane whose new point left the box or has no
                # finite gradient there stays where it was, frozen (diverged at t + 1); that is rare, so
                # it is mended after the loop, lane by lane, rather than by selects in the loop.
                if settling:  # θ_t still outside the target's disc: settled at t + 1 at the earliest
                    for j in range(nb):
                        ox, oy = x[j] - target[k0 + j, 0], y[j] - target[k0 + j, 1]
                        settle[j] = n if math.sqrt(ox * ox + oy * oy) > tol else settle[j]
                # a frozen lane asks for the gradient where it stays, not where its step would take it (out of
                # the box again, at every step): bad then counts the lanes that diverge now, which is rare, and
                # those frozen at their start
                for i in range(n_frozen):
                    j = frozen[i]
                    qx[j], qy[j] = x[j], y[j]
                bad = call_surface(surface_fn, qx, qy, ngx, ngy, sp, nb, box)
                if upd:
                    if bad > no_start:
                        for j in range(nb):
                            if alive[j] != 0.0 and not _arrived(qx[j], qy[j], ngx[j], ngy[j], box):
                                alive[j], died[j] = 0.0, n
                                frozen[n_frozen] = j
                                n_frozen += 1
                    for i in range(n_frozen):
                        j = frozen[i]
                        qx[j], qy[j], ngx[j], ngy[j] = x[j], y[j], gx[j], gy[j]
                    for j in range(nb):  # copied, not swapped: a swap of arrays counts references, per step
                        x[j], y[j], gx[j], gy[j] = qx[j], qy[j], ngx[j], ngy[j]
                if here:
                    if FULL:
                        for j in range(nb):
                            _put(out_mom, k0 + j, r, mx_last[j], my_last[j])
                            _put(out_lr, k0 + j, r, ex_last[j], ey_last[j])
                    r += 1
            for j in range(nb):
                k = k0 + j
                out_final[k, 0], out_final[k, 1] = x[j], y[j]
                d = np.int64(died[j])
                out_diverged[k] = d
                if settling:
                    out_settle[k] = np.int64(settle[j]) if d < 0 else -1
                if d >= 0:  # records from the divergence on repeat the last good step
                    for q in range(np.searchsorted(rec_steps, d), rec_steps.size):
                        _put(out_path, k, q, x[j], y[j])
                        _put(out_grad, k, q, gx[j], gy[j])
                        _put(out_mom, k, q, mx_last[j], my_last[j])
                        _put(out_lr, k, q, ex_last[j], ey_last[j])
    return run
