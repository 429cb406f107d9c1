"""torch.optim fed the engine's gradients: the reference for the engine's update rules.

``torch_fed`` feeds torch the engine's own recorded gradients, so that the update rules are compared
alone: the compiled gradient differs from NumPy's by an ulp at some steps (it is checked against NumPy
in test_surfaces), and on a chaotic path such a difference grows. ``ieee_sqrt`` makes torch's square
root correctly rounded: torch's CPU float64 ``sqrt`` (MKL's) is one ulp off in about 1 % of calls,
which is not what the lecture's formula asks; with it, the engine and torch.optim agree to the bit.
"""
import contextlib

import numpy as np
import torch

import optimizers
from optimizers import catalog

TORCH = {name: (getattr(torch.optim, e.torch), dict(e.torch_fixed)) for name, e in catalog.ENTRIES.items() if e.torch}


@contextlib.contextmanager
def ieee_sqrt():
    """Within the block, Tensor.sqrt and Tensor.sqrt_ round correctly (NumPy's sqrt, IEEE 754)."""
    sqrt, sqrt_ = torch.Tensor.sqrt, torch.Tensor.sqrt_

    def correct(self):
        return torch.from_numpy(np.sqrt(self.detach().numpy()))

    def correct_(self):
        return self.copy_(correct(self))
    torch.Tensor.sqrt, torch.Tensor.sqrt_ = correct, correct_
    try:
        yield
    finally:
        torch.Tensor.sqrt, torch.Tensor.sqrt_ = sqrt, sqrt_


def _optimizer(name, hyper, start, scheduler):
    """torch.optim's optimizer with every hyperparameter the engine's ``optimizers.get(name, **hyper)`` has
    (its defaults are torch's, except the momentum of SGD's two entries: 0.9 here, 0 in torch)."""
    cls, fixed = TORCH[name]
    settings = dict(optimizers.get(name, **hyper).settings)
    p = torch.tensor(np.asarray(start, dtype=np.float64), dtype=torch.float64, requires_grad=True)
    opt = cls([p], foreach=False, **{**fixed, **settings})
    return p, opt, (scheduler(opt) if scheduler else None)


def torch_fed(name, hyper, start, grads, scheduler=None):
    """Path (len(grads), 2) of torch.optim.<name>(**hyper) from ``start``, whose update t is fed
    grads[t] (the gradient the engine recorded at its θ_t); ``scheduler(opt)`` optional."""
    p, opt, sched = _optimizer(name, hyper, start, scheduler)
    out = [p.detach().numpy().copy()]
    for g in grads[:-1]:
        p.grad = torch.from_numpy(np.array(g, dtype=np.float64))
        opt.step()
        if sched is not None:
            sched.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)
