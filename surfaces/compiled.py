"""The surfaces' gradients compiled with numba, selected by an integer id.

The trajectory kernel calls ``grad_at(kernel_id, x, y, p)`` for each run of a
block; this is the one seam between the kernel and the surfaces. The kernel is
compiled with the id as a constant, and ``grad_at`` then resolves, at compile
time, to that surface's formula alone, inlined: a block of runs vectorizes, and
the kernel never needs to know the surfaces. The order of ``FORMULAS`` is the
id: a new surface adds one entry here (and its factory in ``surfaces.catalog``).
Selecting by an id (rather than passing a function) keeps numba's on-disk cache
valid across processes. Called from Python, ``grad_at`` runs the same compiled
formula (the tests compare it with NumPy's).

The formulas are the NumPy ones of ``surfaces.lecture`` and ``surfaces.classic``,
compiled with ``np.sin`` and ``np.cos`` replaced by ``surfaces.kernel_math``'s
vectorizable versions (the C library's are calls the compiler cannot
vectorize); every other function is NumPy's as numba compiles it.

A surface typed as a formula (``surfaces.formula``) has the id ``FORMULA_ID``:
its ``p`` holds the address of the formula's own machine code and a check
value, and ``formula_grad`` calls that code. The address is data, so one
compiled kernel (and its disk cache) serves every formula.
"""
import types

import numba
import numpy as np
from llvmlite import ir
from numba.core import cgutils, errors
from numba.core import types as nbtypes
from numba.extending import intrinsic, overload

from . import classic, kernel_math, lecture

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


KERNEL_NUMPY = types.ModuleType("numpy_in_the_kernel")  # numpy, with the kernel's sin and cos
KERNEL_NUMPY.__dict__.update({k: v for k, v in vars(np).items() if not k.startswith("__")})
KERNEL_NUMPY.sin, KERNEL_NUMPY.cos = kernel_math.sin, kernel_math.cos


def compile_formula(fn):
    """``fn`` compiled for the kernel (inlined), its ``np`` being KERNEL_NUMPY."""
    globals_ = {**fn.__globals__, "np": KERNEL_NUMPY}
    copy = types.FunctionType(fn.__code__, globals_, fn.__name__, fn.__defaults__, fn.__closure__)
    copy.__module__, copy.__qualname__ = fn.__module__, fn.__qualname__
    return numba.njit(inline="always", error_model="numpy")(copy)


@intrinsic
def _call_formula(typingctx, address, x, y):
    """(L, ∂L/∂x, ∂L/∂y) from the compiled formula at ``address``: void f(double x, double y, double *out)."""
    sig = nbtypes.UniTuple(nbtypes.float64, 3)(nbtypes.int64, nbtypes.float64, nbtypes.float64)

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


COMPILED = tuple(compile_formula(f) for f in FORMULAS) + (formula_grad,)  # the last: FORMULA_ID


def grad_at(sid, x, y, p):
    """∇L at (x, y) of surface ``sid`` with parameters ``p`` (a float64 1-D array), compiled."""
    return COMPILED[sid](x, y, p)


@overload(grad_at, inline="always", prefer_literal=True)
def _grad_at(sid, x, y, p):
    if not isinstance(sid, nbtypes.IntegerLiteral):
        raise errors.TypingError("grad_at: in compiled code the surface id must be a compile-time constant")
    formula = COMPILED[sid.literal_value]

    def impl(sid, x, y, p):
        return formula(x, y, p)
    return impl
