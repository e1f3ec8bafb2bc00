"""The recorders of the ledger and the advisory locks around them, and the lock that
serialises a job over the whole store (``store_lock``: a close of day).

On both stores the events' recorder writes the hash chain (F1, ``ledger.store.chain``)
in the transaction that inserts the events, after the insert has given their positions:
on PostgreSQL under the table lock the insert took, on SQLite under the database's
write lock. ``chaining`` False (``LEDGER_CHAIN=0``) writes no chain.

The PostgreSQL recorders are the library's, with two differences:

* their tables are created by one process at a time (``LockedTableCreation``): the
  consumer, the projection runner and a command opening one ledger at once otherwise
  collide in the DDL ("tuple concurrently updated", a duplicate ``pg_type`` row);
* the events are sent as four arrays (ids, versions, topics, states) in binary rather
  than one array of composites, whose dumping is row by row in Python: the same INSERT
  of the same rows in the same order (``unnest`` of equal-length arrays zips them), the
  same table lock, notify, tracking row and returned notification ids; 40% less of the
  commit's client time. The ids come back as tuples, not the library's dict rows (0.05
  against 0.33 µs an event).
"""

from __future__ import annotations

import fcntl
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresFactory,
    PostgresProcessRecorder,
)
from eventsourcing.sqlite import SQLiteProcessRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from ledger.store import chain, chain_tables
from ledger.store.urls import is_postgres, sqlite_path


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


@contextmanager
def store_lock(db_url: str, datastore: Any, name: str) -> Iterator[None]:
    """Hold the lock ``name`` of the store at ``db_url``, waiting for any other process
    holding it: a job of many transactions (a close of day) that must not interleave
    with another such job. The server or the kernel frees it when its holder dies.

    PostgreSQL: a session advisory lock on a connection of its own (``datastore``'s
    server and schema). A SQLite file: an exclusive ``flock`` of ``<file>.<name>.lock``
    beside it (SQLite's own lock lasts one transaction). An in-memory database
    belongs to one process: nothing to lock."""
    if is_postgres(db_url):
        key = advisory_lock_key(f"keao-ledger-{name}:{datastore.schema}")
        with own_connection(datastore) as connection:
            connection.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                connection.execute("SELECT pg_advisory_unlock(%s)", (key,))
        return
    path = sqlite_path(db_url)
    if path.startswith("file:") or path == ":memory:":
        yield
        return
    with open(f"{path}.{name}.lock", "a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


class LockedTableCreation:
    """A recorder whose ``create_table`` runs under the schema's DDL lock (a session
    advisory lock on a connection of its own), as the read models' set-up does."""

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
    """The snapshots' recorder, its table created under the lock (``snapshot_recorder``)."""


class LedgerProcessRecorder(LockedTableCreation, PostgresProcessRecorder):
    """The events' and the Kafka offsets' recorder (``PROCESS_RECORDER_TOPIC``), and
    the chain's writer."""

    chaining = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sql_create_statements.append(chain_tables.postgres_create_statement(self.datastore.schema))

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[Any], **kwargs: Any) -> Any:
        # What the library's reads, from the tuples ``_insert_stored_events`` asked for.
        assert curs.statusmessage and curs.statusmessage.startswith("INSERT"), curs.statusmessage
        ids = [row[0] for row in curs.fetchall()]
        if self.chaining and ids:
            rows = chain_tables.PostgresChainRows(curs.connection, self.datastore.schema, self.events_table_name)
            chain.extend(rows, list(zip(ids, stored_events, strict=True)))
        return ids

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
        curs.row_factory = tuple_row  # the returned ids (``_fetch_ids_after_insert_events``)
        curs.execute(statement, (
            [e.originator_id for e in stored_events], [e.originator_version for e in stored_events],
            [e.topic for e in stored_events], [e.state for e in stored_events],
        ))


class LedgerSQLiteProcessRecorder(SQLiteProcessRecorder):
    """SQLite's events' and Kafka offsets' recorder, and the chain's writer."""

    chaining = True

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), chain_tables.SQLITE_CREATE_STATEMENT]

    def _insert_events(self, c: Any, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        if self.chaining and ids:
            chain.extend(chain_tables.SQLiteChainRows(c, self.events_table_name),
                         list(zip(ids, stored_events, strict=True)))
        return ids


# Selects the events' recorder (the factory builds it from this topic), by store.
PROCESS_RECORDER = {"PROCESS_RECORDER_TOPIC": "ledger.store.recorder:LedgerProcessRecorder"}
SQLITE_PROCESS_RECORDER = {"PROCESS_RECORDER_TOPIC": "ledger.store.recorder:LedgerSQLiteProcessRecorder"}


def snapshot_recorder(factory: PostgresFactory) -> LedgerSnapshotRecorder:
    """What ``PostgresFactory.aggregate_recorder("snapshots")`` builds, as a
    ``LedgerSnapshotRecorder`` (that factory method takes no recorder topic)."""
    recorder = LedgerSnapshotRecorder(datastore=factory.datastore,
                                      events_table_name=f"{factory.env.name.lower()}_snapshots")
    if factory.env_create_table():
        recorder.create_table()
    return recorder
