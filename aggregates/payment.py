"""Bank payments (τραπεζικές πληρωμές) and the suspense account, §5.

Each bank transaction is its own aggregate, identified by bank and
transaction id, so that the same payment received twice is applied once (P5)
by the event store's own uniqueness, in the same transaction that applies it.

Its suspense *items* (``items``, O2): one transaction has at most one open item,
however many times the bank sent it again with other content (each a version in
its history); an operator resolves the item once, all its versions with it. A
version received after that opens a new item, which an assignment or a refund
cannot take (the transaction was resolved once) but a dismissal can.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.errors import NotAllowed
from aggregates.events import PinnedTopic
from aggregates.wording import N_

PAYMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/bank-payment")


class BankPayment(Aggregate):
    TOPIC = "keao:BankPayment"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Received(Event, Aggregate.Created):
        """P1: the payment as the bank reported it; P2: with ``target`` and
        ``target_id`` when its reference routed it as it arrived (one event where
        there were two, ``Received`` then ``Routed``; those already recorded
        replay as before, these fields None)."""

        tx_id: str
        bank: str
        amount: Decimal
        currency: str
        value_date: date
        reference: str
        payer_afm: str | None
        target: str | None = None
        target_id: str | None = None
        form: str | None = None  # G10; None in payments recorded before forms

    class ReceivedUnreadable(Event, Aggregate.Created):
        """P5/§2.4: a message that could not even be read is kept, bytes and all."""

        source: str
        raw: str
        reason: str

    class Routed(Event):
        """P2: the reference named an arrangement or a debtor that owes. Recorded
        separately before the routing went into ``Received``; kept to replay those."""

        target: str
        target_id: str

        def apply(self, payment: BankPayment) -> None:
            payment.status = "applied"
            payment.target = self.target
            payment.target_id = self.target_id

    class Suspended(Event):
        """P5: kept in the suspense account, with the reason, never dropped."""

        reason: str

        def apply(self, payment: BankPayment) -> None:
            payment.status = "suspense"
            payment.reason = self.reason
            payment.items = [*payment.items, new_item(0, self.reason, True, self.originator_version)]

    class RecallUnmatched(Event, Aggregate.Created):
        """O3: a bank's recall of a payment the ledger does not hold, or holds already
        recalled: kept in suspense with the reason (``reason``), the bank's in ``recall_reason``."""

        tx_id: str
        bank: str
        value_date: date
        reason: str
        recall_reason: str

    class Assigned(Event):
        """O2: an operator sent a payment in suspense to an arrangement or a debtor
        (``reference``: as the operator named it); applied as of its value date."""

        target: str
        target_id: str
        reference: str
        reason: str

        def apply(self, payment: BankPayment) -> None:
            payment.status = "applied"
            payment.target = self.target
            payment.target_id = self.target_id
            payment.close_item("assigned", self.reference, self)

    class RefundOrdered(Event):
        """O2: an operator ordered a payment in suspense paid back to the payer."""

        refund_id: str
        iban: str
        amount: Decimal
        reason: str

        def apply(self, payment: BankPayment) -> None:
            payment.status = "refunded"
            payment.close_item("refunded", None, self)

    class Recalled(Event):
        """O3: the bank took the payment back; what it paid is undone, as of its value date."""

        reason: str

        def apply(self, payment: BankPayment) -> None:
            if payment.status == "suspense":  # nothing was applied: the recall resolves it
                payment.close_item("recalled", None, self)
            payment.status = "recalled"

    class ConflictingDuplicate(Event):
        """P5: the same transaction id came again with different content, as recorded
        before ``ReceivedAgain``: a version in the history, the payment's content unchanged
        (an assignment then took the first version); replayed as then."""

        content: dict[str, Any]
        reason: str

        def apply(self, payment: BankPayment) -> None:
            payment.add_version(self.content, self.reason, self)

    class ReceivedAgain(Event):
        """P5: the same transaction id came again with different content: a version in
        the history of its one open item (O2). While the payment waits in suspense the
        bank's latest version is its content, the one an assignment or a refund takes."""

        content: dict[str, Any]
        reason: str

        def apply(self, payment: BankPayment) -> None:
            if payment.status == "suspense":
                payment.fields = {**self.content}
            payment.add_version(self.content, self.reason, self)

    class Dismissed(Event):
        """O2, P5: an operator closed an item of versions received again of a transaction
        applied, refunded or recalled already: the same bank transaction, applied once;
        nothing is applied nor refunded."""

        reason: str

        def apply(self, payment: BankPayment) -> None:
            payment.close_item("dismissed", None, self)

    def __init__(
        self,
        business_date: date,
        tx_id: str | None = None,
        bank: str | None = None,
        amount: Decimal | None = None,
        currency: str | None = None,
        value_date: date | None = None,
        reference: str | None = None,
        payer_afm: str | None = None,
        source: str | None = None,
        raw: str | None = None,
        reason: str | None = None,
        target: str | None = None,
        target_id: str | None = None,
        recall_reason: str | None = None,
        form: str | None = None,
    ):
        self.fields = {
            "tx_id": tx_id, "bank": bank, "amount": amount, "currency": currency,
            "value_date": value_date, "reference": reference, "payer_afm": payer_afm, "form": form,
        }
        self.source = source
        self.raw = raw
        self.received_on = business_date
        kept = raw is not None or recall_reason is not None  # unreadable, or a recall of nothing (O3)
        self.status = "suspense" if kept else "applied" if target is not None else "received"
        self.reason = reason
        self.recall_reason = recall_reason
        self.target: str | None = target
        self.target_id: str | None = target_id
        self.first = self.fields  # P1: the first version, as received (``fields`` may take a later one)
        self.resent: list[dict[str, Any]] = []  # P5: the later versions, each with when and why
        # O2: its suspense items, the last one open or none; kept in suspense from the start, one
        self.items: list[dict[str, Any]] = [new_item(0, reason, True, 1)] if kept else []

    @staticmethod
    @lru_cache(maxsize=16_384)
    def create_id(bank: str, tx_id: str) -> UUID:
        return uuid5(PAYMENT_NAMESPACE, f"{bank}/{tx_id}")  # remembered: a batch names each payment twice

    @classmethod
    def receive(
        cls,
        tx_id: str,
        bank: str,
        amount: Decimal,
        currency: str,
        value_date: date,
        reference: str,
        payer_afm: str | None,
        business_date: date,
        target: str | None = None,
        target_id: str | None = None,
        form: str | None = None,
    ) -> BankPayment:
        """P1; with ``target`` and ``target_id`` (P2), received and routed at once; G10: its ``form``."""
        return cls._create(
            cls.Received,
            id=cls.create_id(bank, tx_id),
            tx_id=tx_id,
            bank=bank,
            amount=amount,
            currency=currency,
            value_date=value_date,
            reference=reference,
            payer_afm=payer_afm,
            business_date=business_date,
            target=target,
            target_id=target_id,
            form=form,
        )

    @staticmethod
    def unreadable_id(source: str) -> UUID:
        return uuid5(PAYMENT_NAMESPACE, f"unreadable/{source}")

    @classmethod
    def receive_unreadable(cls, source: str, raw: str, reason: str, business_date: date) -> BankPayment:
        return cls._create(
            cls.ReceivedUnreadable,
            id=cls.unreadable_id(source),
            source=source,
            raw=raw,
            reason=reason,
            business_date=business_date,
        )

    @staticmethod
    def unmatched_recall_id(bank: str, tx_id: str) -> UUID:
        return uuid5(PAYMENT_NAMESPACE, f"recall/{bank}/{tx_id}")

    @classmethod
    def receive_unmatched_recall(cls, tx_id: str, bank: str, value_date: date, reason: str, recall_reason: str,
                                 business_date: date) -> BankPayment:
        return cls._create(cls.RecallUnmatched, id=cls.unmatched_recall_id(bank, tx_id), tx_id=tx_id, bank=bank,
                           value_date=value_date, reason=reason, recall_reason=recall_reason,
                           business_date=business_date)

    def assign(self, target: str, target_id: str, reference: str, reason: str, business_date: date) -> None:
        self.must_wait_in_suspense()
        self.trigger_event(self.Assigned, target=target, target_id=target_id, reference=reference, reason=reason,
                           business_date=business_date)

    def order_refund(self, refund_id: str, iban: str, reason: str, business_date: date) -> None:
        self.must_wait_in_suspense()
        self.trigger_event(self.RefundOrdered, refund_id=refund_id, iban=iban, amount=self.fields["amount"],
                           reason=reason, business_date=business_date)

    def recall(self, reason: str, business_date: date) -> None:
        self.trigger_event(self.Recalled, reason=reason, business_date=business_date)

    def must_wait_in_suspense(self) -> None:
        """O2: only a payment in suspense, with an amount in EUR, is resolved by an operator."""
        if self.status != "suspense":
            resent = "; what was received again of it can be dismissed" if self.open_item else ""
            raise NotAllowed("TX_ID", f"payment {self.fields['tx_id']} is not in suspense: it is {self.status}"
                                      f"{resent} (O2)")
        if self.raw is not None or self.recall_reason is not None:
            raise NotAllowed("TX_ID", f"{self.reason}: no payment to assign or refund (O2)")
        amount = self.fields["amount"]
        if self.fields["currency"] != "EUR" or amount is None or amount <= 0:
            raise NotAllowed("TX_ID", f"payment {self.fields['tx_id']} is not an amount in EUR over zero (P5, O2)")

    def route(self, target: str, target_id: str, business_date: date) -> None:
        self.trigger_event(self.Routed, target=target, target_id=target_id, business_date=business_date)

    def suspend(self, reason: str, business_date: date) -> None:
        self.trigger_event(self.Suspended, reason=reason, business_date=business_date)

    def knows(self, content: dict[str, Any]) -> bool:
        """P5: ``content`` is one of the versions received already."""
        return any(all(version.get(name) == value for name, value in content.items())
                   for version in (self.first, *self.resent))

    def receive_again(self, content: dict[str, Any], business_date: date) -> str:
        """P5: a version not received before; its reason, which says what the operator can do (O2)."""
        if self.knows(content):
            raise NotAllowed("tx_id", f"payment {self.fields['tx_id']}: this version was received already (P5)")
        reason = RESENT if self.status == "suspense" else RESENT_AFTER.get(self.status, RESENT)
        self.trigger_event(self.ReceivedAgain, content=dict(content), reason=reason, business_date=business_date)
        return reason

    def dismiss(self, reason: str, business_date: date) -> None:
        """O2, P5: the open item of versions received again of a transaction resolved already."""
        item = self.open_item
        if item is None:
            raise NotAllowed("TX_ID", f"payment {self.fields['tx_id']} has nothing in suspense (O2)")
        if item["holds"]:
            raise NotAllowed("TX_ID", f"payment {self.fields['tx_id']} is itself in suspense: assign or refund it "
                                      "(O2); only what was received again of a resolved one is dismissed (P5)")
        self.trigger_event(self.Dismissed, reason=reason, business_date=business_date)

    @property
    def open_item(self) -> dict[str, Any] | None:
        return self.items[-1] if self.items and self.items[-1]["resolution"] is None else None

    @property
    def versions(self) -> list[dict[str, Any]]:
        """Every version received, in order, with when (``received_on``) and why it was kept (``reason``)."""
        return [{**self.first, "received_on": self.received_on, "reason": self.reason}, *self.resent]

    def add_version(self, content: dict[str, Any], reason: str, event: BankPayment.Event) -> None:
        """P5: a later version in the history; it opens an item when none is open (O2)."""
        self.resent = [*self.resent, {**content, "received_on": event.business_date, "reason": reason}]
        if self.open_item is None:
            self.items = [*self.items, new_item(len(self.resent), reason, False, event.originator_version)]

    def close_item(self, how: str, target: str | None, event: BankPayment.Event) -> None:
        """O2: the open item resolved, every version received until now with it."""
        item = self.open_item
        assert item is not None  # resolutions are of an open item (``must_wait_in_suspense``, ``dismiss``)
        resolution = {"resolution": how, "target": target, "resolved_on": event.business_date}
        self.items = [*self.items[:-1], {**item, "until": len(self.resent) + 1, "resolution": resolution,
                                         "resolved": event.originator_version}]


RESENT = N_("same bank transaction id received again with different content (P5)")
RESENT_AFTER = {  # the item an operator dismisses (O2)
    "applied": N_("same bank transaction id received again with different content (P5); "
                  "the payment was applied already (O2)"),
    "refunded": N_("same bank transaction id received again with different content (P5); "
                   "the payment was refunded already (O2)"),
    "recalled": N_("same bank transaction id received again with different content (P5); "
                   "the payment was recalled already (O2)"),
}


def new_item(first: int, reason: str | None, holds: bool, opened: int) -> dict[str, Any]:
    """A suspense item (O2): its versions from ``first`` (0: the first received) until
    ``until`` (set when resolved); ``holds``: the payment itself waits in it (else only
    versions received again); ``opened`` and ``resolved``: the aggregate versions of the
    events that opened and resolved it."""
    return {"first": first, "until": None, "holds": holds, "reason": reason, "opened": opened,
            "resolution": None, "resolved": None}
