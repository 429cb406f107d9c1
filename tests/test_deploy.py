"""Serving a class: scripts/serve runs app processes behind nginx with sticky sessions; the Dockerfile runs it too."""
from __future__ import annotations

import importlib.util
import json
import re
import signal
import subprocess
import sys
import time
import urllib.request
from importlib.machinery import SourceFileLoader
from pathlib import Path

import psutil
import pytest

from serving.deploy import (ROOT, STICKY_COOKIE, Fleet, backend_name, healthy, nginx_command, render_config,
                            free_ports, split_lines, stop)
from serving.loadtest import Plan, run

PROCESSES = 2  # what the tests run, and what the Dockerfile runs
START_TIMEOUT_S = 120.0


def load_serve_script():
    """scripts/serve as a module (its main() does not run)."""
    loader = SourceFileLoader("serve_script", str(ROOT / "scripts" / "serve"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


# ----------------------------------------------------------------- the nginx configuration
@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_split_clients_shares_are_even_and_never_exceed_everyone(count):
    lines = split_lines(count)
    assert [line.split()[-1] for line in lines] == [f"{backend_name(i)};" for i in range(count)]
    assert lines[-1].split()[0] == "*"
    shares = [float(line.split()[0].rstrip("%")) for line in lines[:-1]]
    assert sum(shares) <= 100.0 and all(share == pytest.approx(100.0 / count, abs=0.01) for share in shares)


def test_config_routes_each_known_cookie_to_its_own_process(tmp_path):
    text = render_config([8601, 8602, 8603], "127.0.0.1:8600", tmp_path)
    assert not re.search(r"{{[A-Z]+}}", text)  # every field filled in
    for i, port in enumerate([8601, 8602, 8603]):
        assert re.search(rf"upstream app{i} {{\s*server 127\.0\.0\.1:{port};\s*}}", text)
        assert re.search(rf"^\s*app{i} app{i};$", text, re.M)  # the whitelist
    assert f"map $cookie_{STICKY_COOKIE} $known_backend" in text
    assert "listen 127.0.0.1:8600;" in text and f"pid {tmp_path}/nginx.pid;" in text
    with pytest.raises(ValueError, match="empty"):
        render_config([], "127.0.0.1:8600", tmp_path)


def test_a_fleet_on_free_ports_skips_a_run_with_a_busy_port_and_keeps_nginx_apart(tmp_path, monkeypatch):
    import socket

    import serving.deploy as D

    with socket.socket() as taken:  # the port right after the one offered first for the apps is busy
        taken.bind(("127.0.0.1", 0))
        busy = taken.getsockname()[1]
        offered = iter([busy - 1, busy - 1] + [D._any_free_port() for _ in range(20)])  # nginx, then the apps
        monkeypatch.setattr(D, "_any_free_port", lambda: next(offered))
        fleet = Fleet.on_free_ports(3, state_dir=tmp_path)
        ports = fleet.app_ports
        assert ports == list(range(ports[0], ports[0] + 3)) and fleet.port not in ports
        assert busy not in ports and ports[0] != busy - 1
        for port in ports:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", port))  # raises if the port were in use


@pytest.mark.nginx
def test_nginx_accepts_the_config(tmp_path):
    fleet = Fleet.on_free_ports(3, state_dir=tmp_path)
    config = fleet.write_config()
    check = subprocess.run(nginx_command(tmp_path, config) + ["-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr


# ----------------------------------------------------------------- scripts/serve, for real
def start_serve(state_dir: Path):
    """scripts/serve with PROCESSES app processes; returns (process, url, app ports) once nginx is healthy."""
    port, first = free_ports(), free_ports(PROCESSES)
    while port in range(first, first + PROCESSES):
        port, first = free_ports(), free_ports(PROCESSES)
    log = open(state_dir.parent / "serve.log", "w")
    serve = subprocess.Popen([sys.executable, "scripts/serve", "--processes", str(PROCESSES), "--port", str(port),
                              "--first-app-port", str(first), "--state-dir", str(state_dir)],
                             cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while not (healthy(url) and (state_dir / "nginx.pid").exists()):
        if serve.poll() is not None or time.monotonic() > deadline:
            stop(serve)
            pytest.fail(f"scripts/serve did not come up:\n{(state_dir.parent / 'serve.log').read_text()[-4000:]}")
        time.sleep(0.2)
    return serve, url, [first + i for i in range(PROCESSES)]


def family(process) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


def gone(processes, timeout: float = 30.0) -> bool:
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return not alive


def stream_requests(access_log: Path) -> list[tuple[str, int]]:
    """(cookie value, upstream port) of every websocket nginx passed on (status 101)."""
    rows = []
    for line in access_log.read_text().splitlines():
        m = re.search(r'"GET /_stcore/stream [^"]*" 101 cookie="([^"]*)" backend=\S+ upstream=127\.0\.0\.1:(\d+)', line)
        if m:
            rows.append((m.group(1), int(m.group(2))))
    return rows


def get_with_cookie(url: str, value: str) -> str:
    """The sticky cookie nginx sets in answer to a request that carried ``value``."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(url + "/_stcore/health", headers={"Cookie": f"{STICKY_COOKIE}={value}"})
    with opener.open(request, timeout=10) as response:
        cookies = response.headers.get_all("Set-Cookie") or []
    return next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith(STICKY_COOKIE + "="))


@pytest.mark.nginx
@pytest.mark.slow
def test_a_class_through_nginx_sticks_to_its_processes_and_both_take_load(tmp_path):
    state = tmp_path / "nginx"
    serve, url, ports = start_serve(state)
    children = family(serve)
    try:
        summary = run(Plan(url, sessions=8, interval=1.0, duration=5.0, ramp=1.0, timeout=60.0))
        assert summary.errors == 0, summary.error_examples
        assert summary.moves == 8 * 5
        assert set(summary.backends) == {backend_name(i) for i in range(PROCESSES)}  # both processes took sessions

        port_of = {backend_name(i): port for i, port in enumerate(ports)}
        streams = stream_requests(state / "access.log")
        assert len(streams) == 8
        assert all(port_of[cookie] == port for cookie, port in streams)  # each websocket went where its cookie says
        assert {port for _, port in streams} == set(ports)

        # A returning browser keeps its process; a forged cookie gets one of ours, never its own value.
        assert {get_with_cookie(url, "app1") for _ in range(5)} == {"app1"}
        assert get_with_cookie(url, "127.0.0.1:22") in port_of
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=60)
    assert code == 0
    assert gone(children)  # both app processes and nginx's master and workers


@pytest.mark.nginx
@pytest.mark.slow
def test_when_one_process_dies_the_whole_set_stops_for_a_restart(tmp_path):
    serve, url, _ = start_serve(tmp_path / "nginx")
    children = family(serve)
    try:
        app = next(p for p in children if "streamlit" in " ".join(p.cmdline()))
        app.kill()
        code = serve.wait(timeout=60)
    finally:
        stop(serve)
    assert code == 1
    assert gone(children)
    assert not healthy(url)


# ----------------------------------------------------------------- the container runs the same
def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile line, continuations joined, comments dropped."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            rows.append((instruction.upper(), args.strip()))
    return rows


def test_the_image_installs_from_requirements_txt():
    rows = dockerfile()
    copies = [i for i, (ins, args) in enumerate(rows) if ins == "COPY" and args.split()[0] == "requirements.txt"]
    installs = [i for i, (ins, args) in enumerate(rows) if ins == "RUN" and "pip install" in args
                and re.search(r"-r requirements\.txt(\s|$)", args)]
    assert copies and installs and copies[0] < installs[0]
    assert any(ins == "RUN" and "apt-get install" in args and "nginx" in args for ins, args in rows)


def test_the_image_starts_the_tested_command_and_checks_its_health():
    rows = dockerfile()
    command = json.loads(next(args for ins, args in rows if ins == "CMD"))
    assert command[0] == "scripts/serve"
    args = load_serve_script().parse_args(command[1:])
    assert args.processes == PROCESSES and args.address == "0.0.0.0"
    assert next(args_ for ins, args_ in rows if ins == "EXPOSE") == str(args.port)
    health = next(args_ for ins, args_ in rows if ins == "HEALTHCHECK")
    assert f"http://127.0.0.1:{args.port}/_stcore/health" in health


def test_the_image_leaves_history_and_caches_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".git", ".venv", ".numba_cache", "test-artifacts"} <= set(ignored)
