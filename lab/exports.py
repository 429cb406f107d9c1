"""The trajectories of a view as CSV, and back.

One row per recorded step per run, a single header row, nothing else (no ``#`` comments), so that
``csv``, ``numpy.genfromtxt`` and spreadsheets read it as it is:

    run,step,theta1,theta2,loss,eta,diverged
    Run 1 · gd η=0.01,0,-1.5,2.0,12.34,0.01,0

``theta1``, ``theta2``: θ at that step; ``loss``: L(θ); ``eta``: η_t, the scheduled rate of the update
that leaves θ; ``diverged``: 1 on the records at or after the run's divergence step (the engine repeats
the last good point there), else 0. Floats are written with ``repr`` (the shortest text that reads back
to the same float64), so a round trip is exact; NaN and infinities are written ``nan``, ``inf``, ``-inf``.
"""
from __future__ import annotations

import csv
import io

import numpy as np

COLUMNS = ("run", "step", "theta1", "theta2", "loss", "eta", "diverged")


def _column(values) -> list[str]:
    return list(map(repr, np.asarray(values, dtype=np.float64).tolist()))


def runs_csv(runs, surface) -> str:
    """The runs (RunViews) as CSV text with the columns ``COLUMNS``; rows ordered by run, then step.

    ``surface`` gives L(θ) for a run recorded without its loss."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for run in runs:
        steps = np.asarray(run.steps)
        path = np.asarray(run.path, dtype=np.float64)
        loss = run.trajectory.loss
        loss = surface.loss(path) if loss is None else loss[0]
        eta = np.broadcast_to(np.asarray(run.eta, dtype=np.float64), steps.shape)
        diverged = (steps >= run.diverged_at) if run.diverged_at >= 0 else np.zeros(steps.shape, dtype=bool)
        # Column-wise formatting (map over whole lists) is about 3× faster than a csv row per record;
        # csv.writer still quotes a label that holds a comma or a quote.
        writer.writerows(zip([run.label] * len(steps), map(str, steps.tolist()), _column(path[:, 0]),
                             _column(path[:, 1]), _column(loss), _column(eta),
                             map(str, diverged.astype(int).tolist())))
    return buffer.getvalue()


def parse_runs_csv(text: str) -> dict[str, dict[str, np.ndarray]]:
    """Read ``runs_csv`` text back: ``{label: {"step", "path" (N, 2), "loss", "eta", "diverged"}}``,
    runs in file order. Raises ValueError when the header is not ``COLUMNS``."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(header) != COLUMNS:
        raise ValueError(f"parse_runs_csv: header = {header!r}; expected {','.join(COLUMNS)}")
    rows: dict[str, list] = {}
    for line, row in enumerate(reader, start=2):
        if len(row) != len(COLUMNS):
            raise ValueError(f"parse_runs_csv: line {line} has {len(row)} fields; expected {len(COLUMNS)}")
        rows.setdefault(row[0], []).append(row[1:])
    out = {}
    for label, records in rows.items():
        step, x, y, loss, eta, diverged = zip(*records)
        out[label] = {
            "step": np.array(step, dtype=np.int64),
            "path": np.column_stack([np.array(x, dtype=np.float64), np.array(y, dtype=np.float64)]),
            "loss": np.array(loss, dtype=np.float64),
            "eta": np.array(eta, dtype=np.float64),
            "diverged": np.array(diverged, dtype=np.int64).astype(bool),
        }
    return out
