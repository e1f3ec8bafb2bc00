"""A fund's debt transfer (μεταφορά οφειλών από φορέα), D4.

The guard that makes a transfer idempotent: one aggregate per fund and
transfer id, holding a digest of its content. Receiving it again with the same
content changes nothing; with other content it is a conflict, never a merge.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.events import PinnedTopic

TRANSFER_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/fund-transfer")


def content_digest(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class FundTransfer(Aggregate):
    TOPIC = "keao:FundTransfer"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Received(Event, Aggregate.Created):
        fund: str
        transfer_id: str
        debtor_afm: str
        digest: str

    def __init__(self, fund: str, transfer_id: str, debtor_afm: str, digest: str, business_date: date):
        self.fund = fund
        self.transfer_id = transfer_id
        self.debtor_afm = debtor_afm
        self.digest = digest

    @staticmethod
    def create_id(fund: str, transfer_id: str) -> UUID:
        return uuid5(TRANSFER_NAMESPACE, f"{fund}/{transfer_id}")

    @classmethod
    def receive(cls, fund: str, transfer_id: str, debtor_afm: str, digest: str, business_date: date) -> FundTransfer:
        return cls._create(
            cls.Received,
            id=cls.create_id(fund, transfer_id),
            fund=fund,
            transfer_id=transfer_id,
            debtor_afm=debtor_afm,
            digest=digest,
            business_date=business_date,
        )
