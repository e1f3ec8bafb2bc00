"""Seed 004 rules as pure functions: G10 payment forms and routing, G17 the
statement's clearance column and its notice round, G19 the unit kind."""

from __future__ import annotations

import pytest

from aggregates.debtor import Debtor
from aggregates.errors import BadInput
from aggregates.oga_statement import ARRANGEMENT, INACTIVE, NO, YES, NoticeRound, clear_until, clearance_mark, current_round
from aggregates.payment_forms import checked_form, checked_item_form, may_pay
from aggregates.registration import checked_registration
from aggregates.routing import DEBTOR, Routed, Suspense, screen, to_debtor
from aggregates.references import debtor_identity_code
from tests.unit.builders import AFM, RULES, d, m

H2_2011 = NoticeRound("2011-H2", "2011-07", "2011-12", d("2012-06-29"))


def employer(*items: tuple[str, str | None, str]) -> Debtor:
    """A debtor with OGA items (amount, form, due date) transferred on 2012-03-01."""
    debtor = Debtor.register(AFM, "Αγροτική ΟΕ", d("2012-03-01"))
    debtor.transfer("OGA", "T-1", [{"period": "2011-12", "kind": "contribution", "amount": m(amount), "due_date": d(due),
                                    **({"form": form} if form else {})} for amount, form, due in items], d("2012-03-01"))
    return debtor


def routed(debtor: Debtor, form: str | None, day: str = "2012-05-02") -> Routed | Suspense:
    code = screen(debtor_identity_code(AFM), m("100.00"), "EUR")
    return to_debtor(code, debtor, d(day), RULES, set(), form)


def test_G10_a_form_pays_its_own_items_and_items_without_a_form():
    assert may_pay("640", {"form": "640"}) and may_pay("639", {}) and may_pay(None, {"form": "640"})
    assert not may_pay("639", {"form": "640"})


def test_G10_a_639_payment_of_an_employer_s_640_items_goes_to_suspense_naming_G10():
    answer = routed(employer(("1042.20", "640", "2012-06-29")), "639")
    assert answer == Suspense(f"a form 639 payment may not pay the items of form 640 debtor {AFM} owes (G10)")


def test_G10_a_640_payment_or_one_without_a_form_is_routed_to_the_debtor():
    debtor = employer(("1042.20", "640", "2012-06-29"))
    assert isinstance(routed(debtor, "640"), Routed) and isinstance(routed(debtor, None), Routed)


def test_G10_P2_a_form_pays_oldest_first_only_the_items_it_may_pay():
    """[P]: the employer's 640 item is older, the self-employed 639 one newer: a 639
    payment of 100.00 skips the 640 item and pays 100.00 of the 639 item."""
    debtor = employer(("500.00", "640", "2012-01-31"), ("300.00", "639", "2012-06-29"))
    answer = routed(debtor, "639")
    assert isinstance(answer, Routed) and answer.kind == DEBTOR
    debtor.pay("T-639", d("2012-05-02"), m("100.00"), RULES, set(), answer.owed)
    paid = {p["item_id"]: p["amount"] for p in debtor.item_payments}
    assert paid == {"OGA:T-1:2": m("100.00")}


def test_G10_form_codes_are_the_four_and_only_an_OGA_item_carries_one():
    assert checked_form("608", "--form") == "608" and checked_form(None, "--form") is None
    with pytest.raises(BadInput, match=r"^--form: '641' is not one of the payment forms 640, 649, 608, 639 \(G10\)$"):
        checked_form("641", "--form")
    with pytest.raises(BadInput, match=r"^--form: a payment form is an OGA item's, not IKA's \(G10\)$"):
        checked_item_form("IKA", "640", "--form")


def test_G19_a_company_registered_as_98_is_an_error():
    assert checked_registration("99", "ae") == ("99", "ae")
    assert checked_registration("98", "sole-trader") == ("98", "sole-trader")
    assert checked_registration(None, "epe") == (None, "epe") and checked_registration("98", None) == ("98", None)
    with pytest.raises(BadInput, match=r"^--unit-kind: legal form epe is a company, registered as 99, not 98 \(G19\)$"):
        checked_registration("98", "epe")
    with pytest.raises(BadInput, match=r"^--unit-kind: '97' is not 98"):
        checked_registration("97", None)
    with pytest.raises(BadInput, match=r"^--legal-form: 'plc' is not one of"):
        checked_registration(None, "plc")


def test_G19_old_registrations_have_no_unit_kind():
    debtor = Debtor.register(AFM, "Παλαιός", d("2012-01-02"))
    assert (debtor.unit_kind, debtor.legal_form) == (None, None)


def test_G17_the_clearance_column():
    assert clearance_mark(in_arrangement=True, sent_notices=True, clear=False) == ARRANGEMENT
    assert clearance_mark(in_arrangement=False, sent_notices=False, clear=True) == INACTIVE
    assert clearance_mark(False, True, True) == YES and clearance_mark(False, True, False) == NO


def test_G17_a_yes_holds_until_the_deadline_of_the_current_contributions():
    later = NoticeRound("2012-H1", "2012-01", "2012-06", d("2012-12-31"))
    assert current_round([later, H2_2011], d("2012-06-29")) == H2_2011
    assert current_round([later, H2_2011], d("2012-06-30")) == later
    assert current_round([H2_2011], d("2012-07-02")) == H2_2011  # the last one, its deadline passed
    assert clear_until(H2_2011, d("2012-06-01"), YES) == d("2012-06-29")
    assert clear_until(H2_2011, d("2012-07-02"), YES) is None and clear_until(H2_2011, d("2012-06-01"), NO) is None
    assert H2_2011.covers("2011-07") and H2_2011.covers("2011-12") and not H2_2011.covers("2012-01")
