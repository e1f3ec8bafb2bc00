"""The main job: `ledger demo` builds the same realistic ledger every run."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from ledger import views
from ledger.application import Ledger
from ledger.demo import Scenario

LEDGER = str(Path(sys.executable).with_name("ledger"))


def test_demo_builds_the_ledger_and_prints_the_report(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    done = subprocess.run([LEDGER, "--db", url, "demo"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "Clearances" in done.stdout and "Suspense account" in done.stdout and "Audit trail" in done.stdout

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
    assert [e["type"] for e in views.audit(ledger, debt)].count("DebtPaymentRecalled") == 1
    first = views.debt_table(ledger, debt)["items"][0]
    assert (first["period"], first["amount"], first["outstanding"], first["status"]) == (
        "2021-05", Decimal("150.00"), Decimal("0.00"), "paid")
