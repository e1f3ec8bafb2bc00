"""The arrangement aggregate (Ρύθμιση οφειλών), A1–A2, §5 and §7.

It records what the scheme decided at application and then, whenever the
ledger's business date moves or a payment arrives, the facts its timeline
gives (what fell due, was paid, missed, surcharged, lost), correcting earlier
facts with new events when a backdated payment changes them (E2).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.calendar import add_months, months_between
from aggregates.events import PinnedTopic, event_name
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
from aggregates.surcharges import SurchargeRules
from aggregates.timeline import ONE_DAY, Course, Fact, Instalment, Receipt, Terms, run

ARRANGEMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/arrangement")

LIVE = ("applied", "suspended", "active")
# Facts that a later input can take back, and the event that records it (E2).
REVERSAL = {
    "InstalmentMissed": "MissCorrected",
    "SurchargeAccrued": "SurchargeReversed",
    "Lapsed": "LapseReversed",
    "Lost": "LossReversed",
}
# Facts that stay as recorded when a backdated payment ends the arrangement
# before them: an instalment that fell due and is now paid needs no correction.
KEPT_WHEN_GONE = ("InstalmentDue",)
# Facts whose recorded content must follow the truth (beyond existing at all).
CONTENT_TRACKED = ("Paid", "SurchargeAccrued", "Lost")


# What a recorded fact keeps of its event (``FactEvent.content``), and each fact
# event class's kind, remembered: every event of an arrangement is applied on
# every load (the close of day's profile: 4% of it).
_NOT_CONTENT = frozenset({"originator_id", "originator_version", "timestamp", "key"})
_FACT_KINDS: dict[type, str] = {}


def fact_key(key: tuple[Any, ...]) -> str:
    """Facts are indexed by a string so that the state stays JSON (snapshots)."""
    return ":".join("" if part is None else str(part) for part in key)


class Arrangement(Aggregate):
    TOPIC = "keao:Arrangement"

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

    class Rejected(Event):
        reason: str

        def apply(self, arrangement: Arrangement) -> None:
            arrangement.status = "rejected"
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
            arrangement.status = "suspended"
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
            arrangement.status = "applied" if self.needs_first_payment else "active"

    class FactEvent(Event):
        """An event the timeline derives; ``key`` indexes it for corrections."""

        key: str

        def apply(self, arrangement: Arrangement) -> None:
            arrangement.facts[self.key] = self.content()
            self.follow(arrangement)

        def content(self) -> dict[str, Any]:
            content = self.__dict__.copy()  # then the few names left out: cheaper than a filtered copy
            for name in _NOT_CONTENT:
                content.pop(name, None)
            cls = type(self)
            kind = _FACT_KINDS.get(cls)
            if kind is None:
                kind = _FACT_KINDS[cls] = cls.fact_kind()
            content["kind"] = kind
            return content

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
            if self.key not in arrangement.receipts:
                arrangement.receipts[self.key] = {
                    "tx_id": self.tx_id,
                    "value_date": self.value_date,
                    "amount": self.amount,
                }

    class Activated(FactEvent):
        def follow(self, arrangement: Arrangement) -> None:
            arrangement.status = "active"

    class Lapsed(FactEvent):
        unpaid_instalment: int

        def follow(self, arrangement: Arrangement) -> None:
            arrangement.status = "lapsed"

    class Lost(FactEvent):
        reason: str
        balance: Decimal

        def follow(self, arrangement: Arrangement) -> None:
            arrangement.status = "lost"

    class PaidOff(FactEvent):
        """C7: early payoff of the remaining capital, future interest waived."""

        amount: Decimal

    class Completed(FactEvent):
        def follow(self, arrangement: Arrangement) -> None:
            arrangement.status = "completed"

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
            arrangement.facts.pop(self.key, None)
            arrangement.status = arrangement.status_from_facts()

    class MissCorrected(Correction):
        pass

    class SurchargeReversed(Correction):
        amount: Decimal

    class LapseReversed(Correction):
        pass

    class LossReversed(Correction):
        pass

    def __init__(
        self,
        debtor_afm: str,
        scheme: str,
        applied_on: date,
        requested_instalments: int | None,
        options: dict[str, Any],
        payment_code: str,
        business_date: date,
    ):
        self.debtor_afm = debtor_afm
        self.scheme = scheme
        self.applied_on = applied_on
        self.requested_instalments = requested_instalments
        self.options = dict(options)
        self.payment_code = payment_code
        self.status = "applied"
        self.rejection_reason: str | None = None
        self.capitalised_on: date | None = None
        self.capital_lines: list[dict[str, Any]] = []
        self.suspended_item_ids: list[str] = []
        self.suspended_principal = ZERO
        self.suspended_until: date | None = None
        self.instalments: list[dict[str, Any]] = []
        self.starts_on: date | None = None
        self.needs_first_payment = True
        self.receipts: dict[str, dict[str, Any]] = {}
        self.facts: dict[str, dict[str, Any]] = {}

    @staticmethod
    def create_id(payment_code: str) -> UUID:
        """C10: the payment code routes to the arrangement without an index."""
        return uuid5(ARRANGEMENT_NAMESPACE, payment_code)

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
    ) -> Arrangement:
        """A1: record the application, then the scheme's decision on it."""
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
        self.trigger_event(
            self.Scheduled,
            instalments=[i.as_dict() for i in plan.instalments],
            starts_on=plan.starts_on,
            needs_first_payment=plan.needs_first_payment,
            business_date=business_date,
        )

    def settle(
        self,
        scheme: Scheme,
        as_of: date,
        surcharges: SurchargeRules,
        current_items: Sequence[OpenItem] = (),
        new_receipts: Sequence[Receipt] = (),
    ) -> None:
        """E1/E2: record every fact of the timeline up to ``as_of`` not yet
        recorded, and correct recorded facts the timeline no longer gives.

        A new payment is allocated as of its value date (E2, P4) even when that
        is after ``as_of``; the other facts wait for the business date.
        """
        if self.status == "rejected":
            raise AssertionError("a rejected application takes no payments")
        receipts = [r for r in new_receipts if fact_key(("paid", r.tx_id)) not in self.receipts]
        # Never settle behind what is already recorded: the business date of a
        # payment may lag the date an application was dated.
        as_of = max([as_of, *(f["business_date"] for f in self.facts.values() if f["kind"] != "Paid")])
        horizon = max([as_of, *(r.value_date for r in receipts), *(r["value_date"] for r in self.receipts.values())])
        if self.status == "suspended" and self.suspended_until is not None and horizon > self.suspended_until:
            self._fix_suspended_plan(scheme, self.suspended_until)
        course = self.course(scheme, horizon, surcharges, current_items, receipts)
        if course is None:
            # ND3: while suspended a payment is held as credit until the plan is fixed.
            for receipt in receipts:
                self._record_payment_as_credit(receipt)
            return
        truth = {fact_key(f.key): f for f in course.facts if f.on <= as_of or f.kind == "Paid"}
        for key, recorded in list(self.facts.items()):
            if key not in truth and recorded["kind"] not in KEPT_WHEN_GONE:
                self._reverse(key, recorded, as_of)
        for key, fact in truth.items():
            recorded = self.facts.get(key)
            if recorded is None:
                self._record(key, fact)
            elif fact.kind in CONTENT_TRACKED and _differs(recorded, fact):
                self._amend(key, recorded, fact, as_of)

    def _record_payment_as_credit(self, receipt: Receipt) -> None:
        self.trigger_event(
            self.Paid,
            key=fact_key(("paid", receipt.tx_id)),
            tx_id=receipt.tx_id,
            value_date=receipt.value_date,
            amount=receipt.amount,
            allocation=[],
            credit=receipt.amount,
            business_date=receipt.value_date,
        )

    def _fix_suspended_plan(self, scheme: Scheme, suspended_until: date) -> None:
        """ND5: n and the schedule are fixed when the suspension ends."""
        form = self.form()
        plan = scheme.plan(form, self.grant(), self.suspended_principal)
        self._schedule(plan, max(suspended_until, self.applied_on))

    def _record(self, key: str, fact: Fact) -> None:
        self.trigger_event(getattr(self, fact.kind), key=key, business_date=fact.on, **fact.data)

    def _reverse(self, key: str, recorded: dict[str, Any], as_of: date) -> None:
        kind = recorded["kind"]
        if kind not in REVERSAL:
            raise AssertionError(f"fact {key} ({kind}) cannot be taken back")
        extra = {"amount": recorded["amount"]} if kind == "SurchargeAccrued" else {}
        self.trigger_event(
            getattr(self, REVERSAL[kind]),
            key=key,
            effective_on=recorded["business_date"],
            business_date=as_of,
            **extra,
        )

    def _amend(self, key: str, recorded: dict[str, Any], fact: Fact, as_of: date) -> None:
        if fact.kind == "Paid":
            self.trigger_event(self.Reallocated, key=key, business_date=as_of, **fact.data)
            return
        self._reverse(key, recorded, as_of)
        self._record(key, fact)

    # -- queries ---------------------------------------------------------------

    def status_from_facts(self) -> str:
        kinds = {fact["kind"] for fact in self.facts.values()}
        for kind, status in (("Lost", "lost"), ("Completed", "completed"), ("Lapsed", "lapsed")):
            if kind in kinds:
                return status
        if "Activated" in kinds:
            return "active"
        if self.instalments:
            return "applied" if self.needs_first_payment else "active"
        return "suspended" if self.suspended_until else "applied"

    def may_change(self, scheme: Scheme, settled_on: date, day: date) -> bool:
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
        if self.status in ("rejected", "completed", "lapsed"):
            return False
        instalments = self.instalments  # read as stored: no ``Instalment`` each (most of them are not needed)
        if not instalments or self.status == "suspended" or scheme.watches_current_items:
            return True
        starts_on = self.starts_on
        assert starts_on is not None
        if settled_on < starts_on <= day:
            return True
        checkpoints = scheme.loss_rule().checkpoints
        # The days in (settled_on, day] on which a deadline or a loss checkpoint
        # passes. A checkpoint comes after its instalment's deadline (``LossRule``),
        # so an instalment whose deadline is on or after ``day`` adds none.
        passing: list[date] = []
        for data in instalments:
            opens_on = data["opens_on"]
            if settled_on < max(opens_on, starts_on) <= day:
                return True
            if data["due_date"] >= day:
                continue
            on = data["due_date"] + ONE_DAY
            if settled_on < on:
                passing.append(on)
            passing.extend(c for c in checkpoints(Instalment.from_dict(data)) if settled_on < c <= day)
        if passing:
            paid = self._paid_by_instalment()
            for on in passing:
                # Every instalment due before ``on`` paid (capital and interest) by
                # payments valued before it: then a deadline passing on ``on`` misses
                # nothing and a loss rule finds nothing to lose the arrangement for.
                for data in instalments:
                    if data["due_date"] < on and sum(
                        (amount for value_date, amount in paid.get(data["number"], ()) if value_date < on), ZERO
                    ) < data["capital"] + data["interest"]:
                        return True
        if any(settled_on < receipt["value_date"] <= day for receipt in self.receipts.values()):
            return True
        by_number = None
        for fact in self.facts.values():
            kind = fact["kind"]
            if kind == "InstalmentMissed":
                if by_number is None:
                    by_number = {i["number"]: i for i in instalments}
                first = by_number[fact["number"]]["due_date"] + ONE_DAY
            elif kind == "Lost":
                first = fact["business_date"] + ONE_DAY
            else:
                continue
            if _month_start_within(first, settled_on, day):
                return True
        return False

    def _paid_by_instalment(self) -> dict[int, list[tuple[date, Decimal]]]:
        """What the recorded allocations (P3) paid on each instalment's interest
        and capital, with the payment's value date."""
        paid: dict[int, list[tuple[date, Decimal]]] = {}
        for fact in self.facts.values():
            if fact["kind"] != "Paid":
                continue
            for part in fact["allocation"]:
                if part["number"] is not None and part["part"] in ("interest", "capital"):
                    paid.setdefault(part["number"], []).append((fact["value_date"], part["amount"]))
        return paid

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
        return Plan(
            tuple(Instalment.from_dict(i) for i in self.instalments),
            self.starts_on,
            self.needs_first_payment,
        )

    @property
    def capital(self) -> Decimal:
        return self.grant().capital + self.suspended_principal

    @property
    def item_ids(self) -> list[str]:
        return [line["item_id"] for line in self.capital_lines] + list(self.suspended_item_ids)

    def course(
        self,
        scheme: Scheme,
        as_of: date,
        surcharges: SurchargeRules,
        current_items: Sequence[OpenItem] = (),
        new_receipts: Sequence[Receipt] = (),
    ) -> Course | None:
        """The timeline as of ``as_of`` from what this arrangement recorded (V3)."""
        plan = self.plan()
        if plan is None:
            if self.suspended_until is None or as_of <= self.suspended_until:
                return None
            plan = scheme.plan(self.form(), self.grant(), self.suspended_principal)
        terms = Terms(plan.instalments, plan.starts_on, plan.needs_first_payment, scheme.loss_rule())
        receipts = [
            Receipt(r["tx_id"], r["value_date"], r["amount"])
            for r in self.receipts.values()
            if r["value_date"] <= as_of
        ]
        receipts += [r for r in new_receipts if r.value_date <= as_of]
        return run(terms, receipts, as_of, surcharges, scheme.breaches(plan, current_items))


def _month_start_within(first: date, after: date, until: date) -> bool:
    """Whether a month of delay counted from ``first`` (L1) starts in (``after``, ``until``]."""
    if first > until:
        return False
    months = max(0, months_between(first, after) - 1)
    while (start := add_months(first, months)) <= until:
        if start > after:
            return True
        months += 1
    return False


def _differs(recorded: dict[str, Any], fact: Fact) -> bool:
    return any(recorded.get(name) != value for name, value in fact.data.items())
