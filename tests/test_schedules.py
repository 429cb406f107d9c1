"""Learning-rate schedules against torch.optim.lr_scheduler, update by update.

For each kind and setting, torch's scheduler is stepped in the documented
order (optimizer.step(), then scheduler.step()) and the group lr used by each
update is recorded; Schedule(...)(np.arange(T), lr) must equal it.
"""
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.optim import lr_scheduler as L

from optimizers import Schedule, schedule, schedule_names

LRS = (0.1, 0.03)  # two base rates: a shift (eta_min) folded into lr would show


def torch_lrs(make, lr, T):
    """The lr torch uses for updates 0..T-1 with the scheduler built by make(opt)."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)  # grad None: step is cheap
    opt = torch.optim.SGD([p], lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "lr_scheduler.step() before optimizer.step()"
        sched = make(opt)
        out = np.empty(T)
        for i in range(T):
            out[i] = opt.param_groups[0]["lr"]
            opt.step()
            sched.step()
    return out


def _warmup(o, W, s):
    return L.LinearLR(o, start_factor=s, end_factor=1.0, total_iters=W)


def _transformer_lambda(d_model, warmup):
    # Vaswani et al. §5.3, with the paper's 1-based step number n = i + 1.
    def f(i):
        n = i + 1
        return 1.0 / math.sqrt(d_model) * min(1.0 / math.sqrt(n), n / warmup ** 1.5)
    return f


# (kind, params, torch factory, T); params = {} means the defaults, whose torch
# counterpart is written out with explicit values.
CASES = [
    ("constant", {}, lambda o: L.LambdaLR(o, lambda i: 1.0), 50),
    ("step", {}, lambda o: L.StepLR(o, step_size=300), 1000),
    ("step", dict(step_size=7, gamma=0.5), lambda o: L.StepLR(o, 7, gamma=0.5), 200),
    ("step", dict(step_size=1, gamma=0.9), lambda o: L.StepLR(o, 1, gamma=0.9), 300),
    ("multistep", {}, lambda o: L.MultiStepLR(o, milestones=[300, 600]), 1000),
    ("multistep", dict(milestones=(10, 25, 26), gamma=0.5),
     lambda o: L.MultiStepLR(o, [10, 25, 26], gamma=0.5), 100),
    ("multistep", dict(milestones=[1], gamma=0.3), lambda o: L.MultiStepLR(o, [1], gamma=0.3), 10),
    ("exponential", {}, lambda o: L.ExponentialLR(o, gamma=0.995), 2000),
    ("exponential", dict(gamma=0.5), lambda o: L.ExponentialLR(o, 0.5), 200),
    ("exponential", dict(gamma=1.0), lambda o: L.ExponentialLR(o, 1.0), 20),
    ("inverse_sqrt", {}, lambda o: L.LambdaLR(o, lambda i: (i + 1) ** -0.5), 2000),
    # cosine: T passes T_max into the second and third periods (torch is periodic)
    ("cosine", {}, lambda o: L.CosineAnnealingLR(o, T_max=1000), 2500),
    ("cosine", dict(T_max=7, eta_min=0.01), lambda o: L.CosineAnnealingLR(o, 7, eta_min=0.01), 100),
    ("cosine", dict(T_max=100, eta_min=0.05),  # eta_min > lr = 0.03: anneals upwards
     lambda o: L.CosineAnnealingLR(o, 100, eta_min=0.05), 450),
    ("cosine", dict(T_max=1), lambda o: L.CosineAnnealingLR(o, 1), 10),
    ("warmup_linear", {}, lambda o: L.SequentialLR(o, [
        _warmup(o, 100, 0.01), L.LinearLR(o, 1.0, 0.0, total_iters=900)], milestones=[100]), 1200),
    ("warmup_linear", dict(warmup_iters=5, total_iters=20, start_factor=1 / 3, end_factor=0.5),
     lambda o: L.SequentialLR(o, [_warmup(o, 5, 1 / 3), L.LinearLR(o, 1.0, 0.5, 15)], [5]), 40),
    ("warmup_linear", dict(warmup_iters=1, total_iters=3, start_factor=0.5),
     lambda o: L.SequentialLR(o, [_warmup(o, 1, 0.5), L.LinearLR(o, 1.0, 0.0, 2)], [1]), 10),
    ("warmup_cosine", {}, lambda o: L.SequentialLR(o, [
        _warmup(o, 100, 0.01), L.CosineAnnealingLR(o, T_max=900)], milestones=[100]), 2500),
    ("warmup_cosine", dict(warmup_iters=10, total_iters=50, start_factor=0.25, eta_min=0.01),
     lambda o: L.SequentialLR(o, [_warmup(o, 10, 0.25), L.CosineAnnealingLR(o, 40, 0.01)], [10]),
     300),
    ("warmup_cosine", dict(warmup_iters=1, total_iters=2, start_factor=1.0),
     lambda o: L.SequentialLR(o, [_warmup(o, 1, 1.0), L.CosineAnnealingLR(o, 1)], [1]), 20),
    ("transformer", {}, lambda o: L.LambdaLR(o, _transformer_lambda(512, 4000)), 5000),
    ("transformer", dict(d_model=64, warmup=50), lambda o: L.LambdaLR(o, _transformer_lambda(64, 50)),
     300),
    ("resnet", {}, lambda o: L.ChainedScheduler([
        L.ConstantLR(o, factor=0.1, total_iters=400), L.MultiStepLR(o, [32000, 48000], gamma=0.1)]),
     48100),
    ("resnet", dict(factor=0.5, total_iters=10, milestones=(5, 30), gamma=0.2),
     lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.5, 10), L.MultiStepLR(o, [5, 30], 0.2)]), 60),
    ("resnet", dict(factor=0.01, total_iters=1, milestones=(3,)),
     lambda o: L.ChainedScheduler([L.ConstantLR(o, 0.01, 1), L.MultiStepLR(o, [3], 0.1)]), 10),
]


def _case_id(case):
    kind, params, _, _ = case
    return kind + ("(" + ",".join(f"{k}={v}" for k, v in params.items()) + ")" if params else "")


def test_every_kind_is_checked_against_torch():
    assert schedule_names() == ("constant", "step", "multistep", "exponential", "inverse_sqrt", "cosine",
                                "warmup_linear", "warmup_cosine", "transformer", "resnet")
    assert {c[0] for c in CASES} == set(schedule_names())


@pytest.mark.parametrize("lr", LRS)
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch(case, lr):
    kind, params, make, T = case
    expected = torch_lrs(make, lr, T)
    got = schedule(kind, **params)(np.arange(T), lr)
    assert got.shape == (T,) and got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14 * np.abs(expected).max())


def test_lr_array_sweep_matches_torch():
    # K swept base rates at once: lr of shape (K, 1) against t of shape (T,)
    lrs = np.array([0.1, 0.03, 0.004])
    s = schedule("warmup_cosine", warmup_iters=10, total_iters=50, eta_min=0.01)
    got = s(np.arange(120), lrs[:, None])
    for k, lr in enumerate(lrs):
        expected = torch_lrs(lambda o: L.SequentialLR(
            o, [_warmup(o, 10, 0.01), L.CosineAnnealingLR(o, 40, 0.01)], [10]), lr, 120)
        np.testing.assert_allclose(got[k], expected, rtol=1e-12, atol=1e-15)


def test_cosine_past_T_max_with_eta_min_rounding():
    # Torch's recursion past T_max (eta_min > 0) loses ~eps * eta_min * (2 / (1 - cos(pi/T_max)))
    # absolutely (see schedules._cosine); up to T_max it matches to rtol 1e-12.
    T_max, eta_min, lr = 1000, 0.01, 0.03
    expected = torch_lrs(lambda o: L.CosineAnnealingLR(o, T_max, eta_min), lr, 3 * T_max)
    got = schedule("cosine", T_max=T_max, eta_min=eta_min)(np.arange(3 * T_max), lr)
    np.testing.assert_allclose(got[:T_max + 1], expected[:T_max + 1], rtol=1e-12, atol=0)
    amplification = 2.0 / (1.0 - math.cos(math.pi / T_max))
    bound = 2 * np.finfo(float).eps * eta_min * amplification
    assert np.abs(got - expected).max() <= bound
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_coefficients_scale_and_shift():
    s = schedule("cosine", T_max=10, eta_min=0.02)
    scale, shift = s.coefficients(np.arange(21))
    assert scale[0] == 1.0 and shift[0] == 0.0
    assert scale[10] == 0.0 and shift[10] == pytest.approx(0.02)
    np.testing.assert_allclose(scale + shift / 0.02, 1.0)
    for kind in schedule_names():
        if kind not in ("cosine", "warmup_cosine"):
            assert not schedule(kind).coefficients(np.arange(100))[1].any()


@pytest.mark.parametrize("kind", schedule_names())
def test_scalars_and_shapes(kind):
    s = schedule(kind)
    t = np.arange(24).reshape(2, 3, 4)
    full = s(t, 0.1)
    assert full.shape == (2, 3, 4) and full.dtype == np.float64
    scale, shift = s.coefficients(t)
    assert scale.shape == shift.shape == (2, 3, 4)
    assert s(5, 0.1).shape == () and s(5, 0.1) == full[0, 1, 1]
    assert s(np.int32(5), 0.1) == full[0, 1, 1] == s(np.uint8(5), 0.1)
    assert s(np.array([], dtype=np.int64)).shape == (0,)
    np.testing.assert_array_equal(s(t[..., ::-1].T, 0.1), full[..., ::-1].T)  # non-contiguous
    assert s(7) == s(7, 1.0)


def test_params_canonical_and_hashable():
    a = schedule("step")
    assert a == schedule("step", step_size=300, gamma=0.1) == schedule("step", gamma=0.1, step_size=300.0)
    assert a.params == (("gamma", 0.1), ("step_size", 300))
    assert isinstance(dict(a.params)["step_size"], int)
    m = schedule("multistep", milestones=[np.int64(3), 8.0])
    assert dict(m.params)["milestones"] == (3, 8)
    assert len({a, schedule("step"), m, schedule("cosine"), schedule("constant")}) == 4
    assert Schedule("step", (("gamma", 0.5),)) == schedule("step", gamma=0.5) == Schedule("step", {"gamma": 0.5})
    assert schedule("multistep", milestones=())(np.arange(5)).tolist() == [1.0] * 5  # as torch MultiStepLR([])
    assert dict(schedule("resnet").params) == dict(
        factor=0.1, total_iters=400, milestones=(32000, 48000), gamma=0.1)


@pytest.mark.parametrize("kind", schedule_names())
def test_latex_and_description(kind):
    s = schedule(kind)
    assert s.latex.startswith(r"\eta^{t} = ") and s.latex.count("{") == s.latex.count("}")
    assert "\n" not in s.description and len(s.description) > 20


def test_latex_substitutes_values():
    assert schedule("step", step_size=7, gamma=0.5).latex == r"\eta^{t} = \eta \cdot 0.5^{\lfloor t / 7 \rfloor}"
    assert schedule("multistep", milestones=(10, 20)).latex == \
        r"\eta^{t} = \eta \cdot 0.1^{[t \ge 10] + [t \ge 20]}"
    assert schedule("inverse_sqrt").latex == r"\eta^{t} = \frac{\eta}{\sqrt{t + 1}}"
    assert "0.02 + " in schedule("cosine", T_max=50, eta_min=0.02).latex
    assert r"\frac{\pi t}{50}" in schedule("cosine", T_max=50).latex
    assert "4000^{-1.5}" in schedule("transformer").latex and "512^{-0.5}" in schedule("transformer").latex
    assert r"10^{-5}" in schedule("cosine", eta_min=1e-5).latex


def test_unknown_kind_lists_names():
    with pytest.raises(ValueError) as e:
        schedule("linear_warmup")
    assert "'linear_warmup'" in str(e.value)
    for name in schedule_names():
        assert name in str(e.value)


@pytest.mark.parametrize("kind, params, message", [
    ("step", dict(gamma=-0.5), "step: gamma = -0.5 is out of range; allowed 0 < gamma <= 1"),
    ("step", dict(gamma=0.0), "step: gamma = 0.0 is out of range; allowed 0 < gamma <= 1"),
    ("exponential", dict(gamma=1.5), "exponential: gamma = 1.5 is out of range; allowed 0 < gamma <= 1"),
    ("exponential", dict(gamma=float("nan")), "exponential: gamma = nan is out of range"),
    ("step", dict(step_size=0), "step: step_size = 0 is out of range; allowed integer 1 <= step_size <= 2**53"),
    ("step", dict(step_size=2.5), "step: step_size = 2.5 is not an integer; allowed integer 1 <= step_size <= 2**53"),
    ("step", dict(step_size=True), "step: step_size = True is not an integer"),
    ("step", dict(gamma="0.1"), "step: gamma = '0.1' is not a number; allowed 0 < gamma <= 1"),
    ("step", dict(gamma_=0.1), "step: unknown parameter 'gamma_'; valid parameters: step_size, gamma"),
    ("constant", dict(lr=0.1), "constant: unknown parameter 'lr'; valid parameters: none"),
    ("cosine", dict(eta_min=-1e-3), "cosine: eta_min = -0.001 is out of range; allowed 0 <= eta_min"),
    ("cosine", dict(eta_min=float("inf")), "cosine: eta_min = inf is out of range"),
    ("cosine", dict(T_max=0), "cosine: T_max = 0 is out of range; allowed integer 1 <= T_max <= 2**53"),
    ("multistep", dict(milestones=(600, 300)), "multistep: milestones = (600, 300) is out of range; "
                                               "allowed strictly increasing integers from 1 to 2**53"),
    ("multistep", dict(milestones=(3, 3)), "multistep: milestones = (3, 3) is out of range"),
    ("multistep", dict(milestones=(0,)), "multistep: milestones = (0,) is out of range"),
    ("multistep", dict(milestones=(5, 2**60)), "multistep: milestones = (5, 1152921504606846976) is out"),
    ("step", dict(step_size=10**20), "step: step_size = 100000000000000000000 is out of range; "
                                     "allowed integer 1 <= step_size <= 2**53"),
    ("multistep", dict(milestones=300), "multistep: milestones = 300 is not a sequence"),
    ("multistep", dict(milestones=(1.5,)), "multistep: milestones = (1.5,) is not a sequence of integers"),
    ("warmup_linear", dict(warmup_iters=1000), "warmup_linear: warmup_iters = 1000 is out of range; "
                                               "allowed 1 <= warmup_iters < total_iters = 1000"),
    ("warmup_cosine", dict(warmup_iters=0), "warmup_cosine: warmup_iters = 0 is out of range; "
                                            "allowed integer 1 <= warmup_iters <= 2**53"),
    ("warmup_linear", dict(start_factor=0.0), "warmup_linear: start_factor = 0.0 is out of range; "
                                              "allowed 0 < start_factor <= 1"),
    ("warmup_linear", dict(end_factor=1.2), "warmup_linear: end_factor = 1.2 is out of range; "
                                            "allowed 0 <= end_factor <= 1"),
    ("transformer", dict(warmup=-4000), "transformer: warmup = -4000 is out of range; "
                                        "allowed integer 1 <= warmup <= 2**53"),
    ("resnet", dict(factor=0.0), "resnet: factor = 0.0 is out of range; allowed 0 < factor <= 1"),
    ("resnet", dict(total_iters=0), "resnet: total_iters = 0 is out of range"),
])
def test_bad_params_name_field_value_range(kind, params, message):
    with pytest.raises(ValueError) as e:
        schedule(kind, **params)
    assert message in str(e.value)


def test_duplicate_param_in_direct_construction():
    with pytest.raises(ValueError, match="'gamma' given twice"):
        Schedule("step", (("gamma", 0.5), ("gamma", 0.2)))


@pytest.mark.parametrize("t, message", [
    (-1, "t = -1 is out of range; allowed integer t >= 0"),
    (np.array([[3, -7]]), "t = -7 is out of range"),
    (1.0, "t: dtype float64 is not an integer type; allowed integer t >= 0"),
    (np.arange(3.0), "t: dtype float64 is not an integer type"),
])
def test_bad_t(t, message):
    with pytest.raises(ValueError) as e:
        schedule("step").coefficients(t)
    assert message in str(e.value)


def test_the_engine_imports_neither_torch_nor_streamlit():
    # pages that only simulate must not pay for importing torch (about 2 s)
    code = """
import sys
import optimizers
assert optimizers.schedule("cosine")(3, 0.1) > 0
assert "torch" not in sys.modules and "streamlit" not in sys.modules, sorted(sys.modules)
"""
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)
