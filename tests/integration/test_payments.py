"""P1–P5: routing by payment code and debtor identity code, allocation (P3),
on time (P4), the same transaction once and the suspense account (P5)."""

from __future__ import annotations

import pytest

from aggregates.references import (
    arrangement_payment_code,
    creditor_reference,
    debtor_identity_code,
)
from ledger import views
from ledger.commands import PaymentInput
from ledger.errors import BadInput
from ledger.handlers.close_day import close_day
from ledger.handlers.payments import record_payment
from tests.integration.helpers import (
    AFM,
    AFM2,
    UNREGISTERED,
    count,
    covid_case,
    d,
    debtor,
    events_of,
    instalment,
    m,
    pay,
    transfer,
)


def allocation(ledger, ref, tx_id, kind="Paid"):
    event = next(e for e in events_of(ledger, ref, kind) if e["payload"]["tx_id"] == tx_id)
    return [(p.get("number", p.get("item_id")), p["part"], p["amount"]) for p in event["payload"]["allocation"]]


def suspense_entry(ledger, tx_id):
    return next(e for e in views.suspense(ledger) if e["tx_id"] == tx_id)


# -- P2: routing -------------------------------------------------------------------


def test_p2_arrangement_payment_code_pays_that_arrangement(ledger):
    a = covid_case(ledger)
    assert a.payment_code == arrangement_payment_code("650", AFM, 1)
    outcome = pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1")
    assert (outcome.status, outcome.target) == ("applied", str(a.id))
    assert allocation(ledger, a.payment_code, "ETE/TX-1") == [(1, "capital", m("113.33"))]
    view = views.arrangement_view(ledger, a.payment_code, d("2021-12-20"))
    assert view["status"] == "active"
    assert instalment(view, 1)["paid"] == m("113.33") and instalment(view, 1)["status"] == "paid"
    # the code is read with spaces and in lower case too (ISO 11649 print form)
    spaced = " ".join(a.payment_code[i:i + 4] for i in range(0, len(a.payment_code), 4)).lower()
    assert pay(ledger, spaced, "10.00", "2021-12-21", "TX-2").target == str(a.id)


def test_p2_debtor_identity_code_pays_debts_outside_arrangements_oldest_first(ledger):
    close_day(ledger, d("2021-06-15"))
    debtor(ledger)
    transfer(ledger, AFM, "200.00", "2021-03-31", "2021-02", "IKA-1", fund="IKA")
    transfer(ledger, AFM, "100.00", "2021-01-31", "2020-12", "OAEE-1")
    # as of 2021-06-15: 100.00 + 5 months (3.33); 200.00 + 3 months (4.00)
    outcome = pay(ledger, debtor_identity_code(AFM), "150.00", "2021-06-15", "TX-D1")
    assert (outcome.status, outcome.target) == ("applied", AFM)
    assert allocation(ledger, AFM, "ETE/TX-D1", "DebtPaid") == [
        ("OAEE:OAEE-1:1", "surcharge", m("3.33")),
        ("OAEE:OAEE-1:1", "principal", m("100.00")),
        ("IKA:IKA-1:1", "surcharge", m("4.00")),
        ("IKA:IKA-1:1", "principal", m("42.67")),
    ]
    table = views.debt_table(ledger, AFM)
    rows = {(i["fund"]): (i["paid"], i["outstanding"], i["status"]) for i in table["items"]}
    assert rows == {"OAEE": (m("103.33"), m("0.00"), "paid"), "IKA": (m("46.67"), m("157.33"), "overdue")}
    assert table["total_outstanding"] == m("157.33")


def test_p2_identity_code_leaves_arranged_items_alone_and_keeps_overpayment_as_credit(ledger):
    a = covid_case(ledger)
    # 2021-09 is outside the covid-650 periods, so it stays outside the arrangement
    transfer(ledger, AFM, "80.00", "2021-11-30", "2021-10", "OAEE-late", on="2021-12-01")
    outcome = pay(ledger, debtor_identity_code(AFM), "100.00", "2021-12-01", "TX-D2")
    assert outcome.status == "applied"
    # 1 started month (2021-12-01) on 80.00: 0.53
    assert allocation(ledger, AFM, "ETE/TX-D2", "DebtPaid") == [
        ("OAEE:OAEE-late:1", "surcharge", m("0.53")),
        ("OAEE:OAEE-late:1", "principal", m("80.00")),
    ]
    debt = views.debt_table(ledger, AFM)
    assert debt["credit"] == m("19.47")
    arranged = next(i for i in debt["items"] if i["period"] == "2020-03")
    assert (arranged["paid"], arranged["status"], arranged["arrangement"]) == (m("0.00"), "in_arrangement", a.payment_code)


# -- P3: allocation inside an arrangement ------------------------------------------------


def test_p3_past_due_first_surcharge_before_capital_then_due_then_last_backwards(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-1")
    close_day(ledger, d("2022-02-10"))
    # instalment 2 (due 2022-01-31) missed: 1 month at 8%/12 on 113.33 = 0.76
    assert instalment(views.arrangement_view(ledger, a.payment_code), 2)["surcharge"] == m("0.76")
    pay(ledger, a.payment_code, "300.00", "2022-02-10", "TX-2")
    assert allocation(ledger, a.payment_code, "ETE/TX-2") == [
        (2, "surcharge", m("0.76")),
        (2, "capital", m("113.33")),
        (3, "capital", m("113.33")),   # the instalment now due (February)
        (12, "capital", m("72.58")),   # prepayment: the last instalment backwards
    ]
    view = views.arrangement_view(ledger, a.payment_code, d("2022-02-10"))
    assert [instalment(view, n)["status"] for n in (1, 2, 3, 4, 12)] == ["paid", "paid", "paid", "pending", "pending"]
    assert instalment(view, 12)["paid"] == m("72.58")
    assert view["arrears"] == m("0.00")
    assert view["remaining_balance"] == m("1360.00") + m("0.76") - m("113.33") - m("300.00")


def test_p3_overpayment_beyond_the_balance_stays_as_credit(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-31", "TX-1")
    close_day(ledger, d("2022-02-10"))
    pay(ledger, a.payment_code, "2000.00", "2022-02-10", "TX-2")
    # C7 payoff on 2022-02-10: instalment 2 (past due) with its surcharge, 0.76 + 113.33,
    # and the capital of instalments 3–12 (9 × 113.33 + 113.37): 1247.43; credit 752.57
    paid_off = events_of(ledger, a.payment_code, "PaidOff")
    assert [e["payload"]["amount"] for e in paid_off] == [m("1247.43")]
    paid = events_of(ledger, a.payment_code, "Paid")[-1]["payload"]
    assert paid["credit"] == m("752.57")
    view = views.arrangement_view(ledger, a.payment_code, d("2022-02-10"))
    assert (view["status"], view["remaining_balance"], view["credit"]) == ("completed", m("0.00"), m("752.57"))


# -- P4: on time --------------------------------------------------------------------


def test_p4_paid_on_the_due_date_is_on_time_the_day_after_is_late(ledger):
    on_time = covid_case(ledger, AFM)
    late = covid_case(ledger, AFM2)
    close_day(ledger, d("2021-12-31"))
    pay(ledger, on_time.payment_code, "113.33", "2021-12-31", "A-1")
    pay(ledger, late.payment_code, "113.33", "2021-12-31", "B-1")
    close_day(ledger, d("2022-01-31"))
    pay(ledger, on_time.payment_code, "113.33", "2022-01-31", "A-2")  # value date = due date 2022-01-31
    close_day(ledger, d("2022-02-01"))
    pay(ledger, late.payment_code, "113.33", "2022-02-01", "B-2")  # the day after
    close_day(ledger, d("2022-02-05"))

    good = views.arrangement_view(ledger, on_time.payment_code)
    assert (instalment(good, 2)["status"], instalment(good, 2)["surcharge"], good["arrears"]) == ("paid", m("0.00"), m("0.00"))
    assert events_of(ledger, on_time.payment_code, "InstalmentMissed") == []
    assert views.clearance(ledger, AFM)["clear"] is True

    bad = views.arrangement_view(ledger, late.payment_code)
    missed = events_of(ledger, late.payment_code, "InstalmentMissed")
    assert [(e["payload"]["number"], e["business_date"]) for e in missed] == [(2, d("2022-02-01"))]
    assert allocation(ledger, late.payment_code, "ETE/B-2") == [(2, "surcharge", m("0.76")), (2, "capital", m("112.57"))]
    assert (instalment(bad, 2)["status"], instalment(bad, 2)["surcharge"], bad["arrears"]) == ("missed", m("0.76"), m("0.76"))
    assert views.clearance(ledger, AFM2)["clear"] is False


# -- P5: once, and the suspense account ------------------------------------------------------


def test_p5_the_same_bank_transaction_twice_is_applied_once(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1")
    before = count(ledger)
    again = pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1")
    assert (again.status, again.target) == ("duplicate", str(a.id))
    assert count(ledger) == before
    assert len(events_of(ledger, a.payment_code, "Paid")) == 1
    view = views.arrangement_view(ledger, a.payment_code, d("2021-12-20"))
    assert sum(i["paid"] for i in view["instalments"]) == m("113.33")
    # the same id from another bank is another transaction (P1: unique per bank)
    assert pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1", bank="ALPHA").status == "applied"


def test_p5_the_same_transaction_id_with_other_content_goes_to_suspense(ledger):
    a = covid_case(ledger)
    pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1")
    outcome = pay(ledger, a.payment_code, "999.99", "2021-12-20", "TX-1")
    assert outcome.status == "suspense" and "different content" in outcome.reason
    entry = suspense_entry(ledger, "TX-1")
    assert (entry["bank"], entry["amount"], entry["reference"]) == ("ETE", m("999.99"), a.payment_code)
    assert len(events_of(ledger, a.payment_code, "Paid")) == 1


def _bad_check_digits(code: str) -> str:
    digits = int(code[2:4])
    return f"RF{(digits + 1) % 97 or 2:02d}{code[4:]}"


@pytest.mark.parametrize(
    ("case", "amount", "currency", "reason"),
    [
        ("bad check digits", "50.00", "EUR", "(C10)"),
        ("unknown arrangement code", "50.00", "EUR", "names no arrangement (P2)"),
        ("unknown debtor code", "50.00", "EUR", "names no debtor (P2)"),
        ("not a KEAO code", "50.00", "EUR", "is not a KEAO payment code (P2)"),
        ("not an RF reference", "50.00", "EUR", "(C10)"),
        ("non-EUR", "50.00", "USD", "currency 'USD' is not EUR (P5)"),
        ("zero", "0.00", "EUR", "amount 0.00 is not more than zero (P5)"),
        ("negative", "-5.00", "EUR", "amount -5.00 is not more than zero (P5)"),
        ("nothing owed by the debtor", "50.00", "EUR", f"debtor {AFM2} owes nothing outside arrangements (P2)"),
    ],
)
def test_p5_unroutable_payments_are_kept_in_suspense_with_the_reason(ledger, case, amount, currency, reason):
    a = covid_case(ledger)
    debtor(ledger, AFM2, "Χωρίς Χρέη")
    reference = {
        "bad check digits": _bad_check_digits(a.payment_code),
        "unknown arrangement code": arrangement_payment_code("650", UNREGISTERED, 1),
        "unknown debtor code": debtor_identity_code(UNREGISTERED),
        "not a KEAO code": creditor_reference("X12345"),
        "not an RF reference": "123456789",
        "nothing owed by the debtor": debtor_identity_code(AFM2),
    }.get(case, a.payment_code)
    before = count(ledger)
    outcome = pay(ledger, reference, amount, "2021-12-20", "TX-S", currency=currency)
    assert outcome.status == "suspense" and outcome.target is None
    assert outcome.reason.endswith(reason)
    assert count(ledger) > before  # a bank payment is a fact: recorded, never dropped
    entry = suspense_entry(ledger, "TX-S")
    assert entry == entry | {
        "tx_id": "TX-S", "bank": "ETE", "reference": reference, "amount": m(amount),
        "value_date": d("2021-12-20"), "reason": outcome.reason,
    }
    assert events_of(ledger, a.payment_code, "Paid") == []
    # received again, it is the same fact: still one entry, nothing new
    settled = count(ledger)
    assert pay(ledger, reference, amount, "2021-12-20", "TX-S", currency=currency).status == "duplicate"
    assert count(ledger) == settled
    assert [e["tx_id"] for e in views.suspense(ledger)] == ["TX-S"]


def test_p5_nothing_owed_once_every_debt_is_paid(ledger):
    close_day(ledger, d("2021-06-15"))
    debtor(ledger)
    transfer(ledger, AFM, "100.00", "2021-05-31", "2021-04", "OAEE-1")
    # 100.00 + 1 month (0.67) settles it
    assert pay(ledger, debtor_identity_code(AFM), "100.67", "2021-06-15", "TX-1").status == "applied"
    assert views.debt_table(ledger, AFM)["total_outstanding"] == m("0.00")
    outcome = pay(ledger, debtor_identity_code(AFM), "20.00", "2021-06-15", "TX-2")
    assert outcome.status == "suspense" and "owes nothing" in outcome.reason


def test_p5_nothing_owed_on_a_lapsed_arrangement(ledger):
    a = covid_case(ledger)
    close_day(ledger, d("2022-01-03"))
    outcome = pay(ledger, a.payment_code, "113.33", "2022-01-03", "TX-L")
    assert outcome.status == "suspense"
    assert outcome.reason == f"nothing owed on arrangement {a.payment_code}: it is lapsed (P5)"


def test_p5_a_payment_without_a_transaction_id_is_malformed(ledger):
    covid_case(ledger)
    before = count(ledger)
    with pytest.raises(BadInput) as error:
        record_payment(ledger, PaymentInput(" ", m("10.00"), d("2021-12-20"), debtor_identity_code(AFM)))
    assert error.value.field == "tx_id"
    assert count(ledger) == before
