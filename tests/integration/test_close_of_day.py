"""E1/E2: close of day moves the business date, records what fell due, was
missed, surcharged, lapsed or lost; idempotent; catches up skipped days; a
backdated payment is corrected by new events, never by editing old ones."""

from __future__ import annotations

import pytest

from ledger import views
from ledger.errors import BadInput
from ledger.handlers.close_day import close_day
from tests.integration.helpers import (
    AFM,
    count,
    covid_case,
    d,
    events_of,
    history,
    instalment,
    m,
    pay,
)

# covid_case with instalment 1 paid, then nothing: what the timeline gives up to
# 2022-04-01. C8: on 2022-03-01 instalments 2 and 3 (226.66) are unpaid past due,
# the amount of two instalments, so the arrangement is lost; its balance
# 1246.67 + 3 × 0.76 of surcharges = 1248.95; from 2022-03-02 the balance
# accrues a month at 8%/12 on 1246.67 = 8.31.
EXPECTED_TO_APRIL = [
    ("Activated", "2021-12-31", None, None),
    ("InstalmentDue", "2022-01-01", 2, None),
    ("InstalmentDue", "2022-02-01", 3, None),
    ("InstalmentMissed", "2022-02-01", 2, None),
    ("SurchargeAccrued", "2022-02-01", 2, "0.76"),
    ("InstalmentDue", "2022-03-01", 4, None),
    ("InstalmentMissed", "2022-03-01", 3, None),
    ("SurchargeAccrued", "2022-03-01", 2, "0.76"),
    ("SurchargeAccrued", "2022-03-01", 3, "0.76"),
    ("Lost", "2022-03-01", None, "1248.95"),
    ("SurchargeAccrued", "2022-03-02", None, "8.31"),
]


def facts_after(ledger, ref, position):
    out = []
    for e in history(ledger, ref):
        if e["position"] <= position:
            continue
        p = e["payload"]
        amount = p.get("amount", p.get("balance"))
        out.append((e["type"], e["business_date"].isoformat(), p.get("number"), None if amount is None else str(amount)))
    return out


def test_e1_close_day_moves_the_business_date(ledger):
    assert ledger.business_date() is None
    close_day(ledger, d("2021-12-01"))
    assert ledger.business_date() == d("2021-12-01")
    close_day(ledger, d("2021-12-02"))
    assert ledger.business_date() == d("2021-12-02")
    with pytest.raises(BadInput) as error:
        close_day(ledger, d("2021-11-30"))
    assert error.value.field == "date"
    assert ledger.business_date() == d("2021-12-02")


def test_e2_close_day_twice_records_nothing_new(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-1")
    assert close_day(ledger, d("2022-02-05")) == 1
    before = count(ledger)
    assert close_day(ledger, d("2022-02-05")) == 1
    assert count(ledger) == before
    assert ledger.business_date() == d("2022-02-05")


@pytest.mark.parametrize(
    "closes",
    [["2022-04-01"], ["2022-01-15", "2022-02-01", "2022-02-15", "2022-03-01", "2022-04-01"]],
    ids=["one-jump", "step-by-step"],
)
def test_e2_skipped_days_are_caught_up_in_order(ledger, closes):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-1")
    start = count(ledger)
    for day in closes:
        close_day(ledger, d(day))
    assert facts_after(ledger, a.payment_code, start) == EXPECTED_TO_APRIL
    view = views.arrangement_view(ledger, a.payment_code)
    assert (view["status"], view["lost_on"], view["remaining_balance"]) == ("lost", d("2022-03-01"), m("1257.26"))
    assert ledger.arrangement(a.payment_code).status == "lost"


def test_e2_backdated_payment_corrects_a_recorded_miss_with_new_events(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-1")
    close_day(ledger, d("2022-02-05"))
    missed = events_of(ledger, a.payment_code, "InstalmentMissed")
    assert [(e["payload"]["number"], e["business_date"]) for e in missed] == [(2, d("2022-02-01"))]
    assert views.clearance(ledger, AFM)["clear"] is False
    recorded = history(ledger, a.payment_code)

    # the bank reports on 2022-02-05 a payment made on the due date 2022-01-31
    pay(ledger, a.payment_code, "113.33", "2022-01-31", "TX-2")

    after = history(ledger, a.payment_code)
    assert after[: len(recorded)] == recorded  # old events are never edited
    new = [(e["type"], e["business_date"], e["payload"].get("key"), e["payload"].get("effective_on"),
            e["payload"].get("amount")) for e in after[len(recorded):]]
    assert ("MissCorrected", d("2022-02-05"), "missed:2", d("2022-02-01"), None) in new
    assert ("SurchargeReversed", d("2022-02-05"), "surcharge:2:2022-02-01", d("2022-02-01"), m("0.76")) in new
    paid = next(e for e in after[len(recorded):] if e["type"] == "Paid")
    assert paid["business_date"] == d("2022-01-31")  # allocated as of its value date
    assert paid["payload"]["allocation"] == [{"number": 2, "part": "capital", "amount": m("113.33")}]

    view = views.arrangement_view(ledger, a.payment_code)
    assert (instalment(view, 2)["status"], instalment(view, 2)["surcharge"], view["arrears"]) == ("paid", m("0.00"), m("0.00"))
    assert views.clearance(ledger, AFM)["clear"] is True
    # closing the same day again finds nothing more to correct
    before = count(ledger)
    close_day(ledger, d("2022-02-05"))
    assert count(ledger) == before


def test_e2_backdated_payment_reverses_a_recorded_lapse(ledger):
    a = covid_case(ledger)
    b = covid_case(ledger, "100000015")
    close_day(ledger, d("2022-01-03"))
    assert [e["business_date"] for e in events_of(ledger, a.payment_code, "Lapsed")] == [d("2022-01-01")]
    assert views.debt_table(ledger, AFM)["items"][0]["status"] == "overdue"

    # instalment 1 was paid on its deadline; the bank file arrives on 2022-01-03
    outcome = pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-LATE")
    assert outcome.status == "applied"
    reversed_ = events_of(ledger, a.payment_code, "LapseReversed")
    assert [(e["business_date"], e["payload"]["effective_on"]) for e in reversed_] == [(d("2022-01-03"), d("2022-01-01"))]
    assert ledger.arrangement(a.payment_code).status == "active"
    assert views.arrangement_view(ledger, a.payment_code)["status"] == "active"
    assert [views.debt_table(ledger, AFM)["items"][0][k] for k in ("status", "arrangement")] == ["in_arrangement", a.payment_code]
    # a payment dated after the lapse would not have saved it
    assert ledger.arrangement(b.payment_code).status == "lapsed"
    outcome = pay(ledger, b.payment_code, "113.33", "2022-01-03", "TX-TOO-LATE")
    assert outcome.status == "suspense" and outcome.reason.endswith("it is lapsed (P5)")
