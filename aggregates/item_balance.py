"""A debt item's balance (υπόλοιπο οφειλής) as of a date: D3, L1, P2, O4.

What an item owes and what was paid on it, from its recorded parts (payments,
their recalls, a fund's corrections of its principal), with the legal surcharges
run on the unpaid principal month by month (L1), and an amount spread over such
balances oldest first (P2). Pure functions of the item and its parts;
``Debtor.balances`` gives them the debtor's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, getcontext
from typing import Any

from aggregates.money import ZERO, money
from aggregates.schemes.base import OpenItem
from aggregates.surcharges import SurchargeRules

ADJUSTMENT = "adjustment"  # an item's part: a change of its principal by a fund's correction (O4)


@dataclass(frozen=True)
class ItemBalance:
    """One debt item as of a date: what it owes and what was paid on it."""

    item: dict[str, Any]
    surcharge: Decimal
    paid_surcharge: Decimal
    paid_principal: Decimal
    settled_on: date | None
    change: Decimal = ZERO  # O4: what the fund's corrections changed its principal by

    @property
    def amount(self) -> Decimal:
        """The item's principal, as corrected (O4)."""
        return self.item["amount"] + self.change

    @property
    def unpaid_principal(self) -> Decimal:
        return self.item["amount"] + self.change - self.paid_principal

    @property
    def unpaid_surcharge(self) -> Decimal:
        return self.surcharge - self.paid_surcharge

    @property
    def outstanding(self) -> Decimal:
        return self.unpaid_principal + self.unpaid_surcharge

    def open_item(self) -> OpenItem:
        i = self.item
        return OpenItem(
            i["item_id"], i["fund"], i["period"], i["kind"], self.amount, i["due_date"],
            self.unpaid_principal, self.settled_on,
        )


class PartsFold:
    """What an item's parts add up to, folded in the order they were recorded: the
    principal and surcharges paid, O4's change of the principal, what reduced the
    unpaid principal and when, and the latest value date among them."""

    __slots__ = ("paid_principal", "paid_surcharge", "change", "principal", "latest")

    def __init__(self) -> None:
        self.paid_principal = ZERO
        self.paid_surcharge = ZERO
        self.change = ZERO
        self.principal: list[tuple[date, Decimal]] = []
        self.latest = date.min

    def add(self, p: dict[str, Any]) -> None:
        part = p["part"]
        if part == "principal":
            self.paid_principal += p["amount"]
            self.principal.append((p["value_date"], p["amount"]))
        elif part == "surcharge":
            self.paid_surcharge += p["amount"]
        elif part == ADJUSTMENT:  # O4: from its date the surcharges run on the corrected principal
            self.change += p["amount"]
            self.principal.append((p["value_date"], -p["amount"]))
        self.latest = max(self.latest, p["value_date"])


def item_balance(
    item: dict[str, Any], payments: Sequence[dict[str, Any]], as_of: date, rules: SurchargeRules, frozen: bool
) -> ItemBalance:
    """``Debtor.balance`` of ``item`` given its payments valued on or before ``as_of``.

    The arithmetic is the original's, step for step (the same Decimal
    operations in the same order, but for the exact sums of cents that
    ``RUNNING_SUM`` adds in date order), so the result is the same to the last
    digit; the payments are grouped by item once for all items
    (``_payments_by_item``, or ``folded_parts``), and the surcharge, a function
    of the item's amount, due date, the date and the principal paid, is
    remembered (``_surcharge``)."""
    fold = PartsFold()
    for p in payments:
        fold.add(p)
    return folded_balance(item, fold, as_of, rules, frozen)


def folded_balance(item: dict[str, Any], fold: PartsFold, as_of: date, rules: SurchargeRules,
                   frozen: bool) -> ItemBalance:
    """``item_balance`` of the payments ``fold`` holds (each valued on or before ``as_of``)."""
    surcharge = ZERO
    if not frozen:
        surcharge = _surcharge(rules, item["amount"], item["due_date"], as_of, tuple(fold.principal))
    surcharge = max(surcharge, fold.paid_surcharge)
    settled_on = None
    if fold.paid_principal >= item["amount"] + fold.change and fold.principal:
        settled_on = max(day for day, _ in fold.principal)
    return ItemBalance(item, surcharge, fold.paid_surcharge, fold.paid_principal, settled_on, fold.change)


# The fast path of a debtor's balances (``Debtor``'s, fenced by this flag; off, every
# balance folds the debtor's parts again, its reference): each debtor's parts folded per
# item once, then only those recorded since. A payment's balances were a pass over all
# the parts the debtor was ever paid (at 100 payments a debtor, most of a payment's own
# CPU). A fold is of every part recorded, so it stands for the parts valued on or before
# a day only from its latest value date on (a backdated payment takes the plain way).
FOLDED_PARTS = True
NO_PARTS = PartsFold()  # of an item never paid; never added to

# By the identity of the debtor's list of parts, which is only ever appended to
# (``Debtor.PartsRecorded``), kept with it so that the id cannot be reused; a bounded
# number (cleared when full), the fold extended under a lock (a debtor's object could be
# read by two threads).
_FOLDS: dict[int, tuple[list[dict[str, Any]], list[int], dict[str, PartsFold]]] = {}
_FOLDS_KEPT = 8192
_FOLDING = threading.Lock()


def folded_parts(parts: list[dict[str, Any]]) -> dict[str, PartsFold]:
    """``parts`` (each with its ``item_id``) folded per item, in the order recorded."""
    with _FOLDING:
        entry = _FOLDS.get(id(parts))
        if entry is None or entry[0] is not parts:
            if len(_FOLDS) >= _FOLDS_KEPT:
                _FOLDS.clear()
            entry = _FOLDS[id(parts)] = (parts, [0], {})
        _, folded, by_item = entry
        for index in range(folded[0], len(parts)):
            p = parts[index]
            fold = by_item.get(p["item_id"])
            if fold is None:
                fold = by_item[p["item_id"]] = PartsFold()
            fold.add(p)
        folded[0] = len(parts)
        return by_item


def oldest_first(balances: Iterable[ItemBalance], amount: Decimal) -> tuple[list[dict[str, Any]], Decimal]:
    """P2: ``amount`` over the items in order, each one's surcharges before its principal."""
    remaining = amount
    allocation = []
    for balance in balances:
        if remaining <= ZERO:
            break  # nothing left for the items after (O6: their balances not computed)
        for part, owes in (("surcharge", balance.unpaid_surcharge), ("principal", balance.unpaid_principal)):
            paid = min(owes, remaining)
            if paid > ZERO:
                allocation.append({"item_id": balance.item["item_id"], "part": part, "amount": paid})
                remaining -= paid
    return allocation, remaining


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
    fractions = _remembered(rules, ("fractions", due_date, as_of), lambda: tuple(rules.fractions(due_date, as_of)))
    return (surcharge_by_running_sum if RUNNING_SUM else surcharge_by_month)(amount, fractions, principal)


# The fast path of ``_compute_surcharge``: an item paid in k parts over m months of delay
# costs k + m additions instead of k × m (an item paid monthly for years: thousands a
# payment, the ingestion's cost growing with each debtor's history). Off, the plain one,
# its reference. The parts are cents, so their sums are exact at the context's precision
# and the same Decimal (digits and exponent) in whatever order they are added.
RUNNING_SUM = True


def surcharge_by_month(amount: Decimal, fractions: Sequence[tuple[date, Decimal]],
                       principal: Sequence[tuple[date, Decimal]]) -> Decimal:
    """L1: each month's fraction of the principal unpaid when it started, summed, rounded once."""
    fraction_sum = ZERO
    for start, fraction in fractions:
        unpaid = amount - sum((a for day, a in principal if day < start), ZERO)
        fraction_sum += unpaid * fraction
    return money(fraction_sum)


def surcharge_by_running_sum(amount: Decimal, fractions: Sequence[tuple[date, Decimal]],
                             principal: Sequence[tuple[date, Decimal]]) -> Decimal:
    """``surcharge_by_month``, the principal paid before each month's start carried
    forward over the parts in date order (the months' starts ascend)."""
    by_day = sorted(principal, key=_day)
    fraction_sum = paid = ZERO
    taken = 0
    for start, fraction in fractions:
        while taken < len(by_day) and by_day[taken][0] < start:
            paid += by_day[taken][1]
            taken += 1
        fraction_sum += (amount - paid) * fraction
    return money(fraction_sum)


def _day(part: tuple[date, Decimal]) -> date:
    return part[0]


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
