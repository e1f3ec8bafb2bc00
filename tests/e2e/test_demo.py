"""The main job: `ledger demo` builds the same realistic ledger every run, and
prints the same Greek report (a snapshot); piped at 80 columns, no view cuts a
reference or an amount (issue 14).

To refresh the snapshot after a deliberate change of the report:
``LEDGER_UPDATE_SNAPSHOTS=1 python -m pytest tests/e2e/test_demo.py``, then read the diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledger import audit_views, views
from ledger.application import Ledger
from ledger.demo import Scenario, report_afms
from ledger.entrypoints.labels import MONEY
from ledger.entrypoints.queries_cli import ARRANGEMENT_COLUMNS
from ledger.i18n import money
from projections.queries import DEBTOR_COLUMNS
from tests.cli_helpers import run_cli

LEDGER = str(Path(sys.executable).with_name("ledger"))
SNAPSHOT = Path(__file__).with_name("snapshots") / "demo.el.txt"
# Whoever runs the tests, the audit trail names the same actor.
PIPED_80 = {"COLUMNS": "80", "LEDGER_LANG": "el", "LEDGER_USER": "demo.operator"}
WHOLE = ("payment_code", "reference", "tx_id", "afm", "identity_code", "target", "correction_id", "transfer_id")


def piped(url: str, *args: str, **env: str) -> str:
    done = subprocess.run([LEDGER, "--db", url, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **PIPED_80, **env})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[str, str]:
    """The demo ledger and its report, piped at 80 columns."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    return url, piped(url, "demo")


def test_demo_builds_the_ledger_and_prints_the_report(demo):
    url, report = demo
    assert "Ασφαλιστικές ενημερότητες" in report and "Λογαριασμός εκκρεμοτήτων" in report
    assert "Ιστορικό συμβάντων" in report

    ledger = Ledger(url)
    scenario = Scenario()
    scenario.build()
    afm = {(p.scheme, p.behaviour): p.afm for p in scenario.plans}
    assert ledger.business_date() == date(2022, 12, 31)

    def arrangement(story):
        return ledger.arrangements_of(ledger.debtor(afm[story]))[0]

    # ND10 a: the 2020-08 contribution due 2020-09-30 was paid late: lost the next day.
    lost_current = arrangement(("disaster", "lost-current"))
    assert lost_current.facts["lost"]["business_date"] == date(2020, 10, 1)
    # C8: instalments 3 and 4 unpaid, lost the day after the fourth deadline (2022-03-31).
    assert arrangement(("covid-650", "lost")).facts["lost"]["business_date"] == date(2022, 4, 1)
    # C6: instalment 1 unpaid by 2022-01-31, the application lapses on 2022-02-01.
    assert arrangement(("covid-650", "lapsed")).facts["lapsed"]["business_date"] == date(2022, 2, 1)
    # C7: early payoff of the remaining capital.
    assert views.arrangement_view(ledger, arrangement(("covid-650", "payoff")).payment_code)["status"] == "completed"
    # P5: the five unroutable payments are in suspense, each with its reason.
    reasons = " | ".join(entry["reason"] for entry in views.suspense(ledger))
    assert len(views.suspense(ledger)) == 5
    for reason in ("names no arrangement", "not a valid RF reference", "owes nothing outside arrangements",
                   "is not more than zero", "'USD' is not EUR"):
        assert reason in reasons
    assert views.clearance(ledger, afm[(None, "clear")])["basis"] == "no_debt"
    # §14: a refund and an assignment by the operator (O1, O2), a recall (O3), a correction (O4)
    resolved = {e["tx_id"]: e for e in views.suspense(ledger, resolved=True) if e["resolution"]}
    assert {tx: (e["resolution"], e["target"], e["actor"], e["resolved_on"]) for tx, e in resolved.items()} == {
        "OPS-1": ("refunded", None, "m.papadaki@keao.gr", date(2022, 5, 20)),
        "OPS-2": ("assigned", afm[(None, "debt")], "m.papadaki@keao.gr", date(2022, 9, 12))}
    debt = afm[(None, "debt")]
    assert [e["type"] for e in audit_views.audit(ledger, debt)].count("DebtPaymentRecalled") == 1
    first = views.debt_table(ledger, debt)["items"][0]
    assert (first["period"], first["amount"], first["outstanding"], first["status"]) == (
        "2021-05", Decimal("150.00"), Decimal("0.00"), "paid")


def test_the_demo_prints_the_same_greek_report_every_run(demo):
    url, report = demo
    report = report.replace(url, "sqlite:///demo.db")
    assert not [line for line in report.splitlines() if "Decimal(" in line or "datetime." in line]
    if os.environ.get("LEDGER_UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(report, encoding="utf-8")
    assert report == SNAPSHOT.read_text(encoding="utf-8")


def figures(data) -> set[str]:
    """Every reference and amount of a view's JSON, as the Greek table writes it."""
    found = set()
    if isinstance(data, list):
        for value in data:
            found |= figures(value)
    elif isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, (dict, list)):
                found |= figures(value)
            elif value is not None and key in MONEY:
                found.add(money(Decimal(value)))
            elif value is not None and key in WHOLE:
                found.add(value)
    return found


def show_commands(url: str) -> list[tuple[str, ...]]:
    scenario = Scenario()
    scenario.build()
    shown = report_afms(scenario)
    ledger = Ledger(url)
    try:
        codes = [a.payment_code for afm in shown["debt_tables"] + shown["audit"]
                 for a in ledger.arrangements_of(ledger.debtor(afm))]
    finally:
        ledger.close()
    return [*(("show", "debt-table", afm) for afm in shown["debt_tables"]),
            *(("show", "arrangement", code) for code in codes),
            *(("show", "clearance", afm) for afm in shown["clearances"]),
            ("show", "suspense"), ("show", "suspense", "--all"), ("show", "corrections"), ("summary",)]


def test_piped_at_80_columns_no_view_cuts_a_reference_or_an_amount(demo, capsys, monkeypatch):
    url, _ = demo
    monkeypatch.setenv("LEDGER_LANG", "el")
    for args in show_commands(url):
        status, out, err = run_cli(url, *args, "--json", capsys=capsys)
        assert status == 0, err
        text = piped(url, *args)
        assert "…" not in text, args
        assert {figure for figure in figures(json.loads(out)) if figure not in text} == set(), args


def test_the_audit_piped_at_80_columns_shows_every_event_and_value_whole(demo, capsys):
    url, _ = demo
    code = "RF48A650100000052001"  # the lost covid-650 arrangement the report audits
    status, out, err = run_cli(url, "audit", code, "--json", capsys=capsys)
    text = piped(url, "audit", code)
    entries = json.loads(out)
    assert len(entries) == 26 and "…" not in text
    for entry in entries:
        assert f"│ {entry['position']} " in text and entry["type"] in text
        for key, value in entry["payload"].items():
            shown = json.dumps(value, ensure_ascii=False)
            assert " " in shown or key in ("key", "actor") or shown in text, (entry["type"], shown)


def test_english_by_choice(demo):
    url, _ = demo
    out = piped(url, "show", "debt-table", "400000049", LEDGER_LANG="en")
    assert out.splitlines()[0] == ("400000049 Γεωργίου ΟΕ  service Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Θεσσαλονίκης  as of 2022-12-31  "
                                   "total outstanding €1,107.44  enforcement allowed  identity code RF18D400000049")
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    assert ["OAEE", "2021-05", "contribution", "2021-05-31", "€200.73", "€25.84", "€0.00", "€0.00", "€226.57",
            "overdue", ""] in rows
    totals = next(row for row in rows if row[0] == "total")  # the items' last row; the notices' table follows
    assert totals[8] == "€1,107.44"  # V1: the outstanding column adds up to the total


def test_the_operators_questions_on_the_demo(demo, capsys):
    """§1.7 on the demo ledger: the summary adds up the debt tables and the suspense
    account; a search ignores accents and case; the arrangements lost, with the day."""
    url, report = demo

    def answer(*args):
        status, out, err = run_cli(url, *args, "--json", capsys=capsys)
        assert status == 0, err
        return json.loads(out)

    ledger = Ledger(url)
    try:
        afms = [ledger.repository.get(n.originator_id).afm for n in ledger.notifications(["keao:Debtor.Registered"])]
        owed = sum((views.debt_table(ledger, afm)["total_outstanding"] for afm in afms), Decimal("0.00"))
        not_clear = sum(not views.clearance(ledger, afm)["clear"] for afm in afms)
    finally:
        ledger.close()
    summary = answer("summary")
    assert summary["debtors"] == {"count": len(afms), "not_clear": not_clear, "total_outstanding": str(owed)}
    # P5: the 40.00 USD payment is counted apart from the EUR total
    assert summary["suspense"] == {"items": 5, "amount": "266.00", "not_in_euro": 1}
    assert summary["as_of"] == "2022-12-31"
    assert "Λογαριασμός εκκρεμοτήτων: 5" in report.splitlines()[-2]  # the demo ends with the summary
    found = answer("debtor", "search", "ΠΑΠΑΔΟΠΟΥΛΟΣ αε")
    assert [(r["afm"], r["name"]) for r in found] == [(afm, "Παπαδόπουλος ΑΕ") for afm in
                                                     ("100000015", "200000018", "400000037")]
    lost = answer("arrangement", "list", "--status", "lost", "--since", "2022-01-01")
    # C8: the covid-650 one lost on 2022-04-01 (above); ND10 a's of 2020-10-01 falls before --since
    assert [(a["payment_code"], a["status_since"]) for a in lost] == [
        ("RF48A650100000052001", "2022-04-01"), ("RF94A4152200000031001", "2022-07-01")]
    # piped at 80 columns, the lists show every reference and amount of their columns whole
    for args, columns in ((("debtor", "list"), DEBTOR_COLUMNS), (("debtor", "search", "παπα"), DEBTOR_COLUMNS),
                          (("arrangement", "list"), ARRANGEMENT_COLUMNS)):
        shown = [{k: row[k] for k in columns} for row in answer(*args)]
        text = piped(url, *args)
        assert {figure for figure in figures(shown) if figure not in text} == set(), args
    status, _, err = run_cli(url, "debtor", "list", "--clear", "maybe", capsys=capsys)
    assert (status, err.strip()) == (2, "error: --clear: must be yes or no, not 'maybe'")
