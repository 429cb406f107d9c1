"""App servers for the serving tests: started on a free port, always stopped."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import tempfile

from serving.deploy import ROOT, app_command, stop, wait_healthy


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def app_server(*options: str, script: str = "app.py"):
    """Yields ``(url, process)`` of a fresh ``streamlit run script`` with ``options``; stopped on exit."""
    port = free_port()
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a full pipe would block the server
    process = subprocess.Popen(app_command(port, *options, script=script), cwd=ROOT, stdout=log,
                               stderr=subprocess.STDOUT)
    try:
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process)
        except RuntimeError as exc:
            log.seek(0)
            raise RuntimeError(f"{exc}\n{log.read()[-4000:]}") from None
        yield f"http://127.0.0.1:{port}", process
    finally:
        stop(process)
        log.close()
