"""The rebuild (batches, ``COPY``, forked workers on PostgreSQL) writes every read-model
table row for row as the plain path does: the catch-up one event at a time, one
transaction each. Both stores; and with the ledger encrypted at rest (F4), where the
rebuild decrypts every state it reads."""

from __future__ import annotations

import base64
import os

import pytest

from bench.history import generate
from ledger.application import Ledger
from ledger.store.encryption import CIPHER_KEY_VARIABLE
from projections.runner import Runner
from tests.integration.projections.helpers import active_rows, mismatches


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_the_rebuild_writes_the_rows_of_the_catch_up_one_event_at_a_time(db_url: str, encrypted: bool,
                                                                        monkeypatch) -> None:
    if encrypted:
        monkeypatch.setenv(CIPHER_KEY_VARIABLE, base64.b64encode(os.urandom(32)).decode())
    app = Ledger(db_url)
    try:
        assert (app.mapper.cipher is not None) is encrypted
        generate(app, seed=21, debtors=8, months=8)
        head = app.recorder.max_notification_id()
        assert head > 300, head
        runner = Runner(app, db_url, batch_size=50)
        assert runner.catch_up(per_event=True) == head  # the reference: a transaction per event
        reference = active_rows(runner)
        for tables in reference.values():  # every kind of row the events make is there
            assert all(rows for name, rows in tables.items() if name not in EMPTY), tables.keys()
        with runner.engine.connect() as conn:
            before = runner.states(conn)
        runner.batch_size = 5000  # the whole log in one batch, as a rebuild's
        assert runner.rebuild(workers=2)  # on PostgreSQL, two processes share the projections
        with runner.engine.connect() as conn:
            after = runner.states(conn)
        assert all(after[name].active_slot != before[name].active_slot for name in reference)
        assert active_rows(runner) == reference
        assert mismatches(app, runner) == []
    finally:
        app.close()


# Tables no event of this history writes: the directory's figures (``projections.figures``
# refreshes them), ΑΠΔ declarations, enforcement measures, branch units (eight debtors).
EMPTY = {"figures", "arrangement_figures", "refreshed", "declarations", "measures", "units"}
