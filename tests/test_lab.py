"""Page models: every default sits on its control; the Playground's runs are the engine's.
(That the defaults are torch.optim's: tests/test_registry.py.)"""
import numpy as np
import pytest

import optimizers
from lab.runs import PALETTE
from lab import controls as C
from lab.playground import RunSpec, View, run_view, verdict

def test_controls_cover_every_hyperparameter_with_a_range_that_holds_the_default():
    for name in optimizers.names():
        for key, default in C.hyperparameters(name).items():
            ctl = C.CONTROLS[key]
            if ctl.control == "log":
                assert C.nearest_option(ctl.options, default) == pytest.approx(default, rel=1e-9), (name, key)
            elif ctl.control == "linear":
                assert ctl.ui_range[0] <= default <= ctl.ui_range[1], (name, key)
    assert C.LR_OPTIONS[0] == 1e-8 and C.LR_OPTIONS[-1] == 10.0 and {1e-2, 1e-7} <= set(C.LR_OPTIONS)
    assert C.to_torch_names({"lr": 1e-3, "beta1": 0.8, "beta2": 0.9}) == {"lr": 1e-3, "betas": (0.8, 0.9)}
    assert C.to_torch_names({"etaminus": 0.4, "etaplus": 1.1, "step_size_min": 0.0, "step_size_max": 9.0}) == {
        "etas": (0.4, 1.1), "step_sizes": (0.0, 9.0)}


def test_run_view_is_the_engine_run_with_its_eta():
    spec = RunSpec("adagrad", (("lr", 0.05), ("lr_decay", 0.01)), schedule="step",
                   schedule_params=(("step_size", 100), ("gamma", 0.5)), slot=2)
    view = View("himmelblau", (), (1.0, -1.0), 500, (spec,))
    (run,) = run_view(view)
    ref = optimizers.simulate("himmelblau", optimizers.get("adagrad", lr=0.05, lr_decay=0.01), [1.0, -1.0], 500,
                              schedule=optimizers.schedule("step", step_size=100, gamma=0.5))
    np.testing.assert_array_equal(run.path, ref.path[0])
    t = np.arange(501)
    np.testing.assert_allclose(run.eta, 0.05 * 0.5 ** (t // 100) / (1 + t * 0.01), rtol=1e-14)
    # η_t/σ_t recorded by the engine divided by η_t gives 1/σ_t: σ_t ≥ √(g_0²) for Adagrad
    sigma = run.eta[:, None] / run.trajectory.lr_eff[0]
    assert np.all(sigma[0] == pytest.approx(np.abs(run.trajectory.grad[0, 0]) + 1e-10))
    assert run.label.startswith("Run 3 · adagrad") and run.color == PALETTE[2]


def test_verdicts():
    view = View("saddle", (), None, 2000, (RunSpec("gd", (("lr", 1e-2),)), RunSpec("gd", (("lr", 5.0),), slot=1)))
    stuck, blown = run_view(view)
    assert verdict(view.build_surface(), stuck)["kind"] == "saddle"
    assert verdict(view.build_surface(), blown)["kind"] == "diverged"
    assert blown.divergence_note().startswith(f"diverged at step {blown.diverged_at:,}")


def test_bad_runs_are_refused_with_a_message():
    with pytest.raises(ValueError, match="runs: 5 runs is out of range; allowed 1 to 4"):
        run_view(View(runs=(RunSpec(),) * 5))
    with pytest.raises(ValueError, match="lr = -1"):
        run_view(View(runs=(RunSpec("gd", (("lr", -1.0),)),)))
