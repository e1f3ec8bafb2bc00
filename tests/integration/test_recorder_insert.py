"""The ledger's events recorder on PostgreSQL (``ledger.store.recorder.LedgerProcessRecorder``:
four binary arrays, the ids read back as tuples) against the library's own
``PostgresProcessRecorder`` on tables of their own in one schema: the same batches give
the same returned notification ids, the same rows and tracking, and the same refusals."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent, Tracking
from eventsourcing.postgres import PostgresProcessRecorder

from ledger.application import Ledger

pytestmark = pytest.mark.postgres


def batch(ids: list[uuid.UUID], version: int) -> list[StoredEvent]:
    # States of any bytes (a NUL, invalid UTF-8), the same for both recorders; non-ASCII topics.
    r = random.Random(version)
    return [StoredEvent(originator_id=i, originator_version=version, topic=f"keao:Τ.{n % 3}",
                        state=r.randbytes(n % 50) + bytes([0, 255])) for n, i in enumerate(ids)]


def rows(recorder: Any) -> list[tuple[Any, ...]]:
    events = recorder.select_notifications(start=1, limit=10_000)
    return [(e.id, e.originator_id, e.originator_version, e.topic, bytes(e.state)) for e in events]


def test_inserts_return_and_store_what_the_library_recorder_does(postgres_url: str) -> None:
    ledger = Ledger(postgres_url)
    try:
        ours = ledger.recorder
        plain = PostgresProcessRecorder(ours.datastore, events_table_name="plain_events",
                                        tracking_table_name="plain_tracking")
        plain.create_table()
        assert type(ours).__name__ == "LedgerProcessRecorder"
        head = ours.max_notification_id() or 0
        ids = [uuid.uuid4() for _ in range(300)]
        returned: dict[str, list[Any]] = {"ours": [], "plain": []}
        for name, recorder in (("ours", ours), ("plain", plain)):
            for version, tracking in ((1, Tracking("t:0", 5)), (2, None), (3, Tracking("t:0", 9))):
                returned[name].append(recorder.insert_events(batch(ids, version), tracking=tracking))
            with pytest.raises(IntegrityError):  # a version already there
                recorder.insert_events(batch(ids[:1], 2))
            with pytest.raises(IntegrityError):  # an offset not past the stored one
                recorder.insert_events(batch(ids[:1], 4), tracking=Tracking("t:0", 9))
            assert recorder.max_tracking_id("t:0") == 9
        assert [[i - head for i in r] for r in returned["ours"]] == returned["plain"]
        assert returned["plain"] == [list(range(1, 301)), list(range(301, 601)), list(range(601, 901))]
        ours_rows = [r for r in rows(ours) if r[0] > head]
        assert [(r[0] - head, *r[1:]) for r in ours_rows] == rows(plain)
    finally:
        ledger.close()
