"""V1 (debt table), V2 (clearance), V3 (views as of a past business date)."""

from __future__ import annotations

import pytest

from aggregates.references import debtor_identity_code
from ledger import views
from ledger.errors import NotFound
from ledger.handlers.close_day import close_day
from tests.integration.helpers import (
    AFM,
    count,
    covid_case,
    d,
    debtor,
    m,
    pay,
    transfer,
)


def with_outside_item(ledger):
    """covid_case plus 80.00 for 2021-10 (outside the covid-650 periods) due 2021-11-30."""
    a = covid_case(ledger)
    transfer(ledger, AFM, "80.00", "2021-11-30", "2021-10", "OAEE-outside")
    return a


# -- V1 ------------------------------------------------------------------------------


def test_v1_debt_table_items_arrangements_totals_service_enforcement(ledger):
    a = with_outside_item(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1")
    close_day(ledger, d("2021-12-20"))
    table = views.debt_table(ledger, AFM)
    assert (table["afm"], table["service"], table["as_of"]) == (AFM, "ΠΥ ΚΕΑΟ Αθηνών", d("2021-12-20"))
    items = {i["period"]: i for i in table["items"]}
    # the arranged item shows its share: the 160.00 surcharges frozen with it into the
    # capital (C4), the first instalment paid on it, the arrangement's remaining balance
    assert {k: items["2020-03"][k] for k in ("fund", "kind", "amount", "surcharges", "interest", "paid", "outstanding",
                                             "status", "arrangement")} == {
        "fund": "OAEE", "kind": "contribution", "amount": m("1200.00"), "surcharges": m("160.00"),
        "interest": m("0.00"), "paid": m("113.33"), "outstanding": m("1246.67"), "status": "in_arrangement",
        "arrangement": a.payment_code,
    }
    # outside: 1 started month (2021-12-01) at 8%/12 on 80.00
    assert {k: items["2021-10"][k] for k in ("amount", "surcharges", "paid", "outstanding", "status")} == {
        "amount": m("80.00"), "surcharges": m("0.53"), "paid": m("0.00"), "outstanding": m("80.53"), "status": "overdue",
    }
    [summary] = table["arrangements"]
    assert {k: summary[k] for k in summary if k != "id"} == {
        "scheme": "covid-650", "status": "active", "payment_code": a.payment_code, "capital": m("1360.00"),
        "interest_total": m("0.00"), "instalment_count": 12, "paid_instalments": 1, "arrears": m("0.00"),
        "next_due_date": d("2022-01-31"), "next_due_amount": m("113.33"), "remaining_balance": m("1246.67"),
        "paid": m("113.33"), "limitation_not_before": None,  # N11: while it runs
    }
    # the arranged item counts once, through the arrangement's remaining balance,
    # and every column adds up to its total
    assert table["total_outstanding"] == m("1246.67") + m("80.53")
    assert table["totals"] == {"amount": m("1280.00"), "surcharges": m("160.53"), "interest": m("0.00"),
                               "paid": m("113.33"), "outstanding": m("1327.20")}
    assert table["enforcement"] == "suspended"  # kept (C12)


def test_v1_n14_enforcement_allowed_before_activation_and_suspended_in_arrears(ledger):
    a = with_outside_item(ledger)
    table = views.debt_table(ledger, AFM)
    assert table["arrangements"][0]["status"] == "applied"
    assert table["enforcement"] == "allowed"
    assert table["total_outstanding"] == m("1360.00") + m("80.53")
    pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-1")
    close_day(ledger, d("2022-01-31"))
    assert views.debt_table(ledger, AFM)["enforcement"] == "suspended"
    close_day(ledger, d("2022-02-01"))  # instalment 2 missed
    table = views.debt_table(ledger, AFM)
    assert table["arrangements"][0]["arrears"] == m("114.09")  # 113.33 + 0.76 surcharge
    # N7/N8 [P]: arrears short of a loss do not end the suspension, and the outside item
    # has no delivered individual notice: nothing is enforceable (N14)
    assert table["enforcement"] == "suspended"


def test_v1_a_lapsed_arrangement_counts_nothing_and_its_items_are_overdue_again(ledger):
    covid_case(ledger)
    close_day(ledger, d("2022-01-03"))
    table = views.debt_table(ledger, AFM)
    # surcharges run from the original due date again: 21 months (2020-05-01 .. 2022-01-01)
    assert [(i["surcharges"], i["status"]) for i in table["items"]] == [(m("168.00"), "overdue")]
    assert table["arrangements"][0]["status"] == "lapsed"
    assert table["total_outstanding"] == m("1368.00")


# -- V2 ------------------------------------------------------------------------------


@pytest.mark.parametrize(("amount", "clear"), [("15.00", True), ("15.01", False)])
def test_v2_threshold_of_15_eur_overdue_principal(ledger, amount, clear):
    close_day(ledger, d("2021-06-15"))
    debtor(ledger)
    transfer(ledger, AFM, amount, "2021-01-29", "2020-12", "OAEE-1")
    transfer(ledger, AFM, "500.00", "2021-06-30", "2021-05", "OAEE-2")  # not yet due: does not count
    view = views.clearance(ledger, AFM)
    assert view["overdue_outside_arrangements"] == m(amount)  # surcharges (0.50) not counted
    assert view["clear"] is clear
    if clear:
        # 6 months without debt [P]: 2021-12-15 is a Wednesday
        assert (view["basis"], view["valid_until"], view["reasons"]) == ("no_debt", d("2021-12-15"), [])
    else:
        assert (view["basis"], view["valid_until"]) == (None, None)
        assert view["reasons"] == [f"overdue debt outside arrangements {amount} EUR exceeds 15.00 EUR (V2)"]


def test_v2_valid_until_six_months_without_debt_moved_before_a_holiday(ledger):
    close_day(ledger, d("2022-02-15"))
    debtor(ledger)
    view = views.clearance(ledger, AFM)
    # 2022-08-15 is the Dormition (a holiday): the previous working day, Friday 2022-08-12
    assert (view["clear"], view["basis"], view["valid_until"]) == (True, "no_debt", d("2022-08-12"))
    # 2022-02-20 + 6 months = Saturday 2022-08-20 -> Friday 2022-08-19
    assert views.clearance(ledger, AFM, d("2022-02-20"))["valid_until"] == d("2022-08-19")


def test_v2_clear_through_a_kept_arrangement_for_two_months(ledger):
    a = covid_case(ledger)
    # before instalment 1 is paid the debts are still outside it [P]: not clear
    pending = views.clearance(ledger, AFM)
    assert pending["clear"] is False and pending["overdue_outside_arrangements"] == m("1200.00")
    pay(ledger, a.payment_code, "113.33", "2021-12-06", "TX-1")
    close_day(ledger, d("2021-12-06"))
    view = views.clearance(ledger, AFM)
    # 2021-12-06 + 2 months = Sunday 2022-02-06 -> Friday 2022-02-04
    assert (view["clear"], view["basis"], view["valid_until"]) == (True, "arrangement", d("2022-02-04"))
    # on a working day it is not moved: 2021-12-15 + 2 months = Tuesday 2022-02-15
    assert views.clearance(ledger, AFM, d("2021-12-15"))["valid_until"] == d("2022-02-15")
    close_day(ledger, d("2022-02-01"))  # instalment 2 missed: not kept, not clear
    late = views.clearance(ledger, AFM)
    assert late["clear"] is False
    assert late["reasons"] == [f"arrangement {a.payment_code} has 114.09 EUR past due (V2)"]


def test_v2_holiday_expiry_through_an_arrangement(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-01", "TX-1")
    close_day(ledger, d("2021-12-25"))
    # 2021-12-25 + 2 months = Friday 2022-02-25, a working day
    assert views.clearance(ledger, AFM)["valid_until"] == d("2022-02-25")
    close_day(ledger, d("2022-01-25"))
    pay(ledger, a.payment_code, "113.33", "2022-01-25", "TX-2")
    # 2022-01-25 + 2 months = 2022-03-25, Independence Day (holiday) -> Thursday 2022-03-24
    assert views.clearance(ledger, AFM)["valid_until"] == d("2022-03-24")


# -- V3 ------------------------------------------------------------------------------


def test_v3_views_as_of_a_past_date_are_what_they_were_then(ledger):
    a = with_outside_item(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-1")
    close_day(ledger, d("2022-01-15"))
    then = {
        "debt_table": views.debt_table(ledger, AFM),
        "arrangement": views.arrangement_view(ledger, a.payment_code),
        "clearance": views.clearance(ledger, AFM),
    }
    # later: payments, a new transfer, days closed, a missed instalment
    pay(ledger, a.payment_code, "113.33", "2022-01-31", "TX-2")
    pay(ledger, debtor_identity_code(AFM), "50.00", "2022-02-10", "TX-3")
    close_day(ledger, d("2022-03-10"))
    transfer(ledger, AFM, "300.00", "2022-03-31", "2022-02", "OAEE-later")
    pay(ledger, a.payment_code, "500.00", "2022-03-10", "TX-4")
    assert views.debt_table(ledger, AFM) != then["debt_table"]

    assert views.debt_table(ledger, AFM, d("2022-01-15")) == then["debt_table"]
    assert views.arrangement_view(ledger, a.payment_code, d("2022-01-15")) == then["arrangement"]
    assert views.clearance(ledger, AFM, d("2022-01-15")) == then["clearance"]
    assert then["arrangement"]["status"] == "active"
    assert then["debt_table"]["total_outstanding"] == m("1246.67") + m("81.07")  # 80.00 + 2 months


def test_v3_as_of_before_the_application_names_the_date(ledger):
    a = covid_case(ledger)
    before = count(ledger)
    with pytest.raises(NotFound) as error:
        views.arrangement_view(ledger, a.payment_code, d("2021-11-30"))
    assert error.value.field == "--as-of"
    # the debt table of then knows no arrangement and no item received later
    table = views.debt_table(ledger, AFM, d("2021-11-30"))
    assert (table["items"], table["arrangements"], table["total_outstanding"]) == ([], [], m("0.00"))
    assert count(ledger) == before  # views record nothing
