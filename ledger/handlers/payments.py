"""A bank payment (πληρωμή): recorded once, applied where its reference routes it,
or kept in suspense with the reason (P1–P5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from uuid import UUID

from eventsourcing.persistence import Tracking

from aggregates.arrangement import Arrangement
from aggregates.business_day import BUSINESS_DAY_ID
from aggregates.debtor import Debtor
from aggregates.money import money
from aggregates.payment import BankPayment
from aggregates.payment_forms import checked_form
from aggregates.references import ARRANGEMENT_PREFIX, DEBTOR_PREFIX, reference_body
from aggregates.routing import (
    DEBTOR,
    Routed,
    Suspense,
    held_items,
    screen,
    to_arrangement,
    to_debtor,
)
from aggregates.timeline import Receipt
from ledger import inputs
from ledger.application import Ledger
from ledger.commands import Outcome, PaymentInput
from ledger.errors import BadInput
from ledger.handlers.common import (
    arrangements_of,
    committed,
    prefetch_with_arrangements,
    settle,
)
from ledger.i18n import N_
from ledger.settings import Limits
from ledger.unit_of_work import UnitOfWork


def record_payment(ledger: Ledger, payment: PaymentInput, tracking: Tracking | None = None) -> Outcome:
    """``payment_into`` committed; the loser of a race with another writer reads
    again, and applies it or finds it recorded (``duplicate``)."""
    return committed(ledger, lambda uow: payment_into(uow, payment), tracking)


def payment_into(uow: UnitOfWork, payment: PaymentInput) -> Outcome:
    """P1–P5: a bank payment is a fact; it is applied once, or kept in
    suspense with the reason, never refused when well formed."""
    payment = checked_payment(payment, uow.settings.limits)
    implausible = implausibility(payment, uow.settings.limits)
    bank = payment.bank or "UNKNOWN"
    content = {
        "tx_id": payment.tx_id, "bank": bank, "amount": money(payment.amount), "currency": payment.currency,
        "value_date": payment.value_date, "reference": payment.reference, "payer_afm": payment.payer_afm,
        "form": payment.form,
    }
    # Before the first close of day, an implausible value date must not become the
    # payment's business date: date.min then, as for an unreadable payment.
    business_date = uow.business_date() or (date.min if implausible else payment.value_date)
    existing = uow.get(BankPayment, BankPayment.create_id(bank, payment.tx_id))
    if existing is not None:  # P5: applied once; a version not received before joins its one open item (O2)
        if existing.knows(content):
            return Outcome("duplicate", existing.target_id, existing.reason)
        return Outcome("suspense", None, existing.receive_again(content, business_date))
    route, held = (implausible, set()) if implausible else route_payment(
        uow, payment.reference, content["amount"], payment.currency, payment.value_date, payment.form)
    if isinstance(route, Suspense):
        received = BankPayment.receive(business_date=business_date, **content)
        uow.add(received)
        received.suspend(route.reason, business_date)
        return Outcome("suspense", None, route.reason)
    # Received and routed in one event (``Received`` with its target), then applied.
    uow.add(BankPayment.receive(business_date=business_date, **content, target=route.kind, target_id=route.target_id))
    receipt = Receipt(receipt_id(bank, payment.tx_id), payment.value_date, content["amount"])
    apply_routed(uow, route, receipt, held, business_date)
    return Outcome("applied", route.target_id)


def receipt_id(bank: str, tx_id: str) -> str:
    """How an arrangement or a debtor names a bank payment it was paid (P5: unique per bank)."""
    return f"{bank}/{tx_id}"


def checked_payment(payment: PaymentInput, limits: Limits) -> PaymentInput:
    """The payment's form checked (``ledger.inputs``): malformed, it is refused; its text NFC."""
    return replace(
        payment,
        tx_id=inputs.text(payment.tx_id, "tx_id", "tx_id", limits),
        amount=inputs.well_formed_amount(payment.amount, "amount", limits),
        value_date=inputs.iso_date(payment.value_date, "value_date"),
        reference=inputs.optional_text(payment.reference, "reference", "reference", limits),
        bank=inputs.optional_text(payment.bank, "bank", "bank", limits),
        currency=inputs.optional_text(payment.currency, "currency", "currency", limits),
        payer_afm=inputs.optional_text(payment.payer_afm, "payer_afm", "payer_afm", limits),
        form=checked_form(payment.form, "form"),
    )


def implausibility(payment: PaymentInput, limits: Limits) -> Suspense | None:
    """P5: a well-formed payment whose amount or value date is beyond the limits is a
    fact all the same: kept in suspense with the reason, never refused nor applied."""
    try:
        inputs.amount(payment.amount, "amount", limits)
        inputs.plausible_date(payment.value_date, "value_date", limits)
    except BadInput as beyond:
        return Suspense(N_("{reason} (P5)").format(reason=beyond))
    return None


def route_payment(uow: UnitOfWork, reference: str, amount: Decimal, currency: str, value_date: date,
                  form: str | None = None) -> tuple[Routed | Suspense, set[str]]:
    """P2/P5: where a payment with ``reference`` (and G10's ``form``) goes, the aggregates
    it names loaded; and the items the debtor's arrangements hold (what ``apply_routed``
    pays around)."""
    code = screen(reference, amount, currency)
    if isinstance(code, Suspense):
        return code, set()
    if code.kind == DEBTOR:
        debtor = uow.get(Debtor, Debtor.create_id(code.afm or ""))
        held = held_items(arrangements_of(uow, debtor)) if debtor else set()
        return to_debtor(code, debtor, value_date, uow.settings.surcharges, held, form), held
    arrangement = uow.get(Arrangement, Arrangement.create_id(code.reference))
    if arrangement is None:
        return to_arrangement(code, arrangement, value_date, set()), set()
    debtor = debtor_of(uow, arrangement)
    held = held_items(arrangements_of(uow, debtor))
    items = [debtor.items[i] for i in arrangement.item_ids] if form else []  # G10: only a form can refuse them
    return to_arrangement(code, arrangement, value_date, held, form, items), held


def apply_routed(uow: UnitOfWork, route: Routed, receipt: Receipt, held: set[str], business_date: date) -> None:
    """The routed payment paid: P2 to the debtor's items, P3/P4 to the arrangement."""
    if route.kind == DEBTOR:
        debtor = uow.get(Debtor, Debtor.create_id(route.target_id))
        assert debtor is not None  # routed to it
        debtor.pay(receipt.tx_id, receipt.value_date, receipt.amount, uow.settings.surcharges, held, route.owed)
        return
    arrangement = uow.get(Arrangement, UUID(route.target_id))
    assert arrangement is not None  # routed to it
    settle(uow, arrangement, debtor_of(uow, arrangement), business_date, held, [receipt])


def debtor_of(uow: UnitOfWork, arrangement: Arrangement) -> Debtor:
    debtor = uow.get(Debtor, Debtor.create_id(arrangement.debtor_afm))
    assert debtor is not None  # an arrangement is applied for by a registered debtor
    return debtor


def prefetch_payments(uow: UnitOfWork, payments: Sequence[PaymentInput]) -> None:
    """Load, in a few queries for the whole batch, what ``payment_into`` reads for
    ``payments``: each bank payment (most are absent: known so without a query each),
    the arrangement or debtor its reference names, the debtors of those arrangements
    and their arrangements; and the calendar (``UnitOfWork.business_date``)."""
    ids: list[UUID] = [BUSINESS_DAY_ID]
    for payment in payments:
        if payment.tx_id:
            ids.append(BankPayment.create_id(payment.bank or "UNKNOWN", payment.tx_id))
        # Normalised only (the ISO 11649 print form, not checked): a reference ``screen``
        # refuses, or one written otherwise, costs a wasted look-up at most.
        try:
            reference = "".join(payment.reference.split()).upper()
        except (TypeError, AttributeError):
            continue
        body = reference_body(reference)
        if body.startswith(DEBTOR_PREFIX):
            ids.append(Debtor.create_id(body[1:]))
        elif body.startswith(ARRANGEMENT_PREFIX):
            ids.append(Arrangement.create_id(reference))
    prefetch_with_arrangements(uow, ids)


def unreadable_payment_into(uow: UnitOfWork, source: str, raw: bytes, reason: str) -> Outcome:
    """§2.4/P5: a payment message that cannot be read is kept in suspense,
    its bytes with it; ``source`` (topic/partition/offset) makes it unique."""
    business_date = uow.business_date() or date.min
    if uow.get(BankPayment, BankPayment.unreadable_id(source)) is not None:
        return Outcome("duplicate", None, reason)
    # Escaped, so that no control character (NUL: PostgreSQL's text refuses it) is stored.
    text = inputs.escaped(raw.decode("utf-8", errors="backslashreplace"))
    uow.add(BankPayment.receive_unreadable(source, text, inputs.escaped(reason), business_date))
    return Outcome("suspense", None, reason)

