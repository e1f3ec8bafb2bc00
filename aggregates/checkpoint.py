"""A signed checkpoint of the ledger's hash chain (F2): the chain's head (position and
link) when it was signed, the time it was signed, the signing key's id and the
Ed25519 signature, as the signing handler computed them (``ledger.handlers.integrity``).
Recorded so that the ledger's publisher sends it on ``keao.checkpoints``; an auditor
keeps the same document outside the ledger's database.

One per ledger and position: a checkpoint of a head already checkpointed is the one
recorded then.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.events import PinnedTopic

# The checkpoint's document, the fields its signature covers with the signature itself.
FIELDS = ("ledger", "position", "link", "recorded_at", "key_id", "signature")


class Checkpoint(Aggregate):
    TOPIC = "keao:Checkpoint"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Checkpointed(Event, Aggregate.Created):
        """F2: the chain head of ``ledger`` at ``position`` had ``link`` (hex) at
        ``recorded_at``; ``signature`` (base64) by the key ``key_id``."""

        ledger: str
        position: int
        link: str
        recorded_at: str
        key_id: str
        signature: str

    def __init__(self, ledger: str, position: int, link: str, recorded_at: str, key_id: str, signature: str,
                 business_date: date):
        self.ledger, self.position, self.link = ledger, position, link
        self.recorded_at, self.key_id, self.signature = recorded_at, key_id, signature
        self.business_date = business_date

    @staticmethod
    def create_id(ledger: str, position: int) -> UUID:
        return uuid5(NAMESPACE_URL, f"https://keao.gov.gr/ledger/checkpoint/{ledger}/{position}")

    @classmethod
    def record(cls, document: Mapping[str, Any], business_date: date) -> Checkpoint:
        """The checkpoint ``document`` (its FIELDS), recorded on ``business_date``."""
        return cls._create(cls.Checkpointed, id=cls.create_id(document["ledger"], document["position"]),
                           business_date=business_date, **{name: document[name] for name in FIELDS})

    def document(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FIELDS}
