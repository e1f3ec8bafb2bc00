"""The store's physical limit on this machine, measured in the same run as a benchmark
(issue 19): how many rows of a given size PostgreSQL takes a second into a scratch table
shaped like the events' table (the same columns, primary key and unique position), by
``COPY``, by a batched multi-row ``INSERT ... VALUES`` and by the ``INSERT`` of four
binary arrays the ledger's recorder uses, nothing else in the transaction.

    python -m bench.anchor [--row-bytes 600] [--rows 100000] [--quick]

A benchmark prints these beside its own figure, so a rate reads as a fraction of what
the store itself can take: ``fraction_of(rate, anchor)``. The rows are written in
transactions of ``BATCH`` rows (the consumers' batches are of that order), each in one
``COPY`` or one ``INSERT ... VALUES`` of them all; the states are random bytes of
``row_bytes`` (incompressible, as an encrypted state is).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.sql import SQL, Identifier

from bench.common import base_url, note

BATCH = 1_000
TOPIC = "aggregates.debtor:Debtor.Paid"  # a topic of the ledger's own length


@contextmanager
def scratch_table(connection: psycopg.Connection[Any]) -> Iterator[Identifier]:
    """A table like the library's events table, in a schema of its own, dropped afterwards."""
    schema = Identifier(f"bench_anchor_{uuid.uuid4().hex[:10]}")
    connection.execute(SQL("CREATE SCHEMA {}").format(schema))
    try:
        connection.execute(SQL(
            "CREATE TABLE {}.events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        ).format(schema))
        connection.execute(SQL("CREATE UNIQUE INDEX ON {}.events (notification_id)").format(schema))
        yield schema
    finally:
        connection.execute(SQL("DROP SCHEMA {} CASCADE").format(schema))


def rows_of(count: int, row_bytes: int) -> list[tuple[uuid.UUID, int, str, bytes]]:
    """``count`` rows of new ids; their states one batch's worth of random ones, reused
    (a benchmark's peak memory is not the anchor's: 100,000 states of 1.5 kB are 150 MB)."""
    states = [os.urandom(row_bytes) for _ in range(min(count, BATCH))]
    return [(uuid.uuid4(), 1, TOPIC, states[n % BATCH]) for n in range(count)]


def copy_rate(connection: psycopg.Connection[Any], schema: Identifier, rows: list[tuple[Any, ...]]) -> float:
    statement = SQL("COPY {}.events (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)").format(schema)
    start = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        with connection.transaction(), connection.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types(["uuid", "int8", "text", "bytea"])
            for row in rows[first:first + BATCH]:
                copy.write_row(row)
    return len(rows) / (time.perf_counter() - start)


def insert_rate(connection: psycopg.Connection[Any], schema: Identifier, rows: list[tuple[Any, ...]]) -> float:
    """One ``INSERT ... VALUES`` of a batch's rows, its parameters sent in binary."""
    def statement(count: int) -> SQL:
        values = SQL(", ").join([SQL("(%b, %b, %b, %b)")] * count)
        return SQL("INSERT INTO {}.events (originator_id, originator_version, topic, state) VALUES {}").format(schema, values)

    full = statement(BATCH)
    start = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        batch = rows[first:first + BATCH]
        with connection.transaction():
            connection.execute(full if len(batch) == BATCH else statement(len(batch)),
                               [value for row in batch for value in row])
    return len(rows) / (time.perf_counter() - start)


def insert_arrays_rate(connection: psycopg.Connection[Any], schema: Identifier, rows: list[tuple[Any, ...]]) -> float:
    """One ``INSERT ... SELECT FROM unnest`` of a batch's columns as four binary arrays:
    the form the ledger's recorder inserts its events in (``ledger.store.recorder``)."""
    statement = SQL("INSERT INTO {}.events (originator_id, originator_version, topic, state) "
                    "SELECT * FROM unnest(%b::uuid[], %b::bigint[], %b::text[], %b::bytea[])").format(schema)
    start = time.perf_counter()
    for first in range(0, len(rows), BATCH):
        columns = [list(column) for column in zip(*rows[first:first + BATCH], strict=True)]
        with connection.transaction():
            connection.execute(statement, columns)
    return len(rows) / (time.perf_counter() - start)


def physical_anchor(url: str | None = None, row_bytes: int = 600, rows: int = 100_000) -> dict[str, Any]:
    """Rows/s of COPY and of batched INSERT of ``rows`` rows of ``row_bytes`` bytes of
    state into a scratch events table at ``url`` (the benchmarks' database by default);
    each into a fresh table, the rows generated before the clock starts."""
    generated = rows_of(rows, row_bytes)
    with psycopg.connect(url or base_url(), autocommit=True) as connection:
        with scratch_table(connection) as schema:
            copied = copy_rate(connection, schema, generated)
        with scratch_table(connection) as schema:
            inserted = insert_rate(connection, schema, generated)
        with scratch_table(connection) as schema:
            arrays = insert_arrays_rate(connection, schema, generated)
    note(f"anchor: {rows:,} rows of {row_bytes} B: COPY {copied:,.0f}/s, batched INSERT {inserted:,.0f}/s,"
         f" INSERT of arrays {arrays:,.0f}/s")
    return {"copy_rows_per_s": round(copied), "insert_rows_per_s": round(inserted),
            "insert_arrays_rows_per_s": round(arrays), "row_bytes": row_bytes, "rows": rows, "batch": BATCH}


def fraction_of(rows_per_s: float, anchor: dict[str, Any]) -> dict[str, float]:
    """A benchmark's rate of stored rows (events/s) as fractions of the anchor's two rates."""
    return {"fraction_of_copy": round(rows_per_s / anchor["copy_rows_per_s"], 3),
            "fraction_of_insert": round(rows_per_s / anchor["insert_rows_per_s"], 3)}


def mean_state_bytes(url: str, schema: str, table: str = "keao_ledger_events", sample: int = 10_000) -> int:
    """The mean stored state of ``schema``'s events (its latest ``sample`` of them):
    the row size a benchmark's anchor is measured with."""
    with psycopg.connect(url) as connection:
        row = connection.execute(SQL(
            "SELECT avg(octet_length(state)) FROM (SELECT state FROM {}.{} ORDER BY notification_id DESC LIMIT %s) s"
        ).format(Identifier(schema), Identifier(table)), (sample,)).fetchone()
    return round(row[0]) if row and row[0] is not None else 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--row-bytes", type=int, default=600)
    parser.add_argument("--rows", type=int, default=None, help="default 100,000; 10,000 with --quick")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rows = args.rows or (10_000 if args.quick else 100_000)
    print(json.dumps({"bench": "anchor", **physical_anchor(row_bytes=args.row_bytes, rows=rows)}))


if __name__ == "__main__":
    main()
