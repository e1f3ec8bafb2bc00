"""Seed 004 through the ``ledger`` CLI (interfaces §1, §1.5, §2.1, §2.2): --form on
debt transfer and payment record, the messages' form, debtor add --unit-kind, and
ledger oga statement; bad input exits 2 with one line naming the option and the rule,
the ledger unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aggregates.references import debtor_identity_code
from tests.cli_helpers import cli_runner, stored_events

AFM, AFM2, UNIT = "100000003", "100000015", "100000039"


@pytest.fixture
def run(sqlite_url, capsys):
    return cli_runner(sqlite_url, capsys)


def employer(run) -> None:
    run("debtor", "add", AFM, "--name", "Άλφα ΟΕ", "--unit-kind", "99", "--legal-form", "oe", "--date", "2012-01-02")
    run("debt", "transfer", AFM, "--fund", "OGA", "--period", "2011-12", "--kind", "contribution", "--amount",
        "1042.20", "--due", "2012-06-29", "--form", "640", "--transfer-id", "OGA-H2-2011", "--date", "2012-03-01")


@pytest.mark.parametrize(("args", "message"), [
    (["debtor", "add", AFM2, "--name", "Β ΑΕ", "--unit-kind", "98", "--legal-form", "ae"],
     "error: --unit-kind: legal form ae is a company, registered as 99, not 98 (G19)"),
    (["debtor", "add", AFM2, "--name", "Β", "--unit-kind", "97"],
     "error: --unit-kind: '97' is not 98 (natural person) or 99 (company) (G19)"),
    (["debt", "transfer", AFM, "--fund", "OGA", "--period", "2011-12", "--kind", "contribution", "--amount", "10.00",
      "--due", "2012-06-29", "--form", "641"],
     "error: --form: '641' is not one of the payment forms 640, 649, 608, 639 (G10)"),
    (["debt", "transfer", AFM, "--fund", "IKA", "--period", "2011-12", "--kind", "contribution", "--amount", "10.00",
      "--due", "2012-06-29", "--form", "640"],
     "error: --form: a payment form is an OGA item's, not IKA's (G10)"),
    (["payment", "record", "--reference", debtor_identity_code(AFM), "--amount", "10.00", "--value-date",
      "2012-05-02", "--tx-id", "X", "--form", "64"],
     "error: --form: '64' is not one of the payment forms 640, 649, 608, 639 (G10)"),
])
def test_bad_forms_and_unit_kinds_exit_2_naming_the_option_and_the_rule(run, args, message):
    employer(run)
    before = stored_events(run.url)
    out, err = run(*args, expect=2)
    assert err.splitlines() == [message]
    assert stored_events(run.url) == before


def test_G10_payments_by_form_and_the_suspense_reason(run, tmp_path: Path):
    employer(run)
    reference = debtor_identity_code(AFM)
    refused = run("payment", "record", "--reference", reference, "--amount", "100.00", "--value-date", "2012-05-02",
                  "--tx-id", "ATE-1", "--bank", "ATE", "--form", "639", "--json")
    assert (refused["status"], refused["reason"]) == (
        "suspense", f"a form 639 payment may not pay the items of form 640 debtor {AFM} owes (G10)")
    assert run("payment", "record", "--reference", reference, "--amount", "100.00", "--value-date", "2012-05-02",
               "--tx-id", "ATE-2", "--bank", "ATE", "--form", "640", "--json")["status"] == "applied"
    # §2.1: the messages' form, the same rules; a code not among the four makes the line unreadable
    lines = tmp_path / "payments.jsonl"
    message = {"tx_id": "ATE-3", "bank": "ATE", "amount": "50.00", "currency": "EUR", "value_date": "2012-05-03",
               "reference": reference, "form": "608"}
    lines.write_text(json.dumps(message) + "\n")
    run("payment", "import", str(lines))
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**message, "tx_id": "ATE-4", "form": "641"}) + "\n")
    out, err = run("payment", "import", str(bad), expect=2)
    assert "form" in err and len(err.splitlines()) == 1
    suspense = run("show", "suspense", "--json")
    assert [(s["tx_id"], s["reason"]) for s in suspense] == [
        ("ATE-1", f"a form 639 payment may not pay the items of form 640 debtor {AFM} owes (G10)"),
        ("ATE-3", f"a form 608 payment may not pay the items of form 640 debtor {AFM} owes (G10)")]
    table = run("show", "debt-table", AFM, "--as-of", "2012-05-03", "--json")
    assert [(i["form"], i["paid"], i["outstanding"]) for i in table["items"]] == [("640", "100.00", "942.20")]


def test_G10_a_transfer_message_s_items_carry_their_form(run, tmp_path: Path):
    run("debtor", "add", AFM, "--name", "Άλφα ΟΕ", "--date", "2012-01-02")
    lines = tmp_path / "transfers.jsonl"
    lines.write_text(json.dumps({"transfer_id": "OGA-1", "fund": "OGA", "debtor": {"afm": AFM, "name": "Άλφα ΟΕ"},
                                 "items": [{"period": "2012-05", "kind": "contribution", "amount": "347.40",
                                            "due_date": "2012-05-10", "form": "649"}],
                                 "sent_at": "2012-05-01T09:00:00+03:00"}) + "\n")
    run("debt", "import", str(lines))
    assert [i["form"] for i in run("show", "debt-table", AFM, "--json")["items"]] == ["649"]


def test_G17_the_statement_json_and_table(run, monkeypatch):
    employer(run)
    run("debtor", "add", UNIT, "--name", "Άλφα ΟΕ, Λάρισα", "--parent", AFM, "--date", "2012-01-02")
    run("debtor", "add", AFM2, "--name", "Βήτα ΑΕ", "--unit-kind", "99", "--date", "2012-01-02")
    statement = run("oga", "statement", "--date", "2012-06-01", "--json")
    assert (statement["as_of"], statement["contributions"], statement["deadline"]) == (
        "2012-06-01", "2011-H2", "2012-06-29")
    assert [(e["afm"], e["units"], e["total_owed"], e["credit"], e["clearance"], e["clear_until"], e["in_arrangement"],
             e["remarks"]) for e in statement["employers"]] == [
        (AFM, [UNIT], "1042.20", "0.00", "yes", "2012-06-29", False, [f"branch units: {UNIT}"]),
        (AFM2, [], "0.00", "0.00", "inactive", None, False, ["sent no notice of the contributions 2011-H2"]),
    ]
    after = run("oga", "statement", "--date", "2012-07-02", "--json")["employers"][0]
    assert (after["clearance"], after["clear_until"], after["reasons"]) == ("no", None, [
        "overdue debt outside arrangements of the head office and its units 1042.20 EUR exceeds 15.00 EUR (G16)"])
    monkeypatch.setenv("LEDGER_LANG", "en")
    out, _ = run("oga", "statement", "--date", "2012-06-01")
    assert "contributions 2011-H2, payable by 2012-06-29" in out and "YES" in out and "–" in out
    out, err = run("oga", "statement", "--date", "2012-13-01", expect=2)
    assert err.startswith("error: --date") and len(err.splitlines()) == 1
