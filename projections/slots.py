"""Versions and blue/green slots: which tables a projection's rows are in.

A projection's tables are named ``p_<name>_v<version><slot>_<table>``, with
slot ``a`` or ``b``; ``projection_state`` records the version and slot that
answer and the ones being rebuilt beside them (``State``), and
``projection_tracking`` the position each built slot has applied up to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Text
from sqlalchemy.schema import CreateIndex, CreateTable

from projections.base import Projection

if TYPE_CHECKING:
    from projections.runner import Runner

SLOTS = ("a", "b")


def other(slot: str) -> str:
    return SLOTS[1 - SLOTS.index(slot)]


def now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class State:
    name: str
    active_version: int
    active_slot: str
    rebuilding_version: int | None
    rebuilding_slot: str | None


def create_tables(runner: Runner, conn: Connection, p: Projection, slot: str, indexes: bool = True) -> None:
    """Create a slot's tables (they do not exist). A rebuild creates them
    without their secondary indexes (``indexes=False``): those are built
    once, from sorted rows, when it reaches the head (``rebuild.switch``),
    instead of being updated row by row with keys in random order (the
    audit's aggregate ids). Long texts (the states) are compressed with lz4
    on PostgreSQL when it has it: half the time of its default pglz."""
    tables = list(p.tables(slot).values())
    if conn.dialect.name == "postgresql":
        for extension in p.extensions:  # contrib and trusted: the database's owner may add it
            conn.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {extension} SCHEMA public")
    for table in tables:
        conn.execute(CreateTable(table, if_not_exists=True))
    if indexes:
        for table in tables:
            for index in table.indexes:
                conn.execute(CreateIndex(index, if_not_exists=True))
    if conn.dialect.name == "postgresql" and _has_lz4(runner, conn):
        for table in tables:
            for column in table.columns:
                if isinstance(column.type, Text):
                    conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ALTER COLUMN "{column.name}" '
                                         "SET COMPRESSION lz4")


def _has_lz4(runner: Runner, conn: Connection) -> bool:
    """Whether the server compresses with lz4: asked once per runner (``runner.lz4``)."""
    found = runner.lz4
    if found is None:
        found = runner.lz4 = bool(conn.exec_driver_sql(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'").scalar())
    return found
