"""Crypto-shredding (domain F3, interfaces §1.6): a debtor's name, ΑΜΚΑ and refund IBANs
are sealed under its key; ``ledger personal-data erase`` records the erasure and destroys
the key, and from then on every view, read model, audit trail, PDF and published message
reads ``[erased]`` while the figures stay; no table of the database, events, snapshots,
tracking and read models (after a rebuild too), holds the erased values in plain text."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from aggregates.debtor import ERASED, Debtor
from aggregates.names import search_key
from aggregates.references import debtor_identity_code
from consumers.publisher import event_message
from ledger import audit_views, views
from ledger.application import Ledger
from ledger.commands import PaymentInput
from ledger.handlers.credit import refund_credit
from ledger.handlers.payments import record_payment
from ledger.handlers.suspense import refund_payment
from ledger.store.urls import is_postgres, sqlite_path
from projections import reader
from projections.db import schema_of
from projections.runner import Runner
from tests.cli_helpers import run_cli, stored_events
from tests.conftest import POSTGRES_URL
from tests.integration.helpers import AFM, AFM2, d, debtor, m, pay, transfer

NAME = "Ζαχαρίου Ξενοφών"
AMKA = "02027012349"
IBAN = "GR1601101250000000012300695"  # the credit's refund
SUSPENSE_IBAN = "GR9608100010000001234567890"  # the refund of a payment in suspense it paid
KEPT = "Παπαδόπουλος Α.Ε."  # another debtor's name, never erased


def erased_debtor_ledger(db_url: str) -> Ledger:
    """A debtor with every kind of personal field: its registration (name, ΑΜΚΑ), a notice
    (N6, its name frozen in the content), a credit refund's IBAN, a refunded payment in
    suspense that named it as payer; and a snapshot of it."""
    ledger = Ledger(db_url)
    debtor(ledger, AFM, business_date=d("2021-12-01"))
    debtor(ledger, AFM2, name=NAME, amka=AMKA)
    transfer(ledger, AFM2, "100.00", "2021-12-31", "2021-11", "OAEE-1", on="2021-12-01")
    pay(ledger, debtor_identity_code(AFM2), "150.00", "2021-12-10", "TX-1")
    assert refund_credit(ledger, AFM2, "50.00", IBAN, "the debtor asked").status == "refunded"
    record_payment(ledger, PaymentInput("TX-S", m("20.00"), d("2021-12-11"), "RF00XXXX", "ETE", payer_afm=AFM2))
    assert refund_payment(ledger, "TX-S", "ETE", SUSPENSE_IBAN, "unknown reference").status == "refunded"
    ledger.take_snapshot(Debtor.create_id(AFM2))
    return ledger


def needles() -> list[str]:
    """The erased values as text, JSON-escaped (``\\u`` escapes) too, and the name's search key."""
    plain = [NAME, AMKA, IBAN, SUSPENSE_IBAN, search_key(NAME), NAME.upper()]
    return plain + [json.dumps(value)[1:-1] for value in plain if not value.isascii()]


def every_table(db_url: str) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """Each table of the ledger's database (its schema on PostgreSQL) with all its rows."""
    if is_postgres(db_url):
        schema = schema_of(db_url)
        with psycopg.connect(POSTGRES_URL) as connection:
            names = [r[0] for r in connection.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])]
            for name in names:
                yield name, connection.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall()
        return
    with sqlite3.connect(sqlite_path(db_url)) as connection:
        names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            yield name, connection.execute(f'SELECT * FROM "{name}"').fetchall()


def plaintext_found(db_url: str) -> list[str]:
    found = []
    tables = 0
    for table, rows in every_table(db_url):
        tables += 1
        for row in rows:
            for value in row:
                text = bytes(value).decode("utf-8", "replace") if isinstance(value, bytes | memoryview) else str(value)
                found += [f"{table}: {needle}" for needle in needles() if needle in text]
    assert tables > 20, tables  # events, snapshots, tracking, keys and the read models' tables
    return found


def figures(ledger: Ledger, runner: Runner) -> dict[str, Any]:
    table = views.debt_table(ledger, AFM2)
    read = reader.debt_table(runner, AFM2)
    return {"total": (table["total_outstanding"], table["credit"]), "read": (read["total_outstanding"], read["credit"]),
            "clearance": views.clearance(ledger, AFM2)["clear"],
            "audit": [(e["type"], e["payload"].get("amount")) for e in audit_views.audit(ledger, AFM2)]}


def test_F3_erasure_leaves_no_plaintext_anywhere_and_every_figure_as_it_was(db_url, capsys):
    ledger = erased_debtor_ledger(db_url)
    try:
        runner = Runner(ledger, db_url)
        runner.catch_up()
        before = figures(ledger, runner)
        assert views.debt_table(ledger, AFM2)["name"] == NAME
        assert runner.rebuild()  # the previous slot's tables, kept until the next rebuild, hold copies too
        assert plaintext_found(db_url)  # the read models hold copies until the erasure: the scan sees them
        head = stored_events(db_url)
        status, out, err = run_cli(db_url, "personal-data", "erase", AFM2, "--reason", "retention ended", "--json",
                                   capsys=capsys)
        assert status == 0, err
        assert json.loads(out) == {"afm": AFM2, "status": "erased", "keys_destroyed": 2, "reason": None}
        assert stored_events(db_url) == head + 1  # the erasure itself is an event
        assert plaintext_found(db_url) == []  # the command scrubbed the read models and dropped the old slot
    finally:
        ledger.close()
    ledger = Ledger(db_url)  # a process that never saw the keys
    try:
        runner = Runner(ledger, db_url)
        runner.catch_up()  # the read models scrub their copies on the erasure
        assert plaintext_found(db_url) == []
        assert figures(ledger, runner) == {**before, "audit": [*before["audit"], ("PersonalDataErased", None)]}
        assert runner.rebuild()
        assert plaintext_found(db_url) == []
        erased = [e for e in audit_views.audit(ledger, AFM2) if e["type"] == "PersonalDataErased"]
        assert [(e["payload"]["reason"], bool(e["payload"]["actor"])) for e in erased] == [("retention ended", True)]
        debtor_now = ledger.debtor(AFM2)
        assert (debtor_now.name, debtor_now.amka) == (ERASED, ERASED)
        assert ledger.debtor(AFM).name == KEPT
        registered = audit_views.audit(ledger, AFM2)[0]["payload"]
        assert (registered["name"], registered["amka"]) == (ERASED, ERASED)
        assert reader.debt_table(runner, AFM2)["name"] == ERASED
        assert [e["payload"]["name"] for e in reader.audit(runner, AFM2) if e["type"] == "Registered"] == [ERASED]
        assert {n["name"] for n in reader.notices_view(runner, AFM2)} == {ERASED}
        refunds = [event_message(ledger, n).payload for n in ledger.notifications()
                   if n.topic in ("keao:Debtor.CreditRefunded", "keao:BankPayment.RefundOrdered")]
        assert [p["iban"] for p in refunds] == [ERASED, ERASED]
        notices = [event_message(ledger, n).payload for n in ledger.notifications(topics=["keao:Notice.Issued"])
                   if n.originator_id in audit_views.audited_ids(ledger, AFM2)]
        assert notices and {p["content"]["name"] for p in notices} == {ERASED}
        # replay still works: the erased debtor gets a new debt and pays it
        transfer(ledger, AFM2, "30.00", "2022-01-31", "2021-12", "OAEE-2")
        assert pay(ledger, debtor_identity_code(AFM2), "30.00", "2022-01-10", "TX-2").status == "applied"
        assert views.debt_table(ledger, AFM2)["total_outstanding"] == m("0.00")
    finally:
        ledger.close()


def test_F3_erasing_twice_records_once_and_an_unknown_or_old_debtor_is_refused(db_url, capsys):
    ledger = erased_debtor_ledger(db_url)
    ledger.close()
    erase = ("personal-data", "erase", AFM2, "--reason", "court order", "--json")
    assert run_cli(db_url, *erase, capsys=capsys)[0] == 0
    head = stored_events(db_url)
    status, out, _ = run_cli(db_url, *erase, capsys=capsys)
    assert (status, json.loads(out)["status"], json.loads(out)["keys_destroyed"]) == (0, "duplicate", 0)
    assert stored_events(db_url) == head
    status, _, err = run_cli(db_url, "personal-data", "erase", "100000052", "--reason", "r", capsys=capsys)
    assert (status, err) == (2, "error: afm: no debtor 100000052\n")
    status, _, err = run_cli(db_url, "personal-data", "erase", AFM2, "--reason", " ", capsys=capsys)
    assert (status, err) == (2, "error: --reason: required and not blank\n")
    assert stored_events(db_url) == head


def test_F3_a_debtor_recorded_in_plain_text_is_not_erased_by_a_key(db_url, capsys, monkeypatch):
    """Events recorded before sealing (or with it off) hold the name in plain text: a
    destroyed key would not erase it, so the erasure is refused and nothing recorded."""
    monkeypatch.setenv("LEDGER_SEAL_PERSONAL_DATA", "off")
    ledger = Ledger(db_url)
    debtor(ledger, AFM2, name=NAME, business_date=d("2021-12-01"))
    ledger.close()
    monkeypatch.delenv("LEDGER_SEAL_PERSONAL_DATA")
    head = stored_events(db_url)
    status, _, err = run_cli(db_url, "personal-data", "erase", AFM2, "--reason", "r", capsys=capsys)
    assert status == 2 and err.startswith(f"error: AFM: debtor {AFM2} was registered before its personal data")
    assert stored_events(db_url) == head


def test_F3_the_employees_amka_of_an_apd_stay_readable_when_their_employer_is_erased():
    """The ΑΜΚΑ of an ΑΠΔ's records are the employees' (their insurance history, kept for
    their pensions), not the employer's: they are not sealed under the employer's key."""
    from ledger.store.personal_data import PERSONAL_FIELDS

    assert not any(topic.startswith(("keao:Declaration.", "keao:InsuranceMonth.")) for topic in PERSONAL_FIELDS)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_F3_the_printed_documents_show_erased(sqlite_url, capsys, tmp_path):
    ledger = erased_debtor_ledger(sqlite_url)
    number = next(iter(ledger.debtor(AFM2).notice_numbers))
    ledger.close()
    assert run_cli(sqlite_url, "personal-data", "erase", AFM2, "--reason", "r", capsys=capsys)[0] == 0
    for args, name in ((("show", "debt-table", AFM2, "--pdf"), "table.pdf"), (("notice", "pdf", number, "-o"),
                                                                               "notice.pdf")):
        path = tmp_path / name
        status, _, err = run_cli(sqlite_url, *args, str(path), capsys=capsys)
        assert status == 0, err
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        assert ERASED in text and NAME not in text and NAME.upper() not in text
