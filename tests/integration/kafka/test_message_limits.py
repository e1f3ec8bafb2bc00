"""Issue 12 on the Kafka side: the message models check what the command line checks
(``ledger.inputs``), and a payment message holding NUL or another control character
is malformed: dead-lettered and kept in suspense as unreadable, its stored bytes
escaped, so that nothing of it reaches PostgreSQL's text and every view still answers.
Parsing needs no broker; the batches run on both stores (``db_url``)."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from aggregates.payment import BankPayment
from aggregates.references import debtor_identity_code
from consumers.dlq import HEADER_ERROR, dead_letter_info
from consumers.ingest import PAYMENTS, TRANSFERS, Ingestor, unreadable_source
from consumers.messages import (
    BankPaymentMessage,
    FundTransferMessage,
    MessageFormatError,
)
from ledger.application import Ledger
from tests.cli_helpers import run_cli
from tests.integration.helpers import AFM, AFM2, Rec, Sink, covid_case
from tests.integration.kafka.test_kafka_messages import PAYMENT, TRANSFER

DATES = "is outside the plausible dates 1990-01-01 to 2099-12-31"
CHECK_DIGIT = "(The number's checksum or check digit is invalid.)"


def raw(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")  # "\u0000" stays an escape


def problems(model: Any, value: bytes) -> list[str]:
    with pytest.raises(MessageFormatError) as caught:
        model.from_bytes(value)
    return caught.value.problems


def debtor(**change: str) -> dict:
    return {**TRANSFER, "debtor": {**TRANSFER["debtor"], **change}}


def item(**change: str) -> dict:
    return {**TRANSFER, "items": [{**TRANSFER["items"][0], **change}]}


@pytest.mark.parametrize("change, expected", [
    ({"reference": "RF\u0000"}, ["reference: contains a control character (U+0000)"]),
    ({"tx_id": "T\u001b[2J"}, ["tx_id: contains a control character (U+001B)"]),
    ({"bank": "\u202eETE"}, ["bank: contains a bidirectional mark (U+202E)"]),
    ({"payer_afm": "\u200b"}, ["payer_afm: has no visible character (only zero-width ones)"]),
    ({"tx_id": "X" * 100_000}, ["tx_id: is 100000 characters long, at most 64"]),
    ({"reference": "RF" + "0" * 34}, ["reference: is 36 characters long, at most 35"]),
    ({"amount": "1_000"}, ["amount: '1_000' is not a decimal number"]),
    ({"amount": "\uff11\uff12"}, ["amount: '１２' is not a decimal number"]),
    ({"amount": "Infinity"}, ["amount: 'Infinity' is not a decimal number"]),
    ({"amount": "12.345"}, ["amount: '12.345' has more than 2 decimals"]),
    ({"amount": "1" + "0" * 25}, [f"amount: '1{'0' * 25}' has more than 15 digits before the decimal point"]),
    ({"value_date": "20240329"}, ["value_date: '20240329' is not an ISO date YYYY-MM-DD"]),
    ({"value_date": "2024W131"}, ["value_date: '2024W131' is not an ISO date YYYY-MM-DD"]),
])
def test_a_malformed_payment_names_the_field(change, expected):
    assert problems(BankPaymentMessage, raw({**PAYMENT, **change})) == expected


def test_a_payment_beyond_the_limits_parses_for_suspense():
    # P5: well formed but implausible: the ledger keeps it in suspense with the reason.
    payment = BankPaymentMessage.from_bytes(raw({**PAYMENT, "amount": "100000000000.00", "value_date": "9999-12-31"}))
    assert (payment.amount, payment.value_date) == (Decimal("100000000000.00"), date(9999, 12, 31))


def test_message_text_is_nfc():
    name = unicodedata.normalize("NFD", "Ανδρέου")
    assert FundTransferMessage.from_bytes(raw(debtor(name=name))).debtor.name == "Ανδρέου" != name


@pytest.mark.parametrize("document, expected", [
    (item(due_date="9999-12-31"), [f"items.0.due_date: 9999-12-31 {DATES}"]),
    (item(due_date="0001-01-01"), [f"items.0.due_date: 0001-01-01 {DATES}"]),
    (item(due_date="20200430"), ["items.0.due_date: '20200430' is not an ISO date YYYY-MM-DD"]),
    (item(period="1900-03"), ["items.0.period: 1900-03 is outside the plausible periods 1990-01 to 2099-12"]),
    (item(amount="10000000000.01"),
     ["items.0.amount: 10000000000.01 is more than the limit of 10000000000.00 EUR"]),
    (item(amount="1e3"), ["items.0.amount: '1e3' is not a decimal number"]),
    (debtor(name="Α\u0000"), ["debtor.name: contains a control character (U+0000)"]),
    (debtor(name="\u200b\u200d"), ["debtor.name: has no visible character (only zero-width ones)"]),
    ({**TRANSFER, "transfer_id": "OAEE\u2066-77"}, ["transfer_id: contains a bidirectional mark (U+2066)"]),
])
def test_a_malformed_transfer_names_the_field(document, expected):
    assert problems(FundTransferMessage, raw(document)) == expected


# -- a batch: dead letters, suspense, and nothing of it in PostgreSQL's text -------------------




def message(tx_id: str, **change: str) -> dict:
    return {"tx_id": tx_id, "bank": "ETE", "amount": "10.00", "currency": "EUR", "value_date": "2021-12-20",
            "reference": debtor_identity_code(AFM), **change}


def test_payment_messages_with_nul_are_unreadable_and_every_view_answers(db_url, capsys):
    ledger = Ledger(db_url)
    try:
        covid_case(ledger)
        records = [
            Rec(0, raw(message("N1", reference="RF\u0000"))),  # the escape \u0000 in the JSON
            Rec(1, b'{"tx_id": "N2\x00", "reference": "\x1b[31m\xe2\x80\xae"}'),  # the raw bytes: not JSON
            Rec(2, raw(message("N3", value_date="9999-12-31"))),
        ]
        head = ledger.recorder.max_notification_id()
        sink = Sink()
        result = Ingestor(ledger, PAYMENTS, sink).apply(records)
        assert (result.statuses, len(sink.sent)) == ({"dead-letter": 2, "suspense": 1}, 3)
        assert ledger.recorder.max_notification_id() == head + 4  # 2 unreadable, N3 received and suspended
        unreadable = [ledger.repository.get(BankPayment.unreadable_id(unreadable_source(r))) for r in records[:2]]
        assert [p.raw for p in unreadable] == [
            raw(message("N1", reference="RF\u0000")).decode(),
            '{"tx_id": "N2\\x00", "reference": "\\x1b[31m\\u202e"}',
        ]
        assert unreadable[0].reason == "MessageFormatError: malformed BankPaymentMessage: " \
            "reference: contains a control character (U+0000)"
    finally:
        ledger.close()
    for args in (["show", "suspense"], ["show", "debt-table", AFM], ["show", "clearance", AFM], ["audit", AFM]):
        status, out, err = run_cli(db_url, *args, capsys=capsys)
        assert (status, err) == (0, ""), (args, err)
    status, out, err = run_cli(db_url, "show", "suspense", "--json", capsys=capsys)
    assert [(e["tx_id"], e["reason"]) for e in json.loads(out) if e["tx_id"]] == [("N3", f"value_date: 9999-12-31 {DATES} (P5)")]


@pytest.mark.parametrize("change, error", [
    ({"afm": "000000000"}, "afm: not a valid ΑΦΜ (all zeros)"),
    ({"afm": AFM2, "amka": "01017012345"}, f"amka: not a valid ΑΜΚΑ {CHECK_DIGIT}"),
])
def test_a_transfer_message_with_an_all_zero_afm_or_a_bad_amka_is_a_dead_letter(db_url, change, error):
    """The same checks as the command line's (``aggregates.references``), in the ledger (D4)."""
    ledger = Ledger(db_url)
    try:
        sink = Sink()
        result = Ingestor(ledger, TRANSFERS, sink).apply([Rec(0, raw(debtor(**change)))])
        assert (result.statuses, ledger.recorder.max_notification_id() or 0) == ({"dead-letter": 1}, 0)
        assert dead_letter_info(sink.sent[0].headers)[HEADER_ERROR] == error
    finally:
        ledger.close()
