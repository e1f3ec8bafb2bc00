"""Opening the event store: what the ledger checks before the library opens it, and
the one line that says why a store cannot be opened (``StoreUnavailable``).

* PostgreSQL is reached once, directly, with a timeout of a few seconds: the library's
  connection pool retries silently in the background until its own timeout and then
  says only "couldn't get a connection", not that the port is closed or the role unknown.
* A SQLite file holds names, ΑΦΜ and ΑΜΚΑ: a new one is created readable and writable by
  its owner only (0600), and SQLite gives its ``-wal``, ``-shm`` and ``-journal`` the
  database file's mode. An existing file loses the world's permissions, its companions
  with it; its owner's and group's are the operator's choice and stay (a group may be
  the backup job's). A file the process may not change is left as it is.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path

import psycopg
from eventsourcing.persistence import PersistenceError

from ledger.errors import StoreUnavailable
from ledger.store.urls import FIELD, masked

SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
# What opening a store raises when the store, not the code, is at fault: the library's
# persistence errors, the drivers' own (the recorders' DDL lock connects directly), and
# the operating system's (a directory that is not there, a file not ours).
STORE_ERRORS = (PersistenceError, psycopg.Error, sqlite3.Error, OSError)


def prepare_store(url: str, env: dict[str, str]) -> None:
    """Before the library opens the store at ``url`` (its ``event_store_env``, ``env``):
    PostgreSQL answers, or the SQLite file is there and private; else ``StoreUnavailable``."""
    try:
        if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
            reach_postgres(env)
        elif not env["SQLITE_DBNAME"].startswith("file:"):  # not the in-memory store
            private_sqlite_file(Path(env["SQLITE_DBNAME"]))
    except STORE_ERRORS as error:
        raise cannot_open(url, error) from error


def cannot_open(url: str, error: BaseException) -> StoreUnavailable:
    """The refusal to open the store at ``url`` that ``error`` gave, on one line."""
    return StoreUnavailable(FIELD, f"cannot open {masked(url)}: {cause(error)}")


def cause(error: BaseException) -> str:
    """What ``error`` says went wrong, on one line and without the driver's preamble:
    libpq's "connection to server at …, port … failed: FATAL:  role … does not exist"
    is "role … does not exist" (the URL beside it names the server)."""
    if isinstance(error, FileNotFoundError) and error.filename:
        return f"no directory {Path(error.filename).parent}"
    if isinstance(error, OSError) and error.strerror:
        return f"{error.strerror} ({error.filename})" if error.filename else error.strerror
    first = (str(error).splitlines() or [type(error).__name__])[0]
    return " ".join(first.rpartition(" failed: ")[2].removeprefix("FATAL:").split())


def reach_postgres(env: dict[str, str]) -> None:
    """One connection to the server ``env`` names, given up after its connect timeout."""
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"], port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"], password=env["POSTGRES_PASSWORD"],
        connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
    ):
        pass


def private_sqlite_file(path: Path) -> None:
    """``path`` created empty (which SQLite takes for a new database) with mode 0600,
    or, if it is there, closed to the world with its companions."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        for file in (path, *sqlite_companions(path)):
            _close_to_the_world(file)


def sqlite_companions(path: Path) -> list[Path]:
    """The files SQLite keeps beside the database ``path``: its write-ahead log, its
    shared-memory index, its rollback journal."""
    return [path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS]


def _close_to_the_world(file: Path) -> None:
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode) and mode & stat.S_IRWXO:
        with contextlib.suppress(PermissionError):  # not the process's to change
            file.chmod(stat.S_IMODE(mode) & ~stat.S_IRWXO)
