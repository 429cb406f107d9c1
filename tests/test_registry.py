"""Every registered rule has every part, and every optimizer entry carries torch.optim's names and defaults."""
import inspect
import re

import numba
import numpy as np
import pytest
import torch

import i18n
import optimizers
from lab import controls as C
from optimizers import catalog, kernel
from optimizers.rules import Hyper, all_rules, by_code, rule

RULES = all_rules()
# Where our default differs from torch's on purpose (documented in optimizers.catalog): SGD's momentum is 0 in
# torch, which would make "momentum" plain GD, and Nesterov requires momentum > 0.
OUR_DEFAULTS = {("momentum", "momentum"): 0.9, ("nesterov", "momentum"): 0.9}


@pytest.mark.parametrize("r", RULES, ids=lambda r: f"{r.part}:{r.key}")
def test_every_rule_has_every_part(r):
    assert r.part in ("m", "sigma") and by_code(r.part)[r.code] is r
    assert isinstance(r.step, numba.core.registry.CPUDispatcher), "the step is a compiled function"
    assert r.summary and "\n" not in r.note
    assert all(isinstance(h, Hyper) for h in r.hyper)
    assert all(isinstance(name, str) and name for name in r.state)
    assert max(kernel.sizes(r)) <= kernel.MAX_TUPLE
    for h in r.hyper:  # its control: a kind the pages know, the default inside the allowed range
        assert h.control in ("log", "linear", "bool") and h.symbol
        if h.control == "bool":
            assert isinstance(h.default, bool)
        else:
            h.check(r.key, h.default)
            assert h.control != "log" or len(h.options) >= 2
            assert h.control != "linear" or h.ui_range[0] < h.ui_range[1]
    if r.tables is not None:
        assert set(r.table_hyper) <= set(r.hyper_keys())
        assert r.table_rows({h.key: h.default for h in r.hyper}, 3).shape == (r.n_tables(), 4)
    if r.lecture_form:  # the lecture's form: a rule of the same part, flagged, with a subset of the hyperparameters
        lecture = rule(r.part, r.lecture_form)
        assert lecture.lecture and not r.lecture and set(lecture.hyper_keys()) <= set(r.hyper_keys())
    for bound in (catalog.get(n).m if r.part == "m" else catalog.get(n).sigma for n in catalog.names()):
        if bound.rule is r:  # its LaTeX, aligned lines, with the values substituted
            lines = r.latex(bound, catalog.get(optimizers.names()[0]))
            assert all(" &= " in line or " &\\leftarrow " in line for line in lines)
            break


def test_every_rule_is_used_and_every_lecture_form_is_reachable():
    assert catalog.unused_rules() == []
    lectures = {r.key for r in RULES if r.lecture}
    reached = {r.key for n in catalog.names() for r in catalog.entry(n).rules("lecture")}
    assert lectures <= reached


@pytest.mark.parametrize("name", catalog.names())
def test_every_optimizer_has_torchs_names_and_defaults(name):
    entry = catalog.entry(name)
    hyper = entry.hyper()
    assert hyper[0].key == "lr" and len({h.key for h in hyper}) == len(hyper)
    if not entry.torch:  # Lion: the names of the common PyTorch implementations
        assert {h.name: h.default for h in hyper} == {"lr": 1e-4, "betas[0]": 0.9, "betas[1]": 0.99,
                                                      "weight_decay": 0.0}
        return
    signature = inspect.signature(getattr(torch.optim, entry.torch).__init__).parameters
    for h in hyper:
        keyword, index = h.pair or (h.key, None)
        assert keyword in signature, f"{name}: torch.optim.{entry.torch} has no {keyword}"
        torch_default = signature[keyword].default
        torch_default = torch_default if index is None else torch_default[index]
        assert OUR_DEFAULTS.get((name, h.key), torch_default) == h.default, (name, h.key)
    for keyword, value in entry.torch_fixed:
        assert keyword in signature and value != signature[keyword].default


def test_controls_labels_and_catalog_keys_come_from_the_registry():
    keys = {h.key for r in RULES for h in r.hyper} | {"lr", "weight_decay", "lr_decay", "decoupled_weight_decay"}
    assert set(C.CONTROLS) == keys
    for key, h in C.CONTROLS.items():  # a key shared by rules is one control
        same = [g for r in RULES for g in r.hyper if g.key == key]
        assert all((g.symbol, g.control, g.options, g.ui_range, g.name) == (h.symbol, h.control, h.options,
                                                                            h.ui_range, h.name) for g in same)
    assert set(C.LECTURE_OPTIMIZERS) == {"momentum", "adagrad", "rmsprop"}
    for lang in i18n.LANGUAGES:
        missing = [k for k in catalog.text_keys() if k not in i18n.catalog(lang)]
        assert missing == [], lang


def test_each_hyperparameter_is_checked_with_its_torch_name_and_range():
    with pytest.raises(ValueError, match=re.escape("rprop: etas[0] = 1.5 is out of range; allowed 0 < etas[0] < 1")):
        optimizers.get("rprop", etas=(1.5, 1.2))
    with pytest.raises(ValueError, match=re.escape("step_sizes[0] <= step_sizes[1]")):
        optimizers.get("rprop", step_sizes=(1.0, 0.5))
    with pytest.raises(ValueError, match="adadelta: rho = 2"):
        optimizers.get("adadelta", rho=2.0)
    with pytest.raises(ValueError, match="lion: betas\\[1\\] = 1 is out of range"):
        optimizers.get("lion", betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="unexpected keyword argument 'momentum_decay'"):
        optimizers.get("adam", momentum_decay=0.1)
    with pytest.raises(ValueError, match="dampening = 0.5 is out of range for variant='lecture'"):
        optimizers.get("momentum", dampening=0.5, variant="lecture")
    opt = optimizers.get("nadam", betas=(0.8, np.array([0.9, 0.99])))
    assert opt.size == 2 and dict(opt.settings)["betas"] == (0.8, (0.9, 0.99))
