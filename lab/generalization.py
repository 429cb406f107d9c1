"""The Generalization page's model: the lecture's two comparisons of batch sizes, in numbers and in words.

No Streamlit. The lecture makes two claims about batch size and they need two experiments:

- **the same number of epochs** (``StudyConfig`` with ``target_loss`` = 0): a large batch makes far
  fewer updates and ends with a lower training accuracy too. A lower validation accuracy there is
  "not overfitting, an optimization problem";
- **the same training loss** (``target_loss`` > 0): every batch size trained until its training
  loss is at most the target. Only here can a validation gap be put down to generalization, and the
  sharpness λ_max of where each run ended be compared.

``Comparison`` holds one experiment's final numbers per batch size; ``same_epochs_text`` and
``equal_loss_text`` say what they show, with the numbers filled in, choosing the sentence by the
numbers (so that the page never claims a gap, or an under-training, that its runs do not show).
"""
from __future__ import annotations

from dataclasses import dataclass

import i18n

GAP_POINTS = 1.0  # validation accuracies at most this many percentage points apart: no gap
TRAIN_POINTS = 2.0  # training accuracies at most this many points apart: equally trained
TARGETS = (0.5, 0.2, 0.1, 0.05, 0.02)  # the page's choice of target training loss
DEFAULT_TARGET = 0.05


@dataclass(frozen=True)
class Comparison:
    """The final numbers of the runs that did not diverge, by batch size (ascending); accuracies in %."""
    batches: tuple
    train_acc: tuple
    val_acc: tuple
    train_loss: tuple
    sharpness: tuple
    updates: tuple
    reached: tuple  # True where the run reached its target training loss (True for every run without a target)
    diverged: tuple  # batch sizes whose runs diverged

    @classmethod
    def of(cls, runs) -> "Comparison":
        """From ``batchlab.digits.TrainRun`` objects (read through their fields only)."""
        runs = sorted(runs, key=lambda r: r.config.batch_size)
        good = [r for r in runs if not r.diverged]
        return cls(
            batches=tuple(r.config.batch_size for r in good),
            train_acc=tuple(100.0 * float(r.train_acc[-1]) for r in good),
            val_acc=tuple(100.0 * float(r.val_acc[-1]) for r in good),
            train_loss=tuple(float(r.train_loss[-1]) for r in good),
            sharpness=tuple(float(r.sharpness) for r in good),
            updates=tuple(int(r.updates) for r in good),
            reached=tuple(r.reached or not r.config.target_loss for r in good),
            diverged=tuple(r.config.batch_size for r in runs if r.diverged),
        )

    @property
    def train_spread(self) -> float:
        return max(self.train_acc) - min(self.train_acc)

    @property
    def val_spread(self) -> float:
        return max(self.val_acc) - min(self.val_acc)

    @property
    def small_minus_large(self) -> float:
        """Validation accuracy of the smallest batch minus that of the largest (points)."""
        return self.val_acc[0] - self.val_acc[-1]

    def verdict(self) -> str:
        """"no_gap" (validation accuracies within GAP_POINTS), "small_better" or "large_better" (the
        smallest against the largest batch, beyond GAP_POINTS), else "mixed" (no order by batch size)."""
        if self.val_spread <= GAP_POINTS:
            return "no_gap"
        if abs(self.small_minus_large) > GAP_POINTS:
            return "small_better" if self.small_minus_large > 0 else "large_better"
        return "mixed"


def _text(key: str, lang: str, **fields) -> str:
    return i18n.text(f"generalization.compare.{key}", lang, **fields)


def _ends(c: Comparison) -> dict:
    """The smallest and the largest batch's numbers, for the catalog's templates."""
    return dict(small=f"{c.batches[0]:,}", large=f"{c.batches[-1]:,}", train_small=c.train_acc[0],
                train_large=c.train_acc[-1], val_small=c.val_acc[0], val_large=c.val_acc[-1],
                updates_small=f"{c.updates[0]:,}", updates_large=f"{c.updates[-1]:,}")


def same_epochs_text(c: Comparison, epochs: int, lang: str = "en") -> str:
    """What the same-epoch comparison shows: the large batches under-trained (training accuracy more than
    TRAIN_POINTS below the smallest batch's), or every batch size about equally trained."""
    if len(c.batches) < 2:
        return _text("too_few", lang)
    under = c.train_acc[0] - c.train_acc[-1] > TRAIN_POINTS
    return _text("same_epochs_under" if under else "same_epochs_equal", lang, epochs=epochs,
                 points=TRAIN_POINTS, spread=c.train_spread, **_ends(c))


def equal_loss_text(c: Comparison, target: float, max_updates: int, lang: str = "en") -> str:
    """What the equal-loss comparison shows: which batch sizes did not reach the target, or, when all did,
    their training and validation accuracies, the verdict on the gap, and where each ended sharper."""
    if len(c.batches) < 2:
        return _text("too_few", lang)
    missed = [f"{b:,}" for b, ok in zip(c.batches, c.reached) if not ok]
    if missed:
        return _text("not_reached", lang, target=target, most=f"{max_updates:,}", batches=", ".join(missed))
    parts = [_text("reached", lang, target=target, updates_lo=f"{min(c.updates):,}", updates_hi=f"{max(c.updates):,}",
                   train_lo=min(c.train_acc), train_hi=max(c.train_acc), spread=c.train_spread,
                   val_lo=min(c.val_acc), val_hi=max(c.val_acc)),
             _text(c.verdict(), lang, points=GAP_POINTS, gap=abs(c.small_minus_large), spread=c.val_spread,
                   **_ends(c))]
    flatter = "small_flatter" if c.sharpness[0] < c.sharpness[-1] else "large_flatter"
    parts.append(_text(flatter, lang, sharp_small=c.sharpness[0], sharp_large=c.sharpness[-1], **_ends(c)))
    return " ".join(parts)
