"""Catch-up runner: the notification log, in order, applied in batches.

Works on both stores (the library's subscription runner needs PostgreSQL).
Each batch is one SQLAlchemy transaction that writes every projection's rows
and moves its tracking position; the position row is claimed first with a
compare-and-set (``WHERE position = <what we read>``), so two runners (or a
runner killed half-way) can never apply a batch twice or skip one.

A rebuild on PostgreSQL splits the projections between forked worker
processes (``Runner.rebuild``, ``Runner.groups``): each is such a runner for
its own projections, with their own tracking rows, so the same guarantees
hold per projection; the workers die with the process that started them.

``Runner`` reads the log and applies batches (here); the blue/green rebuild
is ``projections.rebuild``, its worker processes ``projections.workers``,
the slots' tables and bookkeeping ``projections.slots``, and the report of
positions and lag ``projections.status``.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger.application import Ledger
from ledger.errors import BadInput
from ledger.garbage import settle_for_long_running
from ledger.store.personal_data import PERSONAL_TOPICS, sealed_subjects
from ledger.store.recorder import ddl_lock_key
from projections.arrangements import ArrangementsProjection
from projections.audit import AuditProjection
from projections.base import Codec, Decoded, Projection
from projections.db import engine_for, meta, projection_state, projection_tracking
from projections.debt_table import DebtTableProjection
from projections.directory import DirectoryProjection
from projections.notices import NoticesProjection
from projections.rebuild import one_pass
from projections.slots import State, create_tables, now
from projections.status import status_rows
from projections.suspense import SuspenseProjection
from projections.workers import cpus, groups, rebuild_in_processes

PROJECTIONS = (DebtTableProjection, ArrangementsProjection, SuspenseProjection, AuditProjection, DirectoryProjection,
               NoticesProjection)
BATCH = 5000

Progress = Callable[[int, int], None]  # (position, head)
# A projection's slot a batch goes to, and the position it was read at:
# (projection, version, slot, position).
Target = tuple[Projection, int, str, int]


class Conflict(Exception):
    """Another runner moved the position first: re-read and go on."""


class Runner:
    def __init__(self, app: Ledger, db_url: str, batch_size: int = BATCH):
        self.app = app
        self.db_url = db_url
        self.engine: Engine = engine_for(db_url)
        self.batch_size = batch_size
        self.projections: dict[str, Projection] = {
            p.name: p(app.mapper.transcoder) for p in PROJECTIONS  # type: ignore[arg-type]
        }
        self.codec = Codec(app.mapper)
        if self.engine.dialect.name == "postgresql":
            recorder = app.recorder
            self.log_table = f'"{recorder.datastore.schema}"."{recorder.events_table_name}"'
        else:
            self.log_table = None
        self.lz4: bool | None = None  # whether PostgreSQL compresses with lz4 (asked once: slots.create_tables)
        self._ready = False

    # -- setup --------------------------------------------------------------------

    def projection(self, name: str) -> Projection:
        if name not in self.projections:
            raise BadInput("NAME", f"no projection {name!r}; one of {', '.join(self.projections)}")
        return self.projections[name]

    def setup(self) -> None:
        """Create the bookkeeping tables, and a first slot for a projection never built."""
        if self._ready:
            return
        with self.engine.begin() as conn:
            if self.log_table is not None:  # one runner at a time creates the tables (as the ledger's)
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)",
                                     (ddl_lock_key(self.app.recorder.datastore.schema),))
            meta.create_all(conn, checkfirst=True)
            states = self.states(conn)
            for name, p in self.projections.items():
                if name in states:
                    continue
                create_tables(self, conn, p, "a")
                conn.execute(insert(projection_state).values(name=name, active_version=p.version, active_slot="a",
                                                             switched_at=now()))
                conn.execute(insert(projection_tracking).values(name=name, version=p.version, slot="a", position=0,
                                                                updated_at=now()))
        self._ready = True

    def states(self, conn: Connection) -> dict[str, State]:
        return {r.name: State(r.name, r.active_version, r.active_slot, r.rebuilding_version, r.rebuilding_slot)
                for r in conn.execute(select(projection_state))}

    def positions(self, conn: Connection) -> dict[tuple[str, int, str], int]:
        return {(r.name, r.version, r.slot): r.position for r in conn.execute(select(projection_tracking))}

    def head(self) -> int:
        if self.log_table is not None:  # through our engine: a rebuild's worker process never uses the app's pool
            with self.engine.connect() as conn:
                found = conn.exec_driver_sql(f"SELECT MAX(notification_id) FROM {self.log_table}").scalar()
                conn.rollback()
            return found or 0
        return self.app.recorder.max_notification_id() or 0

    # -- one batch ----------------------------------------------------------------

    def read(self, after: int) -> list[Decoded]:
        """The next batch of the log after ``after``, undecoded (each
        projection decodes what it needs, once per event)."""
        return self.scan(after)[0]

    def scan(self, after: int, prefixes: tuple[str, ...] | None = None) -> tuple[list[Decoded], int, bool]:
        """The next batch of the log after ``after``: the events whose topic
        starts with one of ``prefixes`` (all events if None), the position
        it covers the log up to (its last notification's, which a rebuild's
        worker may have left out: another worker's projection reads it), and
        whether that is the end of the log (fewer than a batch were read).
        On PostgreSQL the other events' ids and states are not even sent
        (a ``WHERE`` on the topic would have the planner sort the whole rest
        of the log by id for every batch: it expects hardly any match)."""
        if self.engine.dialect.name == "postgresql":
            return self._scan_events_table(after, prefixes)
        # Every event (each projection chooses its own): SQLite reads in one process.
        codec = self.codec
        size = self.batch_size
        notifications = self.app.recorder.select_notifications(after + 1, size)
        as_json = codec.json
        batch = [Decoded(n.id, str(n.originator_id), n.originator_version, n.topic, as_json(n.state), codec)
                 for n in notifications]
        self._prefetch_keys(batch)
        return batch, batch[-1].position if batch else after, len(batch) < size

    def _scan_events_table(self, after: int, prefixes: tuple[str, ...] | None) -> tuple[list[Decoded], int, bool]:
        """``scan`` on PostgreSQL: straight from the events table, rows as
        tuples (the recorder's dict rows and UUID objects cost more than the
        rest of a read)."""
        codec = self.codec
        size = self.batch_size
        query, params = self._log_query(after, prefixes)
        with self.engine.connect() as conn:
            # Binary results: the states as they are (as text, bytea is hex, twice the bytes, parsed).
            cursor = conn.connection.driver_connection.cursor(binary=True)
            cursor.execute(query, params, prepare=True)
            rows = cursor.fetchall()
            cursor.close()
            conn.rollback()
        last = rows[-1][0] if rows else after
        as_json = codec.json
        if prefixes:
            batch = [Decoded(p, i, v, t, as_json(s), codec) for p, i, v, t, s in rows if t.startswith(prefixes)]
        else:
            batch = [Decoded(p, i, v, t, as_json(s), codec) for p, i, v, t, s in rows]
        self._prefetch_keys(batch)
        return batch, last, len(rows) < size

    def _prefetch_keys(self, batch: Sequence[Decoded]) -> None:
        """F3: the data keys of the batch's sealed values read in one query, not one a
        debtor as each projection decodes its name (a rebuild reads every debtor's)."""
        subjects = sealed_subjects(d.state for d in batch if d.topic in PERSONAL_TOPICS and d.state is not None)
        if subjects:
            self.app.keys.prefetch(subjects)

    def _log_query(self, after: int, prefixes: tuple[str, ...] | None) -> tuple[str, tuple[Any, ...]]:
        """The query of ``_scan_events_table`` and its parameters: with
        ``prefixes``, the other events' ids and states come as NULLs."""
        table = self.log_table
        size = self.batch_size
        if prefixes:
            wanted = "(" + " OR ".join("starts_with(topic, %s)" for _ in prefixes) + ")"
            query = (f"SELECT notification_id, CASE WHEN {wanted} THEN originator_id::text END, "
                     f"originator_version, topic, CASE WHEN {wanted} THEN state END FROM {table} "
                     "WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
            return query, (*prefixes, *prefixes, after, size)
        query = (f"SELECT notification_id, originator_id::text, originator_version, topic, state FROM {table} "
                 "WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
        return query, (after, size)

    def apply_batch(self, targets: Sequence[Target], batch: Sequence[Decoded],
                    per_event: bool = False, last: int | None = None, relaxed: bool = False) -> None:
        """Apply ``batch`` to each (projection, version, slot, position) in ONE
        transaction with their tracking rows, which move to ``last`` (by
        default the batch's last position; ``scan``'s), or one per event if
        ``per_event`` (the baseline of the benchmark).

        ``relaxed`` (a rebuild's slot, which answers nothing yet): on
        PostgreSQL the commit does not wait for its WAL to reach the disk
        (``synchronous_commit = off``). A crash of the server may then lose
        the last batches, rows and positions together (the transaction stays
        atomic): the rebuild resumes from the position that was kept."""
        if last is None:
            if not batch:
                return
            last = batch[-1].position
        if per_event:
            self._apply_per_event(targets, batch, last)
            return
        applied = []
        with self.engine.begin() as conn:
            if relaxed and conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
            for p, version, slot, position in targets:
                if position >= last:
                    continue
                p.begin((version, slot), position, last)
                applied.append(p)
                _claim(conn, p, version, slot, position, last)
                if not batch:
                    continue
                events = _events_after(p, batch, position)
                if events:
                    p.apply(conn, p.tables(slot, version), events)
        for p in applied:
            p.committed()

    def _apply_per_event(self, targets: Sequence[Target], batch: Sequence[Decoded], last: int) -> None:
        """``apply_batch`` one transaction per event (then one moving the
        positions on to ``last`` if the batch ends before it)."""
        moved = {(p.name, v, s): pos for p, v, s, pos in targets}
        for d in batch:
            self.apply_batch([(p, v, s, moved[(p.name, v, s)]) for p, v, s, _ in targets], [d])
            for p, v, s, _ in targets:
                moved[(p.name, v, s)] = max(moved[(p.name, v, s)], d.position)
        if not batch or last > batch[-1].position:
            self.apply_batch([(p, v, s, moved[(p.name, v, s)]) for p, v, s, _ in targets], [], last=last)

    def retrying(self, step: Callable[[], Any]) -> Any:
        """``step`` (a batch: read and apply), again after a ``Conflict`` with
        another runner, a concurrent insert or a lock timeout."""
        for attempt in range(20):
            try:
                return step()
            except Conflict:
                time.sleep(0.05 * (attempt + 1))
            except IntegrityError:  # a concurrent runner wrote first; a real duplicate fails again
                if attempt >= 3:
                    raise
                time.sleep(0.05 * (attempt + 1))
            except DBAPIError as error:  # serialisation or lock timeout: try again
                if attempt > 5 or not error.connection_invalidated and "lock" not in str(error).lower():
                    raise
                time.sleep(0.1 * (attempt + 1))
        raise RuntimeError("projection runner: another runner keeps moving the same position")

    # -- catching up ----------------------------------------------------------------

    def catch_up(self, progress: Progress | None = None, per_event: bool = False) -> int:
        """Apply every event after each active projection's position; returns
        how many notifications were read. A projection whose code version is
        newer than the one answering is rebuilt first (blue/green)."""
        self.setup()
        with self.engine.connect() as conn:
            states = self.states(conn)
        for name, state in states.items():
            if name in self.projections and state.active_version != self.projections[name].version:
                self.rebuild([name])
        done = 0
        while True:
            read = self.retrying(partial(self._catch_up_batch, progress, per_event))
            done += read
            if read < self.batch_size:
                return done

    def _catch_up_batch(self, progress: Progress | None, per_event: bool) -> int:
        """One batch from the lowest active position, applied to every
        projection's active slot; returns how many notifications were read."""
        with self.engine.connect() as conn:
            states = self.states(conn)
            positions = self.positions(conn)
            conn.rollback()
        targets = [(p, p.version, states[n].active_slot,
                    positions[(n, p.version, states[n].active_slot)])
                   for n, p in self.projections.items()]
        start = min(t[3] for t in targets)
        batch = self.read(start)
        if batch:
            self.apply_batch(targets, batch, per_event)
            if progress:
                progress(batch[-1].position, 0)
        return len(batch)

    def follow(self, interval: float = 1.0, stop: Callable[[], bool] = lambda: False,
               then: Callable[[], object] = lambda: None) -> None:
        """Keep catching up, polling every ``interval`` seconds when idle; ``then``
        runs after each pass that applied something."""
        settle_for_long_running()
        while not stop():
            if self.catch_up() == 0:
                time.sleep(interval)
            else:
                then()

    # -- rebuilding (projections.rebuild, projections.workers) ----------------------

    def rebuild(self, names: Sequence[str] | str | None = None, progress: Progress | None = None,
                per_event: bool = False, stop_after: int | None = None, workers: int | None = None) -> bool:
        """Build the named projections (all by default) from zero into their
        other slot while the active one keeps answering, then switch each.
        An interrupted rebuild resumes from its own tracked position. Returns
        True once switched (False if ``stop_after`` events were applied first:
        the rebuild resumes later).

        On PostgreSQL the projections are split between ``workers`` processes
        (default: one per CPU; see ``groups``), each making one pass over the
        log for its projections, with their own positions, and switching each
        when it reaches the head; ``progress`` is then given the lowest of
        their positions. On SQLite (one writer) and with ``per_event`` one
        pass over the log feeds them all."""
        self.setup()
        names = [names] if isinstance(names, str) else list(names or self.projections)
        chosen = [self.projection(n) for n in names]
        if per_event or self.log_table is None or "fork" not in multiprocessing.get_all_start_methods():
            workers = 1
        split = self.groups(chosen, cpus() if workers is None else workers)
        if len(split) == 1:
            return one_pass(self, chosen, progress, per_event, stop_after)
        return rebuild_in_processes(self, split, progress, stop_after)

    groups = staticmethod(groups)  # how a rebuild splits the projections between its worker processes

    # -- status -----------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        """Each projection's version, slot, position, lag and rebuild progress."""
        return status_rows(self)


def _claim(conn: Connection, p: Projection, version: int, slot: str, position: int, last: int) -> None:
    """Move the slot's tracking row from ``position`` to ``last``, if it is
    still at ``position`` (compare-and-set), else raise ``Conflict``."""
    claimed = conn.execute(
        update(projection_tracking)
        .where(and_(projection_tracking.c.name == p.name, projection_tracking.c.version == version,
                    projection_tracking.c.slot == slot, projection_tracking.c.position == position))
        .values(position=last, updated_at=now())
    )
    if claimed.rowcount != 1:
        raise Conflict(p.name)


def _events_after(p: Projection, batch: Sequence[Decoded], position: int) -> list[Decoded]:
    """The events of ``batch`` that ``p`` reads, after its ``position``."""
    if p.prefixes is None:
        return list(batch) if position < batch[0].position else [d for d in batch if d.position > position]
    prefixes = p.prefixes
    return [d for d in batch if d.topic.startswith(prefixes) and d.position > position]
