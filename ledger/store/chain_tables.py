"""The hash chain's table (``ledger.store.chain``) on each store: its DDL, and its rows
and the events read and written in one transaction of the caller's.

PostgreSQL reads stream through server-side cursors in one REPEATABLE READ snapshot
(the events and the chain as of one moment); SQLite reads go by pages of rowids in
one read transaction, which is a snapshot too. The chain's ``position`` is the
event's notification id (PostgreSQL) or rowid (SQLite).

On PostgreSQL a writer's commit stores its events' chain rows as ONE row of
``keao_ledger_chain_blocks``: the rows packed as ``ENTRY`` (position, id, version, link,
64 bytes each) in one uncompressed ``bytea``. A row per event cost about 9 µs of the
commit's wall time an event here (the heap tuple, its primary key's entry, their WAL),
a block about 2.5 (issue 19). The links are the same: ``verify`` reads the blocks back
as the rows they pack. A ledger chained before that has its rows one per event in
``keao_ledger_chain``, every one of them before the first block (a writer appends after
the chain's last row wherever it is): both are read, the per-event rows first. SQLite
keeps a row per event.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Composed, Identifier, Literal

TABLE = "keao_ledger_chain"
BLOCKS = "keao_ledger_chain_blocks"  # PostgreSQL: a commit's rows in one
ENTRY = struct.Struct(">q16sq32s")  # a block's row: position, originator id, version, link
PAGE = 10_000  # SQLite: rows a page; PostgreSQL: rows a fetch of a server-side cursor
BLOCK_PAGE = 16  # PostgreSQL: blocks a fetch (a commit's block holds hundreds of rows)
LAST_POSITION = 2**63 - 1  # "to the end": positions are bigint


def postgres_create_statement(schema: str) -> Composed:
    """The chain's tables (statements without parameters: the library runs them as one).
    The blocks' ``entries`` are stored uncompressed (random links do not compress, and
    ``last`` then reads only the last link's bytes); set once, when the table is made, as
    an ``ALTER`` at every start would wait for any reader of the table (a long verify)."""
    blocks = Identifier(schema, BLOCKS)
    return SQL("CREATE TABLE IF NOT EXISTS {chain} (position bigint PRIMARY KEY, "
               "originator_id uuid NOT NULL, originator_version bigint NOT NULL, link bytea NOT NULL); "
               "DO $$ BEGIN IF to_regclass({name}) IS NULL THEN "
               "CREATE TABLE {blocks} (first_position bigint PRIMARY KEY, last_position bigint NOT NULL, "
               "entries bytea NOT NULL); ALTER TABLE {blocks} ALTER COLUMN entries SET STORAGE EXTERNAL; "
               "END IF; END $$"
               ).format(chain=Identifier(schema, TABLE), blocks=blocks, name=Literal(f'"{schema}"."{BLOCKS}"'))


def packed(rows: Sequence[tuple[int, UUID, int, bytes]]) -> bytes:
    return b"".join([ENTRY.pack(position, i.bytes, version, link) for position, i, version, link in rows])


def unpacked(entries: bytes) -> Iterator[tuple[int, UUID, int, bytes]]:
    for position, i, version, link in ENTRY.iter_unpack(entries):
        yield position, UUID(bytes=i), version, link


SQLITE_CREATE_STATEMENT = (f"CREATE TABLE IF NOT EXISTS {TABLE} (position INTEGER PRIMARY KEY, "
                           "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL, link BLOB NOT NULL)")


@cache  # the writer reads and appends at every insert: its statements composed once
def postgres_statements(schema: str, events_table: str) -> dict[str, Composed]:
    names = {"chain": Identifier(schema, TABLE), "blocks": Identifier(schema, BLOCKS),
             "events": Identifier(schema, events_table)}
    return {key: SQL(text).format(**names) for key, text in {
        # The last 32 bytes of the last block: its last row's link.
        "last_block": "SELECT last_position, substring(entries FROM length(entries) - 31) "
                      "FROM {blocks} ORDER BY first_position DESC LIMIT 1",
        "last": "SELECT position, link FROM {chain} ORDER BY position DESC LIMIT 1",
        "before": "SELECT 1 FROM {events} WHERE notification_id < %s LIMIT 1",
        "append": "INSERT INTO {blocks} (first_position, last_position, entries) VALUES (%b, %b, %b)",
        "events": "SELECT notification_id, originator_id, originator_version, topic, state FROM {events} "
                  "WHERE notification_id BETWEEN %s AND %s ORDER BY notification_id",
        "chain": "SELECT position, originator_id, originator_version, link FROM {chain} "
                 "WHERE position BETWEEN %s AND %s ORDER BY position",
        "blocks": "SELECT entries FROM {blocks} WHERE last_position >= %s AND first_position <= %s "
                  "ORDER BY first_position",
        "block_before": "SELECT entries FROM {blocks} WHERE first_position < %s ORDER BY first_position DESC LIMIT 1",
        "link_before": "SELECT link FROM {chain} WHERE position < %s ORDER BY position DESC LIMIT 1",
        "event_position": "SELECT notification_id FROM {events} WHERE originator_id = %s AND originator_version = %s",
        "chained_position": "SELECT position FROM {chain} WHERE originator_id = %s AND originator_version = %s",
        # A block holding the id and version's bytes (one found at another offset is checked in Python).
        "blocks_holding": "SELECT entries FROM {blocks} WHERE position(%b IN entries) > 0 ORDER BY first_position",
        "max": "SELECT coalesce(greatest((SELECT max(notification_id) FROM {events}), "
               "(SELECT max(position) FROM {chain}), (SELECT max(last_position) FROM {blocks})), 0)",
    }.items()}


class PostgresChainRows:
    """The chain and the events of a PostgreSQL schema, on ``connection`` (in a transaction):
    the chain's rows are those of its blocks after those of the per-event table."""

    def __init__(self, connection: Any, schema: str, events_table: str):
        self.connection = connection
        self._sql = postgres_statements(schema, events_table)

    def _one(self, key: str, *params: Any) -> Any:
        with self.connection.cursor(row_factory=tuple_row) as cursor:
            cursor.execute(self._sql[key], params)
            return cursor.fetchone()

    def last(self) -> tuple[int, bytes] | None:
        row = self._one("last_block") or self._one("last")
        return None if row is None else (row[0], bytes(row[1]))

    def has_events_before(self, position: int) -> bool:
        return self._one("before", position) is not None

    def append(self, rows: Sequence[tuple[int, UUID, int, bytes]]) -> None:
        if rows:
            with self.connection.cursor() as cursor:
                cursor.execute(self._sql["append"], (rows[0][0], rows[-1][0], packed(rows)))

    def _stream(self, key: str, start: int, stop: int | None, size: int = PAGE) -> Iterator[tuple[Any, ...]]:
        with self.connection.cursor(name=f"keao_chain_{key}", row_factory=tuple_row) as cursor:
            cursor.itersize = size
            cursor.execute(self._sql[key], (start, LAST_POSITION if stop is None else stop), binary=True)
            yield from cursor

    def events(self, start: int, stop: int | None) -> Iterator[tuple[int, UUID, int, str, bytes]]:
        return self._stream("events", start, stop)

    def chain(self, start: int, stop: int | None) -> Iterator[tuple[int, UUID, int, bytes]]:
        yield from self._stream("chain", start, stop)
        last = LAST_POSITION if stop is None else stop
        for (entries,) in self._stream("blocks", start, stop, BLOCK_PAGE):
            for row in unpacked(entries):
                if start <= row[0] <= last:
                    yield row

    def link_before(self, position: int) -> bytes | None:
        block = self._one("block_before", position)
        if block is not None:
            return [link for at, _, _, link in unpacked(block[0]) if at < position][-1]
        row = self._one("link_before", position)
        return None if row is None else bytes(row[0])

    def event_position(self, originator_id: UUID, version: int) -> int | None:
        row = self._one("event_position", originator_id, version)
        return None if row is None else row[0]

    def chained_position(self, originator_id: UUID, version: int) -> int | None:
        row = self._one("chained_position", originator_id, version)
        if row is not None:
            return row[0]
        needle = ENTRY.pack(0, originator_id.bytes, version, bytes(32))[8:32]
        with self.connection.cursor(row_factory=tuple_row) as cursor:
            for (entries,) in cursor.execute(self._sql["blocks_holding"], (needle,)):
                for position, i, v, _ in unpacked(entries):
                    if (i, v) == (originator_id, version):
                        return position
        return None

    def max_position(self) -> int:
        return int(self._one("max")[0])


class SQLiteChainRows:
    """The chain and the events of a SQLite file, on the library's ``cursor`` (in a transaction)."""

    def __init__(self, cursor: Any, events_table: str):
        self.cursor = cursor
        self.events_table = events_table

    def _all(self, statement: str, *params: Any) -> list[Any]:
        self.cursor.execute(statement, params)
        return self.cursor.fetchall()

    def _one(self, statement: str, *params: Any) -> Any:
        rows = self._all(statement, *params)
        return rows[0] if rows else None

    def last(self) -> tuple[int, bytes] | None:
        row = self._one(f"SELECT position, link FROM {TABLE} ORDER BY position DESC LIMIT 1")
        return None if row is None else (row[0], row[1])

    def has_events_before(self, position: int) -> bool:
        return self._one(f"SELECT 1 FROM {self.events_table} WHERE rowid < ? LIMIT 1", position) is not None

    def append(self, rows: Sequence[tuple[int, UUID, int, bytes]]) -> None:
        self.cursor.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)",
                                [(position, i.hex, version, link) for position, i, version, link in rows])

    def _pages(self, statement: str, start: int, stop: int | None) -> Iterator[Any]:
        while True:
            page = self._all(statement, start, LAST_POSITION if stop is None else stop, PAGE)
            yield from page
            if len(page) < PAGE:
                return
            start = page[-1][0] + 1

    def events(self, start: int, stop: int | None) -> Iterator[tuple[int, UUID, int, str, bytes]]:
        statement = (f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table} "
                     "WHERE rowid BETWEEN ? AND ? ORDER BY rowid LIMIT ?")
        for position, originator_id, version, topic, state in self._pages(statement, start, stop):
            yield position, UUID(hex=originator_id), version, topic, state

    def chain(self, start: int, stop: int | None) -> Iterator[tuple[int, UUID, int, bytes]]:
        statement = (f"SELECT position, originator_id, originator_version, link FROM {TABLE} "
                     "WHERE position BETWEEN ? AND ? ORDER BY position LIMIT ?")
        for position, originator_id, version, link in self._pages(statement, start, stop):
            yield position, UUID(hex=originator_id), version, link

    def link_before(self, position: int) -> bytes | None:
        row = self._one(f"SELECT link FROM {TABLE} WHERE position < ? ORDER BY position DESC LIMIT 1", position)
        return None if row is None else row[0]

    def event_position(self, originator_id: UUID, version: int) -> int | None:
        row = self._one(f"SELECT rowid FROM {self.events_table} WHERE originator_id = ? AND originator_version = ?",
                        originator_id.hex, version)
        return None if row is None else row[0]

    def chained_position(self, originator_id: UUID, version: int) -> int | None:
        row = self._one(f"SELECT position FROM {TABLE} WHERE originator_id = ? AND originator_version = ?",
                        originator_id.hex, version)
        return None if row is None else row[0]

    def max_position(self) -> int:
        row = self._one(f"SELECT max(coalesce((SELECT max(rowid) FROM {self.events_table}), 0), "
                        f"coalesce((SELECT max(position) FROM {TABLE}), 0))")
        return int(row[0])


@contextmanager
def reading(recorder: Any) -> Iterator[PostgresChainRows | SQLiteChainRows]:
    """The chain and the events of ``recorder``'s store, as of one snapshot."""
    datastore = recorder.datastore
    if isinstance(datastore, PostgresDatastore):
        with datastore.get_connection() as connection, connection.transaction(force_rollback=True):
            connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield PostgresChainRows(connection, datastore.schema, recorder.events_table_name)
        return
    with datastore.transaction(commit=False) as cursor:
        yield SQLiteChainRows(cursor, recorder.events_table_name)


@contextmanager
def writing(recorder: Any) -> Iterator[PostgresChainRows | SQLiteChainRows]:
    """The same, in one transaction that commits, holding the lock the events' writers
    take (PostgreSQL: the events table's; SQLite: the database's write lock, taken
    first so that no writer comes between the reads and the writes)."""
    datastore = recorder.datastore
    if isinstance(datastore, PostgresDatastore):
        with datastore.transaction(commit=True) as cursor:
            recorder._lock_table(cursor)  # the library's: the lock every insert of events takes
            yield PostgresChainRows(cursor.connection, datastore.schema, recorder.events_table_name)
        return
    with datastore.transaction(commit=True) as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE 0")  # a write: takes the write lock now
        yield SQLiteChainRows(cursor, recorder.events_table_name)
