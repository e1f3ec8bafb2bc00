"""The operators' ledger through the CLI (issue 13, interfaces §1.2): who acts (O1),
suspense resolution (O2), bank recalls (O3), fund corrections (O4), credit (O5)."""

from __future__ import annotations


import pytest

from tests.cli_helpers import cli_runner, stored_events

AFM = "100000107"


@pytest.fixture
def cli(sqlite_url, capsys):
    return cli_runner(sqlite_url, capsys)


def test_O1_as_names_the_actor_and_a_blank_one_is_refused(cli, monkeypatch):
    cli("--as", "maria.p", "debtor", "add", AFM, "--name", "Παπαδόπουλος Γ.", "--date", "2021-11-01")
    monkeypatch.setenv("LEDGER_USER", "kostas")
    cli("debt", "transfer", AFM, "--fund", "OAEE", "--period", "2021-03", "--kind", "contribution",
        "--amount", "1000.00", "--due", "2021-04-30", "--date", "2021-11-01")
    trail = cli("audit", AFM, "--json")
    assert [(e["type"], e["payload"]["actor"]) for e in trail] == [
        ("Registered", "maria.p"), ("DebtTransferred", "kostas"),
        ("NoticeSent", "kostas"), ("Issued", "kostas")]  # N6: the debtor told of the first transfer
    before = stored_events(cli.url)
    _, err = cli("--as", "  ", "debt", "transfer", AFM, "--fund", "OAEE", "--period", "2021-04", "--kind",
                 "contribution", "--amount", "10.00", "--due", "2021-05-31", expect=2)
    assert err == "error: --as: required and not blank\n"
    assert stored_events(cli.url) == before
    out, _ = cli("audit", AFM)
    assert "maria.p" in out and "kostas" in out


CODE_AFM = "100000003"
IBAN = "GR1601101250000000012300695"


@pytest.fixture
def ledger_with_suspense(cli):
    """A debtor with an arrangement (12 × 113.33), a payment to it (TX-1), one in
    suspense (TX-S, a mistyped code) and a second debtor owing 300.00 (OAEE-9)."""
    cli("day", "close", "2021-12-01")
    cli("debtor", "add", CODE_AFM, "--name", "Παπαδόπουλος Α.Ε.")
    cli("debtor", "add", AFM, "--name", "Γεωργίου Ι.")
    cli("debt", "transfer", CODE_AFM, "--fund", "OAEE", "--period", "2020-03", "--kind", "contribution",
        "--amount", "1200.00", "--due", "2020-04-30", "--transfer-id", "OAEE-1")
    cli("debt", "transfer", AFM, "--fund", "OAEE", "--period", "2021-10", "--kind", "contribution",
        "--amount", "300.00", "--due", "2021-12-31", "--transfer-id", "OAEE-9")
    code = cli("arrangement", "apply", CODE_AFM, "--scheme", "covid-650", "--date", "2021-12-01",
               "--instalments", "12", "--json")["payment_code"]
    cli("payment", "record", "--reference", code, "--amount", "113.33", "--value-date", "2021-12-20",
        "--tx-id", "TX-1", "--bank", "ETE")
    wrong = f"RF{(int(code[2:4]) + 1) % 97:02d}{code[4:]}"
    cli("payment", "record", "--reference", wrong, "--amount", "50.00", "--value-date", "2021-12-20",
        "--tx-id", "TX-S", "--bank", "ETE")
    return code


def test_the_operators_commands_end_to_end(cli, ledger_with_suspense):
    code = ledger_with_suspense
    assert [e["tx_id"] for e in cli("show", "suspense", "--json")] == ["TX-S"]
    done = cli("--as", "eleni", "suspense", "assign", "TX-S", "--bank", "ETE", "--to", AFM,
               "--reason", "the payer's ΑΦΜ on the slip", "--json")
    assert (done["status"], done["target"]) == ("applied", AFM)
    assert cli("show", "suspense", "--json") == []
    (resolved,) = cli("show", "suspense", "--all", "--json")
    assert (resolved["resolution"], resolved["target"], resolved["actor"], resolved["resolved_on"]) == (
        "assigned", AFM, "eleni", "2021-12-01")
    assert cli("show", "debt-table", AFM, "--as-of", "2021-12-20", "--json")["total_outstanding"] == "250.00"

    assert cli("payment", "reverse", "TX-1", "--bank", "ETE", "--reason", "returned transfer",
               "--json")["status"] == "recalled"
    cli("day", "close", "2022-01-05")
    view = cli("show", "arrangement", code, "--json")
    assert (view["status"], view["instalments"][0]["paid"]) == ("lapsed", "0.00")  # C6 as of 2022-01-01
    cli("payment", "record", "--reference", code, "--amount", "113.33", "--value-date", "2021-12-28",
        "--tx-id", "TX-4", "--bank", "ETE")  # paid in time after all, received late (E2)
    now = [e["type"] for e in cli("audit", code, "--json")]
    then = [e["type"] for e in cli("audit", code, "--as-of", "2022-01-04", "--json")]
    assert now[-4:] == ["Lapsed", "LapseReversed", "Paid", "Activated"]
    assert then[-1] == "Lapsed" and "LapseReversed" not in then  # §14: what the ledger held on 2022-01-04

    out, _ = cli("debt", "correct", AFM, "--fund", "OAEE", "--transfer-id", "OAEE-9", "--period", "2021-10",
                 "--kind", "contribution", "--amount", "20.00", "--correction-id", "C-1")
    assert out.startswith("καταχωρίστηκε: C-1")
    # 50.00 paid on it: 30.00 beyond the new amount, and that credit pays the surcharge the item
    # accrued before (a month of delay from 2022-01-01 on 250.00 at 8%/12 = 1.67, O5): 28.33 left
    table = cli("show", "debt-table", AFM, "--json")
    assert (table["items"][0]["amount"], table["items"][0]["outstanding"], table["credit"]) == (
        "20.00", "0.00", "28.33")
    assert cli("credit", "refund", AFM, "--amount", "28.33", "--iban", IBAN, "--reason", "overpaid",
               "--json")["status"] == "refunded"
    trail = {e["type"]: e for e in cli("audit", AFM, "--json")}
    assert trail["CreditRefunded"]["payload"]["reason"] == "overpaid"
    assert cli("show", "corrections", "--json") == []


def test_O2_P5_what_a_bank_sends_again_is_one_item_with_its_history_resolved_once(cli, ledger_with_suspense):
    code = ledger_with_suspense
    for _ in range(2):  # TX-S with its code corrected, sent twice: one version (P5)
        cli("payment", "record", "--reference", code, "--amount", "50.00", "--value-date", "2021-12-20",
            "--tx-id", "TX-S", "--bank", "ETE")
    out, _ = cli("payment", "record", "--reference", code, "--amount", "113.30", "--value-date", "2021-12-20",
                 "--tx-id", "TX-1", "--bank", "ETE")  # TX-1, applied, sent again with another amount
    assert " ".join(out.split()) == ("σε εκκρεμότητα: TX-1 (ο ίδιος αριθμός συναλλαγής της τράπεζας ήρθε ξανά με "
                                     "άλλο περιεχόμενο (P5)· η πληρωμή είχε ήδη αποδοθεί (O2))")
    items = cli("show", "suspense", "--json")
    assert [(e["tx_id"], e["reference"], e["amount"], e["versions"]) for e in items] == [
        ("TX-S", code, "50.00", 2), ("TX-1", code, "113.30", 1)]
    assert items[0]["history"][1]["changed"] == {"reference": {"from": items[0]["history"][0]["reference"],
                                                               "to": code}}
    table, _ = cli("show", "suspense")
    assert sum(1 for row in table.splitlines() if row.startswith("│ TX-S")) == 1
    assert cli("--as", "nikos", "suspense", "assign", "TX-S", "--bank", "ETE", "--to", code, "--reason",
               "code corrected", "--json")["status"] == "applied"
    done = cli("--as", "eleni", "suspense", "dismiss", "TX-1", "--bank", "ETE", "--reason", "the same transfer",
               "--json")
    assert (done["status"], done["subject"]) == ("dismissed", "TX-1")
    assert cli("show", "suspense", "--json") == []
    resolved = cli("show", "suspense", "--all", "--json")
    assert [(e["tx_id"], e["resolution"], e["actor"], e["versions"]) for e in resolved] == [
        ("TX-S", "assigned", "nikos", 2), ("TX-1", "dismissed", "eleni", 1)]
    view = cli("show", "arrangement", code, "--as-of", "2021-12-31", "--json")
    # TX-1 once (P5) pays instalment 1, TX-S once (O2) the last one backwards (P3)
    assert [(i["number"], i["paid"]) for i in view["instalments"] if i["paid"] != "0.00"] == [
        (1, "113.33"), (12, "50.00")]


@pytest.mark.parametrize("args, line", [
    (["suspense", "assign", "TX-S", "--bank", "ETE", "--to", AFM], "Missing option '--reason'."),
    (["suspense", "assign", "TX-S", "--bank", "ETE", "--to", AFM, "--reason", " "],
     "--reason: required and not blank"),
    (["suspense", "assign", "TX-X", "--bank", "ETE", "--to", AFM, "--reason", "r"],
     "TX_ID: no payment TX-X from bank ETE"),
    (["suspense", "assign", "TX-1", "--bank", "ETE", "--to", AFM, "--reason", "r"],
     "TX_ID: payment TX-1 is not in suspense: it is applied (O2)"),
    (["suspense", "assign", "TX-S", "--bank", "ETE", "--to", "100000004", "--reason", "r"],
     "--to: not a valid ΑΦΜ (The number's checksum or check digit is invalid.)"),
    (["suspense", "assign", "TX-S", "--bank", "ETE", "--to", CODE_AFM, "--reason", "r"],
     f"--to: debtor {CODE_AFM} owes nothing outside arrangements (P2)"),
    (["suspense", "dismiss", "TX-S", "--bank", "ETE", "--reason", "r"],
     "TX_ID: payment TX-S is itself in suspense: assign or refund it (O2); only what was received again of a "
     "resolved one is dismissed (P5)"),
    (["suspense", "dismiss", "TX-1", "--bank", "ETE", "--reason", "r"], "TX_ID: payment TX-1 has nothing in suspense (O2)"),
    (["suspense", "dismiss", "TX-1", "--bank", "ETE", "--reason", " "], "--reason: required and not blank"),
    (["suspense", "refund", "TX-S", "--bank", "ETE", "--iban", "GR00", "--reason", "r"],
     "--iban: not a valid IBAN (The number's checksum or check digit is invalid.)"),
    (["payment", "reverse", "TX-1", "--bank", "ETE", "--reason", ""], "--reason: required and not blank"),
    (["payment", "reverse", "TX-1", "--bank", "ETE", "--reason", "r", "--date", "2021-13-01"],
     "--date: '2021-13-01' is not a valid date (month must be in 1..12)"),
    (["debt", "correct", AFM, "--fund", "OAEE", "--transfer-id", "OAEE-9", "--period", "2021-10", "--kind",
      "contribution", "--correction-id", "C-9"], "--cancel: give either --cancel or --amount A (O4)"),
    (["debt", "correct", AFM, "--fund", "OAEE", "--transfer-id", "OAEE-8", "--period", "2021-10", "--kind",
      "contribution", "--cancel", "--correction-id", "C-9"],
     f"--transfer-id: fund OAEE sent debtor {AFM} no contribution of 2021-10 under transfer OAEE-8 (O4)"),
    (["debt", "correct", AFM, "--fund", "OAEE", "--transfer-id", "OAEE-9", "--period", "2021-10", "--kind",
      "contribution", "--amount", "0", "--correction-id", "C-9"],
     "items[1].amount: must be more than zero (cancel the item instead)"),
    (["debt", "correct", AFM, "--fund", "XYZ", "--transfer-id", "OAEE-9", "--period", "2021-10", "--kind",
      "contribution", "--cancel", "--correction-id", "C-9"], "fund: 'XYZ' is not one of IKA, OAEE, OGA, ETAA"),
    (["correction", "resolve", AFM, "C-9", "--reason", "r"], f"CORRECTION_ID: no correction C-9 waits for debtor {AFM} (O4)"),
    (["credit", "refund", AFM, "--amount", "1.00", "--iban", IBAN, "--reason", "r"],
     f"--amount: 1.00 is more than the credit of debtor {AFM}, 0.00 (O5)"),
    (["credit", "refund", AFM, "--amount", "-1", "--iban", IBAN, "--reason", "r"], "--amount: must be more than zero"),
])
def test_O1_O5_bad_input_to_every_new_command_exits_2_naming_the_field_and_changes_nothing(
        cli, ledger_with_suspense, args, line):
    before = stored_events(cli.url)
    _, err = cli(*args, expect=2)
    assert err == f"error: {line}\n"
    assert stored_events(cli.url) == before
