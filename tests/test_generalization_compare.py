"""lab.generalization: the page says what its runs show, choosing each sentence by the numbers."""
from __future__ import annotations

import math

import numpy as np
import pytest

from batchlab import digits as D
from lab import generalization as compare


def run(batch, train_acc, val_acc, sharpness=2.0, target=0.0, reached=True, diverged=-1, epochs=3):
    n = epochs + 1 if diverged < 0 else diverged
    return D.TrainRun(config=D.TrainConfig(batch_size=batch, lr=0.1, epochs=epochs, hidden=4, target_loss=target),
                      train_loss=np.linspace(2.3, 0.05, n), train_acc=np.linspace(0.1, train_acc / 100, n),
                      val_loss=np.linspace(2.3, 0.1, n), val_acc=np.linspace(0.1, val_acc / 100, n),
                      diverged_epoch=diverged, theta=np.zeros(D.n_params(4), np.float32),
                      sharpness=math.nan if diverged >= 0 else sharpness, seconds=0.1,
                      reached_epoch=epochs if target and reached and diverged < 0 else -1)


def test_comparison_sorts_by_batch_and_leaves_diverged_runs_out():
    c = compare.Comparison.of([run(512, 90, 85), run(8, 99, 96), run(64, 50, 50, diverged=2)])
    assert c.batches == (8, 512) and c.diverged == (64,)
    assert c.train_acc == pytest.approx((99, 90)) and c.val_acc == pytest.approx((96, 85))
    assert c.updates == (3 * 180, 3 * 3) and c.reached == (True, True)


@pytest.mark.parametrize("vals, verdict", [
    ((96.9, 96.4, 96.7), "no_gap"),  # within 1 point
    ((97.5, 96.9, 96.0), "small_better"),
    ((95.3, 96.0, 96.7), "large_better"),
    ((96.5, 98.0, 96.2), "mixed"),  # spread 1.8, ends 0.3 apart
])
def test_the_verdict_follows_the_validation_accuracies(vals, verdict):
    runs = [run(b, 99.3, v, target=0.05) for b, v in zip((8, 128, D.N_TRAIN), vals)]
    assert compare.Comparison.of(runs).verdict() == verdict


def test_same_epochs_says_under_trained_only_when_the_training_accuracy_shows_it():
    under = compare.Comparison.of([run(8, 99.8, 97.2), run(D.N_TRAIN, 40.5, 40.0)])
    text = compare.same_epochs_text(under, 30)
    assert "falls from 99.8 % (B = 8) to 40.5 % (B = 1,437)" in text and "optimization problem" in text
    equal = compare.Comparison.of([run(8, 99.8, 97.2), run(D.N_TRAIN, 98.5, 96.0)])
    text = compare.same_epochs_text(equal, 300)
    assert "under-trained" not in text and "within 2 points" in text
    assert "nothing to compare" in compare.same_epochs_text(compare.Comparison.of([run(8, 99, 97)]), 30)


def test_equal_loss_text_reports_missed_targets_instead_of_a_verdict():
    runs = [run(8, 99.3, 96.9, target=0.05), run(D.N_TRAIN, 90.0, 88.0, target=0.05, reached=False)]
    text = compare.equal_loss_text(compare.Comparison.of(runs), 0.05, 5_000)
    assert text.startswith("Not every batch size reached a training loss of 0.05 within 5,000 updates: B = 1,437.")
    assert "gap" not in text


def test_equal_loss_text_gives_the_numbers_the_verdict_and_the_flatter_end():
    runs = [run(8, 99.37, 96.94, sharpness=1.48, target=0.05), run(D.N_TRAIN, 99.37, 96.67, sharpness=2.59,
                                                                    target=0.05)]
    text = compare.equal_loss_text(compare.Comparison.of(runs), 0.05, 5_000, "en")
    assert "their training accuracies lie within 0.0 points" in text and "96.7 to 96.9 %" in text
    assert "**no generalization gap**" in text
    assert "The smallest batch ended in the flatter minimum: λ_max 1.48 for B = 8, 2.59 for B = 1,437." in text
    zh = compare.equal_loss_text(compare.Comparison.of(runs), 0.05, 5_000, "zh-TW")
    assert "**泛化差距**" in zh and "1.48" in zh
