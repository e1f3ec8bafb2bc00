"""Routing a bank payment (δρομολόγηση πληρωμής): where it goes, or why to suspense.

A well-formed payment is never refused (P5): it is routed by its reference to
the arrangement whose payment code it is (C10) or to the debtor whose identity
code it is (P2), or kept in suspense with the reason. Pure functions of the
payment and of the aggregates its reference names, loaded by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from typing import Any

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.money import ZERO
from aggregates.payment_forms import forms_refused, may_pay
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
              held: set[str], form: str | None = None) -> Routed | Suspense:
    """P2: a debtor identity code pays the debtor's items outside arrangements; a
    debtor who owes nothing there sends the payment to suspense. G10 [P]: a payment
    with a ``form`` pays, oldest first, only the items that form may pay; when it
    may pay none of those owed, it goes to suspense naming the forms."""
    if debtor is None:
        return Suspense(N_("debtor identity code {reference} names no debtor (P2)").format(reference=code.reference))
    # O6: up to the first item owed only; ``pay`` goes on from there
    owed = debtor.owed_in_due_order(value_date, rules, held) if debtor.INCREMENTAL else iter(
        debtor.owed_balances(value_date, rules, held))
    looked_at, refused = [], []
    # An item with principal unpaid has outstanding > 0 (its unpaid surcharge is never
    # negative), so this is "principal owed, or else any surcharge owed" in one pass.
    for balance in owed:
        if not may_pay(form, balance.item):
            if balance.outstanding > ZERO:
                refused.append(balance.item)
            continue
        looked_at.append(balance)
        if balance.outstanding > ZERO:
            rest = (b for b in owed if may_pay(form, b.item))
            return Routed(DEBTOR, debtor.afm, chain(looked_at, rest) if debtor.INCREMENTAL else (*looked_at, *rest))
    if refused:
        return Suspense(N_("a form {form} payment may not pay the items of form {forms} debtor {afm} owes "
                           "(G10)").format(form=form, forms="/".join(forms_refused(form, refused)), afm=debtor.afm))
    return Suspense(OWES_NOTHING.format(afm=debtor.afm))


def to_arrangement(code: PaymentCode, arrangement: Arrangement | None, value_date: date,
                   held: set[str], form: str | None = None,
                   items: Sequence[Mapping[str, Any]] = ()) -> Routed | Suspense:
    """P5: a rejected, lapsed or completed arrangement owes nothing; E2: a payment made
    before the lapse, received after it, still counts (the lapse is reversed), unless
    another arrangement took the items since (``held``: the debtor's held items).
    G10 [P]: an instalment pays all the arrangement's ``items`` together, so a payment
    with a ``form`` pays it only if that form may pay every one of them."""
    if arrangement is None:
        return Suspense(N_("payment code {reference} names no arrangement (P2)").format(reference=code.reference))
    lapsed_on = arrangement.facts.get("lapsed", {}).get("business_date")
    backdated = (arrangement.status == Status.LAPSED and lapsed_on is not None and value_date < lapsed_on
                 and not held & set(arrangement.item_ids))
    if arrangement.status in ENDED and not backdated:
        return Suspense(N_("nothing owed on arrangement {reference}: it is {status} (P5)").format(
            reference=code.reference, status=arrangement.status))
    refused = forms_refused(form, items)
    if refused:
        return Suspense(N_("a form {form} payment may not pay arrangement {reference}, which holds items of "
                           "form {forms} (G10)").format(form=form, reference=code.reference, forms="/".join(refused)))
    return Routed(ARRANGEMENT, str(arrangement.id))


def held_items(arrangements: Sequence[Arrangement]) -> set[str]:
    """The debtor's items an arrangement holds: all but those of released ones."""
    return {i for a in arrangements if a.status not in RELEASED for i in a.item_ids}


@lru_cache(maxsize=65_536)
def checked_reference(reference: str) -> str:
    """``valid_reference``, remembered: an arrangement's code is paid every month and
    its ISO 7064 check was 5% of a consumer batch (a refused one is not kept)."""
    return valid_reference(reference)
