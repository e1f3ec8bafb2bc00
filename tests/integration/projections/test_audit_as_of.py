"""``ledger audit ID --as-of D``: the history as the ledger held it on business
date D (§14: the events that took effect by D and were recorded before the close
of day that moved the business date past D), from the audit projection, equal to
the replayed audit cut there (both stores)."""

from __future__ import annotations

import json
from datetime import date

from bench.history import generate
from ledger import audit_views
from ledger.application import Ledger
from projections import reader
from projections.reader import CALENDAR_TOPICS
from projections.runner import Runner
from tests.cli_helpers import run_cli


def cut(app: Ledger, entries: list[dict], day: date) -> list[dict]:
    closes = [n.id for n in app.notifications(CALENDAR_TOPICS)
              if app.mapper.to_domain_event(n).business_date > day]
    return [e for e in entries if (not closes or e["position"] < closes[0])
            and e["business_date"] is not None and e["business_date"] <= day]


def test_audit_as_of_a_date_is_the_history_held_then(db_url: str, capsys) -> None:
    app = Ledger(db_url)
    try:
        generate(app, seed=8, debtors=6, months=6)  # closes of day on the 4th of each month from 2021-01-04
        runner = Runner(app, db_url, batch_size=50)
        runner.catch_up()
        afms = [app.repository.get(n.originator_id).afm for n in app.notifications(["keao:Debtor.Registered"])]
        debtor = max(afms, key=lambda afm: len(app.debtor(afm).arrangement_ids))
        arrangement_ids = app.debtor(debtor).arrangement_ids
        assert arrangement_ids, "the generated history has a debtor with arrangements"
        full = audit_views.audit(app, debtor)
        assert reader.audit(runner, debtor) == full
        days = sorted({e["business_date"] for e in full})
        checked = 0
        for day in (days[0], days[len(days) // 2], date(2021, 3, 31), days[-1], date(2030, 1, 1)):
            expected = cut(app, full, day)
            assert reader.audit(runner, debtor, day) == expected, day
            for arrangement_id in arrangement_ids:
                assert reader.audit(runner, arrangement_id, day) == cut(app, audit_views.audit(app, arrangement_id), day)
            checked += 0 < len(expected) < len(full)
        assert checked >= 2  # some dates cut the history somewhere in the middle
        assert reader.audit(runner, debtor, date(2020, 12, 31)) == []  # before anything was recorded
        assert reader.audit(runner, debtor, date(2030, 1, 1)) == full

        middle = days[len(days) // 2]
        status, out, err = run_cli(db_url, "audit", debtor, "--as-of", middle.isoformat(), "--json", capsys=capsys)
        assert status == 0, err
        shown = json.loads(out)
        assert [e["position"] for e in shown] == [e["position"] for e in cut(app, full, middle)]
        assert all(e["business_date"] <= middle.isoformat() for e in shown)
        status, out, err = run_cli(db_url, "audit", debtor, "--as-of", middle.isoformat(), capsys=capsys)
        assert status == 0 and f"στις {middle}" in out, err
        status, out, err = run_cli(db_url, "audit", debtor, "--as-of", "2021-13-01", capsys=capsys)
        assert status == 2 and "--as-of" in err and len(err.strip().splitlines()) == 1
    finally:
        app.close()
