"""Kafka ingestion scaling benchmark on PostgreSQL (issue 5, item 3).

    python -m bench.scaling [--quick] [--bootstrap HOST:PORT] [--postgres URL] [--processes 1,2,4]

``ledger consume`` processes (publisher off, batches of 500) in ONE consumer group share a
payments topic of 12 partitions (12 divides evenly among 1, 2 and 4 processes). For each
process count, on a fresh ledger schema (the same debtors and the same payments each time):

1. start the N processes together;
2. wait until they are all assigned: each process's latest assignment, as logged by its
   rebalance listener ("assigned TOPIC:P, resuming at stored offset O"), is non-empty and
   the N latest assignments are disjoint and cover the 12 partitions. Group joins and the
   rebalances that follow (about 5 s and 18 s on tansu) are thus NOT in the figure;
3. produce the payments (kafka-python, acks=all) and start the clock as producing starts;
4. stop the clock when the offsets stored with the ledger (its tracking table, polled every
   20 ms) cover the whole topic.

``value`` is payments ÷ (3 to 4) seconds; ``baseline`` is the 1-process rate of the same run,
``ratio`` = value ÷ baseline. ``from_first_commit`` times from the first stored offset instead
(it leaves out producing's head start). The machine's cores (``cores``) bound the speed-up:
on 2 cores, 4 processes cannot beat 2. Prints one JSON line per process count.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from bench.common import add_postgres_option
from bench.ingest import schema, tansu
from consumers.topics import ensure_topics
from tests.integration.kafka_helpers import (
    afms,
    close_readers,
    payments,
    produce_payments,
    seed_ledger,
    start_consume,
    stored_offsets,
)

PARTITIONS = 12
BATCH = 500
ASSIGNED = re.compile(r"assigned (\S+):(\d+), resuming at stored offset")


def latest_assignment(log: Path, topic: str) -> set[int]:
    """The partitions of ``topic`` in the last burst of "assigned" lines of one process's log
    (one rebalance callback logs all its partitions at once; a later callback replaces them)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    bursts: list[set[int]] = []
    previous_line = -2
    for number, line in enumerate(text.splitlines()):
        m = ASSIGNED.search(line)
        if m and m.group(1) == topic:
            if number != previous_line + 1:
                bursts.append(set())
            bursts[-1].add(int(m.group(2)))
            previous_line = number
    return bursts[-1] if bursts else set()


def all_assigned(logs: list[Path], topic: str) -> bool:
    sets = [latest_assignment(log, topic) for log in logs]
    if not all(sets):
        return False
    union: set[int] = set()
    for s in sets:
        if union & s:
            return False
        union |= s
    return union == set(range(PARTITIONS))


def measure(bootstrap: str, url: str, n_processes: int, debtors: list[str], sent: list[dict],
            logdir: Path, join_timeout_s: float = 90.0) -> dict:
    seed_ledger(url, debtors)
    tag = uuid.uuid4().hex[:8]
    topics = {"payments": f"scale.{tag}.pay", "transfers": f"scale.{tag}.tr", "events": f"scale.{tag}.ev"}
    ensure_topics(bootstrap, PARTITIONS, topics=list(topics.values()))
    logs = [logdir / f"consume-{n_processes}-{i}.log" for i in range(n_processes)]
    env = {"LEDGER_KAFKA_MAX_RECORDS": str(BATCH), "LEDGER_KAFKA_PUBLISH": "0"}
    started = time.perf_counter()
    processes = [start_consume(url, bootstrap, topics, f"scale-{tag}", log, extra_env=env) for log in logs]
    try:
        deadline = time.monotonic() + join_timeout_s
        while not all_assigned(logs, topics["payments"]):
            for p, log in zip(processes, logs):
                if p.poll() is not None:
                    raise RuntimeError(f"ledger consume exited ({p.returncode}); see {log}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{n_processes} processes not all assigned after {join_timeout_s}s; see {logdir}")
            time.sleep(0.1)
        joined = time.perf_counter() - started
        print(f"scaling: {n_processes} process(es) assigned after {joined:.1f}s", file=sys.stderr, flush=True)

        def done() -> int:
            return sum(stored_offsets(url, topics["payments"], PARTITIONS).values())

        start = time.perf_counter()
        produce_payments(bootstrap, topics["payments"], sent)
        produced = time.perf_counter() - start
        first = None
        deadline = time.monotonic() + 300
        while (count := done()) < len(sent):
            if first is None and count > 0:
                first = time.perf_counter()
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {count} of {len(sent)} offsets stored after 300s")
            time.sleep(0.02)
        end = time.perf_counter()
        first = first or end
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        close_readers()
    return {"rate": len(sent) / (end - start), "from_first_commit": len(sent) / max(end - first, 1e-6),
            "seconds": end - start, "produce_s": produced, "join_s": joined}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3,000 payments instead of 20,000")
    parser.add_argument("--bootstrap", help="an existing Kafka broker (default: start tansu)")
    add_postgres_option(parser)
    parser.add_argument("--processes", default="1,2,4")
    args = parser.parse_args(argv)
    counts = [int(c) for c in args.processes.split(",")]
    n = 3_000 if args.quick else 20_000
    debtors = afms(200 if args.quick else 1000)
    sent = payments(n, debtors, seed=2556, prefix="SCALE")
    logdir = Path(tempfile.mkdtemp(prefix="bench-scaling-"))
    if args.bootstrap:
        bootstrap_cm = contextmanager(lambda: iter([args.bootstrap]))()
    else:
        bootstrap_cm = tansu()
    baseline = None
    with bootstrap_cm as bootstrap:
        for count in counts:
            with schema() as url:
                r = measure(bootstrap, url, count, debtors, sent, logdir)
            baseline = baseline or r["rate"]
            print(json.dumps({
                "bench": "scaling", "processes": count, "value": round(r["rate"], 1), "unit": "payments/s",
                "baseline": round(baseline, 1), "ratio": round(r["rate"] / baseline, 2), "target": None,
                "met": None, "from_first_commit": round(r["from_first_commit"], 1),
                "seconds": round(r["seconds"], 2), "produce_s": round(r["produce_s"], 2),
                "join_s": round(r["join_s"], 1), "payments": n, "debtors": len(debtors), "batch": BATCH,
                "partitions": PARTITIONS, "group": "one", "cores": os.cpu_count(), "store": "postgresql",
                "load_1min": round(os.getloadavg()[0], 2),
            }), flush=True)


if __name__ == "__main__":
    sys.exit(main())
