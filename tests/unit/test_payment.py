"""Bank payments: P1 (fields), P5 (one aggregate per bank transaction; suspense with a reason)."""

import json

import pytest

from aggregates.errors import NotAllowed
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
    assert payment.knows({"amount": m("280.00"), "reference": "RF57A650090000045001"})
    assert not payment.knows({"amount": m("280.01")})


def test_P5_suspense_keeps_the_reason():
    payment = received()
    payment.suspend("invalid RF reference (C10)", d("2021-12-21"))
    assert (payment.status, payment.reason) == ("suspense", "invalid RF reference (C10)")
    assert payment.items == [{"first": 0, "until": None, "holds": True, "reason": "invalid RF reference (C10)",
                              "opened": 2, "resolution": None, "resolved": None}]


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


# -- P5, O2: one suspense item per bank transaction, its versions in a history --------------

CORRECTED = "RF47A650090000045001"


def content(**changes):
    return {"tx_id": "TX1", "bank": "ETE", "amount": m("280.00"), "currency": "EUR", "value_date": d("2021-12-20"),
            "reference": "RF57A650090000045001", "payer_afm": "090000045"} | changes


def in_suspense():
    payment = received()
    payment.suspend("invalid RF reference (C10)", d("2021-12-21"))
    return payment


def test_P5_O2_versions_received_again_join_the_one_open_item_and_the_latest_is_the_content():
    payment = in_suspense()
    payment.receive_again(content(reference="RF00"), d("2021-12-22"))
    payment.receive_again(content(reference=CORRECTED), d("2021-12-23"))
    assert payment.knows(content(reference="RF00")) and payment.knows(content())
    assert [i["first"] for i in payment.items] == [0] and payment.open_item is payment.items[0]
    assert payment.fields["reference"] == CORRECTED  # what an assignment or a refund takes (O2)
    assert [(v["reference"], v["received_on"]) for v in payment.versions] == [
        ("RF57A650090000045001", d("2021-12-21")), ("RF00", d("2021-12-22")), (CORRECTED, d("2021-12-23"))]
    with pytest.raises(NotAllowed, match="TX_ID: payment TX1 is itself in suspense: assign or refund it"):
        payment.dismiss("duplicate", d("2021-12-24"))
    payment.order_refund("refund:ETE/TX1", "GR1601101250000000012300695", "no debt", d("2021-12-24"))
    (item,) = payment.items
    assert (item["until"], item["resolution"]["resolution"], item["resolved"]) == (3, "refunded", 5)
    assert payment.open_item is None


def test_P5_O2_a_version_after_the_resolution_opens_a_new_item_only_a_dismissal_closes():
    payment = routed_as_received()
    with pytest.raises(NotAllowed, match="TX_ID: payment TX1 has nothing in suspense"):
        payment.dismiss("duplicate", d("2021-12-22"))
    reason = payment.receive_again(content(amount=m("280.01")), d("2021-12-22"))
    assert reason == ("same bank transaction id received again with different content (P5); "
                      "the payment was applied already (O2)")
    assert payment.fields["amount"] == m("280.00")  # applied once: its content stays (P5)
    with pytest.raises(NotAllowed, match="TX_ID: payment TX1 is not in suspense: it is applied; what was received "
                                         "again of it can be dismissed"):
        payment.must_wait_in_suspense()
    with pytest.raises(NotAllowed, match="tx_id: payment TX1: this version was received already"):
        payment.receive_again(content(amount=m("280.01")), d("2021-12-23"))
    payment.dismiss("the same transfer", d("2021-12-23"))
    payment.receive_again(content(amount=m("280.02")), d("2021-12-24"))
    assert [(i["first"], i["until"], i["holds"], i["resolution"] and i["resolution"]["resolution"])
            for i in payment.items] == [(1, 2, False, "dismissed"), (2, None, False, None)]


def test_P5_a_conflicting_duplicate_recorded_before_replays_into_the_item_without_changing_the_content():
    """``ConflictingDuplicate`` (before ``ReceivedAgain``): a version in the history; the
    assignment then took the first version, and replays so."""
    payment = in_suspense()
    payment.trigger_event(BankPayment.ConflictingDuplicate, content=content(amount=m("1.00")),
                          reason="same bank transaction id received again with different content (P5)",
                          business_date=d("2021-12-22"))
    assert payment.fields["amount"] == m("280.00")
    payment.assign("arrangement", "abc", "RF57A650090000045001", "typo", d("2021-12-23"))
    (item,) = payment.items
    assert (item["first"], item["until"], item["resolution"]["resolution"]) == (0, 2, "assigned")
    assert [v["amount"] for v in payment.versions] == [m("280.00"), m("1.00")]
