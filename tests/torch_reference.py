"""torch.optim fed given gradients: the reference for the engine's update rules.

The engine records the gradient it used at every step (``simulate(..., record=("path", "grad"))``) and
torch is fed exactly those, so both sides apply their rule to the same numbers. (The surfaces' compiled
gradients differ from NumPy's by an ulp at some points; on a chaotic path that alone would grow into a
visible gap, so they are checked against NumPy separately.)

torch's CPU float64 ``sqrt`` is not correctly rounded: about one result in eighty is one ulp off IEEE's
(test_optimizers_torch checks that bound). Inside ``torch_path`` it is replaced by IEEE's square root,
so that what is compared is the update rules, bit for bit.
"""
import contextlib

import numpy as np
import torch

TORCH = {
    "gd": (torch.optim.SGD, {}),
    "momentum": (torch.optim.SGD, {"momentum": 0.9}),
    "nesterov": (torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
    "adagrad": (torch.optim.Adagrad, {}),
    "rmsprop": (torch.optim.RMSprop, {}),
    "adam": (torch.optim.Adam, {}),
    "adamw": (torch.optim.AdamW, {}),
    "radam": (torch.optim.RAdam, {}),
}


def _ieee_sqrt(tensor):
    return torch.from_numpy(np.sqrt(tensor.detach().numpy()))


def _ieee_sqrt_(tensor):
    return tensor.copy_(_ieee_sqrt(tensor))


@contextlib.contextmanager
def ieee_sqrt():
    """Within the block, ``Tensor.sqrt`` and ``Tensor.sqrt_`` (what torch.optim's single-tensor rules call)
    round correctly."""
    saved = torch.Tensor.sqrt, torch.Tensor.sqrt_
    torch.Tensor.sqrt, torch.Tensor.sqrt_ = _ieee_sqrt, _ieee_sqrt_
    try:
        yield
    finally:
        torch.Tensor.sqrt, torch.Tensor.sqrt_ = saved


def torch_path(name, hyper, start, grads, scheduler=None):
    """Path (len(grads) + 1, 2) of torch.optim.<name>(**hyper) from ``start``, fed ``grads[t]`` at step t;
    ``scheduler(opt)`` optional."""
    cls, fixed = TORCH[name]
    p = torch.tensor(np.asarray(start, dtype=np.float64), dtype=torch.float64, requires_grad=True)
    opt = cls([p], foreach=False, **{**fixed, **hyper})
    sched = scheduler(opt) if scheduler else None
    out = [p.detach().numpy().copy()]
    with ieee_sqrt():
        for g in np.asarray(grads, dtype=np.float64):
            opt.zero_grad()
            p.grad = torch.from_numpy(g.copy())
            opt.step()
            if sched is not None:
                sched.step()
            out.append(p.detach().numpy().copy())
    return np.array(out)
