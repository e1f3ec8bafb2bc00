"""Issued notices out to the print and e-mail services (ειδοποιήσεις), ``keao.notices``
(interfaces §2.6): every ``Notice.Issued`` (N2, N6), in ledger order, at least once, by
the ledger's publisher (``consumers.publisher.EventPublisher``), ``notice_id`` the same
on every re-send."""

from __future__ import annotations

from eventsourcing.persistence import Notification

from aggregates.notice import Notice
from consumers.messages import NoticeMessage
from ledger import notice_views
from ledger.application import Ledger

NOTICE_EVENTS = (Notice.Issued.TOPIC,)


def notice_message(ledger: Ledger, notification: Notification) -> NoticeMessage:
    """The notice an ``Issued`` event records, as ``show notices`` words it."""
    event = ledger.mapper.to_domain_event(notification)
    notice = ledger.repository.get(event.originator_id, version=event.originator_version)
    view = notice_views.notice_json(notice, ledger.settings.notices)
    return NoticeMessage(notice_id=view["id"], kind=view["kind"], afm=view["afm"], name=view["name"],
                         service=view["service"], identity_code=view["identity_code"], issued_on=view["issued_on"],
                         items=view["items"], total=view["total"], period_days=view["period_days"],
                         fund=view["fund"], actor=getattr(event, "actor", None))
