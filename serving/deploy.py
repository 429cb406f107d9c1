"""Several app processes behind nginx with sticky sessions: the nginx configuration and the processes.

``scripts/serve`` is the command line; ``Fleet`` starts, watches and stops
what it runs:

- ``processes`` × ``streamlit run app.py`` on consecutive ports from
  ``first_app_port``, each listening on 127.0.0.1 only;
- nginx on ``address:port`` (the one public port), run as the current user
  with its configuration, pid, logs and temporary files under ``state_dir``.

One Streamlit process runs every session's script under one interpreter
lock, so it uses about one core; more processes use more cores.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("nginx.conf.template")
NGINX = "/usr/sbin/nginx"
STICKY_COOKIE = "descent_lab_backend"
HEALTH_PATH = "/_stcore/health"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0


def backend_name(index: int) -> str:
    """The name of process ``index`` in nginx's configuration and in the sticky cookie."""
    return f"app{index}"


def nginx_binary() -> str | None:
    """Debian's nginx, or the first ``nginx`` on PATH; None when there is none."""
    if os.access(NGINX, os.X_OK):
        return NGINX
    return shutil.which("nginx")


def split_lines(count: int) -> list[str]:
    """split_clients entries giving each of ``count`` processes an equal share (the last takes the rest)."""
    share = f"{int(10_000 / count) / 100:.2f}%"  # two decimals, rounded down: the shares never exceed 100%
    return [f"        {share} {backend_name(i)};" for i in range(count - 1)] + [f"        * {backend_name(count - 1)};"]


def render_config(app_ports, listen: str, prefix) -> str:
    """The nginx configuration for processes on ``app_ports``, listening on ``listen`` (``host:port``),
    with pid, logs and temporary files under ``prefix``."""
    ports = [int(p) for p in app_ports]
    if not ports:
        raise ValueError("render_config: app_ports is empty; give at least one process")
    upstreams = "\n".join(
        f"    upstream {backend_name(i)} {{\n        server 127.0.0.1:{port};\n    }}\n" for i, port in enumerate(ports))
    whitelist = "\n".join(f"        {backend_name(i)} {backend_name(i)};" for i in range(len(ports)))
    fields = {"PREFIX": str(prefix), "COOKIE": STICKY_COOKIE, "LISTEN": listen, "UPSTREAMS": upstreams,
              "SPLIT": "\n".join(split_lines(len(ports))), "WHITELIST": whitelist}
    text = TEMPLATE.read_text()
    for name, value in fields.items():
        text = text.replace("{{" + name + "}}", value)
    return text


def app_command(port: int, *options: str, script: str = "app.py", python: str = sys.executable) -> list[str]:
    """One app process on 127.0.0.1:``port`` (only nginx faces the students); ``options`` such as
    ``--server.disconnectedSessionTTL=5`` go to ``streamlit run``."""
    return [python, "-m", "streamlit", "run", script, f"--server.port={port}", "--server.address=127.0.0.1",
            "--server.headless=true", "--server.fileWatcherType=none", "--browser.gatherUsageStats=false", *options]


def nginx_command(prefix, config) -> list[str]:
    """nginx in the foreground, every path under ``prefix`` (``-e``: even start-up errors go there)."""
    binary = nginx_binary()
    if binary is None:
        raise FileNotFoundError(f"nginx not found at {NGINX} or on PATH (Debian: apt-get install nginx)")
    return [binary, "-p", str(prefix), "-c", str(config), "-e", f"{prefix}/error.log", "-g", "daemon off;"]


def healthy(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` + /_stcore/health answers ``ok``."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url.rstrip("/") + HEALTH_PATH, timeout=timeout) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except OSError:
        return False


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = START_TIMEOUT_S) -> float:
    """Seconds until ``url`` is healthy; raises RuntimeError if ``process`` exits or time runs out."""
    started = time.monotonic()
    while not healthy(url):
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited with {process.returncode} before it was healthy")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{url}: not healthy after {timeout:.0f} s")
        time.sleep(0.1)
    return time.monotonic() - started


def stop(process: subprocess.Popen, timeout: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; returns once the process is gone."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _any_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int = 1, tries: int = 100) -> int:
    """The first of ``count`` consecutive local ports that are free now (a fleet's app processes take
    consecutive ports; on a busy machine the one after a free port is often some connection's own)."""
    for _ in range(tries):
        first = _any_free_port()
        if first + count <= 65536 and all(_bindable(first + k) for k in range(count)):
            return first
    raise RuntimeError(f"free_ports: no {count} consecutive free ports found in {tries} tries")


class Fleet:
    """App processes and nginx: ``start()``, then ``wait()`` until one exits, then ``stop()``."""

    def __init__(self, processes: int = 2, port: int = 8080, first_app_port: int = 8501,
                 address: str = "127.0.0.1", state_dir=None, output=None):
        if not 1 <= processes <= 64:
            raise ValueError(f"Fleet: processes = {processes} is out of range; allowed 1 to 64")
        self.app_ports = [first_app_port + i for i in range(processes)]
        if port in self.app_ports:
            raise ValueError(f"Fleet: port {port} is also an app port ({self.app_ports})")
        self.port, self.address = port, address
        self._own_state_dir = state_dir is None
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="descent-lab-nginx-"))
        self.output = output  # where the children write (None: this process's stdout and stderr)
        self.apps: list[subprocess.Popen] = []
        self.nginx: subprocess.Popen | None = None

    @classmethod
    def on_free_ports(cls, processes: int = 2, **options) -> "Fleet":
        """A fleet on ports free now (tests and benchmarks): nginx on one, the app processes on a run of others."""
        return cls(processes, free_ports(), free_ports(processes), **options)

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "") else self.address
        return f"http://{host}:{self.port}"

    def app_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.app_ports[index]}"

    def write_config(self) -> Path:
        (self.state_dir / "tmp").mkdir(parents=True, exist_ok=True)
        # nginx started as root runs its workers as nobody: they must reach the temp directories.
        os.chmod(self.state_dir, 0o711)
        config = self.state_dir / "nginx.conf"
        config.write_text(render_config(self.app_ports, f"{self.address}:{self.port}", self.state_dir))
        return config

    def start(self) -> None:
        """Start every app process, wait until each is healthy, then start nginx and wait for it."""
        config = self.write_config()
        for port in self.app_ports:
            self.apps.append(subprocess.Popen(app_command(port), cwd=ROOT, stdout=self.output,
                                              stderr=subprocess.STDOUT if self.output else None))
        for index, app in enumerate(self.apps):
            wait_healthy(self.app_url(index), app)
        self.nginx = subprocess.Popen(nginx_command(self.state_dir, config), cwd=self.state_dir,
                                      stdout=self.output, stderr=subprocess.STDOUT if self.output else None)
        wait_healthy(self.url, self.nginx)

    def children(self) -> list[subprocess.Popen]:
        return self.apps + ([self.nginx] if self.nginx else [])

    def wait(self, poll_s: float = 0.5) -> subprocess.Popen:
        """Block until one of the processes exits; returns it."""
        while True:
            for child in self.children():
                if child.poll() is not None:
                    return child
            time.sleep(poll_s)

    def stop(self) -> None:
        """Stop nginx first (no new requests), then the apps; remove the state directory if it was ours."""
        for child in reversed(self.children()):
            stop(child)
        if self._own_state_dir:
            shutil.rmtree(self.state_dir, ignore_errors=True)
