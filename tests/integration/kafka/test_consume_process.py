"""``ledger consume`` as a real process against the real broker and PostgreSQL: SIGKILL
mid-stream several times, two processes of one group rebalancing, SIGTERM exits 0 — and
the sums in the ledger equal the sums sent, exactly; the published events are complete
and in ledger order per key; the hash chain over them verifies intact (F1)."""

from __future__ import annotations

import json
import signal
import subprocess
import uuid
from collections import defaultdict

import pytest

from tests.integration.kafka_helpers import (
    afms,
    expected_sums,
    paid_in_ledger,
    payments,
    produce_payments,
    read_all,
    seed_ledger,
    start_consume,
    stored_offsets,
    wait_until,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


PARTITIONS = 3


def ends(positions: list[tuple[int, int]]) -> dict[int, int]:
    """The next offset after the last record sent, per partition."""
    end: dict[int, int] = defaultdict(int)
    for partition, offset in positions:
        end[partition] = max(end[partition], offset + 1)
    return dict(end)


def progress(db_url: str, topic: str, partitions: int) -> int:
    return sum(stored_offsets(db_url, topic, partitions).values())


def stop(process: subprocess.Popen, timeout_s: float = 40.0) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=timeout_s)


def assert_events_complete_and_ordered(bootstrap: str, topic: str, db_url: str) -> None:
    from ledger.application import Ledger

    ledger = Ledger(db_url)
    try:
        # The positions the ledger holds, not 1..max: a transaction that a SIGKILL cut
        # short took its positions from the sequence with it, leaving a gap.
        positions = [n.id for n in ledger.recorder.select_notifications(1, 10_000_000)]
    finally:
        ledger.close()
    records = read_all(bootstrap, topic, len(positions), timeout_s=40,
                       distinct=lambda r: json.loads(r.value)["event_id"])
    first: dict[str, dict] = {}
    by_key: dict[str, list[dict]] = defaultdict(list)
    for record in records:  # a subscriber drops repeats by event_id, keeping the first
        body = json.loads(record.value)
        assert record.key.decode() == body["aggregate_id"]
        if body["event_id"] not in first:
            first[body["event_id"]] = body
            by_key[body["aggregate_id"]].append(body)
    assert sorted(b["position"] for b in first.values()) == positions
    for stream in by_key.values():
        assert [b["aggregate_version"] for b in stream] == list(range(1, len(stream) + 1))


def assert_chain_intact(db_url: str) -> None:
    """F1: every event the killed writers committed is chained, and nothing else."""
    from ledger.application import Ledger
    from ledger.store import chain

    ledger = Ledger(db_url)
    try:
        verdict = chain.verify(ledger)
        assert verdict.intact, verdict.reason
        assert verdict.events == len(ledger.recorder.select_notifications(1, 10_000_000))
    finally:
        ledger.close()


def test_sigkill_mid_stream_then_restart_sums_exact(kafka_bootstrap, kafka_topics, postgres_url, tmp_path):
    topics = {"payments": kafka_topics("pay", PARTITIONS), "transfers": kafka_topics("tr", 1),
              "events": kafka_topics("ev", PARTITIONS)}
    debtors = afms(8)
    seed_ledger(postgres_url, debtors)
    sent = payments(1000, debtors)
    sent += [dict(m) for m in sent[::50]]  # banks resending some transactions at new offsets
    end = ends(produce_payments(kafka_bootstrap, topics["payments"], sent))
    total = sum(end.values())
    group = f"kill-{uuid.uuid4().hex[:6]}"
    log = tmp_path / "consume.log"

    # Small batches (20 records, about 50 commits in all): each kill lands mid-stream. With
    # the default 200 the whole topic is 6 commits, and the last 35% could be applied
    # between two polls of the progress, so the last kill came after the end.
    small_batches = {"LEDGER_KAFKA_MAX_RECORDS": "20"}
    killed_at = []
    for threshold in (0.15, 0.4, 0.65):
        process = start_consume(postgres_url, kafka_bootstrap, topics, group, log, extra_env=small_batches)
        try:
            wait_until(lambda: progress(postgres_url, topics["payments"], PARTITIONS) >= threshold * total,
                       60, 0.05, f"{threshold:.0%} applied")
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        killed_at.append(progress(postgres_url, topics["payments"], PARTITIONS))
    assert killed_at[-1] < total, f"the last kill came after the end: {killed_at}"

    process = start_consume(postgres_url, kafka_bootstrap, topics, group, log)
    try:
        wait_until(lambda: stored_offsets(postgres_url, topics["payments"], PARTITIONS) == {p: end.get(p, 0) for p in range(PARTITIONS)},
                   90, 0.2, "all payments applied")
    finally:
        code = stop(process)
    assert code == 0, log.read_text()[-3000:]

    paid = paid_in_ledger(postgres_url)
    assert paid.sums == expected_sums(sent), f"killed at {killed_at} of {total}"
    assert paid.receipts == paid.distinct_receipts == len({m["tx_id"] for m in sent})
    assert_events_complete_and_ordered(kafka_bootstrap, topics["events"], postgres_url)
    assert_chain_intact(postgres_url)


def test_two_processes_one_group_rebalance_mid_stream(kafka_bootstrap, kafka_topics, postgres_url, tmp_path):
    partitions = 4
    topics = {"payments": kafka_topics("pay", partitions), "transfers": kafka_topics("tr", 1),
              "events": kafka_topics("ev", partitions)}
    debtors = afms(12)
    seed_ledger(postgres_url, debtors)
    sent = payments(1200, debtors, seed=11, prefix="RB")
    group = f"rb-{uuid.uuid4().hex[:6]}"
    positions = produce_payments(kafka_bootstrap, topics["payments"], sent[:600])

    a = start_consume(postgres_url, kafka_bootstrap, topics, group, tmp_path / "a.log")
    b = None
    try:
        wait_until(lambda: progress(postgres_url, topics["payments"], partitions) >= 200, 60, 0.05, "a started")
        b = start_consume(postgres_url, kafka_bootstrap, topics, group, tmp_path / "b.log")  # rebalance
        wait_until(lambda: "resuming at stored offset" in (tmp_path / "b.log").read_text(), 60, 0.1, "b joined")
        positions += produce_payments(kafka_bootstrap, topics["payments"], sent[600:])
        end = ends(positions)
        wait_until(lambda: stored_offsets(postgres_url, topics["payments"], partitions) == {p: end.get(p, 0) for p in range(partitions)},
                   90, 0.2, "all payments applied")
    finally:
        codes = [stop(p) for p in (a, b) if p is not None]
    assert codes == [0, 0], (tmp_path / "a.log").read_text()[-2000:] + (tmp_path / "b.log").read_text()[-2000:]
    b_log = (tmp_path / "b.log").read_text()
    assert "resuming at stored offset" in b_log, "the second process never got a partition: no rebalance"

    paid = paid_in_ledger(postgres_url)
    assert paid.sums == expected_sums(sent)
    assert paid.receipts == paid.distinct_receipts == len(sent)
    assert_events_complete_and_ordered(kafka_bootstrap, topics["events"], postgres_url)
