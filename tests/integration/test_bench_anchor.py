"""The benchmarks' physical anchor (issue 19): the rows it writes, and nothing left behind."""

from __future__ import annotations

import psycopg
import pytest

from bench import anchor
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.postgres


def schemas() -> set[str]:
    with psycopg.connect(POSTGRES_URL) as connection:
        return {name for (name,) in connection.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench_anchor_%'")}


def test_each_way_writes_every_row_of_the_size_asked(postgres_available):
    rows = anchor.rows_of(2_500, 321)  # two full batches and a part
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        for way in (anchor.copy_rate, anchor.insert_rate, anchor.insert_arrays_rate):
            with anchor.scratch_table(connection) as schema:
                assert way(connection, schema, rows) > 0
                count, sizes, ids = connection.execute(psycopg.sql.SQL(
                    "SELECT count(*), array_agg(DISTINCT octet_length(state)), count(DISTINCT originator_id) FROM {}.events"
                ).format(schema)).fetchone()
                assert (way.__name__, count, sizes, ids) == (way.__name__, 2_500, [321], 2_500)


def test_the_anchor_drops_its_scratch_tables_and_says_its_fractions(postgres_available):
    before = schemas()
    measured = anchor.physical_anchor(POSTGRES_URL, row_bytes=200, rows=1_000)
    assert schemas() == before
    assert {"copy_rows_per_s", "insert_rows_per_s", "insert_arrays_rows_per_s"} <= measured.keys()
    assert (measured["row_bytes"], measured["rows"]) == (200, 1_000)
    half = {"copy_rows_per_s": 2_000, "insert_rows_per_s": 4_000}
    assert anchor.fraction_of(1_000, half) == {"fraction_of_copy": 0.5, "fraction_of_insert": 0.25}
