"""The close of day's index (issue 19): for each live arrangement a close read, the
version it read it at, the day it settled it to and the first day after that on which
it may change (``aggregates.close_day_skip.next_change_day``; NULL: none).

A row holds only while its version is still the arrangement's latest in the events
table, which every query compares in the same statement: whatever a payment or any
other writer recorded for the arrangement since makes the close read it as before.
The table sits beside the events (``keao_close_index``, in the ledger's schema on
PostgreSQL), created on first use like the data keys' table; a ledger written before
it has no rows, and its first close of day writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from ledger.store.recorder import ddl_lock_key

TABLE = "keao_close_index"
SQLITE_PAGE = 500  # ids a statement on SQLite (its host parameters are limited)

# (arrangement id, version read, day settled to, first day it may change)
Row = tuple[UUID, int, date, date | None]


class CloseIndex:
    """The index of the ledger whose events ``recorder`` writes."""

    def __init__(self, recorder: Any):
        self.datastore = recorder.datastore
        self.postgres = isinstance(self.datastore, PostgresDatastore)
        self.events_table = recorder.events_table_name
        self._create_table()

    def _create_table(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            if self.postgres:  # one process at a time creates the ledger's tables
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ddl_lock_key(self.datastore.schema)])
                cursor.execute(SQL("CREATE TABLE IF NOT EXISTS {} (arrangement_id uuid PRIMARY KEY, "
                                   "version bigint NOT NULL, settled_on date NOT NULL, next_change date)"
                                   ).format(Identifier(self.datastore.schema, TABLE)))
            else:
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (arrangement_id TEXT PRIMARY KEY, "
                               "version INTEGER NOT NULL, settled_on TEXT NOT NULL, next_change TEXT)")

    def unchanged_until_after(self, ids: Sequence[UUID], previous: date, day: date) -> set[UUID]:
        """Those of ``ids`` that nothing can happen to by ``day``: their row's version is
        still their latest, it was settled to ``previous`` or before (a close that moved
        the business date there), and its first possible change comes after ``day``."""
        if not ids:
            return set()
        if self.postgres:
            # One index lookup a row each (the LATERAL ... LIMIT 1): a plain join of the ids
            # is planned as a hash join over the whole index, every page.
            statement = SQL(
                "SELECT w.i FROM unnest(%s::uuid[]) AS w(i) CROSS JOIN LATERAL (SELECT version, settled_on, "
                "next_change FROM {index} WHERE arrangement_id = w.i LIMIT 1) AS x "
                "WHERE x.settled_on <= %s AND (x.next_change IS NULL OR x.next_change > %s) AND x.version = "
                "(SELECT e.originator_version FROM {events} AS e WHERE e.originator_id = w.i "
                "ORDER BY e.originator_version DESC LIMIT 1)"
            ).format(index=Identifier(self.datastore.schema, TABLE),
                     events=Identifier(self.datastore.schema, self.events_table))
            with self.datastore.get_connection() as connection, connection.cursor(row_factory=tuple_row) as cursor:
                cursor.execute(statement, [list(ids), previous, day])
                return {row[0] for row in cursor.fetchall()}
        found: set[UUID] = set()
        with self.datastore.transaction(commit=False) as cursor:
            for start in range(0, len(ids), SQLITE_PAGE):
                page = [i.hex for i in ids[start:start + SQLITE_PAGE]]
                cursor.execute(
                    f"SELECT x.arrangement_id FROM {TABLE} AS x WHERE x.arrangement_id IN ({', '.join('?' * len(page))}) "  # noqa: S608 (our table, placeholders)
                    "AND x.settled_on <= ? AND (x.next_change IS NULL OR x.next_change > ?) AND x.version = "
                    f"(SELECT max(e.originator_version) FROM {self.events_table} AS e WHERE e.originator_id = x.arrangement_id)",
                    [*page, previous.isoformat(), day.isoformat()],
                )
                found.update(UUID(hex=row[0]) for row in cursor.fetchall())
        return found

    def record(self, rows: Sequence[Row]) -> None:
        """Each row written over the arrangement's earlier one."""
        if not rows:
            return
        if self.postgres:
            statement = SQL(
                "INSERT INTO {} (arrangement_id, version, settled_on, next_change) "
                "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::date[], %s::date[]) "
                "ON CONFLICT (arrangement_id) DO UPDATE SET version = excluded.version, "
                "settled_on = excluded.settled_on, next_change = excluded.next_change"
            ).format(Identifier(self.datastore.schema, TABLE))
            with self.datastore.transaction(commit=True) as cursor:
                cursor.execute(statement, [list(column) for column in zip(*rows, strict=True)])
            return
        with self.datastore.transaction(commit=True) as cursor:
            cursor.executemany(
                f"INSERT OR REPLACE INTO {TABLE} (arrangement_id, version, settled_on, next_change) VALUES (?, ?, ?, ?)",  # noqa: S608
                [(i.hex, version, settled_on.isoformat(), None if first is None else first.isoformat())
                 for i, version, settled_on, first in rows],
            )
