"""App servers for the serving tests: started on a free port, always stopped."""
from __future__ import annotations

import contextlib
import subprocess
import tempfile

from serving.deploy import ROOT, app_command, free_ports, stop, wait_healthy


@contextlib.contextmanager
def app_server(*options: str, script: str = "app.py"):
    """Yields ``(url, process)`` of a fresh ``streamlit run script`` with ``options``; stopped on exit."""
    port = free_ports()
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


REDIS_SERVER = "/usr/bin/redis-server"


@contextlib.contextmanager
def redis_server(timeout: float = 20.0):
    """Yields the ``redis://`` URL of a fresh Debian redis-server on a free port (no persistence); stopped on exit."""
    import shutil
    import time

    import redis

    binary = REDIS_SERVER if shutil.which(REDIS_SERVER) else shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError(f"redis-server not found at {REDIS_SERVER} or on PATH (Debian: apt-get install redis-server)")
    port = free_ports()
    folder = tempfile.TemporaryDirectory(prefix="descent-lab-redis-")
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", folder.name, "--protected-mode", "yes"], stdout=log, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"redis-server did not start on port {port}: {log.read()[-2000:]}") from None
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        stop(process)
        log.close()
        folder.cleanup()


@contextlib.contextmanager
def room_fleet(folder, monkeypatch):
    """Two app processes behind nginx, as scripts/serve runs them, on a fresh SQLite room store in ``folder``.

    nginx's state stays in its own temporary directory under /tmp: started as root, nginx's workers run as
    nobody, who cannot reach pytest's folders (mode 0700), and a large response (Streamlit's Plotly bundle)
    that nginx buffers to a temporary file there would come out cut short."""
    from serving.deploy import Fleet

    monkeypatch.setenv("DESCENT_LAB_STORE", f"sqlite:///{folder / 'rooms.sqlite3'}")
    log = open(folder / "fleet.log", "w")
    fleet = Fleet.on_free_ports(2, output=log)
    try:
        fleet.start()
        yield fleet
    finally:
        fleet.stop()
        log.close()
