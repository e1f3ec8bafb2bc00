"""Bank payments: P1 (fields), P5 (one aggregate per bank transaction; suspense with a reason)."""

import json

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


def routed_as_received():
    return BankPayment.receive("TX1", "ETE", m("280.00"), "EUR", d("2021-12-20"), "RF57A650090000045001",
                               "090000045", d("2021-12-21"), target="arrangement", target_id="abc")


def test_P2_received_and_routed_in_one_event():
    payment = routed_as_received()
    assert (payment.status, payment.target, payment.target_id) == ("applied", "arrangement", "abc")
    assert [type(e).__name__ for e in payment.collect_events()] == ["Received"]


def test_P2_a_history_of_received_then_routed_replays_to_the_same_state():
    """Payments recorded before routing went into ``Received`` (``Received`` without the
    target fields, then ``Routed``) replay to the state one ``Received`` with its target gives."""
    from functools import reduce

    from eventsourcing.persistence import StoredEvent

    from ledger.application import Ledger

    ledger = Ledger("sqlite:///:memory:")
    try:
        old = received()
        old.route("arrangement", "abc", d("2021-12-21"))
        stored = [ledger.mapper.to_stored_event(e) for e in old.collect_events()]
        state = json.loads(stored[0].state)
        assert state.pop("target") is None and state.pop("target_id") is None
        stored[0] = StoredEvent(stored[0].originator_id, 1, stored[0].topic, json.dumps(state).encode())  # as then
        replayed = reduce(lambda a, e: e.mutate(a), [ledger.mapper.to_domain_event(s) for s in stored], None)
        assert (replayed.version, replayed.status) == (2, "applied")
        assert public(replayed) == public(routed_as_received())
    finally:
        ledger.close()


def public(payment: BankPayment) -> dict:
    return {k: v for k, v in vars(payment).items() if not k.startswith("_")}
