"""Shared fixtures: the running app for browser tests, and chromium's launch settings.

Browser tests are marked ``browser``. They need Debian's chromium at
/usr/bin/chromium (``scripts/test`` installs it where it can); without it they
are skipped locally, but under CI (the CI environment variable set) a missing
browser is a failure, so CI can never pass by skipping them. Tests marked
``nginx`` need Debian's nginx (/usr/sbin/nginx, or nginx on PATH) the same way, and tests marked
``redis`` Debian's redis-server (a real server, started per test session on a free port).
"""
from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
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


def redis_available() -> bool:
    import shutil

    from tests.serving_helpers import REDIS_SERVER

    return os.access(REDIS_SERVER, os.X_OK) or shutil.which("redis-server") is not None


def pytest_runtest_setup(item):
    _require(item, "browser", chromium_available, f"Debian's chromium at {CHROMIUM}")
    _require(item, "nginx", nginx_available, "Debian's nginx (/usr/sbin/nginx)")
    _require(item, "redis", redis_available, "Debian's redis-server (/usr/bin/redis-server)")


@pytest.fixture(scope="session")
def app_server():
    """Base URL of ``streamlit run app.py`` started from the repository root for this test session."""
    from tests.serving_helpers import app_server as running_app

    try:
        with running_app() as (url, _process):
            yield url
    except RuntimeError as exc:  # it exited or never answered /_stcore/health
        pytest.fail(f"streamlit server did not start: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def redis_url():
    """``redis://`` URL of a real redis-server started for this test session (never a fake)."""
    from tests.serving_helpers import redis_server

    if not redis_available():
        pytest.skip("redis-server not found")  # tests that use it are marked redis: CI fails them first
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright: use Debian's chromium (never ``playwright install``), headless."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_ARGS,
    }
