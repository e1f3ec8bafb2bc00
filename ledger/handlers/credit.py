"""A debtor's credit (πιστωτικό υπόλοιπο), O5: it pays the debtor's next items as
they arrive (P2), or is refunded on an operator's order (O2's refund order)."""

from __future__ import annotations

from datetime import date

from aggregates.credit import CREDITED, credit_of
from aggregates.debtor import Debtor
from aggregates.money import ZERO, money
from aggregates.references import valid_afm, valid_iban
from aggregates.routing import held_items
from ledger import inputs
from ledger.application import Ledger
from ledger.commands import Outcome
from ledger.errors import BadInput, NotFound
from ledger.handlers.common import arrangements_of, committed, effective_date, reason_of
from ledger.unit_of_work import UnitOfWork


def apply_credit(uow: UnitOfWork, debtor: Debtor, day: date) -> None:
    """O5/P2: the debtor's credit pays what it owes outside arrangements, oldest first,
    as of ``day`` or, when a payment that made it is valued later, as of that payment."""
    arrangements = arrangements_of(uow, debtor)
    if debtor.credit <= ZERO and not any(a.status in CREDITED for a in arrangements):
        return  # nothing to apply (the usual case), known without reading any history
    on = max([day, *(p["value_date"] for p in debtor.item_payments)])
    debtor.apply_credit(credit_of(debtor, arrangements), uow.settings.surcharges, held_items(arrangements), on)


def refund_credit(ledger: Ledger, afm: str, amount: object, iban: str, reason: str,
                  on: date | None = None) -> Outcome:
    def step(uow: UnitOfWork) -> Outcome:
        limits = uow.settings.limits
        why = reason_of(uow, reason)
        account = valid_iban(inputs.text(iban, "--iban", "iban", limits), "--iban")
        refund = money(inputs.amount(amount, "--amount", limits))
        if refund <= ZERO:
            raise BadInput("--amount", "must be more than zero")
        debtor = uow.get(Debtor, Debtor.create_id(valid_afm(afm, "AFM")))
        if debtor is None:
            raise NotFound("AFM", f"no debtor {afm}")
        available = credit_of(debtor, arrangements_of(uow, debtor))
        refund_id = f"refund:{debtor.afm}:{debtor.version + 1}"  # the event's own version: unique, stable
        debtor.refund_credit(refund_id, refund, account, why, available, effective_date(uow, on))
        return Outcome("refunded", debtor.afm)

    return committed(ledger, step)
