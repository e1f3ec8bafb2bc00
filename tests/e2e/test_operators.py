"""The operators' ledger through the CLI (issue 13, interfaces §1.2): who acts (O1),
suspense resolution (O2), bank recalls (O3), fund corrections (O4), credit (O5)."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import run_cli, stored_events

AFM = "100000107"


@pytest.fixture
def cli(sqlite_url, capsys):
    def run(*args, expect=0):
        status, out, err = run_cli(sqlite_url, *args, capsys=capsys)
        assert status == expect, err
        return json.loads(out) if "--json" in args and expect == 0 else (out, err)

    run.url = sqlite_url
    return run


def test_O1_as_names_the_actor_and_a_blank_one_is_refused(cli, monkeypatch):
    cli("--as", "maria.p", "debtor", "add", AFM, "--name", "Παπαδόπουλος Γ.", "--date", "2021-11-01")
    monkeypatch.setenv("LEDGER_USER", "kostas")
    cli("debt", "transfer", AFM, "--fund", "OAEE", "--period", "2021-03", "--kind", "contribution",
        "--amount", "1000.00", "--due", "2021-04-30", "--date", "2021-11-01")
    trail = cli("audit", AFM, "--json")
    assert [(e["type"], e["payload"]["actor"]) for e in trail] == [("Registered", "maria.p"),
                                                                    ("DebtTransferred", "kostas")]
    before = stored_events(cli.url)
    _, err = cli("--as", "  ", "debt", "transfer", AFM, "--fund", "OAEE", "--period", "2021-04", "--kind",
                 "contribution", "--amount", "10.00", "--due", "2021-05-31", expect=2)
    assert err == "error: --as: required and not blank\n"
    assert stored_events(cli.url) == before
    out, _ = cli("audit", AFM)
    assert "maria.p" in out and "kostas" in out
