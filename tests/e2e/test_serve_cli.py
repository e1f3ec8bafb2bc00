"""``ledger serve``'s refusals (interfaces §3): exit 2 naming the setting, nothing served."""

from __future__ import annotations

from tests.cli_helpers import run_cli


def test_dev_mode_refuses_any_address_but_loopback(sqlite_url, capsys):
    status, _, err = run_cli(sqlite_url, "serve", "--dev", "--host", "0.0.0.0", capsys=capsys)
    assert status == 2
    assert "--host: --dev serves on loopback only (127.0.0.1, ::1, localhost), not 0.0.0.0" in err


def test_without_an_identity_provider_it_says_which_variable_is_missing(sqlite_url, capsys, monkeypatch):
    for name in ("LEDGER_OIDC_ISSUER", "LEDGER_OIDC_CLIENT_ID", "LEDGER_SESSION_SECRET"):
        monkeypatch.delenv(name, raising=False)
    status, _, err = run_cli(sqlite_url, "serve", capsys=capsys)
    assert status == 2
    assert "LEDGER_OIDC_ISSUER: is not set" in err
