"""Messages of interfaces §2 (files or Kafka) turned into ledger commands."""

from __future__ import annotations

from consumers.messages import BankPaymentMessage, FundTransferMessage
from ledger.commands import PaymentInput, TransferInput, TransferItem


def payment_input(message: BankPaymentMessage) -> PaymentInput:
    return PaymentInput(
        tx_id=message.tx_id,
        amount=message.amount,
        value_date=message.value_date,
        reference=message.reference,
        bank=message.bank,
        currency=message.currency,
        payer_afm=message.payer_afm,
    )


def transfer_input(message: FundTransferMessage) -> TransferInput:
    return TransferInput(
        fund=message.fund,
        afm=message.debtor.afm,
        name=message.debtor.name,
        amka=message.debtor.amka,
        transfer_id=message.transfer_id,
        items=tuple(TransferItem(i.period, i.kind, i.amount, i.due_date) for i in message.items),
    )
