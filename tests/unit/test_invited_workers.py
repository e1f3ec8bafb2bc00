"""Invited workers' prepayment of OGA contributions, domain §13 G3–G10 and G20 (seed
004 §I.1α, §I.1β, §I.2, form 649), priced with the configured 2012 table."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregates.errors import NotAllowed
from aggregates.invited_workers import (
    FISHERMAN,
    KINDS,
    MOST_MONTHS,
    OTHER,
    SEASONAL,
    Invitation,
    Payment,
    departure_notice_due,
    entry_deadline,
    prepayment,
)
from aggregates.money import ZERO
from tests.unit.builders import SETTINGS, m

RULES = SETTINGS.oga


def summary(payment: Payment) -> tuple:
    return payment.first_month, payment.months, payment.amount, payment.form, payment.fee, payment.due_date


def test_g5_g7_g8_a_seasonal_worker_prepays_two_months_on_649_and_the_rest_per_two_month_period():
    """6 months from May 2012, category 5: 2 × 173.70 prepaid, the bank's 5.00 apart;
    July–August due 2 July (1 July is a Sunday), September–October due 3 September
    (1 September is a Saturday)."""
    plan = prepayment(Invitation(SEASONAL, 5, date(2012, 5, 1), 6), RULES)
    assert summary(plan.prepaid) == (date(2012, 5, 1), 2, m("347.40"), "649", m("5.00"), None)
    assert [summary(p) for p in plan.rest] == [
        (date(2012, 7, 1), 2, m("347.40"), "649", m("5.00"), date(2012, 7, 2)),
        (date(2012, 9, 1), 2, m("347.40"), "649", m("5.00"), date(2012, 9, 3)),
    ]


def test_g7_an_odd_seasonal_invitation_ends_with_a_one_month_period():
    plan = prepayment(Invitation(SEASONAL, 6, date(2012, 4, 1), 5), RULES)
    assert summary(plan.prepaid) == (date(2012, 4, 1), 2, m("401.46"), "649", m("5.00"), None)
    assert [summary(p) for p in plan.rest] == [
        (date(2012, 6, 1), 2, m("401.46"), "649", m("5.00"), date(2012, 6, 1)),
        (date(2012, 8, 1), 1, m("200.73"), "649", m("5.00"), date(2012, 8, 1)),
    ]


def test_g5_an_invitation_shorter_than_the_prepayment_is_prepaid_whole():
    plan = prepayment(Invitation(SEASONAL, 7, date(2012, 6, 1), 1), RULES)
    assert summary(plan.prepaid) == (date(2012, 6, 1), 1, m("227.54"), "649", m("5.00"), None)
    assert plan.rest == ()


def test_g5_g9_another_invited_worker_prepays_a_quarter_on_608_within_ten_days_of_entry():
    """Entered 4 April 2012: the tenth day is Saturday 14 April, then Easter Sunday and
    Easter Monday (16 April), so the last day is Tuesday 17 April. The five months left
    are paid with OGA's special notice, form 640, when OGA sends it (G10)."""
    plan = prepayment(Invitation(OTHER, 5, date(2012, 4, 1), 8, entry=date(2012, 4, 4)), RULES)
    assert summary(plan.prepaid) == (date(2012, 4, 1), 3, m("521.10"), "608", None, date(2012, 4, 17))
    assert [summary(p) for p in plan.rest] == [(date(2012, 7, 1), 5, m("868.50"), "640", None, None)]


def test_g9_a_tenth_day_on_whit_monday_moves_to_the_tuesday():
    assert entry_deadline(date(2012, 5, 25)) == date(2012, 6, 5)
    assert entry_deadline(date(2012, 5, 22)) == date(2012, 6, 1)  # a Friday, a working day: kept


def test_g9_without_the_entry_the_deadline_is_not_known_yet():
    plan = prepayment(Invitation(OTHER, 5, date(2012, 4, 1), 3), RULES)
    assert summary(plan.prepaid) == (date(2012, 4, 1), 3, m("521.10"), "608", None, None) and plan.rest == ()


def test_g20_the_departure_notice_is_due_ten_days_after_as_g9_counts():
    assert departure_notice_due(date(2012, 10, 18)) == date(2012, 10, 29)  # day 10 is 28 October, a Sunday and a holiday
    assert departure_notice_due(date(2012, 7, 2)) == date(2012, 7, 12)


def test_g5_a_fisherman_prepays_six_months_on_649_and_the_rest_with_the_special_notice():
    plan = prepayment(Invitation(FISHERMAN, 7, date(2012, 3, 1), 10), RULES)
    assert summary(plan.prepaid) == (date(2012, 3, 1), 6, m("1365.24"), "649", m("5.00"), None)
    assert [summary(p) for p in plan.rest] == [(date(2012, 9, 1), 4, m("910.16"), "640", None, None)]


def test_g5_a_fisherman_invited_for_six_months_prepays_them_all():
    plan = prepayment(Invitation(FISHERMAN, 5, date(2012, 1, 1), 6), RULES)
    assert (plan.prepaid.months, plan.prepaid.amount, plan.prepaid.form, plan.rest) == (6, m("1042.20"), "649", ())


@pytest.mark.parametrize(("invitation", "field", "reason"), [
    (Invitation(FISHERMAN, 5, date(2012, 1, 1), 11), "--months",
     "a fisherman is invited for at most 10 months, not 11 (G3)"),
    (Invitation(SEASONAL, 5, date(2012, 1, 1), 7), "--kind",
     "a seasonal invitation is at most 6 months, not 7: a worker other than a fisherman invited for longer is an "
     "other invited worker (G3)"),
    (Invitation(OTHER, 4, date(2012, 1, 1), 3), "--category",
     "an invited worker's insurance category is at least the 5th, not 4 (G4)"),
    (Invitation(SEASONAL, 4, date(2012, 1, 1), 2), "--category",
     "an invited worker's insurance category is at least the 5th, not 4 (G4)"),
    (Invitation(FISHERMAN, 5, date(2012, 9, 1), 10), "--months",
     "2013-01: no OGA contribution table for 2013; a month is priced only at its own year's figures (G6)"),
])
def test_g3_g4_g6_refusals_name_the_option_and_the_rule(invitation, field, reason):
    with pytest.raises(NotAllowed) as refused:
        prepayment(invitation, RULES)
    assert (refused.value.field, refused.value.reason) == (field, reason)


def test_g3_another_invited_worker_may_stay_longer_than_ten_months():
    plan = prepayment(Invitation(OTHER, 5, date(2012, 1, 1), 12, entry=date(2012, 1, 9)), RULES)
    assert summary(plan.prepaid) == (date(2012, 1, 1), 3, m("521.10"), "608", None, date(2012, 1, 19))
    assert [summary(p) for p in plan.rest] == [(date(2012, 4, 1), 9, m("1563.30"), "640", None, None)]


def test_g5_before_n4018_every_kind_prepaid_a_quarter_as_the_others_do():
    """With n.4018/2011 configured from June 2012 (the seed gives no date), a fisherman
    invited from May prepays 3 months on 608 within 10 days of entry; one invited from
    June prepays 6 on 649."""
    rules = replace(RULES, n4018_from=date(2012, 6, 1))
    before = prepayment(Invitation(FISHERMAN, 5, date(2012, 5, 1), 6, entry=date(2012, 5, 2)), rules)
    assert summary(before.prepaid) == (date(2012, 5, 1), 3, m("521.10"), "608", None, date(2012, 5, 14))
    assert [summary(p) for p in before.rest] == [(date(2012, 8, 1), 3, m("521.10"), "640", None, None)]
    after = prepayment(Invitation(FISHERMAN, 5, date(2012, 6, 1), 6, entry=date(2012, 6, 2)), rules)
    assert summary(after.prepaid) == (date(2012, 6, 1), 6, m("1042.20"), "649", m("5.00"), None)


@given(kind=st.sampled_from(KINDS), category=st.sampled_from([5, 6, 7]), start=st.integers(1, 12),
       months=st.integers(1, 12))
def test_g5_g6_the_payments_cover_the_invitation_once_and_add_up_to_its_contributions(kind, category, start, months):
    """Whatever the kind: the prepaid and later months are the invitation's months, in
    order, each once, and their amounts add up to the whole run's price; the fee is
    never among them (G8); a seasonal worker pays in at most three periods (G7)."""
    months = min(months, MOST_MONTHS.get(kind, months), 13 - start)  # inside the kind's limit and 2012
    plan = prepayment(Invitation(kind, category, date(2012, start, 1), months), RULES)
    payments = [plan.prepaid, *plan.rest]
    covered = [p.month for payment in payments for p in payment.pricing.months]
    whole = RULES.contributions.price(category, date(2012, start, 1), months)
    assert covered == [p.month for p in whole.months]
    assert sum((p.amount for p in payments), ZERO) == whole.total
    if kind == SEASONAL:
        assert len(payments) <= 3
