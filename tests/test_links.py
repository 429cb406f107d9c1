"""lab.links: every field reads back what it writes, and refuses what it cannot use, by name."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lab import controls as C
from lab import links as L
from tests.apptest_helpers import link_note


@given(st.sampled_from(C.LR_OPTIONS))
def test_choice_of_numbers_round_trips_exactly(value):
    field = L.choice_field("lr", list(C.LR_OPTIONS), 1e-2)
    assert field.parse(field.format(value)) == value


def test_choice_reads_other_spellings_of_a_number_and_names_bad_values():
    field = L.choice_field("lr", list(C.LR_OPTIONS), 1e-2)
    assert field.parse("1e-2") == 0.01 and field.parse("0.0100") == 0.01
    with pytest.raises(ValueError, match=re.escape(link_note("lr", "0.4") + " is not one of the choices (1e-08")):
        field.parse("0.4")
    names = L.choice_field("optimizer", ["gd", "adam"], "gd")
    assert names.parse("adam") == "adam"
    with pytest.raises(ValueError, match=re.escape(link_note("optimizer", "sgd"))):
        names.parse("sgd")


@given(st.floats(-5, 5, allow_nan=False))
def test_numbers_round_trip_and_stay_in_range(value):
    field = L.number_field("start_x", -5.0, 5.0, 4.5)
    assert field.parse(field.format(value)) == value


@pytest.mark.parametrize("raw", ["6", "-inf", "nan", "abc", ""])
def test_numbers_out_of_range_are_refused_with_the_range(raw):
    with pytest.raises(ValueError, match=r"` start_x ` = .* is not a number from -5 to 5"):
        L.number_field("start_x", -5.0, 5.0, 4.5).parse(raw)


def test_integers_refuse_fractions():
    field = L.number_field("n_runs", 1, 4, 2)
    assert field.parse("3") == 3 and isinstance(field.parse("3.0"), int)
    with pytest.raises(ValueError, match=re.escape(link_note("n_runs", "2.5") + " is not an integer from 1 to 4")):
        field.parse("2.5")


def test_switches_and_lists():
    assert L.bool_field("animate", True).parse("0") is False
    with pytest.raises(ValueError, match=re.escape(link_note("animate", "maybe"))):
        L.bool_field("animate", True).parse("maybe")
    many = L.many_field("optimizers", ["gd", "adam", "rmsprop"], ["gd"])
    assert many.parse(many.format(["adam", "gd"])) == ["adam", "gd"]
    with pytest.raises(ValueError, match=re.escape(link_note("optimizers", "nope"))):
        many.parse("adam,nope")


def test_query_keeps_only_values_that_differ_from_defaults():
    fields = {"lr": L.choice_field("lr", list(C.LR_OPTIONS), 1e-2), "steps": L.number_field("steps", 10, 10**5, 10_000)}
    assert L.query(fields, {"lr": 1e-2, "steps": 500}) == {"steps": "500"}
    assert L.query(fields, {"lr": 0.1, "steps": 10_000}) == {"lr": "0.1"}
