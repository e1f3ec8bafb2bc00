"""Catch-up runner: the notification log, in order, applied in batches.

Works on both stores (the library's subscription runner needs PostgreSQL).
Each batch is one SQLAlchemy transaction that writes every projection's rows
and moves its tracking position; the position row is claimed first with a
compare-and-set (``WHERE position = <what we read>``), so two runners (or a
runner killed half-way) can never apply a batch twice or skip one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Connection, Engine, and_, inspect, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from ledger.app import Ledger
from ledger.errors import BadInput
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


def other(slot: str) -> str:
    return SLOTS[1 - SLOTS.index(slot)]


def now() -> str:
    return datetime.now(timezone.utc).isoformat()


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
            meta.create_all(conn, checkfirst=True)
            states = self.states(conn)
            for name, p in self.projections.items():
                if name in states:
                    continue
                p.tables("a")[next(iter(p.tables("a")))].metadata.create_all(conn, checkfirst=True)
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
        return self.app.recorder.max_notification_id() or 0

    # -- one batch ----------------------------------------------------------------

    def read(self, after: int) -> list[Decoded]:
        """The next batch of the log after ``after``, undecoded (each
        projection decodes what it needs, once per event)."""
        codec = self.codec
        if self.engine.dialect.name == "postgresql":
            # Straight from the events table, rows as tuples (the recorder's
            # dict rows and UUID objects cost more than the rest of a read).
            table = self.log_table
            with self.engine.connect() as conn:
                cursor = conn.connection.driver_connection.cursor()
                cursor.execute(
                    f"SELECT notification_id, originator_id::text, originator_version, topic, state FROM {table} "
                    "WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
                    (after, self.batch_size), prepare=True)
                rows = cursor.fetchall()
                cursor.close()
                conn.rollback()
            return [Decoded(p, i, v, t, s, codec) for p, i, v, t, s in rows]
        notifications = self.app.recorder.select_notifications(after + 1, self.batch_size)
        return [Decoded(n.id, str(n.originator_id), n.originator_version, n.topic, n.state, codec)
                for n in notifications]

    def apply_batch(self, targets: Sequence[tuple[Projection, int, str, int]], batch: Sequence[Decoded],
                    per_event: bool = False) -> None:
        """Apply ``batch`` to each (projection, version, slot, position) in ONE
        transaction with their tracking rows (or one per event if ``per_event``,
        the baseline of the benchmark)."""
        if per_event:
            moved = {(p.name, v, s): pos for p, v, s, pos in targets}
            for d in batch:
                self.apply_batch([(p, v, s, moved[(p.name, v, s)]) for p, v, s, _ in targets], [d])
                for p, v, s, _ in targets:
                    moved[(p.name, v, s)] = max(moved[(p.name, v, s)], d.position)
            return
        last = batch[-1].position
        applied = []
        with self.engine.begin() as conn:
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
                per_event: bool = False, stop_after: int | None = None) -> bool:
        """Build the named projections (all by default) from zero into their
        other slot while the active one keeps answering, then switch each.
        One pass over the log feeds them all. An interrupted rebuild resumes
        from its own tracked position. Returns True once switched (False if
        ``stop_after`` events were applied first: the rebuild resumes later)."""
        self.setup()
        names = [names] if isinstance(names, str) else list(names or self.projections)
        chosen = [self.projection(n) for n in names]
        slots = {p.name: self._start_rebuild(p) for p in chosen}
        applied = 0
        switched: set[str] = set()
        while True:
            with self.engine.connect() as conn:
                positions = self.positions(conn)
                conn.rollback()
            targets = [(p, slots[p.name][1], slots[p.name][0], positions[(p.name, slots[p.name][1], slots[p.name][0])])
                       for p in chosen]
            batch = self.read(min(t[3] for t in targets))
            if batch:
                self._retrying(lambda: self.apply_batch(targets, batch, per_event))
                applied += len(batch)
                if progress:
                    progress(batch[-1].position, self.head())
            if len(batch) < self.batch_size:
                switched |= {p.name for p in chosen
                             if p.name not in switched and self._switch(p, slots[p.name][1], slots[p.name][0])}
                if len(switched) == len(chosen):
                    return True
            elif stop_after is not None and applied >= stop_after:
                return False

    def _start_rebuild(self, p: Projection) -> tuple[str, int]:
        with self.engine.begin() as conn:
            state = self.states(conn)[p.name]
            if state.rebuilding_slot is not None and state.rebuilding_version == p.version:
                return state.rebuilding_slot, p.version  # resume
            slot = other(state.active_slot)
            keep = p.prefix(state.active_version, state.active_slot)
            for table in inspect(conn).get_table_names():
                if table.startswith(f"p_{p.name}_v") and not table.startswith(keep):
                    conn.exec_driver_sql(f'DROP TABLE "{table}"')
            conn.execute(projection_tracking.delete().where(and_(
                projection_tracking.c.name == p.name,
                ~and_(projection_tracking.c.version == state.active_version,
                      projection_tracking.c.slot == state.active_slot))))
            tables = p.tables(slot)
            next(iter(tables.values())).metadata.create_all(conn)
            conn.execute(insert(projection_tracking).values(name=p.name, version=p.version, slot=slot, position=0,
                                                            updated_at=now()))
            conn.execute(update(projection_state).where(projection_state.c.name == p.name)
                         .values(rebuilding_version=p.version, rebuilding_slot=slot))
            return slot, p.version

    def _switch(self, p: Projection, version: int, slot: str) -> bool:
        """At the head of the log: make the rebuilt slot the one that answers."""
        with self.engine.begin() as conn:
            position = self.positions(conn)[(p.name, version, slot)]
            if self.head() > position:
                return False  # more came meanwhile: one more batch first
            claimed = conn.execute(
                update(projection_state)
                .where(and_(projection_state.c.name == p.name, projection_state.c.rebuilding_slot == slot,
                            projection_state.c.rebuilding_version == version))
                .values(active_version=version, active_slot=slot, rebuilding_version=None, rebuilding_slot=None,
                        switched_at=now())
            )
            return claimed.rowcount == 1

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
