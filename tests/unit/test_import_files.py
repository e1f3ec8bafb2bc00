"""Reading a file of messages (interfaces §2.1, §2.2): checked whole, a malformed
line named by its number, a leading UTF-8 BOM (Windows tools write one) dropped;
and the bank-file replay (``ledger payment import --to-kafka``) reads it so."""

from __future__ import annotations

import json

import pytest

from consumers.files import UTF8_BOM, read_lines
from consumers.kafka_io import read_payment_file
from consumers.messages import BankPaymentMessage, MessageFormatError

PAYMENT = {"tx_id": "TX-1", "bank": "ALPHA", "amount": "10.00", "currency": "EUR", "value_date": "2021-12-20",
           "reference": "RF18D100000052"}


def bank_file(tmp_path, *lines: bytes, prefix: bytes = b""):
    path = tmp_path / "payments.jsonl"
    path.write_bytes(prefix + b"\n".join(lines) + b"\n")
    return path


def line(**changes) -> bytes:
    return json.dumps({**PAYMENT, **changes}).encode()


def test_a_bank_file_starting_with_a_bom_replays_without_it(tmp_path):
    path = bank_file(tmp_path, line(), line(tx_id="TX-2"), prefix=UTF8_BOM)
    assert read_payment_file(path) == [(b"RF18D100000052", line()), (b"RF18D100000052", line(tx_id="TX-2"))]


def test_lines_are_numbered_as_in_the_file_blank_ones_skipped(tmp_path):
    path = bank_file(tmp_path, line(), b"  ", line(tx_id="TX-2"), prefix=UTF8_BOM)
    assert [(number, message.tx_id) for number, _, message in read_lines(path, BankPaymentMessage)] == [
        (1, "TX-1"), (3, "TX-2")]


def test_a_malformed_line_is_named_by_its_number(tmp_path):
    path = bank_file(tmp_path, line(), b"", line(amount=12.5))
    with pytest.raises(MessageFormatError) as malformed:
        read_payment_file(path)
    assert (malformed.value.message_type, malformed.value.problems) == (
        "line 3", ["amount: must be a decimal string such as \"12.50\", not a JSON number (12.5)"])


def test_a_bom_inside_the_file_is_not_dropped(tmp_path):
    """Only the file's first bytes can be a BOM; elsewhere it is the line's content."""
    path = bank_file(tmp_path, line(), UTF8_BOM + line(tx_id="TX-2"))
    with pytest.raises(MessageFormatError) as malformed:
        read_lines(path, BankPaymentMessage)
    assert malformed.value.message_type == "line 2"
