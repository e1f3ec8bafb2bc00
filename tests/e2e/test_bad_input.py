"""Issue 12, strict inputs: nothing a command or a file line holds can stop the
ledger, and every refusal is one line ``error: <field>: <reason>``, exit 2, the
ledger unchanged. Findings 1 (NUL and control characters), 3 (dates out of range),
5 (amounts, dates, periods and identifiers parsed strictly) and 9 (text limits,
Unicode). On both stores (``db_url``)."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest

from aggregates.references import arrangement_payment_code, debtor_identity_code
from tests.cli_helpers import run_cli, stored_events

AFM, AFM2 = "100000003", "100000015"
CODE = arrangement_payment_code("650", AFM, 1)
DATES = "is outside the plausible dates 1990-01-01 to 2099-12-31"
TRANSFER = ["--fund", "OAEE", "--period", "2020-03", "--kind", "contribution", "--amount", "1200.00",
            "--due", "2020-04-30"]
DISASTER = ["arrangement", "apply", AFM2, "--scheme", "disaster", "--date", "2021-12-01",
            "--delimitation", "south-aegean-2019", "--area", "Ιαλυσού", "--disaster-date", "2019-11-05",
            "--damage", "1000.00", "--certificate", "ΠΝΑ-1"]
VIEWS = [["show", "debt-table", AFM], ["show", "clearance", AFM], ["show", "suspense"],
         ["show", "arrangement", CODE], ["audit", AFM], ["audit", CODE]]



def ok(db_url: str, capsys, *args: str) -> str:
    status, out, err = run_cli(db_url, *args, capsys=capsys)
    assert (status, err) == (0, ""), args
    return out


@pytest.fixture
def db(db_url: str, capsys) -> str:
    """A ledger with a debtor, one item and an arrangement of it (``CODE``); a second debtor."""
    ok(db_url, capsys, "day", "close", "2021-12-01")
    ok(db_url, capsys, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.")
    ok(db_url, capsys, "debtor", "add", AFM2, "--name", "Γεωργίου Ι.")
    ok(db_url, capsys, "debt", "transfer", AFM, *TRANSFER, "--transfer-id", "OAEE-1")
    ok(db_url, capsys, "arrangement", "apply", AFM, "--scheme", "covid-650", "--date", "2021-12-01",
       "--instalments", "12")
    return db_url


def assert_refused(db_url: str, capsys, args: list[str], line: str) -> None:
    before = stored_events(db_url)
    status, out, err = run_cli(db_url, *args, capsys=capsys)
    assert (status, err) == (2, f"error: {line}\n")
    assert stored_events(db_url) == before


def assert_views_answer(db_url: str, capsys) -> None:
    """Every show command and audit answers, and the read models rebuild (its
    progress bar is on stderr)."""
    for args in VIEWS:
        status, out, err = run_cli(db_url, *args, capsys=capsys)
        assert (status, err) == (0, ""), (args, err)
    status, out, err = run_cli(db_url, "projections", "rebuild", capsys=capsys)
    assert (status, "error" in err) == (0, False), err


def lines(folder: Path, *messages: dict) -> str:
    path = folder / "messages.jsonl"
    path.write_text("".join(json.dumps(m) + "\n" for m in messages), encoding="utf-8")  # \u0000 escapes
    return str(path)


def payment(**change: str) -> dict:
    return {"tx_id": "TX-F", "bank": "ETE", "amount": "10.00", "currency": "EUR", "value_date": "2021-12-20",
            "reference": debtor_identity_code(AFM2), **change}


def transfer(debtor: dict | None = None, **item: str) -> dict:
    return {"transfer_id": "OGA-7", "fund": "OGA", "debtor": debtor or {"afm": AFM2, "name": "Γεωργίου Ι."},
            "items": [{"period": "2021-03", "kind": "contribution", "amount": "40.00", "due_date": "2021-04-30",
                       **item}],
            "sent_at": "2021-12-01T09:00:00+02:00"}


# -- finding 1: NUL and other control characters never reach the store ------------------


def test_a_payment_line_whose_reference_holds_nul_exits_2_and_every_view_answers(db, capsys, tmp_path):
    file = lines(tmp_path, payment(reference="RF\u0000"))
    assert_refused(db, capsys, ["payment", "import", file], "line 1: reference: contains a control character (U+0000)")
    assert_views_answer(db, capsys)


@pytest.mark.parametrize("message, line", [
    (payment(tx_id="TX\u0000"), "line 1: tx_id: contains a control character (U+0000)"),
    (payment(bank="E\u001bTE"), "line 1: bank: contains a control character (U+001B)"),
    (payment(payer_afm="\u0000"), "line 1: payer_afm: contains a control character (U+0000)"),
    (payment(currency="EU\u0085R"), "line 1: currency: contains a control character (U+0085)"),
])
def test_any_text_field_of_a_payment_line_with_a_control_character_exits_2(db, capsys, tmp_path, message, line):
    assert_refused(db, capsys, ["payment", "import", lines(tmp_path, message)], line)


@pytest.mark.parametrize("message, line", [
    (transfer({"afm": AFM2, "name": "Γεωργίου\u0000"}), "line 1: debtor.name: contains a control character (U+0000)"),
    ({**transfer(), "transfer_id": "OGA\u00007"}, "line 1: transfer_id: contains a control character (U+0000)"),
])
def test_a_transfer_line_with_a_control_character_exits_2(db, capsys, tmp_path, message, line):
    assert_refused(db, capsys, ["debt", "import", lines(tmp_path, message)], line)
    assert_views_answer(db, capsys)


@pytest.mark.parametrize("args, line", [
    (["debtor", "add", "100000027", "--name", "Παπα\x1b[2J"], "--name: contains a control character (U+001B)"),
    (["debtor", "add", "100000027", "--name", "Α\r\nΒ"], "--name: contains a control character (U+000D)"),
    (["debtor", "add", "100000027", "--name", "Α", "--service", "Αθηνών\n"],
     "--service: contains a control character (U+000A)"),
    (["debt", "transfer", AFM, *TRANSFER, "--transfer-id", "OAEE\x07"],
     "transfer_id: contains a control character (U+0007)"),
    (["payment", "record", "--reference", CODE + "\x1b", "--amount", "1", "--value-date", "2021-12-20",
      "--tx-id", "T"], "reference: contains a control character (U+001B)"),
    (["payment", "record", "--reference", CODE, "--amount", "1", "--value-date", "2021-12-20", "--tx-id", "T\x7f"],
     "tx_id: contains a control character (U+007F)"),
    (["payment", "record", "--reference", CODE, "--amount", "1", "--value-date", "2021-12-20", "--tx-id", "T",
      "--bank", "\x1bE"], "bank: contains a control character (U+001B)"),
    ([*DISASTER[:-1], "ΠΝΑ\x1b1"], "--certificate: contains a control character (U+001B)"),
])
def test_a_command_with_a_control_character_exits_2_naming_the_field(db, capsys, args, line):
    assert_refused(db, capsys, args, line)


# -- finding 3: dates out of the plausible range --------------------------------------------


@pytest.mark.parametrize("args, line", [
    (["debt", "transfer", AFM, *TRANSFER[:-1], "9999-12-31"], f"--due: 9999-12-31 {DATES}"),
    (["debt", "transfer", AFM, *TRANSFER[:-1], "0001-01-01"], f"--due: 0001-01-01 {DATES}"),
    (["debt", "transfer", AFM, *TRANSFER, "--date", "2100-01-01"], f"--date: 2100-01-01 {DATES}"),
    (["debtor", "add", "100000027", "--name", "Α", "--date", "1989-12-31"], f"--date: 1989-12-31 {DATES}"),
    (["day", "close", "9999-12-31"], f"date: 9999-12-31 {DATES}"),
    (["show", "debt-table", AFM, "--as-of", "9999-12-31"], f"--as-of: 9999-12-31 {DATES}"),
    (["show", "clearance", AFM, "--as-of", "9999-12-31"], f"--as-of: 9999-12-31 {DATES}"),
    (["show", "arrangement", CODE, "--as-of", "0001-01-01"], f"--as-of: 0001-01-01 {DATES}"),
    (["audit", AFM, "--as-of", "9999-12-31"], f"--as-of: 9999-12-31 {DATES}"),
    (["arrangement", "apply", AFM, "--scheme", "standing", "--date", "9999-12-31"], f"--date: 9999-12-31 {DATES}"),
    ([*DISASTER[:12], "0001-01-01", *DISASTER[13:]], f"--disaster-date: 0001-01-01 {DATES}"),
    ([*DISASTER[:14], "NaN", *DISASTER[15:]], "--damage: 'NaN' is not a decimal number"),
    ([*DISASTER[:14], "1e3", *DISASTER[15:]], "--damage: '1e3' is not a decimal number"),
    ([*DISASTER[:14], "10000000000.01", *DISASTER[15:]],
     "--damage: 10000000000.01 is more than the limit of 10000000000.00 EUR"),
])
def test_a_date_or_option_out_of_range_exits_2(db, capsys, args, line):
    assert_refused(db, capsys, args, line)


@pytest.mark.parametrize("value_date", ["9999-12-31", "0001-01-01"])
def test_a_payment_with_an_implausible_value_date_goes_to_suspense(db, capsys, value_date):
    before = ok(db, capsys, "show", "debt-table", AFM, "--json")
    count = stored_events(db)
    out = ok(db, capsys, "payment", "record", "--reference", CODE, "--amount", "113.33",
             "--value-date", value_date, "--tx-id", "TX-D", "--json")
    reason = f"value_date: {value_date} {DATES} (P5)"
    assert json.loads(out) == {"tx_id": "TX-D", "bank": "UNKNOWN", "status": "suspense", "target": None,
                               "reason": reason}
    assert stored_events(db) == count + 2  # Received, Suspended
    assert [(e["tx_id"], e["value_date"], e["reason"]) for e in json.loads(ok(db, capsys, "show", "suspense", "--json"))] \
        == [("TX-D", value_date, reason)]
    assert ok(db, capsys, "show", "debt-table", AFM, "--json") == before
    assert_views_answer(db, capsys)


def test_a_payment_line_with_an_implausible_value_date_goes_to_suspense(db, capsys, tmp_path):
    count = stored_events(db)
    out = ok(db, capsys, "payment", "import", lines(tmp_path, payment(value_date="9999-12-31")))
    assert out.endswith("σε εκκρεμότητα: 1\n")
    assert stored_events(db) == count + 2
    assert_views_answer(db, capsys)


def test_a_transfer_line_with_an_implausible_due_date_exits_2(db, capsys, tmp_path):
    assert_refused(db, capsys, ["debt", "import", lines(tmp_path, transfer(due_date="9999-12-31"))],
                   f"line 1: items.0.due_date: 9999-12-31 {DATES}")


# -- finding 5: amounts, dates, periods and identifiers parsed strictly ---------------------


@pytest.mark.parametrize("amount, line", [
    ("1e2", "--amount: '1e2' is not a decimal number"),
    ("1_000", "--amount: '1_000' is not a decimal number"),
    ("\u0661\u0662", "--amount: '١٢' is not a decimal number"),
    ("\uff11\uff12", "--amount: '１２' is not a decimal number"),
    ("Infinity", "--amount: 'Infinity' is not a decimal number"),
    ("12.345", "--amount: '12.345' has more than 2 decimals"),
    ("1" + "0" * 26, f"--amount: '1{'0' * 26}' has more than 15 digits before the decimal point"),
    ("10000000000.01", "--amount: 10000000000.01 is more than the limit of 10000000000.00 EUR"),
])
def test_a_debt_amount_out_of_form_or_bound_exits_2(db, capsys, amount, line):
    assert_refused(db, capsys, ["debt", "transfer", AFM, *TRANSFER[:7], amount, *TRANSFER[8:]], line)


@pytest.mark.parametrize("option, value, line", [
    ("--due", "20200430", "--due: '20200430' is not an ISO date YYYY-MM-DD"),
    ("--due", "2020W181", "--due: '2020W181' is not an ISO date YYYY-MM-DD"),
    ("--due", "\uff12\uff10\uff12\uff10-04-30", "--due: '２０２０-04-30' is not an ISO date YYYY-MM-DD"),
    ("--period", "\uff12\uff10\uff12\uff10-03", "items[1].period: '２０２０-03' is not a period YYYY-MM"),
    ("--period", "1900-03", "items[1].period: 1900-03 is outside the plausible periods 1990-01 to 2099-12"),
])
def test_dates_and_periods_are_ascii_iso_only(db, capsys, option, value, line):
    at = TRANSFER.index(option) + 1
    assert_refused(db, capsys, ["debt", "transfer", AFM, *TRANSFER[:at], value, *TRANSFER[at + 1:]], line)


def test_a_payment_amount_above_the_bound_goes_to_suspense_and_one_out_of_form_exits_2(db, capsys):
    count = stored_events(db)
    out = ok(db, capsys, "payment", "record", "--reference", CODE, "--amount", "100000000000.00",
             "--value-date", "2021-12-20", "--tx-id", "TX-BIG", "--json")
    assert json.loads(out)["reason"] == "amount: 100000000000.00 is more than the limit of 10000000000.00 EUR (P5)"
    assert stored_events(db) == count + 2
    assert_refused(db, capsys, ["payment", "record", "--reference", CODE, "--amount", "1" + "0" * 24,
                                "--value-date", "2021-12-20", "--tx-id", "TX-25"],
                   f"--amount: '1{'0' * 24}' has more than 15 digits before the decimal point")
    assert_refused(db, capsys, ["payment", "record", "--reference", CODE, "--amount", "1" + "0" * 26,
                                "--value-date", "2021-12-20", "--tx-id", "TX-27"],
                   f"--amount: '1{'0' * 26}' has more than 15 digits before the decimal point")
    assert_refused(db, capsys, ["payment", "record", "--reference", CODE, "--amount", "5",
                                "--value-date", "20211220", "--tx-id", "TX-D8"],
                   "--value-date: '20211220' is not an ISO date YYYY-MM-DD")


def test_an_all_zero_afm_and_a_bad_amka_check_digit_are_refused_in_commands_and_files(db, capsys, tmp_path):
    zeros = "not a valid ΑΦΜ (all zeros)"
    assert_refused(db, capsys, ["debtor", "add", "000000000", "--name", "Α"], f"afm: {zeros}")
    assert_refused(db, capsys, ["debt", "import", lines(tmp_path, transfer({"afm": "000000000", "name": "Α"}))],
                   f"line 1: afm: {zeros}")
    assert_refused(db, capsys, ["debtor", "add", "100000027", "--name", "Α", "--amka", "01013099998"],
                   "--amka: not a valid ΑΜΚΑ (The number's checksum or check digit is invalid.)")
    assert_refused(db, capsys,
                   ["debt", "import", lines(tmp_path, transfer({"afm": "100000027", "name": "Α", "amka": "01013099998"}))],
                   "line 1: amka: not a valid ΑΜΚΑ (The number's checksum or check digit is invalid.)")


# -- finding 9: text limits and Unicode --------------------------------------------------------


@pytest.mark.parametrize("args, line", [
    (["payment", "record", "--reference", CODE, "--amount", "1", "--value-date", "2021-12-20", "--tx-id", "X" * 100_000],
     "tx_id: is 100000 characters long, at most 64"),
    (["debtor", "add", "100000027", "--name", "Α" * 201], "--name: is 201 characters long, at most 200"),
    (["debtor", "add", "100000027", "--name", "\u202eΑΕ"], "--name: contains a bidirectional mark (U+202E)"),
    (["debtor", "add", "100000027", "--name", "Α\u2066Β"], "--name: contains a bidirectional mark (U+2066)"),
    (["debtor", "add", "100000027", "--name", "\u200b\u200d\ufeff"],
     "--name: has no visible character (only zero-width ones)"),
    (["debt", "transfer", AFM, *TRANSFER, "--transfer-id", "T" * 65], "transfer_id: is 65 characters long, at most 64"),
])
def test_text_over_its_limit_or_with_bidi_or_only_zero_width_characters_exits_2(db, capsys, args, line):
    assert_refused(db, capsys, args, line)


@pytest.mark.parametrize("message, line", [
    (payment(reference="RF" + "1" * 34), "line 1: reference: is 36 characters long, at most 35"),
    (transfer({"afm": AFM2, "name": "\u200f"}), "line 1: debtor.name: contains a bidirectional mark (U+200F)"),
])
def test_a_file_line_with_text_over_its_limit_or_bidi_exits_2(db, capsys, tmp_path, message, line):
    command = "payment" if "tx_id" in message else "debt"
    assert_refused(db, capsys, [command, "import", lines(tmp_path, message)], line)


def test_names_are_stored_in_nfc(db, capsys):
    decomposed = unicodedata.normalize("NFD", "Καλλιόπη Ανδρέου")
    ok(db, capsys, "debtor", "add", "100000027", "--name", decomposed)
    table = json.loads(ok(db, capsys, "show", "debt-table", "100000027", "--json"))
    assert (table["name"], decomposed != table["name"]) == ("Καλλιόπη Ανδρέου", True)
