"""Shared fixtures: the running app for browser tests, and chromium's launch settings.

Browser tests are marked ``browser``. They need Debian's chromium at
/usr/bin/chromium (``scripts/test`` installs it where it can); without it they
are skipped locally, but under CI (the CI environment variable set) a missing
browser is a failure, so CI can never pass by skipping them. Tests marked
``nginx`` need Debian's nginx (/usr/sbin/nginx, or nginx on PATH) the same way.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SERVER_START_TIMEOUT_S = 60.0
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def chromium_available() -> bool:
    return os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)


def nginx_available() -> bool:
    from serving.deploy import nginx_binary

    return nginx_binary() is not None


def _require(item, marker: str, available, what: str) -> None:
    """Skip a test marked ``marker`` when ``available()`` is false; under CI, fail instead."""
    if item.get_closest_marker(marker) is None or available():
        return
    if in_ci():
        pytest.fail(f"{marker} test needs {what}, which is missing; CI is set, so this is a failure, "
                    "not a skip (scripts/test installs it with apt-get when run as root)", pytrace=False)
    pytest.skip(f"{what} not found (install it with apt-get, or run scripts/test as root)")


def pytest_runtest_setup(item):
    _require(item, "browser", chromium_available, f"Debian's chromium at {CHROMIUM}")
    _require(item, "nginx", nginx_available, "Debian's nginx (/usr/sbin/nginx)")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except OSError:
        return False


@pytest.fixture(scope="session")
def app_server():
    """Base URL of ``streamlit run app.py`` started from the repository root for this test session."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless=true", f"--server.port={port}", "--server.address=127.0.0.1",
        "--browser.gatherUsageStats=false", "--server.fileWatcherType=none",
    ]
    log = tempfile.TemporaryFile(mode="w+")  # a file, not a pipe: a full pipe would block the server
    server = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _healthy(url):
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                reason = f"exited with {server.returncode}" if server.poll() is not None else "timed out"
                pytest.fail(f"streamlit server {reason} before {url}/_stcore/health said ok:\n{log.read()[-4000:]}",
                            pytrace=False)
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: use Debian's chromium (never ``playwright install``), headless."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }
