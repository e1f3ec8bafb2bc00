"""Dead-letter records (interfaces §2.4) built without a broker."""

from __future__ import annotations

from datetime import datetime, timezone

from consumers.dlq import (
    HEADER_ERROR,
    HEADER_ERROR_TYPE,
    HEADER_FAILED_AT,
    HEADER_SOURCE_OFFSET,
    HEADER_SOURCE_PARTITION,
    HEADER_SOURCE_TOPIC,
    MAX_ERROR_BYTES,
    build_dead_letter,
    dead_letter_info,
)
from consumers.messages import BankPaymentMessage, MessageFormatError
from consumers.topics import BANK_PAYMENTS, BANK_PAYMENTS_DLQ

FAILED_AT = datetime(2024, 3, 29, 8, 30, tzinfo=timezone.utc)


def test_dead_letter_keeps_value_bytes_and_describes_source_in_headers():
    original = b'{"tx_id": "T9", "amount": 12.5}\xff'
    try:
        BankPaymentMessage.from_bytes(original)
    except MessageFormatError as error:
        letter = build_dead_letter(
            source_topic=BANK_PAYMENTS,
            partition=4,
            offset=1234,
            key=b"RF18539007547034",
            value=original,
            error=error,
            failed_at=FAILED_AT,
        )

    assert letter.topic == BANK_PAYMENTS_DLQ == "keao.bank-payments.dlq"
    assert letter.value is original
    assert letter.key == b"RF18539007547034"
    assert letter.headers == [
        (HEADER_ERROR, b"malformed BankPaymentMessage: <message>: not valid JSON (trailing characters at line 1 column 32)"),
        (HEADER_ERROR_TYPE, b"MessageFormatError"),
        (HEADER_SOURCE_TOPIC, b"keao.bank-payments"),
        (HEADER_SOURCE_PARTITION, b"4"),
        (HEADER_SOURCE_OFFSET, b"1234"),
        (HEADER_FAILED_AT, b"2024-03-29T08:30:00+00:00"),
    ]


def test_dead_letter_of_a_dead_letter_replaces_old_dlq_headers_and_keeps_others():
    letter = build_dead_letter(
        source_topic="keao.fund-transfers",
        partition=0,
        offset=7,
        key=None,
        value=None,
        error="conflicting transfer OAEE-1",
        original_headers=[("trace", b"t-1"), (HEADER_ERROR, b"old"), (HEADER_SOURCE_OFFSET, b"1")],
        failed_at=FAILED_AT,
    )

    assert letter.value is None
    assert [name for name, _ in letter.headers] == [
        "trace",
        HEADER_ERROR,
        HEADER_ERROR_TYPE,
        HEADER_SOURCE_TOPIC,
        HEADER_SOURCE_PARTITION,
        HEADER_SOURCE_OFFSET,
        HEADER_FAILED_AT,
    ]
    assert dead_letter_info(letter.headers) == {
        HEADER_ERROR: "conflicting transfer OAEE-1",
        HEADER_ERROR_TYPE: "Error",
        HEADER_SOURCE_TOPIC: "keao.fund-transfers",
        HEADER_SOURCE_PARTITION: "0",
        HEADER_SOURCE_OFFSET: "7",
        HEADER_FAILED_AT: "2024-03-29T08:30:00+00:00",
    }


def test_long_error_text_is_truncated_to_valid_utf8():
    letter = build_dead_letter(
        source_topic=BANK_PAYMENTS,
        partition=0,
        offset=0,
        key=None,
        value=b"x",
        error=RuntimeError("Σ" * 10_000),  # 2 bytes per character
        failed_at=FAILED_AT,
    )

    error_header = dict(letter.headers)[HEADER_ERROR]
    assert len(error_header) <= MAX_ERROR_BYTES
    assert error_header.decode("utf-8").endswith(" …[truncated]")
    assert letter.header(HEADER_ERROR_TYPE) == "RuntimeError"
