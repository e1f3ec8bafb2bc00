"""Routing a bank payment (δρομολόγηση πληρωμής): where it goes, or why to suspense.

A well-formed payment is never refused (P5): it is routed by its reference to
the arrangement whose payment code it is (C10) or to the debtor whose identity
code it is (P2), or kept in suspense with the reason. Pure functions of the
payment and of the aggregates its reference names, loaded by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from typing import Any

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.money import ZERO
from aggregates.references import (
    ARRANGEMENT_PREFIX,
    DEBTOR_PREFIX,
    InvalidIdentifier,
    reference_body,
    valid_reference,
)
from aggregates.status import ENDED, RELEASED, Status
from aggregates.surcharges import SurchargeRules
from aggregates.wording import N_

DEBTOR = "debtor"
ARRANGEMENT = "arrangement"
OWES_NOTHING = N_("debtor {afm} owes nothing outside arrangements (P2)")


@dataclass(frozen=True)
class PaymentCode:
    """A valid KEAO reference: a debtor identity code or an arrangement's payment code."""

    kind: str  # DEBTOR or ARRANGEMENT
    reference: str  # in its normalised print form
    afm: str | None = None  # the debtor's, for a debtor identity code


@dataclass(frozen=True)
class Routed:
    """The payment goes to this debtor (by ΑΦΜ) or arrangement (by id)."""

    kind: str
    target_id: str
    # P2: the debtor's balances it pays, computed once (with O6's fast path, as they are
    # reached: the balances routing looked at, then the rest of the same pass)
    owed: Iterable[Any] | None = None


@dataclass(frozen=True)
class Suspense:
    """The payment waits in suspense, for this reason (P5)."""

    reason: str


def screen(reference: str, amount: Decimal, currency: str) -> PaymentCode | Suspense:
    """P5, C10: a payment in EUR of more than zero whose reference is a KEAO code."""
    if currency != "EUR":
        return Suspense(N_("currency {currency} is not EUR (P5)").format(currency=repr(currency)))
    if amount <= ZERO:
        return Suspense(N_("amount {amount} is not more than zero (P5)").format(amount=amount))
    try:
        reference = checked_reference(reference)
    except InvalidIdentifier as error:
        return Suspense(N_("{reason} (C10)").format(reason=error.reason))
    body = reference_body(reference)
    if body.startswith(DEBTOR_PREFIX):
        return PaymentCode(DEBTOR, reference, afm=body[1:])
    if body.startswith(ARRANGEMENT_PREFIX):
        return PaymentCode(ARRANGEMENT, reference)
    return Suspense(N_("reference {reference} is not a KEAO payment code (P2)").format(reference=reference))


def to_debtor(code: PaymentCode, debtor: Debtor | None, value_date: date, rules: SurchargeRules,
              held: set[str]) -> Routed | Suspense:
    """P2: a debtor identity code pays the debtor's items outside arrangements; a
    debtor who owes nothing there sends the payment to suspense."""
    if debtor is None:
        return Suspense(N_("debtor identity code {reference} names no debtor (P2)").format(reference=code.reference))
    # An item with principal unpaid has outstanding > 0 (its unpaid surcharge is never
    # negative), so this is "principal owed, or else any surcharge owed" in one pass.
    if debtor.INCREMENTAL:  # O6: up to the first item owed only; ``pay`` goes on from there
        balances = debtor.owed_in_due_order(value_date, rules, held)
        looked_at = []
        for balance in balances:
            looked_at.append(balance)
            if balance.outstanding > ZERO:
                return Routed(DEBTOR, debtor.afm, chain(looked_at, balances))
        return Suspense(OWES_NOTHING.format(afm=debtor.afm))
    owed = debtor.owed_balances(value_date, rules, held)
    if not any(b.outstanding > ZERO for b in owed):
        return Suspense(OWES_NOTHING.format(afm=debtor.afm))
    return Routed(DEBTOR, debtor.afm, tuple(owed))


def to_arrangement(code: PaymentCode, arrangement: Arrangement | None, value_date: date,
                   held: set[str]) -> Routed | Suspense:
    """P5: a rejected, lapsed or completed arrangement owes nothing; E2: a payment made
    before the lapse, received after it, still counts (the lapse is reversed), unless
    another arrangement took the items since (``held``: the debtor's held items)."""
    if arrangement is None:
        return Suspense(N_("payment code {reference} names no arrangement (P2)").format(reference=code.reference))
    lapsed_on = arrangement.facts.get("lapsed", {}).get("business_date")
    backdated = (arrangement.status == Status.LAPSED and lapsed_on is not None and value_date < lapsed_on
                 and not held & set(arrangement.item_ids))
    if arrangement.status in ENDED and not backdated:
        return Suspense(N_("nothing owed on arrangement {reference}: it is {status} (P5)").format(
            reference=code.reference, status=arrangement.status))
    return Routed(ARRANGEMENT, str(arrangement.id))


def held_items(arrangements: Sequence[Arrangement]) -> set[str]:
    """The debtor's items an arrangement holds: all but those of released ones."""
    return {i for a in arrangements if a.status not in RELEASED for i in a.item_ids}


@lru_cache(maxsize=65_536)
def checked_reference(reference: str) -> str:
    """``valid_reference``, remembered: an arrangement's code is paid every month and
    its ISO 7064 check was 5% of a consumer batch (a refused one is not kept)."""
    return valid_reference(reference)
