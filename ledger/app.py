"""The ledger application: commands and queries over the event store.

A thin service layer in the cosmicpython sense: it validates input, loads the
aggregates a command touches, lets them decide, and saves all their new events
in one transaction (with the Kafka offset when a consumer calls it).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Notification, Recording, Tracking
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresFactory, PostgresProcessRecorder
from psycopg.sql import SQL, Identifier

from aggregates.arrangement import LIVE, Arrangement
from aggregates.business_day import BUSINESS_DAY_ID, BusinessDay
from aggregates.debtor import FUNDS, KINDS, Debtor
from aggregates.money import ZERO, money
from aggregates.payment import BankPayment
from aggregates.references import (
    ARRANGEMENT_PREFIX,
    DEBTOR_PREFIX,
    InvalidIdentifier,
    arrangement_payment_code,
    reference_body,
    valid_afm,
    valid_amka,
    valid_reference,
)
from aggregates.schemes.base import ApplicationForm, LiveArrangement, Rejection, Scheme, check_exclusivity
from aggregates.timeline import Receipt
from aggregates.transfer import FundTransfer, content_digest
from ledger.bulk import load_many, originator_ids, project_events, save_snapshots
from ledger.codec import DateAsISO
from ledger.errors import BadInput, NotFound, TransferConflict
from ledger.event_encoding import EventStateEncoder
from ledger.settings import Settings, load_settings
from ledger.store import event_store_env, is_postgres

A = TypeVar("A", bound=Aggregate)

# Arrangements whose items are free again for another arrangement.
RELEASED = ("rejected", "lapsed")


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


@dataclass
class UnitOfWork:
    """The aggregates one command or one batch touches, saved together."""

    app: Ledger
    loaded: dict[UUID, Aggregate] = field(default_factory=dict)
    _business_date: list[date | None] = field(default_factory=list)
    prefetched: dict[UUID, Aggregate] = field(default_factory=dict)  # by ``prefetch``, not touched yet
    absent: set[UUID] = field(default_factory=set)  # known not to exist (``prefetch``)
    cache: Any = None  # a consumer's ``consumers.cache.AggregateCache``: earlier batches' aggregates

    def business_date(self) -> date | None:
        """The ledger's business date, read once per unit of work (a batch
        never spans a close of day, which commits on its own); from the
        calendar ``prefetch`` loaded, when it did."""
        if not self._business_date:
            calendar = self.prefetched.get(BUSINESS_DAY_ID) or self.loaded.get(BUSINESS_DAY_ID)
            if isinstance(calendar, BusinessDay):
                self._business_date.append(calendar.current)
            elif BUSINESS_DAY_ID in self.absent:
                self._business_date.append(None)
            else:
                self._business_date.append(self.app.business_date())
        return self._business_date[0]

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in self.loaded:
            if aggregate_id in self.prefetched:  # touched now: saved in the same order as without prefetch
                self.loaded[aggregate_id] = self.prefetched.pop(aggregate_id)
            elif aggregate_id in self.absent:
                return None
            else:
                try:
                    self.loaded[aggregate_id] = self.app.repository.get(aggregate_id, projector_func=project_events)
                except AggregateNotFoundError:
                    return None
        aggregate = self.loaded[aggregate_id]
        assert isinstance(aggregate, cls)
        return aggregate

    def prefetch(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """Load those of ``ids`` not loaded yet in one go (``load_many``: one
        query on PostgreSQL); those not found are then known absent, so
        ``get`` answers None without asking the store again. Returns the newly
        loaded ones. A concurrent writer creating one of them meanwhile makes
        the commit fail on its version, as it would without the prefetch."""
        wanted = [i for i in dict.fromkeys(ids)
                  if i not in self.loaded and i not in self.prefetched and i not in self.absent]
        if not wanted:
            return {}
        if self.cache is not None:
            # The versions of all of ``wanted`` in one query: the cache's aggregates at
            # that version are taken as they are, only the others are loaded.
            current, existing = self.cache.current(self.app, wanted)
            rest = load_many(self.app, [i for i in wanted if i in existing and i not in current])
            found = {i: current[i] if i in current else rest[i] for i in wanted if i in current or i in rest}
            self.prefetched.update(found)
            self.absent.update(i for i in wanted if i not in existing)
            return found
        found = load_many(self.app, wanted)
        self.prefetched.update(found)
        self.absent.update(i for i in wanted if i not in found)
        return found

    def add(self, aggregate: Aggregate) -> None:
        self.loaded[aggregate.id] = aggregate
        self.prefetched.pop(aggregate.id, None)
        self.absent.discard(aggregate.id)

    def commit(self, tracking: Tracking | None = None) -> None:
        self.app.commit(list(self.loaded.values()), tracking)
        if self.cache is not None:  # saved (or only read): as the store now holds them
            self.cache.put([*self.loaded.values(), *self.prefetched.values()])
        self.loaded.clear()
        self.prefetched.clear()
        self.absent.clear()


class Ledger(Application):
    """The KEAO arrangement ledger (Μητρώο Ρυθμίσεων Οφειλών)."""

    name = "keao_ledger"  # pinned: its tables are named after it (a plain SQL identifier)
    snapshotting_intervals = {Arrangement: 200, Debtor: 200}

    def __init__(self, db_url: str, settings: Settings | None = None, env: dict[str, str] | None = None):
        self.settings = settings or load_settings()
        self.db_url = db_url
        self._event_encoder: EventStateEncoder | None = None
        recorder = {"PROCESS_RECORDER_TOPIC": "ledger.app:LedgerProcessRecorder"} if is_postgres(db_url) else {}
        super().__init__(env={**event_store_env(db_url), **recorder, **(env or {})})

    def construct_recorder(self):  # type: ignore[no-untyped-def]
        """A process recorder, so a consumer's Kafka offset is saved with the events
        (on PostgreSQL the ledger's own, ``LedgerProcessRecorder``)."""
        return self.factory.process_recorder()

    def construct_snapshot_store(self):  # type: ignore[no-untyped-def]
        """On PostgreSQL, snapshots in a table created under the DDL lock too (what
        ``PostgresFactory.aggregate_recorder("snapshots")`` builds, which takes no
        recorder topic)."""
        factory = self.factory
        if not isinstance(factory, PostgresFactory):
            return super().construct_snapshot_store()
        recorder = LedgerSnapshotRecorder(datastore=factory.datastore,
                                          events_table_name=f"{factory.env.name.lower()}_snapshots")
        if factory.env_create_table():
            recorder.create_table()
        return factory.event_store(mapper=self.mapper, recorder=recorder)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def commit(self, aggregates: Sequence[Aggregate], tracking: Tracking | None = None) -> None:
        """Save every pending event of ``aggregates`` (and ``tracking``) atomically."""
        processing = ProcessingEvent(tracking)
        for aggregate in aggregates:  # ``collect_events(*aggregates)`` without its runtime-Protocol
            processing.events.extend(aggregate.collect_events())  # isinstance per aggregate (14% of
            processing.aggregates[aggregate.id] = aggregate  # a consumer batch's commit)
        if not processing.events and tracking is None:
            return
        # Nothing listens when ``_notify`` is the library's (it does nothing): then the
        # recordings it would be given are not built.
        listening = type(self)._notify is not Application._notify
        recordings = self._record(processing, recordings=listening)
        self._take_snapshots(processing)
        if listening:
            self._notify(recordings)

    def _record(self, processing: ProcessingEvent, recordings: bool = True) -> list[Recording]:  # type: ignore[type-arg,override]
        """``Application._record`` with the events' state written by ``EventStateEncoder``
        (``orjson`` where provably the same bytes as the library's, else the library):
        the same stored events, a third of a consumer batch's commit less."""
        if self.mapper.cipher is not None or self.mapper.compressor is not None:
            return super()._record(processing)
        encoder = self._event_encoder
        if encoder is None or encoder.transcoder is not self.mapper.transcoder:
            encoder = self._event_encoder = EventStateEncoder(self.mapper.transcoder)  # type: ignore[arg-type]
        events = processing.events
        stored = [encoder.stored_event(e) for e in events]
        ids = self.recorder.insert_events(stored, tracking=processing.tracking, **processing.saved_kwargs)
        recorded = []
        if ids:
            assert len(ids) == len(stored)
            if recordings:
                recorded = [
                    Recording(e, Notification(originator_id=s.originator_id, originator_version=s.originator_version,
                                              topic=s.topic, state=s.state, id=i))
                    for e, s, i in zip(events, stored, ids, strict=True)
                ]
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in processing.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)
        return recorded

    # -- business date ----------------------------------------------------------

    def business_date(self) -> date | None:
        """M3: the date of the last close of day, or None before the first."""
        try:
            day = self.repository.get(BUSINESS_DAY_ID)
        except AggregateNotFoundError:
            return None
        return day.current

    def effective_date(self, given: date | None, field_name: str = "--date") -> date:
        day = given or self.business_date()
        if day is None:
            raise BadInput(field_name, "required: the ledger has no business date yet (run `ledger day close D`)")
        return day

    # -- debtors and debts --------------------------------------------------------

    def register_debtor(
        self,
        afm: str,
        name: str,
        business_date: date | None = None,
        service: str | None = None,
        parent_afm: str | None = None,
        amka: str | None = None,
    ) -> Debtor:
        """D1: a debtor, or a branch unit of ``parent_afm`` (004 §4)."""
        afm = _identifier(valid_afm, afm, "afm")
        if not name or not name.strip():
            raise BadInput("--name", "required and not blank")
        if amka:
            amka = _identifier(valid_amka, amka, "--amka")
        day = self.effective_date(business_date)
        work = UnitOfWork(self)
        if work.get(Debtor, Debtor.create_id(afm)) is not None:
            raise BadInput("afm", f"debtor {afm} is already registered")
        parent = None
        if parent_afm:
            parent_afm = _identifier(valid_afm, parent_afm, "--parent")
            parent = work.get(Debtor, Debtor.create_id(parent_afm))
            if parent is None:
                raise NotFound("--parent", f"no debtor {parent_afm} to be a unit of")
            parent.add_unit(afm, day)
        debtor = Debtor.register(afm, name.strip(), day, service=service or (parent.service if parent else None),
                                 parent_afm=parent_afm, amka=amka)
        work.add(debtor)
        work.commit()
        return debtor

    def record_transfer(self, transfer: TransferInput, tracking: Tracking | None = None) -> Outcome:
        work = UnitOfWork(self)
        outcome = self.transfer_into(work, transfer)
        work.commit(tracking)
        return outcome

    def transfer_into(self, work: UnitOfWork, transfer: TransferInput) -> Outcome:
        """D2/D4: record a fund's transfer once; the same again changes nothing,
        other content under the same id is refused (``TransferConflict``)."""
        afm = _identifier(valid_afm, transfer.afm, "afm")
        if transfer.fund not in FUNDS:
            raise BadInput("fund", f"{transfer.fund!r} is not one of {', '.join(FUNDS)}")
        if not transfer.items:
            raise BadInput("items", "a transfer needs at least one debt item")
        items = [_checked_item(index, item) for index, item in enumerate(transfer.items, start=1)]
        content = {"afm": afm, "fund": transfer.fund, "items": items}
        digest = content_digest(content)
        transfer_id = transfer.transfer_id or f"sha256-{digest[:24]}"
        day = self.effective_date(transfer.business_date)
        existing = work.get(FundTransfer, FundTransfer.create_id(transfer.fund, transfer_id))
        if existing is not None:
            if existing.digest == digest:
                return Outcome("duplicate", afm)
            raise TransferConflict(
                "transfer_id", f"{transfer.fund} transfer {transfer_id} was already recorded with other content (D4)"
            )
        debtor = work.get(Debtor, Debtor.create_id(afm))
        if debtor is None:
            if not transfer.name:
                raise NotFound("afm", f"no debtor {afm}: register it first (`ledger debtor add`)")
            debtor = Debtor.register(afm, transfer.name, day, amka=transfer.amka)
            work.add(debtor)
        work.add(FundTransfer.receive(transfer.fund, transfer_id, afm, digest, day))
        before = set(debtor.items)
        debtor.transfer(transfer.fund, transfer_id, items, day)
        self._suspend_new_items(work, debtor, [debtor.items[i] for i in debtor.items if i not in before], day)
        return Outcome("recorded", afm)

    def _suspend_new_items(self, work: UnitOfWork, debtor: Debtor, items: list[dict[str, Any]], day: date) -> None:
        """ND3: a current item due within a running suspension joins it."""
        for arrangement in self._arrangements(work, debtor):
            if arrangement.status != "suspended":
                continue
            scheme = self.settings.scheme(arrangement.scheme)
            grant = arrangement.grant()
            joining = [b.open_item() for b in (debtor.balance(i, day, self.settings.surcharges) for i in items)]
            joining = [i for i in joining if scheme.suspends(grant, i)]
            if joining and grant.suspended_until:
                arrangement.suspend(joining, grant.suspended_until, day)

    # -- arrangements -----------------------------------------------------------------

    def apply(
        self,
        afm: str,
        scheme_name: str,
        applied_on: date,
        instalments: int | None = None,
        options: dict[str, Any] | None = None,
    ) -> Arrangement:
        """A1: record an application and the scheme's decision on it."""
        afm = _identifier(valid_afm, afm, "afm")
        try:
            scheme = self.settings.scheme(scheme_name)
            scheme_options = scheme.options(options or {})
        except ValueError as error:
            field_name, _, reason = str(error).partition(": ")
            raise BadInput(field_name, reason) from None
        if instalments is not None and instalments < 1:
            raise BadInput("--instalments", "must be at least 1")
        work = UnitOfWork(self)
        arrangement = self.apply_into(work, afm, scheme, scheme_options, applied_on, instalments)
        work.commit()
        return arrangement

    def apply_into(
        self,
        work: UnitOfWork,
        afm: str,
        scheme: Scheme,
        scheme_options: dict[str, Any],
        applied_on: date,
        instalments: int | None = None,
        business_date: date | None = None,
    ) -> Arrangement:
        """``apply`` inside a unit of work (a batch), its input already checked."""
        debtor = work.get(Debtor, Debtor.create_id(afm))
        if debtor is None:
            raise NotFound("afm", f"no debtor {afm}")
        arrangements = self._arrangements(work, debtor)
        live = [
            LiveArrangement(str(a.id), a.scheme, self.settings.scheme(a.scheme).exclusive)
            for a in arrangements
            if a.status in LIVE
        ]
        try:
            check_exclusivity(scheme, live)
            rejection = None
        except Rejection as refusal:
            rejection = str(refusal)
        held = _held_items(arrangements)
        form = ApplicationForm(afm, applied_on, instalments, scheme_options)
        code = arrangement_payment_code(scheme.code, afm, len(debtor.arrangement_ids) + 1)
        arrangement = Arrangement.apply_for(
            scheme, form, code, debtor.open_items(applied_on, self.settings.surcharges, held),
            self.settings.surcharges, rejection,
        )
        work.add(arrangement)
        debtor.join(str(arrangement.id), scheme.name, applied_on)
        if arrangement.status != "rejected":
            today = business_date or work.business_date() or applied_on
            self._settle(arrangement, debtor, max(applied_on, today), held)
        return arrangement

    def _arrangements(self, work: UnitOfWork, debtor: Debtor) -> list[Arrangement]:
        found = (work.get(Arrangement, UUID(i)) for i in debtor.arrangement_ids)
        return [a for a in found if a is not None]

    def _settle(
        self,
        arrangement: Arrangement,
        debtor: Debtor,
        as_of: date,
        held: set[str],
        receipts: Sequence[Receipt] = (),
    ) -> None:
        scheme = self.settings.scheme(arrangement.scheme)
        current = debtor.open_items(as_of, self.settings.surcharges, held)
        arrangement.settle(scheme, as_of, self.settings.surcharges, current, receipts)

    # -- payments ---------------------------------------------------------------------

    def record_payment(self, payment: PaymentInput, tracking: Tracking | None = None) -> Outcome:
        work = UnitOfWork(self)
        outcome = self.payment_into(work, payment)
        work.commit(tracking)
        return outcome

    def payment_into(self, work: UnitOfWork, payment: PaymentInput) -> Outcome:
        """P1–P5: a bank payment is a fact; it is applied once, or kept in
        suspense with the reason, never refused when well formed."""
        if not payment.tx_id or not payment.tx_id.strip():
            raise BadInput("tx_id", "required")
        bank = payment.bank or "UNKNOWN"
        amount = money(payment.amount)
        content = {
            "tx_id": payment.tx_id, "bank": bank, "amount": amount, "currency": payment.currency,
            "value_date": payment.value_date, "reference": payment.reference, "payer_afm": payment.payer_afm,
        }
        business_date = work.business_date() or payment.value_date
        existing = work.get(BankPayment, BankPayment.create_id(bank, payment.tx_id))
        if existing is not None:
            if existing.same_as(content):
                return Outcome("duplicate", existing.target_id, existing.reason)
            existing.note_conflict(content, business_date)
            return Outcome("suspense", None, existing.conflicts[-1]["reason"])
        target, reason, apply = self._route(work, payment.reference, amount, payment.currency, payment.value_date,
                                            payment.tx_id, bank, business_date)
        if target is None:
            received = BankPayment.receive(business_date=business_date, **content)
            work.add(received)
            received.suspend(reason, business_date)
            return Outcome("suspense", None, reason)
        # Received and routed in one event (``Received`` with its target), then applied.
        work.add(BankPayment.receive(business_date=business_date, **content, target=target[0], target_id=target[1]))
        apply()
        return Outcome("applied", target[1])

    def prefetch_payments(self, work: UnitOfWork, payments: Sequence[PaymentInput]) -> None:
        """Load, in a few queries for the whole batch, what ``payment_into``
        reads for ``payments``: each bank payment (most are absent: known so
        without a query each), the arrangement or debtor its reference names,
        the debtors of those arrangements, and those debtors' arrangements;
        and the calendar (the business date, ``UnitOfWork.business_date``)."""
        ids: list[UUID] = [BUSINESS_DAY_ID]
        for payment in payments:
            if payment.tx_id:
                ids.append(BankPayment.create_id(payment.bank or "UNKNOWN", payment.tx_id))
            # Normalised only (the ISO 11649 print form, not checked): a reference ``_route``
            # refuses, or one written otherwise, costs a wasted look-up at most.
            try:
                reference = "".join(payment.reference.split()).upper()
            except (TypeError, AttributeError):
                continue
            body = reference_body(reference)
            if body.startswith(DEBTOR_PREFIX):
                ids.append(Debtor.create_id(body[1:]))
            elif body.startswith(ARRANGEMENT_PREFIX):
                ids.append(Arrangement.create_id(reference))
        self._prefetch_with_arrangements(work, ids)

    def prefetch_transfers(self, work: UnitOfWork, transfers: Sequence[TransferInput]) -> None:
        """``prefetch_payments`` for ``transfer_into``: each transfer named by
        its id, its debtor and the debtor's arrangements."""
        ids: list[UUID] = []
        for transfer in transfers:
            if transfer.transfer_id:
                ids.append(FundTransfer.create_id(transfer.fund, transfer.transfer_id))
            try:
                ids.append(Debtor.create_id(valid_afm(transfer.afm)))
            except (InvalidIdentifier, TypeError, ValueError):
                continue
        self._prefetch_with_arrangements(work, ids)

    def _prefetch_with_arrangements(self, work: UnitOfWork, ids: list[UUID]) -> None:
        found = work.prefetch(ids)
        debtors = [a for a in found.values() if isinstance(a, Debtor)]
        more = [Debtor.create_id(a.debtor_afm) for a in found.values() if isinstance(a, Arrangement)]
        more += [UUID(i) for d in debtors for i in d.arrangement_ids]
        found = work.prefetch(more)
        work.prefetch(UUID(i) for d in found.values() if isinstance(d, Debtor) for i in d.arrangement_ids)

    def unreadable_payment_into(self, work: UnitOfWork, source: str, raw: bytes, reason: str) -> Outcome:
        """§2.4/P5: a payment message that cannot be read is kept in suspense,
        its bytes with it; ``source`` (topic/partition/offset) makes it unique."""
        business_date = self.business_date() or date.min
        if work.get(BankPayment, BankPayment.unreadable_id(source)) is not None:
            return Outcome("duplicate", None, reason)
        text = raw.decode("utf-8", errors="backslashreplace")
        work.add(BankPayment.receive_unreadable(source, text, reason, business_date))
        return Outcome("suspense", None, reason)

    def _route(
        self, work: UnitOfWork, reference: str, amount: Decimal, currency: str, value_date: date,
        tx_id: str, bank: str, business_date: date,
    ) -> tuple[tuple[str, str] | None, str, Callable[[], None]]:
        """P2/P5: where the payment goes (target kind and id) or why nowhere, and the
        step that applies it there (called once the payment is recorded)."""
        if currency != "EUR":
            return None, f"currency {currency!r} is not EUR (P5)", _nothing
        if amount <= ZERO:
            return None, f"amount {amount} is not more than zero (P5)", _nothing
        try:
            reference = _valid_reference(reference)
        except InvalidIdentifier as error:
            return None, f"{error.reason} (C10)", _nothing
        body = reference_body(reference)
        receipt_id = f"{bank}/{tx_id}"
        if body.startswith(DEBTOR_PREFIX):
            debtor = work.get(Debtor, Debtor.create_id(body[1:]))
            if debtor is None:
                return None, f"debtor identity code {reference} names no debtor (P2)", _nothing
            held = _held_items(self._arrangements(work, debtor))
            # Computed once, for the test and for the payment. An item with principal unpaid
            # has outstanding > 0 (its unpaid surcharge is never negative), so this is the
            # former "principal owed, or else any surcharge owed" test in one pass.
            owed = debtor.owed_balances(value_date, self.settings.surcharges, held)
            if not any(b.outstanding > ZERO for b in owed):
                return None, f"debtor {debtor.afm} owes nothing outside arrangements (P2)", _nothing
            rules = self.settings.surcharges
            return ("debtor", debtor.afm), "", lambda: debtor.pay(receipt_id, value_date, amount, rules, held, owed)
        if body.startswith(ARRANGEMENT_PREFIX):
            arrangement = work.get(Arrangement, Arrangement.create_id(reference))
            if arrangement is None:
                return None, f"payment code {reference} names no arrangement (P2)", _nothing
            debtor = work.get(Debtor, Debtor.create_id(arrangement.debtor_afm))
            assert debtor is not None
            held = _held_items(self._arrangements(work, debtor))
            # E2: a payment made before the lapse, received after it, still counts
            # (the lapse is reversed), unless another arrangement took the items since.
            lapsed_on = arrangement.facts.get("lapsed", {}).get("business_date")
            backdated = (arrangement.status == "lapsed" and lapsed_on is not None and value_date < lapsed_on
                         and not held & set(arrangement.item_ids))
            if arrangement.status in ("rejected", "lapsed", "completed") and not backdated:
                return None, f"nothing owed on arrangement {reference}: it is {arrangement.status} (P5)", _nothing
            receipts = [Receipt(receipt_id, value_date, amount)]
            return ("arrangement", str(arrangement.id)), "", lambda: self._settle(
                arrangement, debtor, business_date, held, receipts)
        return None, f"reference {reference} is not a KEAO payment code (P2)", _nothing

    # -- close of day ---------------------------------------------------------------

    def close_day(self, day: date, batch_size: int = 500, progress: Any = None, processes: int = 1) -> int:
        """E1/E2: move the business date to ``day`` and record, for every
        arrangement, what its timeline gives up to it. Idempotent; the
        business date moves only after every arrangement is settled.

        Arrangements are read a page at a time (``load_many``: two queries per
        page on PostgreSQL, the ended ones left out by their last topic), each
        from its latest snapshot and the events after it; one with nothing
        that can happen between the last close and ``day``
        (``Arrangement.may_change``) is not settled at all, and only the
        debtors of those that are and whose scheme watches the debtor's other
        items (``Scheme.watches_current_items``) get loaded. The close
        snapshots each live arrangement with SNAPSHOT_AFTER events or more
        after its latest snapshot, so the next close reads few events. On
        PostgreSQL, ``processes`` > 1 settles disjoint partitions of the
        arrangements in that many processes (a close writes only to each
        arrangement's own stream). Returns how many live arrangements the
        close covered."""
        try:
            calendar = self.repository.get(BUSINESS_DAY_ID)
            previous: date | None = calendar.current
            calendar.close(day)
        except AggregateNotFoundError:
            calendar = BusinessDay.start(day)
            previous = None  # the first close: settle everything
        except ValueError as error:
            raise BadInput("date", str(error).partition(": ")[2]) from None
        if processes > 1 and is_postgres(self.db_url):
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            parts = [(self.db_url, day, previous, batch_size, part, processes) for part in range(processes)]
            with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
                settled = sum(pool.map(_close_partition, parts))
        else:
            settled = self._close_partition(day, previous, batch_size, progress)
        work = UnitOfWork(self)
        work.add(calendar)
        work.commit()
        return settled

    def _close_partition(
        self, day: date, previous: date | None, batch_size: int, progress: Any = None, part: int = 0, parts: int = 1,
    ) -> int:
        settled = 0
        ids = (i for i in self.arrangement_ids() if i.int % parts == part)
        for page in _pages(ids, batch_size):
            settled += self._close_page(page, day, previous, progress)  # its arrangements freed before the next
        return settled

    def _close_page(self, page: list[UUID], day: date, previous: date | None, progress: Any = None) -> int:
        """Close ``day`` for the arrangements of ``page``; how many of them were live."""
        due = []
        live = []
        # An arrangement whose last event rejected, completed or lapsed it is not live:
        # known from its last topic, without reading it (17% of a month end's states).
        replayed: dict[UUID, int] = {}
        loaded = load_many(self, page, unless_last=_ENDED_TOPICS, since_snapshot=replayed)
        snapshot_version = {i: a.version - replayed[i] for i, a in loaded.items()}
        for arrangement in loaded.values():
            if arrangement.status in ("rejected", "completed", "lapsed"):
                continue
            live.append(arrangement)
            if progress:
                progress()
            scheme = self.settings.scheme(arrangement.scheme)
            if previous is None or arrangement.may_change(scheme, previous, day):
                due.append(arrangement)
        # Settled and saved SETTLE_CHUNK at a time: the events they record (a catch-up
        # over years records dozens each) are held until saved.
        for chunk in _pages(iter(due), SETTLE_CHUNK):
            self._settle_chunk(chunk, day)
        # The next close reads a snapshot and the few events after it instead of
        # every event (about half the cost of reading an arrangement).
        save_snapshots(self, [a for a in live if a.version - snapshot_version[a.id] >= SNAPSHOT_AFTER])
        return len(live)

    def _settle_chunk(self, due: list[Arrangement], day: date) -> None:
        """Settle ``due`` to ``day`` and save what they record, in one transaction."""
        work = UnitOfWork(self)
        for arrangement in due:
            work.add(arrangement)
        # The debtor's other items (and so the debtor, and its other arrangements'
        # held items) matter only to a scheme that watches them (ND10 a breaches):
        # for the others ``Scheme.breaches`` ignores them.
        watching = [a for a in due if self.settings.scheme(a.scheme).watches_current_items]
        debtor_ids = list(dict.fromkeys(Debtor.create_id(a.debtor_afm) for a in watching))
        for debtor in load_many(self, debtor_ids).values():
            work.add(debtor)
        # ... and their arrangements (``_held_items``), in one query.
        work.prefetch(UUID(i) for d in work.loaded.values() if isinstance(d, Debtor) for i in d.arrangement_ids)
        for arrangement in due:
            scheme = self.settings.scheme(arrangement.scheme)
            if not scheme.watches_current_items:
                arrangement.settle(scheme, day, self.settings.surcharges)
                continue
            debtor = work.get(Debtor, Debtor.create_id(arrangement.debtor_afm))
            assert debtor is not None
            self._settle(arrangement, debtor, day, _held_items(self._arrangements(work, debtor)))
        work.commit()

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

    # -- lookups used by the views ---------------------------------------------------

    def debtor(self, afm: str) -> Debtor:
        afm = _identifier(valid_afm, afm, "afm")
        try:
            return self.repository.get(Debtor.create_id(afm))
        except AggregateNotFoundError:
            raise NotFound("afm", f"no debtor {afm}") from None

    def arrangement(self, ref: str) -> Arrangement:
        """By id or by payment code (C10)."""
        try:
            aggregate_id = UUID(ref)
        except ValueError:
            aggregate_id = Arrangement.create_id(ref.replace(" ", "").upper())
        try:
            return self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound("id", f"no arrangement {ref}") from None

    def arrangements_of(self, debtor: Debtor) -> list[Arrangement]:
        return [self.repository.get(UUID(i)) for i in debtor.arrangement_ids]


# The close of day snapshots a live arrangement it has read once this many events
# came after its latest snapshot (``_close_partition``): reading it then costs the
# snapshot and fewer than this many events. Lower costs more snapshots (an
# arrangement's is about 13 kB, 0.4 ms to write), higher more events to replay
# (about 7 us each) at every close.
SNAPSHOT_AFTER = 8
# How many of a page's arrangements a close of day settles and saves at once.
SETTLE_CHUNK = 100

# The events after which an arrangement is rejected, completed or lapsed (their
# ``apply`` sets that status): a close of day skips it (``_close_partition``).
_ENDED_TOPICS = frozenset(cls.TOPIC for cls in (Arrangement.Rejected, Arrangement.Completed, Arrangement.Lapsed))


def _close_partition(job: tuple[str, date, date | None, int, int, int]) -> int:
    """One process's share of a close of day (``Ledger.close_day(processes=n)``)."""
    url, day, previous, batch_size, part, parts = job
    ledger = Ledger(url, env={"CREATE_TABLE": "false"})
    try:
        return ledger._close_partition(day, previous, batch_size, None, part, parts)
    finally:
        ledger.close()


class LockedTableCreation:
    """A recorder whose tables are created by one process at a time (a session
    advisory lock on a connection of its own): two processes opening the ledger at
    once collide in the DDL ("tuple concurrently updated", a duplicate ``pg_type``
    row), as the consumer and the projection runner starting together did."""

    datastore: Any

    def create_table(self) -> None:
        key = ddl_lock_key(self.datastore.schema)
        with own_connection(self.datastore) as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                super().create_table()  # type: ignore[misc]
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (key,))


class LedgerSnapshotRecorder(LockedTableCreation, PostgresAggregateRecorder):
    """The snapshots' recorder, its table created under the lock too (``Ledger.construct_snapshot_store``)."""


class LedgerProcessRecorder(LockedTableCreation, PostgresProcessRecorder):
    """The library's PostgreSQL process recorder, with two differences:

    * its tables are created by one process at a time (``LockedTableCreation``);
    * its events are sent as four arrays (ids, versions, topics, states) in binary
      rather than one array of composites, whose dumping is row by row in Python:
      the same INSERT of the same rows in the same order (``unnest`` of equal-length
      arrays zips them), the same table lock, notify, tracking row and returned
      notification ids; 40% less of the commit's client time."""

    def _insert_stored_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        statement = getattr(self, "_insert_columns_statement", None)
        if statement is None:
            statement = self._insert_columns_statement = SQL(
                "INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
                "RETURNING notification_id"
            ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name),
                     id_type=Identifier(self.datastore.originator_id_type))
        curs.execute(statement, (
            [e.originator_id for e in stored_events], [e.originator_version for e in stored_events],
            [e.topic for e in stored_events], [e.state for e in stored_events],
        ))


def advisory_lock_key(name: str) -> int:
    """The PostgreSQL advisory lock named ``name`` (a stable 32-bit hash of it)."""
    return zlib.crc32(name.encode())


def ddl_lock_key(schema: str) -> int:
    """The advisory lock that one process at a time holds to create a schema's tables."""
    return advisory_lock_key(f"keao-ledger-ddl:{schema}")


def own_connection(datastore: Any) -> psycopg.Connection[Any]:
    """A connection of the ledger's PostgreSQL datastore outside its pool, in
    autocommit: for a session advisory lock, which lives as long as the session."""
    pool = datastore.pool
    return psycopg.connect(pool.conninfo, **{**pool.kwargs, "autocommit": True})


def _pages(ids: Iterator[UUID], size: int) -> Iterator[list[UUID]]:
    page: list[UUID] = []
    for aggregate_id in ids:
        page.append(aggregate_id)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


@lru_cache(maxsize=65_536)
def _valid_reference(reference: str) -> str:
    """``valid_reference``, remembered: an arrangement's code is paid every month
    and its ISO 7064 check was 5% of a consumer batch (a refused one is not kept)."""
    return valid_reference(reference)


def _nothing() -> None:
    """``_route``'s step for a payment that goes nowhere (suspense)."""


def _held_items(arrangements: Sequence[Arrangement]) -> set[str]:
    """Items an arrangement holds: all but those of rejected or lapsed ones."""
    return {i for a in arrangements if a.status not in RELEASED for i in a.item_ids}


def _identifier(check: Any, value: str, field_name: str) -> str:
    try:
        return check(value, field_name)
    except InvalidIdentifier as error:
        raise BadInput(error.field, error.reason) from None


def _checked_item(index: int, item: TransferItem) -> dict[str, Any]:
    where = f"items[{index}]"
    period = item.period
    if len(period) != 7 or period[4] != "-" or not (period[:4] + period[5:]).isdigit() or not 1 <= int(period[5:]) <= 12:
        raise BadInput(f"{where}.period", f"{period!r} is not YYYY-MM")
    if item.kind not in KINDS:
        raise BadInput(f"{where}.kind", f"{item.kind!r} is not one of {', '.join(KINDS)}")
    amount = money(item.amount)
    if amount <= ZERO:
        raise BadInput(f"{where}.amount", "must be more than zero")
    return {"period": period, "kind": item.kind, "amount": amount, "due_date": item.due_date}
