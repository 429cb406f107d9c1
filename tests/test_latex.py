"""optimizers.latex: the update rule as LaTeX with the current values, and the torch.optim notes."""
import re
from dataclasses import dataclass

import numpy as np
import pytest

import optimizers
from optimizers import rules as R
from optimizers.latex import M_LINES, SIGMA_LINES, describe, number, update_rule

VARIANTS = ("torch", "lecture")
COMBOS = [(n, v) for n in optimizers.names() for v in VARIANTS]


def balanced(tex: str) -> bool:
    """Braces nest (escaped \\{ \\} aside), \\left/\\right and \\begin/\\end pair up."""
    depth = 0
    for ch in re.sub(r"\\[{}]", "", tex):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth < 0:
            return False
    if depth:
        return False
    if len(re.findall(r"\\left\b", tex)) != len(re.findall(r"\\right\b", tex)):
        return False
    begins = re.findall(r"\\begin\{(\w+)\}", tex)
    ends = re.findall(r"\\end\{(\w+)\}", tex)
    return sorted(begins) == sorted(ends)


def lines(tex):
    assert tex.startswith("\\begin{aligned}") and tex.endswith("\\end{aligned}")
    return [line.strip() for line in tex[len("\\begin{aligned}"):-len("\\end{aligned}")].split("\\\\\n")]


@pytest.mark.parametrize("name, variant", COMBOS)
def test_every_optimizer_has_a_balanced_rule_with_its_values(name, variant):
    opt = optimizers.get(name, variant=variant)
    tex = update_rule(opt)
    assert balanced(tex), tex
    body = lines(tex)
    assert all("&" in line for line in body), "every line aligned"
    assert body[0].startswith("g^{t}") and body[-1].startswith(r"\theta^{t+1}")
    assert any(line.startswith("m^{t}") for line in body)
    assert any(line.startswith(r"\eta^{t}") for line in body)
    expected = [number(opt.lr)]
    hyper = dict(opt.settings)
    if "betas" in hyper:
        expected += [str(hyper["betas"][0]), str(hyper["betas"][1])]
    if "momentum" in hyper and float(hyper["momentum"]) != 0:
        expected.append(str(hyper["momentum"]))
    if "alpha" in hyper:
        expected.append(str(hyper["alpha"]))
    if "eps" in hyper:
        expected.append(number(hyper["eps"]))
    for value in expected:
        assert shows(value, tex), (value, tex)


def shows(value: str, tex: str) -> bool:
    """``value`` stands in ``tex`` as a whole number ("0.9" is not found inside "0.999" or "10.9")."""
    return re.search(rf"(?<![\d.]){re.escape(value)}(?![\d])", tex) is not None


def adam_lines(beta1: str, beta2: str, eps: str, lr: str) -> list[str]:
    """Adam's rule with torch's bias correction, line by line, written from its formulas."""
    return [
        r"g^{t} &= \nabla L(\theta^{t})",
        rf"e^{{t}} &= {beta1}\, e^{{t-1}} + (1 - {beta1})\, g^{{t}},\quad e^{{-1}} = 0",
        rf"m^{{t}} &= \frac{{e^{{t}}}}{{1 - {beta1}^{{t+1}}}}",
        rf"v^{{t}} &= {beta2}\, v^{{t-1}} + (1 - {beta2})\, (g^{{t}})^2,\quad v^{{-1}} = 0",
        rf"\sigma^{{t}} &= \frac{{\sqrt{{v^{{t}}}}}}{{\sqrt{{1 - {beta2}^{{t+1}}}}}} + {eps}",
        rf"\eta^{{t}} &= \eta = {lr}",
        r"\theta^{t+1} &= \theta^{t} - \frac{\eta^{t}}{\sigma^{t}} \odot m^{t}",
    ]


def test_shows_finds_whole_numbers_only():
    assert shows("0.9", "a = 0.9 b") and shows("0.9", "0.9^{t+1}")
    assert not shows("0.9", "0.999") and not shows("0.9", "10.9") and not shows("0.99", "0.9")


def test_adam_values_each_in_its_place():
    assert lines(update_rule(optimizers.get("adam"))) == adam_lines("0.9", "0.999", "10^{-8}", "0.001")
    tex = update_rule(optimizers.get("adam", lr=0.0025, betas=(0.8, 0.95), eps=3e-7))
    assert lines(tex) == adam_lines("0.8", "0.95", r"3 \times 10^{-7}", "0.0025")


@pytest.mark.parametrize("name, variant", COMBOS)
def test_sigma_lines_exactly_when_sigma_is_not_one(name, variant):
    opt = optimizers.get(name, variant=variant)
    tex = update_rule(opt)
    has_sigma = not isinstance(opt.sigma, R.Unit)
    assert (r"\sigma" in tex) == has_sigma
    assert any(line.startswith(r"\sigma^{t}") for line in lines(tex)) == has_sigma


@pytest.mark.parametrize("name", ["momentum", "adagrad", "rmsprop"])
def test_the_lecture_variant_reads_differently(name):
    torch_tex = update_rule(optimizers.get(name, variant="torch"))
    lecture_tex = update_rule(optimizers.get(name, variant="lecture"))
    assert torch_tex != lecture_tex
    assert describe(optimizers.get(name, variant="torch")) != describe(optimizers.get(name, variant="lecture"))


@pytest.mark.parametrize("name", ["gd", "nesterov", "adam", "adamw", "radam"])
def test_same_rule_for_both_variants(name):
    assert update_rule(optimizers.get(name, variant="torch")) == update_rule(optimizers.get(name, variant="lecture"))


def test_the_lecture_forms():
    tex = update_rule(optimizers.get("momentum", variant="lecture", momentum=0.8))
    assert r"m^{t} &= 0.8\, m^{t-1} - \eta^{t} g^{t}" in tex
    assert r"\theta^{t+1} &= \theta^{t} + m^{t}" in tex
    tex = update_rule(optimizers.get("momentum", momentum=0.8))
    assert r"m^{t} &= 0.8\, m^{t-1} + g^{t}" in tex and r"\theta^{t} - \eta^{t}\, m^{t}" in tex
    assert r"\frac{1}{t+1}" in update_rule(optimizers.get("adagrad", variant="lecture"))
    assert r"\frac{1}{t+1}" not in update_rule(optimizers.get("adagrad"))
    assert "v^{0} = (g^{0})^2" in update_rule(optimizers.get("rmsprop", variant="lecture"))
    assert "v^{-1} = 0" in update_rule(optimizers.get("rmsprop"))


def test_options_appear():
    tex = update_rule(optimizers.get("gd", weight_decay=0.01))
    assert r"\nabla L(\theta^{t}) + 0.01\, \theta^{t}" in tex
    tex = update_rule(optimizers.get("adamw"))
    assert r"(1 - 0.01\, \eta^{t})\, \theta^{t}" in tex and "L2" not in tex
    tex = update_rule(optimizers.get("adam", amsgrad=True))
    assert r"\max(\hat v^{t-1},\, v^{t})" in tex
    tex = update_rule(optimizers.get("rmsprop", centered=True, momentum=0.5))
    assert r"\bar g^{t}" in tex and r"b^{t} &= 0.5\, b^{t-1}" in tex and balanced(tex)
    tex = update_rule(optimizers.get("adagrad", lr_decay=0.01, initial_accumulator_value=0.1))
    assert r"1 + 0.01\, t" in tex and r"\sqrt{0.1 + \sum" in tex and balanced(tex)
    tex = update_rule(optimizers.get("radam"))
    assert r"\rho_\infty" in tex and r"\rho^{t} > 5" in tex and "1999" in tex
    tex = update_rule(optimizers.get("nesterov", momentum=0.7, dampening=0.0))
    assert r"m^{t} &= g^{t} + 0.7\, b^{t}" in tex


@pytest.mark.parametrize("kind", optimizers.schedule_names())
def test_schedules_appear(kind):
    sched = optimizers.schedule(kind)
    tex = update_rule(optimizers.get("adam", lr=0.003), sched)
    assert balanced(tex)
    rhs = sched.latex.partition("=")[2].strip()
    assert rhs in tex
    assert r"\eta = 0.003" in tex


def test_swept_values_are_marked():
    tex = update_rule(optimizers.get("gd", lr=np.array([1e-3, 1e-2, 0.1])))
    assert r"(0.001 \ldots 0.1)" in tex and "swept" in tex and balanced(tex)
    tex = update_rule(optimizers.get("momentum", momentum=np.array([0.5, 0.9, 0.99])))
    assert r"(0.5 \ldots 0.99)\, m^{t-1}" in tex
    assert "swept" not in update_rule(optimizers.get("gd"))


def test_numbers():
    assert number(0.9) == "0.9" and number(1e-3) == "0.001" and number(1e-8) == "10^{-8}"
    assert number(2.5e-7) == r"2.5 \times 10^{-7}" and number(0) == "0" and number(4000) == "4000"
    assert number(np.float64(0.999)) == "0.999" and number(np.array(0.1)) == "0.1"


def test_a_new_rule_costs_a_few_lines():
    @dataclass(frozen=True)
    class Plain(R.Rule):
        code = 99

    opt = optimizers.get("gd")
    with pytest.raises(ValueError, match="M_LINES"):
        update_rule(type(opt)(opt.name, Plain(), opt.sigma, opt.lr))
    M_LINES[Plain] = lambda rule, o: [r"m^{t} &= 2\, g^{t}"]
    try:
        assert r"m^{t} &= 2\, g^{t}" in update_rule(type(opt)(opt.name, Plain(), opt.sigma, opt.lr))
    finally:
        del M_LINES[Plain]

    @dataclass(frozen=True)
    class Subclassed(R.AdamRMS):  # a subclass falls back to its base's lines
        pass

    assert r"\sqrt{1 - 0.999^{t+1}}" in update_rule(type(opt)("x", opt.m, Subclassed(), opt.lr))
    assert set(SIGMA_LINES) >= {R.Unit, R.RootSumSquare, R.RootMeanSquare, R.MovingRMS, R.LectureRMS,
                                R.AdamRMS, R.RectifiedRMS}


@pytest.mark.parametrize("name, variant", COMBOS)
def test_describe_is_one_line(name, variant):
    opt = optimizers.get(name, variant=variant)
    text = describe(opt)
    assert text and "\n" not in text and text.endswith(".")
    assert "torch" in text
    if variant == "lecture" and name in ("momentum", "adagrad", "rmsprop"):
        assert "lecture" in text.lower()
    if name == "adamw":
        assert "decoupled" in text
