"""Refund orders out to the paying banks (εντολές επιστροφής), ``keao.refunds``
(interfaces §2.6): every ``RefundOrdered`` (a payment in suspense, O2) and
``CreditRefunded`` (a debtor's credit, O5), in ledger order, at least once, by the
ledger's publisher (``consumers.publisher.EventPublisher``), ``refund_id`` the same
on every re-send."""

from __future__ import annotations

from eventsourcing.persistence import Notification

from aggregates.debtor import Debtor
from aggregates.payment import BankPayment
from consumers.messages import RefundOrderMessage
from ledger.application import Ledger

REFUND_EVENTS = (BankPayment.RefundOrdered.TOPIC, Debtor.CreditRefunded.TOPIC)


def refund_message(ledger: Ledger, notification: Notification) -> RefundOrderMessage:
    """The refund order an event records, with what its aggregate says of the payer."""
    event = ledger.mapper.to_domain_event(notification)
    common = {"refund_id": event.refund_id, "amount": event.amount, "iban": event.iban, "reason": event.reason,
              "ordered_on": event.business_date, "actor": getattr(event, "actor", None)}
    if isinstance(event, BankPayment.RefundOrdered):
        fields = ledger.repository.get(event.originator_id, version=event.originator_version).fields
        return RefundOrderMessage(source="suspense", afm=fields["payer_afm"] or None, tx_id=fields["tx_id"],
                                  bank=fields["bank"], **common)
    debtor = ledger.repository.get(event.originator_id, version=event.originator_version)
    return RefundOrderMessage(source="credit", afm=debtor.afm, **common)
