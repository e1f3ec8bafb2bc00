"""The operators' corrections (domain §14) through the handlers, on both stores,
with the rules' own figures: suspense assignment and refund (O2), bank recalls
(O3), fund corrections (O4) and credit (O5)."""

from __future__ import annotations

import pytest

from aggregates.errors import NotAllowed
from aggregates.references import debtor_identity_code
from ledger import audit_views, views
from ledger.commands import CorrectionInput, CorrectionItem, RecallInput
from ledger.errors import BadInput, TransferConflict
from ledger.handlers.close_day import close_day
from ledger.handlers.credit import refund_credit
from ledger.handlers.fund_corrections import correct_debt, resolve_correction
from ledger.handlers.recalls import recall_payment
from ledger.handlers.suspense import assign_payment, refund_payment
from tests.integration.helpers import (
    AFM,
    AFM2,
    count,
    covid_case,
    d,
    debtor,
    events_of,
    m,
    pay,
    transfer,
    types,
)

IBAN = "GR1601101250000000012300695"


def wrong_code(code: str) -> str:
    return f"RF{(int(code[2:4]) + 1) % 97:02d}{code[4:]}"


def item_row(ledger, afm, period):
    return next(i for i in views.debt_table(ledger, afm)["items"] if i["period"] == period)


# -- O2: suspense -----------------------------------------------------------------------

def test_O2_an_assigned_payment_is_applied_as_of_its_value_date_and_corrects_the_lapse(ledger):
    a = covid_case(ledger)  # 12 × 113.33 (+ 113.37), instalment 1 due 2021-12-31
    assert pay(ledger, wrong_code(a.payment_code), "113.33", "2021-12-20", "TX-S").status == "suspense"
    close_day(ledger, d("2022-01-05"))
    assert views.arrangement_view(ledger, a.payment_code)["status"] == "lapsed"  # C6: never paid, it seemed
    outcome = assign_payment(ledger, "TX-S", "ETE", a.payment_code, "reference mistyped by the bank")
    assert (outcome.status, outcome.target) == ("applied", str(a.id))
    view = views.arrangement_view(ledger, a.payment_code)
    assert (view["status"], view["instalments"][0]["status"]) == ("active", "paid")
    assert [t for t in types(ledger, a.payment_code) if t in ("Lapsed", "LapseReversed", "Paid", "Activated")] == [
        "Lapsed", "LapseReversed", "Paid", "Activated"]
    (activated,) = events_of(ledger, a.payment_code, "Activated")
    assert activated["business_date"] == d("2021-12-20")  # E2: as of the value date
    assert [e["tx_id"] for e in views.suspense(ledger)] == []
    (resolved,) = views.suspense(ledger, resolved=True)
    assert (resolved["resolution"], resolved["target"], resolved["resolved_on"]) == (
        "assigned", a.payment_code, d("2022-01-05"))
    assert resolved["actor"]
    with pytest.raises(NotAllowed, match="TX_ID: payment TX-S is not in suspense: it is applied"):
        assign_payment(ledger, "TX-S", "ETE", a.payment_code, "again")


def test_O2_an_assignment_the_target_refuses_exits_and_leaves_the_payment_in_suspense(ledger):
    covid_case(ledger)
    debtor(ledger, AFM2)
    pay(ledger, "RF00XXXX", "50.00", "2021-12-20", "TX-S")
    before = count(ledger)
    with pytest.raises(NotAllowed, match=f"--to: debtor {AFM2} owes nothing outside arrangements"):
        assign_payment(ledger, "TX-S", "ETE", AFM2, "the payer's ΑΦΜ")
    with pytest.raises(BadInput, match="--reason: required and not blank"):
        assign_payment(ledger, "TX-S", "ETE", AFM2, "  ")
    assert count(ledger) == before
    assert [e["tx_id"] for e in views.suspense(ledger)] == ["TX-S"]


def test_O2_a_refund_order_needs_a_valid_IBAN_and_takes_the_payment_out_of_suspense(ledger):
    covid_case(ledger)
    pay(ledger, "RF00XXXX", "50.00", "2021-12-20", "TX-S")
    with pytest.raises(BadInput, match="--iban: not a valid IBAN"):
        refund_payment(ledger, "TX-S", "ETE", IBAN[:-1] + "6", "no such debtor")
    assert refund_payment(ledger, "TX-S", "ETE", IBAN, "no such debtor").status == "refunded"
    assert views.suspense(ledger) == []
    (order,) = [e for e in audit_views.audit_entries(ledger, {_payment_id("ETE", "TX-S")})
                if e["type"] == "RefundOrdered"]
    assert (order["payload"]["refund_id"], order["payload"]["iban"], order["payload"]["amount"]) == (
        "refund:ETE/TX-S", IBAN, m("50.00"))


def _payment_id(bank, tx_id):
    from aggregates.payment import BankPayment
    return BankPayment.create_id(bank, tx_id)


# -- O3: recalls ------------------------------------------------------------------------

def test_O3_a_recall_that_unpays_instalment_1_makes_the_arrangement_lapsed_on_the_day_C6_says(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1")
    close_day(ledger, d("2022-01-10"))
    assert views.arrangement_view(ledger, a.payment_code)["status"] == "active"
    assert recall_payment(ledger, RecallInput("TX-1", "returned transfer", "ETE")).status == "recalled"
    view = views.arrangement_view(ledger, a.payment_code)
    assert (view["status"], view["instalments"][0]["paid"]) == ("lapsed", m("0.00"))
    (lapsed,) = events_of(ledger, a.payment_code, "Lapsed")
    assert lapsed["business_date"] == d("2022-01-01")  # C6: the day after 2021-12-31
    (recalled,) = events_of(ledger, a.payment_code, "PaymentRecalled")
    assert recalled["payload"]["effective_on"] == d("2021-12-20")
    assert [t for t in types(ledger, a.payment_code)][-3:] == ["PaymentRecalled", "ActivationReversed", "Lapsed"]


def test_O3_recalls_that_unpay_two_instalments_make_it_lost_retroactively_on_the_day_C8_says(ledger):
    a = covid_case(ledger)
    for tx, day in (("TX-1", "2021-12-20"), ("TX-2", "2022-01-20"), ("TX-3", "2022-02-20")):
        pay(ledger, a.payment_code, "113.33", day, tx)
    close_day(ledger, d("2022-04-10"))
    assert views.arrangement_view(ledger, a.payment_code)["status"] == "active"
    recall_payment(ledger, RecallInput("TX-2", "bank error", "ETE"))
    recall_payment(ledger, RecallInput("TX-3", "bank error", "ETE"))
    view = views.arrangement_view(ledger, a.payment_code)
    assert view["status"] == "lost"
    # The first recall: TX-3 pays instalment 2 instead, so 3 and 4 are unpaid: lost on 2022-04-01 (C8).
    # The second: 2 (due 2022-01-31) and 3 (due 2022-02-28) unpaid: lost the day after the second
    # deadline; the first loss is taken back (LossReversed) and the recall dated by TX-3's value date.
    assert [e["business_date"] for e in events_of(ledger, a.payment_code, "Lost")] == [d("2022-04-01"), d("2022-03-01")]
    assert len(events_of(ledger, a.payment_code, "LossReversed")) == 1
    recalled = [e["payload"]["effective_on"] for e in events_of(ledger, a.payment_code, "PaymentRecalled")]
    assert recalled == [d("2022-01-20"), d("2022-02-20")]
    # L1 again from instalment 2's due date: a month of delay from 2022-02-01, 113.33 at 8%/12 = 0.76
    surcharges = [e["payload"] for e in events_of(ledger, a.payment_code, "SurchargeAccrued")]
    assert any((s["number"], s["month_starts_on"], s["amount"]) == (2, d("2022-02-01"), m("0.76")) for s in surcharges)


def test_O3_a_recall_of_a_payment_the_ledger_does_not_know_or_recalled_already_waits_in_suspense(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1")
    assert recall_payment(ledger, RecallInput("TX-9", "bank error", "ETE")).status == "suspense"
    recall_payment(ledger, RecallInput("TX-1", "bank error", "ETE"))
    again = recall_payment(ledger, RecallInput("TX-1", "bank error", "ETE"))
    assert (again.status, again.reason) == ("suspense", "recall of payment TX-1 from bank ETE: already recalled (O3)")
    assert recall_payment(ledger, RecallInput("TX-1", "bank error", "ETE")).status == "duplicate"
    assert [e["reason"] for e in views.suspense(ledger)] == [
        "recall of payment TX-9 from bank ETE: the ledger holds no such payment (O3)",
        "recall of payment TX-1 from bank ETE: already recalled (O3)"]


def test_O3_a_recalled_identity_code_payment_leaves_the_items_unpaid_with_surcharges_from_their_due_dates(ledger):
    covid_case(ledger)
    debtor(ledger, AFM2)
    transfer(ledger, AFM2, "500.00", "2021-10-29", "2021-09", "OAEE-9")
    before = views.debt_table(ledger, AFM2, d("2022-01-10"))
    # 500.00 + 2 started months (10-30, 11-30) at 8%/12 = 6.67; 600.00 leaves 93.33 of credit
    assert pay(ledger, debtor_identity_code(AFM2), "600.00", "2021-12-10", "TX-D").status == "applied"
    paid = views.debt_table(ledger, AFM2, d("2022-01-10"))
    assert (paid["total_outstanding"], paid["credit"]) == (m("0.00"), m("93.33"))
    recall_payment(ledger, RecallInput("TX-D", "returned transfer", "ETE", d("2022-01-10")))
    after = views.debt_table(ledger, AFM2, d("2022-01-10"))
    # as if never paid: 500.00 and 3 started months at 8%/12 (10-30, 11-30, 12-30) = 10.00
    assert (after["total_outstanding"], after["credit"]) == (before["total_outstanding"], m("0.00"))
    assert after["items"][0]["surcharges"] == m("10.00") and after["items"][0]["paid"] == m("0.00")


# -- O4: fund corrections ---------------------------------------------------------------

def correction(cid, action, amount=None, transfer_id="OAEE-9", period="2021-09", afm=AFM2, on=None):
    item = CorrectionItem(period, "contribution", m(amount) if amount else None)
    return CorrectionInput(action, cid, "OAEE", afm, transfer_id, (item,), d(on) if on else None)


def test_O4_an_amendment_below_what_was_paid_leaves_exactly_the_excess_as_credit(ledger):
    covid_case(ledger)
    debtor(ledger, AFM2)
    transfer(ledger, AFM2, "3000.00", "2021-12-31", "2021-11", "OAEE-9")
    pay(ledger, debtor_identity_code(AFM2), "2800.00", "2021-12-10", "TX-D")
    close_day(ledger, d("2021-12-15"))
    assert correct_debt(ledger, correction("C-1", "amend", "2500.00", period="2021-11")).status == "recorded"
    table = views.debt_table(ledger, AFM2)
    row = table["items"][0]
    assert (row["amount"], row["paid"], row["outstanding"], row["status"]) == (
        m("2500.00"), m("2500.00"), m("0.00"), "paid")
    assert table["credit"] == m("300.00")
    assert correct_debt(ledger, correction("C-1", "amend", "2500.00", period="2021-11")).status == "duplicate"
    before = count(ledger)
    with pytest.raises(TransferConflict, match="correction_id: OAEE correction C-1 was already recorded"):
        correct_debt(ledger, correction("C-1", "amend", "2400.00", period="2021-11"))
    assert count(ledger) == before
    # O5: the credit pays the next item as it arrives (P2), and the rest is refundable
    transfer(ledger, AFM2, "200.00", "2022-01-31", "2021-12", "OAEE-10")
    table = views.debt_table(ledger, AFM2)
    assert (item_row(ledger, AFM2, "2021-12")["outstanding"], table["credit"]) == (m("0.00"), m("100.00"))
    with pytest.raises(NotAllowed, match="--amount: 100.01 is more than the credit"):
        refund_credit(ledger, AFM2, "100.01", IBAN, "debtor asked")
    assert refund_credit(ledger, AFM2, "100.00", IBAN, "debtor asked").status == "refunded"
    assert views.debt_table(ledger, AFM2)["credit"] == m("0.00")


def test_O4_a_cancellation_takes_effect_from_its_business_date(ledger):
    covid_case(ledger)
    debtor(ledger, AFM2)
    transfer(ledger, AFM2, "300.00", "2021-09-30", "2021-09", "OAEE-9", on="2021-09-01")
    close_day(ledger, d("2022-01-10"))
    correct_debt(ledger, correction("C-2", "cancel", on="2021-11-15"))
    # before it: 2 started months (10-01, 11-01) at 8%/12 on 300.00 = 4.00; none after it
    row = item_row(ledger, AFM2, "2021-09")
    assert (row["amount"], row["surcharges"], row["outstanding"]) == (m("0.00"), m("4.00"), m("4.00"))
    assert views.debt_table(ledger, AFM2, d("2021-11-14"))["items"][0]["amount"] == m("300.00")


def test_O4_a_correction_of_an_item_inside_an_arrangement_waits_for_an_operator(ledger):
    a = covid_case(ledger)
    cid = correction("C-3", "amend", "1000.00", transfer_id=f"OAEE-{AFM}-1", period="2020-03", afm=AFM)
    assert correct_debt(ledger, cid).status == "waiting"
    (row,) = views.waiting_corrections(ledger)
    assert (row["correction_id"], row["amount"], row["arrangement"], row["action"]) == (
        "C-3", m("1000.00"), str(a.id), "amend")
    assert views.arrangement_view(ledger, a.payment_code)["capital"] == m("1360.00")  # unchanged
    resolve_correction(ledger, AFM, "C-3", "capitalised already: the fund is told to credit the debtor")
    assert views.waiting_corrections(ledger) == []
    with pytest.raises(NotAllowed, match="CORRECTION_ID: no correction C-3 waits"):
        resolve_correction(ledger, AFM, "C-3", "again")
