"""What a load test reports: percentiles of latencies, reruns per second, errors (pure functions)."""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field


def percentile(values, q: float) -> float:
    """The ``q``-th percentile (0 ≤ q ≤ 100) of ``values`` by linear interpolation between the two
    nearest ranks (NumPy's default ``method="linear"``); NaN for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile: q = {q} is out of range; allowed 0 to 100")
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return math.nan
    rank = (len(ordered) - 1) * q / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Summary:
    """One load test: ``sessions`` moving a slider every ``interval`` s for ``duration`` s."""
    sessions: int
    interval: float
    duration: float  # seconds during which moves were made (the measuring window)
    moves: int  # slider moves whose reruns finished without error
    reruns_per_s: float
    p50: float
    p95: float
    p99: float
    max: float
    errors: int
    error_kinds: dict = field(default_factory=dict)  # short description -> count
    error_examples: dict = field(default_factory=dict)  # short description -> one full message
    load_p50: float = math.nan  # opening the page: GET + first run, median over sessions
    load_max: float = math.nan
    backends: dict = field(default_factory=dict)  # sticky cookie value -> sessions (behind nginx)
    bytes_p50: float = math.nan  # bytes a browser received per move (websocket and fetched media), median

    def row(self) -> str:
        """One Markdown table row: N | reruns/s | p50 | p95 | p99 | max | errors."""
        return (f"| {self.sessions} | {self.reruns_per_s:.2f} | {self.p50:.3f} | {self.p95:.3f} | {self.p99:.3f} | "
                f"{self.max:.3f} | {self.errors} |")


TABLE_HEADER = ("| sessions | reruns/s | p50 s | p95 s | p99 s | max s | errors |\n"
                "|---|---|---|---|---|---|---|")


def summarize(sessions: int, interval: float, duration: float, latencies, errors, loads=(), backends=(),
              examples=None, sizes=()) -> Summary:
    """The summary of a run: ``latencies`` of the moves that finished (seconds from the move to the
    finished rerun), ``errors`` one short description per failure, ``loads`` the seconds each
    session took to open the page, ``backends`` each session's sticky cookie value (if any),
    ``examples`` one full message per kind of error, ``sizes`` the bytes received for each move."""
    if duration <= 0:
        raise ValueError(f"summarize: duration = {duration} is not positive")
    latencies = list(latencies)
    loads = list(loads)
    return Summary(
        sessions=sessions, interval=interval, duration=duration, moves=len(latencies),
        reruns_per_s=len(latencies) / duration,
        p50=percentile(latencies, 50), p95=percentile(latencies, 95), p99=percentile(latencies, 99),
        max=max(latencies, default=math.nan), errors=len(errors), error_kinds=dict(Counter(errors)),
        error_examples=dict(examples or {}),
        load_p50=percentile(loads, 50), load_max=max(loads, default=math.nan),
        backends=dict(Counter(b for b in backends if b)), bytes_p50=percentile(list(sizes), 50),
    )
