"""Which event store: embedded SQLite by default, PostgreSQL for production.

``--db`` / ``LEDGER_DB_URL`` take ``sqlite:///path`` (or a bare path) or
``postgresql://user:password@host:port/dbname`` (``?schema=NAME`` keeps the
ledger's tables in that PostgreSQL schema). The PostgreSQL store is the
core ``eventsourcing.postgres`` module: measured about twice as fast per
command as the SQLAlchemy extension (see README, "Event store").
"""

from __future__ import annotations

import os
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_DB_URL = "sqlite:///ledger.db"


def db_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("LEDGER_DB_URL") or DEFAULT_DB_URL


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url


def event_store_env(url: str) -> dict[str, str]:
    """The ``eventsourcing`` environment for the store at ``url``."""
    if is_postgres(url):
        parts = urlparse(url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "ledger",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": "5",
            **_schema(parts.query),
        }
    path = sqlite_path(url)
    if path.startswith("file:") or path == ":memory:":
        path = path if path.startswith("file:") else "file::memory:?cache=shared"
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": "30",
    }


def _schema(query: str) -> dict[str, str]:
    schema = parse_qs(query).get("schema")
    return {"POSTGRES_SCHEMA": schema[0]} if schema else {}
