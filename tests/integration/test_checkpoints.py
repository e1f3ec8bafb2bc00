"""F2: signed checkpoints of the hash chain. Signed with the configured key, checked
with the public key alone; a checkpoint from another key, a forged one, or a log
rewritten before its position (the chain rebuilt to match) fails with its reason;
the close of day makes one when a key is configured, none without."""

from __future__ import annotations

import pytest

from aggregates.checkpoint import Checkpoint
from ledger import signing
from ledger.errors import BadInput
from ledger.handlers.close_day import close_day
from ledger.handlers.integrity import (
    ChainBroken,
    checkpoint_if_configured,
    configured_signing_key,
    latest_checkpoint,
    make_checkpoint,
    verify_checkpoint,
)
from ledger.store import chain
from tests.integration import tampering
from tests.integration.helpers import AFM, d, transfer
from tests.integration.signing_keys import key_files


@pytest.fixture
def keys(tmp_path):
    private, public = key_files(tmp_path, "signing")
    return signing.private_key(str(private)), signing.public_key(str(public), "--public-key")


def test_f2_a_checkpoint_signs_the_head_and_verifies_with_the_public_key_alone(ledger, keys):
    written = tampering.write_some(ledger)
    signed_head = chain.head(ledger)
    document = make_checkpoint(ledger, keys[0])
    assert (document["position"], bytes.fromhex(document["link"])) == signed_head == (written[-1], signed_head[1])
    assert sorted(document) == ["key_id", "ledger", "link", "position", "recorded_at", "signature"]
    assert document["key_id"] == signing.key_id(keys[1])
    recorded = latest_checkpoint(ledger)
    assert recorded.position == written[-1] and recorded.signature == document["signature"]
    assert chain.head(ledger)[0] > written[-1]  # the checkpoint's own event, chained too
    verdict = verify_checkpoint(ledger, document, keys[1])
    assert verdict.intact and verdict.events == len(written)


def test_f2_a_checkpoint_from_another_key_or_forged_fails(ledger, keys, tmp_path):
    tampering.write_some(ledger)
    document = make_checkpoint(ledger, keys[0])
    other = signing.public_key(str(key_files(tmp_path, "other")[1]), "--public-key")
    verdict = verify_checkpoint(ledger, document, other)
    assert (verdict.intact, verdict.kind) == (False, "signature")
    assert f"signed by the key {document['key_id']}, not by the public key given" in verdict.reason
    forged = {**document, "position": document["position"] - 1}
    verdict = verify_checkpoint(ledger, forged, keys[1])
    assert (verdict.intact, verdict.kind) == (False, "signature") and "forged or changed" in verdict.reason


def test_f2_a_log_rewritten_before_the_checkpoint_fails_even_with_its_chain_rebuilt(ledger, keys, db_url):
    """What a database administrator could do: change an event, then build the whole
    chain again so that ``verify`` alone finds nothing."""
    written = tampering.write_some(ledger)
    document = make_checkpoint(ledger, keys[0])
    tampering.edit_one_byte(db_url, written[2])
    assert chain.verify(ledger).first_broken == written[2]
    tampering.execute(db_url, "DELETE FROM {chain}")
    chain.initialise(ledger)
    assert chain.verify(ledger).intact
    verdict = verify_checkpoint(ledger, document, keys[1])
    assert (verdict.intact, verdict.kind, verdict.first_broken) == (False, "rewritten", None)
    assert f"the log up to position {written[-1]} does not give the checkpoint's link" in verdict.reason


def test_f2_a_checkpoint_verifies_what_came_since_the_previous_one_before_signing(ledger, keys, db_url):
    tampering.write_some(ledger)
    make_checkpoint(ledger, keys[0])
    transfer(ledger, AFM, "10.00", "2023-02-28", "2023-01", "T-3", on="2023-02-01")
    edited = tampering.positions(ledger)[-1]
    tampering.edit_one_byte(db_url, edited)
    with pytest.raises(ChainBroken) as broken:
        make_checkpoint(ledger, keys[0])
    assert (broken.value.verdict.first_broken, broken.value.verdict.kind) == (edited, "edited")


def test_f2_the_close_of_day_makes_a_checkpoint_when_a_key_is_configured(ledger, tmp_path, monkeypatch):
    tampering.write_some(ledger)
    assert latest_checkpoint(ledger) is None  # no key: none, and nothing said
    monkeypatch.setenv(signing.SIGNING_KEY, str(key_files(tmp_path, "signing")[0]))
    close_day(ledger, d("2023-02-02"))
    made = latest_checkpoint(ledger)
    closed = [n.id for n in ledger.notifications(["keao:BusinessDay.DayClosed"])][-1]
    assert made is not None and made.position == closed  # after the close's own events
    assert made.actor == "system:close-day"
    assert ledger.repository.get(Checkpoint.create_id(made.ledger, made.position)).document()["link"] == made.link


def test_f2_a_signing_key_that_cannot_be_read_refuses_the_close_before_it_starts(ledger, tmp_path, monkeypatch):
    """interfaces §1: exit 2 means the ledger is unchanged, so the key is read first."""
    tampering.write_some(ledger)
    before = ledger.recorder.max_notification_id()
    broken = tmp_path / "broken.pem"
    broken.write_text("not a key")
    monkeypatch.setenv(signing.SIGNING_KEY, str(broken))
    with pytest.raises(BadInput) as refused:
        close_day(ledger, d("2023-02-02"))
    assert refused.value.field == signing.SIGNING_KEY
    assert ledger.recorder.max_notification_id() == before and ledger.business_date() != d("2023-02-02")


def test_f2_no_checkpoint_of_a_ledger_without_a_chain(db_url, tmp_path, monkeypatch):
    from ledger.application import Ledger

    unchained = Ledger(db_url, env={"LEDGER_CHAIN": "0"})
    try:
        tampering.write_some(unchained)
        monkeypatch.setenv(signing.SIGNING_KEY, str(key_files(tmp_path, "signing")[0]))
        assert checkpoint_if_configured(unchained, configured_signing_key()) is None
    finally:
        unchained.close()
