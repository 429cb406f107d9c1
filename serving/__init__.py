"""Serving a class: a browser-like load test, and several app processes behind nginx.

- ``protocol``: one browser session on Streamlit's websocket protocol.
- ``stats``: percentiles and the summary of a load test (pure functions).
- ``loadtest``: N sessions moving a slider on a schedule, for a bounded time.
- ``metrics``: the app's cache counters (did the reruns compute?).
- ``deploy``: the nginx configuration and the processes that ``scripts/serve`` runs.
- ``capacity``: start-up time and load tests on freshly started processes (benchmarks/record.py).
"""
