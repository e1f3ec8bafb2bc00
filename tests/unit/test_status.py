"""An arrangement's status (A1) and the groups the rules name: LIVE (ND8),
ENDED (E1, P5), RELEASED (A1/C6, P2), ARRANGED (V2), FOLLOWING_SCHEDULE (C6/P3)."""

import json

from aggregates.status import (
    ARRANGED,
    ENDED,
    FOLLOWING_SCHEDULE,
    LIVE,
    RELEASED,
    Status,
)
from aggregates.timeline import Receipt
from tests.unit.builders import COVID, RULES, apply, covid_3360, d, item, m
from tests.unit.test_scheme_disaster import suspended_arrangement


def test_A1_the_stored_values_are_the_spec_s_words():
    assert json.dumps(list(Status)) == (
        '["applied", "rejected", "suspended", "active", "lapsed", "lost", "completed"]')
    assert Status("active") is Status.ACTIVE and f"{Status.LOST}" == "lost"


def test_A1_C11_E1_every_status_is_live_ended_or_lost():
    """Each status is in exactly one of LIVE, ENDED and {LOST}: a lost arrangement is
    not live (ND8 lets the debtor apply again) nor ended (its balance, due at once,
    still accrues surcharges, C11, and takes payments)."""
    for status in Status:
        assert [status in LIVE, status in ENDED, status == Status.LOST].count(True) == 1, status


def test_A1_V2_released_arranged_and_following_schedule():
    assert RELEASED < ENDED  # a released arrangement has ended ...
    assert Status.COMPLETED in ENDED - RELEASED  # ... not every ended one is released
    # V2 [P]: items count as arranged unless released, or before the first payment
    assert ARRANGED == set(Status) - RELEASED - {Status.APPLIED}
    assert FOLLOWING_SCHEDULE == LIVE - {Status.SUSPENDED}  # C6/P3: no schedule in suspension (ND5)


def life_cycle_statuses() -> list[str]:
    """The statuses the aggregate takes through A1's paths, as its state holds them."""
    statuses = [covid_3360().status, apply(COVID, "2022-02-01", [item("i1", "3000.00", "2020-06-30")]).status]
    lapsed = covid_3360()
    lapsed.settle(COVID, d("2022-01-01"), RULES)
    paid = covid_3360()
    paid.settle(COVID, d("2021-12-20"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("280.00"))])
    statuses += [lapsed.status, paid.status]
    paid.settle(COVID, d("2022-03-05"), RULES)  # instalments 2 and 3 unpaid (C8)
    completed = covid_3360()
    completed.settle(COVID, d("2021-12-20"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("3360.00"))])
    return [*statuses, paid.status, completed.status, suspended_arrangement().status]


def test_A1_the_aggregate_keeps_each_status_as_a_plain_string():
    """As a snapshot or a read model loads it back (JSON), whichever way it was reached."""
    statuses = life_cycle_statuses()
    assert statuses == ["applied", "rejected", "lapsed", "active", "lost", "completed", "suspended"]
    assert {type(s) for s in statuses} == {str}
    assert {Status(s) for s in statuses} == set(Status)
