"""``ledger verify`` and ``ledger checkpoint`` (interfaces §1.6, F1, F2) as an operator
and an auditor run them: exit 0 intact, 1 broken (naming the position and the kind),
2 bad input; the JSON fields; a checkpoint checked with the public key alone."""

from __future__ import annotations

import json

import pytest

from ledger.application import Ledger
from tests.cli_helpers import run_cli
from tests.integration import tampering
from tests.integration.signing_keys import key_files


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("LEDGER_LANG", "en")
    monkeypatch.delenv("LEDGER_SIGNING_KEY", raising=False)
    monkeypatch.delenv("LEDGER_VERIFY_KEY", raising=False)


def written(db_url: str, env: dict[str, str] | None = None) -> list[int]:
    ledger = Ledger(db_url, env=env)
    try:
        return tampering.write_some(ledger)
    finally:
        ledger.close()


def test_f1_verify_exits_0_when_intact_and_1_naming_the_position_and_kind(db_url, capsys):
    positions = written(db_url)
    status, out, _ = run_cli(db_url, "verify", "--json", capsys=capsys)
    assert status == 0
    assert json.loads(out) == {"intact": True, "events": len(positions), "first_broken": None, "reason": None,
                               "kind": None}
    assert run_cli(db_url, "verify", capsys=capsys)[:2] == (0, f"intact: {len(positions)} events verified\n")
    tampering.delete(db_url, positions[5])
    status, out, _ = run_cli(db_url, "verify", "--json", capsys=capsys)
    verdict = json.loads(out)
    assert (status, verdict["intact"], verdict["first_broken"], verdict["kind"], verdict["events"]) == \
        (1, False, positions[5], "deleted", 5)
    assert verdict["reason"].startswith(f"position {positions[5]}: event ")
    status, out, _ = run_cli(db_url, "verify", capsys=capsys)
    assert status == 1 and out.startswith(f"broken: position {positions[5]}: event ") and "is missing" in out
    assert run_cli(db_url, "verify", "--from", str(positions[6]), capsys=capsys)[0] == 0


def test_f1_verify_refuses_bad_input_with_2(sqlite_url, capsys, tmp_path):
    positions = written(sqlite_url)
    status, _, err = run_cli(sqlite_url, "verify", "--from", "0", capsys=capsys)
    assert (status, err) == (2, "error: --from: 0: positions start at 1\n")
    assert run_cli(sqlite_url, "verify", "--init", "--from", "3", capsys=capsys)[0] == 2
    status, _, err = run_cli(sqlite_url, "verify", "--init", capsys=capsys)
    assert (status, err) == (2, f"error: --init: the ledger is chained already, up to position {positions[-1]}\n")
    status, _, err = run_cli(sqlite_url, "verify", "--checkpoint", str(tmp_path / "none.json"), capsys=capsys)
    assert status == 2 and err.startswith("error: --checkpoint: cannot read ")
    (tmp_path / "bad.json").write_text('{"position": "x"}')
    status, _, err = run_cli(sqlite_url, "verify", "--checkpoint", str(tmp_path / "bad.json"), capsys=capsys)
    assert status == 2 and "missing or not of its type: ledger, position, link" in err


def test_f1_verify_init_chains_a_ledger_written_without_the_chain(sqlite_url, capsys):
    positions = written(sqlite_url, env={"LEDGER_CHAIN": "0"})
    status, out, _ = run_cli(sqlite_url, "verify", "--json", capsys=capsys)
    assert (status, json.loads(out)["kind"], json.loads(out)["first_broken"]) == (1, "unchained", positions[0])
    status, out, _ = run_cli(sqlite_url, "verify", "--init", "--json", capsys=capsys)
    assert (status, json.loads(out)["chained"], json.loads(out)["intact"]) == (0, len(positions), True)


def test_f2_checkpoint_signs_and_verify_checks_it_with_the_public_key_alone(sqlite_url, capsys, tmp_path,
                                                                            monkeypatch):
    positions = written(sqlite_url)
    status, _, err = run_cli(sqlite_url, "checkpoint", capsys=capsys)
    assert status == 2 and err.startswith("error: LEDGER_SIGNING_KEY: not set: ")
    private, public = key_files(tmp_path, "signing")
    monkeypatch.setenv("LEDGER_SIGNING_KEY", str(private))
    status, out, _ = run_cli(sqlite_url, "checkpoint", "--json", capsys=capsys)
    assert status == 0 and json.loads(out)["position"] == positions[-1]
    saved = tmp_path / "checkpoint.json"
    saved.write_text(out)
    monkeypatch.delenv("LEDGER_SIGNING_KEY")
    status, out, _ = run_cli(sqlite_url, "verify", "--checkpoint", str(saved), "--public-key", str(public), "--json",
                             capsys=capsys)
    assert (status, json.loads(out)["intact"], json.loads(out)["checkpoint"]) == (0, True, positions[-1])
    monkeypatch.setenv("LEDGER_VERIFY_KEY", str(key_files(tmp_path, "other")[1]))
    status, out, _ = run_cli(sqlite_url, "verify", "--checkpoint", str(saved), "--json", capsys=capsys)
    assert (status, json.loads(out)["kind"]) == (1, "signature")
    assert "not by the public key given" in json.loads(out)["reason"]
