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
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Engine, Text, and_, insert, inspect, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.schema import CreateIndex, CreateTable

from ledger.app import Ledger, ddl_lock_key
from ledger.errors import BadInput
from projections import db
from projections.arrangements import ArrangementsProjection
from projections.audit import AuditProjection
from projections.base import Codec, Decoded, Projection
from projections.db import engine_for, meta, projection_state, projection_tracking
from projections.debt_table import DebtTableProjection
from projections.suspense import SuspenseProjection

PROJECTIONS = (DebtTableProjection, ArrangementsProjection, SuspenseProjection, AuditProjection)
BATCH = 5000
SLOTS = ("a", "b")

Progress = Callable[[int, int], None]  # (position, head)


def _die_with(parent: int) -> None:
    """This (forked) process gets SIGKILL when ``parent`` dies (Linux), and
    exits now if it already has."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def other(slot: str) -> str:
    return SLOTS[1 - SLOTS.index(slot)]


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class State:
    name: str
    active_version: int
    active_slot: str
    rebuilding_version: int | None
    rebuilding_slot: str | None


class Conflict(Exception):
    """Another runner moved the position first: re-read and go on."""


class Runner:
    def __init__(self, app: Ledger, db_url: str, batch_size: int = BATCH):
        if app.mapper.cipher is not None or app.mapper.compressor is not None:
            raise BadInput("--db", "the audit index keeps the stored JSON: run without cipher or compressor")
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
                self._create(conn, p, "a")
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
        codec = self.codec
        size = self.batch_size
        if self.engine.dialect.name == "postgresql":
            # Straight from the events table, rows as tuples (the recorder's
            # dict rows and UUID objects cost more than the rest of a read).
            table = self.log_table
            if prefixes:
                wanted = "(" + " OR ".join("starts_with(topic, %s)" for _ in prefixes) + ")"
                query = (f"SELECT notification_id, CASE WHEN {wanted} THEN originator_id::text END, "
                         f"originator_version, topic, CASE WHEN {wanted} THEN state END FROM {table} "
                         "WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
                params: tuple[Any, ...] = (*prefixes, *prefixes, after, size)
            else:
                query = (f"SELECT notification_id, originator_id::text, originator_version, topic, state FROM {table} "
                         "WHERE notification_id > %s ORDER BY notification_id LIMIT %s")
                params = (after, size)
            with self.engine.connect() as conn:
                # Binary results: the states as they are (as text, bytea is hex, twice the bytes, parsed).
                cursor = conn.connection.driver_connection.cursor(binary=True)
                cursor.execute(query, params, prepare=True)
                rows = cursor.fetchall()
                cursor.close()
                conn.rollback()
            last = rows[-1][0] if rows else after
            if prefixes:
                batch = [Decoded(p, i, v, t, s, codec) for p, i, v, t, s in rows if t.startswith(prefixes)]
            else:
                batch = [Decoded(p, i, v, t, s, codec) for p, i, v, t, s in rows]
            return batch, last, len(rows) < size
        # Every event (each projection chooses its own): SQLite reads in one process.
        notifications = self.app.recorder.select_notifications(after + 1, size)
        batch = [Decoded(n.id, str(n.originator_id), n.originator_version, n.topic, n.state, codec)
                 for n in notifications]
        return batch, batch[-1].position if batch else after, len(batch) < size

    def apply_batch(self, targets: Sequence[tuple[Projection, int, str, int]], batch: Sequence[Decoded],
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
            moved = {(p.name, v, s): pos for p, v, s, pos in targets}
            for d in batch:
                self.apply_batch([(p, v, s, moved[(p.name, v, s)]) for p, v, s, _ in targets], [d])
                for p, v, s, _ in targets:
                    moved[(p.name, v, s)] = max(moved[(p.name, v, s)], d.position)
            if not batch or last > batch[-1].position:
                self.apply_batch([(p, v, s, moved[(p.name, v, s)]) for p, v, s, _ in targets], [], last=last)
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
                claimed = conn.execute(
                    update(projection_tracking)
                    .where(and_(projection_tracking.c.name == p.name, projection_tracking.c.version == version,
                                projection_tracking.c.slot == slot, projection_tracking.c.position == position))
                    .values(position=last, updated_at=now())
                )
                if claimed.rowcount != 1:
                    raise Conflict(p.name)
                if not batch:
                    continue
                if p.prefixes is None:
                    events = list(batch) if position < batch[0].position else \
                        [d for d in batch if d.position > position]
                else:
                    prefixes = p.prefixes
                    events = [d for d in batch if d.topic.startswith(prefixes) and d.position > position]
                if events:
                    p.apply(conn, p.tables(slot, version), events)
        for p in applied:
            p.committed()

    def _retrying(self, step: Callable[[], Any]) -> Any:
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
            def step() -> int:
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

            read = self._retrying(step)
            done += read
            if read < self.batch_size:
                return done

    def follow(self, interval: float = 1.0, stop: Callable[[], bool] = lambda: False) -> None:
        """Keep catching up, polling every ``interval`` seconds when idle."""
        while not stop():
            if self.catch_up() == 0:
                time.sleep(interval)

    # -- rebuilding -----------------------------------------------------------------

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
        groups = self.groups(chosen, _cpus() if workers is None else workers)
        if len(groups) == 1:
            return self._rebuild(chosen, progress, per_event, stop_after)
        return self._rebuild_in_processes(groups, progress, stop_after)

    @staticmethod
    def groups(chosen: Sequence[Projection], workers: int) -> list[list[Projection]]:
        """At most ``workers`` groups of about equal cost (each projection's
        ``cost``: the heaviest first, each into the lightest group so far)."""
        bins: list[list[Projection]] = [[] for _ in range(max(1, min(workers, len(chosen))))]
        for p in sorted(chosen, key=lambda p: -p.cost):
            min(bins, key=lambda b: sum(q.cost for q in b)).append(p)
        return [b for b in bins if b]

    def _rebuild(self, chosen: Sequence[Projection], progress: Progress | None, per_event: bool,
                 stop_after: int | None) -> bool:
        """One pass over the log for ``chosen``, in this process."""
        slots = self._start_rebuild(chosen)
        # The events this pass needs, chosen on the server (all of them if
        # one of the projections reads every event).
        prefixes: tuple[str, ...] | None = ()
        for p in chosen:
            prefixes = None if prefixes is None or p.prefixes is None else prefixes + p.prefixes
        applied = 0
        switched: set[str] = set()
        indexed: set[str] = set()
        while True:
            with self.engine.connect() as conn:
                positions = self.positions(conn)
                conn.rollback()
            targets = [(p, slots[p.name][1], slots[p.name][0], positions[(p.name, slots[p.name][1], slots[p.name][0])])
                       for p in chosen]
            start = min(t[3] for t in targets)
            batch, last, at_end = self.scan(start, prefixes)
            if last > start:
                self._retrying(partial(self.apply_batch, targets, batch, per_event, last, relaxed=not per_event))
                applied += last - start
                if progress:
                    progress(last, self.head())
            if at_end:
                waiting = [p for p in chosen if p.name not in switched]
                switched |= self._switch(waiting, slots, {p.name for p in waiting} - indexed)
                indexed |= {p.name for p in waiting}
                if len(switched) == len(chosen):
                    return True
            elif stop_after is not None and applied >= stop_after:
                return False

    def _rebuild_in_processes(self, groups: list[list[Projection]], progress: Progress | None,
                              stop_after: int | None) -> bool:
        """Each group rebuilt by a forked process of its own (the imports and
        the decoded configuration are inherited, nothing is pickled); the
        workers report their positions and outcome through a pipe each, and
        die with this process (a SIGKILLed rebuild resumes as a sequential
        one does: every slot from its own position)."""
        context = multiprocessing.get_context("fork")
        parent = os.getpid()
        workers = []
        try:
            for group in groups:
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(target=self._work, args=(group, stop_after, writer, parent),
                                          name=f"rebuild {','.join(p.name for p in group)}", daemon=True)
                process.start()
                writer.close()
                workers.append((process, reader))
            positions: dict[int, int] = {i: 0 for i in range(len(workers))}
            head = 0
            outcome: dict[int, bool] = {}
            errors: list[str] = []
            while len(outcome) + len(errors) < len(workers):
                open_ = {reader: i for i, (_, reader) in enumerate(workers) if i not in outcome and not reader.closed}
                for reader in multiprocessing.connection.wait(list(open_)):
                    i = open_[reader]
                    try:
                        message = reader.recv()
                    except EOFError:  # died without a word (killed)
                        reader.close()
                        workers[i][0].join()
                        errors.append(f"{workers[i][0].name}: exit code {workers[i][0].exitcode}")
                        continue
                    kind = message[0]
                    if kind == "progress":
                        positions[i], head = message[1], max(head, message[2])
                        if progress:
                            progress(min(positions.values()), head)
                    elif kind == "done":
                        outcome[i] = message[1]
                        positions[i], head = message[2], max(head, message[3])
                        reader.close()
                    else:
                        errors.append(f"{workers[i][0].name}:\n{message[1]}")
                        reader.close()
            if errors:
                raise RuntimeError("projection rebuild failed in a worker process: " + "\n".join(errors))
            if progress:
                progress(min(positions.values()), head)
            return all(outcome.values())
        finally:
            for process, reader in workers:
                if process.is_alive():
                    process.terminate()  # this process is being interrupted: the worker's transaction rolls back
                process.join()
                reader.close()

    def _work(self, group: list[Projection], stop_after: int | None, pipe: Any, parent: int) -> None:
        """In a forked worker: rebuild ``group`` with a fresh engine (the
        parent's pooled connections, and its application's, are never
        touched here) and report to ``pipe``."""
        _die_with(parent)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides: Ctrl-C stops it, and it stops us
        db._engines.clear()
        runner = object.__new__(type(self))
        runner.__dict__.update(self.__dict__)
        runner.engine = engine_for(self.db_url)
        try:
            done = runner._rebuild(group, lambda position, head: pipe.send(("progress", position, head)), False,
                                   stop_after)
            with runner.engine.connect() as conn:
                states, positions = runner.states(conn), runner.positions(conn)
                conn.rollback()
            at = []
            for p in group:
                s = states[p.name]
                version, slot = (s.rebuilding_version, s.rebuilding_slot) if s.rebuilding_slot else \
                    (s.active_version, s.active_slot)
                at.append(positions.get((p.name, version, slot), 0))
            pipe.send(("done", done, min(at), runner.head()))
        except BaseException:  # noqa: BLE001 (any end of the worker, even SystemExit, is told to the parent)
            pipe.send(("error", traceback.format_exc()))
        finally:
            pipe.close()
            runner.engine.dispose()

    def _start_rebuild(self, chosen: Sequence[Projection]) -> dict[str, tuple[str, int]]:
        """The (slot, version) each of ``chosen`` is rebuilt into: the one it
        was being rebuilt into (resume), else the slot beside the active one,
        emptied (its tables, of any version but the active one, dropped and
        created anew) with its position at zero; all in one transaction."""
        slots: dict[str, tuple[str, int]] = {}
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL synchronous_commit = off")  # lost in a crash: nothing started
            states = self.states(conn)
            fresh = []
            for p in chosen:
                state = states[p.name]
                if state.rebuilding_slot is not None and state.rebuilding_version == p.version:
                    slots[p.name] = (state.rebuilding_slot, p.version)  # resume
                else:
                    fresh.append(p)
            if not fresh:
                return slots
            existing = inspect(conn).get_table_names()
            old = []
            for p in fresh:
                keep = p.prefix(states[p.name].active_version, states[p.name].active_slot)
                old += [table for table in existing if table.startswith(f"p_{p.name}_v") and not table.startswith(keep)]
            if old and conn.dialect.name == "postgresql":
                conn.exec_driver_sql("DROP TABLE " + ", ".join(f'"{table}"' for table in old))
            else:
                for table in old:
                    conn.exec_driver_sql(f'DROP TABLE "{table}"')
            for p in fresh:
                state = states[p.name]
                slot = other(state.active_slot)
                conn.execute(projection_tracking.delete().where(and_(
                    projection_tracking.c.name == p.name,
                    ~and_(projection_tracking.c.version == state.active_version,
                          projection_tracking.c.slot == state.active_slot))))
                self._create(conn, p, slot, indexes=False)
                conn.execute(insert(projection_tracking).values(name=p.name, version=p.version, slot=slot,
                                                                position=0, updated_at=now()))
                conn.execute(update(projection_state).where(projection_state.c.name == p.name)
                             .values(rebuilding_version=p.version, rebuilding_slot=slot))
                slots[p.name] = (slot, p.version)
        return slots

    def _create(self, conn: Connection, p: Projection, slot: str, indexes: bool = True) -> None:
        """Create a slot's tables (they do not exist). A rebuild creates them
        without their secondary indexes (``indexes=False``): those are built
        once, from sorted rows, when it reaches the head (``_switch``), instead
        of being updated row by row with keys in random order (the audit's
        aggregate ids). Long texts (the states) are compressed with lz4 on
        PostgreSQL when it has it: half the time of its default pglz."""
        tables = list(p.tables(slot).values())
        for table in tables:
            conn.execute(CreateTable(table, if_not_exists=True))
        if indexes:
            for table in tables:
                for index in table.indexes:
                    conn.execute(CreateIndex(index, if_not_exists=True))
        if conn.dialect.name == "postgresql" and self._has_lz4(conn):
            for table in tables:
                for column in table.columns:
                    if isinstance(column.type, Text):
                        conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ALTER COLUMN "{column.name}" '
                                             "SET COMPRESSION lz4")

    def _has_lz4(self, conn: Connection) -> bool:
        found = self.__dict__.get("_lz4")
        if found is None:
            found = self.__dict__["_lz4"] = bool(conn.exec_driver_sql(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'").scalar())
        return found

    def _switch(self, chosen: Sequence[Projection], slots: dict[str, tuple[str, int]], index: set[str]) -> set[str]:
        """At the head of the log: make the rebuilt slots of ``chosen`` answer,
        in one transaction, after building the secondary indexes of those
        named in ``index`` (they stay if more events came meanwhile and the
        switch waits). Returns the names switched: those whose position is
        the head."""
        switched = set()
        with self.engine.begin() as conn:
            for p in chosen:
                if p.name in index:
                    for table in p.tables(*slots[p.name]).values():
                        for ix in table.indexes:
                            conn.execute(CreateIndex(ix, if_not_exists=True))
            positions = self.positions(conn)
            head = self.head()
            for p in chosen:
                slot, version = slots[p.name]
                if head > positions[(p.name, version, slot)]:
                    continue  # more came meanwhile: one more batch first
                claimed = conn.execute(
                    update(projection_state)
                    .where(and_(projection_state.c.name == p.name, projection_state.c.rebuilding_slot == slot,
                                projection_state.c.rebuilding_version == version))
                    .values(active_version=version, active_slot=slot, rebuilding_version=None,
                            rebuilding_slot=None, switched_at=now())
                )
                if claimed.rowcount == 1:
                    switched.add(p.name)
        return switched

    # -- status -----------------------------------------------------------------------

    def status(self) -> list[dict[str, Any]]:
        self.setup()
        head = self.head()
        with self.engine.connect() as conn:
            states = self.states(conn)
            positions = self.positions(conn)
        head_time = self._recorded_at(head)
        rows = []
        for name, p in self.projections.items():
            s = states[name]
            position = positions.get((name, s.active_version, s.active_slot), 0)
            at = self._recorded_at(position)
            rebuild_position = (positions.get((name, s.rebuilding_version, s.rebuilding_slot), 0)
                                if s.rebuilding_slot else None)
            rows.append({
                "name": name, "version": s.active_version, "code_version": p.version, "slot": s.active_slot,
                "position": position, "head": head, "lag_events": head - position,
                "lag_seconds": round((head_time - at).total_seconds(), 3) if head_time and at and head > position
                else 0.0,
                "rebuilding": s.rebuilding_slot is not None,
                "rebuild_version": s.rebuilding_version, "rebuild_slot": s.rebuilding_slot,
                "rebuild_position": rebuild_position,
                "rebuild_progress": round(rebuild_position / head, 4) if rebuild_position is not None and head else None,
            })
        return rows

    def _recorded_at(self, position: int) -> datetime | None:
        if position <= 0:
            return None
        found = self.app.recorder.select_notifications(position, 1, stop=position)
        return self.app.mapper.to_domain_event(found[0]).timestamp if found else None
