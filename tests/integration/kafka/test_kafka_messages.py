"""Schemas of the Kafka messages (interfaces §2): readable vs malformed. No broker needed."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from consumers.messages import (
    BankPaymentMessage,
    FundTransferMessage,
    LedgerEventMessage,
    MessageFormatError,
)

PAYMENT = {
    "tx_id": "ETE-2024-000123",
    "bank": "ETE",
    "amount": "120.50",
    "currency": "EUR",
    "value_date": "2024-03-29",
    "reference": "RF18539007547034",
    "payer_afm": "090000045",
}

TRANSFER = {
    "transfer_id": "OAEE-2024-77",
    "fund": "OAEE",
    "debtor": {"afm": "090000045", "name": "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΕΩΡΓΙΟΣ", "amka": "01017012345"},
    "items": [
        {"period": "2020-03", "kind": "contribution", "amount": "173.70", "due_date": "2020-04-30"},
        {"period": "2020-03", "kind": "surcharge", "amount": "12.04", "due_date": "2020-04-30"},
    ],
    "sent_at": "2024-01-05T10:00:00+02:00",
}


def _json(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _problems(model, raw: bytes) -> list[str]:
    with pytest.raises(MessageFormatError) as caught:
        model.from_bytes(raw)
    return caught.value.problems


def test_payment_parses_amount_as_exact_decimal():
    payment = BankPaymentMessage.from_bytes(_json(PAYMENT))

    assert payment.amount == Decimal("120.50")
    assert str(payment.amount) == "120.50"
    assert payment.value_date == date(2024, 3, 29)
    assert payment.payer_afm == "090000045"
    assert payment.kafka_key() == b"RF18539007547034"


def test_payment_without_payer_afm_and_with_unknown_fields_parses():
    document = {key: value for key, value in PAYMENT.items() if key != "payer_afm"}
    payment = BankPaymentMessage.from_bytes(_json({**document, "channel": "web"}))

    assert payment.payer_afm is None
    assert BankPaymentMessage.from_bytes(payment.to_bytes()) == payment
    assert json.loads(payment.to_bytes()) == document


@pytest.mark.parametrize(
    "field, value",
    [
        ("amount", "0.00"),
        ("amount", "-15.00"),
        ("currency", "USD"),
        ("reference", "RF00NOTVALID"),
        ("reference", ""),
    ],
)
def test_business_invalid_payment_still_parses_for_suspense(field, value):
    # Domain P5: the ledger keeps these in suspense with a reason; parsing must not drop them.
    payment = BankPaymentMessage.from_bytes(_json({**PAYMENT, field: value}))

    assert getattr(payment, field) == (Decimal(value) if field == "amount" else value)


@pytest.mark.parametrize(
    "raw, expected_problems",
    [
        (b"not json", ["<message>: not valid JSON (expected ident at line 1 column 2)"]),
        (b"[1, 2]", ["<message>: must be a JSON object"]),
        (
            _json({key: value for key, value in PAYMENT.items() if key != "amount"}),
            ["amount: Field required"],
        ),
        (
            _json({**PAYMENT, "amount": 120.5}),
            ['amount: must be a decimal string such as "12.50", not a JSON number (120.5)'],
        ),
        (_json({**PAYMENT, "amount": "12,50"}), ["amount: '12,50' is not a decimal number"]),
        (_json({**PAYMENT, "amount": "NaN"}), ["amount: 'NaN' is not a decimal number"]),
        (_json({**PAYMENT, "amount": "1e3"}), ["amount: '1e3' is not a decimal number"]),
        (
            _json({**PAYMENT, "value_date": "29/03/2024"}),
            ["value_date: '29/03/2024' is not an ISO date YYYY-MM-DD"],
        ),
        (
            _json({**PAYMENT, "value_date": "2024-02-30"}),
            ["value_date: '2024-02-30' is not a valid date (day is out of range for month)"],
        ),
        (_json({**PAYMENT, "tx_id": 123}), ["tx_id: Input should be a valid string"]),
        (
            _json({**PAYMENT, "tx_id": "", "amount": None}),
            [
                "tx_id: String should have at least 1 character",
                "amount: must be a decimal string, got NoneType",
            ],
        ),
    ],
)
def test_malformed_payment_names_field_and_reason(raw, expected_problems):
    assert _problems(BankPaymentMessage, raw) == expected_problems


def test_malformed_payment_error_message_lists_problems():
    with pytest.raises(MessageFormatError) as caught:
        BankPaymentMessage.from_bytes(_json({**PAYMENT, "amount": "abc"}))

    assert str(caught.value) == "malformed BankPaymentMessage: amount: 'abc' is not a decimal number"
    assert caught.value.message_type == "BankPaymentMessage"


def test_fund_transfer_parses_nested_items():
    transfer = FundTransferMessage.from_bytes(_json(TRANSFER))

    assert transfer.fund == "OAEE"
    assert transfer.debtor.afm == "090000045"
    assert transfer.debtor.amka == "01017012345"
    assert [(i.period, i.kind, i.amount, i.due_date) for i in transfer.items] == [
        ("2020-03", "contribution", Decimal("173.70"), date(2020, 4, 30)),
        ("2020-03", "surcharge", Decimal("12.04"), date(2020, 4, 30)),
    ]
    assert transfer.sent_at == datetime(2024, 1, 5, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    assert transfer.kafka_key() == b"090000045"
    assert FundTransferMessage.from_bytes(transfer.to_bytes()) == transfer


def test_fund_transfer_sent_at_without_offset_is_taken_as_utc():
    transfer = FundTransferMessage.from_bytes(_json({**TRANSFER, "sent_at": "2024-01-05T10:00:00"}))

    assert transfer.sent_at == datetime(2024, 1, 5, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "change, expected_problems",
    [
        ({"fund": "EFKA"}, ["fund: Input should be 'IKA', 'OAEE', 'OGA' or 'ETAA'"]),
        ({"items": []}, ["items: List should have at least 1 item after validation, not 0"]),
        ({"sent_at": 1704441600}, ["sent_at: Input should be a valid datetime"]),
        (
            {"debtor": {"afm": "12345", "name": "Χ"}},
            ["debtor.afm: '12345' is not 9 digits"],
        ),
        ({"debtor": {"afm": "090000045"}}, ["debtor.name: Field required"]),
        (
            {"items": [{"period": "2020-13", "kind": "penalty", "amount": 5, "due_date": "2020-04-30"}]},
            [
                "items.0.period: '2020-13' is not a period YYYY-MM",
                "items.0.kind: Input should be 'contribution', 'surcharge', 'fee', "
                "'clearing_instalment' or 'insurance_time_recognition'",
                'items.0.amount: must be a decimal string such as "12.50", not a JSON number (5)',
            ],
        ),
    ],
)
def test_malformed_fund_transfer_names_field_and_reason(change, expected_problems):
    assert _problems(FundTransferMessage, _json({**TRANSFER, **change})) == expected_problems


def test_ledger_event_serialises_decimals_as_strings_and_dates_iso():
    event = LedgerEventMessage(
        event_id="3f2b8c1e-0000-4000-8000-000000000001",
        type="Paid",
        aggregate_id="arr-1",
        aggregate_version=3,
        position=42,
        business_date=date(2024, 3, 29),
        recorded_at=datetime(2024, 3, 29, 15, 4, 5, tzinfo=timezone.utc),
        payload={"amount": Decimal("50.00"), "value_date": date(2024, 3, 28), "note": None},
    )

    assert json.loads(event.to_bytes()) == {
        "event_id": "3f2b8c1e-0000-4000-8000-000000000001",
        "type": "Paid",
        "aggregate_id": "arr-1",
        "aggregate_version": 3,
        "position": 42,
        "business_date": "2024-03-29",
        "recorded_at": "2024-03-29T15:04:05Z",
        "payload": {"amount": "50.00", "value_date": "2024-03-28", "note": None},
    }
    assert event.kafka_key() == b"arr-1"
    parsed = LedgerEventMessage.from_bytes(event.to_bytes())
    assert (parsed.event_id, parsed.position, parsed.payload["amount"]) == (event.event_id, 42, "50.00")


def test_ledger_event_rejects_naive_recorded_at_and_string_version():
    document = json.loads(
        LedgerEventMessage(
            event_id="e1",
            type="Applied",
            aggregate_id="arr-1",
            aggregate_version=1,
            position=0,
            business_date=date(2024, 1, 2),
            recorded_at=datetime(2024, 1, 2, tzinfo=timezone.utc),
            payload={},
        ).to_bytes()
    )

    problems = _problems(
        LedgerEventMessage,
        _json({**document, "recorded_at": "2024-01-02T00:00:00", "aggregate_version": "1"}),
    )

    assert problems == [
        "aggregate_version: Input should be a valid integer",
        "recorded_at: Input should have timezone info",
    ]
