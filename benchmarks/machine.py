"""What the benchmarks print about the machine they ran on (it is shared, so every figure comes with its load)."""
import os


def load_line(windows: bool = True) -> str:
    """The 1, 5 and 15 minute load averages as one printed line."""
    one, five, fifteen = os.getloadavg()
    return f"load: {one:.2f} {five:.2f} {fifteen:.2f}" + (" (1, 5, 15 min)" if windows else "")
