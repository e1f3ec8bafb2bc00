"""Shared helpers of the service-level tests: each runs through the ``ledger``
fixture, so once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from ledger import audit_views
from ledger.application import Ledger
from ledger.commands import Outcome, PaymentInput, TransferInput, TransferItem
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from ledger.handlers.debtors import register_debtor
from ledger.handlers.payments import record_payment
from ledger.handlers.transfers import record_transfer
from tests.conftest import d, m  # noqa: F401  (re-exported for the tests)

# Valid ΑΦΜ (9 digits, the last its check digit).
AFM = "100000003"
AFM2 = "100000015"
AFM3 = "100000027"
UNIT = "100000039"
UNIT2 = "100000040"
UNREGISTERED = "100000052"
BAD_AFM = "100000004"  # check digit wrong


def debtor(ledger: Ledger, afm: str = AFM, name: str = "Παπαδόπουλος Α.Ε.", **kwargs: Any):
    return register_debtor(ledger, afm, name, **kwargs)


def transfer(
    ledger: Ledger,
    afm: str,
    amount: str,
    due: str,
    period: str,
    transfer_id: str,
    fund: str = "OAEE",
    kind: str = "contribution",
    on: str | None = None,
) -> Outcome:
    item = TransferItem(period, kind, m(amount), d(due))
    return record_transfer(ledger, 
        TransferInput(fund, afm, (item,), transfer_id=transfer_id, business_date=d(on) if on else None)
    )


def pay(
    ledger: Ledger, reference: str, amount: str, value_date: str, tx_id: str, bank: str = "ETE", currency: str = "EUR"
) -> Outcome:
    return record_payment(ledger, PaymentInput(tx_id, m(amount), d(value_date), reference, bank, currency))


def count(ledger: Ledger) -> int:
    """How many events the ledger holds (D4, E2, P5: "nothing new recorded")."""
    return ledger.recorder.max_notification_id() or 0


def history(ledger: Ledger, ref: str) -> list[dict[str, Any]]:
    return audit_views.audit(ledger, ref)


def types(ledger: Ledger, ref: str) -> list[str]:
    return [e["type"] for e in history(ledger, ref)]


def events_of(ledger: Ledger, ref: str, kind: str) -> list[dict[str, Any]]:
    return [e for e in history(ledger, ref) if e["type"] == kind]


def instalment(view: dict[str, Any], number: int) -> dict[str, Any]:
    return next(i for i in view["instalments"] if i["number"] == number)


def covid_case(ledger: Ledger, afm: str = AFM, instalments: int | None = 12):
    """The usual covid-650 case: 1200.00 of OAEE contributions for 2020-03,
    due 2020-04-30, applied for on 2021-12-01.

    C4: capital 1200.00 + 20 started months (2020-05-01 .. 2021-12-01) at
    8%/12 = 160.00, so 1360.00; in 12 instalments (M2) 11 × 113.33 + 113.37,
    due the last working day of each month from December 2021 (C6)."""
    if ledger.business_date() is None:
        close_day(ledger, d("2021-12-01"))
    if afm not in _registered(ledger, afm):
        debtor(ledger, afm, service="ΠΥ ΚΕΑΟ Αθηνών")
    transfer(ledger, afm, "1200.00", "2020-04-30", "2020-03", f"OAEE-{afm}-1")
    return apply_for_arrangement(ledger, afm, "covid-650", d("2021-12-01"), instalments)


def _registered(ledger: Ledger, afm: str) -> set[str]:
    try:
        ledger.debtor(afm)
        return {afm}
    except Exception:
        return set()


class Sink:
    """Dead letters, kept instead of sent (``consumers.ingest.DeadLetterSink``)."""

    def __init__(self) -> None:
        self.sent: list[Any] = []

    def send(self, letters: Any) -> None:
        self.sent.extend(letters)


class Rec:
    """A Kafka record of partition 0 of a payments topic: a message, or raw bytes."""

    def __init__(self, offset: int, message: dict[str, Any] | bytes):
        self.topic, self.partition, self.offset, self.key, self.headers = "pay", 0, offset, b"k", []
        self.value = message if isinstance(message, bytes) else json.dumps(message).encode()
