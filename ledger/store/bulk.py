"""Loading many aggregates with one query (issue 5: close of day).

``Repository.get`` costs two round trips per aggregate (the latest snapshot,
then the events after it). The close of day reads every live arrangement, so
on PostgreSQL it asks for a page of them at once: the latest snapshot of each
(``DISTINCT ON``) and then all their events after it, in one query each, in
PostgreSQL's binary format. Other stores fall back to ``Repository.get``. The
aggregates are the same either way: the same events, the same projector
(``tests/integration/test_bulk.py`` compares them).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from itertools import groupby
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    Mapper,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.utils import resolve_topic
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from ledger.store.codec import state_decoder, stored_json


def load_many(
    app: Application,
    ids: Sequence[UUID],
    unless_last: Collection[str] = (),
    since_snapshot: dict[UUID, int] | None = None,
) -> dict[UUID, Any]:
    """The current state of each aggregate of ``ids`` that exists, by id (in
    ``ids`` order). Those whose last event has one of the topics ``unless_last``
    are left out, on PostgreSQL without reading their events (the close of day:
    an arrangement whose last event ended it). ``since_snapshot``, when given,
    is filled with how many events each was replayed from after its latest
    snapshot (all of them when it has none)."""
    if not ids:
        return {}
    data_keys = getattr(app, "keys", None)  # the ledger's personal data keys (F3): read at once, not one by one
    if data_keys is None:
        return _loaded(app, ids, unless_last, since_snapshot)
    with data_keys.reading_many(ids):
        return _loaded(app, ids, unless_last, since_snapshot)


def _loaded(app: Application, ids: Sequence[UUID], unless_last: Collection[str],
            since_snapshot: dict[UUID, int] | None) -> dict[UUID, Any]:
    """``load_many``'s reading: in pages on PostgreSQL, else one by one."""
    recorder = app.recorder
    snapshots = app.snapshots.recorder if app.snapshots is not None else None
    if not isinstance(recorder, PostgresAggregateRecorder) or (
        snapshots is not None and not isinstance(snapshots, PostgresAggregateRecorder)
    ):
        return _one_by_one(app, ids, unless_last, since_snapshot)
    keys = list(ids)
    latest, rows = _select_latest_snapshots_and_events(app, keys, unless_last)
    return _decoded(app, keys, latest, rows, since_snapshot)


def _select_latest_snapshots_and_events(
    app: Application, keys: list[UUID], unless_last: Collection[str],
) -> tuple[dict[UUID, tuple[int, str, bytes]], list[tuple[Any, ...]]]:
    """On PostgreSQL, two queries: which of ``keys`` to read (the others' last topic
    is in ``unless_last``) with the latest snapshot of each; then every event after
    that snapshot (or all), in order, by an index range scan each."""
    recorder = app.recorder
    snapshots = app.snapshots.recorder if app.snapshots is not None else None
    schema, table = Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
    wanted = SQL("unnest(%s::uuid[]) AS w(i)")
    if unless_last:
        wanted = SQL(
            "unnest(%s::uuid[]) AS w(i) WHERE (SELECT l.topic FROM {schema}.{table} AS l "
            "WHERE l.originator_id = w.i ORDER BY l.originator_version DESC LIMIT 1) <> ALL(%s::text[])"
        ).format(schema=schema, table=table)
    arguments: list[Any] = [keys, list(unless_last)] if unless_last else [keys]
    with recorder.datastore.get_connection() as connection, \
            connection.cursor(row_factory=tuple_row, binary=True) as cursor:
        if snapshots is not None:
            cursor.execute(
                SQL(
                    "SELECT w.i, s.originator_version, s.topic, s.state FROM {wanted} "
                    "LEFT JOIN LATERAL (SELECT originator_version, topic, state FROM {schema}.{table} "
                    "WHERE originator_id = w.i ORDER BY originator_version DESC LIMIT 1) AS s ON true"
                ).format(wanted=SQL("(SELECT i FROM {wanted}) AS w").format(wanted=wanted),
                         schema=Identifier(snapshots.datastore.schema),
                         table=Identifier(snapshots.events_table_name)),
                arguments,
            )
        else:
            cursor.execute(SQL("SELECT i, NULL, NULL, NULL FROM {wanted}").format(wanted=wanted), arguments)
        found = cursor.fetchall()
        latest = {row[0]: (row[1], row[2], row[3]) for row in found if row[1] is not None}
        cursor.execute(
            SQL(
                "SELECT e.originator_id, e.originator_version, e.topic, e.state "
                "FROM unnest(%s::uuid[], %s::int[]) AS w(i, after) CROSS JOIN LATERAL "
                "(SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
                "WHERE originator_id = w.i AND originator_version > w.after ORDER BY originator_version) AS e"
            ).format(schema=schema, table=table),
            [[row[0] for row in found], [row[1] or 0 for row in found]],
        )
        return latest, cursor.fetchall()


def _decoded(
    app: Application, keys: list[UUID], latest: dict[UUID, tuple[int, str, bytes]], rows: list[tuple[Any, ...]],
    since_snapshot: dict[UUID, int] | None,
) -> dict[UUID, Any]:
    """Each aggregate of ``keys`` from its latest snapshot and the events after it."""
    loaded: dict[UUID, Any] = {}
    to_domain_event = _event_decoder(app)
    events = {originator_id: list(group) for originator_id, group in groupby(rows, key=_first)}
    del rows
    with _no_cyclic_gc():
        for originator_id in [i for i in keys if i in events or i in latest]:
            # popped: each aggregate's stored bytes freed once it is decoded
            snapshot = latest.pop(originator_id, None)
            tail = events.pop(originator_id, ())
            aggregate = to_domain_event(originator_id, *snapshot).mutate(None) if snapshot is not None else None
            aggregate = project((to_domain_event(*row) for row in tail), aggregate)
            if aggregate is not None:
                loaded[originator_id] = aggregate
                if since_snapshot is not None:
                    since_snapshot[originator_id] = len(tail)
    return loaded


def save_snapshots(app: Application, aggregates: Sequence[Any], chunk: int = 50) -> int:
    """Snapshot each of ``aggregates`` at its current version, as
    ``Application.take_snapshot`` would after reloading it (the close of day:
    the arrangements it has just read and saved), and on PostgreSQL drop their
    older snapshots: ``load_many`` reads only the latest. A snapshot already
    there at that version (another process's) is kept. ``chunk`` at a time, so
    that the encoded states held at once stay few. Returns how many."""
    store = app.snapshots
    if store is None or not aggregates:
        return 0
    default = type(app).snapshot_class
    recorder = store.recorder
    for start in range(0, len(aggregates), chunk):
        stored = [app.mapper.to_stored_event(getattr(type(a), "Snapshot", default).take(a))
                  for a in aggregates[start:start + chunk]]
        if isinstance(recorder, PostgresAggregateRecorder):
            _insert_latest(recorder, stored)
            continue
        for one in stored:
            try:
                recorder.insert_events([one])
            except IntegrityError:
                continue
    return len(aggregates)


def _insert_latest(recorder: PostgresAggregateRecorder, stored: list[StoredEvent]) -> None:
    schema, table = Identifier(recorder.datastore.schema), Identifier(recorder.events_table_name)
    ids, versions = [s.originator_id for s in stored], [s.originator_version for s in stored]
    with recorder.datastore.transaction(commit=True) as cursor:
        # Binary parameters: psycopg's text form of a bytea array escapes every byte in Python.
        cursor.execute(
            SQL(
                "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
                "SELECT * FROM unnest(%b::uuid[], %b::int[], %b::text[], %b::bytea[]) ON CONFLICT DO NOTHING"
            ).format(schema=schema, table=table),
            [ids, versions, [s.topic for s in stored], [s.state for s in stored]],
        )
        cursor.execute(
            SQL(
                "DELETE FROM {schema}.{table} AS s USING unnest(%b::uuid[], %b::int[]) AS n(i, v) "
                "WHERE s.originator_id = n.i AND s.originator_version < n.v"
            ).format(schema=schema, table=table),
            [ids, versions],
        )


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused while a page is decoded: it builds
    tens of thousands of dicts that all stay alive, and each of the collector's
    passes over them finds nothing (measured: 20% of decoding). Whatever
    garbage is left is collected once it runs again."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def last_topics(app: Application, ids: Sequence[UUID]) -> dict[UUID, str] | None:
    """The topic of the last event of each aggregate of ``ids`` that exists,
    without reading any state (one index lookup each); None on a store other
    than PostgreSQL."""
    recorder = app.recorder
    if not isinstance(recorder, PostgresAggregateRecorder):
        return None
    if not ids:
        return {}
    with recorder.datastore.get_connection() as connection, connection.cursor() as cursor:
        cursor.execute(
            SQL(
                "SELECT i AS originator_id, (SELECT topic FROM {schema}.{table} WHERE originator_id = i "
                "ORDER BY originator_version DESC LIMIT 1) AS topic FROM unnest(%s::uuid[]) AS i"
            ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name)),
            [list(ids)],
        )
        return {row["originator_id"]: row["topic"] for row in cursor.fetchall() if row["topic"] is not None}


def latest_business_date(app: Application) -> date | None:
    """M3: the latest business date any stored event took effect on, read by the
    database from the stored JSON (one scan; asked only before the first close of
    day). An encrypted ledger's (F4) the database cannot read: each event is decrypted
    and decoded here instead, once per process (the latest date kept with the position
    it was read to, and only the events after it read the next time)."""
    recorder = app.recorder
    if app.mapper.cipher is not None or app.mapper.compressor is not None:
        position, latest = app.__dict__.get("_latest_business_date", (0, None))
        for n in _notifications(recorder, start=position + 1):
            found = getattr(app.mapper.to_domain_event(n), "business_date", None)
            if found is not None and (latest is None or found.isoformat() > latest):
                latest = found.isoformat()
            position = n.id
        app.__dict__["_latest_business_date"] = (position, latest)
    elif isinstance(recorder, PostgresAggregateRecorder):
        query = SQL(
            "SELECT max(convert_from(state, 'UTF8')::jsonb -> 'business_date' ->> '_data_') FROM {schema}.{table}"
        ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name))
        with recorder.datastore.get_connection() as connection, connection.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(query)
            latest = cursor.fetchone()[0]
    else:
        with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
            cursor.execute(
                f"SELECT max(json_extract(CAST(state AS TEXT), '$.business_date._data_')) "  # noqa: S608 (the library's table name)
                f"FROM {recorder.events_table_name}"  # type: ignore[attr-defined]
            )
            latest = cursor.fetchone()[0]
    return None if latest is None or latest == date.min.isoformat() else date.fromisoformat(latest)


def _notifications(recorder: Any, topics: Sequence[str] = (), start: int = 1) -> Iterator[Any]:
    while True:
        batch = recorder.select_notifications(start, 1000, topics=topics)
        yield from batch
        if len(batch) < 1000:
            return
        start = batch[-1].id + 1


def originator_ids(app: Application, topic: str) -> Iterator[UUID]:
    """The ids of the aggregates with an event of ``topic`` (their creation
    event: each once), in the order of the application sequence, without
    reading the events' state; on a store other than PostgreSQL through the
    notifications."""
    recorder = app.recorder
    if not isinstance(recorder, PostgresAggregateRecorder):
        for notification in _notifications(recorder, [topic]):
            yield notification.originator_id
        return
    with recorder.datastore.get_connection() as connection, connection.cursor(row_factory=tuple_row) as cursor:
        cursor.execute(
            SQL("SELECT originator_id FROM {schema}.{table} WHERE topic = %s ORDER BY notification_id").format(
                schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name)),
            [topic],
        )
        rows = cursor.fetchall()
    for row in rows:
        yield row[0]


def project(events: Iterable[Any], aggregate: Any = None) -> Any:
    """``eventsourcing``'s ``project_aggregate`` without its per-event
    ``isinstance`` check against a runtime Protocol, which costs more than
    the mutation itself (the profile of the close of day: 40% of loading)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _event_decoder(app: Application) -> Callable[[UUID, int, str, bytes], Any]:
    """``app.mapper.to_domain_event`` of a stored event's columns, with the
    same events, faster: the state is decoded by ``ledger.codec.state_decoder``
    (``orjson``, then a flat dispatch of the transcodings) instead of
    ``JSONTranscoder``'s per-object hook, from its JSON (``stored_json``: decrypted
    when the ledger has a cipher, F4). The mapper itself still decodes an event of a
    class that upcasts."""
    decoder = app.__dict__.get("_bulk_event_decoder")
    if decoder is None:
        decoder = app.__dict__["_bulk_event_decoder"] = _fast_decoder(app.mapper)
    return decoder


def _fast_decoder(mapper: Mapper) -> Callable[[UUID, int, str, bytes], Any]:
    def by_mapper(originator_id: UUID, originator_version: int, topic: str, state: bytes) -> Any:
        return mapper.to_domain_event(StoredEvent(originator_id, originator_version, topic, state))

    if not isinstance(mapper.transcoder, JSONTranscoder):
        return by_mapper
    decode = state_decoder(mapper.transcoder)
    as_json = stored_json(mapper)
    classes: dict[str, type | None] = {}  # None: decoded by the mapper (an upcasting class)
    convertors: dict[tuple[type, type], Callable[[Any], Any]] = {}

    def to_domain_event(originator_id: UUID, originator_version: int, topic: str, state: bytes) -> Any:
        if topic in classes:
            cls = classes[topic]
        else:
            cls = classes[topic] = resolve_topic(topic)
            if getattr(cls, "class_version", 1) != 1:
                cls = classes[topic] = None
        if cls is None:
            return by_mapper(originator_id, originator_version, topic, state)
        values = decode(as_json(state))
        if "class_version" in values:
            return by_mapper(originator_id, originator_version, topic, state)
        convert = convertors.get((cls, type(originator_id)))
        if convert is None:
            convert = convertors[(cls, type(originator_id))] = find_id_convertor(cls, type(originator_id))
        values["originator_id"] = convert(originator_id)
        values["originator_version"] = originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", values)
        return event

    return to_domain_event


def _one_by_one(app: Application, ids: Sequence[UUID], unless_last: Collection[str] = (),
                since_snapshot: dict[UUID, int] | None = None) -> dict[UUID, Any]:
    loaded = {}
    for aggregate_id in ids:
        try:
            aggregate = app.repository.get(aggregate_id, projector_func=project_events)
        except AggregateNotFoundError:
            continue
        if unless_last and _last_topic(app, aggregate) in unless_last:
            continue
        loaded[aggregate_id] = aggregate
        if since_snapshot is not None:
            latest = app.snapshots.get(aggregate_id, desc=True, limit=1) if app.snapshots is not None else []
            since_snapshot[aggregate_id] = aggregate.version - next((s.originator_version for s in latest), 0)
    return loaded


def _last_topic(app: Application, aggregate: Any) -> str | None:
    stored = app.recorder.select_events(aggregate.id, gt=aggregate.version - 1, limit=1)
    return stored[0].topic if stored else None


def project_events(aggregate: Any, events: Iterable[Any]) -> Any:
    """``project`` as a ``Repository.get`` projector function."""
    return project(events, aggregate)
