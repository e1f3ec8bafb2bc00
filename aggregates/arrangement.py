"""The arrangement aggregate (Ρύθμιση οφειλών), A1–A2, §5 and §7.

It records what the scheme decided at application and then, whenever the
ledger's business date moves or a payment arrives, the facts its timeline
gives (what fell due, was paid, missed, surcharged, lost), correcting earlier
facts with new events when a backdated payment changes them (E2).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates import facts, history, resume
from aggregates.errors import RejectedTakesNoPayments
from aggregates.events import PinnedTopic, event_name
from aggregates.facts import fact_content
from aggregates.money import ZERO
from aggregates.schemes.base import (
    ApplicationForm,
    CapitalLine,
    Grant,
    OpenItem,
    Plan,
    Rejection,
    Scheme,
)
from aggregates.status import Status
from aggregates.surcharges import SurchargeRules
from aggregates.timeline import Instalment, Receipt

ARRANGEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/arrangement")


class Arrangement(Aggregate):
    TOPIC = "keao:Arrangement"
    channel: ClassVar[str] = "service"  # W9: defaults for arrangements snapshotted before it was recorded
    account: ClassVar[str | None] = None

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Applied(Event, Aggregate.Created):
        """The application, as filed (A1), with the scheme's options."""

        debtor_afm: str
        scheme: str
        applied_on: date
        requested_instalments: int | None
        options: dict[str, Any]
        payment_code: str
        # W9: filed at a KEAO ``service`` or ``online`` with the debtor's account; events
        # recorded before W9 lack both (``__init__``'s defaults: at a service).
        channel: str
        account: str | None

    class Rejected(Event):
        reason: str

        def apply(self, arrangement: Arrangement) -> None:
            arrangement.status = Status.REJECTED.value
            arrangement.rejection_reason = self.reason

    class Capitalised(Event):
        """C4/ND4: the debts and their surcharges frozen into the capital."""

        capitalised_on: date
        lines: list[dict[str, Any]]
        capital: Decimal

        def apply(self, arrangement: Arrangement) -> None:
            arrangement.capitalised_on = self.capitalised_on
            arrangement.capital_lines = [dict(line) for line in self.lines]

    class Suspended(Event):
        """ND3: current debts whose payment is suspended join the arrangement."""

        item_ids: list[str]
        principal: Decimal
        until: date

        def apply(self, arrangement: Arrangement) -> None:
            arrangement.status = Status.SUSPENDED.value
            arrangement.suspended_until = self.until
            arrangement.suspended_item_ids = [*arrangement.suspended_item_ids, *self.item_ids]
            arrangement.suspended_principal += self.principal

    class Scheduled(Event):
        """The instalment plan (C3, C5, C6, ND5, ND6, S1)."""

        instalments: list[dict[str, Any]]
        starts_on: date
        needs_first_payment: bool

        def apply(self, arrangement: Arrangement) -> None:
            arrangement.instalments = [dict(i) for i in self.instalments]
            arrangement.starts_on = self.starts_on
            arrangement.needs_first_payment = self.needs_first_payment
            arrangement.status = (Status.APPLIED if self.needs_first_payment else Status.ACTIVE).value

    class FactEvent(Event):
        """An event the timeline derives; ``key`` indexes it for corrections."""

        key: str

        def apply(self, arrangement: Arrangement) -> None:
            # O6: the accounts follow; only a reallocation (E2) finds its payment among the archived
            resume.record_fact(arrangement, self.key, fact_content(self), type(self) is arrangement.Reallocated)
            self.follow(arrangement)

        @classmethod
        def fact_kind(cls) -> str:
            return event_name(cls)

        def follow(self, arrangement: Arrangement) -> None:
            """How the fact changes the arrangement's status."""

    class InstalmentDue(FactEvent):
        number: int

    class InstalmentMissed(FactEvent):
        number: int

    class SurchargeAccrued(FactEvent):
        """ND7/L1: a month of delay started; ``number`` None is the lost balance."""

        number: int | None
        month_starts_on: date
        amount: Decimal

    class Paid(FactEvent):
        """P3: a payment and how it was allocated; the rest stays as credit."""

        tx_id: str
        value_date: date
        amount: Decimal
        allocation: list[dict[str, Any]]
        credit: Decimal

        def follow(self, arrangement: Arrangement) -> None:
            entry = {"tx_id": self.tx_id, "value_date": self.value_date, "amount": self.amount}
            history.add_receipt(arrangement, self.key, entry)

    class Activated(FactEvent):
        def follow(self, arrangement: Arrangement) -> None:
            arrangement.status = Status.ACTIVE.value

    class Lapsed(FactEvent):
        unpaid_instalment: int

        def follow(self, arrangement: Arrangement) -> None:
            arrangement.status = Status.LAPSED.value

    class Lost(FactEvent):
        reason: str
        balance: Decimal

        def follow(self, arrangement: Arrangement) -> None:
            arrangement.status = Status.LOST.value

    class PaidOff(FactEvent):
        """C7: early payoff of the remaining capital, future interest waived."""

        amount: Decimal

    class Completed(FactEvent):
        def follow(self, arrangement: Arrangement) -> None:
            arrangement.status = Status.COMPLETED.value

    class Reallocated(FactEvent):
        """E2: a backdated payment changed how this payment is allocated."""

        tx_id: str
        value_date: date
        amount: Decimal
        allocation: list[dict[str, Any]]
        credit: Decimal

        @classmethod
        def fact_kind(cls) -> str:
            return "Paid"

    class Correction(Event):
        """E2: a fact recorded earlier that the truth no longer holds."""

        key: str
        effective_on: date

        def apply(self, arrangement: Arrangement) -> None:
            resume.take_back(arrangement, self.key, self.business_date)
            arrangement.status = facts.status_from_facts(arrangement)

    class MissCorrected(Correction):
        pass

    class SurchargeReversed(Correction):
        amount: Decimal

    class LapseReversed(Correction):
        pass

    class LossReversed(Correction):
        pass

    class ActivationReversed(Correction):
        """O3: without a recalled payment the arrangement was never activated."""

    class PayoffReversed(Correction):
        pass

    class CompletionReversed(Correction):
        pass

    class PaymentRecalled(Correction):
        """O3: the bank recalled this payment: what it paid is unpaid again, as of its
        value date (``effective_on``); the corrections that follow say what that changes."""

        def apply(self, arrangement: Arrangement) -> None:
            history.pop_receipt(arrangement, self.key)
            super().apply(arrangement)

    def __init__(
        self,
        debtor_afm: str,
        scheme: str,
        applied_on: date,
        requested_instalments: int | None,
        options: dict[str, Any],
        payment_code: str,
        business_date: date,
        channel: str = "service",
        account: str | None = None,
    ):
        self.debtor_afm = debtor_afm
        self.channel = channel
        self.account = account
        self.scheme = scheme
        self.applied_on = applied_on
        self.requested_instalments = requested_instalments
        self.options = dict(options)
        self.payment_code = payment_code
        self.status: str = Status.APPLIED.value
        self.rejection_reason: str | None = None
        self.capitalised_on: date | None = None
        self.capital_lines: list[dict[str, Any]] = []
        self.suspended_item_ids: list[str] = []
        self.suspended_principal = ZERO
        self.suspended_until: date | None = None
        self.instalments: list[dict[str, Any]] = []
        self.starts_on: date | None = None
        self.needs_first_payment = True
        # O6: the latest payments' receipts and Paid facts, the older ones packed (``aggregates.history``)
        self.receipts: dict[str, dict[str, Any]] = {}
        self.facts: dict[str, dict[str, Any]] = {}

    @staticmethod
    def create_id(payment_code: str) -> UUID:
        """C10: the payment code routes to the arrangement without an index."""
        return uuid5(ARRANGEMENT_NAMESPACE, payment_code)

    @classmethod
    def id_of(cls, ref: str) -> UUID:
        """The arrangement named by its id or by its payment code (C10), as written."""
        try:
            return UUID(ref)
        except ValueError:
            return cls.create_id(ref.replace(" ", "").upper())

    # -- commands --------------------------------------------------------------

    @classmethod
    def apply_for(
        cls,
        scheme: Scheme,
        form: ApplicationForm,
        payment_code: str,
        items: Sequence[OpenItem],
        surcharges: SurchargeRules,
        rejection: str | None = None,
        channel: str = "service",
        account: str | None = None,
    ) -> Arrangement:
        """A1: record the application, then the scheme's decision on it; W9: filed at a
        service or online, from the debtor's account."""
        arrangement = cls._create(
            cls.Applied,
            id=cls.create_id(payment_code),
            debtor_afm=form.afm,
            scheme=scheme.name,
            applied_on=form.applied_on,
            requested_instalments=form.requested_instalments,
            options=dict(form.options),
            payment_code=payment_code,
            business_date=form.applied_on,
            channel=channel,
            account=account,
        )
        try:
            if rejection:
                raise Rejection(rejection)
            grant = scheme.grant(form, items, surcharges)
            plan = None if grant.suspended_until else scheme.plan(form, grant, ZERO)
        except Rejection as refusal:
            arrangement.trigger_event(cls.Rejected, reason=str(refusal), business_date=form.applied_on)
            return arrangement
        arrangement.trigger_event(
            cls.Capitalised,
            capitalised_on=grant.capitalised_on,
            lines=[line.as_dict() for line in grant.capital_lines],
            capital=grant.capital,
            business_date=form.applied_on,
        )
        if grant.suspended_until:
            by_id = {item.item_id: item for item in items}
            arrangement.suspend([by_id[i] for i in grant.suspended_item_ids], grant.suspended_until, form.applied_on)
        if plan is not None:
            arrangement._schedule(plan, form.applied_on)
        return arrangement

    def suspend(self, items: Sequence[OpenItem], until: date, business_date: date) -> None:
        """ND3: add current items falling due within the suspension."""
        self.trigger_event(
            self.Suspended,
            item_ids=[item.item_id for item in items],
            principal=sum((item.unpaid for item in items), ZERO),
            until=until,
            business_date=business_date,
        )

    def _schedule(self, plan: Plan, business_date: date) -> None:
        self.trigger_event(self.Scheduled, instalments=[i.as_dict() for i in plan.instalments], starts_on=plan.starts_on,
                           needs_first_payment=plan.needs_first_payment, business_date=business_date)

    def settle(
        self,
        scheme: Scheme,
        as_of: date,
        surcharges: SurchargeRules,
        current_items: Sequence[OpenItem] = (),
        new_receipts: Sequence[Receipt] = (),
        recalled: Collection[str] = (),
    ) -> None:
        """E1/E2: record every fact of the timeline up to ``as_of`` not yet
        recorded, and correct recorded facts the timeline no longer gives.

        A new payment is allocated as of its value date (E2, P4) even when that
        is after ``as_of``; the other facts wait for the business date. The
        payments ``recalled`` (O3, by tx id) no longer count, from their value dates.
        """
        if self.status == Status.REJECTED:
            raise RejectedTakesNoPayments()
        receipts = [r for r in new_receipts if not history.has_receipt(self, facts.fact_key(("paid", r.tx_id)))]
        if not recalled and resume.settled(self, scheme, as_of, surcharges, receipts):  # O6: the walk resumed
            return
        as_of, horizon = facts.settle_dates(self, as_of, receipts)
        if self.status == Status.SUSPENDED and self.suspended_until is not None and horizon > self.suspended_until:
            self._fix_suspended_plan(scheme, self.suspended_until)
        gone = {facts.fact_key(("paid", tx_id)) for tx_id in recalled}
        course = facts.course_of(self, scheme, horizon, surcharges, current_items, receipts, gone)
        if course is None:
            # ND3: while suspended a payment is held as credit until the plan is fixed.
            for receipt in receipts:
                facts.record_as_credit(self, receipt)
            facts.recall_held(self, gone, as_of)
            return
        facts.record_course(self, course, as_of)

    def _fix_suspended_plan(self, scheme: Scheme, suspended_until: date) -> None:
        """ND5: n and the schedule are fixed when the suspension ends."""
        form = self.form()
        plan = scheme.plan(form, self.grant(), self.suspended_principal)
        self._schedule(plan, max(suspended_until, self.applied_on))

    # -- queries ---------------------------------------------------------------

    def paid_receipt(self, tx_id: str) -> dict[str, Any] | None:
        """The payment ``tx_id`` as this arrangement recorded it (None: not paid here)."""
        return history.receipt(self, facts.fact_key(("paid", tx_id)))

    def form(self) -> ApplicationForm:
        return ApplicationForm(self.debtor_afm, self.applied_on, self.requested_instalments, dict(self.options))

    def grant(self) -> Grant:
        return Grant(
            capitalised_on=self.capitalised_on or self.applied_on,
            capital_lines=tuple(CapitalLine(**line) for line in self.capital_lines),
            suspended_item_ids=tuple(self.suspended_item_ids),
            suspended_until=self.suspended_until,
        )

    def plan(self) -> Plan | None:
        if not self.instalments:
            return None
        assert self.starts_on is not None
        return Plan(tuple(Instalment.from_dict(i) for i in self.instalments), self.starts_on, self.needs_first_payment)

    @property
    def capital(self) -> Decimal:
        return self.grant().capital + self.suspended_principal

    @property
    def item_ids(self) -> list[str]:
        return [line["item_id"] for line in self.capital_lines] + list(self.suspended_item_ids)
