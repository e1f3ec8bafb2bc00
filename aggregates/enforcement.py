"""Notices before enforcement and the enforcement measures (αναγκαστική εκτέλεση), N2–N14, G13.

Pure rules over one debtor on one day (``Standing``): which items a kept arrangement
covers (N7, N8), which notice is due (N2, N4), whether a measure may be recorded
(N13) and so whether an item is enforceable (N14), and the first later day a notice
may fall due with no new event (the close of day's agenda).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from aggregates.arrangement_as_of import ArrangementAsOf
from aggregates.calendar import next_working_day
from aggregates.money import ZERO
from aggregates.notice import INDIVIDUAL_NOTICE, INVITATION, Notice
from aggregates.schemes.base import Scheme
from aggregates.status import RUNNING
from aggregates.wording import N_

SEIZURE = "seizure"  # κατάσχεση (of movable or immovable property)
GARNISHMENT = "garnishment"  # κατάσχεση εις χείρας τρίτων
MORTGAGE = "mortgage"  # υποθήκη
MEASURES = (SEIZURE, GARNISHMENT, MORTGAGE)

# The debt table's item statuses of an item owed at once: overdue on its own, or
# in the balance of a lost arrangement (C11).
OWED_AT_ONCE = ("overdue", "due_at_once")
INSURANCE_TIME = "insurance_time_recognition"

# The notice items' fields, from the debt table's rows (V1): what the notice freezes (N5).
NOTICE_ITEM_FIELDS = ("item_id", "fund", "period", "kind", "due_date", "amount", "surcharges", "paid", "outstanding")


@dataclass(frozen=True)
class NoticeRules:
    """N4 [P] and G13, configured in ``ledger/config/notices.toml``."""

    auto: bool  # the close of day issues the notices due (interfaces §1.3)
    invitation_days: int  # N4: an invitation gives this many calendar days
    notice_days: int  # N4: enforcement after this many from the individual notice's delivery
    invitation_required: bool  # N2 [P]: an individual notice only after an invitation's period
    floor: Decimal  # G13: no individual notice or measure while the overdue debt is below it
    services: tuple[str, ...] = field(default=())  # N15: the KEAO services (data)


def period_end(delivered_on: date, days: int) -> date:
    """N4: the last day of a period of ``days`` starting the day after delivery; a
    last day that is not a working day moves to the next working day (M4)."""
    return next_working_day(delivered_on + timedelta(days=days))


def allowed_from(delivered_on: date, days: int) -> date:
    """N4: the first day after the period, when the next step may be taken."""
    return period_end(delivered_on, days) + timedelta(days=1)


def suspended_items(items: Collection[Mapping[str, Any]], arrangements: Sequence[ArrangementAsOf],
                    scheme_of: Callable[[str], Scheme]) -> frozenset[str]:
    """N7, N8: the items a kept arrangement covers on the day. Kept [P]: running
    (``RUNNING``: suspended or active, arrears short of a loss included). The
    disaster scheme covers all the debtor's debt but insurance-time recognition (N7);
    the others their own items (N8)."""
    covered: set[str] = set()
    for state in arrangements:
        if state.status not in RUNNING:
            continue
        if scheme_of(state.arrangement.scheme).suspends_whole_debt:
            covered.update(i["item_id"] for i in items if i["kind"] != INSURANCE_TIME)
        covered.update(state.held_items)
    return frozenset(covered)


def criminal_proceedings(arrangements: Sequence[ArrangementAsOf], scheme_of: Callable[[str], Scheme]) -> str:
    """N14: the criminal-law effects of N7 and N8, while such an arrangement is kept."""
    kept = any(s.status in RUNNING and scheme_of(s.arrangement.scheme).suspends_criminal_proceedings
               for s in arrangements)
    return "suspended" if kept else "allowed"


@dataclass(frozen=True)
class Standing:
    """One debtor on one day, as these rules see it."""

    afm: str
    day: date
    rows: Sequence[Mapping[str, Any]]  # the debt table's item rows on the day (V1)
    received_later: Sequence[date]  # the days items recorded already arrive, after ``day``
    suspended: frozenset[str]  # ``suspended_items``
    overdue_principal: Decimal  # V2's overdue principal outside arrangements (G13)
    notices: Sequence[Notice]  # the debtor's notices issued by the day
    # The items of an application whose first instalment is not paid yet: debts outside
    # it until it runs [P], as V2 counts them.
    awaiting: frozenset[str] = frozenset()

    def is_owed(self, row: Mapping[str, Any]) -> bool:
        """Owed at once and not covered by a kept arrangement: overdue on its own, in a
        lost arrangement's balance (C11), or overdue in an application not running yet."""
        if row["outstanding"] <= ZERO or row["item_id"] in self.suspended:
            return False
        return row["status"] in OWED_AT_ONCE or (row["item_id"] in self.awaiting and row["due_date"] < self.day)

    def owed(self) -> list[Mapping[str, Any]]:
        return [r for r in self.rows if self.is_owed(r)]

    def delivered_on(self, notice: Notice) -> date | None:
        """Its delivery, if it came by the day (the views are as of any day, V3)."""
        return notice.delivered_on if notice.delivered_on is not None and notice.delivered_on <= self.day else None

    def named(self, kind: str) -> dict[str, list[Notice]]:
        """For each item, the notices of ``kind`` that name it, in issue order."""
        found: dict[str, list[Notice]] = {}
        for notice in self.notices:
            if notice.kind == kind and notice.issued_on <= self.day:
                for item_id in notice.item_ids:
                    found.setdefault(item_id, []).append(notice)
        return found


def next_step_on(standing: Standing, notices: Sequence[Notice], days: int) -> date | None:
    """N4: the first day after the period of the earliest of ``notices`` delivered by the day."""
    delivered = [on for on in map(standing.delivered_on, notices) if on is not None]
    return allowed_from(min(delivered), days) if delivered else None


def notices_due(standing: Standing, rules: NoticeRules) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """N2, N4, G13: the notices to issue on the day, each with its items.

    - An individual notice names the owed items no individual notice named yet whose
      invitation's period has run (or every such item, when no invitation is
      required), unless the overdue debt is below the floor (G13).
    - An invitation is due when an owed item was never named by a notice; it names
      every owed item no individual notice names, so that an amount left unpaid is
      asked again, adjusted, on it (G13)."""
    owed = standing.owed()
    noticed = standing.named(INDIVIDUAL_NOTICE)
    invited = standing.named(INVITATION)
    due: list[tuple[str, list[Mapping[str, Any]]]] = []
    if standing.overdue_principal >= rules.floor:
        ready = [r for r in owed if r["item_id"] not in noticed and _invitation_ran(standing, r, invited, rules)]
        if ready:
            due.append((INDIVIDUAL_NOTICE, ready))
    if rules.invitation_required:
        named = {r["item_id"] for _, rows in due for r in rows}
        uninvited = [r for r in owed if r["item_id"] not in invited and r["item_id"] not in noticed
                     and r["item_id"] not in named]
        if uninvited:
            due.append((INVITATION, [r for r in owed if r["item_id"] not in noticed and r["item_id"] not in named]))
    return due


def _invitation_ran(standing: Standing, row: Mapping[str, Any], invited: Mapping[str, list[Notice]],
                    rules: NoticeRules) -> bool:
    if not rules.invitation_required:
        return True
    start = next_step_on(standing, invited.get(row["item_id"], ()), rules.invitation_days)
    return start is not None and start <= standing.day


def enforcement_refusal(standing: Standing, rules: NoticeRules, item_id: str) -> str | None:
    """N13: why no measure may be recorded on the item on the day (None: it may)."""
    row = next((r for r in standing.rows if r["item_id"] == item_id), None)
    if row is None:
        return N_("item {item} is not known on {day}").format(item=item_id, day=standing.day)
    item = item_name(row)
    if item_id in standing.suspended:
        return N_("item {item} is covered by a kept arrangement (N7, N8)").format(item=item)
    if not standing.is_owed(row):
        return N_("item {item} is not overdue on {day} (N13)").format(item=item, day=standing.day)
    notices = [n for n in standing.named(INDIVIDUAL_NOTICE).get(item_id, ()) if standing.delivered_on(n)]
    if not notices:
        return N_("no delivered individual notice names item {item} (N2, N13)").format(item=item)
    start = next_step_on(standing, notices, rules.notice_days)
    if start is not None and start > standing.day:
        return N_("the notice period for item {item} runs until {last_day}: a measure is allowed from {first_day} "
                  "(N4)").format(item=item, last_day=start - timedelta(days=1), first_day=start)
    if standing.overdue_principal < rules.floor:
        return N_("the overdue debt {overdue} EUR is below {floor} EUR (G13)").format(
            overdue=standing.overdue_principal, floor=rules.floor)
    return None


def item_name(row: Mapping[str, Any]) -> str:
    """How a measure names an item: FUND:PERIOD:KIND (N13)."""
    return f"{row['fund']}:{row['period']}:{row['kind']}"


def enforceable(standing: Standing, rules: NoticeRules) -> dict[str, bool]:
    """N14: for each item of the day, whether N13 would allow a measure on it."""
    return {r["item_id"]: enforcement_refusal(standing, rules, r["item_id"]) is None for r in standing.rows}


def next_check(standing: Standing, rules: NoticeRules) -> date | None:
    """The first day after ``standing.day`` a notice may fall due without a new
    event: an item falls overdue or arrives, or a delivered invitation's period ends
    (N4). Arrangements ending, payments and deliveries are events of their own."""
    day = standing.day
    days = [r["due_date"] + timedelta(days=1) for r in standing.rows
            if r["due_date"] >= day and r["outstanding"] > ZERO and r["item_id"] not in standing.suspended]
    days += [d for d in standing.received_later if d > day]
    if rules.invitation_required:
        noticed = standing.named(INDIVIDUAL_NOTICE)
        invited = standing.named(INVITATION)
        for row in standing.owed():
            if row["item_id"] not in noticed:
                start = next_step_on(standing, invited.get(row["item_id"], ()), rules.invitation_days)
                if start is not None and start > day:
                    days.append(start)
    return min(days, default=None)


def notice_items(rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], Decimal]:
    """N5: the items as a notice freezes them, and its total (what they owe on the day)."""
    items = [{k: row[k] for k in NOTICE_ITEM_FIELDS} for row in rows]
    return items, sum((item["outstanding"] for item in items), ZERO)
