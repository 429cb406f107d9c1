"""The surfaces' gradients compiled with numba, selected by an integer id.

The trajectory kernel calls ``grad_at(kernel_id, x, y, p)``. Selecting the
surface by an id (rather than passing a function) keeps numba's on-disk cache
valid across processes. The order of ``FORMULAS`` is the id; a new surface
adds one entry here and one branch below.
"""
import numba

from . import classic, lecture

FORMULAS = (
    lecture.bowl_grad,
    lecture.crescent_grad,
    lecture.saddle_grad,
    lecture.bumpy_valley_grad,
    classic.rosenbrock_grad,
    classic.beale_grad,
    classic.himmelblau_grad,
    classic.rastrigin_grad,
    classic.six_hump_camel_grad,
)


def kernel_id(grad_fn) -> int:
    return FORMULAS.index(grad_fn)


_jit = numba.njit(inline="always", error_model="numpy")
_g0, _g1, _g2, _g3, _g4, _g5, _g6, _g7, _g8 = (_jit(f) for f in FORMULAS)


@numba.njit(inline="always", error_model="numpy")
def grad_at(sid, x, y, p):
    if sid == 0:
        return _g0(x, y, p)
    if sid == 1:
        return _g1(x, y, p)
    if sid == 2:
        return _g2(x, y, p)
    if sid == 3:
        return _g3(x, y, p)
    if sid == 4:
        return _g4(x, y, p)
    if sid == 5:
        return _g5(x, y, p)
    if sid == 6:
        return _g6(x, y, p)
    if sid == 7:
        return _g7(x, y, p)
    return _g8(x, y, p)
