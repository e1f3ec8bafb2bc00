"""The debtor aggregate (Οφειλέτης) and its debt items (D1–D4, P2).

A debtor owns the debt items transferred from the funds or assessed, and the
payments made with its debtor identity code. Which items an arrangement holds
is the arrangements' own record; the debtor only lists its arrangements.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from functools import lru_cache
from types import MappingProxyType
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.errors import NotAllowed
from aggregates.events import PinnedTopic
from aggregates import item_balance as item_balance_module
from aggregates.item_balance import (
    ADJUSTMENT,
    NO_PARTS,
    ItemBalance,
    folded_balance,
    folded_parts,
    item_balance,
    oldest_first,
)
from aggregates.money import ZERO
from aggregates.schemes.base import OpenItem
from aggregates.surcharges import SurchargeRules

DEBTOR_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/debtor")

FUNDS = ("IKA", "OAEE", "OGA", "ETAA")
CREDIT = "credit"  # the ``tx_id`` of the parts the debtor's credit paid (O5)
# F3: what a personal field (name, ΑΜΚΑ, IBAN) reads once its debtor's data is erased.
ERASED = "[erased]"
KINDS = ("contribution", "surcharge", "fee", "clearing_instalment", "insurance_time_recognition")


class Debtor(Aggregate):
    TOPIC = "keao:Debtor"
    # O6: a payment computes the balances of the items it reaches only
    # (``owed_in_due_order``); off, of all of them (``owed_balances``, its reference).
    INCREMENTAL = True
    # O4, by correction id: a read-only class default (not a field), as a debtor snapshotted
    # before corrections existed has none; the events that record them replace it.
    corrections: ClassVar[Mapping[str, dict[str, Any]]] = MappingProxyType({})
    # N2/N6: the numbers of its notices, in issue order; N13: its enforcement measures
    # by id. Read-only class defaults too, for debtors snapshotted before them.
    notice_numbers: ClassVar[Sequence[str]] = ()
    measures: ClassVar[Mapping[str, dict[str, Any]]] = MappingProxyType({})
    # K1: the ids of the ΑΠΔ it filed as an employer, in the order received.
    declaration_ids: ClassVar[Sequence[str]] = ()
    # G19: the kind of registered unit and the legal form, when known; class defaults
    # for debtors snapshotted before them.
    unit_kind: ClassVar[str | None] = None
    legal_form: ClassVar[str | None] = None
    # F3: the day its personal data was erased; a class default for debtors snapshotted before.
    erased_on: ClassVar[date | None] = None

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Registered(Event, Aggregate.Created):
        afm: str
        name: str
        service: str | None
        parent_afm: str | None
        amka: str | None
        unit_kind: str | None = None  # G19; None in events recorded before it
        legal_form: str | None = None

    class UnitAdded(Event):
        """004 §4: a branch unit, cleared only together with its head office."""

        unit_afm: str

        def apply(self, debtor: Debtor) -> None:
            debtor.units = [*debtor.units, self.unit_afm]

    class DebtTransferred(Event):
        """D2/D4: debt items received from a fund under its transfer id."""

        fund: str
        transfer_id: str
        items: list[dict[str, Any]]

        def apply(self, debtor: Debtor) -> None:
            for item in self.items:
                debtor.items[item["item_id"]] = dict(item)

    class DeclarationFiled(Event):
        """K1: the employer filed an ΑΠΔ (``aggregates.declaration``)."""

        apd_id: str

        def apply(self, debtor: Debtor) -> None:
            debtor.declaration_ids = [*debtor.declaration_ids, self.apd_id]

    class DebtAssessed(Event):
        """K21, K22: IKA debt items assessed from a finalised ΑΠΔ's declared contributions,
        their ids from the ΑΠΔ's submission id."""

        apd_id: str
        items: list[dict[str, Any]]

        def apply(self, debtor: Debtor) -> None:
            for item in self.items:
                debtor.items[item["item_id"]] = dict(item)

    class ArrangementJoined(Event):
        arrangement_id: str
        scheme: str

        def apply(self, debtor: Debtor) -> None:
            debtor.arrangement_ids = [*debtor.arrangement_ids, self.arrangement_id]

    class PartsRecorded(Event):
        """An event that adds parts to the payments of the debtor's items and moves its
        credit (``recorded``); the read model records the same (``projections.debt_table``)."""

        def recorded(self) -> tuple[str, list[dict[str, Any]], Decimal]:
            """The parts' tx id, the parts (each with its value date), and the credit it adds."""
            raise NotImplementedError

        def apply(self, debtor: Debtor) -> None:
            tx_id, parts, credit = self.recorded()
            for part in parts:
                debtor.item_payments.append({**part, "tx_id": tx_id})
            debtor.credit += credit

    class DebtPaid(PartsRecorded):
        """P2: a payment with the debtor identity code, oldest debts first."""

        tx_id: str
        value_date: date
        amount: Decimal
        allocation: list[dict[str, Any]]
        credit: Decimal

        def recorded(self) -> tuple[str, list[dict[str, Any]], Decimal]:
            return self.tx_id, _dated(self.allocation, self.value_date), self.credit

    class DebtPaymentRecalled(PartsRecorded):
        """O3: a bank recalled a payment: its credit is taken back and each part it
        paid is unpaid again as of its value date (the parts, negated, in ``allocation``)."""

        tx_id: str
        value_date: date
        allocation: list[dict[str, Any]]
        credit: Decimal

        def recorded(self) -> tuple[str, list[dict[str, Any]], Decimal]:
            return self.tx_id, _dated(self.allocation, self.value_date), -self.credit

    class CreditApplied(PartsRecorded):
        """O5/P2: the debtor's credit pays its items, oldest first, as they arrive."""

        allocation: list[dict[str, Any]]
        amount: Decimal

        def recorded(self) -> tuple[str, list[dict[str, Any]], Decimal]:
            return CREDIT, _dated(self.allocation, self.business_date), -self.amount

    class CreditRefunded(PartsRecorded):
        """O5: credit paid back to the debtor (a refund order for the paying bank, O2)."""

        refund_id: str
        amount: Decimal
        iban: str
        reason: str

        def recorded(self) -> tuple[str, list[dict[str, Any]], Decimal]:
            return self.refund_id, [], -self.amount

    class AssessmentCredited(PartsRecorded):
        """K22: a correction lowered an assessed ΑΠΔ's contributions: the difference is the
        employer's credit (the items first assessed are never edited)."""

        apd_id: str
        item_id: str
        amount: Decimal

        def recorded(self) -> tuple[str, list[dict[str, Any]], Decimal]:
            return self.item_id, [], self.amount

    class ItemCorrected(PartsRecorded):
        """O4: a fund cancelled or amended an item outside any arrangement, from this
        business date: the principal changes by ``change``; what was paid beyond the
        new amount (``credit``) becomes the debtor's credit, as of ``credit_on`` (the
        last payment on the item, when it is valued later than the correction)."""

        correction_id: str
        item_id: str
        action: str
        change: Decimal
        credit: Decimal
        credit_on: date
        content: dict[str, Any]

        def recorded(self) -> tuple[str, list[dict[str, Any]], Decimal]:
            parts = [{"item_id": self.item_id, "part": ADJUSTMENT, "amount": self.change,
                      "value_date": self.business_date}]
            if self.credit:
                parts.append({"item_id": self.item_id, "part": "principal", "amount": -self.credit,
                              "value_date": self.credit_on})
            return self.correction_id, parts, self.credit

        def apply(self, debtor: Debtor) -> None:
            super().apply(debtor)
            debtor.corrections = {**debtor.corrections, self.correction_id: {**self.content, "status": "applied"}}

    class CorrectionHeld(Event):
        """O4: a correction of an item inside an arrangement waits for an operator."""

        correction_id: str
        arrangement_id: str
        content: dict[str, Any]

        def apply(self, debtor: Debtor) -> None:
            held = {**self.content, "status": "waiting", "arrangement": self.arrangement_id,
                    "received_on": self.business_date}
            debtor.corrections = {**debtor.corrections, self.correction_id: held}

    class CorrectionResolved(Event):
        """O4: an operator resolved a correction that waited, with the reason."""

        correction_id: str
        reason: str

        def apply(self, debtor: Debtor) -> None:
            resolved = {**debtor.corrections[self.correction_id], "status": "resolved", "reason": self.reason}
            debtor.corrections = {**debtor.corrections, self.correction_id: resolved}

    class NoticeSent(Event):
        """N2, N6: a notice (``aggregates.notice``) was issued to the debtor."""

        number: str

        def apply(self, debtor: Debtor) -> None:
            debtor.notice_numbers = [*debtor.notice_numbers, self.number]

    class EnforcementRecorded(Event):
        """N13: a measure (seizure, garnishment, mortgage) on these items."""

        measure_id: str
        measure: str
        item_ids: list[str]
        reference: str

        def apply(self, debtor: Debtor) -> None:
            recorded = {"measure": self.measure, "item_ids": list(self.item_ids), "reference": self.reference,
                        "recorded_on": self.business_date, "lifted_on": None, "lift_reason": None}
            debtor.measures = {**debtor.measures, self.measure_id: recorded}

    class EnforcementLifted(Event):
        """N9, N10: a measure lifted, with the reason."""

        measure_id: str
        reason: str

        def apply(self, debtor: Debtor) -> None:
            lifted = {**debtor.measures[self.measure_id], "lifted_on": self.business_date, "lift_reason": self.reason}
            debtor.measures = {**debtor.measures, self.measure_id: lifted}

    class PersonalDataErased(Event):
        """F3: the debtor's personal data erased (its key destroyed by the ledger's store),
        by order or once its retention ended: from now on it reads ``[erased]``. ``afm``:
        for the read models that keep its data by ΑΦΜ."""

        afm: str
        reason: str

        def apply(self, debtor: Debtor) -> None:
            debtor.name = ERASED
            debtor.amka = ERASED if debtor.amka else None
            debtor.erased_on = self.business_date

    def __init__(
        self,
        afm: str,
        name: str,
        service: str | None,
        parent_afm: str | None,
        amka: str | None,
        business_date: date,
        unit_kind: str | None = None,
        legal_form: str | None = None,
    ):
        self.afm = afm
        self.name = name
        self.service = service
        self.parent_afm = parent_afm
        self.amka = amka
        self.unit_kind = unit_kind
        self.legal_form = legal_form
        self.registered_on = business_date
        self.units: list[str] = []
        self.items: dict[str, dict[str, Any]] = {}
        self.arrangement_ids: list[str] = []
        self.item_payments: list[dict[str, Any]] = []
        self.credit = ZERO

    @staticmethod
    @lru_cache(maxsize=65_536)
    def create_id(afm: str) -> UUID:
        return uuid5(DEBTOR_NAMESPACE, afm)  # remembered: a debtor is named by every payment and its arrangements

    @classmethod
    def register(
        cls,
        afm: str,
        name: str,
        business_date: date,
        service: str | None = None,
        parent_afm: str | None = None,
        amka: str | None = None,
        unit_kind: str | None = None,
        legal_form: str | None = None,
    ) -> Debtor:
        return cls._create(
            cls.Registered,
            id=cls.create_id(afm),
            afm=afm,
            name=name,
            service=service,
            parent_afm=parent_afm,
            amka=amka,
            business_date=business_date,
            unit_kind=unit_kind,
            legal_form=legal_form,
        )

    def add_unit(self, unit_afm: str, business_date: date) -> None:
        if unit_afm not in self.units:
            self.trigger_event(self.UnitAdded, unit_afm=unit_afm, business_date=business_date)

    def transfer(self, fund: str, transfer_id: str, items: list[dict[str, Any]], business_date: date) -> None:
        """D2: each item gets a stable id from the fund's transfer id."""
        numbered = [
            {**item, "item_id": f"{fund}:{transfer_id}:{index}", "fund": fund, "received_on": business_date}
            for index, item in enumerate(items, start=1)
        ]
        self.trigger_event(
            self.DebtTransferred, fund=fund, transfer_id=transfer_id, items=numbered, business_date=business_date
        )

    def file_declaration(self, apd_id: str, on: date) -> None:
        self.trigger_event(self.DeclarationFiled, apd_id=apd_id, business_date=on)

    def assess(self, apd_id: str, items: list[dict[str, Any]], business_date: date) -> None:
        """K21, K22: a finalised ΑΠΔ's assessment (``Declaration.assessment``): each
        positive amount an IKA contribution item, each negative one the employer's credit."""
        owed = [{"item_id": i["item_id"], "fund": "IKA", "period": i["period"], "kind": i["kind"],
                 "amount": Decimal(i["amount"]), "due_date": date.fromisoformat(i["due_date"]),
                 "received_on": business_date, "apd_id": apd_id}
                for i in items if Decimal(i["amount"]) > ZERO]
        if owed:
            self.trigger_event(self.DebtAssessed, apd_id=apd_id, items=owed, business_date=business_date)
        for item in items:
            if Decimal(item["amount"]) < ZERO:
                self.trigger_event(self.AssessmentCredited, apd_id=apd_id, item_id=item["item_id"],
                                   amount=-Decimal(item["amount"]), business_date=business_date)

    def join(self, arrangement_id: str, scheme: str, business_date: date) -> None:
        self.trigger_event(
            self.ArrangementJoined, arrangement_id=arrangement_id, scheme=scheme, business_date=business_date
        )

    # -- balances ----------------------------------------------------------------

    def balance(self, item: dict[str, Any], as_of: date, rules: SurchargeRules, frozen: bool = False) -> ItemBalance:
        """D3/L1: surcharges run on the unpaid principal of an overdue item,
        month by month, rounded once for the item; ``frozen`` items (in an
        arrangement, or suspended) accrue none here (C4, ND3)."""
        item_id = item["item_id"]
        payments = [p for p in self.item_payments if p["item_id"] == item_id and p["value_date"] <= as_of]
        return item_balance(item, payments, as_of, rules, frozen)

    def balances(
        self, as_of: date, rules: SurchargeRules, held: Collection[str] = ()
    ) -> list[ItemBalance]:
        """Every item known on ``as_of``, oldest due first."""
        balance = self._balances_on(as_of, rules)
        return [
            balance(item, item["item_id"] in held)
            for item in sorted(self.items.values(), key=_due_order)
            if item["received_on"] <= as_of
        ]

    def owed_balances(self, as_of: date, rules: SurchargeRules, held: Collection[str]) -> list[ItemBalance]:
        """``balances`` of the items outside ``held`` only (what ``pay`` pays, P2), in the same order."""
        balance = self._balances_on(as_of, rules)
        return [
            balance(item, False)
            for item in sorted(self.items.values(), key=_due_order)
            if item["received_on"] <= as_of and item["item_id"] not in held
        ]

    def owed_in_due_order(self, as_of: date, rules: SurchargeRules, held: Collection[str]) -> Iterator[ItemBalance]:
        """``owed_balances``, one item at a time: a payment of the oldest items of a
        debtor with thousands stops at the last it reaches (O6)."""
        balance = self._balances_on(as_of, rules)
        for item in sorted(self.items.values(), key=_due_order):
            if item["received_on"] <= as_of and item["item_id"] not in held:
                yield balance(item, False)

    def _balances_on(self, as_of: date, rules: SurchargeRules) -> Callable[[dict[str, Any], bool], ItemBalance]:
        """(item, frozen) -> its balance on ``as_of``: from the folds of its parts
        (``item_balance.FOLDED_PARTS``) when none is valued after ``as_of``, else from
        the parts grouped by item (``_payments_by_item``), its reference."""
        if not item_balance_module.FOLDED_PARTS:
            paid = self._payments_by_item(as_of)
            return lambda item, frozen: item_balance(item, paid.get(item["item_id"], ()), as_of, rules, frozen)
        folds = folded_parts(self.item_payments)

        def balance(item: dict[str, Any], frozen: bool) -> ItemBalance:
            fold = folds.get(item["item_id"], NO_PARTS)
            if fold.latest <= as_of:
                return folded_balance(item, fold, as_of, rules, frozen)
            return self.balance(item, as_of, rules, frozen)  # backdated: some of its parts not yet paid then

        return balance

    def _payments_by_item(self, as_of: date) -> dict[str, list[dict[str, Any]]]:
        """The payments on each item valued on or before ``as_of``, in the order recorded."""
        paid: dict[str, list[dict[str, Any]]] = {}
        for p in self.item_payments:
            if p["value_date"] <= as_of:
                paid.setdefault(p["item_id"], []).append(p)
        return paid

    def open_items(self, as_of: date, rules: SurchargeRules, held: Collection[str]) -> list[OpenItem]:
        """Items outside any live arrangement, as a scheme sees them."""
        return [b.open_item() for b in self.balances(as_of, rules, held) if b.item["item_id"] not in held]

    def pay(
        self,
        tx_id: str,
        value_date: date,
        amount: Decimal,
        rules: SurchargeRules,
        held: Collection[str],
        owed: Iterable[ItemBalance] | None = None,
    ) -> None:
        """P2: oldest debt first, each item's surcharges before its principal;
        what is left stays as the debtor's credit (P3). ``owed`` is
        ``owed_balances(value_date, rules, held)`` when the caller has just
        computed it (to decide whether anything is owed), not recomputed."""
        if owed is None:
            owed = (self.owed_in_due_order if self.INCREMENTAL else self.owed_balances)(value_date, rules, held)
        allocation, remaining = oldest_first(owed, amount)
        self.trigger_event(
            self.DebtPaid,
            tx_id=tx_id,
            value_date=value_date,
            amount=amount,
            allocation=allocation,
            credit=remaining,
            business_date=value_date,
        )

    # -- notices and enforcement (§10) ------------------------------------------------

    def notice_sent(self, number: str, on: date) -> None:
        if number not in self.notice_numbers:
            self.trigger_event(self.NoticeSent, number=number, business_date=on)

    def record_measure(self, measure: str, item_ids: list[str], reference: str, on: date) -> str:
        """N13: the caller has checked the rules (``aggregates.enforcement``); returns its id."""
        measure_id = f"M-{self.afm}-{len(self.measures) + 1}"
        self.trigger_event(self.EnforcementRecorded, measure_id=measure_id, measure=measure, item_ids=list(item_ids),
                           reference=reference, business_date=on)
        return measure_id

    def lift_measure(self, measure_id: str, reason: str, on: date) -> None:
        measure = self.measures.get(measure_id)
        if measure is None:
            raise NotAllowed("MEASURE_ID", f"debtor {self.afm} has no measure {measure_id}")
        if measure["lifted_on"] is not None:
            raise NotAllowed("MEASURE_ID", f"measure {measure_id} was lifted on {measure['lifted_on']}")
        if on < measure["recorded_on"]:
            raise NotAllowed("--date", f"{on} is before measure {measure_id} was recorded, on {measure['recorded_on']}")
        self.trigger_event(self.EnforcementLifted, measure_id=measure_id, reason=reason, business_date=on)

    # -- corrections (§14) ----------------------------------------------------------

    def recall_payment(self, tx_id: str, value_date: date, amount: Decimal, business_date: date) -> None:
        """O3: the identity-code payment ``tx_id`` (P2) is undone as of its value date:
        what it left as credit is taken back, and every part it paid is unpaid again."""
        parts = [p for p in self.item_payments if p.get("tx_id") == tx_id]
        undone = [{"item_id": p["item_id"], "part": p["part"], "amount": -p["amount"]} for p in parts]
        credit = amount - sum((p["amount"] for p in parts), ZERO)
        self.trigger_event(self.DebtPaymentRecalled, tx_id=tx_id, value_date=value_date, allocation=undone,
                           credit=credit, business_date=business_date)

    def apply_credit(self, available: Decimal, rules: SurchargeRules, held: Collection[str], on: date) -> None:
        """O5/P2: ``available`` credit pays the items owed on ``on``, oldest first."""
        if available <= ZERO:
            return
        allocation, remaining = oldest_first(self.owed_balances(on, rules, held), available)
        if allocation:
            self.trigger_event(self.CreditApplied, allocation=allocation, amount=available - remaining,
                               business_date=on)

    def refund_credit(self, refund_id: str, amount: Decimal, iban: str, reason: str, available: Decimal,
                      on: date) -> None:
        """O5: pay back ``amount`` of the ``available`` credit (O2's refund order)."""
        if amount > available:
            raise NotAllowed("--amount", f"{amount} is more than the credit of debtor {self.afm}, {available} (O5)")
        if self.erased_on is not None:
            raise NotAllowed("afm", f"debtor {self.afm}'s personal data was erased on {self.erased_on} (F3): "
                                    "no IBAN of it is kept to refund to")
        self.trigger_event(self.CreditRefunded, refund_id=refund_id, amount=amount, iban=iban, reason=reason,
                           business_date=on)

    def erase_personal_data(self, reason: str, on: date) -> None:
        """F3: once; a second erasure records nothing."""
        if self.erased_on is None:
            self.trigger_event(self.PersonalDataErased, afm=self.afm, reason=reason, business_date=on)

    def item_of(self, fund: str, transfer_id: str, period: str, kind: str) -> dict[str, Any]:
        """The item a fund's transfer sent (O4: what its correction names)."""
        for item in self.items.values():
            if (item["fund"], item["item_id"].split(":")[1], item["period"], item["kind"]) == (
                    fund, transfer_id, period, kind):
                return item
        raise NotAllowed("--transfer-id", f"fund {fund} sent debtor {self.afm} no {kind} of {period} "
                         f"under transfer {transfer_id} (O4)")

    def correct_item(self, correction_id: str, content: dict[str, Any], item: dict[str, Any],
                     new_amount: Decimal, on: date) -> None:
        """O4: from ``on``, the item's principal is ``new_amount`` (0: cancelled); what
        was paid on it beyond that becomes the debtor's credit."""
        # What is recorded as paid on it, whatever its value date: all of it is "already allocated".
        parts = [p for p in self.item_payments if p["item_id"] == item["item_id"]]
        paid = sum((p["amount"] for p in parts if p["part"] == "principal"), ZERO)
        amount = item["amount"] + sum((p["amount"] for p in parts if p["part"] == ADJUSTMENT), ZERO)
        credit_on = max([on, *(p["value_date"] for p in parts if p["part"] == "principal")])
        self.trigger_event(self.ItemCorrected, correction_id=correction_id, item_id=item["item_id"],
                           action=content["action"], change=new_amount - amount,
                           credit=max(paid - new_amount, ZERO), credit_on=credit_on, content=dict(content),
                           business_date=on)

    def hold_correction(self, correction_id: str, content: dict[str, Any], arrangement_id: str, on: date) -> None:
        """O4: an item inside an arrangement is not changed; its correction waits."""
        self.trigger_event(self.CorrectionHeld, correction_id=correction_id, arrangement_id=arrangement_id,
                           content=dict(content), business_date=on)

    def resolve_correction(self, correction_id: str, reason: str, on: date) -> None:
        waiting = self.corrections.get(correction_id)
        if waiting is None or waiting["status"] != "waiting":
            raise NotAllowed("CORRECTION_ID", f"no correction {correction_id} waits for debtor {self.afm} (O4)")
        self.trigger_event(self.CorrectionResolved, correction_id=correction_id, reason=reason, business_date=on)


def _dated(parts: list[dict[str, Any]], value_date: date) -> list[dict[str, Any]]:
    return [{**part, "value_date": value_date} for part in parts]


def _due_order(item: dict[str, Any]) -> tuple[date, str]:
    return item["due_date"], item["item_id"]
