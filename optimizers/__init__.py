"""The trajectory engine: θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t.

- ``get(name, **hyperparameters)``: an optimizer (one choice of m, σ), torch.optim's names and defaults
- ``schedule(kind, **params)``: η_t as a multiple of lr
- ``simulate(surface, optimizer, starts, steps, ...)``: K trajectories at once
- ``classify(surface, point)``: what kind of critical point a run ended at
"""
from .catalog import Optimizer, get, names
from .critical import classify
from .engine import Noise, Trajectory, record_steps, simulate
from .schedules import Schedule, schedule, schedule_names


def warm_up() -> None:
    """Compile (or load from numba's disk cache) the kernel with a tiny run."""
    simulate("bowl", "adam", steps=2)


__all__ = ["Optimizer", "get", "names", "schedule", "schedule_names", "Schedule", "simulate", "Trajectory",
           "Noise", "record_steps", "classify", "warm_up"]
