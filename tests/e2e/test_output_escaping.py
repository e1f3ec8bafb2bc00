"""Stored text is printed as text (issue 12, findings 2 and 9, display half).

What a bank, a fund or an operator sent is printed literally: rich markup in it
(``[/x]``) is never interpreted, so no reader of that data meets a MarkupError;
control, bidirectional and zero-width characters that an older ledger stored
are shown escaped (``\\x1b``, ``\\u202e``), so a terminal never executes or
reorders them. ``--json`` is unchanged.
"""

from __future__ import annotations

import json

import pytest

from aggregates.debtor import Debtor
from ledger.application import Ledger
from ledger.handlers.debtors import register_debtor
from ledger.unit_of_work import UnitOfWork
from tests.cli_helpers import run_cli, stored_events

AFM, OTHER_AFM, HOSTILE_AFM = "100000003", "100000039", "100000015"
NAME = "Παπαδόπουλος [/x] [bold]ΑΕ"
SERVICE = "ΠΥ [/x] Αθηνών"
AREA = "Ρόδος [/x]"
TX_SUSPENDED, TX_PAID, BANK = "TX-[/x]", "TX-[/x]-1", "ETE[/x]"
UNROUTABLE = "RF[/x]"
# Registered; Received and Suspended; Received and the arrangement's Paid.
EVENTS_OF_DEBTOR_AND_TWO_PAYMENTS = 5
HOSTILE_NAME = "Κακός \x1b[31m κόκκινος \u202e ανάποδα \u200b τέλος"
HOSTILE_SHOWN = r"Κακός \x1b[31m κόκκινος \u202e ανάποδα \u200b τέλος"


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch) -> None:
    """Wide enough that no table cell wraps the text the tests look for; in Greek."""
    monkeypatch.setenv("COLUMNS", "400")
    monkeypatch.setenv("LEDGER_LANG", "el")


def ok(db_url: str, *args: str, capsys) -> str:
    status, out, err = run_cli(db_url, *args, capsys=capsys)
    assert (status, err) == (0, ""), f"{args}: exit {status}\n{err}"
    return out



@pytest.fixture
def marked_up(db_url: str, capsys) -> dict[str, str]:
    """A ledger whose debtor, debt, rejected arrangement and payments hold rich
    markup in every free-text field the inputs accept; the payment codes. Recorded
    without printing them (the handler, ``--json``), so that each view's test
    meets only its own output."""
    ok(db_url, "day", "close", "2021-12-01", capsys=capsys)
    ledger = Ledger(db_url)
    try:
        register_debtor(ledger, AFM, NAME, service=SERVICE)
    finally:
        ledger.close()
    ok(db_url, "debt", "transfer", AFM, "--fund", "OAEE", "--period", "2020-03", "--kind", "contribution",
       "--amount", "1200.00", "--due", "2020-04-30", "--transfer-id", "OAEE-[/x]", capsys=capsys)
    rejected = json.loads(ok(db_url, "arrangement", "apply", AFM, "--scheme", "disaster", "--date", "2021-12-01",
                             "--delimitation", "south-aegean-2019", "--area", AREA, "--disaster-date", "2019-11-05",
                             "--damage", "1000.00", "--certificate", "ΠΝΑ-1", "--json", capsys=capsys))
    applied = json.loads(ok(db_url, "arrangement", "apply", AFM, "--scheme", "covid-650", "--date", "2021-12-01",
                            "--instalments", "12", "--json", capsys=capsys))
    ok(db_url, "payment", "record", "--reference", UNROUTABLE, "--amount", "50.00", "--value-date", "2021-12-20",
       "--tx-id", TX_SUSPENDED, "--bank", "ETE", "--json", capsys=capsys)
    ok(db_url, "payment", "record", "--reference", applied["payment_code"], "--amount", "113.33",
       "--value-date", "2021-12-20", "--tx-id", TX_PAID, "--bank", BANK, "--json", capsys=capsys)
    return {"code": applied["payment_code"], "rejected_code": rejected["payment_code"]}


def test_commands_that_record_marked_up_text_print_it_literally(db_url, marked_up, capsys):
    before = stored_events(db_url)
    assert ok(db_url, "debtor", "add", OTHER_AFM, "--name", NAME, capsys=capsys) == (
        f"εγγράφηκε ο οφειλέτης {OTHER_AFM} {NAME}\n")
    assert ok(db_url, "payment", "record", "--reference", UNROUTABLE, "--amount", "5.00", "--value-date",
              "2021-12-20", "--tx-id", "TX-[/x]-2", capsys=capsys) == (
        "σε εκκρεμότητα: TX-[/x]-2 (μη έγκυρος κωδικός πληρωμής RF (Ο αριθμός έχει άκυρη μορφή.) (C10))\n")
    assert ok(db_url, "payment", "record", "--reference", marked_up["code"], "--amount", "5.00", "--value-date",
              "2021-12-20", "--tx-id", "TX-[/x]-3", capsys=capsys) == "πιστώθηκε: TX-[/x]-3\n"
    assert stored_events(db_url) == before + EVENTS_OF_DEBTOR_AND_TWO_PAYMENTS


def test_the_debt_table_prints_marked_up_name_and_service_literally(db_url, marked_up, capsys):
    out = ok(db_url, "show", "debt-table", AFM, capsys=capsys)
    assert out.splitlines()[0] == (f"{AFM} {NAME}  υπηρεσία {SERVICE}  στις 2021-12-01  "
                                   "συνολικό υπόλοιπο 1.360,00\xa0€  αναγκαστικά μέτρα: επιτρέπεται  κωδικός ταυτότητας RF61D100000003")
    assert "OAEE-[/x]" not in out  # the transfer id is not a column; the item is listed
    assert "│ OAEE   │ 2020-03  │ εισφορά │" in out


def test_the_suspense_table_prints_marked_up_tx_id_and_reference_literally(db_url, marked_up, capsys):
    out = ok(db_url, "show", "suspense", capsys=capsys)
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    assert rows == [[TX_SUSPENDED, "ETE", UNROUTABLE, "50,00\xa0€", "2021-12-20", "1",
                     "μη έγκυρος κωδικός πληρωμής RF (Ο αριθμός έχει άκυρη μορφή.) (C10)"]]


@pytest.mark.parametrize("of, shown", [
    ("debtor", f'"name": "{NAME}", "service": "{SERVICE}"'),
    ("arrangement", f'"tx_id": "{BANK}/{TX_PAID}"'),
])
def test_the_audit_prints_marked_up_payloads_literally(db_url, marked_up, capsys, of, shown):
    ident = AFM if of == "debtor" else marked_up["code"]
    out = ok(db_url, "audit", ident, capsys=capsys)
    assert f"Ιστορικό συμβάντων του {ident}" in out
    assert shown in out


def test_the_arrangement_prints_a_rejection_quoting_marked_up_text_literally(db_url, marked_up, capsys):
    out = ok(db_url, "show", "arrangement", marked_up["rejected_code"], capsys=capsys)
    assert f"απορρίφθηκε: η περιοχή '{AREA}' δεν ανήκει στην οριοθέτηση south-aegean-2019 (ND1)\n" in out
    assert out.startswith(f"{marked_up['rejected_code']}  disaster  οφειλέτης {AFM}  κατάσταση απορρίφθηκε  ")


def test_the_clearance_prints_its_verdict(db_url, marked_up, capsys):
    out = ok(db_url, "show", "clearance", AFM, capsys=capsys)
    assert out.splitlines()[0] == f"{AFM} στις 2021-12-01: μη ενήμερος"


def test_json_is_unchanged(db_url, marked_up, capsys):
    assert json.loads(ok(db_url, "show", "debt-table", AFM, "--json", capsys=capsys))["name"] == NAME
    suspense = json.loads(ok(db_url, "show", "suspense", "--json", capsys=capsys))
    assert [(e["tx_id"], e["reference"]) for e in suspense] == [(TX_SUSPENDED, UNROUTABLE)]


@pytest.fixture
def hostile(db_url: str, capsys) -> str:
    """A debtor whose name holds ESC, a right-to-left override and a zero-width
    space, stored through the domain as an older ledger did (no input checks)."""
    ok(db_url, "day", "close", "2021-12-01", capsys=capsys)
    ledger = Ledger(db_url)
    try:
        uow = UnitOfWork(ledger)
        uow.add(Debtor.register(HOSTILE_AFM, HOSTILE_NAME, uow.business_date(), service="ΠΥ\rΚΕΑΟ"))
        uow.commit()
        assert ledger.recorder.max_notification_id() == 2
    finally:
        ledger.close()
    return db_url


@pytest.mark.parametrize("args, shown", [
    (("show", "debt-table", HOSTILE_AFM), f"{HOSTILE_AFM} {HOSTILE_SHOWN}  υπηρεσία ΠΥ\\rΚΕΑΟ  στις 2021-12-01"),
    # JSON writes ESC and CR as its own escapes, the bidi and zero-width marks are escaped for the terminal
    (("audit", HOSTILE_AFM), '"name": "' + HOSTILE_SHOWN.replace("\\x1b", "\\u001b") + '", "service": "ΠΥ\\rΚΕΑΟ"'),
])
def test_stored_control_bidi_and_zero_width_characters_print_escaped(hostile, capsys, args, shown):
    out = ok(hostile, *args, capsys=capsys)
    assert shown in out
    assert not {"\x1b", "\r", "\u202e", "\u200b"} & set(out)


def test_json_keeps_stored_control_characters_as_json_escapes(hostile, capsys):
    out = ok(hostile, "show", "debt-table", HOSTILE_AFM, "--json", capsys=capsys)
    assert "\\u001b[31m" in out and "\x1b" not in out
    assert json.loads(out)["name"] == HOSTILE_NAME


def test_an_error_line_quoting_the_input_prints_it_escaped(db_url, capsys):
    """The one line of a refusal quotes what was typed: a terminal must not run it either."""
    assert run_cli(db_url, "audit", "\x1b[2J\u202eX", capsys=capsys) == (
        2, "", "error: id: no arrangement \\x1b[2J\\u202eX\n")
    assert stored_events(db_url) == 0
