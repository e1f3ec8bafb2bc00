"""The ledger's commands (the inputs of interfaces §1 and §2, checked by the
handlers) and what a command did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class TransferItem:
    period: str
    kind: str
    amount: Decimal
    due_date: date


@dataclass(frozen=True)
class TransferInput:
    """D2/D4: a fund's transfer of one debtor's items (interfaces §2.2)."""

    fund: str
    afm: str
    items: tuple[TransferItem, ...]
    transfer_id: str | None = None
    name: str | None = None
    amka: str | None = None
    business_date: date | None = None


@dataclass(frozen=True)
class PaymentInput:
    """P1: a bank payment (interfaces §2.1)."""

    tx_id: str
    amount: Decimal
    value_date: date
    reference: str
    bank: str = "UNKNOWN"
    currency: str = "EUR"
    payer_afm: str | None = None


@dataclass(frozen=True)
class Outcome:
    """What a command did: ``recorded``, ``duplicate``, ``applied`` or ``suspense``."""

    status: str
    target: str | None = None
    reason: str | None = None
