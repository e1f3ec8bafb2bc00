"""Applying a batch of Kafka records to the ledger, exactly once (interfaces §2.1, §2.2, §2.4).

This module knows nothing of FastStream or of a particular Kafka client: it takes the
records of ONE partition (anything with ``topic``, ``partition``, ``offset``, ``key``,
``value``, ``headers``) and applies them in one ledger transaction. The FastStream
consumers (:mod:`consumers.service`) and the tests call it the same way.

The guarantees, all enforced in the database transaction that records the events:

* **Kafka offset guard.** The transaction also writes ``Tracking("<topic>:<partition>",
  last offset + 1)`` to the ledger's tracking table, whose insert refuses a value that is
  not greater than the stored one (eventsourcing's single-row tracking). Records at an
  offset below the stored one are skipped before anything is done. So a batch redelivered
  after a crash, a rebalance or a failed Kafka commit changes nothing, and two consumers
  racing on one partition cannot both commit the same offsets.
* **Business-key guard.** A bank payment is the aggregate ``(bank, tx_id)``, a fund
  transfer ``(fund, transfer_id)``; creating one that exists fails the whole transaction
  (the event store's unique version), and a replay of the same payment at a new offset is
  found and recorded as a duplicate (no event) — domain P5 and D4.
* **Optimistic concurrency.** Any conflict (the two guards above, or another writer
  appending to an arrangement) raises eventsourcing's ``IntegrityError``; the batch is then
  re-read from the stored offset and applied again in a fresh unit of work.

Speed without weakening any of this: the debtors and arrangements a batch committed are
kept for the next batches (:mod:`consumers.cache`), and taken back only at the version the
store holds, read for all of a batch's aggregates in one query (an aggregate another writer
changed meanwhile is loaded again; a batch that fails leaves nothing it changed behind), so
a batch starts from exactly the state it would read without them; an applied payment is
recorded in two events (``BankPayment.Received`` with its target, and the debtor's or the
arrangement's own), and the events' JSON is written by ``orjson`` where that is provably the
library's bytes (``ledger.store.event_encoding``).

A bad message never poisons the batch nor stops the partition: the records are parsed
first; a message the ledger refuses (a ``DomainError``: ``BadInput``, D4 ``TransferConflict``,
an invalid identifier, a command the aggregate's state forbids) is taken out
and the batch is rebuilt from scratch in a fresh unit of work without it, because the
refused command may have left partial changes in the aggregates it touched. Dead letters
(original bytes, error, source offset; :mod:`consumers.dlq`) are sent and flushed BEFORE
the ledger transaction commits: a crash in between redelivers the batch and the dead letter
is sent again (at least once; ``dlq.source.*`` headers identify repeats), whereas the other
order could lose it. Every payment that is dead-lettered is also in the ledger's suspense
account, in the same transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import InvalidOperation
from typing import Any, Protocol

from eventsourcing.persistence import IntegrityError, RecordConflictError, Tracking

from aggregates.errors import DomainError
from consumers.apd_messages import ApdMessage
from consumers.cache import AggregateCache
from consumers.dlq import DeadLetter, SourceRecord, dead_letter_from_record
from consumers.imports import command_of
from consumers.messages import BANK_PAYMENTS_TOPIC, FUND_TRANSFERS_TOPIC, MessageFormatError
from ledger.actors import kafka
from ledger.application import Ledger
from ledger.commands import Outcome
from ledger.handlers.imports import command_into, prefetch_payments_of, prefetch_transfers_of
from ledger.handlers.payments import unreadable_payment_into
from ledger.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

PAYMENTS = "payments"
TRANSFERS = "transfers"
APD = "apd"
# What each kind reads its messages as (interfaces §2.1, §2.2, §2.5).
MODELS: dict[str, Any] = {PAYMENTS: BANK_PAYMENTS_TOPIC, TRANSFERS: FUND_TRANSFERS_TOPIC, APD: ApdMessage}

# Errors of one message's own content: the ledger's refusals (``DomainError``), the errors
# of a value the parsers let through, and a broken invariant (``AssertionError``, a bug):
# each dead-lettered rather than stalling its partition. Anything else (the database, the
# network) is transient: the batch fails, is NACKed and retried after a backoff.
MESSAGE_ERRORS: tuple[type[BaseException], ...] = (
    DomainError, MessageFormatError, ValueError, ArithmeticError, InvalidOperation, LookupError, TypeError,
    AssertionError, UnicodeError,
)
CONFLICTS = (IntegrityError, RecordConflictError)


class DeadLetterSink(Protocol):
    def send(self, letters: Sequence[DeadLetter]) -> None:
        """Send and flush: return only when the broker has them all."""


def tracking_name(topic: str, partition: int) -> str:
    return f"{topic}:{partition}"


def unreadable_source(record: SourceRecord) -> str:
    return f"{record.topic}:{record.partition}:{record.offset}"


@dataclass
class BatchResult:
    """What one call of :meth:`Ingestor.apply` did."""

    received: int = 0
    skipped: int = 0  # already applied (offset below the stored one)
    statuses: dict[str, int] = field(default_factory=dict)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    committed_offset: int | None = None  # the next offset to read, as stored
    attempts: int = 0

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


class Ingestor:
    """Applies one partition's records of one inbound topic to the ledger."""

    def __init__(
        self,
        ledger: Ledger,
        kind: str,
        dead_letters: DeadLetterSink,
        *,
        max_conflict_retries: int = 20,
        sleep: Callable[[float], None] = time.sleep,
        cache_size: int = 4096,
    ):
        if kind not in MODELS:
            raise ValueError(f"kind must be one of {', '.join(map(repr, MODELS))}")
        self.ledger = ledger
        self.kind = kind
        self.dead_letters = dead_letters
        self.max_conflict_retries = max_conflict_retries
        self.sleep = sleep
        # Debtors and arrangements of earlier batches, checked against the store before reuse
        # (``consumers.cache``); ``cache_size=0``: every batch loads them.
        self.cache = AggregateCache(maxsize=cache_size) if cache_size > 0 else None

    # -- the offset guard ---------------------------------------------------------------

    def stored_offset(self, topic: str, partition: int) -> int:
        """The next offset to apply on this partition, as committed with the ledger (0: none)."""
        return self.ledger.recorder.max_tracking_id(tracking_name(topic, partition)) or 0

    # -- one batch ------------------------------------------------------------------------

    def apply(self, records: Sequence[SourceRecord]) -> BatchResult:
        """Apply the records of one partition in one ledger transaction (retried on conflict)."""
        if not records:
            return BatchResult()
        partitions = {(r.topic, r.partition) for r in records}
        if len(partitions) != 1:
            raise ValueError(f"one partition per call, got {sorted(partitions)}")
        records = sorted(records, key=lambda r: r.offset)
        topic, partition = records[0].topic, records[0].partition
        attempt = 0
        while True:
            attempt += 1
            stored = self.stored_offset(topic, partition)
            pending = [r for r in records if r.offset >= stored]
            result = BatchResult(received=len(records), skipped=len(records) - len(pending), attempts=attempt)
            if not pending:
                result.committed_offset = stored
                return result
            work, letters = self._build(pending, result)
            result.dead_letters = letters
            if letters:
                self.dead_letters.send(letters)  # before the commit: at least once
            tracking = Tracking(tracking_name(topic, partition), pending[-1].offset + 1)
            try:
                work.commit(tracking=tracking)
            except CONFLICTS as conflict:
                if attempt > self.max_conflict_retries:
                    raise
                log.info("conflict on %s:%s (attempt %s): %s; re-reading", topic, partition, attempt, conflict)
                self.sleep(min(0.01 * 2 ** attempt, 0.5))
                continue
            result.committed_offset = tracking.notification_id
            return result

    def _build(self, records: Sequence[SourceRecord], result: BatchResult) -> tuple[UnitOfWork, list[DeadLetter]]:
        """A unit of work with every record applied, the refused ones taken out."""
        parsed: list[Any] = [self._parse(r) for r in records]
        refused: dict[int, BaseException] = {i: p for i, p in enumerate(parsed) if isinstance(p, BaseException)}
        commands: list[Any] = [p if i in refused else self._command(p) for i, p in enumerate(parsed)]
        while True:
            work = UnitOfWork(self.ledger, cache=self.cache, actor=kafka(records[0].topic))  # O1
            self._prefetch(work, [c for i, c in enumerate(commands) if i not in refused])
            statuses: list[str] = []
            letters: list[DeadLetter] = []
            rebuilt = False
            for index, record in enumerate(records):
                if index in refused:
                    error = refused[index]
                    if self.kind == PAYMENTS:
                        unreadable_payment_into(work, unreadable_source(record), record.value or b"",
                                                            _reason(error))
                    letters.append(dead_letter_from_record(record, error))
                    statuses.append("dead-letter")
                    continue
                try:
                    outcome = self._apply_one(work, commands[index])
                except MESSAGE_ERRORS as error:
                    # The refused command may have changed aggregates already loaded in
                    # this unit of work: start again without it.
                    log.warning("refused %s: %s", unreadable_source(record), error)
                    refused[index] = error
                    rebuilt = True
                    break
                statuses.append(outcome.status)
                if outcome.status == "suspense":  # P5: in suspense, and reported
                    letters.append(dead_letter_from_record(record, f"suspense: {outcome.reason}"))
            if not rebuilt:
                for status in statuses:
                    result.count(status)
                return work, letters

    def _parse(self, record: SourceRecord) -> Any:
        model = MODELS[self.kind]
        if record.value is None:
            return MessageFormatError(model.__name__, ["<message>: no value (tombstone)"])
        try:
            return model.from_bytes(record.value)
        except MessageFormatError as error:
            return error

    def _command(self, message: Any) -> Any:
        """The ledger's input for a parsed message (or the error, raised when applied)."""
        try:
            return command_of(message)
        except MESSAGE_ERRORS as error:
            return _Unconvertible(error)

    def _prefetch(self, work: UnitOfWork, commands: Sequence[Any]) -> None:
        """Everything the batch's commands read, loaded in a few queries (not one per command)."""
        commands = [c for c in commands if not isinstance(c, _Unconvertible)]
        if self.kind == PAYMENTS:
            prefetch_payments_of(work, commands)
        elif self.kind == TRANSFERS:
            prefetch_transfers_of(work, commands)

    def _apply_one(self, work: UnitOfWork, command: Any) -> Outcome:
        if isinstance(command, _Unconvertible):
            raise command.error
        return command_into(work, command)


@dataclass(frozen=True)
class _Unconvertible:
    error: BaseException


def _reason(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
