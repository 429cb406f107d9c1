"""What the benchmarks print about the machine they ran on (it is shared, so every figure comes with its load)."""
import os
import subprocess


def load_line(windows: bool = True) -> str:
    """The 1, 5 and 15 minute load averages as one printed line."""
    one, five, fifteen = os.getloadavg()
    return f"load: {one:.2f} {five:.2f} {fifteen:.2f}" + (" (1, 5, 15 min)" if windows else "")


def uptime() -> str:
    """``uptime``'s line: the clock and the load averages, as the records quote it."""
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def spelled_surfaces():
    """(name, built-in surface, the same surface typed as a formula) for each surface the formula tests spell out."""
    import surfaces
    from surfaces.formula import from_formula
    from tests.test_formula_surface import SPELLED

    for name, text in SPELLED.items():
        built = surfaces.get(name)
        yield name, built, from_formula(text, bounds=built.bounds, start=tuple(built.start))

