"""Floating-point operations with torch.optim's rounding, for the compiled update rules.

torch's CPU kernels compute ``x.add_(y, alpha=a)``, ``addcmul_`` and ``lerp_``
as fused multiply-adds (one rounding), ``addcdiv_(t1, t2, value=v)`` as
``x + (v·t1)/t2`` and a scalar divided by a tensor as ``reciprocal() · scalar``.
Writing the rules with these operations, in torch's order, is what makes the
engine's paths equal torch.optim's to the last bit rather than to ~1e-15 (which
chaotic surfaces amplify). Every function here is inlined into the kernel and
free of branches that depend on data, so that a block of runs vectorizes.
"""
from __future__ import annotations

import numba
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

INLINE = dict(inline="always", error_model="numpy")


@intrinsic
def fma(typingctx, a, b, c):
    """a·b + c rounded once (LLVM's llvm.fma; one instruction on CPUs with FMA)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        f = builder.module.declare_intrinsic("llvm.fma", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(f, args)

    return sig, codegen


@numba.njit(**INLINE)
def lerp(a, b, w):
    """torch.lerp's formula, branch included (it decides the rounding); a select, not a jump."""
    return fma(w, b - a, a) if w < 0.5 else fma(-(b - a), 1.0 - w, b)


@numba.njit(**INLINE)
def average_of_squares(v, d, beta):
    """``v.mul_(β).addcmul_(d, d, value=1 − β)``: β·v + (1 − β)·d², as torch rounds it."""
    return fma((1.0 - beta) * d, d, v * beta)


@numba.njit(**INLINE)
def sign(x):
    """torch.sign: −1, 0 or 1 (0 for ±0); NaN stays NaN."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else x * 0.0)


@numba.njit(**INLINE)
def maximum(a, b):
    """torch.maximum for numbers, as a select (the builtin max is a call the compiler cannot vectorize)."""
    return b if b > a else a
