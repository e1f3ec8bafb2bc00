"""Parsing the command line's values: each failure names the option (exit 2).

The checks are ``ledger.inputs``', the same as a file line's or a message's. A date
or an amount is also checked against the configured limits, unless it is a
payment's (``plausible=False``): a payment whose value date or amount is well
formed but implausible is kept in suspense, never refused (P5).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from ledger import inputs
from ledger.errors import BadInput


def parse_date(value: str | None, field: str, *, plausible: bool = True) -> date | None:
    if value is None:
        return None
    return inputs.plausible_date(value, field) if plausible else inputs.iso_date(value, field)


def require_date(value: str, field: str, *, plausible: bool = True) -> date:
    parsed = parse_date(value, field, plausible=plausible)
    assert parsed is not None
    return parsed


def parse_amount(value: str, field: str, *, plausible: bool = True) -> Decimal:
    return inputs.amount(value, field) if plausible else inputs.well_formed_amount(value, field)


def readable_file(path: str) -> Path:
    file = Path(path)
    if not file.is_file():
        raise BadInput("FILE", f"{path} is not a readable file")
    return file
