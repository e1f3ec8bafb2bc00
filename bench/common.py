"""What the benchmarks share: a fresh PostgreSQL schema, seeding a ledger from
the workload (in parallel processes), copying a seeded schema for a same-run
baseline, peak memory and the one JSON line each benchmark prints."""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import multiprocessing
import os
import resource
import sys
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from urllib.parse import unquote, urlparse

import psycopg
from psycopg.sql import SQL, Identifier

from ledger.application import Ledger
from ledger.handlers.close_day import close_day
from ledger.store.urls import is_postgres

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/ledger_test"
CONNECT_TIMEOUT_S = 5
# What ``copy_schema`` copies: the events, snapshots and offsets, the hash chain (F1: a
# copy without it would be written unchained) and the data keys (F3: without them a
# copy's names open as erased).
TABLES = ("keao_ledger_events", "keao_ledger_snapshots", "keao_ledger_tracking", "keao_ledger_chain",
          "keao_ledger_chain_blocks", "keao_ledger_keys")
START = date(2019, 1, 1)  # the business date the workload is fed at
TRACEBACK = "Traceback (most recent call last):"


class DatabaseUnavailable(RuntimeError):
    """The benchmarks' PostgreSQL server cannot be reached, or their database cannot be created."""


def base_url() -> str:
    """The PostgreSQL database every benchmark uses, without a schema (each works in
    schemas of its own): ``LEDGER_DB_URL`` when it is a PostgreSQL URL, else
    DEFAULT_URL. The database is created if it does not exist."""
    url = os.environ.get("LEDGER_DB_URL") or ""
    if not is_postgres(url):
        url = DEFAULT_URL
    # psycopg takes no SQLAlchemy driver name; the ledger takes either form.
    return ensure_database(url.split("?", 1)[0].replace("postgresql+psycopg://", "postgresql://", 1))


@functools.cache  # base_url() is called for every connection: check the server once a process
def ensure_database(url: str) -> str:
    """``url``, once its database exists: if it does not, it is created from the
    server's ``postgres`` database. DatabaseUnavailable names the URL and the cause."""
    try:
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
        return url
    except psycopg.OperationalError as error:
        refused = error
    name = unquote(urlparse(url).path.lstrip("/"))
    try:
        server = psycopg.connect(urlparse(url)._replace(path="/postgres").geturl(), autocommit=True,
                                 connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.OperationalError:
        raise DatabaseUnavailable(f"PostgreSQL at {shown(url)} is not reachable: {one_line(refused)}") from refused
    with server:
        if not name or server.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            # Reachable and there (or unnamed): the first refusal (a password, a role) is the cause.
            raise DatabaseUnavailable(f"PostgreSQL at {shown(url)} refused the connection: {one_line(refused)}")
        try:
            server.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))
            note(f"bench: created the database {name} at {shown(url)}")
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            pass  # another benchmark process created it meanwhile
        except psycopg.Error as error:
            raise DatabaseUnavailable(f"cannot create the database {name} at {shown(url)}: {one_line(error)}") from error
    return url


class _UseDatabase(argparse.Action):
    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        os.environ["LEDGER_DB_URL"] = values  # what base_url() reads, here and in the processes started
        setattr(namespace, self.dest, values)


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    """``--postgres URL``: the benchmarks' database for this run, as if LEDGER_DB_URL were set."""
    parser.add_argument("--postgres", metavar="URL", action=_UseDatabase,
                        help=f"PostgreSQL database (default: LEDGER_DB_URL if PostgreSQL, else {DEFAULT_URL})")


def shown(url: str) -> str:
    """``url`` without its password, for messages and JSON lines."""
    parts = urlparse(url)
    if not parts.password:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


def one_line(error: BaseException) -> str:
    """psycopg's connection errors span lines (a hint after a tab): one line of it."""
    return " ".join(str(error).split())


def describe(error: BaseException) -> str:
    """"Type: message" on one line, as a traceback ends (the failure line's ``error``)."""
    return " ".join("".join(traceback.format_exception_only(error)).split())


def _one_line_when_unavailable(kind: type[BaseException], error: BaseException, trace: Any) -> None:
    """An unreachable database is not a bug in the benchmark: one line, no traceback."""
    if isinstance(error, DatabaseUnavailable):
        print(describe(error), file=sys.stderr, flush=True)
    else:
        sys.__excepthook__(kind, error, trace)


sys.excepthook = _one_line_when_unavailable


class BenchmarkFailed(Exception):
    """A benchmark's process exited non-zero: the message is its error (``error_of`` its
    stderr), ``lines`` the JSON lines it printed before it failed."""

    def __init__(self, error: str, lines: list[dict[str, Any]]):
        super().__init__(error)
        self.lines = lines


def error_of(stderr: list[str]) -> str:
    """A failed process's error on one line: the exception that ends its last traceback
    ("Type: message" and the indented lines that continue the message, as psycopg's
    hints do), else its last line (``SystemExit("...")``, DatabaseUnavailable)."""
    lines = [line.rstrip() for line in stderr if line.strip()]
    if TRACEBACK in lines:
        after_frames = list(itertools.dropwhile(_indented, lines[len(lines) - lines[::-1].index(TRACEBACK):]))
        if after_frames:
            lines = [" ".join(after_frames[:1] + list(itertools.takewhile(_indented, after_frames[1:])))]
    return " ".join(lines[-1].split()) if lines else ""


def _indented(line: str) -> bool:
    return line[:1].isspace()


def schema_url(schema: str) -> str:
    return f"{base_url()}?schema={schema}"


def _execute(sql: str) -> None:
    with psycopg.connect(base_url(), autocommit=True) as connection:
        connection.execute(sql)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``values`` in ``os.environ`` for the block, then as they were."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def fresh_schema(prefix: str = "bench") -> Iterator[str]:
    """A new PostgreSQL schema, dropped afterwards; yields its ledger URL."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema
    finally:
        _execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def copy_schema(source: str, target: str) -> None:
    """The ledger tables of ``source`` copied into the (empty) schema ``target``."""
    Ledger(schema_url(target)).close()  # creates the tables, indexes and sequence
    with psycopg.connect(base_url(), autocommit=True) as connection:
        for table in TABLES:
            connection.execute(f'INSERT INTO "{target}".{table} SELECT * FROM "{source}".{table} ON CONFLICT DO NOTHING')
        connection.execute(
            f"SELECT setval('\"{target}\".keao_ledger_events_notification_id_seq', "
            f'(SELECT coalesce(max(notification_id), 1) FROM "{target}".keao_ledger_events))'
        )
        connection.execute(f'ANALYZE "{target}".keao_ledger_events')


def last_position(schema: str) -> int:
    with psycopg.connect(base_url()) as connection:
        row = connection.execute(f'SELECT coalesce(max(notification_id), 0) FROM "{schema}".keao_ledger_events').fetchone()
    return int(row[0]) if row else 0


def events_after(schema: str, position: int) -> tuple[int, str]:
    """How many events were recorded after ``position``, and a digest of which
    (aggregate, version, type): two runs that record the same facts agree."""
    with psycopg.connect(base_url()) as connection:
        row = connection.execute(
            "SELECT count(*), coalesce(md5(string_agg(originator_id::text || ':' || originator_version || ':' || topic, ','"
            f' ORDER BY originator_id, originator_version)), \'\') FROM "{schema}".keao_ledger_events WHERE notification_id > %s',
            (position,),
        ).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def _feed_part(args: tuple[str, int, int, int, int, str]) -> dict[str, int]:
    from bench.workload import Workload, feed

    url, debtors, seed, part, parts, until = args
    ledger = Ledger(url, env={"CREATE_TABLE": "false"})  # created once by seed_ledger: no DDL race
    try:
        workload = Workload(debtors, seed)
        return feed(ledger, workload.commands(part, parts, date.fromisoformat(until)), business_date=START)
    finally:
        ledger.close()


def seed_ledger(schema: str, debtors: int, seed: int, until: date, processes: int = 2) -> dict[str, Any]:
    """Feed the workload's commands valued up to ``until`` into a ledger whose
    business date is ``START``; ``processes`` feed disjoint debtor partitions."""
    url = schema_url(schema)
    ledger = Ledger(url)
    close_day(ledger, START)
    ledger.close()
    started = time.perf_counter()
    jobs = [(url, debtors, seed, part, processes, until.isoformat()) for part in range(processes)]
    if processes == 1:
        results = [_feed_part(jobs[0])]
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            results = pool.map(_feed_part, jobs)
    counts: dict[str, int] = {}
    for result in results:
        for key, value in result.items():
            counts[key] = counts.get(key, 0) + value
    seconds = time.perf_counter() - started
    commands = sum(counts.values())
    return {"commands": commands, "seconds": round(seconds, 2), "commands_per_s": round(commands / seconds, 1),
            "outcomes": counts}


def peak_rss_mb() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def machine() -> dict[str, Any]:
    with open("/proc/meminfo") as meminfo:
        total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    return {"nproc": os.cpu_count(), "memory_gb": round(total_kb / 1024 / 1024, 1),
            "load_1m": round(os.getloadavg()[0], 2)}


def result_line(bench: str, value: float, unit: str, baseline: float | None, target: float | None,
                lower_is_better: bool = False, **extra: Any) -> dict[str, Any]:
    """The benchmark's one JSON line, as a dict."""
    ratio = round(value / baseline, 2) if baseline else None
    if target is None:
        met = None
    else:
        met = value <= target if lower_is_better else value >= target
    return {"bench": bench, "value": round(value, 2), "unit": unit,
            "baseline": round(baseline, 2) if baseline is not None else None, "ratio": ratio,
            "target": target, "met": met, **extra}


def emit(bench: str, value: float, unit: str, baseline: float | None, target: float | None,
         lower_is_better: bool = False, **extra: Any) -> dict[str, Any]:
    """Print (and return) the benchmark's one JSON line."""
    line = result_line(bench, value, unit, baseline, target, lower_is_better, **extra)
    print_line(line)
    return line


def failure_line(bench: str, error: str) -> dict[str, Any]:
    """The line of a benchmark that did not finish: the same keys, no figures, and its error."""
    return {"bench": bench, "value": None, "unit": None, "baseline": None, "ratio": None,
            "target": None, "met": False, "error": error}


def print_line(line: dict[str, Any]) -> None:
    print(json.dumps(line, default=str), flush=True)


def note(text: str) -> None:
    """Progress goes to stderr: stdout carries only the JSON lines."""
    print(text, file=sys.stderr, flush=True)


def db_host() -> str:
    return urlparse(base_url()).hostname or "127.0.0.1"
