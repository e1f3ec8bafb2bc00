"""The enforcement rules on their own (domain §10): N4's periods over the Greek
calendar, what a running arrangement suspends (N7, N8), criminal proceedings (N14)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from aggregates.arrangement_as_of import ArrangementAsOf
from aggregates.enforcement import allowed_from, criminal_proceedings, period_end, suspended_items
from ledger.settings import load_settings

SCHEMES = load_settings().scheme
ITEMS = [{"item_id": "a", "kind": "contribution"}, {"item_id": "b", "kind": "insurance_time_recognition"},
         {"item_id": "c", "kind": "fee"}]


def state(scheme: str, status: str, held: list[str]) -> ArrangementAsOf:
    return ArrangementAsOf(SimpleNamespace(scheme=scheme, item_ids=held), status, None)  # type: ignore[arg-type]


def test_n4_a_period_starts_the_day_after_delivery_and_ends_on_a_working_day():
    assert period_end(date(2023, 3, 8), 30) == date(2023, 4, 7)  # a Friday
    assert period_end(date(2023, 3, 18), 30) == date(2023, 4, 18)  # Easter Monday 2023-04-17 moved
    assert period_end(date(2023, 2, 3), 30) == date(2023, 3, 6)  # Sunday 2023-03-05 moved to Monday
    assert period_end(date(2022, 11, 25), 30) == date(2022, 12, 27)  # Christmas Day and 26/12 moved
    assert allowed_from(date(2023, 3, 18), 30) == date(2023, 4, 19)


def test_n7_a_running_disaster_arrangement_covers_the_whole_debt_but_insurance_time():
    assert suspended_items(ITEMS, [state("disaster", "suspended", ["a"])], SCHEMES) == {"a", "c"}
    assert suspended_items(ITEMS, [state("disaster", "active", ["a", "b"])], SCHEMES) == {"a", "b", "c"}
    assert criminal_proceedings([state("disaster", "suspended", ["a"])], SCHEMES) == "suspended"


def test_n8_covid_and_standing_cover_their_own_items_while_they_run():
    assert suspended_items(ITEMS, [state("covid-650", "active", ["a"])], SCHEMES) == {"a"}
    assert suspended_items(ITEMS, [state("standing", "active", ["c"])], SCHEMES) == {"c"}
    assert criminal_proceedings([state("covid-650", "active", ["a"])], SCHEMES) == "suspended"
    assert criminal_proceedings([state("standing", "active", ["c"])], SCHEMES) == "allowed"


def test_n12_nothing_is_suspended_before_it_runs_or_once_it_ended():
    for status in ("applied", "lost", "lapsed", "rejected", "completed"):
        assert suspended_items(ITEMS, [state("disaster", status, ["a"])], SCHEMES) == frozenset(), status
        assert criminal_proceedings([state("covid-650", status, ["a"])], SCHEMES) == "allowed", status
