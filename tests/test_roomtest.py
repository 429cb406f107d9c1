"""The class-room load test against the real set-up (two app processes behind nginx): it measures what it says."""
from __future__ import annotations

import pytest

from serving.capacity import cpu_seconds
from serving.roomtest import RoomPlan, run
from tests.serving_helpers import room_fleet

pytestmark = [pytest.mark.nginx, pytest.mark.slow]


def test_a_small_class_follows_every_push_and_every_submission_reaches_the_board(tmp_path, monkeypatch):
    with room_fleet(tmp_path, monkeypatch) as fleet:
        plan = RoomPlan(fleet.url, students=4, pushes=2, push_gap=2.0, idle=3.0, submit_window=3.0,
                        cpu_of=lambda: cpu_seconds([fleet.apps[1].pid]))
        result = run(plan)
    assert not result.errors, result.examples
    assert len(result.join_latencies) == 4 and all(0 < s < plan.timeout for s in result.join_latencies)
    assert result.push_missed == 0 and len(result.push_latencies) == 4 * 2
    assert all(0 < latency < plan.timeout for latency in result.push_latencies)
    assert result.submitted == 4 and result.board_rows == 4 and result.board_lag is not None
    assert result.polls > 0 and result.poll_cpu_ms > 0 and result.follow_cpu_ms > 0
