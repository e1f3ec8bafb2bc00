"""F1 on PostgreSQL: a commit's chain rows stored as one block (issue 19), and a ledger
chained one row per event before that, whose rows the blocks continue."""

from __future__ import annotations

import pytest

from ledger.application import Ledger
from ledger.store import chain, chain_tables
from tests.integration import tampering
from tests.integration.helpers import AFM, transfer

pytestmark = pytest.mark.postgres


def blocks(url: str) -> list[tuple[int, int, int]]:
    """Each block's first and last position and how many rows it packs."""
    return [(first, last, size // chain_tables.ENTRY.size) for first, last, size in tampering.execute(
        url, "SELECT first_position, last_position, length(entries) FROM {chain} ORDER BY first_position")]


def as_rows_per_event(url: str) -> None:
    """The blocks written so far turned into the per-event rows an earlier release wrote."""
    for (entries,) in tampering.execute(url, "SELECT entries FROM {chain}"):
        for row in chain_tables.unpacked(bytes(entries)):
            tampering.execute(url, f"INSERT INTO {chain_rows_table(url)} VALUES (?, ?, ?, ?)", row)
    tampering.execute(url, "DELETE FROM {chain}")


def chain_rows_table(url: str) -> str:
    schema = url.rsplit("schema=", 1)[1]
    return f'"{schema}".{chain_tables.TABLE}'


def test_f1_each_commit_stores_its_rows_in_one_block(postgres_url):
    ledger = Ledger(postgres_url)
    try:
        written = tampering.write_some(ledger)
        stored = blocks(postgres_url)
        # One block a commit, in order, together the positions of every event, nothing twice.
        assert [first for first, _, _ in stored] == sorted(first for first, _, _ in stored)
        assert sum(count for _, _, count in stored) == len(written)
        assert [p for first, last, _ in stored for p in range(first, last + 1)] == written
        assert len(stored) < len(written)  # the close of day's commit chains several events at once
        assert chain.head(ledger) == chain.verify(ledger).head
        assert tampering.execute(postgres_url, f"SELECT count(*) FROM {chain_rows_table(postgres_url)}") == [(0,)]
    finally:
        ledger.close()


@pytest.fixture
def chained_both_ways(postgres_url):
    """A ledger chained one row an event (as before blocks), then written on in a block:
    the ledger, the per-event rows' positions and the block's."""
    ledger = Ledger(postgres_url)
    try:
        before = tampering.write_some(ledger)
        as_rows_per_event(postgres_url)
        assert chain.verify(ledger).intact and chain.head(ledger)[0] == before[-1]
        transfer(ledger, AFM, "10.00", "2023-02-28", "2023-01", "T-3", on="2023-02-01")
        yield ledger, before, tampering.positions(ledger)[len(before):]
    finally:
        ledger.close()


def test_f1_a_ledger_chained_one_row_an_event_goes_on_in_blocks_and_verifies_across(chained_both_ways,
                                                                                      postgres_url):
    ledger, before, after = chained_both_ways
    assert blocks(postgres_url) == [(after[0], after[-1], len(after))]
    verdict = chain.verify(ledger)
    assert (verdict.intact, verdict.events, verdict.head[0]) == (True, len(before) + len(after), after[-1])
    assert chain.verify(ledger, start=after[0]).intact  # the link before a block: the last per-event row's
    assert chain.first(ledger)[0] == before[0]
    tampering.edit_one_byte(postgres_url, after[-1])
    assert (chain.verify(ledger).first_broken, chain.verify(ledger).kind) == (after[-1], "edited")
    tampering.edit_one_byte(postgres_url, before[1])
    assert (chain.verify(ledger).first_broken, chain.verify(ledger).kind) == (before[1], "edited")


def test_f1_events_swapped_across_a_legacy_row_and_a_block_are_named_reordered(chained_both_ways, postgres_url):
    ledger, before, after = chained_both_ways
    tampering.swap(postgres_url, before[0], after[-1])
    verdict = chain.verify(ledger)
    assert (verdict.first_broken, verdict.kind) == (before[0], "reordered")
    assert (verdict.details["chained_at"], verdict.details["now_at"]) == (after[-1], after[-1])
