"""The surfaces' gradients compiled with numba, selected by an integer id.

The trajectory kernel calls ``grad_at(kernel_id, x, y, p)``. Selecting the
surface by an id (rather than passing a function) keeps numba's on-disk cache
valid across processes. The order of ``FORMULAS`` is the id; a new surface
adds one entry here and one branch below.

A surface typed as a formula (``surfaces.formula``) has the id ``FORMULA_ID``:
its ``p`` holds the address of the formula's own machine code and a check
value, and ``formula_grad`` calls that code. The address is data, so one
compiled kernel (and its disk cache) serves every formula.
"""
import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

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
FORMULA_ID = len(FORMULAS)
FORMULA_CHECK = 1.4142135623730951e-77  # p[1] of a formula surface: a p made for another surface is refused


def kernel_id(grad_fn) -> int:
    return FORMULAS.index(grad_fn)


_jit = numba.njit(inline="always", error_model="numpy")
_g0, _g1, _g2, _g3, _g4, _g5, _g6, _g7, _g8 = (_jit(f) for f in FORMULAS)


@intrinsic
def _call_formula(typingctx, address, x, y):
    """(L, ∂L/∂x, ∂L/∂y) from the compiled formula at ``address``: void f(double x, double y, double *out)."""
    sig = types.UniTuple(types.float64, 3)(types.int64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        double = ir.DoubleType()
        function_type = ir.FunctionType(ir.VoidType(), [double, double, double.as_pointer()])
        out = cgutils.alloca_once(builder, double, size=3)  # in the entry block: once per kernel call
        builder.call(builder.inttoptr(args[0], function_type.as_pointer()), [args[1], args[2], out])
        values = [builder.load(builder.gep(out, [ir.Constant(ir.IntType(32), i)])) for i in range(3)]
        return context.make_tuple(builder, signature.return_type, values)

    return sig, codegen


@numba.njit(inline="always", error_model="numpy")
def formula_grad(x, y, p):
    """∇L of a formula surface, or NaN where L itself is not finite (log x at x < 0 has a finite
    derivative 1/x): the kernel then stops the run there, as it stops a divergence."""
    if p.shape[0] != 2 or p[1] != FORMULA_CHECK:
        return np.nan, np.nan
    loss, gx, gy = _call_formula(np.int64(p[0]), x, y)
    if not abs(loss) < np.inf:
        return np.nan, np.nan
    return gx, gy


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
    if sid == 8:
        return _g8(x, y, p)
    return formula_grad(x, y, p)
