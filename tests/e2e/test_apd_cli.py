"""ΑΠΔ through the CLI (interfaces §1.4, §2.5): submit, correct, finalise, show; bad
input exits 2 naming the field, with nothing recorded."""

from __future__ import annotations

import json

import pytest

from tests.cli_helpers import cli_runner, run_cli, stored_events

EMPLOYER = "094014201"


def record(record: str, **changes) -> dict:
    return {"record": record, "amka": "01016512343", "insured_since": "1985-03-01", "package": "101",
            "earnings_type": "01", "wage_period": "2004-09", "from": "2004-09-01", "to": "2004-09-30", "days": 25,
            "earnings": "1000.00", "contributions": "440.60", "employer_subsidy": "0.00", "employee_subsidy": "0.00",
            **changes}


def apd_file(tmp_path, name: str, **changes) -> str:
    content = {"apd_id": "A-2004-09", "employer_afm": EMPLOYER, "legal_form": "010", "public_like": False,
               "submitted_on": "2004-10-15",
               "records": [record("1"), record("2", amka="02027012349", insured_since="1995-03-01",
                                               contributions="0.00")], **changes}
    path = tmp_path / name
    path.write_text(json.dumps(content, ensure_ascii=False))
    return str(path)


@pytest.fixture
def cli(sqlite_url, capsys):
    run = cli_runner(sqlite_url, capsys)
    run("debtor", "add", EMPLOYER, "--name", "Άλφα ΑΕ", "--date", "2004-10-01")
    return run


def test_an_apd_is_submitted_corrected_finalised_and_assessed(cli, tmp_path):
    shown = cli("apd", "submit", apd_file(tmp_path, "a.json"), "--date", "2004-10-15", "--json")
    assert (shown["status"], [(r["record"], r["codes"]) for r in shown["records"]]) == (
        "pending", [("1", []), ("2", [82, 141])])
    assert shown["cycle"] == {"name": "2007", "first_period": "2002-01", "last_period": "2007-03",
                              "deadline": "2007-09-15", "open": True, "wrong_limit": 200}
    correction = tmp_path / "c.json"
    correction.write_text(json.dumps({"records": [record("2", amka="02027012349", insured_since="1995-03-01")]}))
    corrected = cli("apd", "correct", "A-2004-09", str(correction), "--date", "2004-10-18", "--json")
    assert (corrected["status"], corrected["records"][1]["version"], corrected["cycle"]) == ("ready", 2, None)
    finalised = cli("apd", "finalise", "A-2004-09", "--date", "2004-10-20", "--json")
    assert finalised["assessed"] == [{"item_id": "IKA:A-2004-09:2004-09", "period": "2004-09",
                                      "kind": "contribution", "amount": "881.20", "due_date": "2004-10-29"}]
    table = cli("show", "debt-table", EMPLOYER, "--as-of", "2004-10-20", "--json")
    assert [(i["apd_id"], i["amount"]) for i in table["items"]] == [("A-2004-09", "881.20")]
    assert cli("show", "apd", "A-2004-09", "--json")["status"] == "finalised"
    assert [e["type"] for e in cli("audit", "A-2004-09", "--json")] == ["Submitted", "Corrected", "Finalised"]


def test_the_same_file_again_changes_nothing_and_other_content_exits_2(cli, tmp_path, sqlite_url, capsys):
    cli("apd", "submit", apd_file(tmp_path, "a.json"), "--date", "2004-10-15")
    before = stored_events(sqlite_url)
    cli("apd", "submit", apd_file(tmp_path, "a.json"), "--date", "2004-10-15")
    assert stored_events(sqlite_url) == before
    status, _, err = run_cli(sqlite_url, "apd", "submit", apd_file(tmp_path, "b.json", legal_form="020"),
                             capsys=capsys)
    assert (status, err.strip()) == (2, "error: apd_id: ΑΠΔ A-2004-09 was already recorded with other content (D4)")
    assert stored_events(sqlite_url) == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"employer_afm": "100000052"}, "employer_afm"),  # not a registered debtor
    ({"employer_afm": "100000004"}, "employer_afm"),  # its check digit wrong (D1)
    ({"records": [record("1", amka="01016512345")]}, "records[record=1].amka"),  # its check digit wrong (D1)
    ({"records": []}, "records"),
    ({"records": [{k: v for k, v in record("1").items() if k != "days"}]}, "records.0.days"),
    ({"records": [record("1", earnings="12,50")]}, "records.0.earnings"),
    ({"records": [record("1", contributions="-1.00")]}, "records.0.contributions"),
    ({"records": [record("1", wage_period="2004-13")]}, "records.0.wage_period"),
    ({"records": [record("1", package="1O1")]}, "records.0.package"),
    ({"records": [record("1"), record("1")]}, "records"),
    ({"records": [record("1", package="102")]}, "records[record=1].package"),  # no rate configured (K3)
    ({"records": [record("1", employee_subsidy="1.00")]}, "records[record=1].employee_subsidy"),  # no W (K13)
    ({"public_like": "no"}, "public_like"),
])
def test_bad_input_exits_2_naming_the_field_and_records_nothing(cli, tmp_path, sqlite_url, capsys, changes, field):
    before = stored_events(sqlite_url)
    status, _, err = run_cli(sqlite_url, "apd", "submit", apd_file(tmp_path, "bad.json", **changes), capsys=capsys)
    assert status == 2
    assert err.startswith(f"error: {field}: ") and len(err.strip().splitlines()) == 1
    assert stored_events(sqlite_url) == before


def test_a_malformed_file_and_an_unknown_apd_exit_2(cli, tmp_path, sqlite_url, capsys):
    broken = tmp_path / "broken.json"
    broken.write_text('{"apd_id": "A-1", ')
    status, _, err = run_cli(sqlite_url, "apd", "submit", str(broken), capsys=capsys)
    assert status == 2 and "not valid JSON" in err
    status, _, err = run_cli(sqlite_url, "show", "apd", "A-9", capsys=capsys)
    assert (status, err.strip()) == (2, "error: APD_ID: no ΑΠΔ A-9")
    status, _, err = run_cli(sqlite_url, "apd", "finalise", "A-9", "--override", "1", capsys=capsys)
    assert (status, err.strip()) == (2, "error: --override: '1' is not RECORD:FORM_REF")


def test_the_readable_output_shows_the_wrong_records_and_their_codes(cli, tmp_path, sqlite_url, capsys):
    status, out, _ = run_cli(sqlite_url, "apd", "submit", apd_file(tmp_path, "a.json"), "--date", "2004-10-15",
                             capsys=capsys)
    assert status == 0
    assert "A-2004-09" in out and "82, 141" in out and "02027012349" in out
