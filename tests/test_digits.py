"""The digits experiment and the sharpness code, against independent references:
torch.nn layers and F.cross_entropy for the model, torch.optim.SGD over nn.Linear parameters for the
training loop, torch.autograd.functional.hessian for the Hessian-vector products and λ_max."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from batchlab import digits as D
from batchlab import sharpness as S

TINY = dict(epochs=2, hidden=8)


# ----------------------------------------------------------------- data
def test_split_is_stratified_scaled_and_fixed():
    data = D.load_split()
    assert data.x_train.shape == (D.N_TRAIN, 64) and data.x_val.shape == (D.N_VAL, 64)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0  # 0…16 scaled to [0, 1]
    assert D.N_TRAIN + D.N_VAL == 1797
    # stratified: every digit has the same share (to one image) in both parts
    train_share = np.bincount(data.y_train, minlength=10) / D.N_TRAIN
    val_share = np.bincount(data.y_val, minlength=10) / D.N_VAL
    np.testing.assert_allclose(train_share, val_share, atol=1.5 / D.N_VAL)
    # the same split every time, and read-only
    D.load_split.cache_clear()
    again = D.load_split()
    np.testing.assert_array_equal(again.y_val, data.y_val)
    with pytest.raises(ValueError):
        again.x_train[0, 0] = 1.0


# ----------------------------------------------------------------- model
def test_cross_entropy_equals_torch():
    gen = torch.Generator().manual_seed(1)
    z = torch.randn(37, 10, generator=gen, dtype=torch.float64) * 5
    y = torch.randint(0, 10, (37,), generator=gen)
    torch.testing.assert_close(D.cross_entropy(z, y), F.cross_entropy(z, y), rtol=1e-12, atol=1e-12)


def layers(theta: torch.Tensor, hidden: int):
    """nn.Linear layers holding the values of the flat θ (copies)."""
    w1, b1, w2, b2 = (p.detach().clone() for p in D.unpack(theta, hidden))
    first, second = torch.nn.Linear(64, hidden), torch.nn.Linear(hidden, 10)
    with torch.no_grad():
        first.weight.copy_(w1), first.bias.copy_(b1), second.weight.copy_(w2), second.bias.copy_(b2)
    return first, second


def test_logits_equal_nn_layers_and_init_follows_nn_linear():
    hidden = 12
    theta = D.init_theta(hidden, torch.Generator().manual_seed(0))
    assert theta.numel() == D.n_params(hidden) == 75 * hidden + 10
    w1, b1, w2, b2 = D.unpack(theta, hidden)
    assert float(w1.abs().max()) <= 1 / 8 and float(b1.abs().max()) <= 1 / 8  # ±1/√64
    assert float(w2.abs().max()) <= 1 / math.sqrt(hidden) and float(b2.abs().max()) <= 1 / math.sqrt(hidden)
    assert float(w1.abs().max()) > 0.1  # uniform over the whole range, not a narrower one
    first, second = layers(theta, hidden)
    x = torch.from_numpy(np.array(D.load_split().x_val[:50]))
    torch.testing.assert_close(D.logits(theta, x, hidden), second(torch.relu(first(x))))


def test_learning_rate_rules():
    assert D.learning_rate("fixed", 0.1, 512, 32) == 0.1
    assert D.learning_rate("linear", 0.1, 512, 32) == pytest.approx(1.6)
    assert D.learning_rate("linear", 0.1, 8, 32) == pytest.approx(0.025)
    assert D.learning_rate("sqrt", 0.1, 128, 32) == pytest.approx(0.2)
    study = D.StudyConfig(batch_sizes=(128, 8, 8), lr_rule="sqrt", base_lr=0.1, ref_batch=32, **TINY)
    assert study.batch_sizes == (8, 128)  # sorted, no repeats
    assert [c.lr for c in study.runs()] == pytest.approx([0.05, 0.2])


# ----------------------------------------------------------------- training
def reference_train(config: D.TrainConfig):
    """The same run written with nn.Linear, F.cross_entropy and torch.optim.SGD over the layers'
    parameters; the same θ₀ and the same shuffles (one generator, used in the same order)."""
    data = D.load_split()
    x, y = torch.from_numpy(np.array(data.x_train)), torch.from_numpy(np.array(data.y_train))
    gen = torch.Generator().manual_seed(config.seed)
    first, second = layers(D.init_theta(config.hidden, gen), config.hidden)
    params = [first.weight, first.bias, second.weight, second.bias]
    opt = torch.optim.SGD(params, lr=config.lr, momentum=config.momentum)
    losses = []
    for _ in range(config.epochs):
        order = torch.randperm(D.N_TRAIN, generator=gen)
        for batch in torch.split(order, config.batch_size):
            opt.zero_grad()
            F.cross_entropy(second(torch.relu(first(x[batch]))), y[batch]).backward()
            opt.step()
        with torch.no_grad():
            losses.append(float(F.cross_entropy(second(torch.relu(first(x))), y)))
    return torch.cat([p.detach().reshape(-1) for p in params]).numpy(), np.array(losses)


@pytest.mark.parametrize("batch_size, momentum", [(50, 0.0), (200, 0.9), (D.N_TRAIN, 0.5)])
def test_training_equals_a_torch_nn_reference(batch_size, momentum):
    config = D.TrainConfig(batch_size=batch_size, lr=0.2, momentum=momentum, epochs=3, hidden=8, seed=3)
    run = D.train(config, measure_sharpness=False)
    theta, losses = reference_train(config)
    np.testing.assert_allclose(run.theta, theta, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(run.train_loss[1:], losses, rtol=1e-4)
    assert run.updates == 3 * math.ceil(D.N_TRAIN / batch_size)


def test_runs_are_deterministic_and_report_progress():
    config = D.TrainConfig(batch_size=64, lr=0.1, **TINY)
    seen = []
    a = D.train(config, progress=seen.append)
    b = D.train(config)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.val_acc, b.val_acc)
    assert a.sharpness == b.sharpness and a.sharpness > 0
    assert seen == [0.5, 1.0, 1.0] and len(a.train_loss) == config.epochs + 1
    other = D.train(D.TrainConfig(batch_size=64, lr=0.1, seed=1, **TINY), measure_sharpness=False)
    assert not np.array_equal(other.theta, a.theta)


def test_with_the_same_epochs_small_batches_fit_better_than_the_full_batch():
    """The lecture's figure in small: equal epochs, far fewer updates for the large batch."""
    small = D.train(D.TrainConfig(batch_size=16, lr=0.1, epochs=3, hidden=16), measure_sharpness=False)
    full = D.train(D.TrainConfig(batch_size=D.N_TRAIN, lr=0.1, epochs=3, hidden=16), measure_sharpness=False)
    assert small.train_acc[-1] > 0.85 and small.val_acc[-1] > 0.85
    assert full.train_acc[-1] < small.train_acc[-1] - 0.3
    assert full.val_acc[-1] < small.val_acc[-1] - 0.3
    assert full.updates == 3 and small.updates == 3 * 90


def test_a_run_that_stops_being_finite_is_cut_where_it_diverged(monkeypatch):
    calls = []
    real = D.evaluate

    def evaluate(theta, x, y, hidden):
        calls.append(1)
        loss, acc = real(theta, x, y, hidden)
        return (math.inf, acc) if len(calls) > 4 else (loss, acc)  # epochs 0 and 1 fine, epoch 2 not

    monkeypatch.setattr(D, "evaluate", evaluate)
    run = D.train(D.TrainConfig(batch_size=256, lr=0.1, epochs=5, hidden=8))
    assert run.diverged and run.diverged_epoch == 2
    assert len(run.train_loss) == 2 and np.all(np.isfinite(run.train_loss))
    assert math.isnan(run.sharpness) and run.updates == 2 * math.ceil(D.N_TRAIN / 256)


def test_a_run_to_a_target_loss_stops_at_the_first_epoch_that_reaches_it():
    """Trained to a target, a run is the same run as one trained for as many epochs, cut where its training
    loss is first at most the target."""
    target = D.TrainConfig(batch_size=128, lr=0.1, epochs=200, hidden=8, target_loss=0.8)
    seen = []
    run = D.train(target, progress=seen.append, measure_sharpness=False)
    assert run.reached and run.train_loss[-1] <= 0.8 < run.train_loss[:-1].min()
    assert run.reached_epoch == len(run.train_loss) - 1 < 200
    assert run.updates == run.reached_epoch * math.ceil(D.N_TRAIN / 128)
    plain = D.train(D.TrainConfig(batch_size=128, lr=0.1, epochs=run.reached_epoch, hidden=8),
                    measure_sharpness=False)
    np.testing.assert_array_equal(plain.theta, run.theta)
    np.testing.assert_array_equal(plain.val_acc, run.val_acc)
    assert not plain.reached
    assert seen == sorted(seen) and 0 < seen[0] and seen[-1] == 1.0  # the bar only moves forwards
    capped = D.train(D.TrainConfig(batch_size=128, lr=0.1, epochs=3, hidden=8, target_loss=1e-3),
                     measure_sharpness=False)
    assert not capped.reached and capped.updates == 3 * 12  # the cap: the target was not reached


def test_a_run_to_a_target_that_stops_improving_stops_early():
    assert not D.stalled([2.3, 2.0, 1.9], updates_per_epoch=1)
    assert D.stalled([2.3] + [2.0] + [2.1] * D.STALL_UPDATES, updates_per_epoch=1)  # full batch: 500 updates
    assert not D.stalled([2.3] + [2.0] + [2.1] * (D.STALL_UPDATES - 1), updates_per_epoch=1)
    assert D.stalled([2.3, 2.0] + [2.1] * D.STALL_EPOCHS, updates_per_epoch=180)  # B = 8: 5 epochs
    # a network whose units died (η far too large for the full batch): stops long before its cap
    run = D.train(D.TrainConfig(batch_size=D.N_TRAIN, lr=50.0, epochs=D.MAX_TARGET_UPDATES, hidden=8,
                                target_loss=0.5), measure_sharpness=False)
    assert not run.reached and not run.diverged
    assert run.updates == len(run.train_loss) - 1 < D.MAX_TARGET_UPDATES
    assert D.stalled(run.train_loss, 1) and not D.stalled(run.train_loss[:-1], 1)


def test_a_study_to_a_target_caps_every_batch_size_at_the_same_updates():
    study = D.StudyConfig(batch_sizes=(8, 128, D.N_TRAIN), target_loss=0.05, epochs=30)
    assert [c.epochs * c.updates_per_epoch <= D.MAX_TARGET_UPDATES for c in study.runs()] == [True] * 3
    assert [c.epochs for c in study.runs()] == [D.MAX_TARGET_UPDATES // 180, D.MAX_TARGET_UPDATES // 12,
                                                D.MAX_TARGET_UPDATES]
    assert all(c.target_loss == 0.05 for c in study.runs())
    with pytest.raises(D.SettingError, match="target_loss"):
        D.StudyConfig(target_loss=-1.0)


@pytest.mark.parametrize("kwargs, field", [
    (dict(batch_sizes=()), "batch_sizes"),
    (dict(batch_sizes=(0, 8)), "batch_size"),
    (dict(batch_sizes=(8, D.N_TRAIN + 1)), "batch_size"),
    (dict(lr_rule="cubic"), "lr_rule"),
    (dict(base_lr=0.0), "base_lr"),
    (dict(lr_rule="linear", base_lr=1.0, ref_batch=1), "lr"),
    (dict(epochs=0), "epochs"),
    (dict(hidden=0), "hidden"),
    (dict(momentum=1.0), "momentum"),
    (dict(seed=-1), "seed"),
])
def test_bad_settings_name_the_field_the_value_and_the_range(kwargs, field):
    with pytest.raises(D.SettingError) as info:
        D.StudyConfig(**kwargs)
    assert info.value.field == field
    assert "value" in info.value.info
    if field == "lr":  # the scaled rate: which batch size made it too large
        assert info.value.info["batch"] == 128 and info.value.info["value"] == 128.0
        assert "lr = 128 is out of range; allowed 1e-05 <= lr <= 100" in str(info.value)


# ----------------------------------------------------------------- sharpness
def tiny_problem(seed=0):
    """A 3-unit network on 40 images in float64, somewhat trained so that H is not that of θ₀."""
    hidden = 3
    data = D.load_split()
    x = torch.from_numpy(np.array(data.x_train[:40])).double()
    y = torch.from_numpy(np.array(data.y_train[:40]))
    theta = D.init_theta(hidden, torch.Generator().manual_seed(seed)).double().requires_grad_(True)
    opt = torch.optim.SGD([theta], lr=0.5)
    for _ in range(50):
        opt.zero_grad()
        D.loss(theta, x, y, hidden).backward()
        opt.step()
    return (lambda th: D.loss(th, x, y, hidden)), theta.detach()


def test_hessian_vector_products_equal_the_exact_hessian():
    loss_fn, theta = tiny_problem()
    H = torch.autograd.functional.hessian(loss_fn, theta)
    gen = torch.Generator().manual_seed(5)
    leaf, grad = S.gradient_with_graph(loss_fn, theta)
    for _ in range(3):
        v = torch.randn(theta.numel(), generator=gen, dtype=torch.float64)
        torch.testing.assert_close(S.hvp(leaf, grad, v), H @ v, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(S.hessian_vector_product(loss_fn, theta, v), H @ v, rtol=1e-10, atol=1e-12)


def test_power_iteration_finds_the_top_eigenvalue_of_the_exact_hessian():
    loss_fn, theta = tiny_problem()
    eigenvalues, vectors = torch.linalg.eigh(torch.autograd.functional.hessian(loss_fn, theta))
    top = int(torch.argmax(eigenvalues.abs()))
    found = S.top_eigenvalue(loss_fn, theta, tol=1e-10, max_iters=2000)
    assert found.converged
    assert found.value == pytest.approx(float(eigenvalues[top]), rel=1e-6)
    assert abs(float(found.vector @ vectors[:, top])) == pytest.approx(1.0, abs=1e-4)
    # the default tolerance (the one the page uses) is good to well under a percent
    assert S.top_eigenvalue(loss_fn, theta).value == pytest.approx(float(eigenvalues[top]), rel=1e-2)


def test_power_iteration_on_a_known_quadratic():
    diag = torch.tensor([0.5, -1.0, 7.0, 3.0], dtype=torch.float64)
    found = S.top_eigenvalue(lambda th: 0.5 * (diag * th * th).sum(), torch.ones(4, dtype=torch.float64),
                             tol=1e-12, max_iters=1000)
    assert found.value == pytest.approx(7.0, rel=1e-9)
    flat = S.top_eigenvalue(lambda th: (th * 0).sum(), torch.ones(3, dtype=torch.float64))
    assert flat.value == 0.0  # H = 0: stops at once instead of dividing by ‖Hv‖ = 0
