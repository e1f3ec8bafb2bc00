"""Generated ledger histories: debtors, fund transfers, arrangements, payments
(good, backdated, unroutable and conflicting duplicates), the operators'
corrections (suspense assigned or refunded, bank recalls, fund amendments and
cancellations, §14) and closes of day, through the ledger's own commands. Used by
the projection tests and the benchmark."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from stdnum.gr import vat

from aggregates.calendar import add_months
from aggregates.errors import DomainError
from aggregates.references import arrangement_payment_code, debtor_identity_code
from ledger.application import Ledger
from ledger.commands import (
    CorrectionInput,
    CorrectionItem,
    PaymentInput,
    RecallInput,
    TransferInput,
    TransferItem,
)
from ledger.errors import BadInput
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from ledger.handlers.debtors import register_debtor
from ledger.handlers.fund_corrections import correct_debt
from ledger.handlers.payments import record_payment
from ledger.handlers.recalls import recall_payment
from ledger.handlers.suspense import assign_payment, dismiss_payment, refund_payment
from ledger.handlers.transfers import record_transfer


def afm(number: int) -> str:
    body = f"{number:08d}"
    return body + vat.calc_check_digit(body)


def operators_act(app: Ledger, rng: random.Random, payment: PaymentInput, status: str, number: str,
                  month: int, resent: bool) -> None:
    """§14, now and then: a payment in suspense assigned to the debtor or refunded (O2),
    one applied recalled by its bank (O3), what the bank sent again of one applied
    dismissed (O2, P5) or sent once more after an assignment (a new item), an item of
    the debtor's amended or cancelled by its fund (O4). A refusal (the target owes
    nothing; the item is gone) is a possible outcome, as for an operator."""
    roll = rng.random()
    try:
        if status == "suspense" and roll < 0.3:
            assign_payment(app, payment.tx_id, payment.bank, number, "payer's ΑΦΜ on the slip")
            if resent:
                record_payment(app, replace(payment, amount=payment.amount + 2))
        elif status == "suspense" and roll < 0.5:
            refund_payment(app, payment.tx_id, payment.bank, IBAN, "no debt")
        elif status == "applied" and roll < 0.06:
            recall_payment(app, RecallInput(payment.tx_id, "returned transfer", payment.bank))
        elif status == "applied" and resent and roll < 0.6:
            dismiss_payment(app, payment.tx_id, payment.bank, "the same transfer, applied once")
        elif roll > 0.92:
            debtor = app.debtor(number)
            if debtor.items:
                item = rng.choice(sorted(debtor.items.values(), key=lambda i: i["item_id"]))
                fund, transfer_id = item["item_id"].split(":")[:2]
                amount = None if rng.random() < 0.4 else (item["amount"] / 2).quantize(Decimal("0.01"))
                correct_debt(app, CorrectionInput("cancel" if amount is None else "amend", f"C{number}-{month}-{roll}",
                                                  fund, number, transfer_id,
                                                  (CorrectionItem(item["period"], item["kind"], amount),)))
    except DomainError:
        pass


IBAN = "GR1601101250000000012300695"


def generate(app: Ledger, seed: int = 1, debtors: int = 8, months: int = 8, start: date = date(2021, 1, 4),
             first_afm: int = 10_000_000) -> None:
    """A history of ``months`` months for ``debtors`` debtors (a few thousand events at the defaults)."""
    rng = random.Random(seed)
    day = start
    close_day(app, day)
    afms = [afm(first_afm + i) for i in range(debtors)]
    codes: dict[str, list[str]] = {}
    tx = 0
    for index, number in enumerate(afms):
        parent = afms[0] if index and rng.random() < 0.15 else None
        register_debtor(app, number, f"Debtor {number}", day, service=f"KEAO-{index % 3}", parent_afm=parent)
        codes[number] = []
    for month in range(months):
        for number in afms:
            if rng.random() < 0.6:
                items = tuple(
                    TransferItem(f"{2020 + (month + k) // 12}-{(month + k) % 12 + 1:02d}",
                                 rng.choice(("contribution", "fee", "surcharge")),
                                 Decimal(rng.randrange(200_00, 3000_00)) / 100,
                                 day - timedelta(days=rng.randrange(0, 400)))
                    for k in range(rng.randrange(1, 4))
                )
                record_transfer(app, TransferInput(rng.choice(("IKA", "OAEE", "OGA", "ETAA")), number, items,
                                                  transfer_id=f"T{number}-{month}", business_date=day))
            if rng.random() < 0.25:
                try:
                    a = apply_for_arrangement(app, number, rng.choice(("standing", "standing", "covid-650")), day,
                                  rng.choice((None, 6, 12, 24)))
                    codes[number].append(a.payment_code)
                except BadInput:
                    pass
            for _ in range(rng.randrange(0, 3)):
                tx += 1
                roll = rng.random()
                if codes[number] and roll < 0.6:
                    reference = rng.choice(codes[number])
                elif roll < 0.85:
                    reference = debtor_identity_code(number)
                elif roll < 0.95:
                    reference = arrangement_payment_code("4152", number, 99)  # names no arrangement
                else:
                    reference = "RF00BAD"
                amount = Decimal(rng.randrange(10_00, 900_00)) / 100
                payment = PaymentInput(f"TX{seed}-{tx}", amount, day - timedelta(days=rng.randrange(0, 20)),
                                       reference, rng.choice(("ALPHA", "NBG", "PIRAEUS")))
                outcome = record_payment(app, payment)
                resent = rng.random() < 0.05  # the same transaction id again, other content (P5)
                if resent:
                    record_payment(app, replace(payment, amount=amount + 1))
                operators_act(app, rng, payment, outcome.status, number, month, resent)
        day = add_months(start, month + 1)
        close_day(app, day)
