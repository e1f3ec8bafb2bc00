"""Bank payments: P1 (fields), P5 (one aggregate per bank transaction; suspense with a reason)."""

from aggregates.payment import BankPayment
from tests.unit.builders import d, m


def received():
    return BankPayment.receive("TX1", "ETE", m("280.00"), "EUR", d("2021-12-20"), "RF57A650090000045001",
                               "090000045", d("2021-12-21"))


def test_P1_P5_same_transaction_same_identity():
    payment = received()
    assert payment.id == BankPayment.create_id("ETE", "TX1")
    assert BankPayment.create_id("ETE", "TX1") != BankPayment.create_id("ALPHA", "TX1")
    assert payment.status == "received"
    assert payment.fields["amount"] == m("280.00") and payment.fields["value_date"] == d("2021-12-20")
    assert payment.same_as({"amount": m("280.00"), "reference": "RF57A650090000045001"})
    assert not payment.same_as({"amount": m("280.01")})


def test_P5_suspense_keeps_the_reason():
    payment = received()
    payment.suspend("invalid RF reference (C10)", d("2021-12-21"))
    assert (payment.status, payment.reason) == ("suspense", "invalid RF reference (C10)")
    payment.note_conflict({"amount": m("1.00")}, d("2021-12-22"))
    assert payment.conflicts[0]["amount"] == m("1.00")


def test_P2_routed():
    payment = received()
    payment.route("arrangement", "abc", d("2021-12-21"))
    assert (payment.status, payment.target, payment.target_id) == ("applied", "arrangement", "abc")
