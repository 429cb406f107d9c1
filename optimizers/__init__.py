"""The trajectory engine: θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t.

- ``get(name, **hyperparameters)``: an optimizer (one choice of m, σ), torch.optim's names and defaults;
  the rules are registry entries (``optimizers.rules``), the optimizers entries of ``optimizers.catalog``
- ``schedule(kind, **params)``: η_t as a multiple of lr
- ``simulate(surface, optimizer, starts, steps, ...)``: K trajectories at once
- ``classify(surface, point)``: what kind of critical point a run ended at
"""
from .catalog import VARIANTS, Optimizer, get, names
from .catalog import names as names_
from .critical import classify
from .engine import Noise, Trajectory, record_steps, simulate
from .schedules import Schedule, schedule, schedule_names


def warm_up(names=("adam",), everything: bool = False) -> None:
    """Compile, or load from numba's disk cache, the kernels of the optimizers ``names`` (each rule pair
    has two, one recording m and η/σ and one not, compiled on their first run) and the compiled gradient
    of every surface.

    ``everything``: every optimizer and variant (minutes the first time, about a second from the
    cache): what an image built for serving does once (Dockerfile)."""
    import surfaces

    from . import kernel

    for sid in range(len(surfaces.names())):
        kernel.surface(sid)
    for name in names_() if everything else names:
        for variant in VARIANTS:
            opt = get(name, variant=variant)
            simulate("bowl", opt, steps=2, record=())
            simulate("bowl", opt, steps=2)


__all__ = ["VARIANTS", "Optimizer", "get", "names", "schedule", "schedule_names", "Schedule", "simulate", "Trajectory",
           "Noise", "record_steps", "classify", "warm_up"]
