"""Blue/green rebuild: a projection built from zero into its other slot while
the active one keeps answering, then switched at the head of the log.

``one_pass`` is one process's pass over the log for some projections (the
whole rebuild on SQLite, each worker's share on PostgreSQL:
``projections.workers``): ``start_rebuild`` picks each one's slot (the one it
was being rebuilt into, to resume from its own tracked position, else the
slot beside the active one, emptied), the runner's batches fill it, and
``switch`` makes it answer once its position is the head.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING

from sqlalchemy import Connection, and_, insert, inspect, update
from sqlalchemy.schema import CreateIndex

from projections.base import Projection
from projections.db import projection_state, projection_tracking
from projections.slots import State, create_tables, now, other

if TYPE_CHECKING:
    from projections.runner import Progress, Runner


def one_pass(runner: Runner, chosen: Sequence[Projection], progress: Progress | None, per_event: bool,
             stop_after: int | None) -> bool:
    """One pass over the log for ``chosen``, in this process."""
    slots = start_rebuild(runner, chosen)
    prefixes = _wanted(chosen)
    applied = 0
    switched: set[str] = set()
    indexed: set[str] = set()
    while True:
        with runner.engine.connect() as conn:
            positions = runner.positions(conn)
            conn.rollback()
        targets = [(p, slots[p.name][1], slots[p.name][0], positions[(p.name, slots[p.name][1], slots[p.name][0])])
                   for p in chosen]
        start = min(t[3] for t in targets)
        batch, last, at_end = runner.scan(start, prefixes)
        if last > start:
            runner.retrying(partial(runner.apply_batch, targets, batch, per_event, last, relaxed=not per_event))
            applied += last - start
            if progress:
                progress(last, runner.head())
        if at_end:
            waiting = [p for p in chosen if p.name not in switched]
            switched |= switch(runner, waiting, slots, {p.name for p in waiting} - indexed)
            indexed |= {p.name for p in waiting}
            if len(switched) == len(chosen):
                return True
        elif stop_after is not None and applied >= stop_after:
            return False


def _wanted(chosen: Sequence[Projection]) -> tuple[str, ...] | None:
    """The events a pass for ``chosen`` needs, chosen on the server: the
    topic prefixes they read (None, all of them, if one of the projections
    reads every event)."""
    prefixes: tuple[str, ...] | None = ()
    for p in chosen:
        prefixes = None if prefixes is None or p.prefixes is None else prefixes + p.prefixes
    return prefixes


def start_rebuild(runner: Runner, chosen: Sequence[Projection]) -> dict[str, tuple[str, int]]:
    """The (slot, version) each of ``chosen`` is rebuilt into: the one it
    was being rebuilt into (resume), else the slot beside the active one,
    emptied (its tables, of any version but the active one, dropped and
    created anew) with its position at zero; all in one transaction."""
    slots: dict[str, tuple[str, int]] = {}
    with runner.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET LOCAL synchronous_commit = off")  # lost in a crash: nothing started
        states = runner.states(conn)
        fresh = []
        for p in chosen:
            state = states[p.name]
            if state.rebuilding_slot is not None and state.rebuilding_version == p.version:
                slots[p.name] = (state.rebuilding_slot, p.version)  # resume
            else:
                fresh.append(p)
        if not fresh:
            return slots
        _drop_old_tables(conn, fresh, states)
        for p in fresh:
            slots[p.name] = _empty_slot(runner, conn, p, states[p.name])
    return slots


def drop_stale_tables(runner: Runner) -> None:
    """Drop every read model's tables of a slot neither active nor being rebuilt: a
    rebuild's previous slot, kept until the next rebuild, holds copies of personal
    data an erasure has since scrubbed from the active one (F3)."""
    with runner.engine.begin() as conn:
        states = runner.states(conn)
        _drop_old_tables(conn, list(runner.projections.values()), states, keep_rebuilding=True)


def _drop_old_tables(conn: Connection, fresh: Sequence[Projection], states: dict[str, State],
                     keep_rebuilding: bool = False) -> None:
    """Drop the tables of ``fresh``, of any version and slot but the active one (and,
    ``keep_rebuilding``, the one a rebuild is filling)."""
    existing = inspect(conn).get_table_names()
    old = []
    for p in fresh:
        state = states[p.name]
        keep = [p.prefix(state.active_version, state.active_slot)]
        if keep_rebuilding and state.rebuilding_slot is not None:
            keep.append(p.prefix(state.rebuilding_version, state.rebuilding_slot))
        old += [table for table in existing if table.startswith(f"p_{p.name}_v") and not table.startswith(tuple(keep))]
    if old and conn.dialect.name == "postgresql":
        conn.exec_driver_sql("DROP TABLE " + ", ".join(f'"{table}"' for table in old))
    else:
        for table in old:
            conn.exec_driver_sql(f'DROP TABLE "{table}"')


def _empty_slot(runner: Runner, conn: Connection, p: Projection, state: State) -> tuple[str, int]:
    """The slot beside ``p``'s active one, created empty (without its
    secondary indexes) with its position at zero, recorded as the one being
    rebuilt; every other tracking row of ``p`` but the active one deleted."""
    slot = other(state.active_slot)
    conn.execute(projection_tracking.delete().where(and_(
        projection_tracking.c.name == p.name,
        ~and_(projection_tracking.c.version == state.active_version,
              projection_tracking.c.slot == state.active_slot))))
    create_tables(runner, conn, p, slot, indexes=False)
    conn.execute(insert(projection_tracking).values(name=p.name, version=p.version, slot=slot,
                                                    position=0, updated_at=now()))
    conn.execute(update(projection_state).where(projection_state.c.name == p.name)
                 .values(rebuilding_version=p.version, rebuilding_slot=slot))
    return slot, p.version


def switch(runner: Runner, chosen: Sequence[Projection], slots: dict[str, tuple[str, int]],
           index: set[str]) -> set[str]:
    """At the head of the log: make the rebuilt slots of ``chosen`` answer,
    in one transaction, after building the secondary indexes of those
    named in ``index`` (they stay if more events came meanwhile and the
    switch waits). Returns the names switched: those whose position is
    the head."""
    switched = set()
    with runner.engine.begin() as conn:
        for p in chosen:
            if p.name in index:
                for table in p.tables(*slots[p.name]).values():
                    for ix in table.indexes:
                        conn.execute(CreateIndex(ix, if_not_exists=True))
        positions = runner.positions(conn)
        head = runner.head()
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
