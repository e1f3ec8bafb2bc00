"""Rebuild throughput of the read models on PostgreSQL, next to a baseline.

    python -m bench.rebuild [--events N] [--quick] [--batch B] [--workers W]

The event store (the benchmarks' database, ``bench.common.base_url``: ``LEDGER_DB_URL``
or the local ``ledger_test``, in a schema of its own, ``bench_rebuild``, dropped and
recreated) is filled with N
realistic events quickly: a small ledger is generated through the ledger's own
commands (debtors, transfers, arrangements, payments good and bad, closes of
day), then its stored events are copied with fresh identities (ids, ΑΦΜ,
payment codes) and written with PostgreSQL ``COPY`` into the events table the
ledger created (``recorder.insert_events`` with 10,000 events a call stalled
here, see the report).

Then, each in a fresh process (so its peak RSS is its own, or its worker
processes', whichever is larger):
* ``value``: ``Runner.rebuild()`` of every projection, one transaction per batch,
  the projections split between processes (one per CPU; ``--workers 1``: one
  pass over the log in one process);
* ``baseline``: the same runner and handlers with one transaction per event
  (the library's ``ProjectionRunner`` tracks one event per transaction through
  a ``TrackingRecorder`` of its own and cannot write our SQLAlchemy tables in
  the same transaction, so the equivalent loop is measured on the first
  events of the same log).

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid5

import psycopg
from eventsourcing.persistence import StoredEvent

from bench.common import BenchmarkFailed, base_url, error_of, note, schema_url

SCHEMA = "bench_rebuild"
COPY = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/bench-copy")


def bench_url() -> str:
    with psycopg.connect(base_url(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{SCHEMA}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{SCHEMA}"')
    return schema_url(SCHEMA)


def template() -> list[StoredEvent]:
    """A small realistic ledger, generated through the ledger's commands."""
    from bench.history import generate
    from ledger.application import Ledger

    with tempfile.TemporaryDirectory() as folder:
        app = Ledger(f"sqlite:///{Path(folder) / 'template.db'}")
        generate(app, seed=2, debtors=40, months=12)
        events = list(app.notifications())
        app.close()
    return events


def fill(url: str, count: int) -> int:
    """Copies of the template with fresh identities, ``count`` events in all."""
    from ledger.application import Ledger

    events = template()
    afms = sorted({m.group(0) for e in events for m in re.finditer(rb"(?<!\d)100000\d\d\d(?!\d)", e.state)})
    ids = sorted({str(e.originator_id).encode() for e in events})
    # Any UUID or ΑΦΜ-like run, replaced when it is one of the template's (an
    # alternation of the thousand literal tokens took ~1.5 ms an event).
    tokens = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|100000\d\d\d")
    day_topic = "keao:BusinessDay."
    app = Ledger(url)  # creates the event store's tables
    table = f'"{app.recorder.datastore.schema}"."{app.recorder.events_table_name}"'
    app.close()
    written = 0
    copy = 0
    pending: list[StoredEvent] = []
    conn = psycopg.connect(url.split("?")[0], autocommit=False)

    def flush() -> None:
        with conn.cursor() as cursor, cursor.copy(
            f"COPY {table} (originator_id, originator_version, topic, state) FROM STDIN"
        ) as copy_in:
            for e in pending:
                copy_in.write_row((e.originator_id, e.originator_version, e.topic, e.state))
        conn.commit()
        pending.clear()

    while written < count:
        mapping = {a: f"{copy:05d}{i:04d}".encode() for i, a in enumerate(afms)}
        mapping.update({i: str(uuid5(COPY, f"{i.decode()}/{copy}")).encode() for i in ids})
        for e in events:
            if copy and e.topic.startswith(day_topic):
                continue
            pending.append(StoredEvent(
                originator_id=UUID(mapping[str(e.originator_id).encode()].decode()),
                originator_version=e.originator_version, topic=e.topic,
                state=tokens.sub(lambda m: mapping.get(m.group(0), m.group(0)), e.state),
            ))
            written += 1
            if len(pending) >= 20_000 or written >= count:
                flush()
            if written >= count:
                break
        copy += 1
    conn.close()
    return written


def measure(url: str, per_event: bool, batch: int, limit: int | None,
            workers: int | None = None) -> dict[str, float]:
    """In this process: rebuild every projection (or ``limit`` events of it),
    in ``workers`` processes (default: ``Runner.rebuild``'s, one per CPU)."""
    from ledger.application import Ledger
    from projections.runner import Runner

    app = Ledger(url)
    runner = Runner(app, url, batch_size=batch)
    runner.setup()
    seen = {"position": 0}
    started = time.perf_counter()
    runner.rebuild(None, lambda position, head: seen.update(position=position), per_event=per_event,
                   stop_after=limit, workers=workers)
    elapsed = time.perf_counter() - started
    app.close()
    # The rebuild's worker processes (``Runner.rebuild`` on PostgreSQL) are
    # this one's children: the peak is the larger of its own and theirs.
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"events": seen["position"], "seconds": elapsed, "rate": seen["position"] / elapsed,
            "peak_rss_mb": peak / 1024, "workers": workers}


def in_child(url: str, per_event: bool, batch: int, limit: int | None,
             workers: int | None = None) -> dict[str, float]:
    args = [sys.executable, "-m", "bench.rebuild", "--child", url, "--batch", str(batch)]
    if workers:
        args += ["--workers", str(workers)]
    if per_event:
        args.append("--per-event")
    if limit:
        args += ["--limit", str(limit)]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:  # its own error, not "exit status 1"
        note(done.stderr)
        raise BenchmarkFailed(error_of(done.stderr.splitlines()), [])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="20,000 events, a short baseline")
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--baseline-events", type=int, default=None)
    parser.add_argument("--child")
    parser.add_argument("--per-event", action="store_true")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--workers", type=int, default=None,
                        help="rebuild processes (default: one per CPU; 1: one pass in one process)")
    options = parser.parse_args()
    if options.child:
        print(json.dumps(measure(options.child, options.per_event, options.batch, options.limit, options.workers)))
        return
    events = 20_000 if options.quick else options.events
    url = bench_url()
    started = time.perf_counter()
    written = fill(url, events)
    fill_seconds = time.perf_counter() - started
    fast = in_child(url, False, options.batch, None, options.workers)
    baseline_events = options.baseline_events or (2_000 if options.quick else 5_000)
    slow = in_child(url, True, 1000, baseline_events)
    target = 20.0
    ratio = fast["rate"] / slow["rate"]
    print(json.dumps({
        "bench": "projection_rebuild_postgres", "value": round(fast["rate"]), "unit": "events/s",
        "baseline": round(slow["rate"]), "ratio": round(ratio, 1), "target": target,
        "met": ratio >= target and fast["rate"] >= 30_000,
        "target_rate": 30_000, "events": written, "rebuild_seconds": round(fast["seconds"], 2),
        "peak_rss_mb": round(fast["peak_rss_mb"], 1), "workers": fast["workers"] or "one per CPU",
        "baseline_events": slow["events"],
        "baseline_kind": "same runner and handlers, one transaction per event",
        "batch": options.batch, "fill_seconds": round(fill_seconds, 1),
    }))


if __name__ == "__main__":
    main()
