"""``bench.batches`` cuts the payments as a topic and ``ledger consume`` would: a debtor's
payments in one partition, each partition's offsets from 0 in the order sent, batches of at
most ``size`` taken from the partitions in turn, every payment once."""

from __future__ import annotations

import json

from bench.batches import PARTITIONS, in_turn, partitioned
from tests.integration.kafka_helpers import afms, payments


def test_partitions_keep_a_debtor_together_and_the_order_sent() -> None:
    sent = payments(3_000, afms(50), seed=3)
    parts = partitioned(sent)
    assert len(parts) == PARTITIONS
    partition_of: dict[bytes, int] = {}
    for p, records in enumerate(parts):
        assert [r.offset for r in records] == list(range(len(records)))
        assert {r.partition for r in records} <= {p}
        for record in records:
            assert partition_of.setdefault(record.key, p) == p
    order = {m["tx_id"]: i for i, m in enumerate(sent)}
    for records in parts:
        positions = [order[json.loads(r.value)["tx_id"]] for r in records]
        assert positions == sorted(positions)
    assert sorted(json.loads(r.value)["tx_id"] for records in parts for r in records) == sorted(order)


def test_batches_take_the_partitions_in_turn() -> None:
    parts = partitioned(payments(3_000, afms(50), seed=3))
    batches = in_turn(parts, size=100)
    assert all(0 < len(b) <= 100 and len({r.partition for r in b}) == 1 for b in batches)
    firsts = [b[0].offset for b in batches]
    rounds = [firsts[i:i + PARTITIONS] for i in range(0, PARTITIONS * 2, PARTITIONS)]
    assert rounds[0] == [0] * PARTITIONS and rounds[1] == [100] * PARTITIONS
    for p, records in enumerate(parts):
        assert [r for b in batches if b[0].partition == p for r in b] == records
