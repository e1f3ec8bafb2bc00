"""A1 status flow of each scheme through the service: covid-650 (C2–C8),
disaster with the south-aegean-2019 delimitation (ND1–ND12), standing (S1)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from aggregates.money import money
from ledger import views
from ledger.errors import BadInput, NotFound
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from tests.integration.helpers import (
    AFM,
    UNREGISTERED,
    count,
    covid_case,
    d,
    debtor,
    events_of,
    instalment,
    m,
    pay,
    transfer,
    types,
)

# -- covid-650 -------------------------------------------------------------------------


def test_covid_applied_then_active_on_payment_of_instalment_1_in_the_application_month(ledger):
    a = covid_case(ledger)
    assert a.status == "applied"
    view = views.arrangement_view(ledger, a.payment_code)
    assert (view["status"], view["capital"], view["interest_total"], view["joined_on"]) == (
        "applied", m("1360.00"), m("0.00"), d("2021-12-01"))
    assert [(i["number"], i["due_date"], i["amount"]) for i in view["instalments"][:2]] == [
        (1, d("2021-12-31"), m("113.33")), (2, d("2022-01-31"), m("113.33"))]
    assert instalment(view, 12)["amount"] == m("113.37")  # M2: the last absorbs the rounding
    assert types(ledger, a.payment_code) == ["Applied", "Capitalised", "Scheduled", "InstalmentDue"]
    capitalised = events_of(ledger, a.payment_code, "Capitalised")[0]["payload"]
    assert capitalised["lines"] == [{"item_id": f"OAEE:OAEE-{AFM}-1:1", "principal": m("1200.00"), "surcharge": m("160.00")}]

    pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-1")  # the last working day of December
    close_day(ledger, d("2022-01-03"))
    assert ledger.arrangement(a.payment_code).status == "active"
    assert [e["business_date"] for e in events_of(ledger, a.payment_code, "Activated")] == [d("2021-12-31")]
    assert events_of(ledger, a.payment_code, "Lapsed") == []


@pytest.mark.parametrize("paid", [None, "113.32"], ids=["unpaid", "short-by-a-cent"])
def test_covid_lapses_when_instalment_1_is_not_paid_by_the_end_of_the_application_month(ledger, paid):
    a = covid_case(ledger)
    if paid:
        pay(ledger, a.payment_code, paid, "2021-12-31", "TX-1")
    close_day(ledger, d("2021-12-31"))
    assert ledger.arrangement(a.payment_code).status == "applied"
    close_day(ledger, d("2022-01-01"))
    assert ledger.arrangement(a.payment_code).status == "lapsed"
    lapsed = events_of(ledger, a.payment_code, "Lapsed")
    assert [(e["business_date"], e["payload"]["unpaid_instalment"]) for e in lapsed] == [(d("2022-01-01"), 1)]
    assert views.arrangement_view(ledger, a.payment_code)["status"] == "lapsed"


def test_covid_more_than_36_instalments_bear_interest(ledger):
    close_day(ledger, d("2021-12-01"))
    debtor(ledger)
    transfer(ledger, AFM, "6000.00", "2020-04-30", "2020-03", "OAEE-big")
    a = apply_for_arrangement(ledger, AFM, "covid-650", d("2021-12-01"))  # default: the most allowed, 72
    view = views.arrangement_view(ledger, a.payment_code)
    # capital 6000.00 + 20 months at 8%/12 = 6800.00; 71 × 94.44 + 94.76
    assert (view["capital"], view["instalment_count"]) == (m("6800.00"), 72)
    assert [(i["capital"], i["interest"]) for i in view["instalments"][:3]] == [
        (m("94.44"), m("0.00")), (m("94.44"), m("0.20")), (m("94.44"), m("0.39"))]
    assert (instalment(view, 72)["capital"], instalment(view, 72)["interest"]) == (m("94.76"), m("14.02"))
    rate = Decimal("0.025") / 12
    expected = sum((money(i["capital"] * rate * (i["number"] - 1)) for i in view["instalments"]), Decimal("0.00"))
    assert view["interest_total"] == expected == m("502.95")


def test_covid_c3_caps_the_count_at_the_50_eur_minimum(ledger):
    a = covid_case(ledger, instalments=None)
    # C3: floor(1360.00 / 50) = 27 instalments at most
    assert views.arrangement_view(ledger, a.payment_code)["instalment_count"] == 27
    covid_case(ledger, "100000015", instalments=28)
    b = views.debt_table(ledger, "100000015")["arrangements"][0]
    assert b["status"] == "rejected"
    assert ledger.arrangement(b["id"]).rejection_reason == "28 instalments requested, at most 27 allowed (C3)"


def test_covid_rejections_are_recorded_with_the_reason(ledger):
    close_day(ledger, d("2021-12-01"))
    debtor(ledger)
    transfer(ledger, AFM, "900.00", "2021-10-31", "2021-09", "OAEE-1")  # period outside 2020-02..2021-06
    a = apply_for_arrangement(ledger, AFM, "covid-650", d("2021-12-01"))
    view = views.arrangement_view(ledger, a.payment_code)
    assert view["status"] == "rejected"
    assert view["rejection_reason"] == "no overdue debt of periods 2020-02 to 2021-06 to arrange (C1)"
    assert types(ledger, a.payment_code) == ["Applied", "Rejected"]
    late = apply_for_arrangement(ledger, AFM, "covid-650", d("2022-02-01"))
    assert late.rejection_reason == "applied after the deadline 2022-01-31 (C2)"
    # the rejected applications hold nothing: the item is still overdue
    assert views.debt_table(ledger, AFM)["items"][0]["status"] == "overdue"


def test_apply_bad_input_names_the_field_and_records_nothing(ledger):
    covid_case(ledger)
    before = count(ledger)
    cases = [
        (lambda: apply_for_arrangement(ledger, AFM, "covid-999", d("2021-12-01")), "--scheme"),
        (lambda: apply_for_arrangement(ledger, "100000004", "covid-650", d("2021-12-01")), "afm"),
        (lambda: apply_for_arrangement(ledger, AFM, "covid-650", d("2021-12-01"), 0), "--instalments"),
        (lambda: apply_for_arrangement(ledger, UNREGISTERED, "covid-650", d("2021-12-01")), "afm"),
        (lambda: apply_for_arrangement(ledger, AFM, "disaster", d("2021-12-01"), options={"delimitation": "atlantis"}), "--delimitation"),
        (lambda: apply_for_arrangement(ledger, AFM, "disaster", d("2021-12-01"), options=DISASTER | {"damage": None}), "--damage"),
        (lambda: apply_for_arrangement(ledger, AFM, "disaster", d("2021-12-01"), options=DISASTER | {"damage": "lots"}), "--damage"),
        (lambda: apply_for_arrangement(ledger, AFM, "disaster", d("2021-12-01"), options=DISASTER | {"area": ""}), "--area"),
    ]
    for call, field in cases:
        with pytest.raises(BadInput) as error:
            call()
        assert error.value.field == field
    with pytest.raises(NotFound):
        apply_for_arrangement(ledger, UNREGISTERED, "standing", d("2021-12-01"))
    assert count(ledger) == before


# -- disaster (n.2556/1997, seed 001) -------------------------------------------------------------

DISASTER = {
    "delimitation": "south-aegean-2019", "area": "Αρχαγγέλου", "disaster_date": d("2019-11-05"),
    "damage": "2000.00", "certificate": "ΠΝΑ-2019/1234",
}


def disaster_case(ledger, **options):
    """Rhodes floods of 2019-11-05: suspension 2019-11-01 .. 2020-04-30, capitalised
    as of 2019-10-31. 2400.00 due 2019-08-31 + 2 months (09-01, 10-01) = 2432.00;
    600.00 due 2019-12-31 is suspended."""
    close_day(ledger, d("2019-12-15"))
    debtor(ledger, service="ΠΥ ΚΕΑΟ Ρόδου")
    transfer(ledger, AFM, "2400.00", "2019-08-31", "2019-07", "IKA-1", fund="IKA")
    transfer(ledger, AFM, "600.00", "2019-12-31", "2019-11", "IKA-2", fund="IKA")
    return apply_for_arrangement(ledger, AFM, "disaster", d("2019-12-15"), options=DISASTER | options)


def test_disaster_suspended_then_active_after_the_suspension_with_count_from_nd5(ledger):
    a = disaster_case(ledger, area="αρχαγγελου")  # matched ignoring case and accents
    assert a.status == "suspended" and a.suspended_until == d("2020-04-30")
    view = views.arrangement_view(ledger, a.payment_code)
    assert (view["status"], view["capital"], view["instalments"]) == ("suspended", m("3032.00"), [])
    capitalised = events_of(ledger, a.payment_code, "Capitalised")[0]["payload"]
    assert (capitalised["capitalised_on"], capitalised["capital"]) == (d("2019-10-31"), m("2432.00"))
    # ND11: kept while suspended: clear for 2 months (2020-02-15 is a Saturday) and no enforcement
    clearance = views.clearance(ledger, AFM)
    assert (clearance["clear"], clearance["basis"], clearance["valid_until"]) == (True, "arrangement", d("2020-02-14"))
    assert views.debt_table(ledger, AFM)["enforcement"] == "suspended"
    assert {i["status"] for i in views.debt_table(ledger, AFM)["items"]} == {"suspended"}

    # ND3: a contribution falling due in the suspension, transferred later, joins it
    close_day(ledger, d("2020-01-10"))
    transfer(ledger, AFM, "600.00", "2020-01-31", "2019-12", "IKA-3", fund="IKA")
    assert [e["payload"]["principal"] for e in events_of(ledger, a.payment_code, "Suspended")] == [m("600.00"), m("600.00")]

    close_day(ledger, d("2020-04-30"))
    assert ledger.arrangement(a.payment_code).status == "suspended"
    close_day(ledger, d("2020-05-01"))
    arrangement = ledger.arrangement(a.payment_code)
    assert arrangement.status == "active"
    # ND5: total 3632.00; n = 2000.00 ÷ (3632.00 ÷ 24) = 13.2 -> 13 (within 12..24)
    view = views.arrangement_view(ledger, a.payment_code)
    assert (view["status"], view["capital"], view["instalment_count"], view["interest_total"]) == (
        "active", m("3632.00"), 13, m("0.00"))
    # ND6: the first by the last working day of May 2020 (Friday 29th)
    assert [(i["number"], i["due_date"], i["amount"]) for i in view["instalments"][:2]] == [
        (1, d("2020-05-29"), m("279.38")), (2, d("2020-06-30"), m("279.38"))]
    assert instalment(view, 13)["amount"] == m("279.44")
    assert [e["business_date"] for e in events_of(ledger, a.payment_code, "Activated")] == [d("2020-05-01")]
    scheduled = events_of(ledger, a.payment_code, "Scheduled")
    assert len(scheduled) == 1 and scheduled[0]["payload"]["needs_first_payment"] is False  # ND12


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"area": "Αθηνών"}, "area 'Αθηνών' is not in delimitation south-aegean-2019 (ND1)"),
        ({"disaster_date": d("2019-11-06")}, "2019-11-06 is not a delimited disaster date of Αρχαγγέλου (2019-11-05, 2019-11-25) (ND1)"),
        ({"certificate": None}, "no certificate of damage from the Region or Chamber (ND2)"),
    ],
)
def test_disaster_rejections(ledger, options, reason):
    a = disaster_case(ledger, **options)
    assert (a.status, a.rejection_reason) == ("rejected", reason)


def test_disaster_is_exclusive(ledger):
    disaster_case(ledger)
    other = apply_for_arrangement(ledger, AFM, "standing", d("2019-12-15"))
    assert other.status == "rejected" and other.rejection_reason.endswith("which excludes any other (ND8)")


# -- standing (n.4152/2013) -----------------------------------------------------------------


def standing_case(ledger):
    """1000.00 due 2021-10-29; applied 2021-11-15: 1 month (2021-10-30) at 8%/12 -> 1006.67."""
    close_day(ledger, d("2021-11-15"))
    debtor(ledger)
    transfer(ledger, AFM, "1000.00", "2021-10-29", "2021-09", "ETAA-1", fund="ETAA")
    return apply_for_arrangement(ledger, AFM, "standing", d("2021-11-15"), 4)


def test_standing_schedule_with_interest_and_activation(ledger):
    a = standing_case(ledger)
    view = views.arrangement_view(ledger, a.payment_code)
    # S1 [P]: 5.5% yearly, instalment k pays capital_k × 0.055/12 × (k − 1)
    assert [(i["due_date"], i["capital"], i["interest"], i["amount"]) for i in view["instalments"]] == [
        (d("2021-11-30"), m("251.67"), m("0.00"), m("251.67")),
        (d("2021-12-31"), m("251.67"), m("1.15"), m("252.82")),
        (d("2022-01-31"), m("251.67"), m("2.31"), m("253.98")),
        (d("2022-02-28"), m("251.66"), m("3.46"), m("255.12")),
    ]
    assert (view["status"], view["capital"], view["interest_total"]) == ("applied", m("1006.67"), m("6.92"))
    pay(ledger, a.payment_code, "251.67", "2021-11-30", "TX-1")
    close_day(ledger, d("2021-12-01"))
    assert ledger.arrangement(a.payment_code).status == "active"


def test_standing_lost_after_two_unpaid_instalments_and_completed_when_paid(ledger):
    a = standing_case(ledger)
    pay(ledger, a.payment_code, "251.67", "2021-11-30", "TX-1")
    close_day(ledger, d("2022-01-31"))
    assert ledger.arrangement(a.payment_code).status == "active"  # one unpaid is not two
    close_day(ledger, d("2022-02-01"))
    lost = events_of(ledger, a.payment_code, "Lost")
    assert [(e["business_date"], e["payload"]["reason"]) for e in lost] == [
        (d("2022-02-01"), "unpaid instalments 506.80 reach two instalments 506.80 (S1)")]
    assert views.arrangement_view(ledger, a.payment_code)["status"] == "lost"
    assert views.clearance(ledger, AFM)["clear"] is False


def test_standing_completed_when_every_instalment_is_paid(ledger):
    a = standing_case(ledger)
    for tx, (amount, day) in enumerate([("251.67", "2021-11-30"), ("252.82", "2021-12-31"),
                                        ("253.98", "2022-01-31"), ("255.12", "2022-02-28")]):
        pay(ledger, a.payment_code, amount, day, f"TX-{tx}")
    close_day(ledger, d("2022-03-01"))
    assert ledger.arrangement(a.payment_code).status == "completed"
    assert [e["business_date"] for e in events_of(ledger, a.payment_code, "Completed")] == [d("2022-02-28")]
    table = views.debt_table(ledger, AFM)
    assert table["total_outstanding"] == m("0.00")
    assert table["arrangements"][0]["paid_instalments"] == 4
    assert views.clearance(ledger, AFM)["basis"] == "no_debt"
