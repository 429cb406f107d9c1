"""One batch size's timing as a record, and the CSV format the benchmark and the page share.

A row holds what ``batchlab.timing.measure_batch`` measured for one batch size B on one device:

- ``median_s``: the median over ``repeats`` timed updates of t(B), the time of one full update
  (forward, loss, backward, optimizer step);
- ``low_s``, ``high_s``: the spread, the 25th and 75th percentiles of the same timings (the middle
  half, the interquartile range);
- ``epoch_estimate_s`` = ⌈N / B⌉ · median_s, an epoch of N = ``examples`` (60,000 for MNIST's
  training set) estimated from one update;
- ``epoch_measured_s``: one real epoch (⌈N / B⌉ updates in a row) timed as a whole, where that was
  affordable, else empty;
- ``status``: ``ok``; ``out_of_memory`` (the device's allocator refused: no times);
  ``memory_guard`` (not attempted: on the CPU the estimated memory exceeded what was free, since
  there the operating system may kill the whole process instead of raising an error); or
  ``crashed`` (the measuring process died during that size, e.g. killed by the operating system
  for memory: no times; ``batchlab.timing_worker``).

The CSV has exactly the columns of ``COLUMNS`` in a header line, one row per batch size; empty
cells for absent values; floats written with ``repr`` so that reading gives back the same numbers.
No torch here: the page reads uploaded files and the figures draw rows without it.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import astuple, dataclass, fields

STATUSES = ("ok", "out_of_memory", "memory_guard", "crashed")
COLUMNS = ("device", "model", "batch", "examples", "repeats", "median_s", "low_s", "high_s",
           "epoch_estimate_s", "epoch_measured_s", "status")
_TIMES = ("median_s", "low_s", "high_s", "epoch_estimate_s")


@dataclass(frozen=True)
class TimingRow:
    device: str  # e.g. "CPU: Intel Xeon Processor, 2 threads" or "GPU: NVIDIA H100 80GB HBM3"
    model: str  # "mlp" or "cnn" (batchlab.models.MODELS)
    batch: int
    examples: int  # N, the size of the training set an epoch passes over
    repeats: int
    median_s: float | None = None
    low_s: float | None = None
    high_s: float | None = None
    epoch_estimate_s: float | None = None
    epoch_measured_s: float | None = None
    status: str = "ok"

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class CsvFormatError(ValueError):
    """A file that is not in the format: ``line`` (1 = the header), ``column`` and ``value`` say where."""

    def __init__(self, line: int, column: str, value: str):
        self.line, self.column, self.value = line, column, value
        super().__init__(f"line {line}, column {column!r}: {value!r} is not valid; the format is {', '.join(COLUMNS)} "
                         f"(times in seconds > 0, batch, examples and repeats whole numbers >= 1, status one of "
                         f"{', '.join(STATUSES)})")


def _cell(value) -> str:
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


def to_csv(rows) -> str:
    """The rows as CSV text (header first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(v) for v in astuple(row)])
    return out.getvalue()


def _positive(text: str, line: int, column: str, *, whole: bool):
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise CsvFormatError(line, column, text) from None
    if not (math.isfinite(value) and value > 0):
        raise CsvFormatError(line, column, text)
    return value


def _row(record: dict, line: int) -> TimingRow:
    values = {}
    for name in ("device", "model"):
        if not record[name].strip():
            raise CsvFormatError(line, name, record[name])
        values[name] = record[name].strip()
    for name in ("batch", "examples", "repeats"):
        values[name] = _positive(record[name].strip(), line, name, whole=True)
    status = record["status"].strip()
    if status not in STATUSES:
        raise CsvFormatError(line, "status", record["status"])
    for f in fields(TimingRow):
        if f.name.endswith("_s"):
            text = record[f.name].strip()
            values[f.name] = None if text == "" else _positive(text, line, f.name, whole=False)
    if status == "ok":  # a measured row carries every time but the optional measured epoch
        for name in _TIMES:
            if values[name] is None:
                raise CsvFormatError(line, name, "")
    return TimingRow(status=status, **values)


def read_csv(text: str) -> list[TimingRow]:
    """The rows of a CSV written by ``to_csv`` (or by hand in the same format), checked cell by cell.

    Raises CsvFormatError naming the line, the column and the value that is wrong."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))  # a spreadsheet may add a byte-order mark
    header = next(reader, None)
    if header is None:
        raise CsvFormatError(1, "header", "")
    header = [h.strip() for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CsvFormatError(1, missing[0], ",".join(header))
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise CsvFormatError(line, "(row)", ",".join(cells))
        rows.append(_row(dict(zip(header, cells)), line))
    if not rows:
        raise CsvFormatError(2, "(row)", "")
    return rows
