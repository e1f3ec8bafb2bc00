"""The audit trail (interfaces §1.1 ``audit``): the event history of an arrangement, a
debtor (with its arrangements, notices and declarations), a notice or an ΑΠΔ, in ledger
order; replayed from the events here, read from the audit read model by
``projections.reader`` through the same ``audited_ids`` and ``audit_entry``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from aggregates.declaration import Declaration
from aggregates.events import event_name, payload_of
from aggregates.notice import PREFIXES, Notice
from ledger.errors import NotFound
from ledger.lookups import EventLog, Lookups


def audit(log: EventLog, ref: str) -> list[dict[str, Any]]:
    """The event history of an arrangement (id or payment code) or of a
    debtor (ΑΦΜ: the debtor, its arrangements and its notices), or of a notice (its
    number), in ledger order."""
    ids = audited_ids(log, ref)
    return list(audit_entries(log, ids))


def audited_ids(lookups: Lookups, ref: str) -> set[UUID]:
    """The aggregates of an audit trail: an arrangement's (id or payment code), a
    debtor's (ΑΦΜ) with its arrangements' and notices', or a notice's (its number)."""
    if ref.isdigit() and len(ref) == 9:
        debtor = lookups.debtor(ref)
        return {debtor.id, *(UUID(i) for i in debtor.arrangement_ids),
                *(Notice.create_id(n) for n in debtor.notice_numbers),
                *(Declaration.create_id(i) for i in lookups.declarations_of(debtor))}
    if ref.startswith(tuple(f"{p}-" for p in PREFIXES.values())):
        return {lookups.notice(ref).id}
    try:
        return {lookups.arrangement(ref).id}
    except NotFound:
        if lookups.declared(ref):  # an ΑΠΔ's, by its submission id (K1)
            return {Declaration.create_id(ref)}
        raise


def audit_entries(log: EventLog, ids: set[UUID]) -> Iterable[dict[str, Any]]:
    for notification in log.notifications():
        if notification.originator_id not in ids:
            continue
        event = log.mapper.to_domain_event(notification)
        yield audit_entry(notification.id, event_name(event), str(event.originator_id), event.originator_version,
                          getattr(event, "business_date", None), event.timestamp, vars(event))


def audit_entry(position: int, kind: str, aggregate_id: str, version: int, business_date: date | None,
                recorded_at: datetime, state: Mapping[str, Any]) -> dict[str, Any]:
    """One row of an audit trail (interfaces §1.1), from an event's stored state."""
    return {"position": position, "type": kind, "aggregate_id": aggregate_id, "version": version,
            "business_date": business_date, "recorded_at": recorded_at, "payload": payload_of(state)}
