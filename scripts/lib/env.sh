# Sourced by scripts/start and scripts/test (not a command): the Python that runs the project, and
# Debian packages installed where this user may.
#
# Debian 12 and Ubuntu 24.04 refuse `pip install` into the system Python (PEP 668), so the project
# runs in a virtual environment: the one already active ($VIRTUAL_ENV), else the project's .venv,
# created from python3 (or $PYTHON) on first use. As root, what is missing is installed with apt-get
# (Debian's python3-venv when `python3 -m venv` cannot work); as another user, a message says what
# to install.

MIN_PYTHON=3.11  # numpy 2.4 and torch 2.13 need it
VENV=.venv

say() { echo "${SCRIPT_NAME:-scripts}: $*" >&2; }

# Runs its arguments as root: directly when root, through `sudo -n` where that needs no password;
# returns 1 (running nothing) otherwise.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

can_install_packages() {
    command -v apt-get >/dev/null 2>&1 && as_root true 2>/dev/null
}

# apt_install PACKAGE…: install Debian packages, retrying once (a mirror can fail for a moment).
apt_install() {
    local attempt
    for attempt in 1 2; do
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" &&
            return 0
        [ "$attempt" -eq 1 ] && { say "installing $* failed; retrying once"; sleep 5; }
    done
    return 1
}

base_python() {
    local candidate="${PYTHON:-}"
    [ -n "$candidate" ] || candidate="$(command -v python3 || command -v python || true)"
    if [ -z "$candidate" ]; then
        say "no python3 found; install Python $MIN_PYTHON or newer (Debian and Ubuntu: apt-get install python3 python3-venv)"
        exit 1
    fi
    if ! command -v "$candidate" >/dev/null 2>&1; then
        say "PYTHON=$candidate: no such program"
        exit 1
    fi
    if ! "$candidate" -c "import sys; sys.exit(sys.version_info < tuple(map(int, '$MIN_PYTHON'.split('.'))))"; then
        say "$candidate is Python $("$candidate" -c 'import platform; print(platform.python_version())'); the project needs $MIN_PYTHON or newer (set PYTHON=/path/to/python3.11 to choose another)"
        exit 1
    fi
    echo "$candidate"
}

make_venv() {
    local base="$1"
    "$base" -m venv "$VENV" >/dev/null 2>&1 && return 0
    rm -rf "$VENV"  # a failed attempt leaves a virtual environment without pip
    if can_install_packages; then
        say "$base cannot create a virtual environment; installing Debian's python3-venv"
        apt_install python3-venv && "$base" -m venv "$VENV" && return 0
        rm -rf "$VENV"
    fi
    say "$base cannot create a virtual environment (ensurepip is missing)."
    say "Install it, then run this again: sudo apt-get install python3-venv"
    exit 1
}

# use_python REQUIREMENTS_FILE: set PROJECT_PYTHON to the project's interpreter, with REQUIREMENTS_FILE
# installed. (A variable of its own: $PYTHON, where given, names the base interpreter, and the commands
# started from here, the tests among them, must see it unchanged.)
use_python() {
    local requirements="$1"
    if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
        PROJECT_PYTHON="$VIRTUAL_ENV/bin/python"
        "$PROJECT_PYTHON" -m pip install -r "$requirements"
        return
    fi
    if ! "$VENV/bin/python" -c "" >/dev/null 2>&1; then  # missing, or its base Python is gone
        rm -rf "$VENV"
        local base
        base="$(base_python)" || exit 1
        make_venv "$base"
        say "created the virtual environment $VENV ($("$VENV/bin/python" --version))"
    fi
    PROJECT_PYTHON="$VENV/bin/python"
    # pip takes seconds even when all is installed: skip it while the requirement files are unchanged.
    local stamp="$VENV/.installed-$(basename "$requirements")" digest
    digest="$(cat requirements*.txt | sha256sum)"
    if [ "$(cat "$stamp" 2>/dev/null)" != "$digest" ]; then
        "$PROJECT_PYTHON" -m pip install -r "$requirements"
        echo "$digest" >"$stamp"
    fi
}

# Compile every trajectory kernel once (numba caches them on disk: minutes the first time, about a
# second after), so that neither the first student nor a test's page run waits for a compilation.
warm_engine() {
    "$PROJECT_PYTHON" - "${SCRIPT_NAME:-scripts}" <<'PY'
import sys
import time

from optimizers import warm_up

started = time.perf_counter()
warm_up(everything=True)
print(f"{sys.argv[1]}: engine warmed up in {time.perf_counter() - started:.1f} s", file=sys.stderr)
PY
}
