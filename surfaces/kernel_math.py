"""sin and cos for the compiled gradients, written so that a block of runs vectorizes.

The C library's sin is a call the compiler cannot vectorize, and on the test
machine it costs 25–40 ns: on the bumpy valley it was most of a trajectory-step.
These versions are musl's (FreeBSD's msun, from Sun's fdlibm): the same
minimax polynomials on [−π/4, π/4] (``__sin``, ``__cos``, error below 1 ulp)
after a Cody–Waite reduction by π/2 in three parts, but with the quadrant
and the reduction's refinements chosen by arithmetic and selects instead of
branches. Only +, −, ×, fma-free IEEE operations and floor are used, so a
lane gets the same bits whether it is computed alone or in a vector, on any
x86-64 or ARM machine.

Range: exact reduction for |x| < 2²⁰·π/2 ≈ 1.6e6; beyond that (far outside
every surface's window, where a run is leaving the box) the reduction loses
a few bits, and for |x| ≥ 2⁵¹ it returns meaningless values (inf and NaN give
NaN). Compared with the C library the results differ in the last bit for a
small share of arguments, as two correct-to-1-ulp implementations do.
"""
from __future__ import annotations

import math

import numba
import numpy as np


def _double(bits: int) -> float:
    return float(np.array(bits, dtype=np.uint64).view(np.float64))


# musl src/math/__sin.c, __cos.c, __rem_pio2.c
S1, S2, S3 = _double(0xBFC5555555555549), _double(0x3F8111111110F8A6), _double(0xBF2A01A019C161D5)
S4, S5, S6 = _double(0x3EC71DE357B1FE7D), _double(0xBE5AE5E68A2B9CEB), _double(0x3DE5D93A5ACFD57C)
C1, C2, C3 = _double(0x3FA555555555554C), _double(0xBF56C16C16C15177), _double(0x3EFA01A019CB1590)
C4, C5, C6 = _double(0xBE927E4F809C52AD), _double(0x3E21EE9EBDB4B1C4), _double(0xBDA8FAE9BE8838D4)
INVPIO2 = _double(0x3FE45F306DC9C883)
PIO2_1, PIO2_1T = _double(0x3FF921FB54400000), _double(0x3DD0B4611A626331)
PIO2_2, PIO2_2T = _double(0x3DD0B4611A600000), _double(0x3BA3198A2E037073)
PIO2_3, PIO2_3T = _double(0x3BA3198A2E000000), _double(0x397B839A252049C1)
TOINT = 1.5 / np.finfo(np.float64).eps
PIO4 = _double(0x3FE921FB54442D18)
TINY = 2.0 ** -26  # below this, sin(x) rounds to x (musl returns x, keeping the sign of −0)

_INLINE = dict(inline="always", error_model="numpy")


@numba.njit(**_INLINE)
def _reduce(x):
    """(n, y0, y1): x = n·π/2 + y0 + y1 with |y0| ≲ π/4 (musl's medium case, all three rounds)."""
    fn = x * INVPIO2 + TOINT - TOINT
    r = x - fn * PIO2_1
    w = fn * PIO2_1T
    t = r  # 2nd round, good to 118 bits
    w = fn * PIO2_2
    r = t - w
    w = fn * PIO2_2T - ((t - r) - w)
    t = r  # 3rd round, good to 151 bits
    w = fn * PIO2_3
    r = t - w
    w = fn * PIO2_3T - ((t - r) - w)
    y0 = r - w
    y1 = (r - y0) - w
    return fn, y0, y1


@numba.njit(**_INLINE)
def _sin_poly(x, y, small):
    """musl __sin on [−π/4, π/4]; ``small``: x is the argument itself (no tail), musl's iy = 0."""
    z = x * x
    w = z * z
    r = S2 + z * (S3 + z * S4) + z * w * (S5 + z * S6)
    v = z * x
    return x + v * (S1 + z * r) if small else x - ((z * (0.5 * y - v * r) - y) - v * S1)


@numba.njit(**_INLINE)
def _cos_poly(x, y):
    """musl __cos on [−π/4, π/4]."""
    z = x * x
    w = z * z
    r = z * (C1 + z * (C2 + z * C3)) + w * w * (C4 + z * (C5 + z * C6))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + (z * r - x * y))


@numba.njit(**_INLINE)
def _quadrant(fn):
    return fn - 4.0 * math.floor(fn * 0.25)


@numba.njit(**_INLINE)
def sin(x):
    fn, y0, y1 = _reduce(x)
    small = abs(x) <= PIO4
    s = _sin_poly(y0, y1, small)
    c = _cos_poly(y0, y1)
    q = _quadrant(fn)
    out = s if q == 0.0 else (c if q == 1.0 else (-s if q == 2.0 else -c))
    return x if abs(x) < TINY else out


@numba.njit(**_INLINE)
def cos(x):
    fn, y0, y1 = _reduce(x)
    s = _sin_poly(y0, y1, False)
    c = _cos_poly(y0, y1)
    q = _quadrant(fn)
    return c if q == 0.0 else (-s if q == 1.0 else (-c if q == 2.0 else s))
