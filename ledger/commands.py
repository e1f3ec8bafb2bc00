"""The ledger's commands (the inputs of interfaces §1 and §2, checked by the
handlers) and what a command did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class TransferItem:
    period: str
    kind: str
    amount: Decimal
    due_date: date
    form: str | None = None  # G10: an OGA item's payment form


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
    form: str | None = None  # G10: the OGA payment form it was paid with


@dataclass(frozen=True)
class RecallInput:
    """O3: a bank's recall of a payment it sent (interfaces §1.2, §2.1)."""

    tx_id: str
    reason: str
    bank: str = "UNKNOWN"
    business_date: date | None = None


@dataclass(frozen=True)
class CorrectionItem:
    period: str
    kind: str
    amount: Decimal | None = None  # the new amount (amend); none for a cancellation


@dataclass(frozen=True)
class CorrectionInput:
    """O4: a fund's cancellation or amendment of items it transferred (interfaces §1.2, §2.2)."""

    action: str  # "cancel" or "amend"
    correction_id: str
    fund: str
    afm: str
    transfer_id: str
    items: tuple[CorrectionItem, ...]
    business_date: date | None = None


@dataclass(frozen=True)
class Outcome:
    """What a command did: ``recorded``, ``duplicate``, ``applied``, ``suspense``,
    ``refunded``, ``recalled`` or ``waiting`` (a correction for an operator, O4)."""

    status: str
    target: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class DeclarationInput:
    """K1: an employer's ΑΠΔ (interfaces §2.5), its records as the declaration stores
    them (the file's names, amounts and dates as strings, ``consumers.apd_messages``)."""

    apd_id: str
    employer_afm: str
    legal_form: str
    public_like: bool
    submitted_on: date
    records: tuple[dict[str, Any], ...]
