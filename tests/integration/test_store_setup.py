"""Opening the ledger and its read models on a new PostgreSQL schema from
several processes at once (the consumer and the projection runner start
together): one at a time creates the tables, none fails."""

from __future__ import annotations

import threading

import pytest

from ledger.application import Ledger
from projections.runner import Runner

pytestmark = pytest.mark.postgres

OPENERS = 8


def test_ledgers_and_runners_opened_at_once_on_a_new_schema_all_start(postgres_url: str) -> None:
    start = threading.Barrier(OPENERS)
    failures: list[BaseException] = []

    def open_both() -> None:
        start.wait()
        try:
            ledger = Ledger(postgres_url)
            try:
                Runner(ledger, postgres_url).setup()
            finally:
                ledger.close()
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            failures.append(error)

    threads = [threading.Thread(target=open_both) for _ in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    ledger = Ledger(postgres_url)
    try:
        assert [row["name"] for row in Runner(ledger, postgres_url).status()] == [
            "debt_table", "arrangements", "suspense", "audit", "directory", "notices"]
    finally:
        ledger.close()
