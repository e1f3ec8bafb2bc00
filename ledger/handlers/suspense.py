"""Resolving a payment in suspense (εκκαθάριση αναμονής), O2: an operator assigns it
to an arrangement or a debtor, applied as of its value date, or orders its refund;
either resolves its one item, every version the bank sent of it (P5). What the bank
sent again of a transaction applied, refunded or recalled already is dismissed."""

from __future__ import annotations

from datetime import date

from aggregates.errors import NotAllowed
from aggregates.payment import BankPayment
from aggregates.references import debtor_identity_code, valid_afm, valid_iban
from aggregates.routing import Suspense
from aggregates.timeline import Receipt
from ledger import inputs
from ledger.application import Ledger
from ledger.commands import Outcome
from ledger.errors import NotFound
from ledger.handlers.common import committed, effective_date, reason_of
from ledger.handlers.payments import apply_routed, receipt_id, route_payment
from ledger.unit_of_work import UnitOfWork


def assign_payment(ledger: Ledger, tx_id: str, bank: str | None, to: str, reason: str,
                   on: date | None = None) -> Outcome:
    return committed(ledger, lambda uow: assign_into(uow, tx_id, bank, to, reason, on))


def assign_into(uow: UnitOfWork, tx_id: str, bank: str | None, to: str, reason: str, on: date | None) -> Outcome:
    """O2: the payment goes where ``to`` (a payment code, an identity code or an ΑΦΜ)
    sends it, as if its reference had: P2/P3 as of its value date, E2 corrections.
    A target that takes no payment (owes nothing, is closed) is refused (``--to``)."""
    reason = reason_of(uow, reason)
    payment = _in_suspense(uow, tx_id, bank)
    target = inputs.text(to, "--to", "reference", uow.settings.limits)
    reference = debtor_identity_code(valid_afm(target, "--to")) if target.isdigit() else target
    fields = payment.fields
    business_date = effective_date(uow, on)
    # G10: the payment's form still limits what it may pay
    route, held = route_payment(uow, reference, fields["amount"], fields["currency"], fields["value_date"],
                                fields.get("form"))
    if isinstance(route, Suspense):
        raise NotAllowed("--to", route.reason)
    payment.assign(route.kind, route.target_id, target, reason, business_date)
    receipt = Receipt(receipt_id(fields["bank"], fields["tx_id"]), fields["value_date"], fields["amount"])
    apply_routed(uow, route, receipt, held, business_date)
    return Outcome("applied", route.target_id)


def refund_payment(ledger: Ledger, tx_id: str, bank: str | None, iban: str, reason: str,
                   on: date | None = None) -> Outcome:
    return committed(ledger, lambda uow: refund_into(uow, tx_id, bank, iban, reason, on))


def refund_into(uow: UnitOfWork, tx_id: str, bank: str | None, iban: str, reason: str, on: date | None) -> Outcome:
    """O2: a refund order to the payer's IBAN for the whole amount, published on
    ``keao.refunds`` (its ``refund_id`` lets the bank drop repeats)."""
    reason = reason_of(uow, reason)
    account = valid_iban(inputs.text(iban, "--iban", "iban", uow.settings.limits), "--iban")
    payment = _in_suspense(uow, tx_id, bank)
    payment.order_refund(f"refund:{receipt_id(payment.fields['bank'], tx_id)}", account, reason,
                         effective_date(uow, on))
    return Outcome("refunded", None)


def dismiss_payment(ledger: Ledger, tx_id: str, bank: str | None, reason: str, on: date | None = None) -> Outcome:
    return committed(ledger, lambda uow: dismiss_into(uow, tx_id, bank, reason, on))


def dismiss_into(uow: UnitOfWork, tx_id: str, bank: str | None, reason: str, on: date | None) -> Outcome:
    """O2, P5: the open item of versions received again of a transaction applied,
    refunded or recalled already is closed: nothing is applied nor refunded."""
    reason = reason_of(uow, reason)
    payment = _payment(uow, tx_id, bank)
    payment.dismiss(reason, effective_date(uow, on))
    return Outcome("dismissed", payment.target_id)


def _in_suspense(uow: UnitOfWork, tx_id: str, bank: str | None) -> BankPayment:
    payment = _payment(uow, tx_id, bank)
    payment.must_wait_in_suspense()
    return payment


def _payment(uow: UnitOfWork, tx_id: str, bank: str | None) -> BankPayment:
    bank = bank or "UNKNOWN"
    tx_id = inputs.text(tx_id, "TX_ID", "tx_id", uow.settings.limits)
    payment = uow.get(BankPayment, BankPayment.create_id(bank, tx_id))
    if payment is None:
        raise NotFound("TX_ID", f"no payment {tx_id} from bank {bank}")
    return payment
