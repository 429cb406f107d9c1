"""The batch timing benchmark: time per update and per epoch against the batch size, as a table and a CSV.

    python -m benchmarks.batch_timing                      # MLP, 1 … 60,000, on the fastest device here
    python -m benchmarks.batch_timing --model cnn --batches 1,10,100,1000,10000,60000 \\
        --repeats 5 --warmup 3 --device auto --epoch-budget 10 --threads 1 --csv batch-timing-cnn.csv

The same measurement as the Batch timing page (batchlab/timing.py): per batch size, ``--warmup``
untimed updates, then ``--repeats`` timed ones (the device waited for before each clock reading),
their median and middle half (25th–75th percentile), the epoch estimate ⌈N / B⌉ · median, and one
real epoch where that estimate is at most ``--epoch-budget`` seconds. A size that runs out of memory
is reported and the others go on. The CSV (``--csv``) is the format the page reads back: run this
on the lab's GPU server and upload the file on the page to draw it beside the live measurement.

``--threads`` means what the page's "CPU threads" setting means: torch's intra-op threads in the
process that measures (1 to the CPU count, default the CPU count). The page sets it in its worker
process; this command is a process of its own, so it measures in-process and sets it here.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # also runnable as ``python benchmarks/batch_timing.py``
    sys.path.insert(0, str(ROOT))

from batchlab import timing_csv  # noqa: E402
from figures.batch_timing import format_ratio, format_seconds, ratio  # noqa: E402

HEADERS = ("batch", "updates/epoch", "per update (median)", "middle half (25–75%)", "epoch (estimate)",
           "epoch (measured)", "status")
WIDTHS = (7, 13, 19, 20, 16, 16, 13)


def arguments(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.batch_timing", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="mlp", choices=("mlp", "cnn"))
    parser.add_argument("--batches", default="1,10,100,1000,10000,60000",
                        help="batch sizes separated by commas, each 1 to 60000 (no thousands separators)")
    parser.add_argument("--repeats", type=int, default=5, help="timed updates per batch size (1 to 100)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed updates first (0 to 20)")
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    parser.add_argument("--epoch-budget", type=float, default=10.0,
                        help="time one real epoch where the estimate is at most this many seconds (0 to 600)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch's CPU threads for this run, 1 to the number of CPUs (default: the number of CPUs; "
                             "1 gives steadier times on a busy machine)")
    parser.add_argument("--csv", type=Path, default=None, help="write the rows to this CSV file")
    return parser.parse_args(argv)


def _cells(row) -> list[str]:
    updates = f"{-(-row.examples // row.batch):,}"
    if not row.ok:
        return [f"{row.batch:,}", updates, "", "", "", "", row.status]
    measured = format_seconds(row.epoch_measured_s) if row.epoch_measured_s is not None else "-"
    return [f"{row.batch:,}", updates, format_seconds(row.median_s),
            f"{format_seconds(row.low_s)} – {format_seconds(row.high_s)}",
            format_seconds(row.epoch_estimate_s), measured, row.status]


def line(cells) -> str:
    return "  ".join(str(c).rjust(w) for c, w in zip(cells, WIDTHS))


def summary(rows) -> str | None:
    """The lecture's two curves in two ratios (figures.batch_timing.ratio: B = 1,000 against B = 1 where both
    were measured, else the largest measured batch against the smallest)."""
    r = ratio(rows)
    if r is None:
        return None
    return (f"batch {r.large.batch:,} against batch {r.small.batch:,}: one update takes {format_ratio(r.update)}× "
            f"as long, one epoch {format_ratio(r.epoch)}× as long "
            f"({format_ratio(r.examples)}× the examples per update).")


def main(argv=None) -> int:
    args = arguments(argv)
    import torch

    from batchlab import timing

    threads = timing.MAX_THREADS if args.threads is None else args.threads
    try:
        device = timing.resolve_device(args.device)
        config = timing.TimingConfig(model=args.model, batches=timing.parse_batches(args.batches),
                                     repeats=args.repeats, warmup=args.warmup, epoch_budget_s=args.epoch_budget,
                                     device=device, threads=threads)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    torch.set_num_threads(config.threads)  # this process only: it is the measuring process

    from batchlab.models import make_model, parameter_count

    describe = timing.describe_device(device)
    print(f"device: {describe} (torch {torch.__version__})")
    print(f"model: {config.model} ({parameter_count(make_model(config.model)):,} parameters); "
          f"{config.examples:,} synthetic MNIST-shaped examples; {config.warmup} warm-up + {config.repeats} timed "
          f"updates per batch size; a real epoch where the estimate is <= {config.epoch_budget_s:g} s")
    print()
    print(line(HEADERS))
    print(line("-" * w for w in WIDTHS))
    rows = []
    for batch in config.batches:
        row = timing.measure_batch(config, batch, describe=describe)
        rows.append(row)
        print(line(_cells(row)), flush=True)
    print()
    if summary(rows):
        print(summary(rows))
    if args.csv is not None:
        args.csv.write_text(timing_csv.to_csv(rows), encoding="utf-8")
        print(f"CSV written to {args.csv}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
