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

With the integrity features on (F4): a second store holds the same events, each
state encrypted by the ledger's own mapper (``LEDGER_CIPHER_KEY`` set, a fresh key),
and is rebuilt the same way with that key; ``encrypted_ratio`` is its rate ÷ the
plain one's, in the same run. ``anchor`` (``bench.anchor``): COPY and batched INSERT of
rows of the mean stored event's size into a scratch table, the same run, and the
rebuild's rate as a fraction of each.

Prints one JSON line.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
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

from bench.anchor import fraction_of, physical_anchor
from bench.common import BenchmarkFailed, base_url, error_of, machine, note, schema_url
from ledger.store.encryption import CIPHER_KEY_VARIABLE

SCHEMA = "bench_rebuild"
ENCRYPTED_SCHEMA = "bench_rebuild_encrypted"
COPY = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/bench-copy")
TARGET_RATE = 60_000  # events/s over 1,000,000 (issue 19)
ENCRYPTED_TARGET = 0.8  # the encrypted rebuild's rate ÷ the plain one's


def bench_url(schema: str = SCHEMA) -> str:
    with psycopg.connect(base_url(), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return schema_url(schema)


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


def fill(url: str, count: int, events: list[StoredEvent]) -> tuple[int, float]:
    """Copies of the template ``events`` with fresh identities, ``count`` events in all,
    each state encrypted as the ledger's mapper would store it when the ledger has a
    cipher (``LEDGER_CIPHER_KEY`` set, F4). Returns how many were written and their
    mean stored state's size in bytes."""
    from ledger.application import Ledger

    afms = sorted({m.group(0) for e in events for m in re.finditer(rb"(?<!\d)100000\d\d\d(?!\d)", e.state)})
    ids = sorted({str(e.originator_id).encode() for e in events})
    # Any UUID or ΑΦΜ-like run, replaced when it is one of the template's (an
    # alternation of the thousand literal tokens took ~1.5 ms an event).
    tokens = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|100000\d\d\d")
    day_topic = "keao:BusinessDay."
    app = Ledger(url)  # creates the event store's tables
    table = f'"{app.recorder.datastore.schema}"."{app.recorder.events_table_name}"'
    stored = app.mapper.cipher.encrypt if app.mapper.cipher is not None else bytes
    app.close()
    written = 0
    state_bytes = 0
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

    tokens_of = tokens.sub

    while written < count:
        mapping = {a: f"{copy:05d}{i:04d}".encode() for i, a in enumerate(afms)}
        mapping.update({i: str(uuid5(COPY, f"{i.decode()}/{copy}")).encode() for i in ids})
        for e in events:
            if copy and e.topic.startswith(day_topic):
                continue
            state = stored(tokens_of(lambda m: mapping.get(m.group(0), m.group(0)), e.state))
            pending.append(StoredEvent(
                originator_id=UUID(mapping[str(e.originator_id).encode()].decode()),
                originator_version=e.originator_version, topic=e.topic, state=state,
            ))
            state_bytes += len(state)
            written += 1
            if len(pending) >= 20_000 or written >= count:
                flush()
            if written >= count:
                break
        copy += 1
    conn.close()
    return written, state_bytes / max(written, 1)


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
    peak = max(own_peak_kib(), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return {"events": seen["position"], "seconds": elapsed, "rate": seen["position"] / elapsed,
            "peak_rss_mb": peak / 1024, "workers": workers}


def own_peak_kib() -> int:
    """This process's peak RSS since it started its program (``VmHWM``): Linux's
    ``ru_maxrss`` keeps, across ``exec``, the peak of the process that spawned it (the
    parent's, which holds the anchor's rows and the fill's batches)."""
    with open("/proc/self/status") as status:
        return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])


def in_child(url: str, per_event: bool, batch: int, limit: int | None,
             workers: int | None = None, env: dict[str, str] | None = None) -> dict[str, float]:
    """``measure`` in a fresh process, with ``env`` added to its environment."""
    args = [sys.executable, "-m", "bench.rebuild", "--child", url, "--batch", str(batch)]
    if workers:
        args += ["--workers", str(workers)]
    if per_event:
        args.append("--per-event")
    if limit:
        args += ["--limit", str(limit)]
    done = subprocess.run(args, capture_output=True, text=True, env={**os.environ, **(env or {})})
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
    from bench.verify import environment  # here: the children that measure need none of its imports

    events = 20_000 if options.quick else options.events
    started = time.perf_counter()
    copied = template()
    url = bench_url()
    written, row_bytes = fill(url, events, copied)
    fill_seconds = time.perf_counter() - started
    key = {CIPHER_KEY_VARIABLE: base64.b64encode(os.urandom(32)).decode()}  # F4, a ledger of its own
    encrypted_url = bench_url(ENCRYPTED_SCHEMA)
    with environment(key):
        fill(encrypted_url, events, copied)
    anchor = physical_anchor(base_url(), round(row_bytes))
    fast = in_child(url, False, options.batch, None, options.workers)
    encrypted = in_child(encrypted_url, False, options.batch, None, options.workers, env=key)
    baseline_events = options.baseline_events or (2_000 if options.quick else 5_000)
    slow = in_child(url, True, 1000, baseline_events)
    ratio = fast["rate"] / slow["rate"]
    encrypted_ratio = encrypted["rate"] / fast["rate"]
    line = {
        "bench": "projection_rebuild_postgres", "value": round(fast["rate"]), "unit": "events/s",
        "baseline": round(slow["rate"]), "ratio": round(ratio, 1), "target": TARGET_RATE,
        "met": fast["rate"] >= TARGET_RATE and encrypted_ratio >= ENCRYPTED_TARGET,
        "events": written, "rebuild_seconds": round(fast["seconds"], 2),
        "peak_rss_mb": round(fast["peak_rss_mb"], 1), "workers": fast["workers"] or "one per CPU",
        "encrypted_value": round(encrypted["rate"]), "encrypted_ratio": round(encrypted_ratio, 2),
        "encrypted_target": ENCRYPTED_TARGET, "encrypted_peak_rss_mb": round(encrypted["peak_rss_mb"], 1),
        "baseline_events": slow["events"],
        "baseline_kind": "same runner and handlers, one transaction per event",
        "batch": options.batch, "fill_seconds": round(fill_seconds, 1), "machine": machine(),
    }
    print(json.dumps({**line, "anchor": anchor, **fraction_of(fast["rate"], anchor)}))


if __name__ == "__main__":
    main()
