"""Loading many aggregates with one query (issue 5: close of day).

``Repository.get`` costs two round trips per aggregate (the latest snapshot,
then the events after it). The close of day reads every live arrangement, so
on PostgreSQL it asks for a page of them at once: the latest snapshot of each
(``DISTINCT ON``) and then all their events after it, in one query each. Other
stores fall back to ``Repository.get``. The aggregates are the same either
way: the same mapper, the same projector.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import groupby
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    JSONTranscoder,
    Mapper,
    StoredEvent,
    find_id_convertor,
)
from eventsourcing.utils import resolve_topic
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier

from ledger.codec import state_decoder


def load_many(app: Application, ids: Sequence[UUID]) -> dict[UUID, Any]:
    """The current state of each aggregate of ``ids`` that exists, by id (in ``ids`` order)."""
    recorder = app.recorder
    snapshots = app.snapshots.recorder if app.snapshots is not None else None
    if not ids:
        return {}
    if not isinstance(recorder, PostgresAggregateRecorder) or (
        snapshots is not None and not isinstance(snapshots, PostgresAggregateRecorder)
    ):
        return _one_by_one(app, ids)
    keys = list(ids)
    latest: dict[UUID, StoredEvent] = {}
    with recorder.datastore.get_connection() as connection, connection.cursor() as cursor:
        if snapshots is not None:
            cursor.execute(
                SQL(
                    "SELECT DISTINCT ON (originator_id) originator_id, originator_version, topic, state "
                    "FROM {schema}.{table} WHERE originator_id = ANY(%s) "
                    "ORDER BY originator_id, originator_version DESC"
                ).format(schema=Identifier(snapshots.datastore.schema), table=Identifier(snapshots.events_table_name)),
                [keys],
            )
            latest = {row["originator_id"]: _stored(row) for row in cursor.fetchall()}
        cursor.execute(
            SQL(
                "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
                "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
            ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name)),
            [keys],
        )
        rows = cursor.fetchall()
    loaded: dict[UUID, Any] = {}
    to_domain_event = _event_decoder(app)
    with _no_cyclic_gc():
        for originator_id, group in groupby(rows, key=lambda row: row["originator_id"]):
            snapshot = latest.get(originator_id)
            after = snapshot.originator_version if snapshot is not None else 0
            events = [to_domain_event(_stored(row)) for row in group if row["originator_version"] > after]
            start = [to_domain_event(snapshot)] if snapshot is not None else []
            aggregate = project([*start, *events])
            if aggregate is not None:
                loaded[originator_id] = aggregate
    return {i: loaded[i] for i in keys if i in loaded}


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


def project(events: Iterable[Any], aggregate: Any = None) -> Any:
    """``eventsourcing``'s ``project_aggregate`` without its per-event
    ``isinstance`` check against a runtime Protocol, which costs more than
    the mutation itself (the profile of the close of day: 40% of loading)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _event_decoder(app: Application) -> Callable[[StoredEvent], Any]:
    """``app.mapper.to_domain_event``, with the same events, faster: the state
    is decoded through a flat dispatch of the transcodings (as the read models'
    ``projections.base.state_decoder``) instead of ``JSONTranscoder``'s
    per-object hook (the profile of the close of day: 45% of its time was
    decoding stored events). The mapper itself still decodes an event of a
    class that upcasts, and every event when it has a cipher or compressor."""
    decoder = app.__dict__.get("_bulk_event_decoder")
    if decoder is None:
        decoder = app.__dict__["_bulk_event_decoder"] = _fast_decoder(app.mapper)
    return decoder


def _fast_decoder(mapper: Mapper) -> Callable[[StoredEvent], Any]:
    if mapper.cipher is not None or mapper.compressor is not None or not isinstance(mapper.transcoder, JSONTranscoder):
        return mapper.to_domain_event
    decode = state_decoder(mapper.transcoder)
    classes: dict[str, type | None] = {}  # None: decoded by the mapper (an upcasting class)

    def to_domain_event(stored: StoredEvent) -> Any:
        topic = stored.topic
        if topic in classes:
            cls = classes[topic]
        else:
            cls = classes[topic] = resolve_topic(topic)
            if getattr(cls, "class_version", 1) != 1:
                cls = classes[topic] = None
        if cls is None:
            return mapper.to_domain_event(stored)
        state = decode(stored.state.decode("utf8"))
        if "class_version" in state:
            return mapper.to_domain_event(stored)
        originator_id = stored.originator_id
        state["originator_id"] = find_id_convertor(cls, type(originator_id))(originator_id)
        state["originator_version"] = stored.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event

    return to_domain_event


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(
        originator_id=row["originator_id"],
        originator_version=row["originator_version"],
        topic=row["topic"],
        state=bytes(row["state"]),
    )


def _one_by_one(app: Application, ids: Sequence[UUID]) -> dict[UUID, Any]:
    loaded = {}
    for aggregate_id in ids:
        try:
            loaded[aggregate_id] = app.repository.get(aggregate_id, projector_func=project_events)
        except AggregateNotFoundError:
            continue
    return loaded


def project_events(aggregate: Any, events: Iterable[Any]) -> Any:
    """``project`` as a ``Repository.get`` projector function."""
    return project(events, aggregate)
