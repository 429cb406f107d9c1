"""Time one update and one epoch at a given batch size, honestly; name the device it ran on.

The lecture's claim: on parallel hardware one update on a batch of B examples costs about as much
as on a batch of 1 until the hardware is full, so an epoch of N examples, ⌈N / B⌉ updates, ends far
sooner with a large batch. What is measured for each B (``measure_batch``):

1. a fresh model and ``torch.optim.SGD`` (built once per batch size), the synthetic set on the device;
2. ``warmup`` updates, not timed (first calls allocate memory, pick kernels, fill caches);
3. ``repeats`` timed updates t₁ … t_R, each one forward, loss, backward and optimizer step on the
   next slice of B examples (cycling through the set), read with ``time.perf_counter`` after
   waiting for the device (``torch.cuda.synchronize`` / ``torch.mps.synchronize``): GPU work is
   queued, and a clock read without waiting would time the queueing only;
4. the summary: median t(B) and the spread as the interquartile range, the 25th and 75th
   percentiles (numpy's linear interpolation between order statistics);
5. the epoch estimate T(B) = ⌈N / B⌉ · t(B), and, where that estimate is within ``epoch_budget_s``,
   one real epoch (⌈N / B⌉ updates in order, the last one on the remaining N − (⌈N / B⌉ − 1)·B
   examples) timed as a whole, to show that the estimate holds.

Out of memory at some B (CUDA's ``torch.cuda.OutOfMemoryError``, MPS's and the CPU allocator's
RuntimeError, ``MemoryError``) gives a row with status ``out_of_memory`` and the caller goes on
with the next size. On the CPU the operating system may kill the process instead of raising, so
there a size whose estimated memory exceeds what is free is not attempted (``memory_guard``).

The timers take the clock and the device's wait as arguments, so tests can feed them fake times.
"""
from __future__ import annotations

import gc
import os
import platform
import re
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from optimizers.validate import choice, in_range, integer

from . import models, synthetic
from .timing_csv import TimingRow

DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_BATCH = synthetic.EXAMPLES  # a batch holds at most the whole training set
MAX_SIZES = 12
MAX_REPEATS = 100
MAX_WARMUP = 20
MAX_BUDGET_S = 600.0
LEARNING_RATE = 0.01  # any value times the same; SGD's step is one multiply-add per parameter
MEMORY_FACTOR = 1.5  # peak ≈ this × the activations of the forward pass (about 1.0 measured on the CPU, plus margin)
MEMORY_GUARD = 0.8  # on the CPU attempt a size only if its estimate fits in this share of free memory
EPOCH_PROGRESS_CALLS = 50  # progress reports per measured epoch (each may cost a Streamlit message)
MAX_THREADS = os.cpu_count() or 1  # torch's CPU threads: one per logical CPU at most


# ----------------------------------------------------------------- statistics
@dataclass(frozen=True)
class Spread:
    """The summary of R timed updates: median and interquartile range (25th–75th percentile)."""
    median: float
    low: float
    high: float
    n: int


def summarize(durations) -> Spread:
    """Median, 25th and 75th percentile of ``durations`` (seconds; at least one, all finite)."""
    d = np.asarray(durations, dtype=np.float64)
    if d.ndim != 1 or d.size == 0 or not np.all(np.isfinite(d)):
        raise ValueError(f"durations = {durations!r} must be a non-empty list of finite numbers")
    low, median, high = np.percentile(d, [25.0, 50.0, 75.0])
    return Spread(float(median), float(low), float(high), int(d.size))


def updates_per_epoch(examples: int, batch: int) -> int:
    """⌈N / B⌉: one pass over N examples, the last batch smaller when B does not divide N."""
    return -(-int(examples) // int(batch))


def epoch_estimate(median_s: float, examples: int, batch: int) -> float:
    """T(B) = ⌈N / B⌉ · t(B)."""
    return updates_per_epoch(examples, batch) * float(median_s)


# ----------------------------------------------------------------- timers (clock and device wait injected)
def _no_wait() -> None:
    pass


def time_updates(step: Callable[[int], None], count: int, *, first: int = 0, clock=time.perf_counter,
                 wait=_no_wait, after=None) -> list[float]:
    """Durations of ``step(first)`` … ``step(first + count − 1)``, each read as clock() after wait()
    minus clock() after wait() before it. ``after(k)`` is called between timings (not timed)."""
    durations = []
    for k in range(count):
        wait()
        start = clock()
        step(first + k)
        wait()
        durations.append(clock() - start)
        if after is not None:
            after(k + 1)
    return durations


def time_epoch(step: Callable[[int], None], updates: int, *, clock=time.perf_counter, wait=_no_wait,
               after=None) -> float:
    """Seconds for ``step(0)`` … ``step(updates − 1)`` in a row, one clock reading at each end.
    ``after(k)`` is called about EPOCH_PROGRESS_CALLS times along the way (inside the timed span:
    cheap, a few at most per second)."""
    every = max(1, updates // EPOCH_PROGRESS_CALLS)
    wait()
    start = clock()
    for i in range(updates):
        step(i)
        if after is not None and (i + 1) % every == 0:
            after(i + 1)
    wait()
    return clock() - start


# ----------------------------------------------------------------- out of memory
_OOM_TEXT = ("out of memory", "can't allocate memory", "cannot allocate memory")


def is_out_of_memory(exc: BaseException) -> bool:
    """True for the ways an allocator says no: ``torch.cuda.OutOfMemoryError``, ``MemoryError``, and a
    RuntimeError whose message says so (MPS: "MPS backend out of memory"; the CPU allocator:
    "DefaultCPUAllocator: can't allocate memory")."""
    if isinstance(exc, (torch.cuda.OutOfMemoryError, MemoryError)):
        return True
    return isinstance(exc, RuntimeError) and any(s in str(exc).lower() for s in _OOM_TEXT)


def activation_floats(model: nn.Module, example: torch.Tensor) -> int:
    """Numbers each leaf module outputs for one example (``example`` has batch size 1)."""
    total = 0

    def count(_module, _inputs, output):
        nonlocal total
        total += output.numel()

    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    hooks = [m.register_forward_hook(count) for m in leaves]
    try:
        with torch.no_grad():
            model(example)
    finally:
        for h in hooks:
            h.remove()
    return total


def memory_needed(model: nn.Module, example: torch.Tensor, batch: int) -> int:
    """Bytes an update at ``batch`` needs beyond the data, about MEMORY_FACTOR × B × activations × 4 B."""
    return int(MEMORY_FACTOR * batch * activation_floats(model, example) * example.element_size())


def memory_free(meminfo: str = "/proc/meminfo") -> int | None:
    """MemAvailable in bytes, or None where the system does not say."""
    try:
        with open(meminfo) as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _release(device: str) -> None:
    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.empty_cache()
    elif device == "mps":
        torch.mps.empty_cache()


# ----------------------------------------------------------------- devices
def available_devices() -> list[str]:
    """The devices torch can use here, fastest kind first; always ends with "cpu"."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if torch.backends.mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def resolve_device(name: str) -> str:
    """``auto`` → the first of available_devices(); otherwise ``name`` if torch can use it here."""
    choice("batch timing", "device", name, DEVICES)
    available = available_devices()
    if name == "auto":
        return available[0]
    if name not in available:
        raise ValueError(f"batch timing: device = {name!r} is not available here; allowed: "
                         f"{', '.join(['auto', *available])}")
    return name


def cpu_model(cpuinfo: str = "/proc/cpuinfo") -> str:
    """The processor's name from /proc/cpuinfo, without ™/® marks; platform's guess elsewhere."""
    name = ""
    try:
        with open(cpuinfo) as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    name = line.split(":", 1)[1]
                    break
    except OSError:
        pass
    name = name or platform.processor() or "unknown processor"
    name = re.sub(r"\((R|TM|tm|r)\)", "", name)
    return " ".join(name.split())


def describe_device(device: str, *, threads: int | None = None, cpuinfo: str = "/proc/cpuinfo") -> str:
    """What ran the updates, for plots and CSV: "GPU: <name>", or "CPU: <model>, <n> threads" with
    torch's intra-op thread count (read, never set)."""
    if device.startswith("cuda"):
        return f"GPU: {torch.cuda.get_device_name(torch.device(device))}"
    if device == "mps":
        return f"GPU: Apple {platform.machine()} (MPS)"
    n = torch.get_num_threads() if threads is None else int(threads)
    return f"CPU: {cpu_model(cpuinfo)}, {n} thread{'s' if n != 1 else ''}"


def cpu_load() -> tuple[float, int] | None:
    """(load average over the last minute, logical CPUs), or None where the system does not say.

    Above the CPU count, programs wait for a core: CPU timings are inflated and noisy then, worst
    with several torch threads per update, which wait for each other at every operation."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    return float(load), os.cpu_count() or 1


def device_wait(device: str) -> Callable[[], None]:
    """What to call before reading the clock: wait until the device has finished the queued work."""
    if device.startswith("cuda"):
        return torch.cuda.synchronize
    if device == "mps":
        return torch.mps.synchronize
    return _no_wait  # the CPU runs each op before returning


# ----------------------------------------------------------------- settings
class BatchSizesError(ValueError):
    """A batch-size list that cannot be used: ``token`` is the first bad entry."""

    def __init__(self, token: str):
        self.token = token
        super().__init__(f"batch timing: batches: {token!r} is not valid; allowed whole numbers "
                         f"1 <= batch <= {MAX_BATCH:,}, up to {MAX_SIZES} of them, separated by commas")


def parse_batches(text: str) -> tuple[int, ...]:
    """"1, 10, 100" → (1, 10, 100): sorted, duplicates dropped. Commas, semicolons or spaces separate;
    a thousands separator is not allowed (1,000 would read as 1 and 000)."""
    tokens = [t for t in re.split(r"[,;\s]+", str(text).strip()) if t]
    if not tokens:
        raise BatchSizesError(str(text))
    sizes = set()
    for token in tokens:
        clean = token.replace("_", "")
        if not (clean.isascii() and clean.isdigit()) or not 1 <= int(clean) <= MAX_BATCH:
            raise BatchSizesError(token)
        sizes.add(int(clean))
    if len(sizes) > MAX_SIZES:
        raise BatchSizesError(tokens[MAX_SIZES])
    return tuple(sorted(sizes))


def batches_text(batches) -> str:
    return ", ".join(str(b) for b in batches)


@dataclass(frozen=True)
class TimingConfig:
    """One benchmark: a model, the batch sizes, R timed updates after W untimed ones, an epoch budget
    in seconds (measure a real epoch where ⌈N / B⌉ · t(B) ≤ it), the device (already resolved), and
    torch's CPU threads for the measuring process (1 … the CPU count; set by whoever owns that process:
    the page's worker, batchlab.timing_worker, or the command line; measure_batch never sets it)."""
    model: str = "mlp"
    batches: tuple = (1, 10, 100, 1_000, 10_000, 60_000)
    repeats: int = 5
    warmup: int = 3
    epoch_budget_s: float = 10.0
    device: str = "cpu"
    examples: int = synthetic.EXAMPLES
    threads: int = MAX_THREADS

    def __post_init__(self):
        owner = "batch timing"
        choice(owner, "model", self.model, models.MODELS)
        integer(owner, "examples", self.examples, 1, synthetic.EXAMPLES)
        sizes = tuple(self.batches)
        if not sizes or len(sizes) > MAX_SIZES:
            raise ValueError(f"{owner}: batches = {sizes!r} is out of range; allowed 1 to {MAX_SIZES} sizes")
        object.__setattr__(self, "batches", tuple(integer(owner, "batch", b, 1, self.examples) for b in sizes))
        object.__setattr__(self, "repeats", integer(owner, "repeats", self.repeats, 1, MAX_REPEATS))
        object.__setattr__(self, "warmup", integer(owner, "warmup", self.warmup, 0, MAX_WARMUP))
        object.__setattr__(self, "epoch_budget_s",
                           float(in_range(owner, "epoch_budget_s", self.epoch_budget_s, 0.0, MAX_BUDGET_S)))
        choice(owner, "device", self.device, DEVICES[1:])  # resolved: resolve_device("auto") first
        object.__setattr__(self, "threads", integer(owner, "threads", self.threads, 1, MAX_THREADS))


# ----------------------------------------------------------------- one batch size
def _reporter(progress, phase: str, total: int):
    """``progress`` bound to one phase, as the timers' ``after(k)``; None without progress."""
    if progress is None:
        return None
    return lambda k: progress(phase, k, total)


def _update_step(model, optimizer, loss_fn, images, labels):
    """One full update on examples [start, stop): forward, loss, backward, SGD step."""
    def update(start: int, stop: int) -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(images[start:stop]), labels[start:stop])
        loss.backward()
        optimizer.step()
    return update


def measure_batch(config: TimingConfig, batch: int, *, describe: str | None = None, progress=None,
                  make_model=None, free_memory=memory_free, clock=time.perf_counter) -> TimingRow:
    """The row for one batch size (see the module's docstring for what is measured).

    ``progress(phase, done, total)`` is called with phase "warmup", "repeats" or "epoch" (it may raise
    to stop: nothing is kept then). ``make_model`` defaults to ``models.make_model``; ``free_memory()``
    gives the free bytes for the CPU's memory guard (None: no guard)."""
    device = config.device
    describe = describe or describe_device(device)
    make_model = make_model or models.make_model
    row = dict(device=describe, model=config.model, batch=int(batch), examples=config.examples,
               repeats=config.repeats)
    images, labels = synthetic.dataset(device, config.examples)
    model = make_model(config.model).to(device)

    if device == "cpu":
        free = free_memory() if free_memory else None
        if free is not None and memory_needed(model, images[:1], batch) > MEMORY_GUARD * free:
            return TimingRow(**row, status="memory_guard")

    wait = device_wait(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    update = _update_step(model, optimizer, nn.CrossEntropyLoss(), images, labels)
    full = config.examples // batch  # whole batches in the set: the timed updates cycle through them

    def cycling(i: int) -> None:
        start = (i % full) * batch
        update(start, start + batch)

    out_of_memory = False
    try:
        time_updates(cycling, config.warmup, wait=wait, clock=clock, after=_reporter(progress, "warmup", config.warmup))
        spread = summarize(time_updates(cycling, config.repeats, first=config.warmup, wait=wait, clock=clock,
                                        after=_reporter(progress, "repeats", config.repeats)))
        estimate = epoch_estimate(spread.median, config.examples, batch)
        measured = None
        if estimate <= config.epoch_budget_s:
            n = updates_per_epoch(config.examples, batch)
            measured = time_epoch(lambda i: update(i * batch, min((i + 1) * batch, config.examples)), n,
                                  wait=wait, clock=clock, after=_reporter(progress, "epoch", n))
    except Exception as exc:  # only an allocator's refusal is a result; anything else is a bug
        if not is_out_of_memory(exc):
            raise
        out_of_memory = True
    if out_of_memory:
        # Outside the except block: the exception's traceback, which holds the frames that hold the
        # large tensors, is gone, so the memory can actually be handed back.
        model = optimizer = update = cycling = None
        _release(device)
        return TimingRow(**row, status="out_of_memory")
    return TimingRow(**row, median_s=spread.median, low_s=spread.low, high_s=spread.high,
                     epoch_estimate_s=estimate, epoch_measured_s=measured)
