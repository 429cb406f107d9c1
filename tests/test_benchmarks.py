"""Each benchmark script runs in its smoke mode (tiny work, one repeat) and prints its table.

Only the tables' shape is checked: the numbers of a smoke run mean nothing, and speed is for the scripts
to show, not for the tests to assert. (benchmarks/batch_timing.py runs in tests/test_batch_timing.py.)"""
import collections
import re
import subprocess
import sys
from pathlib import Path

import pytest

import surfaces

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\| .+ \|$", re.M)  # a Markdown table row


def smoke(script: str) -> str:
    module = "benchmarks." + script.removesuffix(".py")  # as a module: some import benchmarks.* themselves
    done = subprocess.run([sys.executable, "-m", module, "--smoke"], cwd=ROOT, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_engine_benchmark_prints_a_row_per_run():
    out = smoke("engine.py")
    rows = ROW.findall(out)
    assert rows[0].startswith("| run ") and "× torch.optim" in rows[0]
    labels = [row.split("|")[1].strip() for row in rows[1:]]
    assert labels[0].startswith("torch.optim Adam") and labels[1].startswith("NumPy loop Adam")
    assert [label for label in labels if label.startswith("engine Adam on ")] == \
        [f"engine Adam on {name}, 4 rates × 100 steps, final only" for name in surfaces.names()]
    for target in ("engine Adam sweep, 4 rates × 1,000 steps, final only",
                   "engine GD sweep, 4 rates × 1,000 steps, final only",
                   "engine momentum on the bumpy valley, 10×10 starts × 100 steps, final only",
                   "engine Adam, 1 run × 1,000 steps, final only"):
        assert target in labels, target
    # the Adam sweep's floor (its square roots and divisions alone) comes right after it
    sweep = labels.index("engine Adam sweep, 4 rates × 1,000 steps, final only")
    assert labels[sweep + 1] == "floor: only Adam on the bowl's 3 √ and 7 ÷, 4 × 1,000"


@pytest.mark.slow
def test_playground_benchmark_prints_a_move_its_parts_and_the_peer():
    lines = smoke("playground.py").splitlines()
    at = lines.index("default view: bowl, 2 runs × 10,000 steps")
    move, peer, ratio = (line.strip() for line in lines[at + 1:at + 4])
    assert move.startswith("a computing move, drawn in the browser:")
    for part in ("simulate", "map", "diagnostics", "sent"):
        assert part in move, part
    assert peer.startswith("peer, whole Plotly figures:") and ratio.startswith("->") and "fewer bytes" in ratio


@pytest.mark.slow
def test_noisy_benchmark_prints_both_settings_against_the_numpy_loop():
    lines = smoke("noisy.py").splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("setting"))
    assert "NumPy/update" in lines[header] and "rerun (miss)" in lines[header]
    assert lines[header + 1].startswith("defaults (30 epochs") and lines[header + 2].startswith("200 epochs")
    assert any(line.startswith("figure JSON sizes at defaults") for line in lines)


@pytest.mark.slow
def test_generalization_benchmark_prints_a_row_per_batch_size():
    lines = smoke("generalization.py").splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["batch", "updates"])
    assert [line.split()[0] for line in lines[header + 1:header + 3]] == ["256", "1437"]
    assert any(line.startswith("flat/sharp picture") for line in lines)
    assert any(line.startswith("one epoch at B = 256") for line in lines)


@pytest.mark.slow
def test_performance_record_prints_every_section_and_a_load_row_per_set_up():
    out = smoke("record.py")
    for section in ("## Measuring again", "## Engine", "## A computing Playground move on the server",
                    "## A move through a running app process", "## The map in a browser", "## Start-up",
                    "## A class on this machine"):
        assert section in out, section
    rows = ROW.findall(out)
    assert sum(row.startswith("| Adam, 1 run × 1,000 steps") for row in rows) == 1
    assert sum(row.startswith("| default view: bowl, 2 runs") for row in rows) == 1
    assert [row.split("|")[1].strip() for row in rows if row.startswith(("| Playground: ", "| Home: "))] == [
        "Playground: learning-rate move (new simulation)", "Playground: the same moves again (cache hits)",
        "Home: a rerun"]
    assert sum(re.match(r"^\| [\d.]+ s \| ", row) is not None for row in rows) == 1  # the browser's row
    load = [row for row in rows if re.match(r"^\| [12] \| ", row)]
    assert [row.split("|")[1:3] for row in load][:1] == [[" 1 ", " 1 "]]  # one process, one student
    assert len(load) == 3  # one process; two behind nginx (or a row saying nginx is missing); shared views
    assert "## A class room" in out


@pytest.mark.slow
def test_formula_benchmark_prints_each_spelled_surface_readiness_and_refusals():
    from tests.test_formula_surface import SPELLED

    lines = smoke("formula.py").splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["surface", "optimizer"])
    rows = [line.split()[:2] for line in lines[header + 1:header + 1 + 2 * len(SPELLED)]]
    assert rows == [[name, opt] for name in SPELLED for opt in ("gd", "adam")]
    assert any(line.strip().startswith("a fresh process (imports sympy too)") for line in lines)
    assert any(line.endswith("hostile inputs refused:") for line in lines)


@pytest.mark.slow
def test_formula_options_benchmark_prints_a_row_per_spelled_surface():
    from tests.test_formula_surface import SPELLED

    lines = smoke("formula_options.py").splitlines()
    header = next(i for i, line in enumerate(lines) if line.split()[:2] == ["surface", "built-in"])
    assert [line.split()[0] for line in lines[header + 1:header + 1 + len(SPELLED)]] == list(SPELLED)


@pytest.mark.slow
@pytest.mark.nginx
def test_class_room_benchmark_prints_its_measurements_against_the_targets():
    rows = ROW.findall(smoke("class_room.py"))
    assert rows[0] == "| measurement | target | measured |"
    assert [row.split("|")[1].strip().split()[0] for row in rows[1:]] == ["2", "a", "2", "a", "a", "errors"]


def test_the_divider_floor_does_adams_roots_and_divisions_on_vectors():
    """The floor row's loop is what it says: per lane-step as many square roots and divisions as Adam on
    the bowl, compiled to packed (SIMD) instructions."""
    from benchmarks.divider_floor import DIVISIONS, ROOTS, _divide_and_root, floor_work

    floor_work(8, 10, 1)()  # compiles and runs it
    asm = _divide_and_root.inspect_asm(_divide_and_root.signatures[0])
    packed = collections.Counter(re.findall(r"\bv?(div|sqrt)pd\b", asm))
    assert packed["div"] * ROOTS == packed["sqrt"] * DIVISIONS and packed["sqrt"] >= ROOTS


@pytest.mark.slow
def test_class_opens_benchmark_prints_a_row_per_page():
    rows = ROW.findall(smoke("class_opens.py"))
    assert rows[0].startswith("| page | 2 sessions at once: p50 s |")
    assert [row.split("|")[1].strip() for row in rows[1:]] == ["home"]
    assert len(rows[1].split("|")) == len(rows[0].split("|"))


def test_the_chain_floor_runs_adams_update_on_the_bowl_as_the_engine_does():
    """The one-run floor row computes the engine's Adam (torch's form) on the bowl: the same end point
    after 200 steps, to a few units in the last place (fused multiply-adds may differ)."""
    import numpy as np

    import optimizers
    from benchmarks.chain_floor import chain_work

    bowl = surfaces.get("bowl")
    for steps in (1, 200):
        engine = np.asarray(optimizers.simulate(bowl, "adam", steps=steps, record=()).final).ravel()
        np.testing.assert_allclose(chain_work(bowl, steps)(), engine, rtol=1e-14, atol=0)


def test_the_inlined_floor_runs_the_engines_gd_sweep_on_the_bowl_bit_for_bit():
    """The GD sweep's inlined floor row computes what the engine's sweep computes: every rate the engine
    kept inside the box ends at the same bits, whether its lanes ran on one thread or two."""
    import numpy as np

    import optimizers
    from benchmarks.inlined_floor import inlined_work

    bowl = surfaces.get("bowl")
    lrs = np.logspace(-8, 0, 64)
    engine = optimizers.simulate(bowl, optimizers.get("gd", lr=lrs), steps=300, record=())
    kept = ~engine.diverged
    assert 0 < kept.sum() < len(lrs)  # the largest rates leave the box: the floor does not check for that
    for threads in (1, 2):
        floor = inlined_work(bowl, lrs, 300, threads)()
        np.testing.assert_array_equal(floor[kept], np.asarray(engine.final)[kept])
