"""Changing a ledger's store behind its back, as someone with write access to the
database could (F1's tests): SQL straight on the events table, on either store."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg

from ledger.handlers.close_day import close_day
from ledger.store.urls import is_postgres, sqlite_path
from tests.conftest import POSTGRES_URL
from tests.integration.helpers import AFM, AFM2, d, debtor, transfer


def write_some(ledger: Any) -> list[int]:
    """Two debtors, their debts and a close of day; the positions of the events."""
    debtor(ledger, AFM, business_date=d("2023-01-20"))
    debtor(ledger, AFM2, name="Γεωργίου Ο.Ε.", business_date=d("2023-01-20"))
    transfer(ledger, AFM, "1000.00", "2023-01-31", "2022-12", "T-1", on="2023-01-20")
    transfer(ledger, AFM2, "250.00", "2023-01-31", "2022-12", "T-2", on="2023-01-20")
    close_day(ledger, d("2023-02-01"))
    return positions(ledger)


def positions(ledger: Any) -> list[int]:
    return [n.id for n in ledger.notifications()]


def execute(db_url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """``statement`` on the store at ``db_url``, committed. ``{events}`` names the events
    table, ``{position}`` its position column, ``{chain}`` the table the writer chains
    into (PostgreSQL: a commit's rows in one block), ``?`` a parameter, on either store."""
    if is_postgres(db_url):
        schema = parse_qs(urlparse(db_url).query)["schema"][0]
        sql = statement.format(events=f'"{schema}".keao_ledger_events', position="notification_id",
                               chain=f'"{schema}".keao_ledger_chain_blocks').replace("?", "%s")
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            cursor = connection.execute(sql, params)
            return cursor.fetchall() if cursor.description else []
    connection = sqlite3.connect(sqlite_path(db_url))
    try:
        sql = statement.format(events="stored_events", position="rowid", chain="keao_ledger_chain")
        rows = connection.execute(sql, params).fetchall()
        connection.commit()
        return rows
    finally:
        connection.close()


def edit_one_byte(db_url: str, position: int) -> None:
    (state,) = execute(db_url, "SELECT state FROM {events} WHERE {position} = ?", (position,))[0]
    changed = bytearray(state)
    changed[len(changed) // 2] ^= 0x01
    execute(db_url, "UPDATE {events} SET state = ? WHERE {position} = ?", (bytes(changed), position))


def delete(db_url: str, position: int) -> None:
    execute(db_url, "DELETE FROM {events} WHERE {position} = ?", (position,))


def swap(db_url: str, first: int, second: int) -> None:
    """The two events exchange their positions (through a free one: the position is unique)."""
    for old, new in ((first, -1), (second, first), (-1, second)):
        execute(db_url, "UPDATE {events} SET {position} = ? WHERE {position} = ?", (new, old))


def insert_forged(db_url: str, like: int) -> int:
    """A new event copied from the one at ``like`` under a new aggregate id, at the end; its position."""
    execute(db_url, "INSERT INTO {events} (originator_id, originator_version, topic, state) "
                    "SELECT ?, originator_version, topic, state FROM {events} WHERE {position} = ?",
            (uuid.uuid4().hex if not is_postgres(db_url) else uuid.uuid4(), like))
    return execute(db_url, "SELECT max({position}) FROM {events}")[0][0]
