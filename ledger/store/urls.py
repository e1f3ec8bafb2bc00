"""Which event store: embedded SQLite by default, PostgreSQL for production.

``--db`` / ``LEDGER_DB_URL`` take ``sqlite:///path`` (or a bare path) or
``postgresql://user:password@host:port/dbname`` (``?schema=NAME`` keeps the
ledger's tables in that PostgreSQL schema). The PostgreSQL store is the
core ``eventsourcing.postgres`` module: measured about twice as fast per
command as the SQLAlchemy extension (see README, "Event store").

A URL of any other scheme is refused before anything is opened, and a URL is
shown (in an error, in a report) only ``masked``: without its password.
"""

from __future__ import annotations

import os
import re
from urllib.parse import parse_qs, unquote, urlparse

from ledger.errors import StoreUnavailable

DEFAULT_DB_URL = "sqlite:///ledger.db"
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")
FIELD = "--db"  # what an error names: the option, or LEDGER_DB_URL its default
KNOWN_FORMS = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DBNAME"
# The library waits 30 s for a connection, silently: a server that does not answer
# in five is down, and the operator is told so at once.
CONNECT_TIMEOUT_SECONDS = 5
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def db_url(explicit: str | None = None) -> str:
    """``--db``, else ``LEDGER_DB_URL``, else the embedded default; checked."""
    return checked_url(explicit or os.environ.get("LEDGER_DB_URL") or DEFAULT_DB_URL)


def checked_url(url: str) -> str:
    """``url`` if it names a store the ledger can open: SQLite (a ``sqlite:///`` URL, a
    bare path, a ``file:`` URI) or PostgreSQL; else ``StoreUnavailable``."""
    if is_postgres(url):
        try:
            urlparse(url).port  # noqa: B018 -- reading it refuses a port not a number, an unclosed [IPv6]
        except ValueError as error:
            raise StoreUnavailable(FIELD, f"{masked(url)} is not a PostgreSQL URL: {error}") from None
    elif _SCHEME.match(url) and not url.startswith(("sqlite:///", "file:")):
        raise StoreUnavailable(FIELD, f"{masked(url)} is not {KNOWN_FORMS}")
    return url


def masked(url: str) -> str:
    """``url`` with its password, if it has one, shown as ``***``: how every URL is shown.

    The user and password end at the URL's last ``@``, not at its first ``/``, so that
    a password with an unencoded ``/``, ``@`` or ``:`` is hidden whole (an ``@`` in the
    query would hide more than the password, never less)."""
    scheme = _SCHEME.match(url)
    if scheme is None:
        return url
    credentials, at, location = url[scheme.end():].rpartition("@")
    if not at or credentials.startswith("/") or ":" not in credentials:  # no password; or a path
        return url
    return f"{scheme.group()}{credentials.partition(':')[0]}:***@{location}"


def is_postgres(url: str) -> bool:
    return url.startswith(POSTGRES_SCHEMES)


def sqlite_path(url: str) -> str:
    return url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else url


def event_store_env(url: str) -> dict[str, str]:
    """The ``eventsourcing`` environment for the store at ``url`` (``checked_url``)."""
    if is_postgres(checked_url(url)):
        parts = urlparse(url)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": parts.path.lstrip("/") or "ledger",
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            "POSTGRES_POOL_SIZE": "5",
            "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
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
