"""F1: the hash chain, written with the events on both stores, and ``verify`` naming
the exact position and kind of each change made to the store behind the ledger's
back: an edited byte, a deleted row, two rows' positions swapped, a forged event."""

from __future__ import annotations

import pytest

from ledger.application import Ledger
from ledger.store import chain
from projections.runner import Runner
from tests.integration import tampering
from tests.integration.helpers import AFM, d, transfer


@pytest.fixture
def written(ledger: Ledger) -> list[int]:
    return tampering.write_some(ledger)


def test_f1_every_event_is_chained_and_an_untouched_ledger_verifies(ledger, written):
    verdict = chain.verify(ledger)
    assert verdict.as_json() == {"intact": True, "events": len(written), "first_broken": None, "reason": None,
                                 "kind": None}
    assert chain.head(ledger) == verdict.head
    assert verdict.head[0] == written[-1]


def test_f1_one_byte_of_one_events_state_edited_is_found_at_its_position(ledger, written, db_url):
    tampering.edit_one_byte(db_url, written[4])
    verdict = chain.verify(ledger)
    assert (verdict.intact, verdict.first_broken, verdict.kind, verdict.events) == (False, written[4], "edited", 4)
    assert verdict.reason.startswith(f"position {written[4]}: event ")


def test_f1_a_state_rewritten_as_text_is_found_edited_not_a_crash(sqlite_url):
    """SQLite's ``replace()`` on a BLOB gives TEXT: the column then holds a str."""
    app = Ledger(sqlite_url)
    try:
        at = tampering.write_some(app)[2]
        tampering.execute(sqlite_url, "UPDATE {events} SET state = replace(state, '0', '1') WHERE {position} = ?", (at,))
        verdict = chain.verify(app)
        assert (verdict.intact, verdict.first_broken, verdict.kind) == (False, at, "edited")
    finally:
        app.close()


def test_f1_a_deleted_event_is_found_at_its_position(ledger, written, db_url):
    tampering.delete(db_url, written[3])
    verdict = chain.verify(ledger)
    assert (verdict.first_broken, verdict.kind) == (written[3], "deleted")
    assert "is missing" in verdict.reason


def test_f1_two_events_swapped_are_found_at_the_first_with_where_each_now_is(ledger, written, db_url):
    first, second = written[2], written[6]
    tampering.swap(db_url, first, second)
    verdict = chain.verify(ledger)
    assert (verdict.first_broken, verdict.kind) == (first, "reordered")
    assert f"the chain has {verdict.details['event']} at {second}" in verdict.reason
    assert f"the store has {verdict.details['chained']} at {second}" in verdict.reason


def test_f1_a_forged_event_is_found_at_its_position(ledger, written, db_url):
    forged = tampering.insert_forged(db_url, like=written[0])
    assert forged > written[-1]
    verdict = chain.verify(ledger)
    assert (verdict.first_broken, verdict.kind, verdict.events) == (forged, "inserted", len(written))


def test_f1_verify_from_a_position_trusts_the_stored_link_before_it(ledger, written, db_url):
    tampering.edit_one_byte(db_url, written[1])
    assert chain.verify(ledger).first_broken == written[1]
    verdict = chain.verify(ledger, start=written[2])
    assert verdict.intact and verdict.events == len(written) - 2


def test_f1_intact_after_a_rebuild_of_the_read_models_and_a_restart(ledger, written, db_url):
    runner = Runner(ledger, db_url)
    runner.catch_up()
    runner.rebuild()
    runner.engine.dispose()
    assert chain.verify(ledger).intact
    again = Ledger(db_url)
    try:
        transfer(again, AFM, "10.00", "2023-02-28", "2023-01", "T-3", on="2023-02-01")
        verdict = chain.verify(again)
        assert verdict.intact and verdict.events == len(written) + 2
    finally:
        again.close()


def test_f1_a_ledger_written_without_the_chain_stays_unchained_until_init_chains_it(db_url):
    """As a ledger of an earlier release: events and no chain. Writing on it chains
    nothing (no half chain); ``initialise`` chains it all, then every write chains."""
    old = Ledger(db_url, env={"LEDGER_CHAIN": "0"})
    try:
        written = tampering.write_some(old)
    finally:
        old.close()
    ledger = Ledger(db_url)
    try:
        transfer(ledger, AFM, "10.00", "2023-02-28", "2023-01", "T-3", on="2023-02-01")
        assert chain.head(ledger) is None
        verdict = chain.verify(ledger)
        assert (verdict.intact, verdict.first_broken, verdict.kind) == (False, written[0], "unchained")
        assert "ledger verify --init" in verdict.reason
        assert chain.initialise(ledger) == len(written) + 2
        assert chain.verify(ledger).intact
        transfer(ledger, AFM, "20.00", "2023-03-31", "2023-02", "T-4", on="2023-02-01")
        assert chain.verify(ledger).events == len(written) + 4
        with pytest.raises(chain.AlreadyChained, match="chained already"):
            chain.initialise(ledger)
    finally:
        ledger.close()


def test_f1_a_new_ledger_chains_from_its_first_event(ledger):
    assert chain.head(ledger) is None and chain.verify(ledger).as_json()["intact"] is True
    written = tampering.write_some(ledger)
    assert chain.head(ledger)[0] == written[-1]
    assert ledger.business_date() == d("2023-02-01")
