"""Bank payments (τραπεζικές πληρωμές) and the suspense account, §5.

Each bank transaction is its own aggregate, identified by bank and
transaction id, so that the same payment received twice is applied once (P5)
by the event store's own uniqueness, in the same transaction that applies it.
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
            payment.resolution = {"resolution": "assigned", "target": self.reference, "resolved_on": self.business_date}

    class RefundOrdered(Event):
        """O2: an operator ordered a payment in suspense paid back to the payer."""

        refund_id: str
        iban: str
        amount: Decimal
        reason: str

        def apply(self, payment: BankPayment) -> None:
            payment.status = "refunded"
            payment.resolution = {"resolution": "refunded", "target": None, "resolved_on": self.business_date}

    class Recalled(Event):
        """O3: the bank took the payment back; what it paid is undone, as of its value date."""

        reason: str

        def apply(self, payment: BankPayment) -> None:
            if payment.status == "suspense":  # nothing was applied: the recall resolves it
                payment.resolution = {"resolution": "recalled", "target": None, "resolved_on": self.business_date}
            payment.status = "recalled"

    class ConflictingDuplicate(Event):
        """The same transaction id came again with different content."""

        content: dict[str, Any]
        reason: str

        def apply(self, payment: BankPayment) -> None:
            payment.conflicts = [*payment.conflicts, {**self.content, "reason": self.reason}]

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
    ):
        self.fields = {
            "tx_id": tx_id, "bank": bank, "amount": amount, "currency": currency,
            "value_date": value_date, "reference": reference, "payer_afm": payer_afm,
        }
        self.source = source
        self.raw = raw
        self.received_on = business_date
        kept = raw is not None or recall_reason is not None  # unreadable, or a recall of nothing (O3)
        self.status = "suspense" if kept else "applied" if target is not None else "received"
        self.reason = reason
        self.recall_reason = recall_reason
        self.resolution: dict[str, Any] | None = None  # O2: how an operator resolved it
        self.target: str | None = target
        self.target_id: str | None = target_id
        self.conflicts: list[dict[str, Any]] = []

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
    ) -> BankPayment:
        """P1; with ``target`` and ``target_id`` (P2), received and routed at once."""
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
            raise NotAllowed("TX_ID", f"payment {self.fields['tx_id']} is not in suspense: it is {self.status} (O2)")
        if self.raw is not None or self.recall_reason is not None:
            raise NotAllowed("TX_ID", f"{self.reason}: no payment to assign or refund (O2)")
        amount = self.fields["amount"]
        if self.fields["currency"] != "EUR" or amount is None or amount <= 0:
            raise NotAllowed("TX_ID", f"payment {self.fields['tx_id']} is not an amount in EUR over zero (P5, O2)")

    def route(self, target: str, target_id: str, business_date: date) -> None:
        self.trigger_event(self.Routed, target=target, target_id=target_id, business_date=business_date)

    def suspend(self, reason: str, business_date: date) -> None:
        self.trigger_event(self.Suspended, reason=reason, business_date=business_date)

    def same_as(self, content: dict[str, Any]) -> bool:
        return all(self.fields.get(name) == value for name, value in content.items())

    def note_conflict(self, content: dict[str, Any], business_date: date) -> None:
        reason = N_("same bank transaction id received again with different content (P5)")
        self.trigger_event(self.ConflictingDuplicate, content=dict(content), reason=reason, business_date=business_date)
