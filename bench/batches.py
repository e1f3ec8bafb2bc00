"""Payment batches applied in-process through ``consumers.ingest`` (no broker, no runner).

    python -m bench.batches [--payments N] [--quick] [--debtors D] [--profile] [--postgres URL]

The same payments as ``bench.ingest`` (N over D seeded debtors, each owing enough for every
payment to apply), split into 6 partitions by their key (the debtor's reference) and cut
into batches of 500 per partition, applied in turn (a batch of partition 0, then of 1, …)
by one ``Ingestor`` per partition, as ``ledger consume`` applies them, with its aggregate
cache. Times every ``Ingestor.apply`` with ``time.thread_time`` (the thread's CPU, which
other work on the machine inflates least) and ``time.perf_counter``. Prints one JSON
line: ``value`` = CPU µs per payment inside ``apply`` (the total's; the median batch's
beside it), wall µs (the difference: waiting on PostgreSQL, and on a loaded machine for
a core), and payments/s of the whole. ``--profile``: a pyinstrument profile of the batches on stderr.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import zlib
from typing import Any

from bench.common import add_postgres_option, fresh_schema, schema_url
from consumers.ingest import PAYMENTS, Ingestor
from ledger.application import Ledger
from tests.integration.kafka_helpers import afms, encode, payments, seed_ledger


PARTITIONS = 6  # of the payments topic (``bench.ingest``'s too)
BATCH = 500  # records a batch at most, as ``ledger consume`` polls them


class Record:
    """A Kafka record as ``consumers.ingest`` reads one (``dlq.SourceRecord``)."""

    def __init__(self, topic: str, partition: int, offset: int, key: bytes, value: bytes):
        self.topic, self.partition, self.offset, self.key, self.value = topic, partition, offset, key, value
        self.headers: list[Any] = []


def partitioned(sent: list[dict], topic: str = "bench.pay") -> list[list[Record]]:
    """Each partition's records in offset order, a debtor's payments in one partition (by key)."""
    parts: list[list[Record]] = [[] for _ in range(PARTITIONS)]
    for message in sent:
        key = message["reference"].encode()
        records = parts[zlib.crc32(key) % PARTITIONS]
        records.append(Record(topic, zlib.crc32(key) % PARTITIONS, len(records), key, encode(message)))
    return parts


def in_turn(parts: list[list[Record]], size: int = BATCH) -> list[list[Record]]:
    """Batches of ``size``: the first of every partition, then the second of every partition, …"""
    rounds = max(len(p) for p in parts)
    return [p[i:i + size] for i in range(0, rounds, size) for p in parts if p[i:i + size]]


def apply_timed(ledger: Ledger, batches: list[list[Record]]) -> list[tuple[int, float, float]]:
    """(payments, CPU s, wall s) of every batch, applied by one ``Ingestor`` per partition."""
    ingestors: dict[int, Ingestor] = {}
    times = []
    for batch in batches:
        ingestor = ingestors.setdefault(batch[0].partition, Ingestor(ledger, PAYMENTS, _NoDeadLetters()))
        cpu, wall = time.thread_time(), time.perf_counter()
        result = ingestor.apply(batch)
        times.append((len(batch), time.thread_time() - cpu, time.perf_counter() - wall))
        assert result.statuses == {"applied": len(batch)}, result.statuses
    return times


class _NoDeadLetters:
    def send(self, letters: Any) -> None:
        raise AssertionError(f"every payment applies, got dead letters {letters}")


def measure(url: str, n: int, debtors: int, profile: bool = False) -> dict[str, Any]:
    """Seed a ledger at ``url``, apply ``n`` payments in batches, and the figures."""
    names = afms(debtors)
    sent = payments(n, names, seed=2556, prefix="BENCH")
    seed_ledger(url, names)
    batches = in_turn(partitioned(sent))
    ledger = Ledger(url)
    try:
        if profile:
            from pyinstrument import Profiler

            with Profiler(interval=0.0005) as profiler:
                times = apply_timed(ledger, batches)
            print(profiler.output_text(unicode=True, show_all=False), file=sys.stderr)
        else:
            times = apply_timed(ledger, batches)
    finally:
        ledger.close()
    cpu = sum(t[1] for t in times)
    wall = sum(t[2] for t in times)
    return {
        "bench": "batches", "value": round(cpu / n * 1e6, 1), "unit": "CPU µs per payment (in apply)",
        "median_batch_cpu_us": round(statistics.median(t[1] / t[0] for t in times) * 1e6, 1),
        "wall_us": round(wall / n * 1e6, 1), "payments_per_s": round(n / wall, 1), "payments": n,
        "debtors": debtors, "batches": len(times), "batch": BATCH, "partitions": PARTITIONS,
        "profiled": profile, "store": "postgresql",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=None, help="default 10,000; 1,000 with --quick")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--debtors", type=int, default=1_000)
    parser.add_argument("--profile", action="store_true", help="a pyinstrument profile of the batches on stderr")
    add_postgres_option(parser)
    args = parser.parse_args(argv)
    with fresh_schema() as name:
        payments = args.payments or (1_000 if args.quick else 10_000)
        print(json.dumps(measure(schema_url(name), payments, args.debtors, args.profile)))


if __name__ == "__main__":
    sys.exit(main())
