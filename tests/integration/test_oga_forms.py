"""Seed 004 in the store (SQLite and PostgreSQL): payment forms (G10), the H2-2011
deadline and the €15 rule (G12–G14, G16 (iii)), businesses with branches (G16), the
statement of part A from the read models against the same rows from the events (G17),
the unit kind (G19)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from aggregates.enforcement import INDIVIDUAL_NOTICE, notices_due
from aggregates.oga_statement import current_round
from aggregates.references import debtor_identity_code
from ledger import views
from ledger.application import Ledger
from ledger.commands import Outcome, PaymentInput, TransferInput, TransferItem
from ledger.errors import BadInput
from ledger.handlers.debtors import register_debtor
from ledger.handlers.payments import record_payment
from ledger.handlers.transfers import record_transfer
from ledger.oga_statement import employer_row, statement_json
from projections import oga_statement
from projections.runner import Runner
from tests.integration.helpers import AFM, AFM2, AFM3, UNIT, count, d, debtor, m

DEADLINE = "2012-06-29"  # of the H2-2011 contributions (G12)


def oga_item(ledger: Ledger, afm: str, amount: str, transfer_id: str, form: str = "640", due: str = DEADLINE) -> None:
    item = TransferItem("2011-12", "contribution", m(amount), d(due), form)
    assert record_transfer(ledger, TransferInput("OGA", afm, (item,), transfer_id=transfer_id,
                                                 business_date=d("2012-03-01"))).status == "recorded"


def paid(ledger: Ledger, afm: str, amount: str, value_date: str, tx_id: str, form: str | None = "640") -> Outcome:
    return record_payment(ledger, PaymentInput(tx_id, m(amount), d(value_date), debtor_identity_code(afm), "ATE",
                                               form=form))


def test_G10_a_639_payment_with_an_employer_s_identity_code_waits_in_suspense(ledger):
    debtor(ledger, AFM, business_date=d("2012-01-02"), unit_kind="99", legal_form="oe")
    oga_item(ledger, AFM, "1042.20", "H2-2011")
    outcome = paid(ledger, AFM, "100.00", "2012-05-02", "ATE-1", form="639")
    reason = f"a form 639 payment may not pay the items of form 640 debtor {AFM} owes (G10)"
    assert (outcome.status, outcome.reason) == ("suspense", reason)
    assert [(s["tx_id"], s["reason"]) for s in views.suspense(ledger)] == [("ATE-1", reason)]
    table = views.debt_table(ledger, AFM, d("2012-05-02"))
    assert [(i["form"], i["paid"], i["outstanding"]) for i in table["items"]] == [("640", m("0.00"), m("1042.20"))]
    assert paid(ledger, AFM, "100.00", "2012-05-02", "ATE-2").status == "applied"
    assert views.debt_table(ledger, AFM, d("2012-05-02"))["total_outstanding"] == m("942.20")
    # G19: the registration's unit kind and legal form are kept
    assert (ledger.debtor(AFM).unit_kind, ledger.debtor(AFM).legal_form) == ("99", "oe")


def test_G10_a_bad_form_code_is_refused_and_records_nothing(ledger):
    debtor(ledger, AFM, business_date=d("2012-01-02"))
    before = count(ledger)
    with pytest.raises(BadInput, match=r"^form: '641' is not one of the payment forms"):
        paid(ledger, AFM, "100.00", "2012-05-02", "ATE-1", form="641")
    with pytest.raises(BadInput, match=r"^items\[1\]\.form: a payment form is an OGA item's, not IKA's \(G10\)$"):
        record_transfer(ledger, TransferInput("IKA", AFM, (TransferItem("2011-12", "contribution", m("10.00"),
                                                                        d(DEADLINE), "640"),)))
    with pytest.raises(BadInput, match=r"^--unit-kind: legal form ae is a company, registered as 99, not 98 \(G19\)$"):
        register_debtor(ledger, AFM2, "Άλφα ΑΕ", unit_kind="98", legal_form="ae")
    assert count(ledger) == before


def test_G12_paid_in_parts_up_to_the_deadline_is_clear_with_no_surcharge(ledger):
    debtor(ledger, AFM, business_date=d("2012-01-02"))
    oga_item(ledger, AFM, "1042.20", "H2-2011")
    assert paid(ledger, AFM, "500.00", "2012-05-15", "ATE-1").status == "applied"
    assert paid(ledger, AFM, "542.20", DEADLINE, "ATE-2").status == "applied"  # on the deadline: on time (P4)
    table = views.debt_table(ledger, AFM, d("2012-07-02"))
    assert (table["total_outstanding"], table["totals"]["surcharges"]) == (m("0.00"), m("0.00"))
    clearance = views.clearance(ledger, AFM, d("2012-07-02"))
    assert (clearance["clear"], clearance["basis"], clearance["valid_until"]) == (True, "no_debt", d("2013-01-02"))


@pytest.mark.parametrize(("left", "asked"), [("14.99", False), ("15.00", True)])
def test_G13_less_than_15_00_is_not_asked_now_15_00_is(ledger, left, asked):
    """G13 [P]: "less than" is strict: 14.99 left after the deadline is not asked at
    once (no individual notice, N13's floor); 15.00 is. Both are clear (G16 (α): up to 15.00)."""
    debtor(ledger, AFM, business_date=d("2012-01-02"))
    oga_item(ledger, AFM, "1042.20", "H2-2011")
    paid(ledger, AFM, str(m("1042.20") - m(left)), DEADLINE, "ATE-1")
    day = d("2012-07-16")
    clearance = views.clearance(ledger, AFM, day)
    assert (clearance["clear"], clearance["overdue_outside_arrangements"]) == (True, m(left))
    rules = replace(ledger.settings.notices, invitation_required=False)
    standing = views.standing_of(ledger, ledger.debtor(AFM), [], day)
    assert [kind for kind, _ in notices_due(standing, rules)] == ([INDIVIDUAL_NOTICE] if asked else [])


def test_G14_G16_iii_the_notice_amount_paid_late_leaves_principal_owed(ledger):
    """1042.20 due 2012-06-29 paid whole on 2012-07-20: the first month of delay's 3%
    (L2), 31.27, is paid first (P2), so 31.27 of principal is still overdue: not clear.
    The payable amount OGA states (G14: principal and surcharges to the payment day) clears it."""
    debtor(ledger, AFM, business_date=d("2012-01-02"))
    oga_item(ledger, AFM, "1042.20", "H2-2011")
    paid(ledger, AFM, "1042.20", "2012-07-20", "ATE-1")
    day = d("2012-07-20")
    clearance = views.clearance(ledger, AFM, day)
    assert clearance["clear"] is False and clearance["overdue_outside_arrangements"] == m("31.27")
    payable = views.debt_table(ledger, AFM, day)["total_outstanding"]
    assert payable == m("31.27")
    paid(ledger, AFM, str(payable), "2012-07-20", "ATE-2")
    assert views.clearance(ledger, AFM, day)["clear"] is True


def branches(ledger: Ledger, head: str, unit: str) -> dict:
    debtor(ledger, AFM, name="Κτήμα Άλφα ΟΕ", business_date=d("2012-01-02"), unit_kind="99")
    register_debtor(ledger, UNIT, "Κτήμα Άλφα ΟΕ, υποκατάστημα", d("2012-01-02"), parent_afm=AFM)
    oga_item(ledger, AFM, head, "H-1", due="2012-02-29")
    oga_item(ledger, UNIT, unit, "U-1", due="2012-02-29")
    return views.clearance(ledger, AFM, d("2012-06-01"))


def test_G16_10_00_and_6_00_overdue_at_head_office_and_branch_is_not_clear(ledger):
    clearance = branches(ledger, "10.00", "6.00")
    assert (clearance["clear"], clearance["overdue_outside_arrangements"]) == (False, m("16.00"))
    assert clearance["reasons"] == [
        "overdue debt outside arrangements of the head office and its units 16.00 EUR exceeds 15.00 EUR (G16)"]
    assert views.clearance(ledger, UNIT, d("2012-06-01"))["clear"] is True  # the branch alone


def test_G16_9_00_and_6_00_is_clear(ledger):
    clearance = branches(ledger, "9.00", "6.00")
    assert (clearance["clear"], clearance["overdue_outside_arrangements"]) == (True, m("15.00"))


def test_G17_the_statement_from_the_read_models_is_the_one_from_the_events(ledger, db_url):
    branches(ledger, "10.00", "6.00")  # ΟΧΙ on 2012-06-01
    debtor(ledger, AFM2, name="Βήτα Ιωάννης", business_date=d("2012-01-02"), unit_kind="98", legal_form="sole-trader")
    oga_item(ledger, AFM2, "1042.20", "B-1")
    paid(ledger, AFM2, "1100.00", "2012-05-02", "ATE-B")  # ΝΑΙ, 57.80 of credit
    debtor(ledger, AFM3, name="Γάμμα ΑΕ", business_date=d("2012-01-02"), unit_kind="99")  # sent no notice: –
    debtor(ledger, "100000064", name="Δέλτα", business_date=d("2012-01-02"))  # no OGA employer item: not listed
    day = d("2012-06-01")
    runner = Runner(ledger, db_url)
    shown = oga_statement.statement(runner, day)
    notice_round = current_round(ledger.settings.oga_rounds, day)
    assert shown == statement_json(day, notice_round, [
        employer_row(ledger, ledger.debtor(afm), day, notice_round) for afm in (AFM2, AFM3, AFM)])
    rows = {row["afm"]: row for row in shown["employers"]}
    assert [row["afm"] for row in shown["employers"]] == [AFM2, AFM3, AFM]  # by name: Β, Γ, Κ
    assert (shown["contributions"], shown["deadline"]) == ("2011-H2", d(DEADLINE))
    assert {afm: (r["clearance"], r["clear_until"], r["total_owed"], r["credit"]) for afm, r in rows.items()} == {
        # 16.00 due 2012-02-29, on 2012-06-01 four months late (L2): 3% + 3 × 1% = 6%, 0.96
        AFM: ("no", None, m("16.96"), m("0.00")),
        AFM2: ("yes", d(DEADLINE), m("0.00"), m("57.80")),
        AFM3: ("inactive", None, m("0.00"), m("0.00")),
    }
    assert rows[AFM]["units"] == [UNIT] and rows[AFM]["remarks"] == [f"branch units: {UNIT}"]
    assert rows[AFM]["reasons"] == [
        "overdue debt outside arrangements of the head office and its units 16.00 EUR exceeds 15.00 EUR (G16)"]
    assert rows[AFM3]["remarks"] == ["sent no notice of the contributions 2011-H2"]
