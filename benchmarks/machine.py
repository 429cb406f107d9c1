"""What the benchmarks print about the machine they ran on (it is shared, so every figure comes with its load),
and a wait for an app process's one-time background work to end before its per-move cost is measured."""
import os
import time


def load_line(windows: bool = True) -> str:
    """The 1, 5 and 15 minute load averages as one printed line."""
    one, five, fifteen = os.getloadavg()
    return f"load: {one:.2f} {five:.2f} {fifteen:.2f}" + (" (1, 5, 15 min)" if windows else "")


def spelled_surfaces():
    """(name, built-in surface, the same surface typed as a formula) for each surface the formula tests spell out."""
    import surfaces
    from surfaces.formula import from_formula
    from tests.test_formula_surface import SPELLED

    for name, text in SPELLED.items():
        built = surfaces.get(name)
        yield name, built, from_formula(text, bounds=built.bounds, start=tuple(built.start))


def wait_quiet(process, since: float, after_s: float, window_s: float = 0.5, busy: float = 0.05,
               longest_s: float = 60.0) -> float:
    """Wait until ``after_s`` seconds have passed since ``since`` (a ``time.monotonic()``) and then until
    ``process`` (a psutil.Process) used less than ``busy`` of a core over ``window_s``: an app process's
    once-only background work (``lab.surface_choice.WARM_UP_AFTER_S``) is then over and is not counted
    as the cost of the moves measured next. Returns the seconds waited; gives up after ``longest_s``."""
    started = time.monotonic()
    time.sleep(max(0.0, since + after_s - started))
    while time.monotonic() - started < longest_s:
        before = sum(process.cpu_times()[:2])
        time.sleep(window_s)
        if sum(process.cpu_times()[:2]) - before < busy * window_s:
            break
    return time.monotonic() - started
