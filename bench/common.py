"""What the benchmarks share: a fresh PostgreSQL schema, seeding a ledger from
the workload (in parallel processes), copying a seeded schema for a same-run
baseline, peak memory and the one JSON line each benchmark prints."""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from urllib.parse import urlparse

import psycopg

from ledger.application import Ledger
from ledger.handlers.close_day import close_day
from ledger.store.urls import is_postgres

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/ledger_test"
TABLES = ("keao_ledger_events", "keao_ledger_snapshots", "keao_ledger_tracking")
START = date(2019, 1, 1)  # the business date the workload is fed at


def base_url() -> str:
    """``LEDGER_DB_URL`` when it is PostgreSQL, else the local ``ledger_test``; no schema."""
    url = os.environ.get("LEDGER_DB_URL") or ""
    if not is_postgres(url):
        url = DEFAULT_URL
    return url.split("?", 1)[0]


def schema_url(schema: str) -> str:
    return f"{base_url()}?schema={schema}"


def _execute(sql: str) -> None:
    with psycopg.connect(base_url(), autocommit=True) as connection:
        connection.execute(sql)


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


def emit(bench: str, value: float, unit: str, baseline: float | None, target: float | None,
         lower_is_better: bool = False, **extra: Any) -> dict[str, Any]:
    """Print (and return) the benchmark's one JSON line."""
    ratio = round(value / baseline, 2) if baseline else None
    if target is None:
        met = None
    else:
        met = value <= target if lower_is_better else value >= target
    line = {"bench": bench, "value": round(value, 2), "unit": unit,
            "baseline": round(baseline, 2) if baseline is not None else None, "ratio": ratio,
            "target": target, "met": met, **extra}
    print(json.dumps(line, default=str), flush=True)
    return line


def note(text: str) -> None:
    """Progress goes to stderr: stdout carries only the JSON lines."""
    print(text, file=sys.stderr, flush=True)


def db_host() -> str:
    return urlparse(base_url()).hostname or "127.0.0.1"
