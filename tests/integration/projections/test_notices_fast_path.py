"""The notices read model's fast path (``notices.RAW_ISSUED``: a notice issued in a batch
written from its event's JSON undecoded) writes the rows of the plain path, which
decodes, mutates and encodes every notice: the same rows, the same state's bytes. Both
stores, plain and encrypted at rest (F4); the notices' names are sealed (F3) and opened."""

from __future__ import annotations

import base64
import os
from uuid import UUID

import pytest

from aggregates.notice import Notice
from bench.history import generate
from ledger.application import Ledger
from ledger.store.encryption import CIPHER_KEY_VARIABLE
from projections import notices
from projections.runner import Runner
from tests.integration.projections.helpers import active_rows


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_notices_written_undecoded_are_the_plain_paths_rows(db_url: str, encrypted: bool, monkeypatch) -> None:
    if encrypted:
        monkeypatch.setenv(CIPHER_KEY_VARIABLE, base64.b64encode(os.urandom(32)).decode())
    app = Ledger(db_url)
    try:
        generate(app, seed=23, debtors=8, months=8)
        runner = Runner(app, db_url, batch_size=97)  # batches ending between a notice's events too
        monkeypatch.setattr(notices, "RAW_ISSUED", False)
        assert runner.rebuild(["notices"], workers=1)
        plain = active_rows(runner)["notices"]
        monkeypatch.setattr(notices, "RAW_ISSUED", True)
        taken = []
        issued_row = notices.NoticesProjection._issued_row
        monkeypatch.setattr(notices.NoticesProjection, "_issued_row",
                            lambda self, d: taken.append(issued_row(self, d)) or taken[-1])
        assert runner.rebuild(["notices"], workers=1)
        assert active_rows(runner)["notices"] == plain
        assert len(plain["notices"]) > 30
        assert len(taken) == len(plain["notices"]) and None not in taken  # every one of them took it
        read = runner.projections["notices"].aggregate_from
        assert all(read(Notice, row[-1]).content["name"].startswith("Debtor ")  # opened, not the envelope
                   for row in plain["notices"])
        assert all('"sealed"' not in row[-1] for row in plain["notices"])
        assert all(b'"sealed"' in runner.codec.json(app.recorder.select_events(UUID(row[0]))[0].state)
                   for row in plain["notices"])  # the events hold them sealed
    finally:
        app.close()


def test_a_notice_the_fast_path_cannot_take_is_left_to_the_plain_one(db_url: str) -> None:
    """An odd recorded time (not ``isoformat``'s own form) would not encode back to its
    text: that notice is decoded as the plain path does, and the rows stay the same."""
    app = Ledger(db_url)
    try:
        generate(app, seed=24, debtors=4, months=6)
        runner = Runner(app, db_url)
        from projections.base import Decoded

        first = next(n for n in app.notifications() if n.topic.startswith("keao:Notice."))
        odd = Decoded(first.id, str(first.originator_id), 1, first.topic,
                      runner.codec.json(first.state).replace(b'+00:00"}', b'Z"}', 1), runner.codec)
        assert runner.projections["notices"]._issued_row(odd) is None
        fine = Decoded(first.id, str(first.originator_id), 1, first.topic, runner.codec.json(first.state),
                       runner.codec)
        assert runner.projections["notices"]._issued_row(fine) is not None
    finally:
        app.close()
