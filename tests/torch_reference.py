"""torch.optim run on a surface, fed the surface's gradients: the reference for the engine."""
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


def torch_path(surface, name, hyper, start, steps, scheduler=None):
    """Path (steps+1, 2) of torch.optim.<name>(**hyper) from ``start``; ``scheduler(opt)`` optional."""
    cls, fixed = TORCH[name]
    p = torch.tensor(np.asarray(start, dtype=np.float64), dtype=torch.float64, requires_grad=True)
    opt = cls([p], foreach=False, **{**fixed, **hyper})
    sched = scheduler(opt) if scheduler else None
    out = [p.detach().numpy().copy()]
    for _ in range(steps):
        opt.zero_grad()
        p.grad = torch.from_numpy(surface.grad(p.detach().numpy()).copy())
        opt.step()
        if sched is not None:
            sched.step()
        out.append(p.detach().numpy().copy())
    return np.array(out)
