"""Signed checkpoints of the hash chain out to the auditors, ``keao.checkpoints``
(interfaces §2.6, domain F2): every ``Checkpoint.Checkpointed``, in ledger order, at
least once, by the ledger's publisher (``consumers.publisher.EventPublisher``), keyed
by the ledger; the document the same on every re-send."""

from __future__ import annotations

from eventsourcing.persistence import Notification

from aggregates.checkpoint import FIELDS
from consumers.messages import CheckpointMessage
from ledger.application import Ledger


def checkpoint_message(ledger: Ledger, notification: Notification) -> CheckpointMessage:
    event = ledger.mapper.to_domain_event(notification)
    return CheckpointMessage(**{name: getattr(event, name) for name in FIELDS})
