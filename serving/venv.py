"""The project's virtual environment for the command-line scripts (scripts/serve, scripts/loadtest).

``scripts/start`` and ``scripts/test`` make ``.venv`` and install into it (a stock Debian or Ubuntu Python
refuses ``pip install`` outside one); a script started with the system's python3 runs itself again there.
Standard library only: it runs before anything the project needs is importable."""
from __future__ import annotations

import os
import sys
from pathlib import Path

VENV_PYTHON = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "python"


def use_project_venv() -> None:
    """Outside any virtual environment, with the project's .venv present: exec this script with its python."""
    if sys.prefix == sys.base_prefix and os.access(VENV_PYTHON, os.X_OK):
        os.execv(VENV_PYTHON, [str(VENV_PYTHON), *sys.argv])
