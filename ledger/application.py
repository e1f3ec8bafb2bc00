"""The ledger's event-sourced application (Μητρώο Ρυθμίσεων Οφειλών): the store.

It owns the event store (SQLite or PostgreSQL, ``ledger.store``), the snapshots,
the transcodings and the lookups by business key. It makes no decision: the use
cases are ``ledger.handlers``, each working through a ``ledger.unit_of_work``;
the rules are the aggregates'.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Mapper, Notification, Tracking
from eventsourcing.postgres import PostgresFactory

from aggregates import history
from aggregates.arrangement import Arrangement
from aggregates.business_day import BUSINESS_DAY_ID, BusinessDay
from aggregates.checkpoint import Checkpoint
from aggregates.debtor import Debtor
from aggregates.declaration import Declaration
from aggregates.insurance_history import InsuranceMonth
from aggregates.notice import Notice
from aggregates.notice_agenda import NoticeAgenda
from aggregates.payment import BankPayment
from aggregates.references import valid_afm
from aggregates.transfer import FundTransfer
from ledger.actors import current_actor
from ledger.errors import NotFound, StoreUnavailable
from ledger.settings import Settings, load_settings
from ledger.store.bulk import latest_business_date, originator_ids
from ledger.store.codec import DateAsISO
from ledger.store.encryption import check_cipher_key, cipher_env
from ledger.store.event_encoding import LedgerMapper
from ledger.store.opening import STORE_ERRORS, cannot_open, prepare_store
from ledger.store.personal_data import (
    SEALED,
    KeyRing,
    PersonalDataSealer,
    SealedField,
    TableKeyStore,
    sealing_enabled,
    wrapping_key,
)
from ledger.store import chain
from ledger.store.recorder import PROCESS_RECORDER, SQLITE_PROCESS_RECORDER, snapshot_recorder
from ledger.store.urls import event_store_env, is_postgres

# The aggregates the ledger stores: defining them registers their pinned topics
# (``keao:Debtor``, …) with the library, so that every stored event decodes.
AGGREGATES = (Arrangement, BankPayment, BusinessDay, Checkpoint, Debtor, Declaration, FundTransfer, InsuranceMonth,
              Notice, NoticeAgenda)


class Ledger(Application):
    """The KEAO arrangement ledger: its event store and lookups."""

    name = "keao_ledger"  # pinned: its tables are named after it (a plain SQL identifier)
    # BusinessDay too: every command reads it, and it grows by a close of day each day (O6).
    snapshotting_intervals = {Arrangement: 200, Debtor: 200, BusinessDay: 100, NoticeAgenda: 50}

    def __init__(self, db_url: str, settings: Settings | None = None, env: dict[str, str] | None = None):
        """The ledger on the store at ``db_url``; ``StoreUnavailable`` (one line, the URL
        masked) if it cannot be opened: a URL of no known scheme, a server that does not
        answer, a role, schema or directory that is not there, a file not a database."""
        self.settings = settings or load_settings()
        self.db_url = db_url
        store = event_store_env(db_url)
        at_rest = cipher_env(os.environ)  # F4; a malformed key refused before anything is opened
        prepare_store(db_url, store)  # PostgreSQL reached, or the SQLite file private (0600)
        recorder = PROCESS_RECORDER if is_postgres(db_url) else SQLITE_PROCESS_RECORDER
        # F3: the transcoding that opens sealed fields is registered as the mapper is made,
        # before the store is open; its keys are then read from beside the events.
        self.keys = KeyRing()
        try:
            super().__init__(env={**store, **recorder, **at_rest, **(env or {})})
            self.keys.store = TableKeyStore(self.recorder.datastore, is_postgres(db_url), f"{self.name}_keys",
                                            wrapping_key(self.env.get("CIPHER_KEY")))
            check_cipher_key(self)
        except (*STORE_ERRORS, StoreUnavailable) as error:
            if hasattr(self, "factory"):  # its pool would go on reconnecting in the background
                self.factory.close()
            if isinstance(error, StoreUnavailable):
                raise
            raise cannot_open(db_url, error) from error

    # -- the library's public construction hooks --------------------------------------

    def construct_recorder(self):  # type: ignore[no-untyped-def]
        """A process recorder, so a consumer's Kafka offset is saved with the events
        (the ledger's own, which writes the hash chain, F1: off with ``LEDGER_CHAIN=0``)."""
        recorder = self.factory.process_recorder()
        recorder.chaining = chain.enabled(self.env)  # type: ignore[attr-defined]
        return recorder

    def construct_snapshot_store(self):  # type: ignore[no-untyped-def]
        """On PostgreSQL, snapshots in a table created under the DDL lock too."""
        if not isinstance(self.factory, PostgresFactory):
            return super().construct_snapshot_store()
        return self.factory.event_store(mapper=self.mapper, recorder=snapshot_recorder(self.factory))

    def construct_mapper(self) -> Mapper:
        mapper = self.factory.mapper(transcoder=self.construct_transcoder(), mapper_class=LedgerMapper)
        if sealing_enabled(os.environ):
            mapper.sealer = PersonalDataSealer(mapper.transcoder.names[SEALED])  # type: ignore[attr-defined]
        return mapper

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())
        transcoder.register(SealedField(self.keys))

    # -- writing ------------------------------------------------------------------------

    def commit(self, aggregates: Sequence[Aggregate], tracking: Tracking | None = None,
               actor: str | None = None) -> None:
        """Save every pending event of ``aggregates`` (and ``tracking``) atomically, each
        stamped with ``actor`` (O1: last in its stored state, so read back as the event's
        ``actor``), then take the snapshots due (``snapshotting_intervals``), as
        ``Application.save`` does.

        ``save`` takes no tracking record, builds a recording per event for listeners the
        ledger does not have and tests each aggregate against a runtime Protocol (14% of a
        consumer batch's commit): hence the recorder's public ``insert_events``."""
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        if not events and tracking is None:
            return
        stamped = actor or current_actor()
        for event in events:
            event.__dict__["actor"] = stamped  # the events are frozen dataclasses: not through setattr
        self.recorder.insert_events([self.mapper.to_stored_event(e) for e in events], tracking=tracking)
        kinds = {aggregate.id: type(aggregate) for aggregate in aggregates}
        paid: Counter[UUID] = Counter()
        for event in events:
            if type(event) is Arrangement.Paid:
                paid[event.originator_id] += 1
            interval = self.snapshotting_intervals.get(kinds[event.originator_id])
            if interval and event.originator_version % interval == 0:
                self.take_snapshot(event.originator_id, version=event.originator_version)
        # O6: an arrangement whose older payments its events packed is snapshotted packed,
        # or every load until its next snapshot would pack them again.
        interval = self.snapshotting_intervals[Arrangement]
        for aggregate in aggregates:
            packed = aggregate.id in paid and history.packed_by(aggregate, paid[aggregate.id])
            if packed and aggregate.version % interval:
                self.take_snapshot(aggregate.id, version=aggregate.version)

    # -- lookups --------------------------------------------------------------------------

    def business_date(self) -> date | None:
        """M3: the date of the last close of day, or None before the first."""
        try:
            day = self.repository.get(BUSINESS_DAY_ID)
        except AggregateNotFoundError:
            return None
        return day.current

    def current_date(self) -> date | None:
        """M3: the ledger's business date; before the first close of day, the latest
        business date any record took effect on (None while it records nothing)."""
        return self.business_date() or latest_business_date(self)

    def debtor(self, afm: str) -> Debtor:
        afm = valid_afm(afm, "afm")
        try:
            return self.repository.get(Debtor.create_id(afm))
        except AggregateNotFoundError:
            raise NotFound("afm", f"no debtor {afm}") from None

    def arrangement(self, ref: str) -> Arrangement:
        """By id or by payment code (C10)."""
        try:
            return self.repository.get(Arrangement.id_of(ref))
        except AggregateNotFoundError:
            raise NotFound("id", f"no arrangement {ref}") from None

    def arrangements_of(self, debtor: Debtor) -> list[Arrangement]:
        return [self.repository.get(UUID(i)) for i in debtor.arrangement_ids]

    def notices_of(self, debtor: Debtor) -> list[Notice]:
        return [self.repository.get(Notice.create_id(n)) for n in debtor.notice_numbers]

    def notice(self, number: str) -> Notice:
        try:
            return self.repository.get(Notice.create_id(number))
        except AggregateNotFoundError:
            raise NotFound("NOTICE_ID", f"no notice {number}") from None

    def declarations_of(self, debtor: Debtor) -> list[str]:
        return list(debtor.declaration_ids)

    def declared(self, apd_id: str) -> bool:
        return bool(self.recorder.select_events(Declaration.create_id(apd_id), limit=1))

    def declaration(self, apd_id: str) -> Declaration:
        try:
            return self.repository.get(Declaration.create_id(apd_id))
        except AggregateNotFoundError:
            raise NotFound("APD_ID", f"no ΑΠΔ {apd_id}") from None

    def arrangement_ids(self) -> Iterator[UUID]:
        """Every arrangement's id, in the order applied (without reading the events)."""
        return originator_ids(self, Arrangement.Applied.TOPIC)

    def notifications(self, topics: Sequence[str] = (), start: int = 1, page: int = 1000) -> Iterator[Notification]:
        """The application sequence in order, optionally of some event topics."""
        while True:
            batch = self.recorder.select_notifications(start, page, topics=topics)
            yield from batch
            if len(batch) < page:
                return
            start = batch[-1].id + 1
