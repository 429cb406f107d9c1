"""Machine code for a formula: the graph written as LLVM IR and compiled by LLVM's ORC JIT.

The compiled function is ``void formula(double x, double y, double *out)`` and writes
out[0] = L, out[1] = ∂L/∂x, out[2] = ∂L/∂y. The trajectory kernel calls it through its address
(``surfaces.compiled``), so the kernel itself is compiled once and stays in numba's disk cache
whatever formula runs. The IR is built node by node with llvmlite's builder from our own graph:
no text of the user's reaches the compiler, only operations from a fixed list and float64
constants. Arithmetic is plain IEEE (no fast-math, no fused multiply-add); square root and
absolute value are LLVM intrinsics, the other functions calls to the C library's (the ones numba
and NumPy call too).

Memory: code compiled into one JIT stays until that JIT is closed, even after its library is
released (about 8 kB a formula on this machine). So the JIT is replaced by a fresh one every
``GENERATION`` formulas, and an old one is closed once no formula compiled in it is referenced
any more: a server that sees many different formulas keeps a bounded amount of compiled code.
"""
from __future__ import annotations

import itertools
import threading

import llvmlite.binding as llvm
from llvmlite import ir
from numba.core.compiler_lock import global_compiler_lock

from .graph import Graph

GENERATION = 256  # formulas compiled into one JIT before the next one starts
_DOUBLE = ir.DoubleType()
_SIGNATURE = ir.FunctionType(ir.VoidType(), [_DOUBLE, _DOUBLE, _DOUBLE.as_pointer()])
_INTRINSICS = {"sqrt": "llvm.sqrt", "abs": "llvm.fabs"}
_LIBM = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh", "sinh": "sinh",
         "cosh": "cosh", "arctan": "atan", "pow": "pow"}


class _Generation:
    """One ORC JIT; closed when the last formula compiled into it is gone."""

    def __init__(self):
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        machine = llvm.Target.from_default_triple().create_target_machine(opt=3, jit=True)
        self.jit = llvm.create_lljit_compiler(machine)
        self.compiled = 0

    def __del__(self):
        jit = getattr(self, "jit", None)
        if jit is not None and not jit.closed:
            jit.close()


class NativeCode:
    """A compiled formula: ``address`` stays valid while this object lives."""

    def __init__(self, tracker, generation: _Generation, address: int):
        self._tracker, self._generation, self.address = tracker, generation, address

    def __del__(self):
        tracker = getattr(self, "_tracker", None)
        if tracker is not None:
            tracker.close()  # the library first, then (by dropping the reference) possibly its JIT
        self._generation = None


_lock = threading.Lock()
_current: list[_Generation] = []
_names = itertools.count()


def _emit(graph: Graph, outputs: tuple[int, ...], name: str) -> str:
    module = ir.Module(name=name)
    function = ir.Function(module, _SIGNATURE, name=name)
    function.attributes.add("nounwind")
    x, y, out = function.args
    builder = ir.IRBuilder(function.append_basic_block("entry"))
    declared = {}

    def callee(kind):
        if kind not in declared:
            if kind in _INTRINSICS:
                declared[kind] = module.declare_intrinsic(_INTRINSICS[kind], [_DOUBLE])
            else:
                arity = 2 if kind == "pow" else 1
                declared[kind] = ir.Function(module, ir.FunctionType(_DOUBLE, [_DOUBLE] * arity), name=_LIBM[kind])
        return declared[kind]

    def powi(a, n):
        result, base, k = None, a, abs(n)
        while k:
            if k & 1:
                result = base if result is None else builder.fmul(result, base)
            k >>= 1
            if k:
                base = builder.fmul(base, base)
        return builder.fdiv(ir.Constant(_DOUBLE, 1.0), result) if n < 0 else result

    values = {}
    for i, kind, args, value, _ in graph.plan(outputs):
        a = [values[j] for j in args]
        if kind == "x":
            values[i] = x
        elif kind == "y":
            values[i] = y
        elif kind == "const":
            values[i] = ir.Constant(_DOUBLE, value)
        elif kind == "add":
            values[i] = builder.fadd(*a)
        elif kind == "mul":
            values[i] = builder.fmul(*a)
        elif kind == "div":
            values[i] = builder.fdiv(*a)
        elif kind == "neg":
            values[i] = builder.fneg(a[0])
        elif kind == "powi":
            values[i] = powi(a[0], value)
        elif kind == "sign":
            zero = ir.Constant(_DOUBLE, 0.0)
            negative = builder.select(builder.fcmp_ordered("<", a[0], zero), ir.Constant(_DOUBLE, -1.0), a[0])
            values[i] = builder.select(builder.fcmp_ordered(">", a[0], zero), ir.Constant(_DOUBLE, 1.0), negative)
        else:
            values[i] = builder.call(callee(kind), a)
    for slot, index in enumerate(outputs):
        builder.store(values[index], builder.gep(out, [ir.Constant(ir.IntType(32), slot)]))
    builder.ret_void()
    return str(module)


def compile_native(graph: Graph, outputs: tuple[int, int, int]) -> NativeCode:
    """Machine code writing the three ``outputs`` (L, ∂L/∂x, ∂L/∂y) to out[0..2]."""
    with _lock:
        name = f"formula_{next(_names)}"
        source = _emit(graph, tuple(outputs), name)
        if not _current or _current[0].compiled >= GENERATION:
            _current[:] = [_Generation()]
        generation = _current[0]
        with global_compiler_lock:  # LLVM's context is shared with numba's compiler
            tracker = llvm.JITLibraryBuilder().add_ir(source).export_symbol(name).link(generation.jit, name)
        generation.compiled += 1
        return NativeCode(tracker, generation, tracker[name])
