"""The named optimizers: each is one entry, a choice of an m rule and a σ rule with torch's defaults.

Adding an optimizer is one ``Entry`` in ``ENTRIES`` (plus its rules in
``optimizers.momentum`` / ``optimizers.scaling`` if they are new) and its
texts in the catalogs (``i18n/*.toml``, table ``[optimizer.<name>]``: title,
short, description; ``text_keys()`` lists every key that must exist).

Hyperparameters carry torch.optim's names and defaults. ``variant="lecture"``
replaces each rule that the lecture writes differently by its lecture form
(momentum, Adagrad, RMSProp); for the others both variants are the same rule.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from . import momentum as _momentum  # noqa: F401  (registers the m rules)
from . import scaling as _scaling  # noqa: F401  (registers the σ rules)
from .rules import Bound, Hyper, Rule, all_rules, log_options, rule
from .validate import choice

VARIANTS = ("torch", "lecture")
WEIGHT_DECAY_MODES = ("l2", "decoupled", "either", "")  # "either": the decoupled_weight_decay switch; "": none

LR_OPTIONS = log_options(-8, 1, (1, 2, 3, 5))  # 1e-8 … 10; 3e-k too: the lecture uses η = 0.03
LR = Hyper("lr", 1e-3, "η", 0.0, 1e6, control="log", options=LR_OPTIONS, primary=True)
WEIGHT_DECAY = _momentum.WEIGHT_DECAY
LR_DECAY = Hyper("lr_decay", 0.0, "d", 0.0, 1e6, control="log", options=(0.0,) + log_options(-5, 0, (1, 3)))
DECOUPLED = Hyper("decoupled_weight_decay", False, "decoupled", control="bool")


@dataclass(frozen=True)
class Entry:
    """One optimizer: its m and σ rules (torch's variant), torch's default lr, how weight decay enters,
    whether η carries Adagrad's lr_decay, and the torch.optim class it equals (``torch``, with
    keywords that class needs, ``torch_fixed``; empty for an optimizer torch does not have)."""
    name: str
    m: str
    sigma: str
    lr: float
    torch: str = ""
    torch_fixed: tuple = ()
    weight_decay: str = "l2"
    weight_decay_default: float = 0.0
    lr_decay: bool = False
    defaults: tuple = ()  # ((key, value), ...): torch's defaults where they differ from the rules'

    def rules(self, variant: str = "torch") -> tuple[Rule, Rule]:
        m, sigma = rule("m", self.m), rule("sigma", self.sigma)
        if variant == "lecture":
            m = rule("m", m.lecture_form) if m.lecture_form else m
            sigma = rule("sigma", sigma.lecture_form) if sigma.lecture_form else sigma
        return m, sigma

    @property
    def has_lecture_form(self) -> bool:
        return any(r.lecture_form for r in self.rules())

    def own_hyper(self) -> tuple[Hyper, ...]:
        """The optimizer's hyperparameters outside its rules: lr, weight decay, lr_decay."""
        out = [replace(LR, default=self.lr)]
        if self.weight_decay:
            out.append(replace(WEIGHT_DECAY, default=self.weight_decay_default))
        if self.lr_decay:
            out.append(LR_DECAY)
        if self.weight_decay == "either":
            out.append(DECOUPLED)
        return tuple(out)

    def hyper(self, variant: str = "torch") -> tuple[Hyper, ...]:
        """Every hyperparameter, torch's defaults in place: lr first, then the rules', then the rest."""
        m, sigma = self.rules(variant)
        own = self.own_hyper()
        overrides = dict(self.defaults)
        rules = [replace(h, default=overrides.get(h.key, h.default)) for h in m.hyper + sigma.hyper]
        return (own[0], *rules, *own[1:])

    def defaults_by_key(self, variant: str = "torch") -> dict:
        return {h.key: h.default for h in self.hyper(variant)}


ENTRIES: dict[str, Entry] = {e.name: e for e in (
    Entry("gd", "gradient", "unit", 1e-3, "SGD"),
    Entry("momentum", "heavy_ball", "unit", 1e-3, "SGD", (("momentum", 0.9),)),  # torch's default momentum is 0
    Entry("nesterov", "nesterov", "unit", 1e-3, "SGD", (("momentum", 0.9), ("nesterov", True))),
    Entry("adagrad", "gradient", "root_sum_square", 1e-2, "Adagrad", lr_decay=True),
    Entry("rmsprop", "gradient", "moving_rms", 1e-2, "RMSprop"),
    Entry("adam", "adam_average", "adam_rms", 1e-3, "Adam", weight_decay="either"),
    Entry("adamw", "adam_average", "adam_rms", 1e-3, "AdamW", weight_decay="decoupled", weight_decay_default=1e-2),
    Entry("radam", "adam_average", "rectified_rms", 1e-3, "RAdam", weight_decay="either"),
    Entry("nadam", "nadam_average", "nadam_rms", 2e-3, "NAdam", weight_decay="either"),
    Entry("adamax", "adam_average", "infinity_norm", 2e-3, "Adamax"),
    Entry("adadelta", "gradient", "adadelta", 1.0, "Adadelta"),
    Entry("rprop", "rprop", "unit", 1e-2, "Rprop", weight_decay=""),
    Entry("lion", "lion", "unit", 1e-4, weight_decay=""),  # Lion's own weight_decay is part of its rule
)}


@dataclass(frozen=True, eq=False)
class Optimizer:
    """θ_{t+1} = θ_t − (η_t/σ_t) ⊙ m_t with η_t = lr · schedule(t), one m rule and one σ rule."""
    name: str
    m: Bound
    sigma: Bound
    lr: np.ndarray
    weight_decay: np.ndarray = field(default_factory=lambda: np.float64(0.0))
    decoupled_weight_decay: bool = False  # θ ← θ(1 − η_t λ) before the step (AdamW) instead of g ← g + λθ
    lr_decay: np.ndarray = field(default_factory=lambda: np.float64(0.0))  # Adagrad: η_t / (1 + t lr_decay)
    variant: str = "torch"
    settings: tuple = ()  # ((torch's name, value), ...) for display

    def arrays(self) -> list:
        return [self.lr, self.weight_decay, self.lr_decay, *self.m.values.values(), *self.sigma.values.values()]

    @property
    def size(self) -> int:
        """K implied by swept hyperparameters (1 when none is an array)."""
        sizes = {np.size(v) for v in self.arrays() if np.ndim(v) == 1}
        if len(sizes) > 1:
            raise ValueError(f"{self.name}: swept hyperparameters have different lengths {sorted(sizes)}; "
                             "all arrays must have the same length K")
        return sizes.pop() if sizes else 1


def names() -> tuple[str, ...]:
    return tuple(ENTRIES)


def entry(name: str) -> Entry:
    if name not in ENTRIES:
        raise ValueError(f"optimizer: {name!r} is not an optimizer; valid names: {', '.join(names())}")
    return ENTRIES[name]


def lecture_optimizers() -> tuple[str, ...]:
    """The optimizers whose lecture variant differs from torch's (a rule the lecture writes differently)."""
    return tuple(n for n, e in ENTRIES.items() if e.has_lecture_form)


def _keywords(entry_: Entry, given: dict) -> dict:
    """torch's keywords -> hyperparameter keys (betas=(b1, b2) -> beta1, beta2); unknown ones are errors."""
    hyper = entry_.hyper()
    pairs = {}
    for h in hyper:
        if h.pair:
            pairs.setdefault(h.pair[0], {})[h.pair[1]] = h.key
    known = {h.key for h in hyper if not h.pair} | set(pairs)
    out = {}
    for keyword, value in given.items():
        if keyword in pairs:
            if isinstance(value, str) or not hasattr(value, "__len__") or len(value) != 2:
                raise ValueError(f"{entry_.name}: {keyword} = {value!r} must be a pair "
                                 f"({', '.join(pairs[keyword][i] for i in range(2))})")
            out.update({pairs[keyword][i]: value[i] for i in range(2)})
        elif keyword in known:
            out[keyword] = value
        else:
            raise ValueError(f"optimizer {entry_.name!r}: got an unexpected keyword argument {keyword!r}; "
                             f"valid: {', '.join(sorted(known))}, variant")
    return out


def _torch_settings(hyper: tuple, values: dict) -> tuple:
    """((torch's name, value), ...): pairs as tuples, arrays as tuples, for display."""
    out, pairs = [], {}
    for h in hyper:
        v = values[h.key]
        v = (v if isinstance(v, bool) else float(v)) if np.ndim(v) == 0 else tuple(np.asarray(v).tolist())
        if h.pair:
            pairs.setdefault(h.pair[0], {})[h.pair[1]] = v
            if len(pairs[h.pair[0]]) == 2:
                out.append((h.pair[0], (pairs[h.pair[0]][0], pairs[h.pair[0]][1])))
        else:
            out.append((h.key, v))
    return tuple(out)


def get(name: str, variant: str = "torch", **hyperparameters) -> Optimizer:
    """The optimizer called ``name`` with torch.optim's hyperparameter names; any number may be a (K,) array."""
    entry_ = entry(name)
    choice(name, "variant", variant, VARIANTS)
    given = _keywords(entry_, hyperparameters)
    full = entry_.hyper("torch")
    values = {h.key: h.check(name, given.get(h.key, h.default)) for h in full}
    m, sigma = entry_.rules(variant)
    kept = {h.key for h in entry_.hyper(variant)}
    for h in full:  # a hyperparameter the lecture's form does not have must keep torch's default
        if h.key not in kept and np.any(np.asarray(values[h.key]) != h.default):
            raise ValueError(f"{name}: {h.name} = {hyperparameters.get(h.pair[0] if h.pair else h.key)!r} is out "
                             f"of range for variant='lecture'; allowed {h.default!r}")
    for r in (m, sigma):
        if r.check:
            r.check(name, values)
    defaults = dict(entry_.defaults)
    bound = [Bound(r, {h.key: values.get(h.key, defaults.get(h.key, h.default)) for h in r.hyper}) for r in (m, sigma)]
    mode = entry_.weight_decay
    decoupled = mode == "decoupled" or (mode == "either" and bool(values.get("decoupled_weight_decay", False)))
    weight_decay = values["weight_decay"] if mode else np.float64(0.0)  # Lion's own is its rule's, not the engine's
    return Optimizer(name, bound[0], bound[1], values["lr"], weight_decay, decoupled,
                     values.get("lr_decay", np.float64(0.0)), variant, _torch_settings(full, values))


def controls() -> dict[str, Hyper]:
    """Every hyperparameter a page can show, by key (the first definition of a shared key)."""
    out: dict[str, Hyper] = {}
    for e in ENTRIES.values():
        for variant in VARIANTS:
            for h in e.hyper(variant):
                out.setdefault(h.key, h)
    return out


def text_keys() -> tuple[str, ...]:
    """The catalog keys (i18n) the registry needs: each optimizer's title, short name and description,
    each control's help."""
    keys = [f"optimizer.{n}.{part}" for n in ENTRIES for part in ("title", "short", "description")]
    keys += [f"control.{k}.help" for k in controls()]
    return tuple(keys)


def rules_in_use() -> set[Rule]:
    return {r for e in ENTRIES.values() for v in VARIANTS for r in e.rules(v)}


def unused_rules() -> list[str]:
    return [r.key for r in all_rules() if r not in rules_in_use()]
