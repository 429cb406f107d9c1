"""RunView: one run as the pages and figures see it (a K = 1 trajectory, its label, colour and η_t)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import i18n
from optimizers import Trajectory

# Distinct on the Viridis map (dark floor, yellow walls) and on white and dark pages.
PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7")


@dataclass(frozen=True, eq=False)
class RunView:
    label: str  # e.g. "Run 1 · adam"
    color: str
    trajectory: Trajectory  # one run (K = 1); records every step for the inspector
    eta: np.ndarray  # η_t at each recorded step, shape (N,)

    @property
    def steps(self) -> np.ndarray:
        return self.trajectory.steps

    @property
    def path(self) -> np.ndarray:
        return self.trajectory.path[0]

    @property
    def diverged_at(self) -> int:
        return int(self.trajectory.diverged_at[0])

    @property
    def last_good(self) -> int:
        """Index (into steps) of the last recorded point before a divergence, else the last."""
        if self.diverged_at < 0:
            return len(self.steps) - 1
        return int(np.searchsorted(self.steps, self.diverged_at) - 1)

    def divergence_note(self, lang: str = "en") -> str:
        """'' or the message shown on the map and in the legend."""
        if self.diverged_at < 0:
            return ""
        return i18n.text("map.diverged_note", lang, step=f"{self.diverged_at:,}")
