"""Parsing the command line's values: each failure names the option (exit 2)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ledger.errors import BadInput


def parse_date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(field, f"{value!r} is not a date YYYY-MM-DD") from None


def require_date(value: str, field: str) -> date:
    parsed = parse_date(value, field)
    assert parsed is not None
    return parsed


def parse_amount(value: str, field: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise BadInput(field, f"{value!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise BadInput(field, f"{value!r} is not a decimal amount")
    return amount


def readable_file(path: str) -> Path:
    file = Path(path)
    if not file.is_file():
        raise BadInput("FILE", f"{path} is not a readable file")
    return file
