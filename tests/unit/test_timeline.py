"""The arrangement's course (timeline.run): P3, P4, C6, C7, C8, C11, ND7/L1 on
instalments, E1 ordering within a day. Terms are built by hand from the
scheme helpers so that every figure below can be followed on paper."""

from datetime import date
from decimal import Decimal

import pytest

from aggregates.calendar import add_months
from aggregates.schemes.base import (
    InstalmentMonthsLate,
    TwoInstalmentsUnpaid,
    monthly_instalments,
)
from aggregates.timeline import Breach, Receipt, Terms, run
from tests.unit.builders import RULES, d, m


def covid_terms(capital="3360.00", count=12, applied="2021-12-15", rate="0.025", free=36) -> Terms:
    """Instalment 1 due the last working day of the application month (C6)."""
    instalments = monthly_instalments(m(capital), count, d(applied), d(applied), Decimal(rate), free)
    return Terms(instalments, d(applied), True, TwoInstalmentsUnpaid("C8"))


def pay(tx, day, amount):
    return Receipt(tx, d(day), m(amount))


def facts(course, kind):
    return [f for f in course.facts if f.kind == kind]


FIRST = pay("t1", "2021-12-20", "280.00")


def test_C6_schedule_due_dates_last_working_days():
    terms = covid_terms()
    assert [i.due_date for i in terms.instalments[:5]] == [
        d("2021-12-31"), d("2022-01-31"), d("2022-02-28"), d("2022-03-31"), d("2022-04-29"),
    ]
    # instalment 1 opens on the application day, the others on the 1st of their month
    assert terms.instalments[0].opens_on == d("2021-12-15")
    assert terms.instalments[1].opens_on == d("2022-01-01")


def test_C6_lapses_the_day_after_the_first_deadline_when_unpaid():
    course = run(covid_terms(), [], d("2022-01-15"), RULES)
    assert course.status == "lapsed"
    assert course.lapsed_on == d("2022-01-01")  # the day after 2021-12-31
    assert [f.data for f in facts(course, "Lapsed")] == [{"unpaid_instalment": 1}]
    assert course.remaining_balance == m("0.00")
    assert course.activated_on is None
    assert not facts(course, "InstalmentMissed")


def test_C6_P4_paid_on_the_due_date_is_on_time_and_activates():
    course = run(covid_terms(), [pay("t1", "2021-12-31", "280.00")], d("2022-01-15"), RULES)
    assert course.status == "active"
    assert course.activated_on == d("2021-12-31")
    assert not facts(course, "Lapsed")


def test_C6_P4_paid_the_day_after_is_late_the_application_lapsed_and_money_is_credit():
    course = run(covid_terms(), [pay("t1", "2022-01-01", "280.00")], d("2022-01-15"), RULES)
    assert course.status == "lapsed"
    assert course.lapsed_on == d("2022-01-01")
    assert course.credit == m("280.00")
    (paid,) = facts(course, "Paid")
    assert paid.data["allocation"] == [] and paid.data["credit"] == m("280.00")


def test_C6_a_partial_first_payment_does_not_activate():
    course = run(covid_terms(), [pay("t1", "2021-12-20", "279.99")], d("2022-01-01"), RULES)
    assert course.activated_on is None
    assert course.status == "lapsed"
    assert course.lapsed_on == d("2022-01-01")


def test_ND7_L1_missed_instalment_accrues_a_month_of_surcharge_from_the_next_day():
    # instalment 2 (280.00, due 2022-01-31) unpaid: missed on 2022-02-01; the first
    # month of delay starts that day: 280 × 0.08/12 = 1.8666… → 1.87
    course = run(covid_terms(), [FIRST], d("2022-02-01"), RULES)
    (missed,) = facts(course, "InstalmentMissed")
    assert (missed.on, missed.data) == (d("2022-02-01"), {"number": 2})
    (accrued,) = facts(course, "SurchargeAccrued")
    assert accrued.on == d("2022-02-01")
    assert accrued.data == {"number": 2, "month_starts_on": d("2022-02-01"), "amount": m("1.87")}
    assert course.accounts[1].status_on(d("2022-02-01")) == "missed"
    # arrears: 280.00 + 1.87
    assert course.arrears == m("281.87")
    # the next due is instalment 3 (due 2022-02-28)
    assert course.next_due.number == 3
    # on 2022-01-31 (the deadline itself) nothing was missed yet
    assert not facts(run(covid_terms(), [FIRST], d("2022-01-31"), RULES), "InstalmentMissed")


def test_P3_past_due_oldest_first_surcharge_before_capital_then_due_then_last_backwards():
    # 2022-02-10: instalment 2 missed (280.00 + 1.87 surcharge), instalment 3 now due
    # (280.00). A payment of 600.00 goes: inst 2 surcharge 1.87, inst 2 capital 280.00,
    # inst 3 capital 280.00, then the rest 600 − 561.87 = 38.13 to the LAST instalment (12).
    course = run(covid_terms(), [FIRST, pay("t2", "2022-02-10", "600.00")], d("2022-02-10"), RULES)
    paid = facts(course, "Paid")[1]
    assert paid.data["allocation"] == [
        {"number": 2, "part": "surcharge", "amount": m("1.87")},
        {"number": 2, "part": "capital", "amount": m("280.00")},
        {"number": 3, "part": "capital", "amount": m("280.00")},
        {"number": 12, "part": "capital", "amount": m("38.13")},
    ]
    assert paid.data["credit"] == m("0.00")
    assert course.accounts[11].unpaid == m("241.87")
    # remaining: instalments 4..11 (8 × 280) + 241.87 = 2481.87
    assert course.remaining_balance == m("2481.87")


def test_P3_overpayment_beyond_the_balance_stays_as_credit_and_completes():
    # 4000.00 on 2021-12-20 pays the arrangement off (C7): the capital of all 12
    # instalments, 3360.00 (no interest at 12); 4000 − 3360 = 640.00 stays as credit.
    course = run(covid_terms(), [pay("t1", "2021-12-20", "4000.00")], d("2021-12-20"), RULES)
    (paid,) = facts(course, "Paid")
    assert paid.data["credit"] == m("640.00")
    assert course.credit == m("640.00")
    assert course.status == "completed"
    assert course.completed_on == d("2021-12-20")
    assert [f.data for f in facts(course, "PaidOff")] == [{"amount": m("3360.00")}]


def test_C5_C7_early_payoff_pays_the_remaining_capital_without_interest():
    # 4800.00 in 48 (> 36, so 2.5% interest): capital parts 100.00; instalment k pays
    # 100 × 0.025/12 × (k − 1): k=2 → 0.2083 → 0.21, k=48 → 9.7917 → 9.79.
    terms = covid_terms("4800.00", 48)
    assert terms.instalments[1].interest == m("0.21")
    assert terms.instalments[47].interest == m("9.79")
    # 2022-01-10: instalment 2 is open but due 2022-01-31, so its interest is not
    # owed either (C7): the payoff is the capital of instalments 2–48, 4700.00;
    # of the 4700.21 paid, 0.21 stays as credit.
    receipts = [pay("t1", "2021-12-20", "100.00"), pay("t2", "2022-01-10", "4700.21")]
    course = run(terms, receipts, d("2022-01-10"), RULES)
    assert course.status == "completed"
    assert course.completed_on == d("2022-01-10")
    assert [f.data for f in facts(course, "PaidOff")] == [{"amount": m("4700.00")}]
    assert facts(course, "Paid")[1].data["credit"] == m("0.21")
    assert course.remaining_balance == m("0.00")
    assert [a.interest for a in course.accounts[1:3]] == [m("0.00"), m("0.00")]


def test_C7_the_issue_case_72_instalments_three_paid_payoff_on_2022_04_12():
    # 7200.00 in 72 applied for in January 2022: capital parts 100.00, instalments 1–3
    # paid on time with their interest; on 2022-04-12 instalment 4 (due 2022-04-29) is
    # open. The payoff is the capital of instalments 4–72: 69 × 100.00 = 6900.00 exactly.
    terms = covid_terms("7200.00", 72, applied="2022-01-14")
    paid = [pay(f"t{k}", day, str(terms.instalments[k - 1].amount))
            for k, day in ((1, "2022-01-20"), (2, "2022-02-20"), (3, "2022-03-20"))]
    assert terms.instalments[3].due_date == d("2022-04-29")
    course = run(terms, [*paid, pay("t4", "2022-04-12", "6900.00")], d("2022-04-12"), RULES)
    assert course.status == "completed"
    assert [f.data for f in facts(course, "PaidOff")] == [{"amount": m("6900.00")}]
    assert facts(course, "Paid")[-1].data["credit"] == m("0.00")
    assert all(a.unpaid == m("0.00") for a in course.accounts)
    # one cent less is not the payoff: instalment 4 with its interest, the rest backwards
    short = run(terms, [*paid, pay("t4", "2022-04-12", "6899.99")], d("2022-04-12"), RULES)
    assert short.status == "active"
    assert facts(short, "Paid")[-1].data["allocation"][:2] == [
        {"number": 4, "part": "interest", "amount": m("0.63")},
        {"number": 4, "part": "capital", "amount": m("100.00")},
    ]


def test_C7_less_than_the_payoff_is_a_prepayment_of_the_last_instalments_with_their_interest():
    terms = covid_terms("4800.00", 48)
    receipts = [pay("t1", "2021-12-20", "100.00"), pay("t2", "2022-01-10", "200.00")]
    course = run(terms, receipts, d("2022-01-10"), RULES)
    # 100.21 to instalment 2, the remaining 99.79 to instalment 48: interest 9.79 first, then 90.00 capital
    assert facts(course, "Paid")[1].data["allocation"] == [
        {"number": 2, "part": "interest", "amount": m("0.21")},
        {"number": 2, "part": "capital", "amount": m("100.00")},
        {"number": 48, "part": "interest", "amount": m("9.79")},
        {"number": 48, "part": "capital", "amount": m("90.00")},
    ]
    assert not facts(course, "PaidOff")


def test_C8_lost_when_unpaid_reaches_two_instalments():
    # instalment 2 (due 2022-01-31) and 3 (due 2022-02-28) unpaid: on 2022-03-01,
    # the day after the second missed deadline, 560.00 unpaid = 280.00 + 280.00 → lost.
    course = run(covid_terms(), [FIRST], d("2022-03-05"), RULES)
    assert course.status == "lost"
    assert course.lost_on == d("2022-03-01")
    assert "C8" in course.loss_reason
    # C11: remaining capital 3360 − 280 = 3080.00 plus the surcharges fallen due:
    # inst 2 on 02-01 and 03-01, inst 3 on 03-01, each 280 × 0.08/12 → 1.87 → 5.61
    (lost,) = facts(course, "Lost")
    assert lost.data["balance"] == m("3085.61")
    # not lost the day before
    assert run(covid_terms(), [FIRST], d("2022-02-28"), RULES).status == "active"


def test_C8_one_cent_short_of_two_instalments_is_not_lost():
    # 0.01 paid on instalment 2 → 559.99 < 560.00 on 2022-03-01: kept. On 2022-04-01
    # instalment 4 is also past due: 839.99 ≥ 280 + 280 → lost that day.
    receipts = [FIRST, pay("t2", "2022-01-20", "0.01")]
    assert run(covid_terms(), receipts, d("2022-03-31"), RULES).status == "active"
    course = run(covid_terms(), receipts, d("2022-04-05"), RULES)
    assert course.lost_on == d("2022-04-01")


def test_C11_loss_makes_remaining_capital_and_fallen_interest_due_not_future_interest():
    # 4800.00 in 48: inst 1 paid; inst 2 (100.21) and 3 (100.00 + 100×0.025/12×2 = 0.4167 → 0.42)
    # unpaid → on 2022-03-01 200.63 unpaid ≥ 100.21 + 100.42 → lost.
    # Balance: capital 4700.00 + interest fallen due 0.21 + 0.42 + surcharges
    # inst 2: 100.21 × 0.08/12 = 0.668 → 0.67 (02-01), 0.67 (03-01); inst 3: 100.42 × 0.08/12
    # = 0.669 → 0.67 → 2.01. Interest of instalments 4..48 is not owed.
    course = run(covid_terms("4800.00", 48), [pay("t1", "2021-12-20", "100.00")], d("2022-03-01"), RULES)
    assert course.lost_on == d("2022-03-01")
    assert course.lost_balance.principal == m("4700.63")
    assert course.lost_balance.surcharge == m("2.01")
    assert course.remaining_balance == m("4702.64")
    assert course.arrears == m("4702.64")  # all of it is due at once


def test_C11_lost_balance_accrues_surcharges_and_payments_go_surcharge_first():
    # after the loss of 2022-03-01 the balance 3080.00 accrues from 03-02:
    # 3080 × 0.08/12 = 20.5333 → 20.53
    receipts = [FIRST, pay("t2", "2022-03-10", "100.00")]
    course = run(covid_terms(), receipts, d("2022-03-10"), RULES)
    balance_surcharges = [f for f in facts(course, "SurchargeAccrued") if f.data["number"] is None]
    assert [(f.on, f.data["amount"]) for f in balance_surcharges] == [(d("2022-03-02"), m("20.53"))]
    # the 100.00 pays the surcharges (5.61 + 20.53 = 26.14) first, then 73.86 of the balance
    assert facts(course, "Paid")[1].data["allocation"] == [
        {"number": None, "part": "surcharge", "amount": m("26.14")},
        {"number": None, "part": "balance", "amount": m("73.86")},
    ]
    assert course.remaining_balance == m("3085.61") + m("20.53") - m("100.00")


def test_ND10b_more_than_three_months_late():
    # a non-first-payment plan (disaster): instalment 1 of 100.00 due 2020-05-29;
    # 3 months later is 2020-08-29, "more than 3 months" → lost on 2020-08-30
    instalments = monthly_instalments(m("1200.00"), 12, d("2020-05-01"), d("2020-05-01"), Decimal(0), 12)
    terms = Terms(instalments, d("2020-05-01"), False, InstalmentMonthsLate(3, "ND10"))
    course = run(terms, [], d("2020-08-29"), RULES)
    assert course.status == "active"
    course = run(terms, [], d("2020-08-30"), RULES)
    assert course.status == "lost"
    assert course.lost_on == d("2020-08-30")
    assert "instalment 1 due 2020-05-29" in course.loss_reason


def test_ND10a_a_breach_loses_on_its_day():
    instalments = monthly_instalments(m("1200.00"), 12, d("2020-05-01"), d("2020-05-01"), Decimal(0), 12)
    terms = Terms(instalments, d("2020-05-01"), False, InstalmentMonthsLate(3, "ND10"))
    course = run(terms, [pay("t1", "2020-05-10", "100.00")], d("2020-07-01"), RULES,
                 [Breach(d("2020-06-01"), "current contribution unpaid (ND10)")])
    assert course.lost_on == d("2020-06-01")
    assert course.lost_balance.principal == m("1100.00")


def test_no_first_payment_needed_activates_on_the_start_date():
    instalments = monthly_instalments(m("1200.00"), 12, d("2020-05-01"), d("2020-05-01"), Decimal(0), 12)
    terms = Terms(instalments, d("2020-05-01"), False, InstalmentMonthsLate(3, "ND10"))
    course = run(terms, [], d("2020-05-01"), RULES)
    assert course.status == "active"
    assert course.activated_on == d("2020-05-01")
    assert [f.kind for f in course.facts] == ["Activated", "InstalmentDue"]


def test_completed_when_the_last_instalment_is_paid():
    receipts = [Receipt(f"t{k}", add_months(date(2021, 12, 20), k - 1), m("280.00")) for k in range(1, 13)]
    # 12 payments of 280.00 on the 20th of each month, Dec 2021 … Nov 2022
    assert receipts[-1].value_date == d("2022-11-20")
    course = run(covid_terms(), receipts, d("2022-12-31"), RULES)
    assert course.status == "completed"
    assert course.completed_on == d("2022-11-20")
    assert not facts(course, "InstalmentMissed")
    assert course.remaining_balance == m("0.00")
    assert course.next_due is None


@pytest.mark.parametrize(("day", "status"), [
    ("2021-12-10", "pending"), ("2021-12-15", "due"), ("2021-12-31", "due"), ("2022-01-01", "missed"),
])
def test_instalment_status_on_a_day(day, status):
    account = run(covid_terms(), [], d("2021-12-15"), RULES).accounts[0]
    assert account.status_on(d(day)) == status


def test_a_fresh_account_is_the_dataclass_one():
    from datetime import date
    from decimal import Decimal

    from aggregates.course import InstalmentAccount
    from aggregates.timeline import Instalment

    instalment = Instalment(3, date(2022, 3, 1), date(2022, 3, 31), Decimal("100.00"), Decimal("1.50"))
    assert InstalmentAccount.fresh(instalment) == InstalmentAccount(instalment)
    assert vars(InstalmentAccount.fresh(instalment)) == vars(InstalmentAccount(instalment))
