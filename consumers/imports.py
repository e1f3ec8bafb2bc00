"""Messages of interfaces §2 (files or Kafka) turned into ledger commands."""

from __future__ import annotations

from consumers.apd_messages import ApdMessage
from consumers.messages import (
    BankPaymentMessage,
    BankRecallMessage,
    FundCorrectionMessage,
    FundTransferMessage,
    KafkaMessageModel,
)
from ledger.commands import (
    CorrectionInput,
    CorrectionItem,
    DeclarationInput,
    PaymentInput,
    RecallInput,
    TransferInput,
    TransferItem,
)


def payment_input(message: BankPaymentMessage) -> PaymentInput:
    return PaymentInput(
        tx_id=message.tx_id,
        amount=message.amount,
        value_date=message.value_date,
        reference=message.reference,
        bank=message.bank,
        currency=message.currency,
        payer_afm=message.payer_afm,
        form=message.form,
    )


def recall_input(message: BankRecallMessage) -> RecallInput:
    return RecallInput(message.tx_id, message.reason, message.bank, message.value_date)


def transfer_input(message: FundTransferMessage) -> TransferInput:
    return TransferInput(
        fund=message.fund,
        afm=message.debtor.afm,
        name=message.debtor.name,
        amka=message.debtor.amka,
        transfer_id=message.transfer_id,
        items=tuple(TransferItem(i.period, i.kind, i.amount, i.due_date, i.form) for i in message.items),
    )


def correction_input(message: FundCorrectionMessage) -> CorrectionInput:
    items = tuple(CorrectionItem(i.period, i.kind, i.amount) for i in message.items)
    return CorrectionInput(message.action, message.correction_id, message.fund, message.debtor.afm,
                           message.transfer_id, items)


_INPUTS = {BankPaymentMessage: payment_input, BankRecallMessage: recall_input,
           FundTransferMessage: transfer_input, FundCorrectionMessage: correction_input,
           ApdMessage: ApdMessage.command}


def command_of(
        message: KafkaMessageModel) -> PaymentInput | RecallInput | TransferInput | CorrectionInput | DeclarationInput:
    """The ledger's command for a message of an inbound topic."""
    return _INPUTS[type(message)](message)  # type: ignore[operator]
