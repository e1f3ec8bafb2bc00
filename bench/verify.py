"""The integrity benchmark on PostgreSQL (issue 18, F1–F4).

    python -m bench verify [--quick] [--postgres URL]

Prints two JSON lines:

* ``verify``: events/s of ``ledger verify`` (``chain.verify``: every link recomputed
  from the stored events, streamed) over 1,000,000 events (``--quick``: 50,000), target
  the million in 60 s. The events are a generated ledger's (``bench.history``) copied
  under new aggregate ids until there are enough, so their states have the ledger's
  sizes; the chain is then built by ``chain.initialise`` (``ledger verify --init``,
  timed too), and the verification is what is measured.
* ``ingest_integrity``: ``bench ingest``'s end-to-end rate (Kafka to committed events with
  the read models current, ``bench.ingest.end_to_end``) with each of VARIANTS, in the
  same run on the same payments, each twice in the order given then reversed, the
  faster of each: the rate with the chain, the personal data sealed (F3) and the store
  encrypted (F4) ÷ the rate with all of them off, target 0.8; ``ratios`` has each
  variant's (the chain alone too).

VARIANTS is one environment per variant, applied over this process's (and so the
ledger's and the projection runner's) for its runs.
"""

from __future__ import annotations

import base64
import os
import sys
import time

import psycopg

from bench import ingest
from bench.common import base_url, emit, environment, fresh_schema, machine, note, schema_url
from bench.history import generate
from ledger.application import Ledger
from ledger.store import chain
from ledger.store.encryption import CIPHER_KEY_VARIABLE
from ledger.store.personal_data import SEALING_VARIABLE
from tests.integration.kafka_helpers import afms, payments

SIZES = {"quick": (50_000, 1_000), "full": (1_000_000, 10_000)}  # events verified, payments ingested
VERIFY_TARGET_S = 60.0
RATIO_TARGET = 0.8
BASELINE = "all off"
FULL = "chain and encryption on"  # the target: this variant's rate ÷ the baseline's
VARIANTS: dict[str, dict[str, str]] = {
    BASELINE: {chain.SWITCH: "0", SEALING_VARIABLE: "off"},
    "chain on": {SEALING_VARIABLE: "off"},
    # F3's sealing and F4's cipher too (a fresh key: the variant's ledgers are its own)
    FULL: {CIPHER_KEY_VARIABLE: base64.b64encode(os.urandom(32)).decode()},
}


def seed_events(schema: str, events: int) -> float:
    """``events`` events in ``schema``, unchained: a generated ledger's, copied under new
    aggregate ids (md5 of the copy's number and the id) in ledger order; seconds taken."""
    started = time.perf_counter()
    with environment({chain.SWITCH: "0"}):
        ledger = Ledger(schema_url(schema))
        try:
            generate(ledger, seed=18, debtors=30, months=12)
        finally:
            ledger.close()
    table = f'"{schema}".keao_ledger_events'
    with psycopg.connect(base_url(), autocommit=True) as connection:
        (generated,) = connection.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[misc]
        copies = -(-events // generated) - 1
        connection.execute(
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
            f"SELECT md5(copy || ':' || originator_id::text)::uuid, originator_version, topic, state "
            f"FROM {table}, generate_series(1, %s) AS copy ORDER BY copy, notification_id LIMIT %s",
            (copies, events - generated))
        connection.execute(f"ANALYZE {table}")
    note(f"bench verify: {events:,} events seeded from {generated:,} generated ones")
    return time.perf_counter() - started


def measure_verify(events: int) -> dict:
    with fresh_schema("bench_verify") as schema:
        seeding = seed_events(schema, events)
        ledger = Ledger(schema_url(schema))
        try:
            started = time.perf_counter()
            chained = chain.initialise(ledger)
            building = time.perf_counter() - started
            started = time.perf_counter()
            verdict = chain.verify(ledger)
            verifying = time.perf_counter() - started
        finally:
            ledger.close()
    assert verdict.intact and verdict.events == chained == events, verdict.as_json()
    return emit("verify", events / verifying, "events/s", None, events / VERIFY_TARGET_S, events=events,
                seconds=round(verifying, 2), target_seconds=VERIFY_TARGET_S, init_seconds=round(building, 2),
                init_events_per_s=round(events / building, 1), seed_seconds=round(seeding, 2),
                store="postgresql", machine=machine())


def measure_ingestion(count: int, bootstrap: str) -> dict:
    """Each variant's best end-to-end and ingestion-only rates, payments/s."""
    debtors = afms(max(count // 10, 200))  # as bench ingest: 200 for 1,000 payments, 1,000 for 10,000
    sent = payments(count, debtors, seed=2556, prefix="CHAIN")
    order = [*VARIANTS, *reversed(VARIANTS)]  # off, on, on, off: drift on the machine hits both
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in VARIANTS}
    for name in order:
        with environment(VARIANTS[name]), ingest.schema() as url:
            rates[name].append(ingest.end_to_end(bootstrap, url, debtors, sent))
        note(f"bench verify: ingestion with {name}: {rates[name][-1][0]:.0f} payments/s")
    best = {name: max(runs) for name, runs in rates.items()}
    ratios = {name: round(best[name][0] / best[BASELINE][0], 3) for name in VARIANTS if name != BASELINE}
    return emit("ingest_integrity", best[FULL][0] / best[BASELINE][0], f"x the rate with {BASELINE}", 1.0,
                RATIO_TARGET, variants={name: {"payments_per_s": round(rate, 1), "ingest_only_per_s": round(only, 1)}
                                        for name, (rate, only) in best.items()},
                ratios=ratios, ingest_only_ratio=round(best[FULL][1] / best[BASELINE][1], 3),
                payments=count, debtors=len(debtors), runs_per_variant=2, store="postgresql")


def main(argv: list[str] | None = None) -> None:
    args = ingest.arguments(__doc__, "50,000 events verified, 1,000 payments ingested", argv)
    events, count = SIZES["quick" if args.quick else "full"]
    measure_verify(events)
    with ingest.broker(args.bootstrap) as bootstrap:
        measure_ingestion(count, bootstrap)

if __name__ == "__main__":
    sys.exit(main())
