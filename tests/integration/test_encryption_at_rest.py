"""Encryption at rest (domain F4): with ``LEDGER_CIPHER_KEY`` set, no stored state or
snapshot holds a known plaintext, and the views, the read models (after a rebuild too)
and the audit read the same as a ledger recorded without it; a wrong or missing key is
refused in one line naming the variable (exit 2 at the CLI)."""

from __future__ import annotations

import base64
import os
from datetime import timedelta
from typing import Any

import pytest

from bench.history import generate
from ledger import audit_views, views
from ledger.application import Ledger
from ledger.errors import StoreUnavailable
from ledger.handlers.debtors import register_debtor
from ledger.store.bulk import latest_business_date
from ledger.store.urls import is_postgres
from projections import reader
from projections.runner import Runner
from tests.cli_helpers import run_cli
from tests.conftest import fresh_schema
from tests.integration.projections.helpers import mismatches

KEY = base64.b64encode(os.urandom(32)).decode()


def recorded(db_url: str) -> tuple[Ledger, Runner]:
    ledger = Ledger(db_url)
    generate(ledger, seed=3, debtors=6, months=6)
    for aggregate_id in list(ledger.repository.get(d).id for d in debtor_ids(ledger))[:2]:
        ledger.take_snapshot(aggregate_id)
    runner = Runner(ledger, db_url)
    runner.catch_up()
    return ledger, runner


def debtor_ids(ledger: Ledger) -> list[Any]:
    return [n.originator_id for n in ledger.notifications(topics=["keao:Debtor.Registered"])]


def afms(ledger: Ledger) -> list[str]:
    return [ledger.repository.get(i).afm for i in debtor_ids(ledger)]


def seen(ledger: Ledger, runner: Runner) -> dict[str, Any]:
    """What the views and the read models show, without the recorded times and actors."""
    def audit(entries: list[dict[str, Any]]) -> list[Any]:
        return [(e["type"], e["version"], e["business_date"],
                 {k: v for k, v in e["payload"].items() if k not in ("actor", "name", "amka")}) for e in entries]

    return {afm: (views.debt_table(ledger, afm), views.clearance(ledger, afm), reader.debt_table(runner, afm),
                  reader.clearance(runner, afm), audit(audit_views.audit(ledger, afm)), audit(reader.audit(runner, afm)))
            for afm in afms(ledger)}


def stored_states(ledger: Ledger) -> list[bytes]:
    states = [n.state for n in ledger.notifications()]
    snapshots = ledger.snapshots
    assert snapshots is not None
    for aggregate_id in debtor_ids(ledger):
        states += [s.state for s in snapshots.recorder.select_events(aggregate_id)]
    return states


def other_url(db_url: str, tmp_path) -> Any:
    return fresh_schema() if is_postgres(db_url) else _sqlite(tmp_path)


class _sqlite:
    def __init__(self, tmp_path):
        self.url = f"sqlite:///{tmp_path / 'plain.db'}"

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *exc: object) -> None:
        return None


def test_F4_with_a_key_nothing_is_stored_in_plain_text_and_everything_reads_the_same(db_url, tmp_path,
                                                                                      monkeypatch):
    with other_url(db_url, tmp_path) as plain_url:
        plain, plain_runner = recorded(plain_url)
        try:
            expected = seen(plain, plain_runner)
            plain_date = latest_business_date(plain)  # read by the database
        finally:
            plain.close()
    monkeypatch.setenv("LEDGER_CIPHER_KEY", KEY)
    ledger, runner = recorded(db_url)
    try:
        assert ledger.mapper.cipher is not None
        states = stored_states(ledger)
        assert len(states) > 100 and any(s for s in states)
        for known in (b"business_date", b"_type_", b"decimal_str", b"keao", "Α.Ε.".encode()):
            assert not any(known in state for state in states), known
        assert seen(ledger, runner) == expected
        assert runner.rebuild()
        assert seen(ledger, runner) == expected
        assert mismatches(ledger, runner) == []
        # latest_business_date read from the decrypted events, then from the new ones only
        assert latest_business_date(ledger) == plain_date
        later = plain_date + timedelta(days=3)
        register_debtor(ledger, "900000005", "Νέος οφειλέτης", later)
        assert latest_business_date(ledger) == later
    finally:
        ledger.close()


def test_F4_a_wrong_or_missing_key_is_refused_naming_the_variable(db_url, monkeypatch, capsys):
    monkeypatch.setenv("LEDGER_CIPHER_KEY", KEY)
    ledger, _ = recorded(db_url)
    ledger.close()
    monkeypatch.setenv("LEDGER_CIPHER_KEY", base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(StoreUnavailable, match="^LEDGER_CIPHER_KEY: does not decrypt this ledger's events"):
        Ledger(db_url)
    status, _, err = run_cli(db_url, "summary", capsys=capsys)
    assert status == 2 and err.startswith("error: LEDGER_CIPHER_KEY: does not decrypt") and err.count("\n") == 1
    monkeypatch.setenv("LEDGER_CIPHER_KEY", "not base64!")
    status, _, err = run_cli(db_url, "summary", capsys=capsys)
    assert status == 2 and err.startswith("error: LEDGER_CIPHER_KEY: is not base64")
    monkeypatch.delenv("LEDGER_CIPHER_KEY")
    with pytest.raises(StoreUnavailable, match="^LEDGER_CIPHER_KEY: unset, but this ledger's events are encrypted"):
        Ledger(db_url)
