"""The Noisy gradients page under AppTest: draws the stuck case, follows its settings, explains bad input."""
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from batchlab import noisy as nz
from tests.apptest_helpers import chart, decode, link_note, ok, raw_keys

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "noisy_gradients.py")
LINES = ("batch size 1", "batch size 8", "batch size 32", "full batch (128)")


def fresh(epochs=4, lang=None):
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["noisy_epochs"] = epochs
    if lang:
        at.query_params["lang"] = lang
    return at.run()


def paths(at) -> dict:
    """{run label: (n, 2) path} of the paths map."""
    return {t["name"]: np.column_stack([decode(t["x"]), decode(t["y"])])
            for t in chart(at, "noisy_paths")["data"] if t["type"] == "scatter" and t.get("mode") == "lines"}


def test_default_view_is_the_stuck_case():
    at = ok(fresh())
    assert at.radio(key="noisy_preset").value == "stuck"
    assert (at.number_input(key="noisy_w0").value, at.number_input(key="noisy_b0").value) == nz.saddle()
    drawn = paths(at)
    assert tuple(drawn) == LINES
    expected = nz.run_all(nz.NoisyConfig(epochs=4, start=nz.saddle()))
    for run, label in zip(expected.runs, LINES):
        np.testing.assert_array_equal(drawn[label], run.path)
    assert np.all(drawn["full batch (128)"][:, 0] == 0.0)  # gradient descent never leaves the saddle
    losses = {t["name"]: decode(t["y"]) for t in chart(at, "noisy_losses")["data"]}
    np.testing.assert_array_equal(losses["batch size 8"], expected.run(8).loss)

    batches = chart(at, "noisy_batches")
    assert len(batches["frames"]) == 16  # batch size 8: the 16 batches of epoch 1
    assert "Batch 1 of 16" in batches["layout"]["annotations"][1]["text"]
    assert any("Full-batch gradient descent is stuck" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert list(table["run"]) == list(LINES)
    assert float(table["‖∇L‖ at the end"].iloc[-1]) < 1e-15
    assert chart(at, "noisy_fits")["data"]


def test_the_ordinary_preset_moves_the_start_and_nobody_is_stuck():
    at = ok(fresh())
    at.radio(key="noisy_preset").set_value("ordinary").run()
    ok(at)
    assert (at.number_input(key="noisy_w0").value, at.number_input(key="noisy_b0").value) == nz.ORDINARY_START
    drawn = paths(at)
    assert all(tuple(p[0]) == nz.ORDINARY_START for p in drawn.values())
    assert drawn["full batch (128)"][-1, 0] != 0.0
    assert not any("stuck" in i.value for i in at.info)


def test_settings_change_the_runs_and_the_animation():
    at = ok(fresh())
    before = paths(at)["batch size 8"]
    at.select_slider(key="noisy_eta").set_value(5.0).run()
    ok(at)
    assert not np.array_equal(paths(at)["batch size 8"], before)
    at.number_input(key="noisy_seed").set_value(3).run()
    ok(at)
    np.testing.assert_array_equal(paths(at)["batch size 8"], nz.sgd(nz.saddle(), 5.0, 4, 8, 3).path)

    at.selectbox(key="noisy_anim_size").set_value(32).run()
    at.slider(key="noisy_anim_epoch").set_value(4).run()
    ok(at)
    batches = chart(at, "noisy_batches")
    assert len(batches["frames"]) == 4 and "epoch 4" in batches["layout"]["annotations"][1]["text"]
    at.slider(key="noisy_epochs").set_value(2).run()  # the epoch shown follows the shorter run
    ok(at)
    assert at.slider(key="noisy_anim_epoch").value == 2

    at.multiselect(key="noisy_sizes").set_value([2, 128]).run()
    ok(at)
    assert tuple(paths(at)) == ("batch size 2", "full batch (128)")
    assert at.selectbox(key="noisy_anim_size").value == 2
    assert len(chart(at, "noisy_batches")["frames"]) == nz.MAX_FRAMES  # 64 batches: the first 32 animated
    assert any("first 32 of the epoch's 64 batches" in c.value for c in at.caption)


def test_a_small_rate_leaves_the_stuck_note_waiting_for_sgd():
    at = ok(fresh(epochs=2))
    at.select_slider(key="noisy_eta").set_value(0.05).run()
    ok(at)
    assert any("No mini-batch run has got lower" in i.value for i in at.info)
    at.number_input(key="noisy_b0").set_value(3.0).run()  # on the mirror line, far from the saddle
    ok(at)
    assert not at.info  # not at a critical point yet: no claim is made


def test_only_the_full_batch_has_no_animation():
    at = ok(fresh())
    at.multiselect(key="noisy_sizes").set_value([128]).run()
    ok(at)
    assert any("Pick a batch size below 128" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 3


def test_a_link_with_bad_values_is_explained_and_the_defaults_used():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"noisy_seed": "-1", "noisy_w0": "12.5", "noisy_eta": "3", "noisy_epochs": "4"})
    ok(at.run())
    note = at.warning[0].value
    for part in (link_note("noisy_seed", "-1") + " is not an integer from 0 to 999999",
                 link_note("noisy_w0", "12.5") + " is not a number from -8 to 8",
                 link_note("noisy_eta", "3") + " is not one of the choices"):
        assert part in note, note
    assert (at.number_input(key="noisy_seed").value, at.number_input(key="noisy_w0").value) == (0, 0.0)
    assert at.select_slider(key="noisy_eta").value == 2.0 and at.slider(key="noisy_epochs").value == 4


def test_a_link_reproduces_the_view():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.query_params.update({"noisy_preset": "ordinary", "noisy_eta": "5.0", "noisy_epochs": "3",
                            "noisy_sizes": "2,32", "noisy_seed": "7"})
    ok(at.run())
    assert (at.number_input(key="noisy_w0").value, at.number_input(key="noisy_b0").value) == nz.ORDINARY_START
    np.testing.assert_array_equal(paths(at)["batch size 2"], nz.sgd(nz.ORDINARY_START, 5.0, 3, 2, 7).path)
    assert at.selectbox(key="noisy_anim_size").value == 32  # the larger of two: no 8 among them
    # changing a setting writes the view back into the link
    at.slider(key="noisy_epochs").set_value(6).run()
    assert dict(at.query_params) == {"noisy_preset": "ordinary", "noisy_eta": "5.0", "noisy_epochs": "6",
                                     "noisy_sizes": "2,32", "noisy_seed": "7"}


def test_no_batch_size_is_explained_not_raised():
    at = ok(fresh())
    at.multiselect(key="noisy_sizes").set_value([]).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Nothing is run: batch sizes = [—] is not allowed; pick 1 to 4 different sizes among 1, 2, 4, 8, 16, 32, 64, "
        "128."]
    assert not at.get("plotly_chart")
    at.multiselect(key="noisy_sizes").set_value([4]).run()
    ok(at)
    assert tuple(paths(at)) == ("batch size 4",)


def test_the_page_speaks_traditional_chinese_and_shows_no_raw_keys():
    assert not raw_keys(ok(fresh()))
    at = ok(fresh(lang="zh-TW"))
    assert not raw_keys(at, "zh-TW")
    assert at.title[0].value == "雜訊梯度：每個批次都有自己的誤差曲面"
    assert tuple(paths(at)) == ("批次大小 1", "批次大小 8", "批次大小 32", "完整批次（128）")
    assert any("卡住了" in i.value for i in at.info)
