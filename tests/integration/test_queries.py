"""The operators' questions (interfaces §1.7) on both stores: the lists agree with
the debt tables and clearances (V1, V2) day after day, though a refresh computes
only the debtors an event or the calendar moved (``aggregates.horizon``); search
ignores accents and case; the filters, pages and the summary."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from aggregates.money import ZERO
from aggregates.references import debtor_identity_code
from ledger import views
from ledger.application import Ledger
from ledger.errors import BadInput
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from projections import figures, queries
from projections.runner import Runner
from tests.integration.helpers import AFM, AFM2, AFM3, UNIT, d, debtor, m, pay, transfer
from tests.integration.test_debt_table_properties import START, build, ledgers

ATHENS, PATRAS = "Α΄ Τοπικό Κέντρο Αθηνών", "Τοπικό Κέντρο Πάτρας"


def small_ledger(ledger: Ledger) -> str:
    """Four debtors on 2022-01-10: one in a standing arrangement of 12 whose first
    instalment it paid; one owing an OGA item overdue since 2021-11-30; a head
    office owing nothing, with a unit owing 200.00 overdue (004 §4)."""
    close_day(ledger, d("2022-01-10"))
    debtor(ledger, AFM, "Παπαδόπουλος Α.Ε.", service=ATHENS)
    debtor(ledger, AFM2, "Ελένη Χαϊδεμένου", service=PATRAS)
    debtor(ledger, AFM3, "ΧΑΪΔΕΜΕΝΟΥ Ο.Ε.", service=PATRAS)
    debtor(ledger, UNIT, "Χαϊδεμένου Ο.Ε. (Πάτρα)", service=PATRAS, parent_afm=AFM3)
    transfer(ledger, AFM, "1200.00", "2021-10-31", "2021-09", "T-A1")
    transfer(ledger, AFM2, "300.00", "2021-11-30", "2021-10", "T-B1", fund="OGA")
    transfer(ledger, UNIT, "200.00", "2021-11-30", "2021-10", "T-U1")
    code = apply_for_arrangement(ledger, AFM, "standing", d("2022-01-10"), 12).payment_code
    first = views.arrangement_view(ledger, code)["instalments"][0]
    pay(ledger, code, str(first["amount"]), "2022-01-12", "P1")
    return code


def agree(ledger: Ledger, runner: Runner, day: date) -> int:
    """Refresh for ``day`` (closed already) and compare every debtor's figures with
    the views replayed from the events; returns how many debtors the refresh computed."""
    runner.catch_up()
    computed = figures.refresh(runner)
    with queries.answering(runner) as reader:
        listed = {row["afm"]: row for row in queries.debtor_list(reader).rows}
        arranged = {s["id"]: s for s in queries.arrangement_list(reader).rows}
    for afm, row in listed.items():
        assert row["total_outstanding"] == views.debt_table(ledger, afm, day)["total_outstanding"], (afm, day)
        assert row["clear"] == views.clearance(ledger, afm, day)["clear"], (afm, day)
        for summary in views.debtor_figures(ledger, afm, day)["arrangements"]:
            assert arranged.pop(summary["id"]) == summary, (afm, day)
    assert arranged == {}
    return computed


def test_the_lists_agree_with_the_views_day_after_day_computing_only_what_moved(ledger):
    code = small_ledger(ledger)
    runner = Runner(ledger, ledger.db_url)
    assert agree(ledger, runner, d("2022-01-10")) == 4
    assert figures.refresh(runner) == 0  # nothing new: nothing computed
    close_day(ledger, d("2022-01-11"))
    # No figure moves on 2022-01-11: the arrangement's next step is its first payment, valued
    # 2022-01-12 (P3); the others' next change, their next month of delay (L1) on 2022-02-01.
    # But the close's first notices' pass invites the three debtors owing overdue items (N2;
    # the applicant's, its arrangement not running before its first payment [P]): they, and
    # the unit's head office (004 §4), are computed again.
    assert agree(ledger, runner, d("2022-01-11")) == 4
    assert figures.refresh(runner) == 0
    pay(ledger, debtor_identity_code(UNIT), "250.00", "2022-01-11", "P2")  # the unit pays all it owes
    close_day(ledger, d("2022-01-12"))
    assert agree(ledger, runner, d("2022-01-12")) == 3  # the unit, its head office (004 §4), the arrangement's
    day = d("2022-01-12")
    while day < d("2023-03-01"):
        day += timedelta(days=9)
        close_day(ledger, day)
        agree(ledger, runner, day)
    with queries.answering(runner) as reader:
        [lost] = queries.arrangement_list(reader, status="lost").rows
    # S1/C8: it paid nothing after the first; lost the day after the second unpaid one fell due (2022-03-31)
    assert (lost["payment_code"], lost["debtor_afm"], lost["status_since"]) == (code, AFM, d("2022-04-01"))


def test_search_ignores_accents_and_case_or_takes_an_afm_prefix(ledger):
    small_ledger(ledger)
    runner = Runner(ledger, ledger.db_url)
    with queries.answering(runner) as reader:
        assert [r["afm"] for r in queries.debtor_search(reader, "χαιδεμενου").rows] == [AFM2, AFM3, UNIT]
        assert [r["afm"] for r in queries.debtor_search(reader, "  ΠΑΠΑΔΌΠΟΥΛΟΣ  ").rows] == [AFM]
        assert [r["afm"] for r in queries.debtor_search(reader, "100%").rows] == []  # a wildcard is a character
        assert [r["afm"] for r in queries.debtor_search(reader, AFM[:8]).rows] == [AFM]
        assert [r["afm"] for r in queries.debtor_search(reader, "1000000").rows] == [AFM, AFM2, AFM3, UNIT]
        for text, field in (("   ", "TEXT"), ("1234567890", "TEXT")):
            with pytest.raises(BadInput) as error:
                queries.debtor_search(reader, text)
            assert error.value.field == field


def test_the_filters_pages_and_summary(ledger, monkeypatch):
    code = small_ledger(ledger)
    close_day(ledger, d("2022-01-31"))
    runner = Runner(ledger, ledger.db_url)
    with queries.answering(runner) as reader:
        not_clear = queries.debtor_list(reader, clear=False)
        assert [(r["afm"], r["total_outstanding"]) for r in not_clear.rows] == [
            (AFM2, m("300.00") + views.debt_table(ledger, AFM2)["totals"]["surcharges"]),
            (AFM3, ZERO),  # its unit is not clear (004 §4)
            (UNIT, m("200.00") + views.debt_table(ledger, UNIT)["totals"]["surcharges"]),
        ]
        assert [r["afm"] for r in queries.debtor_list(reader, fund="OGA").rows] == [AFM2]
        assert [r["afm"] for r in queries.debtor_list(reader, service=ATHENS, clear=True).rows] == [AFM]
        active = queries.arrangement_list(reader, status="active", since=d("2022-01-12"), until=d("2022-01-12"))
        assert [(s["payment_code"], s["status_since"]) for s in active.rows] == [(code, d("2022-01-12"))]
        assert queries.arrangement_list(reader, status="active", since=d("2022-01-13")).rows == []
        with pytest.raises(BadInput) as error:
            queries.arrangement_list(reader, status="kept")
        assert error.value.field == "--status"
        monkeypatch.setattr(queries, "PAGE", 3)
        second = queries.debtor_list(reader, page=2)
        assert (second.page, second.pages, second.count, [r["afm"] for r in second.rows]) == (2, 2, 4, [UNIT])
        answer = queries.summary(reader)
    table = views.debt_table(ledger, AFM)
    assert answer["debtors"] == {"count": 4, "not_clear": 3,
                                 "total_outstanding": sum((r["total_outstanding"] for r in not_clear.rows),
                                                          table["total_outstanding"])}
    assert [(e["service"], e["debtors"], e["not_clear"]) for e in answer["by_service"]] == [
        (ATHENS, 1, 0), (PATRAS, 3, 3)]
    assert answer["arrangements_by_status"] == [{"status": "active", "count": 1,
                                                  "remaining_balance": table["arrangements"][0]["remaining_balance"]}]
    assert answer["suspense"] == {"items": 0, "amount": ZERO, "not_in_euro": 0}


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=ledgers)
def test_for_any_ledger_the_refreshed_figures_are_the_views(case):
    """The refresh's shortcut (only what an event or the calendar moved) against
    the plain answer (every debtor computed by the views) on every closed day."""
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'ledger.db'}"
        ledger = Ledger(url)
        try:
            build(ledger, {**case, "as_of": [START]})
            runner = Runner(ledger, url)
            # the generated days, and every 23rd day to the last, so that a day falls
            # short of each month of delay and of each instalment's deadline, and one past
            stepped = {START + timedelta(days=n) for n in range(0, (max(case["as_of"]) - START).days, 23)}
            for day in sorted(stepped | set(case["as_of"])):
                if day > ledger.business_date():
                    close_day(ledger, day)
                    agree(ledger, runner, day)
        finally:
            ledger.close()


def standing(figures_of: dict) -> dict:
    return {k: v for k, v in figures_of.items() if k != "changes_on"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=ledgers)
def test_until_the_day_the_horizon_names_the_figures_stand(case):
    """``aggregates.horizon`` against the plain answer: on every 11th day from START to
    two months past the generated days, the views give the same figures on the day
    before their ``changes_on`` and halfway there as on the day itself (a change
    missed would mostly persist: a status, arrears, a month of surcharges)."""
    with tempfile.TemporaryDirectory() as scratch:
        ledger = Ledger(f"sqlite:///{Path(scratch) / 'ledger.db'}")
        try:
            build(ledger, case)
            day = START
            while day < max(case["as_of"]) + timedelta(days=60):
                found = views.debtor_figures(ledger, AFM, day)
                if found["changes_on"] is not None:
                    before = found["changes_on"] - timedelta(days=1)
                    for later in {day + (before - day) / 2, before} - {day}:
                        assert standing(views.debtor_figures(ledger, AFM, later)) == standing(found), (day, later)
                day += timedelta(days=11)
        finally:
            ledger.close()
