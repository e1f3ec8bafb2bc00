"""Notices and enforcement (§10): the notices' pass of the close of day (N2, N4),
delivery (N3, W8), the information notice of a first transfer (N6), and the
enforcement measures (N9, N13).

The pass looks at the debtors its agenda names (``aggregates.notice_agenda``):
those with an event since the last pass, and those whose next check falls on the
day. ``everyone=True`` looks at every debtor every day: the plain reference the
agenda's tests compare against, and what the very first pass does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.enforcement import MEASURES, enforcement_refusal, item_name, next_check, notice_items, notices_due
from aggregates.errors import NotAllowed
from aggregates.notice import CHANNELS, ELECTRONIC, INFORMATION, POST, Notice, notice_number
from aggregates.notice_agenda import NOTICE_AGENDA_ID, NoticeAgenda, replanned
from aggregates.references import debtor_identity_code, valid_afm
from ledger import inputs, notice_views, views
from ledger.actors import CLOSE_DAY, acting_as
from ledger.application import Ledger
from ledger.errors import BadInput, NotFound
from ledger.handlers.common import CLOSE_LOCK, arrangements_of, committed, effective_date, pages, reason_of, retried
from ledger.store.bulk import originator_ids
from ledger.store.recorder import store_lock
from ledger.unit_of_work import UnitOfWork

# How many debtors the pass reads and saves at once.
PAGE = 200
# The events after which a debtor may need a notice (or no longer need one): its
# own, but the pass's own record of a notice; an arrangement ending, which frees its
# items (N12); a notice's delivery, which starts its period (N4).
WATCHED = (
    *(cls.TOPIC for cls in vars(Debtor).values()
      if isinstance(cls, type) and issubclass(cls, Debtor.Event) and cls is not Debtor.NoticeSent
      and cls is not Debtor.Event),
    Arrangement.Lost.TOPIC, Arrangement.Lapsed.TOPIC, Arrangement.Rejected.TOPIC,
    Notice.Delivered.TOPIC,
)


class UnitLookups:
    """The lookups ``ledger.views`` asks for, from a unit of work (what it loaded or
    prefetched), so the pass words notices with the debt table's own code."""

    def __init__(self, uow: UnitOfWork):
        self.uow = uow
        self.settings = uow.settings

    def debtor(self, afm: str) -> Debtor:
        found = self.uow.get(Debtor, Debtor.create_id(afm))
        if found is None:
            raise NotFound("afm", f"no debtor {afm}")
        return found

    def arrangements_of(self, debtor: Debtor) -> list[Arrangement]:
        return arrangements_of(self.uow, debtor)

    def notices_of(self, debtor: Debtor) -> list[Notice]:
        found = (self.uow.get(Notice, Notice.create_id(n)) for n in debtor.notice_numbers)
        return [n for n in found if n is not None]


# -- the notices' pass (N2, N4) ---------------------------------------------------------


def issue_notices(ledger: Ledger, day: date, everyone: bool = False) -> list[str]:
    """``ledger notices issue``: the pass through ``day``, under the close of day's lock;
    not past the ledger's business date (a later day's payments are not in yet)."""
    current = ledger.current_date()
    if current is not None and day > current:
        raise BadInput("--date", f"{day} is after the ledger's business date {current}: close the day first")
    with store_lock(ledger.db_url, ledger.recorder.datastore, CLOSE_LOCK), acting_as(CLOSE_DAY):
        return issue_locked(ledger, day, everyone)


def issue_locked(ledger: Ledger, day: date, everyone: bool = False) -> list[str]:
    """N2/N4: issue the notices due on each day after the last pass through ``day``,
    each on its own day (E2); the numbers issued. Run again through the same day, it
    issues nothing: the agenda passed it, and a notice's number is its debtor's,
    kind's and day's (``notice_number``), so a pass cut short finds those it issued.

    A debtor is looked at on the business date of each event of its since the last
    pass, and on the day its last look planned (``next_check``): between them
    nothing it owes can change."""
    agenda = UnitOfWork(ledger).get(NoticeAgenda, NOTICE_AGENDA_ID)
    position = ledger.recorder.max_notification_id() or 0
    if agenda is not None and agenda.through >= day:
        return []
    first = agenda.through + timedelta(days=1) if agenda is not None else day
    plan: dict[str, date] = dict(agenda.plan) if agenda is not None else {}
    every = everyone or agenda is None
    visits: dict[date, set[str]] = {}
    if not every:
        assert agenda is not None
        for debtor_id, on in touched_since(ledger, agenda.position):
            if on > day:  # recorded to take effect later: looked at then
                plan[debtor_id] = min(on, plan.get(debtor_id, on))
            else:
                visits.setdefault(max(on, first), set()).add(debtor_id)
    changes: dict[str, date | None] = {}
    issued: list[str] = []
    everybody = all_debtors(ledger) if every else []
    for d in days(first, day):
        if every:
            ids = everybody
        else:
            due = visits.pop(d, set()) | {key for key, on in plan.items() if on <= d}
            ids = [UUID(key) for key in sorted(due)]
        for page in pages(ids, PAGE):
            numbers, planned = examine(ledger, page, d)
            issued += numbers
            plan = replanned(plan, planned.items())
            changes.update(planned)
    if agenda is None and not changes:
        return issued  # no debtor yet: the first pass is the next one
    uow = UnitOfWork(ledger)  # the agenda as read: only this pass writes it
    planned_list = [[key, on] for key, on in changes.items()]
    if agenda is None:
        uow.add(NoticeAgenda.start(day, position, planned_list))
    else:
        agenda.passed(day, position, planned_list)
        uow.add(agenda)
    uow.commit()
    return issued


def examine(ledger: Ledger, ids: Sequence[UUID], day: date) -> tuple[list[str], dict[str, date | None]]:
    """Issue the notices due on ``day`` to the debtors ``ids``, saved together; the
    numbers issued and each debtor's next check (``next_check``)."""
    def attempt(_: int) -> tuple[list[str], dict[str, date | None]]:
        uow = UnitOfWork(ledger)
        found = uow.prefetch(ids)
        debtors = [d for d in found.values() if isinstance(d, Debtor)]
        arrangement_ids = [UUID(i) for d in debtors for i in d.arrangement_ids]
        uow.prefetch([*arrangement_ids, *(Notice.create_id(n) for d in debtors for n in d.notice_numbers)])
        lookups = UnitLookups(uow)
        numbers: list[str] = []
        planned: dict[str, date | None] = {}
        for debtor in debtors:
            if debtor.registered_on > day:
                planned[str(debtor.id)] = debtor.registered_on
                continue
            arrangements = views._arrangements_as_of(lookups, debtor, day)
            standing = views.standing_of(lookups, debtor, arrangements, day)
            due = notices_due(standing, ledger.settings.notices)
            for kind, rows in due:
                numbers.append(send(uow, debtor, kind, rows, day))
            if due:
                standing = views.standing_of(lookups, debtor, arrangements, day)
            planned[str(debtor.id)] = next_check(standing, ledger.settings.notices)
        uow.commit()
        return numbers, planned

    return retried(attempt)


def send(uow: UnitOfWork, debtor: Debtor, kind: str, rows: Sequence[dict[str, Any]], day: date,
         fund: str | None = None) -> str:
    """Issue a notice to ``debtor``, its content frozen now (N5)."""
    number = notice_number(kind, debtor.afm, day, fund)
    items, total = notice_items(rows)
    content = {"name": debtor.name, "service": debtor.service, "identity_code": debtor_identity_code(debtor.afm),
               "items": items, "total": total, "fund": fund}
    uow.add(Notice.issue(number, kind, debtor.afm, content, day))
    debtor.notice_sent(number, day)
    uow.add(debtor)
    return number


def touched_since(ledger: Ledger, position: int) -> Iterator[tuple[str, date]]:
    """Each debtor (by id) with an event ``WATCHED`` after ``position``, with the
    event's business date."""
    others: dict[UUID, date] = {}
    for notification in ledger.notifications(WATCHED, start=position + 1):
        event = ledger.mapper.to_domain_event(notification)
        if notification.topic.startswith("keao:Debtor."):
            yield str(notification.originator_id), event.business_date
        else:
            others[notification.originator_id] = event.business_date
    found = UnitOfWork(ledger).load_many(list(others))
    for aggregate_id, aggregate in found.items():
        yield str(Debtor.create_id(aggregate.debtor_afm)), others[aggregate_id]  # type: ignore[attr-defined]


def all_debtors(ledger: Ledger) -> list[UUID]:
    return list(originator_ids(ledger, Debtor.Registered.TOPIC))


def days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


# -- the information notice (N6) -----------------------------------------------------


def inform_of_transfer(uow: UnitOfWork, debtor: Debtor, fund: str, day: date) -> None:
    """N6: the first transfer of the debtor's debts from ``fund`` tells it, by letter
    [P], that KEAO now collects them and that it may use the e-services."""
    send(uow, debtor, INFORMATION, [], day, fund)


# -- delivery (N3, W8) --------------------------------------------------------------


def deliver_notice(ledger: Ledger, number: str, channel: str, proof: str | None, on: date | None) -> dict[str, Any]:
    """N3: ``notice deliver``: a delivery in writing, with the proof's reference."""
    if channel not in CHANNELS:
        raise BadInput("--channel", f"{channel!r} is not one of {', '.join(CHANNELS)}")
    if channel == POST and not proof:
        raise BadInput("--proof", "required: the delivery proof's reference (N3)")

    def step(uow: UnitOfWork) -> dict[str, Any]:
        notice = uow.get(Notice, Notice.create_id(number))
        if notice is None:
            raise NotFound("NOTICE_ID", f"no notice {number}")
        day = effective_date(uow, on)
        notice.deliver(channel, proof if channel == POST else None, day)
        return notice_views.notice_json(notice, uow.settings.notices)

    return committed(ledger, step)


def open_in_account(ledger: Ledger, number: str, on: date | None = None) -> dict[str, Any]:
    """W8: the debtor opens the notice in its e-services account. A notice not yet
    delivered in writing is posted to the account by this first sight: its electronic
    delivery (N3), on the business date, its period running from then [P]; then the
    first opening is recorded. Opening it again changes nothing."""
    def step(uow: UnitOfWork) -> dict[str, Any]:
        notice = uow.get(Notice, Notice.create_id(number))
        if notice is None:
            raise NotFound("NOTICE_ID", f"no notice {number}")
        day = effective_date(uow, on)
        if notice.delivered_on is None:
            notice.deliver(ELECTRONIC, None, day)
        notice.open(day)
        return notice_views.notice_json(notice, uow.settings.notices)

    return committed(ledger, step)


# -- enforcement measures (N13, N9, N10) ----------------------------------------------


def record_measure(ledger: Ledger, afm: str, measure: str, items: Sequence[str], reference: str,
                   on: date | None) -> dict[str, Any]:
    """N13: record a measure on the items named PERIOD:KIND (or FUND:PERIOD:KIND);
    refused with the reason where the rules forbid it."""
    afm = valid_afm(afm, "afm")
    if measure not in MEASURES:
        raise BadInput("--measure", f"{measure!r} is not one of {', '.join(MEASURES)}")
    if not items:
        raise BadInput("--items", "a measure names at least one item (PERIOD:KIND)")

    def step(uow: UnitOfWork) -> dict[str, Any]:
        lookups = UnitLookups(uow)
        debtor = lookups.debtor(afm)
        day = effective_date(uow, on)
        text = inputs.text(reference, "--reference", "reference", uow.settings.limits)
        arrangements = views._arrangements_as_of(lookups, debtor, day)
        standing = views.standing_of(lookups, debtor, arrangements, day)
        item_ids = [i for name in items for i in named_items(standing.rows, name)]
        for item_id in item_ids:
            refusal = enforcement_refusal(standing, uow.settings.notices, item_id)
            if refusal is not None:
                raise NotAllowed("--items", refusal)
        measure_id = debtor.record_measure(measure, item_ids, text, day)
        names = {r["item_id"]: item_name(r) for r in standing.rows}
        return {"id": measure_id, "afm": afm, "measure": measure, "items": [names[i] for i in item_ids],
                "reference": text, "recorded_on": day}

    return committed(ledger, step)


def named_items(rows: Sequence[dict[str, Any]], name: str) -> list[str]:
    """The items ``PERIOD:KIND`` (of every fund) or ``FUND:PERIOD:KIND`` names."""
    parts = name.strip().split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise BadInput("--items", f"{name!r} is not PERIOD:KIND or FUND:PERIOD:KIND")
    fund = parts[0] if len(parts) == 3 else None
    period, kind = parts[-2:]
    found = [r["item_id"] for r in rows
             if (r["period"], r["kind"]) == (period, kind) and fund in (None, r["fund"])]
    if not found:
        raise BadInput("--items", f"the debtor has no item {name}")
    return found


def lift_measure(ledger: Ledger, measure_id: str, reason: str | None, on: date | None) -> dict[str, Any]:
    """N9/N10: an operator lifts a measure, with the reason."""
    afm = measure_id.split("-")[1] if measure_id.count("-") == 2 else ""

    def step(uow: UnitOfWork) -> dict[str, Any]:
        debtor = uow.get(Debtor, Debtor.create_id(afm)) if afm.isdigit() and len(afm) == 9 else None
        if debtor is None or measure_id not in debtor.measures:
            raise NotFound("MEASURE_ID", f"no measure {measure_id}")
        why = reason_of(uow, reason)
        day = effective_date(uow, on)
        debtor.lift_measure(measure_id, why, day)
        return {"id": measure_id, "afm": debtor.afm, "lifted_on": day, "reason": why}

    return committed(ledger, step)


def lift_on_joining(uow: UnitOfWork, debtor: Debtor, arrangement: Arrangement, day: date) -> None:
    """N9/N10: joining a scheme that lifts some measures (covid-650: garnishments)
    lifts those imposed up to the joining date on the items it takes in."""
    lifted = uow.settings.scheme(arrangement.scheme).lifts_on_joining
    held = set(arrangement.item_ids)
    for measure_id, m in debtor.measures.items():
        if (m["measure"] in lifted and m["lifted_on"] is None and m["recorded_on"] <= day
                and held.intersection(m["item_ids"])):
            debtor.lift_measure(measure_id, f"joined arrangement {arrangement.payment_code} (N9)", day)
