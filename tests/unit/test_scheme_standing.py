"""Standing arrangement (n.4152/2013), S1: every parameter from configuration."""

from decimal import Decimal

import pytest

from aggregates.schemes.base import Rejection
from aggregates.timeline import Receipt
from tests.unit.builders import RULES, STANDING, apply, d, form, item, m

# 2000.00 due 2021-09-30, applied 2022-03-15: 6 started months (10-01 … 03-01)
# × 8%/12 → 2000 × 0.04 = 80.00 → capital 2080.00
DEBT = [item("s1", "2000.00", "2021-09-30", period="2021-08")]


def grant(applied_on="2022-03-15", items=DEBT):
    return STANDING.grant(form(applied_on), items, RULES)


def test_S1_parameters_from_configuration():
    p = STANDING.parameters
    assert (p.max_instalments, p.max_instalments_after_audit, p.min_instalment) == (24, 48, m("50.00"))
    assert p.yearly_interest == Decimal("0.055")
    assert p.interest_free_up_to == 0


def test_S1_capital_and_up_to_24_instalments_with_interest_at_5_5_percent():
    g = grant()
    assert g.capital == m("2080.00")
    plan = STANDING.plan(form("2022-03-15"), g, Decimal(0))
    # min(24, floor(2080/50) = 41) = 24; 2080/24 = 86.6667 → 86.67; last 2080 − 23 × 86.67 = 86.59
    assert len(plan.instalments) == 24
    assert plan.instalments[0].capital == m("86.67")
    assert plan.instalments[-1].capital == m("86.59")
    # interest k: capital_k × 0.055/12 × (k − 1): k=1 → 0.00; k=2 → 0.3972 → 0.40;
    # k=24 → 86.59 × 0.055/12 × 23 = 9.128 → 9.13
    assert plan.instalments[0].interest == m("0.00")
    assert plan.instalments[1].interest == m("0.40")
    assert plan.instalments[-1].interest == m("9.13")
    # first instalment by the last working day of the application month
    assert plan.instalments[0].due_date == d("2022-03-31")
    assert plan.needs_first_payment is True


def test_S1_more_than_24_needs_an_audit_up_to_48():
    g = grant()
    with pytest.raises(Rejection, match="25 instalments requested, at most 24"):
        STANDING.plan(form("2022-03-15", 25), g, Decimal(0))
    audited = form("2022-03-15", None, **STANDING.options({"after_audit": True}))
    # min(48, floor(2080/50) = 41) = 41
    assert len(STANDING.plan(audited, g, Decimal(0)).instalments) == 41


def test_S1_minimum_instalment_50():
    # 1000.00 due 2022-02-28, applied 2022-03-15: one month 6.67 → 1006.67 → floor(/50) = 20
    g = grant(items=[item("s", "1000.00", "2022-02-28", period="2022-01")])
    assert g.capital == m("1006.67")
    assert len(STANDING.plan(form("2022-03-15"), g, Decimal(0)).instalments) == 20


def test_S1_no_overdue_debt_is_rejected():
    with pytest.raises(Rejection, match="S1"):
        grant(items=[item("s", "1000.00", "2022-03-31", period="2022-02")])


def test_S1_lapses_without_the_first_instalment():
    arrangement = apply(STANDING, "2022-03-15", DEBT)
    arrangement.settle(STANDING, d("2022-04-01"), RULES)
    assert arrangement.status == "lapsed"
    (lapsed,) = [e for e in arrangement.collect_events() if type(e).__name__ == "Lapsed"]
    assert lapsed.business_date == d("2022-04-01")  # the day after 2022-03-31


def test_S1_lost_after_two_unpaid_instalments():
    # instalment 1 (86.67) paid; 2 (86.67 + 0.40 = 87.07, due 2022-04-29) and
    # 3 (86.67 + 86.67 × 0.055/12 × 2 = 0.7945 → 0.79 → 87.46, due 2022-05-31) unpaid:
    # on 2022-06-01 174.53 ≥ 87.07 + 87.46 → lost
    arrangement = apply(STANDING, "2022-03-15", DEBT)
    arrangement.settle(STANDING, d("2022-06-05"), RULES, new_receipts=[Receipt("t1", d("2022-03-20"), m("86.67"))])
    assert arrangement.status == "lost"
    (lost,) = [e for e in arrangement.collect_events() if type(e).__name__ == "Lost"]
    assert lost.business_date == d("2022-06-01")
    assert "S1" in lost.reason
    assert "174.53" in lost.reason
