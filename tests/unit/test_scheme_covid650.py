"""COVID-19 arrangement, type 650 (seed 002): C1–C11 as the scheme decides them."""

from decimal import Decimal

import pytest

from aggregates.schemes.base import Rejection
from tests.unit.builders import COVID, RULES, covid_3360, d, form, item, m


def grant(applied_on, items):
    return COVID.grant(form(applied_on), items, RULES)


def test_C1_eligible_periods_2020_02_to_2021_06_and_kinds():
    items = [
        item("jan20", "100.00", "2020-02-29", period="2020-01"),  # before 2020-02: out
        item("feb20", "100.00", "2020-03-31", period="2020-02"),  # first eligible period
        item("jun21", "100.00", "2021-07-30", period="2021-06"),  # last eligible period
        item("jul21", "100.00", "2021-08-31", period="2021-07"),  # after 2021-06: out
        item("itr", "100.00", "2020-06-30", period="2020-05", kind="insurance_time_recognition"),  # out
        item("fee", "100.00", "2020-06-30", period="2020-05", kind="fee"),
        item("clr", "100.00", "2020-06-30", period="2020-05", kind="clearing_instalment"),
        item("paid", "100.00", "2020-06-30", period="2020-05", unpaid="0.00"),  # nothing left: out
    ]
    result = grant("2021-12-15", items)
    assert [line.item_id for line in result.capital_lines] == ["feb20", "clr", "fee", "jun21"]


def test_C2_suspended_debts_must_first_fall_overdue():
    # due on the application day itself: not yet overdue → not arranged
    items = [item("a", "100.00", "2021-12-15", period="2021-06"), item("b", "100.00", "2021-12-14", period="2021-05")]
    assert [line.item_id for line in grant("2021-12-15", items).capital_lines] == ["b"]


def test_C1_nothing_eligible_is_rejected():
    with pytest.raises(Rejection, match="C1"):
        grant("2021-12-15", [item("jul21", "100.00", "2021-08-31", period="2021-07")])


def test_C2_application_deadline_2022_01_31():
    items = [item("i1", "3000.00", "2020-06-30")]
    assert grant("2022-01-31", items).capital_lines  # the last day is in time
    with pytest.raises(Rejection, match="C2"):
        grant("2022-02-01", items)


def test_C4_capital_is_principal_plus_surcharges_to_the_joining_date():
    # 3000.00 due 2020-06-30, joining 2021-12-15: 18 months × 8%/12 → 360.00
    result = grant("2021-12-15", [item("i1", "3000.00", "2020-06-30")])
    assert result.capitalised_on == d("2021-12-15")
    assert [line.as_dict() for line in result.capital_lines] == [
        {"item_id": "i1", "principal": m("3000.00"), "surcharge": m("360.00")}
    ]
    assert result.capital == m("3360.00")


def test_C4_each_item_surcharge_rounded_on_its_own():
    # two items of 10.00 due 2021-10-31, joined 2021-12-15 (months 11-01, 12-01):
    # each 10 × 0.08/12 × 2 = 0.1333 → 0.13, total 0.26 (not 20 × … = 0.2667 → 0.27)
    items = [item("a", "10.00", "2021-10-31", period="2021-06"), item("b", "10.00", "2021-10-31", period="2021-06")]
    result = grant("2021-12-15", items)
    assert [line.surcharge for line in result.capital_lines] == [m("0.13"), m("0.13")]
    assert result.capital == m("20.26")


def test_C3_at_most_72_instalments_and_at_least_50_each():
    result = grant("2021-12-15", [item("i1", "3000.00", "2020-06-30")])
    # capital 3360.00: floor(3360 / 50) = 67 < 72 → at most 67; 3360/67 = 50.149 → 50.15
    plan = COVID.plan(form("2021-12-15"), result, Decimal(0))
    assert len(plan.instalments) == 67
    assert plan.instalments[0].capital == m("50.15")
    assert plan.instalments[-1].capital == m("3360.00") - 66 * m("50.15")  # 50.10
    assert plan.instalments[-1].capital == m("50.10")
    with pytest.raises(Rejection, match="68 instalments requested, at most 67"):
        COVID.plan(form("2021-12-15", 68), result, Decimal(0))


def test_C3_capped_at_72():
    # 10000.00 due 2021-11-30, joined 2021-12-15 (one month: 66.67) → 10066.67 → 201 by
    # the minimum, capped at 72: 10066.67/72 = 139.8148 → 139.81
    result = grant("2021-12-15", [item("i1", "10000.00", "2021-11-30", period="2021-06")])
    assert result.capital == m("10066.67")
    plan = COVID.plan(form("2021-12-15"), result, Decimal(0))
    assert len(plan.instalments) == 72
    assert plan.instalments[0].capital == m("139.81")
    assert sum(i.capital for i in plan.instalments) == m("10066.67")


def test_C3_debt_below_one_minimum_instalment_is_rejected():
    # 49.00 due 2021-11-30 + 1 month 0.33 = 49.33 < 50.00
    result = grant("2021-12-15", [item("i1", "49.00", "2021-11-30", period="2021-06")])
    with pytest.raises(Rejection, match="C3"):
        COVID.plan(form("2021-12-15"), result, Decimal(0))


def test_C5_no_interest_up_to_36_instalments():
    plan = COVID.plan(form("2021-12-15", 36), grant("2021-12-15", [item("i1", "3000.00", "2020-06-30")]), Decimal(0))
    assert all(i.interest == m("0.00") for i in plan.instalments)


def test_C5_interest_above_36_per_instalment_for_the_months_since_joining():
    # capital 3360.00 in 48: parts 70.00; instalment k: 70 × 0.025/12 × (k − 1)
    # k=1 → 0.00, k=2 → 0.1458 → 0.15, k=13 → 70 × 0.025 = 1.75, k=48 → 0.14583 × 47 = 6.854 → 6.85
    plan = COVID.plan(form("2021-12-15", 48), grant("2021-12-15", [item("i1", "3000.00", "2020-06-30")]), Decimal(0))
    interest = [i.interest for i in plan.instalments]
    assert interest[0] == m("0.00")
    assert interest[1] == m("0.15")
    assert interest[12] == m("1.75")
    assert interest[47] == m("6.85")
    assert plan.instalments[47].amount == m("76.85")
    # 37 instalments: also charged; instalment 37 pays part × 0.025/12 × 36
    plan37 = COVID.plan(form("2021-12-15", 37), grant("2021-12-15", [item("i1", "3000.00", "2020-06-30")]), Decimal(0))
    # 3360/37 = 90.8108 → 90.81; last = 3360 − 36 × 90.81 = 90.84; × 0.075 = 6.813 → 6.81
    assert plan37.instalments[-1].capital == m("90.84")
    assert plan37.instalments[-1].interest == m("6.81")


def test_C6_first_instalment_due_last_working_day_of_application_month():
    # applied 2021-04-10: instalment 1 by 2021-04-29 (04-30 is Good Friday),
    # instalment 2 by 2021-05-31, 3 by 2021-06-30; active only when paid.
    result = grant("2021-04-10", [item("i1", "1000.00", "2020-04-30", period="2020-03")])
    # 1000.00 late since 2020-04-30: 12 months (2020-05-01 … 2021-04-01) × 8%/12 → 80.00
    assert result.capital == m("1080.00")
    plan = COVID.plan(form("2021-04-10", 12), result, Decimal(0))
    assert plan.needs_first_payment is True
    assert plan.starts_on == d("2021-04-10")
    assert [i.due_date for i in plan.instalments[:3]] == [d("2021-04-29"), d("2021-05-31"), d("2021-06-30")]
    assert plan.instalments[0].capital == m("90.00")


def test_C6_C8_arrangement_example_instalment_1_due_2021_12_31():
    arrangement = covid_3360()
    assert arrangement.status == "applied"
    assert arrangement.instalments[0]["due_date"] == d("2021-12-31")
    assert arrangement.instalments[0]["capital"] == m("280.00")
    assert COVID.loss_rule().rule == "C8"


def test_C9_followed_independently_of_current_debts():
    # an unpaid current contribution does not breach a covid arrangement
    plan = covid_3360().plan()
    current = [item("cur", "500.00", "2022-01-31", period="2021-12")]
    assert COVID.breaches(plan, current) == []
    assert COVID.exclusive is False


def test_C10_scheme_code_is_the_payment_code_prefix():
    assert COVID.code == "650"
    assert covid_3360().payment_code == "RF57A650090000045001"
