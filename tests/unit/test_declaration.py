"""The ΑΠΔ aggregate: status, corrections kept, assessment (K18, K21, K22) and the
correction cycles as data (K16, K17)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates.declaration import Declaration, assessment_due_date
from aggregates.errors import NotAllowed
from ledger.settings import load_settings

DAY = date(2004, 3, 10)


def fields(record: str, period: str = "2004-01", contributions: str = "440.60", employer_subsidy: str = "0.00",
           employee_subsidy: str = "0.00") -> dict:
    return {"record": record, "amka": "01016512343", "insured_since": "1985-03-01", "package": "101",
            "earnings_type": "01", "wage_period": period, "from": f"{period}-01", "to": f"{period}-28", "days": 25,
            "earnings": "1000.00", "contributions": contributions, "employer_subsidy": employer_subsidy,
            "employee_subsidy": employee_subsidy}


def declaration(*records: dict, codes: dict | None = None) -> Declaration:
    return Declaration.submit("A-1", "094014201", "010", False, DAY, list(records),
                              codes or {r["record"]: [] for r in records}, "digest", DAY)


def test_the_status_is_pending_while_a_record_has_codes_then_ready_then_finalised():
    """interfaces §1.4, K18."""
    d = declaration(fields("1"), fields("2", contributions="0.00"), codes={"1": [], "2": [70]})
    assert (d.status, d.wrong_records()) == ("pending", 1)
    d.correct([fields("2")], {"1": [], "2": []}, [], [], DAY)
    assert (d.status, d.versions, d.records["2"]["contributions"]) == ("ready", {"2": 2}, "440.60")
    d.finalise({"1": [], "2": []}, {}, ["1", "2"], DAY)
    assert (d.status, d.in_history) == ("finalised", {"1", "2"})
    with pytest.raises(NotAllowed, match="was finalised on 2004-03-10"):
        d.finalise({}, {}, [], DAY)


def test_the_old_version_of_a_corrected_record_stays_in_the_events():
    """K18, K22: the history keeps it."""
    d = declaration(fields("1", contributions="0.00"))
    d.correct([fields("1")], {"1": []}, [], [], DAY)
    submitted, corrected = d.collect_events()
    assert submitted.records[0]["contributions"] == "0.00"
    assert corrected.records[0]["contributions"] == "440.60"


def test_a_record_the_declaration_does_not_hold_cannot_be_corrected():
    with pytest.raises(NotAllowed) as refused:
        declaration(fields("1")).correct([fields("9")], {}, [], [], DAY)
    assert (refused.value.field, refused.value.reason) == ("records", "ΑΠΔ A-1 has no record 9 (K18)")


def test_assessment_is_one_item_per_wage_period_of_the_declared_payable_contributions():
    """K21: Σ(C − Se − Sw) per wage period; due by the last working day of the month after
    (2004-01 → 2004-02-27, as 28 and 29 February 2004 are a weekend)."""
    d = declaration(fields("1"), fields("2", employer_subsidy="8.00", employee_subsidy="5.50"),
                    fields("3", period="2003-12"))
    assessed = d.finalise({}, {}, [], DAY)
    assert assessed == [
        {"item_id": "IKA:A-1:2003-12", "period": "2003-12", "kind": "contribution", "amount": "440.60",
         "due_date": "2004-01-30"},
        {"item_id": "IKA:A-1:2004-01", "period": "2004-01", "kind": "contribution", "amount": "867.70",
         "due_date": "2004-02-27"},
    ]


def test_a_correction_after_finalisation_assesses_the_difference_never_editing_the_first_item():
    """K22: a new item for the same period and due date; a negative one is a credit."""
    d = declaration(fields("1"), fields("2"))
    d.finalise({}, {}, [], DAY)
    up = d.correct([fields("2", contributions="500.00")], {}, [], [], DAY)
    assert up == [{"item_id": "IKA:A-1:2004-01:2", "period": "2004-01", "kind": "contribution", "amount": "59.40",
                   "due_date": "2004-02-27"}]
    down = d.correct([fields("1", contributions="400.00")], {}, [], [], DAY)
    assert [(i["item_id"], i["amount"]) for i in down] == [("IKA:A-1:2004-01:3", "-40.60")]
    assert [i["amount"] for i in d.assessed] == ["881.20", "59.40", "-40.60"]
    assert d.correct([fields("1", contributions="400.00")], {}, [], [], DAY) == []  # nothing changed: nothing


@pytest.mark.parametrize(("period", "due"), [("2003-09", date(2003, 10, 31)), ("2003-12", date(2004, 1, 30)),
                                             ("2004-01", date(2004, 2, 27)), ("2007-03", date(2007, 4, 30))])
def test_the_assessed_items_due_date(period, due):
    assert assessment_due_date(period) == due


payables = st.decimals(min_value=0, max_value=5000, places=2, allow_nan=False, allow_infinity=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["2003-11", "2003-12", "2004-01"]), payables), min_size=1, max_size=6),
       st.lists(payables, max_size=6))
def test_assessing_is_idempotent_and_adds_up_to_what_is_declared(first, corrections):
    """K21, K22: after any corrections the items assessed sum, per period, to the
    current records' payable; assessing again assesses nothing."""
    d = declaration(*(fields(str(n), period, str(c)) for n, (period, c) in enumerate(first)))
    d.finalise({}, {}, [], DAY)
    for n, c in enumerate(corrections):
        record = str(n % len(first))
        d.correct([fields(record, d.records[record]["wage_period"], str(c))], {}, [], [], DAY)
    assert d.assessment() == []
    totals: dict[str, Decimal] = {}
    for item in d.assessed:
        totals[item["period"]] = totals.get(item["period"], Decimal(0)) + Decimal(item["amount"])
    assert {p: t for p, t in totals.items() if t} == {p: t for p, t in d.payable_by_period().items() if t}


# -- K16, K17: the cycle as data -------------------------------------------------------

CYCLE = load_settings().apd.cycles[0]


def test_the_2007_cycle_covers_2002_01_to_2007_03_until_saturday_15_september_2007_not_moved():
    assert (CYCLE.covers("2002-01"), CYCLE.covers("2007-03"), CYCLE.covers("2001-12"), CYCLE.covers("2007-04")) == (
        True, True, False, False)
    assert CYCLE.deadline == date(2007, 9, 15) and CYCLE.deadline.weekday() == 5
    assert CYCLE.open_on(date(2007, 9, 15)) and not CYCLE.open_on(date(2007, 9, 16))


def test_who_takes_part_at_most_100_wrong_records_up_to_2004_06_and_200_from_2004_07():
    """K16 [P]: each ΑΠΔ against its own limit; only certified internet users."""
    assert CYCLE.takes_part(True, [("2004-06", 100), ("2004-07", 200)])
    assert not CYCLE.takes_part(True, [("2004-06", 101)])
    assert not CYCLE.takes_part(True, [("2006-01", 201)])
    assert not CYCLE.takes_part(False, [("2004-06", 0)])
    assert CYCLE.takes_part(True, [("2001-12", 500)])  # before the cycle's periods: not counted
