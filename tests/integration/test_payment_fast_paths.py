"""The payment path's fast paths against the plain ones they replace, through the Kafka
batch (``consumers.ingest``) as deployed: the same generated payments, applied once with
the fast paths on and once with one of them off (L1's surcharge by a running sum,
``item_balance.RUNNING_SUM``, else month by month; a debtor's parts folded per item and
kept, ``item_balance.FOLDED_PARTS``, else folded again for every balance), record the
same events, field for field, and leave the same balances. The payments are
partial and full, paid over an item's months of delay (principal paid before some
months' starts, after others, and on the day one starts), overpaid (P3: the rest is credit), sent twice as
they were and with other content (P5), and unroutable (a reference that is no KEAO code,
a debtor the ledger does not know, a currency other than EUR, an amount of zero: suspense)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from aggregates import item_balance
from aggregates.debtor import Debtor
from aggregates.references import debtor_identity_code
from consumers.ingest import PAYMENTS, Ingestor
from ledger.application import Ledger
from ledger.handlers.close_day import close_day
from tests.integration.helpers import UNREGISTERED, Rec, Sink, d, debtor, transfer

AFMS = ["100000003", "100000015", "100000027"]
BATCH = 40


def messages(seed: int = 19) -> list[dict[str, Any]]:
    r = random.Random(seed)
    sent: list[dict[str, Any]] = []
    for n in range(200):
        afm = r.choice(AFMS)
        value_date = date(2022, 1, 10) + timedelta(days=r.randrange(0, 700))
        if r.random() < 0.25:
            value_date = value_date.replace(day=1)  # the day a month of delay starts (L1): paid before it, or not
        message = {"tx_id": f"TX{n:04d}", "bank": r.choice(["ETE", "ALPHA"]), "currency": "EUR",
                   "amount": f"{r.randrange(500, 90_000) / 100:.2f}",
                   "value_date": str(value_date),
                   "reference": debtor_identity_code(afm)}
        odd = r.random()
        if odd < 0.05:
            message["reference"] = "RF18539007547034"  # a creditor reference, not a KEAO code
        elif odd < 0.08:
            message["reference"] = debtor_identity_code(UNREGISTERED)
        elif odd < 0.10:
            message["currency"] = "USD"
        elif odd < 0.12:
            message["amount"] = "0.00"
        sent.append(message)
        if r.random() < 0.08:
            sent.append(dict(message))  # the bank sent it twice (P5)
        elif r.random() < 0.04:
            sent.append({**message, "amount": "1.23"})  # the same tx id with other content (P5)
    # At the end, more than all each debtor owes: the rest is its credit (P3), and then it owes nothing.
    sent += [{**sent[0], "tx_id": f"OVER{n}", "reference": debtor_identity_code(afm), "amount": "250000.00",
              "value_date": "2024-01-15"} for n, afm in enumerate(AFMS)]
    return sent


def applied(url: str, sent: list[dict[str, Any]]) -> tuple[list[Any], dict[str, int]]:
    """The events the ledger records for ``sent`` (without their timestamps) and then the
    debtors' balances, each surcharge's digits; and the statuses."""
    item_balance._REMEMBERED.clear()  # nothing remembered from the other run
    item_balance._FOLDS.clear()
    ledger = Ledger(url)
    try:
        close_day(ledger, d("2021-12-01"))  # the items known from then: every value date after
        for n, afm in enumerate(AFMS):
            debtor(ledger, afm)
            transfer(ledger, afm, "9000.00", "2021-12-31", "2021-11", f"T{n}-1")
            transfer(ledger, afm, "4000.00", "2012-06-30", "2012-05", f"T{n}-2")  # the older scheme's months (L2)
            transfer(ledger, afm, "6500.00", "2023-03-31", "2023-02", f"T{n}-3")
        ingestor = Ingestor(ledger, PAYMENTS, Sink())
        records = [Rec(offset, message) for offset, message in enumerate(sent)]
        statuses: dict[str, int] = {}
        for start in range(0, len(records), BATCH):
            for status, count in ingestor.apply(records[start:start + BATCH]).statuses.items():
                statuses[status] = statuses.get(status, 0) + count
        events = [ledger.mapper.to_domain_event(n) for n in ledger.recorder.select_notifications(1, 100_000)]
        recorded = [{**vars(e), "timestamp": None, "class": type(e).__qualname__} for e in events]
        balances = [(b.item["item_id"], str(b.surcharge), str(b.outstanding), b.settled_on)
                    for afm in AFMS for as_of in (d("2023-01-01"), d("2024-06-30"))
                    for b in ledger.repository.get(Debtor.create_id(afm)).balances(as_of, ledger.settings.surcharges)]
        return [*recorded, *balances], statuses
    finally:
        ledger.close()


@pytest.mark.parametrize("flag", ["RUNNING_SUM", "FOLDED_PARTS"])
def test_the_fast_paths_record_what_the_plain_ones_record(tmp_path, monkeypatch, flag):
    sent = messages()
    fast, fast_statuses = applied(f"sqlite:///{tmp_path / 'fast.db'}", sent)
    monkeypatch.setattr(item_balance, flag, False)
    plain, plain_statuses = applied(f"sqlite:///{tmp_path / 'plain.db'}", sent)
    assert fast_statuses == plain_statuses
    assert {"applied", "duplicate", "suspense"} <= set(fast_statuses)
    assert len(fast) == len(plain) and fast == plain
    paid = [e for e in fast if isinstance(e, dict) and e["class"] == "Debtor.DebtPaid"]
    # What makes the comparison mean something: surcharges paid, over several months of
    # delay with principal paid between them, and credit left by an overpayment.
    assert any(part["part"] == "surcharge" for e in paid for part in e["allocation"])
    assert any(e["credit"] > Decimal("0") for e in paid)
    assert len({e["value_date"].replace(day=1) for e in paid}) > 12

