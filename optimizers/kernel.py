"""The compiled trajectory loop: θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t for K runs.

One numba function runs each trajectory serially (the steps of one run form a
chain) and records every ``every``-th point. The rule formulas are those of
``optimizers.rules``; the operations are ordered as torch.optim's
single-tensor code orders them, so that float64 paths agree to rounding.
``nogil=True`` lets the engine run chunks of K on several threads.
"""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
from pathlib import Path

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic


def _cache_dir() -> str:
    """numba's cache, in a folder named by a hash of every file the kernel compiles.

    numba checks only the kernel file's own time stamp; a changed surface
    formula in another file would otherwise reuse a stale compiled kernel."""
    if os.environ.get("DESCENT_LAB_NUMBA_CACHE"):  # benchmarks point this at an empty folder to time a cold start
        return os.environ["DESCENT_LAB_NUMBA_CACHE"]
    root = Path(__file__).resolve().parent.parent
    files = ["optimizers/kernel.py", "optimizers/rules.py", "surfaces/compiled.py",
             "surfaces/lecture.py", "surfaces/classic.py"]
    digest = hashlib.sha1(b"".join((root / f).read_bytes() for f in files)).hexdigest()[:16]
    for base in (root / ".numba_cache", Path(tempfile.gettempdir()) / "descent-lab-numba"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            if os.access(base, os.W_OK):
                return str(base / digest)
        except OSError:
            continue
    return str(Path(tempfile.mkdtemp()) / digest)


numba.config.CACHE_DIR = _cache_dir()

from surfaces.compiled import grad_at

from .rules import (BETA2, DAMPENING, EPS, INIT_ACC, LR, LR_DECAY, MOMENTUM, NOISE, RMS_MOMENTUM,
                    WEIGHT_DECAY)

_JIT = dict(cache=True, nogil=True, error_model="numpy", fastmath=False)
_INLINE = dict(inline="always", error_model="numpy")

_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


@numba.njit(**_INLINE)
def _mix(z):
    """splitmix64's finalizer: a counter-based generator, so that the noise of
    run k at step t does not depend on how K is split across threads."""
    z = (z ^ (z >> _S30)) * _C1
    z = (z ^ (z >> _S27)) * _C2
    return z ^ (z >> _S31)


@numba.njit(**_INLINE)
def normal_pair(seed, k, t):
    """Two independent standard normals for (seed, run k, step t), by Box–Muller."""
    h = _mix(_mix(_mix(np.uint64(seed) + _GOLD) ^ np.uint64(k)) + np.uint64(t) * _GOLD)
    h2 = _mix(h ^ _GOLD)
    u1 = (np.float64(h >> _S11) + 0.5) * 1.1102230246251565e-16  # (0, 1)
    u2 = np.float64(h2 >> _S11) * 1.1102230246251565e-16
    r = math.sqrt(-2.0 * math.log(u1))
    return r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)


@intrinsic
def fma(typingctx, a, b, c):
    """a·b + c rounded once (LLVM's llvm.fma).

    torch's CPU kernels compute ``x.add_(y, alpha=a)``, ``addcmul_`` and
    ``lerp_`` as fused multiply-adds; using the same fusion here is what makes
    the paths agree with torch.optim to the last bit rather than to ~1e-15
    (which chaotic surfaces amplify)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        f = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(f, args)

    return sig, codegen


@numba.njit(**_INLINE)
def _lerp(a, b, w):
    """torch.lerp's formula, branch included (it decides the rounding)."""
    if w < 0.5:
        return fma(w, b - a, a)
    return fma(-(b - a), 1.0 - w, b)


@numba.njit(**_INLINE)
def _store(out, k, r, a, b):
    if r < out.shape[1]:  # an array not asked for has no room (shape (K, 0, 2))
        out[k, r, 0] = a
        out[k, r, 1] = b


@numba.njit(**_INLINE)
def _record(out_path, out_grad, out_mom, out_lr, k, r, x, y, gx, gy, mx, my, ex, ey):
    """Record θ_t, g_t, m_t and η_t/σ_t in slot r of run k."""
    _store(out_path, k, r, x, y)
    _store(out_grad, k, r, gx, gy)
    _store(out_mom, k, r, mx, my)
    _store(out_lr, k, r, ex, ey)


@numba.njit(**_JIT)
def power_table(beta, steps):
    """beta ** n for n = 1 … steps+1, computed as the kernel would (the same pow, the same bits):
    shared by all runs of a sweep, it saves two pow calls per trajectory-step."""
    out = np.empty(steps + 1)
    for t in range(steps + 1):
        out[t] = beta ** np.float64(t + 1)
    return out


@numba.njit(**_JIT)
def run(sid, sp, starts, H, m_kind, s_kind, s_flag, decoupled, sched_scale, sched_shift, pow1, pow2,
        steps, every, tail_from, box, seed, k_offset,
        out_path, out_grad, out_mom, out_lr, out_final, out_diverged):
    """Run len(starts) trajectories of ``steps`` updates; see engine.simulate for the arrays."""
    K = starts.shape[0]
    for k in range(K):
        lr0 = H[k, LR]
        mu = H[k, MOMENTUM]
        damp = H[k, DAMPENING]
        beta2 = H[k, BETA2]
        eps = H[k, EPS]
        wd = H[k, WEIGHT_DECAY]
        lr_decay = H[k, LR_DECAY]
        noise = H[k, NOISE]
        rms_mu = H[k, RMS_MOMENTUM]
        beta1 = mu
        x = starts[k, 0]
        y = starts[k, 1]
        # rule state: b (momentum buffer / average), s (second moment), a (centered mean), q (rmsprop buffer)
        bx = 0.0
        by = 0.0
        sx = H[k, INIT_ACC]
        sy = H[k, INIT_ACC]
        ax = 0.0
        ay = 0.0
        qx = 0.0
        qy = 0.0
        # the last good record, for freezing after a divergence
        gx = 0.0
        gy = 0.0
        mx = 0.0
        my = 0.0
        ex = 0.0
        ey = 0.0
        bc1 = 1.0
        bc2 = 1.0
        rect = 1.0
        rect_on = False
        px = x
        py = y
        r = 0
        next_record = 0
        diverged = -1
        for t in range(steps + 1):
            # ---- gradient at θ_t
            tgx, tgy = grad_at(sid, x, y, sp)
            if not (abs(tgx) < np.inf and abs(tgy) < np.inf):
                diverged = t
                x = px
                y = py
                break
            gx = tgx
            gy = tgy
            n = t + 1  # torch's step count for the update that leaves θ_t
            nf = np.float64(n)  # a float power, as Python's beta ** step (numba's int power rounds differently)
            dx = tgx
            dy = tgy
            if noise > 0.0:
                zx, zy = normal_pair(seed, k + k_offset, t)
                dx += noise * zx
                dy += noise * zy
            if wd != 0.0 and decoupled == 0:
                dx = fma(wd, x, dx)
                dy = fma(wd, y, dy)
            # ---- η_t
            lr_t = lr0 * sched_scale[t] + sched_shift[t]
            if lr_decay != 0.0:
                lr_t = lr_t / (1.0 + (nf - 1.0) * lr_decay)
            # ---- σ_t
            if s_kind == 0:
                sigx = 1.0
                sigy = 1.0
            elif s_kind == 1:  # Adagrad: root of the sum
                sx = fma(dx, dx, sx)
                sy = fma(dy, dy, sy)
                sigx = math.sqrt(sx) + eps
                sigy = math.sqrt(sy) + eps
            elif s_kind == 2:  # lecture Adagrad: root of the mean
                sx = fma(dx, dx, sx)
                sy = fma(dy, dy, sy)
                sigx = math.sqrt(sx / nf) + eps
                sigy = math.sqrt(sy / nf) + eps
            elif s_kind == 3:  # RMSprop
                sx = fma((1.0 - beta2) * dx, dx, sx * beta2)
                sy = fma((1.0 - beta2) * dy, dy, sy * beta2)
                if s_flag == 1:
                    ax = _lerp(ax, dx, 1.0 - beta2)
                    ay = _lerp(ay, dy, 1.0 - beta2)
                    sigx = math.sqrt(fma(-ax, ax, sx)) + eps
                    sigy = math.sqrt(fma(-ay, ay, sy)) + eps
                else:
                    sigx = math.sqrt(sx) + eps
                    sigy = math.sqrt(sy) + eps
            elif s_kind == 4:  # lecture RMSProp: σ_1 = |g_1|
                if n == 1:
                    sx = dx * dx
                    sy = dy * dy
                else:
                    sx = fma((1.0 - beta2) * dx, dx, sx * beta2)
                    sy = fma((1.0 - beta2) * dy, dy, sy * beta2)
                sigx = math.sqrt(sx) + eps
                sigy = math.sqrt(sy) + eps
            elif s_kind == 5:  # Adam (amsgrad keeps the running max in a)
                sx = fma((1.0 - beta2) * dx, dx, sx * beta2)
                sy = fma((1.0 - beta2) * dy, dy, sy * beta2)
                bc2 = (1.0 - (pow2[t] if pow2.size else beta2 ** nf)) ** 0.5
                if s_flag == 1:
                    ax = max(ax, sx)
                    ay = max(ay, sy)
                    sigx = math.sqrt(ax) / bc2 + eps
                    sigy = math.sqrt(ay) / bc2 + eps
                else:
                    sigx = math.sqrt(sx) / bc2 + eps
                    sigy = math.sqrt(sy) / bc2 + eps
            else:  # RAdam
                sx = fma((1.0 - beta2) * dx, dx, sx * beta2)
                sy = fma((1.0 - beta2) * dy, dy, sy * beta2)
                b2n = pow2[t] if pow2.size else beta2 ** nf
                bc2 = 1.0 - b2n
                rho_inf = 2.0 / (1.0 - beta2) - 1.0
                rho_t = rho_inf - 2.0 * nf * b2n / bc2
                rect_on = rho_t > 5.0
                if rect_on:
                    rect = ((rho_t - 4.0) * (rho_t - 2.0) * rho_inf
                            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) ** 0.5
                    sigx = (math.sqrt(sx) + eps) / (bc2 ** 0.5) / rect
                    sigy = (math.sqrt(sy) + eps) / (bc2 ** 0.5) / rect
                else:
                    sigx = 1.0
                    sigy = 1.0
            # ---- m_t
            if m_kind == 0:
                mx = dx
                my = dy
            elif m_kind == 1 or m_kind == 2:  # heavy ball / Nesterov (torch's buffer)
                if n == 1:
                    bx = dx
                    by = dy
                else:
                    bx = fma(1.0 - damp, dx, bx * mu)
                    by = fma(1.0 - damp, dy, by * mu)
                if m_kind == 1:
                    mx = bx
                    my = by
                else:
                    mx = fma(mu, bx, dx)
                    my = fma(mu, by, dy)
            elif m_kind == 3:  # Adam's first moment, bias-corrected
                bx = _lerp(bx, dx, 1.0 - beta1)
                by = _lerp(by, dy, 1.0 - beta1)
                bc1 = 1.0 - (pow1[t] if pow1.size else beta1 ** nf)
                mx = bx / bc1
                my = by / bc1
            else:  # the lecture's movement m_t = λ m_{t−1} − η_t g_t / σ_t
                bx = mu * bx - lr_t * dx / sigx
                by = mu * by - lr_t * dy / sigy
                mx = bx
                my = by
            ex = lr_t / sigx
            ey = lr_t / sigy
            # ---- record θ_t and the update that leaves it
            if t == next_record or t >= tail_from:
                if t == next_record:
                    next_record += every
                _record(out_path, out_grad, out_mom, out_lr, k, r, x, y, gx, gy, mx, my, ex, ey)
                r += 1
            if t == steps:
                break
            # ---- θ_{t+1}
            if decoupled == 1 and wd != 0.0:
                nx = x * (1.0 - lr_t * wd)
                ny = y * (1.0 - lr_t * wd)
            else:
                nx = x
                ny = y
            if m_kind == 4:
                nx = nx + mx
                ny = ny + my
            elif s_kind == 3 and rms_mu > 0.0:  # torch RMSprop's momentum of the scaled gradient
                qx = qx * rms_mu + dx / sigx
                qy = qy * rms_mu + dy / sigy
                nx = fma(-lr_t, qx, nx)
                ny = fma(-lr_t, qy, ny)
            elif s_kind == 6:  # RAdam: θ − ((m̂·η)·(1/σ without rect))·rect, as torch groups it; torch
                if rect_on:  # writes √bc2 / d as (1/d)·√bc2 (Tensor.__rdiv__): two roundings, kept here
                    nx = nx - ((mx * lr_t) * ((1.0 / (math.sqrt(sx) + eps)) * bc2 ** 0.5)) * rect
                    ny = ny - ((my * lr_t) * ((1.0 / (math.sqrt(sy) + eps)) * bc2 ** 0.5)) * rect
                else:
                    nx = nx - mx * lr_t
                    ny = ny - my * lr_t
            elif m_kind == 3:
                nx = nx + ((-(lr_t / bc1)) * bx) / sigx
                ny = ny + ((-(lr_t / bc1)) * by) / sigy
            elif s_kind == 0:
                nx = fma(-lr_t, mx, nx)
                ny = fma(-lr_t, my, ny)
            else:
                nx = nx + ((-lr_t) * mx) / sigx
                ny = ny + ((-lr_t) * my) / sigy
            if not (abs(nx) <= box and abs(ny) <= box):
                diverged = t + 1
                break
            px = x
            py = y
            x = nx
            y = ny
        out_final[k, 0] = x
        out_final[k, 1] = y
        out_diverged[k] = diverged
        # ---- a diverged run stays frozen at its last good point
        n_records = max(out_path.shape[1], out_grad.shape[1], out_mom.shape[1], out_lr.shape[1])
        while r < n_records:
            _record(out_path, out_grad, out_mom, out_lr, k, r, x, y, gx, gy, mx, my, ex, ey)
            r += 1
