"""Shared fixtures: the same tests run on the embedded SQLite store and on
PostgreSQL (each PostgreSQL test in a schema of its own, dropped after it).

PostgreSQL is ``LEDGER_TEST_POSTGRES_URL`` (default: the local server's
``ledger_test`` database). In CI (``CI=true``) an unreachable server fails the
run; elsewhere its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import psycopg
import pytest

from ledger.application import Ledger
from ledger.settings import Settings, load_settings

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/ledger_test")


def postgres_reason() -> str | None:
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}"


@pytest.fixture(scope="session")
def postgres_available() -> None:
    reason = postgres_reason()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(reason + " (CI runs the PostgreSQL tests for real)")
    pytest.skip(reason)


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A ledger URL on a PostgreSQL schema of its own, dropped afterwards."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{POSTGRES_URL}?schema={schema}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_url(postgres_available: None) -> Iterator[str]:
    with fresh_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Each test using it runs once per event store."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def settings() -> Settings:
    return load_settings()


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    app = Ledger(db_url)
    yield app
    app.close()


def d(text: str) -> date:
    return date.fromisoformat(text)


def m(text: str) -> Decimal:
    return Decimal(text)
