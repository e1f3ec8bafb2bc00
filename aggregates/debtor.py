"""The debtor aggregate (Οφειλέτης) and its debt items (D1–D4, P2).

A debtor owns the debt items transferred from the funds or assessed, and the
payments made with its debtor identity code. Which items an arrangement holds
is the arrangements' own record; the debtor only lists its arrangements.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, getcontext
from functools import lru_cache
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
        item_id = item["item_id"]
        payments = [p for p in self.item_payments if p["item_id"] == item_id and p["value_date"] <= as_of]
        return _balance(item, payments, as_of, rules, frozen)

    def balances(
        self, as_of: date, rules: SurchargeRules, held: Collection[str] = ()
    ) -> list[ItemBalance]:
        """Every item known on ``as_of``, oldest due first."""
        paid = self._payments_by_item(as_of)
        return [
            _balance(item, paid.get(item["item_id"], ()), as_of, rules, item["item_id"] in held)
            for item in sorted(self.items.values(), key=_due_order)
            if item["received_on"] <= as_of
        ]

    def owed_balances(self, as_of: date, rules: SurchargeRules, held: Collection[str]) -> list[ItemBalance]:
        """``balances`` of the items outside ``held`` only (what ``pay`` pays, P2), in the same order."""
        paid = self._payments_by_item(as_of)
        return [
            _balance(item, paid.get(item["item_id"], ()), as_of, rules, False)
            for item in sorted(self.items.values(), key=_due_order)
            if item["received_on"] <= as_of and item["item_id"] not in held
        ]

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
        owed: list[ItemBalance] | None = None,
    ) -> None:
        """P2: oldest debt first, each item's surcharges before its principal;
        what is left stays as the debtor's credit (P3). ``owed`` is
        ``owed_balances(value_date, rules, held)`` when the caller has just
        computed it (to decide whether anything is owed), not recomputed."""
        remaining = amount
        allocation = []
        for balance in self.owed_balances(value_date, rules, held) if owed is None else owed:
            for part, owes in (("surcharge", balance.unpaid_surcharge), ("principal", balance.unpaid_principal)):
                paid = min(owes, remaining)
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


def _due_order(item: dict[str, Any]) -> tuple[date, str]:
    return item["due_date"], item["item_id"]


def _balance(
    item: dict[str, Any], payments: Sequence[dict[str, Any]], as_of: date, rules: SurchargeRules, frozen: bool
) -> ItemBalance:
    """``Debtor.balance`` of ``item`` given its payments valued on or before ``as_of``.

    The arithmetic is the original's, step for step (the same Decimal
    operations in the same order), so the result is the same to the last
    digit; the payments are grouped by item once for all items
    (``_payments_by_item``), and the surcharge, a function of the item's
    amount, due date, the date and the principal paid, is remembered
    (``_surcharge``)."""
    paid_principal = ZERO
    paid_surcharge = ZERO
    principal: list[tuple[date, Decimal]] = []
    for p in payments:
        if p["part"] == "principal":
            paid_principal += p["amount"]
            principal.append((p["value_date"], p["amount"]))
        elif p["part"] == "surcharge":
            paid_surcharge += p["amount"]
    surcharge = ZERO
    if not frozen:
        surcharge = _surcharge(rules, item["amount"], item["due_date"], as_of, tuple(principal))
    surcharge = max(surcharge, paid_surcharge)
    settled_on = None
    if paid_principal >= item["amount"] and payments:
        settled_on = max(day for day, _ in principal)
    return ItemBalance(item, surcharge, paid_surcharge, paid_principal, settled_on)


def _surcharge(
    rules: SurchargeRules, amount: Decimal, due_date: date, as_of: date, principal: tuple[tuple[date, Decimal], ...]
) -> Decimal:
    """L1: the surcharge on an item of ``amount`` due on ``due_date``, as of ``as_of``,
    given the principal paid on it (value date, amount): each started month of delay
    charges its fraction of the principal unpaid when it started; rounded once.
    Remembered (``_remembered``): the same item is paid again and again between two
    principal payments, and many items share an amount and a due date."""
    return _remembered(rules, ("surcharge", amount, due_date, as_of, principal),
                       lambda: _compute_surcharge(rules, amount, due_date, as_of, principal))


def _compute_surcharge(
    rules: SurchargeRules, amount: Decimal, due_date: date, as_of: date, principal: tuple[tuple[date, Decimal], ...]
) -> Decimal:
    fraction_sum = ZERO
    for start, fraction in _remembered(rules, ("fractions", due_date, as_of),
                                       lambda: tuple(rules.fractions(due_date, as_of))):
        unpaid = amount - sum((a for day, a in principal if day < start), ZERO)
        fraction_sum += unpaid * fraction
    return money(fraction_sum)


# Values computed from a rules object (the configuration's ``SurchargeRules``, frozen) and
# plain values only, remembered per rules object: keyed by its id, with the object itself
# kept so that the id cannot be reused while remembered. The Decimal context's precision
# and rounding are part of every key, as the arithmetic depends on them. A few rules
# objects, a bounded number of values each (cleared when full).
_REMEMBERED: dict[int, tuple[SurchargeRules, dict[tuple[Any, ...], Any]]] = {}
_REMEMBERED_RULES = 16
_REMEMBERED_VALUES = 65_536


def _remembered(rules: SurchargeRules, key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    entry = _REMEMBERED.get(id(rules))
    if entry is None or entry[0] is not rules:
        if len(_REMEMBERED) >= _REMEMBERED_RULES:
            _REMEMBERED.clear()
        entry = _REMEMBERED[id(rules)] = (rules, {})
    known = entry[1]
    context = getcontext()
    key = (context.prec, context.rounding, *key)
    found = known.get(key, _MISSING)
    if found is _MISSING:
        if len(known) >= _REMEMBERED_VALUES:
            known.clear()
        found = known[key] = compute()
    return found


_MISSING = object()
