"""Rebuilding gives rows identical to the incrementally built ones (both stores)."""

from __future__ import annotations

from datetime import date

from bench.history import generate
from ledger.application import Ledger
from projections.runner import Runner
from tests.integration.projections.helpers import active_rows, mismatches, slot_rows


def test_rebuild_gives_the_rows_built_incrementally(db_url: str) -> None:
    app = Ledger(db_url)
    try:
        runner = Runner(app, db_url, batch_size=37)  # many small batches, most ending mid-command
        generate(app, seed=11, debtors=28, months=9)
        runner.catch_up()
        generate(app, seed=12, debtors=26, months=6, start=date(2021, 10, 4), first_afm=20_000_000)
        runner.catch_up()
        head = app.recorder.max_notification_id()
        assert head > 2000, head  # thousands of events
        before = active_rows(runner)
        assert sum(len(rows) for tables in before.values() for rows in tables.values()) > head
        with runner.engine.connect() as conn:
            old = runner.states(conn)
        runner.batch_size = 1000
        assert runner.rebuild(workers=2)  # on PostgreSQL, two processes share the projections
        with runner.engine.connect() as conn:
            new = runner.states(conn)
        for name in before:
            assert new[name].active_slot != old[name].active_slot
            assert slot_rows(runner, name, old[name].active_version, old[name].active_slot) == before[name]
        assert active_rows(runner) == before
        assert all(row["position"] == head and row["lag_events"] == 0 and not row["rebuilding"]
                   for row in runner.status())
        assert mismatches(app, runner) == []
        runner.batch_size = 700
        assert runner.rebuild(workers=1)  # one pass in one process gives the same rows
        assert active_rows(runner) == before
    finally:
        app.close()


def test_the_projections_are_split_between_workers_by_cost() -> None:
    from projections.runner import PROJECTIONS

    chosen = [cls(None) for cls in PROJECTIONS]  # type: ignore[arg-type]
    groups = Runner.groups(chosen, 2)
    assert sorted(sorted(p.name for p in g) for g in groups) == [
        ["arrangements", "notices"], ["audit", "debt_table", "directory", "suspense"]]
    assert [[p.name for p in g] for g in Runner.groups(chosen, 1)] == [["arrangements", "suspense", "audit",
                                                                        "debt_table", "directory", "notices"]]
    assert len(Runner.groups(chosen, 8)) == 6
    assert Runner.groups(chosen[:1], 2) == [[chosen[0]]]


def test_an_interrupted_rebuild_resumes_while_the_old_slot_answers(db_url: str) -> None:
    app = Ledger(db_url)
    try:
        runner = Runner(app, db_url, batch_size=30)
        generate(app, seed=5, debtors=8, months=5)
        assert app.recorder.max_notification_id() > 150
        runner.catch_up()
        before = active_rows(runner)
        assert not runner.rebuild(["debt_table", "audit"], stop_after=60)
        status = {row["name"]: row for row in runner.status()}
        assert status["audit"]["rebuilding"] and 0 < status["audit"]["rebuild_position"] < status["audit"]["head"]
        assert status["audit"]["slot"] == "a" and status["audit"]["rebuild_slot"] == "b"
        assert active_rows(runner) == before  # the active slot keeps answering
        assert mismatches(app, runner) == []
        fresh = Runner(app, db_url, batch_size=100)  # another process, later
        assert fresh.rebuild(["debt_table", "audit"])
        assert active_rows(fresh) == before
        assert {row["name"]: row["slot"] for row in fresh.status()} == {
            "debt_table": "b", "arrangements": "a", "suspense": "a", "audit": "b", "directory": "a", "notices": "a"}
    finally:
        app.close()


def test_a_new_version_is_built_beside_the_old_one(db_url: str, monkeypatch) -> None:
    app = Ledger(db_url)
    try:
        runner = Runner(app, db_url)
        generate(app, seed=6, debtors=5, months=3)
        runner.catch_up()
        before = active_rows(runner)["suspense"]
        from projections.suspense import SuspenseProjection

        old = SuspenseProjection.version
        monkeypatch.setattr(SuspenseProjection, "version", old + 1)
        bumped = Runner(app, db_url)
        status = {row["name"]: row for row in bumped.status()}
        assert (status["suspense"]["version"], status["suspense"]["code_version"]) == (old, old + 1)
        bumped.catch_up()  # builds the new version beside the old, then switches
        status = {row["name"]: row for row in bumped.status()}
        assert (status["suspense"]["version"], status["suspense"]["slot"]) == (old + 1, "b")
        assert slot_rows(bumped, "suspense", old + 1, "b") == before
        assert slot_rows(bumped, "suspense", old, "a") == before  # the old version is left as it was
    finally:
        app.close()
