"""Real training on scikit-learn's digits: the same small network, trained with small and large batches.

The data: ``sklearn.datasets.load_digits`` (1,797 images of 8×8 pixels, shipped with the
package), split once into training and validation data (stratified, ``SPLIT_SEED``), pixels
scaled from 0…16 to [0, 1].

The model: an MLP 64 → h → 10 with ReLU, in float32, written on one flat parameter vector θ
(so that the Hessian code in batchlab.sharpness sees the same function), initialised as
torch.nn.Linear does: every weight and bias uniform in ±1/√(fan_in).

The loss of a batch 𝔅 is the mean cross-entropy L_𝔅(θ) = (1/|𝔅|) Σ_{n∈𝔅} e_n(θ). One epoch
shuffles the training data and takes one update per batch, ⌈N/B⌉ updates in all (the last
batch holds what is left); B = N is full-batch gradient descent. The update is torch.optim.SGD,
with momentum μ when asked (buffer m ← μm + g, θ ← θ − ηm; the lecture calls it λ, a letter
the sharpness code needs for eigenvalues). The learning rate follows a rule
of the batch size B, with a reference batch size B₀:

    fixed:   η(B) = η₀
    linear:  η(B) = η₀ · B / B₀
    sqrt:    η(B) = η₀ · √(B / B₀)

Every batch size starts from the same θ₀. The lecture makes two comparisons, and a study makes
either: the same number of epochs for every batch size (``StudyConfig.target_loss`` = 0), where
large batches make far fewer updates and end under-trained, which the lecture calls an
optimization problem; or every batch size trained until its training loss is at most
``target_loss`` (at most ``MAX_TARGET_UPDATES`` updates), where the validation accuracy and the
sharpness are compared at equal training loss.

Randomness (θ₀, the shuffles) comes from a private torch.Generator seeded with ``seed``: torch's
random state is left alone, and a run on the CPU is deterministic (the same settings give the
same numbers). Training runs torch on one thread (``use_one_thread``, process-wide: see there why).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F

from optimizers.validate import choice, in_range, integer

N_FEATURES, N_CLASSES = 64, 10
VAL_FRACTION = 0.2
SPLIT_SEED = 0
N_TRAIN, N_VAL = 1437, 360  # 1,797 images split 80 / 20 (checked in load_split)
LR_RULES = ("fixed", "linear", "sqrt")
THREADS = 1  # torch's intra-op threads while training (see use_one_thread)
MAX_EPOCHS = 500
MAX_TARGET_UPDATES = 5_000  # the most updates a run trained to a target loss may take
STALL_UPDATES, STALL_EPOCHS = 500, 5  # a run to a target stops when its best training loss is that old
TARGET_HI = 10.0
MAX_HIDDEN = 1024
MAX_BATCH_SIZES = 10
MAX_SEED = 2**31 - 1
LR_LO, LR_HI = 1e-5, 100.0
MOMENTUM_HI = 0.99


@dataclass(frozen=True)
class DigitsData:
    x_train: np.ndarray  # (N_TRAIN, 64) float32 in [0, 1]
    y_train: np.ndarray  # (N_TRAIN,) int64 in 0…9
    x_val: np.ndarray
    y_val: np.ndarray


@lru_cache(maxsize=1)
def load_split() -> DigitsData:
    """The digits, split into training and validation data (stratified, fixed seed), read-only arrays."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    x_tr, x_va, y_tr, y_va = train_test_split(x, y, test_size=VAL_FRACTION, random_state=SPLIT_SEED, stratify=y)
    if len(y_tr) != N_TRAIN or len(y_va) != N_VAL:
        raise RuntimeError(f"digits split: {len(y_tr)} / {len(y_va)} examples, expected {N_TRAIN} / {N_VAL}")
    arrays = [np.ascontiguousarray(a) for a in (x_tr, y_tr, x_va, y_va)]
    for a in arrays:
        a.flags.writeable = False
    return DigitsData(*arrays)


def learning_rate(rule: str, base_lr: float, batch_size: int, ref_batch: int) -> float:
    """η(B) for rule ``fixed`` (η₀), ``linear`` (η₀·B/B₀) or ``sqrt`` (η₀·√(B/B₀))."""
    ratio = batch_size / ref_batch
    return {"fixed": base_lr, "linear": base_lr * ratio, "sqrt": base_lr * math.sqrt(ratio)}[rule]


def n_params(hidden: int) -> int:
    return hidden * N_FEATURES + hidden + N_CLASSES * hidden + N_CLASSES


def unpack(theta: torch.Tensor, hidden: int):
    """Views W₁ (h, 64), b₁ (h,), W₂ (10, h), b₂ (10,) into the flat vector θ."""
    sizes = (hidden * N_FEATURES, hidden, N_CLASSES * hidden, N_CLASSES)
    w1, b1, w2, b2 = torch.split(theta, sizes)
    return w1.view(hidden, N_FEATURES), b1, w2.view(N_CLASSES, hidden), b2


def logits(theta: torch.Tensor, x: torch.Tensor, hidden: int) -> torch.Tensor:
    """f(x; θ) = W₂ ReLU(W₁x + b₁) + b₂ for a batch of rows x."""
    w1, b1, w2, b2 = unpack(theta, hidden)
    return F.linear(F.relu(F.linear(x, w1, b1)), w2, b2)


def cross_entropy(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """(1/N) Σ_n [log Σ_k exp z_nk − z_n,y_n], the same value as F.cross_entropy.

    Written with logsumexp because F.cross_entropy's log_softmax hands even an 8-row batch to
    torch's thread pool, and on a busy 2-core machine every such hand-off can wait milliseconds for
    the other core; logsumexp stays on one thread below torch's parallel grain size. Measured with
    benchmarks/generalization.py (one epoch at B = 8, 180 updates): on an idle machine 44 ms here
    against 30 ms for F.cross_entropy; with the other core busy (load 6–7) 50–110 ms against
    450–1,300 ms. A server shared by a class is the busy case."""
    return (torch.logsumexp(z, 1) - z.gather(1, y[:, None])[:, 0]).mean()


def loss(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor, hidden: int) -> torch.Tensor:
    """L(θ) = (1/N) Σ_n e_n(θ), e_n the cross-entropy of example n."""
    return cross_entropy(logits(theta, x, hidden), y)


def init_theta(hidden: int, generator: torch.Generator) -> torch.Tensor:
    """θ₀ as torch.nn.Linear initialises each layer: weights and biases uniform in ±1/√(fan_in)."""
    parts = []
    for fan_in, count in ((N_FEATURES, hidden * N_FEATURES), (N_FEATURES, hidden),
                          (hidden, N_CLASSES * hidden), (hidden, N_CLASSES)):
        bound = 1.0 / math.sqrt(fan_in)
        parts.append((torch.rand(count, generator=generator) * 2.0 - 1.0) * bound)
    return torch.cat(parts)


class SettingError(ValueError):
    """A setting outside its range. ``field`` names it; ``info`` holds the value and the allowed range
    (value, lo, hi, and batch for a scaled learning rate), so that a page can say it in its own language."""

    def __init__(self, field: str, message: str, **info):
        super().__init__(message)
        self.field, self.info = field, info


def _checked(field: str, check, **info):
    """``check()``'s value, its ValueError raised again as a SettingError for ``field``."""
    try:
        return check()
    except ValueError as exc:
        raise SettingError(field, str(exc), **info) from None


def _setting(owner: str, field: str, value, kind: type, lo, hi, **info):
    """``value`` checked as an integer (``kind`` int) or a number (float) in lo…hi, else a SettingError."""
    check = integer if kind is int else (lambda *a: float(in_range(*a)))
    return _checked(field, lambda: check(owner, field, value, lo, hi), value=value, lo=lo, hi=hi, **info)


@dataclass(frozen=True)
class TrainConfig:
    """One training run: a batch size and the learning rate it got; with ``target_loss`` > 0 it stops at the
    end of the first epoch whose training loss is at most ``target_loss`` (``epochs`` is then the cap)."""
    batch_size: int
    lr: float
    epochs: int = 30
    hidden: int = 32
    momentum: float = 0.0
    seed: int = 0
    target_loss: float = 0.0

    def __post_init__(self):
        most_epochs = MAX_TARGET_UPDATES if self.target_loss else MAX_EPOCHS
        bounds = {"batch_size": (int, 1, N_TRAIN), "lr": (float, LR_LO, LR_HI), "epochs": (int, 1, most_epochs),
                  "hidden": (int, 1, MAX_HIDDEN), "momentum": (float, 0.0, MOMENTUM_HI), "seed": (int, 0, MAX_SEED),
                  "target_loss": (float, 0.0, TARGET_HI)}
        for field, (kind, lo, hi) in bounds.items():  # batch_size first: the others' errors name the checked one
            object.__setattr__(self, field, _setting("digits training", field, getattr(self, field), kind, lo, hi,
                                                     batch=self.batch_size))

    @property
    def updates_per_epoch(self) -> int:
        return math.ceil(N_TRAIN / self.batch_size)


@dataclass(frozen=True)
class StudyConfig:
    """The page's experiment: several batch sizes, one learning-rate rule, everything else shared; each
    batch size trained for ``epochs`` epochs, or (``target_loss`` > 0) until its training loss is at most
    ``target_loss``, within MAX_TARGET_UPDATES updates."""
    batch_sizes: tuple = (8, 32, 128, 512, N_TRAIN)
    epochs: int = 30
    lr_rule: str = "fixed"
    base_lr: float = 0.1
    ref_batch: int = 32
    hidden: int = 32
    momentum: float = 0.0
    seed: int = 0
    target_loss: float = 0.0

    def __post_init__(self):
        owner = "digits experiment"
        sizes = tuple(self.batch_sizes)
        if not 1 <= len(sizes) <= MAX_BATCH_SIZES:
            raise SettingError("batch_sizes", f"{owner}: batch_sizes = {list(sizes)!r} is out of range; allowed "
                               f"1 to {MAX_BATCH_SIZES} batch sizes", value=list(sizes), lo=1, hi=MAX_BATCH_SIZES)
        sizes = tuple(sorted({_setting(owner, "batch_size", b, int, 1, N_TRAIN) for b in sizes}))
        object.__setattr__(self, "batch_sizes", sizes)
        object.__setattr__(self, "lr_rule", _checked("lr_rule", lambda: choice(owner, "lr_rule", self.lr_rule,
                                                                                LR_RULES), value=self.lr_rule))
        object.__setattr__(self, "base_lr", _setting(owner, "base_lr", self.base_lr, float, LR_LO, LR_HI))
        object.__setattr__(self, "ref_batch", _setting(owner, "ref_batch", self.ref_batch, int, 1, N_TRAIN))
        if not self.target_loss:  # a target's runs are capped in updates, not in these epochs
            object.__setattr__(self, "epochs", _setting(owner, "epochs", self.epochs, int, 1, MAX_EPOCHS))
        self.runs()  # every run's own checks, the scaled learning rate η(B) among them

    def runs(self) -> tuple[TrainConfig, ...]:
        return tuple(TrainConfig(batch_size=b, lr=learning_rate(self.lr_rule, self.base_lr, b, self.ref_batch),
                                 epochs=self._epochs(b), hidden=self.hidden, momentum=self.momentum, seed=self.seed,
                                 target_loss=self.target_loss)
                     for b in self.batch_sizes)

    def _epochs(self, batch: int) -> int:
        """The epochs of batch size ``batch``: ``epochs``, or as many as MAX_TARGET_UPDATES updates fill."""
        return max(1, MAX_TARGET_UPDATES // math.ceil(N_TRAIN / batch)) if self.target_loss else self.epochs


@dataclass(frozen=True)
class TrainRun:
    """Per-epoch metrics of one run, index 0 = before training (θ₀), index e = after epoch e."""
    config: TrainConfig
    train_loss: np.ndarray  # (E + 1,), up to the epoch where the run diverged
    train_acc: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    diverged_epoch: int  # −1, or the first epoch after which the loss or θ was no longer finite
    theta: np.ndarray  # the final θ (float32), the last finite one for a diverged run
    sharpness: float  # top Hessian eigenvalue of the training loss at θ (nan when diverged)
    seconds: float  # training time (without the sharpness)
    reached_epoch: int = -1  # the epoch whose training loss first was at most config.target_loss, or −1

    @property
    def diverged(self) -> bool:
        return self.diverged_epoch >= 0

    @property
    def reached(self) -> bool:
        return self.reached_epoch >= 0

    @property
    def updates(self) -> int:
        """Updates made: to the divergence, to the target, or all of them."""
        epochs = len(self.train_loss) - 1 + (1 if self.diverged else 0)
        return epochs * self.config.updates_per_epoch


def tensors(data: DigitsData):
    """(x_train, y_train, x_val, y_val) as torch tensors (writable copies of the read-only arrays)."""
    return (torch.from_numpy(np.array(data.x_train)), torch.from_numpy(np.array(data.y_train)),
            torch.from_numpy(np.array(data.x_val)), torch.from_numpy(np.array(data.y_val)))


def evaluate(theta: torch.Tensor, x: torch.Tensor, y: torch.Tensor, hidden: int) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of θ on (x, y)."""
    with torch.no_grad():
        out = logits(theta, x, hidden)
        return float(cross_entropy(out, y)), float((out.argmax(1) == y).float().mean())


def run_epoch(theta: torch.Tensor, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, batch: int,
              hidden: int, gen: torch.Generator) -> None:
    """One epoch: shuffle, then one update θ ← SGD step on L_𝔅(θ) for each batch of ``batch`` rows."""
    order = torch.randperm(len(y), generator=gen)
    # Shuffle once and take the batches as slices: indexing 128 rows out of x in every update goes to
    # torch's thread pool, which stalls when the other core is busy.
    x_ep, y_ep = x[order], y[order]
    for start in range(0, len(y), batch):
        opt.zero_grad(set_to_none=True)
        loss(theta, x_ep[start:start + batch], y_ep[start:start + batch], hidden).backward()
        opt.step()


def use_one_thread() -> None:
    """Run torch's operations on THREADS thread(s). The tensors here are tiny, and on a busy machine every
    hand-off to a second thread can wait milliseconds for a core: measured with the other core busy (load
    about 9 on 2 cores), B = 8 to training loss 0.05 (3,060 updates) took 124 s on torch's default 2
    threads and 5 s on one. The setting is process-wide; in the app's server the digits are the only
    torch work (batch timing measures in a process of its own, where it sets its own count)."""
    if torch.get_num_threads() != THREADS:
        torch.set_num_threads(THREADS)


def sharpness_at(theta: torch.Tensor, hidden: int, seed: int = 0) -> float:
    """λ_max of the Hessian of the training loss (all N_TRAIN images) at θ, in float64."""
    from . import sharpness as S

    use_one_thread()
    x, y, _, _ = tensors(load_split())
    return S.top_eigenvalue(lambda th: loss(th, x.double(), y, hidden), theta.double(), seed=seed).value


def target_progress(first_loss: float, loss: float, target: float) -> float:
    """How far a run trained to ``target`` has come, on a log scale of its training loss: 0 at the start,
    1 at the target (the epochs it needs are not known in advance)."""
    if loss <= target or first_loss <= target:
        return 1.0
    return min(max(math.log(first_loss / loss) / math.log(first_loss / target), 0.0), 1.0)


def stalled(losses, updates_per_epoch: int) -> bool:
    """True when the lowest training loss of ``losses`` (one per epoch, epoch 0 first) is at least
    max(STALL_EPOCHS epochs, STALL_UPDATES updates) old: a run to a target that has stopped improving (a
    network whose units all died, a rate too large to settle) is not left to use up its cap."""
    patience = max(STALL_EPOCHS, math.ceil(STALL_UPDATES / updates_per_epoch))
    return len(losses) - 1 - int(np.argmin(losses)) >= patience


def train(config: TrainConfig, progress=None, measure_sharpness: bool = True) -> TrainRun:
    """Train from θ₀ for ``config.epochs`` epochs, evaluating after each, or until the training loss is at
    most ``config.target_loss`` (when set; or until it has ``stalled``); ``progress(fraction)`` after every
    epoch; λ_max at the end (``sharpness_at``) unless ``measure_sharpness`` is False.

    A run whose training loss or parameters stop being finite is stopped there (``diverged_epoch``);
    its metrics end at the last finite epoch."""
    use_one_thread()
    x_tr, y_tr, x_va, y_va = tensors(load_split())
    gen = torch.Generator().manual_seed(config.seed)
    theta = init_theta(config.hidden, gen).requires_grad_(True)
    opt = torch.optim.SGD([theta], lr=config.lr, momentum=config.momentum)
    h = config.hidden
    history = [evaluate(theta, x_tr, y_tr, h) + evaluate(theta, x_va, y_va, h)]
    last_good = theta.detach().clone()
    diverged = reached = -1
    target = config.target_loss
    t0 = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        run_epoch(theta, opt, x_tr, y_tr, config.batch_size, h, gen)
        metrics = evaluate(theta, x_tr, y_tr, h) + evaluate(theta, x_va, y_va, h)
        if not (math.isfinite(metrics[0]) and bool(torch.isfinite(theta).all())):
            diverged = epoch
            break
        history.append(metrics)
        last_good = theta.detach().clone()
        if target and metrics[0] <= target:
            reached = epoch
            break
        if target and stalled([h[0] for h in history], config.updates_per_epoch):
            break
        if progress is not None:
            done = epoch / config.epochs
            progress(max(done, target_progress(history[0][0], metrics[0], target)) if target else done)
    seconds = time.perf_counter() - t0
    if progress is not None:
        progress(1.0)
    cols = np.asarray(history, dtype=np.float64).T
    top = sharpness_at(last_good, h, config.seed) if measure_sharpness and diverged < 0 else math.nan
    return TrainRun(config=config, train_loss=cols[0], train_acc=cols[1], val_loss=cols[2], val_acc=cols[3],
                    diverged_epoch=diverged, theta=last_good.numpy(), sharpness=float(top), seconds=seconds,
                    reached_epoch=reached)
