"""The read models' database: the ledger's own (same URL, same PostgreSQL schema).

Amounts and dates are stored as text (``Decimal`` and ISO strings) so that both
stores give back exactly what was written: SQLite has no decimal type and would
round through floats.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse, urlunparse

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)
from sqlalchemy.types import TypeDecorator

from ledger.errors import BadInput
from ledger.store.urls import is_postgres, sqlite_path

_engines: dict[str, Engine] = {}


class Money(TypeDecorator):
    """A ``Decimal`` kept exactly, as its string."""

    impl = String(32)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class Day(TypeDecorator):
    """A ``date`` as ISO ``YYYY-MM-DD`` (sorts as a date on both stores)."""

    impl = String(10)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else value.isoformat()

    def process_result_value(self, value: Any, dialect: Any) -> date | None:
        return None if value is None else date.fromisoformat(value)


def schema_of(url: str) -> str | None:
    if not is_postgres(url):
        return None
    schema = parse_qs(urlparse(url).query).get("schema")
    return schema[0] if schema else None


def engine_for(url: str) -> Engine:
    """One engine per ledger URL and process."""
    if url in _engines:
        return _engines[url]
    if is_postgres(url):
        parts = urlparse(url)
        plain = urlunparse(parts._replace(scheme="postgresql+psycopg", query=""))
        schema = schema_of(url)
        connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
        engine = create_engine(plain, connect_args=connect_args, pool_size=2, max_overflow=2,
                               pool_pre_ping=True)
    else:
        path = sqlite_path(url)
        if path.startswith("file:") or path == ":memory:":
            raise BadInput("--db", "the read models need a SQLite file or PostgreSQL, not an in-memory store")
        engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            dbapi_connection.execute("PRAGMA busy_timeout=30000")

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            # Take the write lock up front: a batch reads its tracking row and
            # writes, and SQLite cannot upgrade a read lock under contention.
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    _engines[url] = engine
    return engine


# -- the projections' own bookkeeping -------------------------------------------

meta = MetaData()

# Which version and blue/green slot of each projection answers queries, and
# which one is being rebuilt beside it.
projection_state = Table(
    "projection_state", meta,
    Column("name", String(40), primary_key=True),
    Column("active_version", Integer, nullable=False),
    Column("active_slot", String(1), nullable=False),
    Column("rebuilding_version", Integer),
    Column("rebuilding_slot", String(1)),
    Column("switched_at", String(40)),
)

# The position (notification id) each built slot has applied up to. It is
# written in the transaction that writes the slot's rows.
projection_tracking = Table(
    "projection_tracking", meta,
    Column("name", String(40), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("slot", String(1), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("updated_at", String(40)),
)
