"""Loading many aggregates with one query (issue 5: close of day).

``Repository.get`` costs two round trips per aggregate (the latest snapshot,
then the events after it). The close of day reads every live arrangement, so
on PostgreSQL it asks for a page of them at once: the latest snapshot of each
(``DISTINCT ON``) and then all their events after it, in one query each. Other
stores fall back to ``Repository.get``. The aggregates are the same either
way: the same mapper, the same projector.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier


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
    to_domain_event = app.mapper.to_domain_event
    for originator_id, group in groupby(rows, key=lambda row: row["originator_id"]):
        snapshot = latest.get(originator_id)
        after = snapshot.originator_version if snapshot is not None else 0
        events = [to_domain_event(_stored(row)) for row in group if row["originator_version"] > after]
        start = [to_domain_event(snapshot)] if snapshot is not None else []
        aggregate = project([*start, *events])
        if aggregate is not None:
            loaded[originator_id] = aggregate
    return {i: loaded[i] for i in keys if i in loaded}


def project(events: Iterable[Any], aggregate: Any = None) -> Any:
    """``eventsourcing``'s ``project_aggregate`` without its per-event
    ``isinstance`` check against a runtime Protocol, which costs more than
    the mutation itself (the profile of the close of day: 40% of loading)."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


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
