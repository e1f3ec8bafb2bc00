"""One suspense item per bank transaction (issue 14; P5, O2), on both stores: the
versions the bank sent again under one tx id are one item with its history, resolved
once, in the replayed view and the read model alike."""

from __future__ import annotations

import pytest

from aggregates.errors import NotAllowed
from aggregates.payment import BankPayment
from ledger import audit_views, views
from ledger.errors import BadInput, NotFound
from ledger.handlers.suspense import assign_payment, dismiss_payment, refund_payment
from projections import reader
from projections.runner import Runner
from tests.integration.helpers import count, covid_case, d, events_of, m, pay

IBAN = "GR1601101250000000012300695"
RESENT = "same bank transaction id received again with different content (P5)"
APPLIED_ALREADY = f"{RESENT}; the payment was applied already (O2)"
OPEN = dict.fromkeys(views.RESOLUTION_FIELDS)


def wrong_code(code: str) -> str:
    return f"RF{(int(code[2:4]) + 1) % 97:02d}{code[4:]}"


def both(ledger, db_url, resolved=False):
    """The suspense account replayed (``views``) and from the read model, which must agree."""
    replayed = views.suspense(ledger, resolved)
    assert reader.suspense(Runner(ledger, db_url), resolved) == replayed
    return replayed


def paid(ledger, code):
    return sum(i["paid"] for i in views.arrangement_view(ledger, code, d("2021-12-31"))["instalments"])


def test_O2_three_resends_with_a_corrected_reference_are_one_item_resolved_by_one_assignment(ledger, db_url):
    a = covid_case(ledger)
    mistyped = wrong_code(a.payment_code)
    assert pay(ledger, mistyped, "96.00", "2021-12-20", "TX-96").status == "suspense"
    # The bank corrects the reference in two goes, then sends its correction once more.
    assert pay(ledger, "RF00A650", "96.00", "2021-12-20", "TX-96").reason == RESENT
    assert pay(ledger, a.payment_code, "96.00", "2021-12-20", "TX-96").reason == RESENT
    before = count(ledger)
    assert pay(ledger, a.payment_code, "96.00", "2021-12-20", "TX-96").status == "duplicate"  # P5: known version
    assert count(ledger) == before

    (item,) = both(ledger, db_url)
    assert (item["tx_id"], item["reference"], item["amount"], item["value_date"], item["versions"]) == (
        "TX-96", a.payment_code, m("96.00"), d("2021-12-20"), 3)
    assert item["reason"] == "not a valid RF reference (The number's checksum or check digit is invalid.) (C10)"
    assert [(v["reference"], v["amount"], v["received_on"], v["changed"]) for v in item["history"]] == [
        (mistyped, m("96.00"), d("2021-12-01"), {}),
        ("RF00A650", m("96.00"), d("2021-12-01"), {"reference": {"from": mistyped, "to": "RF00A650"}}),
        (a.payment_code, m("96.00"), d("2021-12-01"), {"reference": {"from": "RF00A650", "to": a.payment_code}}),
    ]

    outcome = assign_payment(ledger, "TX-96", "ETE", a.payment_code, "reference corrected by the bank")
    assert (outcome.status, outcome.target) == ("applied", str(a.id))
    assert paid(ledger, a.payment_code) == m("96.00")  # once, not three times
    assert [e["payload"]["amount"] for e in events_of(ledger, a.payment_code, "Paid")] == [m("96.00")]
    assert both(ledger, db_url) == []
    (resolved,) = both(ledger, db_url, resolved=True)
    assert (resolved["resolution"], resolved["target"], resolved["versions"], resolved["resolved_on"]) == (
        "assigned", a.payment_code, 3, d("2021-12-01"))
    with pytest.raises(NotAllowed, match="TX_ID: payment TX-96 is not in suspense: it is applied"):
        refund_payment(ledger, "TX-96", "ETE", IBAN, "once more")


def test_O2_P5_a_resend_of_an_applied_payment_is_an_item_dismissed_once_and_a_later_one_opens_another(
        ledger, db_url):
    a = covid_case(ledger)
    assert pay(ledger, a.payment_code, "113.33", "2021-12-20", "TX-1").status == "applied"
    resent = pay(ledger, a.payment_code, "113.34", "2021-12-20", "TX-1")
    assert (resent.status, resent.reason) == ("suspense", APPLIED_ALREADY)
    (item,) = both(ledger, db_url)
    assert (item["amount"], item["reason"], item["versions"]) == (m("113.34"), APPLIED_ALREADY, 1)
    assert item["history"][0]["changed"] == {"amount": {"from": m("113.33"), "to": m("113.34")}}
    before = count(ledger)
    for resolve in (lambda: assign_payment(ledger, "TX-1", "ETE", a.payment_code, "again"),
                    lambda: refund_payment(ledger, "TX-1", "ETE", IBAN, "again")):
        with pytest.raises(NotAllowed, match="it is applied; what was received again of it can be dismissed"):
            resolve()
    with pytest.raises(BadInput, match="--reason: required and not blank"):
        dismiss_payment(ledger, "TX-1", "ETE", " ")
    assert count(ledger) == before

    assert dismiss_payment(ledger, "TX-1", "ETE", "the same transfer, applied once").status == "dismissed"
    assert paid(ledger, a.payment_code) == m("113.33")  # P5: applied once
    assert both(ledger, db_url) == []
    with pytest.raises(NotAllowed, match="TX_ID: payment TX-1 has nothing in suspense"):
        dismiss_payment(ledger, "TX-1", "ETE", "again")

    # After the resolution: a version received before changes nothing; a new one is a new item.
    assert pay(ledger, a.payment_code, "113.34", "2021-12-20", "TX-1").status == "duplicate"
    assert pay(ledger, a.payment_code, "113.35", "2021-12-20", "TX-1").reason == APPLIED_ALREADY
    (new,) = both(ledger, db_url)
    assert (new["amount"], new["versions"], new["history"][0]["changed"]) == (
        m("113.35"), 1, {"amount": {"from": m("113.34"), "to": m("113.35")}})
    dismissed, reopened = both(ledger, db_url, resolved=True)
    assert (dismissed["resolution"], dismissed["amount"], dismissed["actor"] is not None) == (
        "dismissed", m("113.34"), True)
    assert reopened == new | OPEN


def test_O2_a_payment_in_suspense_is_not_dismissed_and_a_resend_in_EUR_can_be_refunded(ledger, db_url):
    covid_case(ledger)
    assert pay(ledger, "RF00XXXX", "50.00", "2021-12-20", "TX-U", currency="USD").status == "suspense"
    with pytest.raises(NotAllowed, match="TX-U is not an amount in EUR over zero"):
        refund_payment(ledger, "TX-U", "ETE", IBAN, "returned")
    with pytest.raises(NotAllowed, match="TX_ID: payment TX-U is itself in suspense: assign or refund it"):
        dismiss_payment(ledger, "TX-U", "ETE", "duplicate")
    with pytest.raises(NotFound, match="TX_ID: no payment TX-X from bank ETE"):
        dismiss_payment(ledger, "TX-X", "ETE", "duplicate")
    pay(ledger, "RF00XXXX", "50.00", "2021-12-20", "TX-U")  # the bank's correction: in EUR
    assert refund_payment(ledger, "TX-U", "ETE", IBAN, "no such debtor").status == "refunded"
    (order,) = [e for e in audit_views.audit_entries(ledger, {BankPayment.create_id("ETE", "TX-U")})
                if e["type"] == "RefundOrdered"]
    assert (order["payload"]["amount"], order["payload"]["refund_id"]) == (m("50.00"), "refund:ETE/TX-U")
    (refunded,) = both(ledger, db_url, resolved=True)
    assert (refunded["resolution"], refunded["versions"],
            [v["changed"] for v in refunded["history"]]) == ("refunded", 2, [{}, {"currency": {"from": "USD",
                                                                                               "to": "EUR"}}])


def test_P5_conflicting_duplicates_recorded_before_replay_as_one_item_whose_assignment_takes_the_first(
        ledger, db_url):
    """A ledger written before ``ReceivedAgain``: its ``ConflictingDuplicate`` events are
    versions of the one item, and the payment's content stays the first version."""
    a = covid_case(ledger)
    pay(ledger, wrong_code(a.payment_code), "96.00", "2021-12-20", "TX-OLD")
    payment = ledger.repository.get(BankPayment.create_id("ETE", "TX-OLD"))
    for amount in ("96.10", "96.20"):
        payment.trigger_event(BankPayment.ConflictingDuplicate, content=payment.fields | {"amount": m(amount)},
                              reason=RESENT, business_date=d("2021-12-01"))
    ledger.save(payment)
    (item,) = both(ledger, db_url)
    assert (item["amount"], [v["amount"] for v in item["history"]]) == (m("96.00"), [m("96.00"), m("96.10"),
                                                                                       m("96.20")])
    assign_payment(ledger, "TX-OLD", "ETE", a.payment_code, "typo")
    assert paid(ledger, a.payment_code) == m("96.00")
    assert [r["versions"] for r in both(ledger, db_url, resolved=True)] == [3]
