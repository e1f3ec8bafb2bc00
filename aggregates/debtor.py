"""The debtor aggregate (Οφειλέτης) and its debt items (D1–D4, P2).

A debtor owns the debt items transferred from the funds or assessed, and the
payments made with its debtor identity code. Which items an arrangement holds
is the arrangements' own record; the debtor only lists its arrangements.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.events import PinnedTopic
from aggregates.money import ZERO, money
from aggregates.schemes.base import OpenItem
from aggregates.surcharges import SurchargeRules

DEBTOR_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/debtor")

FUNDS = ("IKA", "OAEE", "OGA", "ETAA")
KINDS = ("contribution", "surcharge", "fee", "clearing_instalment", "insurance_time_recognition")


@dataclass(frozen=True)
class ItemBalance:
    """One debt item as of a date: what it owes and what was paid on it."""

    item: dict[str, Any]
    surcharge: Decimal
    paid_surcharge: Decimal
    paid_principal: Decimal
    settled_on: date | None

    @property
    def unpaid_principal(self) -> Decimal:
        return self.item["amount"] - self.paid_principal

    @property
    def unpaid_surcharge(self) -> Decimal:
        return self.surcharge - self.paid_surcharge

    @property
    def outstanding(self) -> Decimal:
        return self.unpaid_principal + self.unpaid_surcharge

    def open_item(self) -> OpenItem:
        i = self.item
        return OpenItem(
            i["item_id"], i["fund"], i["period"], i["kind"], i["amount"], i["due_date"],
            self.unpaid_principal, self.settled_on,
        )


class Debtor(Aggregate):
    TOPIC = "keao:Debtor"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Registered(Event, Aggregate.Created):
        afm: str
        name: str
        service: str | None
        parent_afm: str | None
        amka: str | None

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

    class ArrangementJoined(Event):
        arrangement_id: str
        scheme: str

        def apply(self, debtor: Debtor) -> None:
            debtor.arrangement_ids = [*debtor.arrangement_ids, self.arrangement_id]

    class DebtPaid(Event):
        """P2: a payment with the debtor identity code, oldest debts first."""

        tx_id: str
        value_date: date
        amount: Decimal
        allocation: list[dict[str, Any]]
        credit: Decimal

        def apply(self, debtor: Debtor) -> None:
            for part in self.allocation:
                debtor.item_payments.append({**part, "value_date": self.value_date})
            debtor.credit += self.credit

    def __init__(
        self,
        afm: str,
        name: str,
        service: str | None,
        parent_afm: str | None,
        amka: str | None,
        business_date: date,
    ):
        self.afm = afm
        self.name = name
        self.service = service
        self.parent_afm = parent_afm
        self.amka = amka
        self.registered_on = business_date
        self.units: list[str] = []
        self.items: dict[str, dict[str, Any]] = {}
        self.arrangement_ids: list[str] = []
        self.item_payments: list[dict[str, Any]] = []
        self.credit = ZERO

    @staticmethod
    def create_id(afm: str) -> UUID:
        return uuid5(DEBTOR_NAMESPACE, afm)

    @classmethod
    def register(
        cls,
        afm: str,
        name: str,
        business_date: date,
        service: str | None = None,
        parent_afm: str | None = None,
        amka: str | None = None,
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

    def join(self, arrangement_id: str, scheme: str, business_date: date) -> None:
        self.trigger_event(
            self.ArrangementJoined, arrangement_id=arrangement_id, scheme=scheme, business_date=business_date
        )

    # -- balances ----------------------------------------------------------------

    def balance(self, item: dict[str, Any], as_of: date, rules: SurchargeRules, frozen: bool = False) -> ItemBalance:
        """D3/L1: surcharges run on the unpaid principal of an overdue item,
        month by month, rounded once for the item; ``frozen`` items (in an
        arrangement, or suspended) accrue none here (C4, ND3)."""
        payments = [p for p in self.item_payments if p["item_id"] == item["item_id"] and p["value_date"] <= as_of]
        paid_principal = sum((p["amount"] for p in payments if p["part"] == "principal"), ZERO)
        paid_surcharge = sum((p["amount"] for p in payments if p["part"] == "surcharge"), ZERO)
        surcharge = ZERO
        if not frozen:
            fraction_sum = ZERO
            for start, fraction in rules.fractions(item["due_date"], as_of):
                unpaid = item["amount"] - sum(
                    (p["amount"] for p in payments if p["part"] == "principal" and p["value_date"] < start), ZERO
                )
                fraction_sum += unpaid * fraction
            surcharge = money(fraction_sum)
        surcharge = max(surcharge, paid_surcharge)
        settled_on = None
        if paid_principal >= item["amount"] and payments:
            settled_on = max(p["value_date"] for p in payments if p["part"] == "principal")
        return ItemBalance(item, surcharge, paid_surcharge, paid_principal, settled_on)

    def balances(
        self, as_of: date, rules: SurchargeRules, held: Collection[str] = ()
    ) -> list[ItemBalance]:
        """Every item known on ``as_of``, oldest due first."""
        return [
            self.balance(item, as_of, rules, frozen=item["item_id"] in held)
            for item in sorted(self.items.values(), key=lambda i: (i["due_date"], i["item_id"]))
            if item["received_on"] <= as_of
        ]

    def open_items(self, as_of: date, rules: SurchargeRules, held: Collection[str]) -> list[OpenItem]:
        """Items outside any live arrangement, as a scheme sees them."""
        return [b.open_item() for b in self.balances(as_of, rules, held) if b.item["item_id"] not in held]

    def pay(
        self, tx_id: str, value_date: date, amount: Decimal, rules: SurchargeRules, held: Collection[str]
    ) -> None:
        """P2: oldest debt first, each item's surcharges before its principal;
        what is left stays as the debtor's credit (P3)."""
        remaining = amount
        allocation = []
        for balance in self.balances(value_date, rules, held):
            if balance.item["item_id"] in held:
                continue
            for part, owed in (("surcharge", balance.unpaid_surcharge), ("principal", balance.unpaid_principal)):
                paid = min(owed, remaining)
                if paid > ZERO:
                    allocation.append({"item_id": balance.item["item_id"], "part": part, "amount": paid})
                    remaining -= paid
        self.trigger_event(
            self.DebtPaid,
            tx_id=tx_id,
            value_date=value_date,
            amount=amount,
            allocation=allocation,
            credit=remaining,
            business_date=value_date,
        )
