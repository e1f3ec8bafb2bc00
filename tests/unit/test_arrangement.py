"""The arrangement aggregate: A1–A3 (life cycle, events, pluggable schemes),
M3 (business dates), E1/E2 (settle, idempotence, backdated corrections)."""

from datetime import date
from decimal import Decimal
from functools import reduce

import pytest

from aggregates.arrangement import Arrangement
from aggregates.schemes.base import (
    CapitalLine,
    Grant,
    Plan,
    Scheme,
    TwoInstalmentsUnpaid,
    monthly_instalments,
)
from aggregates.timeline import Receipt
from tests.unit.builders import COVID, RULES, apply, covid_3360, d, item, kinds, m


def events_of(arrangement, kind):
    return [e for e in arrangement.collect_events() if type(e).__name__ == kind]


def replay(events):
    return reduce(lambda a, e: e.mutate(a), events, None)


def test_A1_applied_scheduled_and_waiting_for_the_first_payment():
    arrangement = covid_3360()
    assert arrangement.status == "applied"
    assert arrangement.capital == m("3360.00")
    assert arrangement.item_ids == ["i1"]
    assert arrangement.id == Arrangement.create_id("RF57A650090000045001")
    assert kinds(arrangement.collect_events()) == ["Applied", "Capitalised", "Scheduled"]


def test_A1_rejected_after_the_deadline_records_the_reason():
    arrangement = apply(COVID, "2022-02-01", [item("i1", "3000.00", "2020-06-30")])
    assert arrangement.status == "rejected"
    events = arrangement.collect_events()
    assert kinds(events) == ["Applied", "Rejected"]
    assert "C2" in events[1].reason and "2022-01-31" in events[1].reason
    with pytest.raises(AssertionError):
        arrangement.settle(COVID, d("2022-02-10"), RULES)


def test_A1_ND8_rejection_decided_outside_the_scheme_is_recorded():
    code = "RF57A650090000045001"
    from tests.unit.builders import form
    arrangement = Arrangement.apply_for(COVID, form("2021-12-15"), code, [item("i1", "3000.00", "2020-06-30")],
                                        RULES, rejection="debtor already in an exclusive arrangement (ND8)")
    assert arrangement.status == "rejected"
    assert arrangement.rejection_reason == "debtor already in an exclusive arrangement (ND8)"


def test_A1_A2_C6_active_then_completed():
    arrangement = covid_3360()
    arrangement.settle(COVID, d("2021-12-20"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("280.00"))])
    assert arrangement.status == "active"
    arrangement.settle(COVID, d("2022-01-10"), RULES, new_receipts=[Receipt("t2", d("2022-01-10"), m("3080.00"))])
    assert arrangement.status == "completed"
    names = kinds(arrangement.collect_events())
    assert names == [
        "Applied", "Capitalised", "Scheduled", "InstalmentDue", "Paid", "Activated",
        "InstalmentDue", "PaidOff", "Paid", "Completed",
    ]
    paid_off = events_of(arrangement, "PaidOff")
    assert paid_off == []  # collect_events drained them already
    assert arrangement.facts["paid_off"]["amount"] == m("3080.00")  # C7: the capital of instalments 2–12


def test_A1_A2_lapsed_when_instalment_1_is_not_paid_by_2021_12_31():
    arrangement = covid_3360()
    arrangement.settle(COVID, d("2022-01-01"), RULES)
    assert arrangement.status == "lapsed"
    events = arrangement.collect_events()
    assert kinds(events)[-2:] == ["InstalmentDue", "Lapsed"]
    assert events[-1].business_date == d("2022-01-01")
    assert events[-1].unpaid_instalment == 1


def test_A2_C8_lost_with_its_events():
    arrangement = covid_3360()
    arrangement.settle(COVID, d("2022-03-05"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("280.00"))])
    assert arrangement.status == "lost"
    events = arrangement.collect_events()
    assert set(kinds(events)) >= {"Applied", "Capitalised", "InstalmentDue", "Paid", "InstalmentMissed",
                                  "SurchargeAccrued", "Lost", "Activated"}
    missed = [(e.business_date, e.number) for e in events if type(e).__name__ == "InstalmentMissed"]
    assert missed == [(d("2022-02-01"), 2), (d("2022-03-01"), 3)]
    (lost,) = [e for e in events if type(e).__name__ == "Lost"]
    assert (lost.business_date, lost.balance) == (d("2022-03-01"), m("3085.61"))
    # the lost balance 3080.00 accrues 20.53 a month from 2022-03-02
    last = events[-1]
    assert (type(last).__name__, last.business_date, last.number, last.amount) == (
        "SurchargeAccrued", d("2022-03-02"), None, m("20.53"))


def test_M3_every_event_carries_its_business_date():
    arrangement = covid_3360()
    arrangement.settle(COVID, d("2022-02-05"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("280.00"))])
    events = arrangement.collect_events()
    dates = [(type(e).__name__, e.business_date) for e in events]
    assert dates == [
        ("Applied", d("2021-12-15")), ("Capitalised", d("2021-12-15")), ("Scheduled", d("2021-12-15")),
        ("InstalmentDue", d("2021-12-15")), ("Paid", d("2021-12-20")), ("Activated", d("2021-12-20")),
        ("InstalmentDue", d("2022-01-01")), ("InstalmentDue", d("2022-02-01")),
        ("InstalmentMissed", d("2022-02-01")), ("SurchargeAccrued", d("2022-02-01")),
    ]
    # the recording time is separate from the business date
    assert all(e.timestamp.date() != e.business_date for e in events)


def test_E1_E2_settling_the_same_date_again_records_nothing():
    arrangement = covid_3360()
    receipt = Receipt("t1", d("2021-12-20"), m("280.00"))
    arrangement.settle(COVID, d("2022-03-05"), RULES, new_receipts=[receipt])
    arrangement.collect_events()
    version = arrangement.version
    arrangement.settle(COVID, d("2022-03-05"), RULES)
    arrangement.settle(COVID, d("2022-03-05"), RULES, new_receipts=[receipt])  # P5: same transaction again
    assert arrangement.collect_events() == []
    assert arrangement.version == version


def test_E1_skipped_days_are_caught_up_in_order():
    # settling 2022-03-05 directly gives the same facts as settling day by day
    receipt = Receipt("t1", d("2021-12-20"), m("280.00"))
    at_once = covid_3360()
    at_once.settle(COVID, d("2022-03-05"), RULES, new_receipts=[receipt])
    daily = covid_3360()
    daily.settle(COVID, d("2021-12-20"), RULES, new_receipts=[receipt])
    day = date(2021, 12, 21)
    while day <= date(2022, 3, 5):
        daily.settle(COVID, day, RULES)
        day = date.fromordinal(day.toordinal() + 1)
    assert daily.facts == at_once.facts
    assert daily.status == at_once.status == "lost"


def test_E2_backdated_payment_corrects_miss_surcharges_and_loss_with_new_events():
    arrangement = covid_3360()
    arrangement.settle(COVID, d("2022-03-05"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("280.00"))])
    before = arrangement.collect_events()
    recorded = [(type(e).__name__, e.originator_version) for e in before]
    assert arrangement.status == "lost"
    # a payment with value date 2022-01-31 (instalment 2's deadline, on time by P4)
    # reaches the ledger on 2022-03-05
    arrangement.settle(COVID, d("2022-03-05"), RULES, new_receipts=[Receipt("t2", d("2022-01-31"), m("280.00"))])
    corrections = arrangement.collect_events()
    summary = [(type(e).__name__, e.key, getattr(e, "effective_on", None), getattr(e, "amount", None))
               for e in corrections]
    assert summary == [
        ("MissCorrected", "missed:2", d("2022-02-01"), None),
        ("SurchargeReversed", "surcharge:2:2022-02-01", d("2022-02-01"), m("1.87")),
        ("SurchargeReversed", "surcharge:2:2022-03-01", d("2022-03-01"), m("1.87")),
        ("LossReversed", "lost", d("2022-03-01"), None),
        ("SurchargeReversed", "surcharge::2022-03-02", d("2022-03-02"), m("20.53")),
        ("Paid", "paid:t2", None, m("280.00")),
    ]
    # corrections are recorded on the business date; the payment on its value date
    assert [e.business_date for e in corrections] == [d("2022-03-05")] * 5 + [d("2022-01-31")]
    # old events untouched: new events only, versions continue
    assert corrections[0].originator_version == recorded[-1][1] + 1
    assert arrangement.status == "active"
    # instalment 3 (due 2022-02-28) is still missed with its surcharge of 1.87
    assert arrangement.facts["missed:3"]["number"] == 3
    assert arrangement.facts["surcharge:3:2022-03-01"]["amount"] == m("1.87")
    assert "lost" not in arrangement.facts
    # and running settle again records nothing new (idempotent)
    arrangement.settle(COVID, d("2022-03-05"), RULES)
    assert arrangement.collect_events() == []


def test_E2_backdated_first_payment_reverses_the_lapse():
    arrangement = covid_3360()
    arrangement.settle(COVID, d("2022-01-03"), RULES)
    assert arrangement.status == "lapsed"
    arrangement.collect_events()
    arrangement.settle(COVID, d("2022-01-03"), RULES, new_receipts=[Receipt("t1", d("2021-12-31"), m("280.00"))])
    events = arrangement.collect_events()
    assert [(type(e).__name__, e.business_date) for e in events] == [
        ("LapseReversed", d("2022-01-03")), ("Paid", d("2021-12-31")), ("Activated", d("2021-12-31")),
    ]
    assert arrangement.status == "active"


def test_E2_backdated_payment_reallocates_a_later_payment():
    # t2 (600.00 on 2022-02-10) was allocated to the missed instalment 2 with its 1.87
    # surcharge; a backdated t3 of 2022-01-31 pays instalment 2 on time, so t2 now pays
    # instalment 3 (280.00) and 320.00 backwards: 12 (280.00) and 40.00 of 11.
    arrangement = covid_3360()
    receipts = [Receipt("t1", d("2021-12-20"), m("280.00")), Receipt("t2", d("2022-02-10"), m("600.00"))]
    arrangement.settle(COVID, d("2022-02-10"), RULES, new_receipts=receipts)
    arrangement.collect_events()
    arrangement.settle(COVID, d("2022-02-12"), RULES, new_receipts=[Receipt("t3", d("2022-01-31"), m("280.00"))])
    events = arrangement.collect_events()
    (realloc,) = [e for e in events if type(e).__name__ == "Reallocated"]
    assert realloc.key == "paid:t2"
    assert realloc.business_date == d("2022-02-12")
    assert [(a["number"], a["part"], a["amount"]) for a in realloc.allocation] == [
        (3, "capital", m("280.00")), (12, "capital", m("280.00")), (11, "capital", m("40.00")),
    ]
    assert {"MissCorrected", "SurchargeReversed"} <= set(kinds(events))


def test_replaying_the_events_gives_the_same_state():
    arrangement = covid_3360()
    arrangement.settle(COVID, d("2022-03-05"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("280.00"))])
    arrangement.settle(COVID, d("2022-03-05"), RULES, new_receipts=[Receipt("t2", d("2022-01-31"), m("280.00"))])
    copy = replay(arrangement.collect_events())
    public = lambda a: {k: v for k, v in vars(a).items() if not k.startswith("_")}  # noqa: E731
    assert public(copy) == public(arrangement)
    assert copy.status == "active"


class Flat(Scheme):
    """A3: a new scheme is a subclass plus its parameters, nothing else changes."""

    name = "flat"
    code = "9"

    def grant(self, form, items, surcharges):
        return Grant(form.applied_on, tuple(CapitalLine(i.item_id, i.unpaid, m("0.00")) for i in items))

    def plan(self, form, grant, extra_principal):
        instalments = monthly_instalments(grant.capital, 2, form.applied_on, form.applied_on, Decimal(0), 2)
        return Plan(instalments, form.applied_on, needs_first_payment=False)

    def loss_rule(self):
        return TwoInstalmentsUnpaid("flat")


def test_A3_a_new_scheme_plugs_in_without_touching_the_aggregate():
    flat = Flat()
    arrangement = apply(flat, "2022-03-10", [item("x", "100.01", "2022-01-31")])
    arrangement.settle(flat, d("2022-04-30"), RULES, new_receipts=[Receipt("t1", d("2022-03-31"), m("50.01")),
                                                                  Receipt("t2", d("2022-04-29"), m("50.00"))])
    # 100.01 in 2: 50.01 (due 2022-03-31), 50.00 (due 2022-04-29)
    assert [i["capital"] for i in arrangement.instalments] == [m("50.01"), m("50.00")]
    assert arrangement.scheme == "flat"
    assert arrangement.status == "completed"


def test_E2_a_backdated_payoff_leaves_later_due_facts_recorded():
    """A payment dated before instalments that have since fallen due pays the
    arrangement off (C7) as of its value date: it is completed then, and the
    InstalmentDue facts recorded after that date stay as recorded (they said
    what the ledger knew; the instalments are now paid, nothing to correct)."""
    arrangement = covid_3360()
    arrangement.settle(COVID, d("2021-12-20"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("280.00"))])
    arrangement.settle(COVID, d("2022-03-10"), RULES, new_receipts=[
        Receipt("t2", d("2022-01-25"), m("280.00")), Receipt("t3", d("2022-02-25"), m("280.00"))])
    arrangement.collect_events()
    # Instalments 1–3 paid; 4 due from 2022-03-01. A payoff dated 2022-01-26
    # arrives late: the 2800.00 left of the capital (10 × 280.00) less what
    # t3 then paid ahead.
    arrangement.settle(COVID, d("2022-03-10"), RULES, new_receipts=[Receipt("t4", d("2022-01-26"), m("2520.00"))])
    assert arrangement.status == "completed"
    assert arrangement.facts["completed"]["business_date"] == d("2022-02-25")
    assert "due:4" in arrangement.facts
    events = arrangement.collect_events()
    assert "Completed" in kinds(events)
    arrangement.settle(COVID, d("2022-03-10"), RULES)
    assert arrangement.collect_events() == []
