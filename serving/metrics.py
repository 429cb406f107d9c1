"""The app's cache counters from Streamlit's /_stcore/metrics: did a load test's reruns really compute?"""
from __future__ import annotations

import re
import urllib.request
from collections import defaultdict

from .protocol import local_url

METRICS_PATH = "/_stcore/metrics"
_LOOKUP = re.compile(r'^cache_lookups_total\{(?P<labels>[^}]*)\}\s+(?P<count>[0-9.e+]+)$')
_LABEL = re.compile(r'(\w+)="([^"]*)"')


def cache_lookups(text: str) -> dict[str, dict[str, int]]:
    """{cached function: {"hit": n, "miss": n}} from the Prometheus text of /_stcore/metrics
    (function names without their module, e.g. "simulate_view")."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"hit": 0, "miss": 0})
    for line in text.splitlines():
        m = _LOOKUP.match(line.strip())
        if not m:
            continue
        labels = dict(_LABEL.findall(m.group("labels")))
        name = labels.get("cache", "").rsplit(".", 1)[-1]
        if labels.get("result") in ("hit", "miss"):
            out[name][labels["result"]] += int(float(m.group("count")))
    return dict(out)


def fetch_cache_lookups(url: str, timeout: float = 10.0) -> dict[str, dict[str, int]]:
    """``cache_lookups`` of the app at ``url`` (one process: behind nginx, whichever answers)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(local_url(url) + METRICS_PATH, timeout=timeout) as response:
        return cache_lookups(response.read().decode())
