"""The generalization page under AppTest (tiny settings from the link), and its figures' data."""
import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from batchlab import digits as D
from batchlab import flat_sharp as FS
from figures import generalization as G
from tests.apptest_helpers import chart, decode, ok, raw_keys

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "generalization.py")
BATCHES = (16, 128, D.N_TRAIN)
TINY = {"gen_batches": "16,128,1437", "gen_epochs": "2", "gen_hidden": "8", "gen_target": "0.5", "gen_toy_runs": "100",
        "gen_toy_steps": "100"}


def fresh(**params):
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in {**TINY, **params}.items():
        at.query_params[k] = v
    return at.run()


def study(**changes) -> D.StudyConfig:
    values = dict(batch_sizes=BATCHES, epochs=2, hidden=8)
    values.update(changes)
    return D.StudyConfig(**values)


def traces(spec, name=None, kind=None):
    return [t for t in spec["data"] if (name is None or t.get("name") == name) and (kind is None or t["type"] == kind)]


def test_default_view_draws_every_chart_with_the_runs_data():
    at = ok(fresh())
    runs = [D.train(c) for c in study().runs()]  # deterministic: the page must show these numbers
    acc = chart(at, "gen_accuracy")
    (train,), (val,) = traces(acc, "training data"), traces(acc, "validation data")
    np.testing.assert_array_equal(decode(train["x"]), BATCHES)
    np.testing.assert_allclose(decode(train["y"]), [100 * r.train_acc[-1] for r in runs], rtol=1e-12)
    np.testing.assert_allclose(decode(val["y"]), [100 * r.val_acc[-1] for r in runs], rtol=1e-12)
    assert acc["layout"]["xaxis"]["type"] == "log"
    assert acc["layout"]["xaxis"]["ticktext"][-1] == "1,437<br>(full)"
    assert decode(train["y"])[0] > decode(train["y"])[-1] + 20  # equal epochs: the full batch lags far behind

    losses = chart(at, "gen_losses")
    lines = traces(losses, kind="scatter")
    assert len(lines) == 2 * len(BATCHES)
    for line in lines:
        y = decode(line["y"])
        assert len(y) == 3 and np.all(np.isfinite(y)) and np.all(y > 0)
        np.testing.assert_array_equal(decode(line["x"]), [0, 1, 2])

    sharp = chart(at, "gen_sharpness")
    (measured,) = traces(sharp, "λ_max where the run ended")
    np.testing.assert_allclose(decode(measured["y"]), [r.sharpness for r in runs], rtol=1e-12)
    (limit,) = traces(sharp, "stability limit 2(1 + momentum)/η")
    np.testing.assert_allclose(decode(limit["y"]), [20.0, 20.0, 20.0])  # 2/η at η = 0.1

    table = at.dataframe[0].value
    assert list(table["batch size B"]) == ["16", "128", "1,437 (full)"]
    assert list(table["updates"]) == [2 * 90, 2 * 12, 2]

    # the second comparison: every batch size trained to training loss ≤ 0.5 (the link's target)
    equal = [D.train(c) for c in dataclasses.replace(study(), target_loss=0.5).runs()]
    assert all(r.reached and r.train_loss[-1] <= 0.5 < r.train_loss[-2] for r in equal)
    acc = chart(at, "gen_accuracy_equal")
    assert acc["layout"]["title"]["text"] == "Accuracy at equal training loss"
    (val,) = traces(acc, "validation data")
    np.testing.assert_allclose(decode(val["y"]), [100 * r.val_acc[-1] for r in equal], rtol=1e-12)
    (measured,) = traces(chart(at, "gen_sharpness_equal"), "λ_max where the run ended")
    np.testing.assert_allclose(decode(measured["y"]), [r.sharpness for r in equal], rtol=1e-12)
    assert list(at.dataframe[1].value["updates"]) == [r.updates for r in equal]
    words = " ".join(m.value for m in at.markdown)
    assert "Every batch size reached a training loss of at most 0.5" in words
    assert "After 2 epochs the training accuracy falls from" in words  # the first comparison, in words

    toy = FS.run_toy(FS.ToyConfig(runs=100, steps=100))
    picture = chart(at, "gen_toy")
    ends = [t for t in traces(picture, kind="scatter") if t.get("mode") == "markers"]
    assert [t["name"] for t in ends] == [f"B = 4: {100 * toy.small.flat_share:.0f} % in the flat minimum",
                                         f"B = 128: {100 * toy.large.flat_share:.0f} % in the flat minimum"]
    np.testing.assert_array_equal(decode(ends[0]["x"]), toy.small.ends)
    assert len(traces(picture, kind="histogram")) == 2
    means = chart(at, "gen_toy_means")
    (test_bars,) = traces(means, "mean test loss")
    np.testing.assert_allclose(decode(test_bars["y"]), [toy.small.test_loss.mean(), toy.large.test_loss.mean()])
    assert not raw_keys(at)


def test_settings_change_the_runs():
    at = ok(fresh())
    before = decode(traces(chart(at, "gen_accuracy"), "validation data")[0]["y"])
    at.slider(key="gen_epochs").set_value(3).run()
    ok(at)
    after = decode(traces(chart(at, "gen_accuracy"), "validation data")[0]["y"])
    assert not np.array_equal(before, after)
    assert at.query_params["gen_epochs"] == "3"  # the view is in the link

    at.radio(key="gen_rule").set_value("linear").run()
    ok(at)
    assert list(at.dataframe[0].value["η"]) == ["0.05", "0.4", "4.491"]

    at.radio(key="gen_x").set_value("update").run()
    ok(at)
    first = traces(chart(at, "gen_losses"), kind="scatter")[0]
    np.testing.assert_array_equal(decode(first["x"]), [90, 180, 270])  # batch 16: 90 updates an epoch
    assert chart(at, "gen_losses")["layout"]["xaxis"]["type"] == "log"
    assert chart(at, "gen_losses")["layout"]["xaxis"]["title"]["text"] == "update"


def test_toy_settings_redraw_the_picture():
    at = ok(fresh())
    before = decode(traces(chart(at, "gen_toy"), kind="scatter")[2]["x"])
    at.select_slider(key="gen_toy_small").set_value(16).run()
    ok(at)
    names = [t["name"] for t in traces(chart(at, "gen_toy"), kind="scatter") if t.get("mode") == "markers"]
    assert names[0].startswith("B = 16: ")
    assert not np.array_equal(before, decode(traces(chart(at, "gen_toy"), kind="scatter")[2]["x"]))


def test_bad_settings_are_explained_not_raised():
    at = fresh(gen_batches="")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Nothing is trained: batch sizes = [—] is not allowed; pick 1 to 10 batch sizes."]
    keys = [e.proto.id for e in at.get("plotly_chart")]
    assert not any(k.endswith("gen_accuracy") for k in keys)
    assert any(k.endswith("gen_toy") for k in keys)  # the one-dimensional picture does not depend on it

    at = fresh(gen_rule="linear", gen_lr="5.0", gen_ref="1")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Nothing is trained: the learning rate of batch size 128, η(B) = 640, is out of range; "
        "allowed 1e-05 ≤ η(B) ≤ 100. Lower η₀ or raise B₀."]
    at.select_slider(key="gen_lr").set_value(0.01).run()
    ok(at)  # fixed: η(B) = 0.16, 1.28, 14.37
    assert list(at.dataframe[0].value["η"]) == ["0.16", "1.28", "14.37"]


def test_a_stopped_study_shows_a_note_until_resumed():
    """Stop (a click while training) marks the study as stopped; the next run trains nothing more
    and offers Resume. Seed 7 is used by no other test, so nothing of it is cached yet."""
    at = AppTest.from_file(PAGE, default_timeout=120)
    for k, v in {**TINY, "gen_seed": "7"}.items():
        at.query_params[k] = v
    same = study(seed=7)
    at.session_state["gen_stopped"] = repr((same, dataclasses.replace(same, target_loss=0.5)))
    at.run()
    ok(at)
    assert [i.value for i in at.info] == [
        "Training stopped: 0 of 3 runs are trained. Press Resume to train the rest."]
    assert not any(e.proto.id.endswith("gen_accuracy") for e in at.get("plotly_chart"))
    assert not any(e.proto.id.endswith("gen_accuracy_equal") for e in at.get("plotly_chart"))  # both stopped
    at.button(key="gen_resume").click().run()
    ok(at)
    assert not at.info
    assert list(at.dataframe[0].value["batch size B"]) == ["16", "128", "1,437 (full)"]
    assert list(at.dataframe[1].value["batch size B"]) == ["16", "128", "1,437 (full)"]  # the second comparison
    assert "gen_stopped" not in at.session_state


def test_traditional_chinese():
    at = ok(fresh(lang="zh-TW"))
    assert at.title[0].value == "泛化：小批次與大批次"
    acc = chart(at, "gen_accuracy")
    assert {t["name"] for t in acc["data"]} == {"訓練資料", "驗證資料"}
    assert acc["layout"]["xaxis"]["title"]["text"] == "批次大小 B"
    assert not raw_keys(at, "zh-TW")
    assert "訓練正確率 (%)" in at.dataframe[0].value.columns


# ----------------------------------------------------------------- figures alone
def fake_run(batch, diverged=-1, sharpness=2.0, epochs=3):
    n = epochs + 1 if diverged < 0 else diverged
    return D.TrainRun(config=D.TrainConfig(batch_size=batch, lr=0.1, epochs=epochs, hidden=4),
                      train_loss=np.linspace(2.3, 0.1, n), train_acc=np.linspace(0.1, 0.99, n),
                      val_loss=np.linspace(2.3, 0.2, n), val_acc=np.linspace(0.1, 0.95, n),
                      diverged_epoch=diverged, theta=np.zeros(D.n_params(4), np.float32),
                      sharpness=math.nan if diverged >= 0 else sharpness, seconds=0.1)


def test_a_diverged_run_is_marked_not_drawn_as_a_number():
    runs = [fake_run(8), fake_run(64, diverged=2), fake_run(512)]
    acc = G.accuracy_figure(runs, D.N_TRAIN).to_plotly_json()
    line = next(t for t in acc["data"] if t["name"] == "training data")
    assert list(line["x"]) == [8, 512]
    cross = next(t for t in acc["data"] if t["name"] == "diverged (chance level)")
    assert list(cross["x"]) == [64] and list(cross["y"]) == [10.0]
    sharp = G.sharpness_figure(runs, D.N_TRAIN).to_plotly_json()
    for trace in sharp["data"]:
        assert list(trace["x"]) == [8, 512] and np.all(np.isfinite(np.asarray(trace["y"], float)))
    losses = G.loss_figure(runs, D.N_TRAIN).to_plotly_json()
    assert [len(decode(t["y"])) for t in losses["data"]] == [4, 4, 2, 2, 4, 4]


def test_sharpness_axis_is_linear_when_a_value_is_not_positive():
    runs = [fake_run(8, sharpness=-0.01), fake_run(64, sharpness=3.0)]
    assert G.sharpness_figure(runs, D.N_TRAIN).layout.yaxis.type == "linear"
    assert G.sharpness_figure([fake_run(8), fake_run(64)], D.N_TRAIN).layout.yaxis.type == "log"


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_batch_labels(lang):
    assert G.batch_label(32, D.N_TRAIN, lang) == "32"
    assert G.batch_label(D.N_TRAIN, D.N_TRAIN, lang).startswith("1,437")
