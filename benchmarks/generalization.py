"""The generalization page's default work: digits training per batch size, sharpness, the 1-D picture.

    python benchmarks/generalization.py            # 3 repeats, a few minutes on 2 cores
    python benchmarks/generalization.py --quick    # 1 repeat
    python benchmarks/generalization.py --smoke    # tiny settings: checks that it runs (the tests do)

Prints medians over repeats (these machines are shared and noisy), for both of the page's
comparisons at its defaults (batchlab.digits.StudyConfig(), the same epochs; and the same study
trained to lab.generalization.DEFAULT_TARGET): training seconds per batch size, updates,
microseconds per update, each batch size's time as a ratio to the full batch's, the sharpness
(power iteration) per run, and the total, which is what the first student to open the page waits
(later ones get the cached runs); then the flat/sharp picture at its defaults. Last, one epoch at
batch size 8 with torch's F.cross_entropy against the logsumexp form the model uses (see
batchlab.digits.cross_entropy), and with torch's default thread count against the one thread the
training uses (batchlab.digits.use_one_thread).
"""
from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

DEFAULT_THREADS = torch.get_num_threads()  # torch's own choice, read before the training sets one thread

from batchlab import digits as D  # noqa: E402
from batchlab import flat_sharp as FS  # noqa: E402
from lab import generalization as compare  # noqa: E402


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def epoch_seconds(loss_of_logits, batch: int, hidden: int, repeats: int) -> float:
    """Median seconds of one epoch of SGD with the given loss of (logits, labels)."""
    import torch

    x, y, _, _ = D.tensors(D.load_split())
    gen = torch.Generator().manual_seed(0)
    theta = D.init_theta(hidden, gen).requires_grad_(True)
    opt = torch.optim.SGD([theta], lr=0.1)
    times = []
    for _ in range(repeats):
        order = torch.randperm(D.N_TRAIN, generator=gen)
        t0 = time.perf_counter()
        for start in range(0, D.N_TRAIN, batch):
            idx = order[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss_of_logits(D.logits(theta, x[idx], hidden), y[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def study_table(title: str, study, repeats: int) -> float:
    """Train every run of ``study`` ``repeats`` times; print a row per batch size; the median total (s)."""
    train_s = {c.batch_size: [] for c in study.runs()}
    sharp_s = {c.batch_size: [] for c in study.runs()}
    updates = {}
    for _ in range(repeats):
        for c in study.runs():
            total, run = timed(lambda: D.train(c))
            train_s[c.batch_size].append(run.seconds)
            sharp_s[c.batch_size].append(total - run.seconds)
            updates[c.batch_size] = run.updates

    full = float(np.median(train_s[max(train_s)]))
    print(f"\n{title}")
    print(f"{'batch':>6} {'updates':>8} {'train s':>9} {'µs/update':>10} {'× full':>8} {'sharpness s':>12}")
    for c in study.runs():
        t = float(np.median(train_s[c.batch_size]))
        print(f"{c.batch_size:>6} {updates[c.batch_size]:>8,} {t:>9.3f} {1e6 * t / updates[c.batch_size]:>10.0f} "
              f"{t / full:>8.1f} {float(np.median(sharp_s[c.batch_size])):>12.3f}")
    per_repeat = [sum(train_s[b][i] + sharp_s[b][i] for b in train_s) for i in range(repeats)]
    print(f"total (training + sharpness, all batch sizes): median {np.median(per_repeat):.2f} s "
          f"(min {min(per_repeat):.2f}, max {max(per_repeat):.2f})")
    return float(np.median(per_repeat))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    parser.add_argument("--smoke", action="store_true", help="one repeat of tiny settings (checks that it runs)")
    args = parser.parse_args()
    repeats = 1 if args.quick or args.smoke else 3

    study = D.StudyConfig(batch_sizes=(256, D.N_TRAIN), epochs=1) if args.smoke else D.StudyConfig()
    toy_config = FS.ToyConfig(steps=20, runs=10) if args.smoke else FS.ToyConfig()
    epoch_batch = 256 if args.smoke else 8
    t_load, _ = timed(D.load_split)
    print(f"defaults: batch sizes {study.batch_sizes}, {study.epochs} epochs or to training loss "
          f"{compare.DEFAULT_TARGET:g}, h = {study.hidden}, η = {study.base_lr:g} ({study.lr_rule}); data loaded in "
          f"{t_load:.2f} s; {repeats} repeat(s)")
    waits = [study_table(f"the same {study.epochs} epochs", study, repeats),
             study_table(f"to training loss {compare.DEFAULT_TARGET:g}",
                         dataclasses.replace(study, target_loss=compare.DEFAULT_TARGET), repeats)]
    print(f"\nthe first student's wait for both comparisons: {sum(waits):.1f} s (sum of the medians)")

    toy = [timed(lambda: FS.run_toy(toy_config))[0] for _ in range(repeats)]
    cfg = toy_config
    print(f"flat/sharp picture ({cfg.runs} runs × {cfg.steps} updates, B = {cfg.small_batch} and "
          f"{cfg.large_batch}): median {np.median(toy):.2f} s")

    import torch.nn.functional as F

    ours = epoch_seconds(D.cross_entropy, epoch_batch, study.hidden, 3 * repeats)
    torch_ce = epoch_seconds(F.cross_entropy, epoch_batch, study.hidden, 3 * repeats)
    print(f"\none epoch at B = {epoch_batch} ({-(-D.N_TRAIN // epoch_batch)} updates), one thread: logsumexp loss "
          f"{ours:.3f} s, F.cross_entropy {torch_ce:.3f} s (ratio {torch_ce / ours:.1f}; large only when the other "
          "core is busy)")
    torch.set_num_threads(DEFAULT_THREADS)
    many = epoch_seconds(D.cross_entropy, epoch_batch, study.hidden, 3 * repeats)
    D.use_one_thread()
    print(f"the same epoch on torch's default {DEFAULT_THREADS} threads: {many:.3f} s (ratio {many / ours:.1f} to one "
          f"thread; large when the other cores are busy)")


if __name__ == "__main__":
    main()
