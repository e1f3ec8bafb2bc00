"""Helpers of the Kafka ingestion tests (tests/integration/kafka/): a ledger with debtors
that owe enough for every payment to apply, payments to send, and what the ledger holds."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer

from aggregates.debtor import Debtor
from aggregates.references import debtor_identity_code
from ledger.application import Ledger
from ledger.commands import TransferInput, TransferItem
from ledger.demo import afm_for
from ledger.handlers.close_day import close_day
from ledger.handlers.transfers import record_transfer

BUSINESS_DATE = date(2024, 1, 31)
VALUE_DATE = "2024-02-15"
REPO = Path(__file__).resolve().parents[2]


def afms(n: int) -> list[str]:
    return [afm_for(30_000_000 + i) for i in range(1, n + 1)]


def seed_ledger(db_url: str, debtors: Iterable[str]) -> None:
    """Debtors that each owe 1,000,000.00 (OAEE, due 2023-06-30): every payment applies."""
    ledger = Ledger(db_url)
    try:
        close_day(ledger, BUSINESS_DATE)
        for afm in debtors:
            item = TransferItem("2023-05", "contribution", Decimal("1000000.00"), date(2023, 6, 30))
            record_transfer(ledger, TransferInput("OAEE", afm, (item,), transfer_id=f"SEED-{afm}", name=f"Οφειλέτης {afm}"))
    finally:
        ledger.close()


def payment(tx_id: str, afm: str, amount: str, bank: str = "ETE", **overrides: Any) -> dict[str, Any]:
    message = {"tx_id": tx_id, "bank": bank, "amount": amount, "currency": "EUR",
               "value_date": VALUE_DATE, "reference": debtor_identity_code(afm)}
    message.update(overrides)
    return message


def payments(n: int, debtors: list[str], seed: int = 7, prefix: str = "TX") -> list[dict[str, Any]]:
    r = random.Random(seed)
    return [payment(f"{prefix}{i:06d}", r.choice(debtors), f"{r.randrange(100, 50_000) / 100:.2f}") for i in range(n)]


def expected_sums(sent: Iterable[dict[str, Any]]) -> dict[str, Decimal]:
    """What each debtor must have been paid: distinct (bank, tx_id) once each."""
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    for message in sent:
        seen.setdefault((message["bank"], message["tx_id"]), message)
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for message in seen.values():
        sums[message["reference"][-9:]] += Decimal(message["amount"])
    return dict(sums)


@dataclass
class Paid:
    sums: dict[str, Decimal]
    receipts: int
    distinct_receipts: int


def paid_in_ledger(db_url: str) -> Paid:
    """From the events: every Debtor.DebtPaid, summed per debtor."""
    ledger = Ledger(db_url)
    try:
        sums: dict[str, Decimal] = defaultdict(Decimal)
        tx_ids = []
        for notification in ledger.notifications([Debtor.DebtPaid.TOPIC]):
            event = ledger.mapper.to_domain_event(notification)
            debtor = ledger.repository.get(event.originator_id)
            sums[debtor.afm] += event.amount
            tx_ids.append(event.tx_id)
        return Paid(dict(sums), len(tx_ids), len(set(tx_ids)))
    finally:
        ledger.close()


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False).encode("utf-8")


def produce(bootstrap: str, topic: str, values: Iterable[tuple[bytes | None, bytes]]) -> list[tuple[int, int]]:
    """Send ``(key, value)`` records; return their ``(partition, offset)``."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    try:
        futures = [producer.send(topic, key=key, value=value) for key, value in values]
        producer.flush()
        return [(m.partition, m.offset) for m in (f.get(timeout=30) for f in futures)]
    finally:
        producer.close()


def produce_payments(bootstrap: str, topic: str, messages: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    return produce(bootstrap, topic, ((m["reference"].encode(), encode(m)) for m in messages))


def read_all(bootstrap: str, topic: str, expected: int, timeout_s: float = 30.0,
             distinct: Callable[[Any], Any] | None = None) -> list[Any]:
    """Every record of ``topic`` from the start, until ``expected`` arrived (then a short grace).
    With ``distinct``, until ``expected`` distinct values of it arrived: a topic delivered at
    least once (the ledger's events, two publishers racing) may hold repeats, which must not
    count towards the records still awaited."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                             enable_auto_commit=False, consumer_timeout_ms=1500)
    records: list[Any] = []
    seen: set[Any] = set()
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
                if distinct is not None:
                    seen.update(distinct(r) for r in batch)
            if (len(records) if distinct is None else len(seen)) >= expected:
                for batch in consumer.poll(timeout_ms=500).values():  # anything extra?
                    records.extend(batch)
                break
    finally:
        consumer.close()
    return records


def wait_until(predicate, timeout_s: float, interval_s: float = 0.25, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        time.sleep(interval_s)


def start_consume(db_url: str, bootstrap: str, topics: dict[str, str], group: str, log_path: Path,
                  extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    """``ledger consume`` as a child process (its own stdout/stderr in ``log_path``)."""
    env = {**os.environ, "LEDGER_KAFKA_SESSION_TIMEOUT_MS": "6000", "LEDGER_KAFKA_HEARTBEAT_MS": "1000",
           "LEDGER_KAFKA_MAX_RECORDS": "200",
           **(extra_env or {})}
    log = log_path.open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-c", "from ledger.entrypoints.cli import main; main()", "--db", db_url, "consume",
             "--bootstrap", bootstrap, "--group", group,
             "--payments-topic", topics["payments"], "--transfers-topic", topics["transfers"],
             "--events-topic", topics["events"]],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=REPO, env=env,
        )
    finally:
        log.close()


_readers: dict[str, Ledger] = {}


def stored_offsets(db_url: str, topic: str, partitions: int) -> dict[int, int]:
    """The offsets stored with the ledger. One Ledger per URL for the polling: constructing
    one runs the schema DDL, which races with other processes starting (PostgreSQL
    "tuple concurrently updated")."""
    ledger = _readers.get(db_url)
    if ledger is None:
        ledger = _readers[db_url] = Ledger(db_url)
    return {p: ledger.recorder.max_tracking_id(f"{topic}:{p}") or 0 for p in range(partitions)}


def close_readers() -> None:
    while _readers:
        _readers.popitem()[1].close()
