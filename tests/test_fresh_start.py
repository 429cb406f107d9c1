"""The README's start command on a new machine: ``scripts/start`` from a fresh clone, with a plain Debian
Python (/usr/bin/python3, which refuses ``pip install`` outside a virtual environment) first on PATH and
no virtual environment active. It makes the project's .venv, installs requirements.txt there, and serves
the app: /_stcore/health answers and the Playground runs without an exception."""
import os
import shutil
import subprocess
import tempfile

import psutil
import pytest

from serving.deploy import ROOT, stop, wait_healthy
from serving.loadtest import run_coroutine
from serving.protocol import Session
from tests.conftest import in_ci
from serving.deploy import free_ports

DEBIAN_PYTHON = "/usr/bin/python3"
INSTALL_S = 1800  # a new virtual environment with torch from the package index: minutes


def plain_environment() -> dict:
    """This environment without any sign of a Python environment: PATH of the system's own directories."""
    drop = ("VIRTUAL_ENV", "PYTHON", "PYTHONPATH", "PYTHONHOME", "CONDA_PREFIX")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["PATH"] = "/usr/bin:/bin:/usr/sbin:/sbin"
    return env


async def playground_once(url: str):
    session = await Session.open(url, "playground", timeout=300)
    result = await session.run(timeout=300)
    await session.close()
    return result


@pytest.mark.slow
def test_scripts_start_serves_the_app_from_a_fresh_clone_with_debians_python(tmp_path):
    if not (os.path.isfile(DEBIAN_PYTHON) and shutil.which("git")):
        if in_ci():
            pytest.fail(f"{DEBIAN_PYTHON} or git is missing; CI is set, so this is a failure, not a skip")
        pytest.skip(f"{DEBIAN_PYTHON} or git not found")
    clone = tmp_path / "descent-lab"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    assert not (clone / ".venv").exists()
    port = free_ports()
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(
            ["scripts/start", f"--server.port={port}", "--server.address=127.0.0.1", "--server.headless=true",
             "--server.fileWatcherType=none", "--browser.gatherUsageStats=false"],
            cwd=clone, env=plain_environment(), stdout=log, stderr=subprocess.STDOUT)
        try:
            try:
                wait_healthy(f"http://127.0.0.1:{port}", process, timeout=INSTALL_S)
            except RuntimeError as exc:
                log.seek(0)
                pytest.fail(f"{exc}\n{log.read()[-4000:]}", pytrace=False)
            # the server runs in the clone's own virtual environment (scripts/start execs its python), made
            # from Debian's Python
            assert psutil.Process(process.pid).cmdline()[:3] == [".venv/bin/python", "-m", "streamlit"]
            cfg = (clone / ".venv" / "pyvenv.cfg").read_text()
            assert "home = /usr/bin" in cfg, cfg
            result = run_coroutine(playground_once(f"http://127.0.0.1:{port}"))
            assert result.ok, (result.status, result.exceptions)
            assert not [a for a in result.alerts if "Traceback" in a]
        finally:
            stop(process)
