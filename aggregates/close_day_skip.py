"""The close-of-day skip test (παράλειψη στο κλείσιμο ημέρας), E1/E2.

The close of day settles every live arrangement on the new business date (E1),
and most of them have nothing to record that day. ``may_change`` tells, from
what an arrangement recorded alone, whether settling it on a day can record
anything since it was last settled: when it cannot, the close of day does not
settle it (issue 5), as settling it anyway would record nothing (E2).
``Arrangement.may_change`` is the aggregate's call of it.

``next_change_day`` is the first day on which ``may_change`` turns true (issue 19):
a close of day that keeps it per arrangement need not even read the arrangements
whose day has not come, while nothing else was recorded for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aggregates import history
from aggregates.calendar import add_months, months_between
from aggregates.money import ZERO
from aggregates.status import ENDED, Status
from aggregates.timeline import ONE_DAY, Instalment

if TYPE_CHECKING:
    from aggregates.arrangement import Arrangement
    from aggregates.schemes.base import Scheme

# An instalment as the arrangement stores it (``Instalment.as_dict``), or a recorded fact.
_Stored = dict[str, Any]


def may_change(arrangement: Arrangement, scheme: Scheme, settled_on: date, day: date) -> bool:
    """E1: whether settling on ``day`` can record anything, when the
    arrangement was settled on ``settled_on`` and nothing reached it since.

    The timeline only records a fact on a day something happens to it: an
    instalment opens or passes its deadline, a loss checkpoint, a payment's
    value date, the start of a month of delay of a missed instalment or of
    a lost balance. When none of those falls in (``settled_on``, ``day``]
    the course up to ``day`` gives what is already recorded. Conservative:
    a suspended arrangement, or one whose scheme watches the debtor's other
    items (ND10 a breaches), always may change.
    """
    if arrangement.status in ENDED:
        return False
    instalments = arrangement.instalments  # read as stored: no ``Instalment`` each (most of them are not needed)
    if not instalments or arrangement.status == Status.SUSPENDED or scheme.watches_current_items:
        return True
    starts_on = arrangement.starts_on
    assert starts_on is not None
    if settled_on < starts_on <= day:
        return True
    passing = _deadlines_passing(instalments, starts_on, scheme.loss_rule().checkpoints, settled_on, day)
    if passing is None:
        return True
    if passing and _unpaid_when_passing(instalments, paid_by_instalment(history.facts(arrangement)), passing):
        return True
    if any(receipt["value_date"] <= day for receipt in history.valued_after(arrangement, settled_on)):
        return True
    # Missed and lost are never packed with the payments (``aggregates.history``): ``facts`` has them.
    return _delay_month_starts(instalments, arrangement.facts, settled_on, day)


def next_change_day(arrangement: Arrangement, scheme: Scheme, settled_on: date) -> date | None:
    """E1: the first day after ``settled_on`` on which ``may_change(arrangement,
    scheme, settled_on, day)`` is true (None: no day, the arrangement has ended).

    ``may_change`` is true on a day when something happens to the arrangement in
    (``settled_on``, day], so true from the first such day on: the earliest of the
    start, an instalment opening, a deadline or loss checkpoint passing while an
    instalment due before it is unpaid (A3), a payment's value date, and the start
    of a month of delay (L1, C11). Those ``may_change`` always answers true for
    (suspended, watching the debtor's other items, ND10 a) change the next day.
    """
    if arrangement.status in ENDED:
        return None
    tomorrow = settled_on + ONE_DAY
    instalments = arrangement.instalments
    if not instalments or arrangement.status == Status.SUSPENDED or scheme.watches_current_items:
        return tomorrow
    starts_on = arrangement.starts_on
    assert starts_on is not None
    days = [starts_on] if settled_on < starts_on else []
    checkpoints = scheme.loss_rule().checkpoints
    passing: list[date] = []
    for data in instalments:
        days.append(max(data["opens_on"], starts_on))
        passing.append(data["due_date"] + ONE_DAY)
        passing.extend(checkpoints(Instalment.from_dict(data)))
    days.extend(receipt["value_date"] for receipt in history.valued_after(arrangement, settled_on))
    days.extend(_delay_month_starts_after(instalments, arrangement.facts, settled_on))
    first = min((d for d in days if d > settled_on), default=None)
    # A passing day counts only with an instalment unpaid then: the earliest such
    # one before ``first``, tried in order (the first usually is: its own instalment).
    paid = None
    for on in sorted(d for d in set(passing) if d > settled_on and (first is None or d < first)):
        if paid is None:
            paid = paid_by_instalment(history.facts(arrangement))
        if _unpaid_when_passing(instalments, paid, (on,)):
            return on
    return first


def _deadlines_passing(
    instalments: Sequence[_Stored],
    starts_on: date,
    checkpoints: Callable[[Instalment], Iterable[date]],
    settled_on: date,
    day: date,
) -> list[date] | None:
    """The days in (settled_on, day] on which a deadline or a loss checkpoint
    passes; None when an instalment opens in them (it falls due: a fact).

    A checkpoint comes after its instalment's deadline (``LossRule``), so an
    instalment whose deadline is on or after ``day`` adds none.
    """
    passing: list[date] = []
    for data in instalments:
        opens_on = data["opens_on"]
        if settled_on < max(opens_on, starts_on) <= day:
            return None
        if data["due_date"] >= day:
            continue
        on = data["due_date"] + ONE_DAY
        if settled_on < on:
            passing.append(on)
        passing.extend(c for c in checkpoints(Instalment.from_dict(data)) if settled_on < c <= day)
    return passing


def _unpaid_when_passing(
    instalments: Sequence[_Stored], paid: dict[int, list[tuple[date, Decimal]]], passing: Iterable[date]
) -> bool:
    """Whether on one of the ``passing`` days an instalment due before it is
    is not paid: then the deadline passing misses it or the loss test (A3)
    may find the arrangement lost."""
    for on in passing:
        # Every instalment due before ``on`` paid (capital and interest) by
        # payments valued before it: then a deadline passing on ``on`` misses
        # nothing and a loss rule finds nothing to lose the arrangement for.
        for data in instalments:
            if data["due_date"] < on and sum(
                (amount for value_date, amount in paid.get(data["number"], ()) if value_date < on), ZERO
            ) < data["capital"] + data["interest"]:
                return True
    return False


def _delay_month_starts(
    instalments: Sequence[_Stored], facts: dict[str, _Stored], settled_on: date, day: date
) -> bool:
    """Whether a month of delay (L1) of a recorded missed instalment or of a
    lost balance (C11) starts in (``settled_on``, ``day``]."""
    return any(_month_start_within(first, settled_on, day) for first in _delay_firsts(instalments, facts))


def _delay_month_starts_after(instalments: Sequence[_Stored], facts: dict[str, _Stored], after: date) -> Iterator[date]:
    """The first start after ``after`` of a month of delay (L1) of each recorded
    missed instalment and lost balance (C11)."""
    return (_first_month_start_after(first, after) for first in _delay_firsts(instalments, facts))


def _delay_firsts(instalments: Sequence[_Stored], facts: dict[str, _Stored]) -> Iterator[date]:
    """The first day of delay of each recorded missed instalment and lost balance."""
    by_number = None
    for fact in facts.values():
        kind = fact["kind"]
        if kind == "InstalmentMissed":
            if by_number is None:
                by_number = {i["number"]: i for i in instalments}
            yield by_number[fact["number"]]["due_date"] + ONE_DAY
        elif kind == "Lost":
            yield fact["business_date"] + ONE_DAY


def paid_by_instalment(facts: dict[str, _Stored]) -> dict[int, list[tuple[date, Decimal]]]:
    """What the recorded allocations (P3) paid on each instalment's interest
    and capital, with the payment's value date."""
    paid: dict[int, list[tuple[date, Decimal]]] = {}
    for fact in facts.values():
        if fact["kind"] != "Paid":
            continue
        for part in fact["allocation"]:
            if part["number"] is not None and part["part"] in ("interest", "capital"):
                paid.setdefault(part["number"], []).append((fact["value_date"], part["amount"]))
    return paid


def _month_start_within(first: date, after: date, until: date) -> bool:
    """Whether a month of delay counted from ``first`` (L1) starts in (``after``, ``until``]."""
    return first <= until and _first_month_start_after(first, after) <= until


def _first_month_start_after(first: date, after: date) -> date:
    """The first start after ``after`` of a month of delay counted from ``first`` (L1)."""
    months = max(0, months_between(first, after) - 1)
    while (start := add_months(first, months)) <= after:
        months += 1
    return start
