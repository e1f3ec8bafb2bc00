"""Clearance (ασφαλιστική ενημερότητα), V2 with ND11/C12 and G16 (004 §II.4), as
pure functions of the debtor, its arrangements as of a date and its units'
standings: no store, the aggregates built directly."""

from aggregates.arrangement import Arrangement
from aggregates.arrangement_as_of import ArrangementAsOf, arrangement_as_of
from aggregates.clearance import (
    Clearance,
    ClearancePolicy,
    UnitStanding,
    clearance_of,
    overdue_outside_arrangements,
    unit_standing,
    valid_until,
)
from aggregates.debtor import Debtor
from aggregates.references import arrangement_payment_code
from aggregates.schemes.base import Scheme
from aggregates.timeline import Receipt
from tests.unit.builders import AFM, COVID, DISASTER, RULES, SETTINGS, d, form, m

POLICY = SETTINGS.clearance
UNIT = "094014201"
RHODES = {"delimitation": "south-aegean-2019", "area": "Ρόδου", "disaster_date": d("2019-11-25"),
          "damage": "6000", "certificate": "ΠΝΑ 123/2019"}


def debtor_owing(*debts: tuple[str, str], afm: str = AFM, on: str = "2019-12-01") -> Debtor:
    """A debtor with one OAEE contribution per (amount, due date), transferred ``on``."""
    debtor = Debtor.register(afm, "Παπαδόπουλος Α.Ε.", d(on))
    if debts:
        items = [{"period": due[:7], "kind": "contribution", "amount": m(amount), "due_date": d(due)}
                 for amount, due in debts]
        debtor.transfer("OAEE", "T-1", items, d(on))
    return debtor


def applied(scheme: Scheme, debtor: Debtor, applied_on: str, requested: int | None = None, **options) -> Arrangement:
    """The debtor's application for all its open items."""
    code = arrangement_payment_code(scheme.code, debtor.afm, 1)
    open_items = debtor.open_items(d(applied_on), RULES, set())
    return Arrangement.apply_for(scheme, form(applied_on, requested, **options), code, open_items, RULES)


def covid_paid_first(debtor: Debtor) -> Arrangement:
    """3000.00 due 2020-06-30 in 12 instalments of 280.00 (capital 3360.00, see
    ``builders.covid_3360``); instalment 1 (due 2021-12-31) paid on 2021-12-20, so
    active (C6); instalment 2 is due 2022-01-31."""
    arrangement = applied(COVID, debtor, "2021-12-15", 12)
    arrangement.settle(COVID, d("2021-12-20"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("280.00"))])
    return arrangement


def standing_on(day: str, debtor: Debtor, *arrangements: tuple[Arrangement, Scheme]) -> UnitStanding:
    states = [arrangement_as_of(a, scheme, RULES, debtor, d(day)) for a, scheme in arrangements]
    return unit_standing(debtor, states, RULES, d(day))


def clearance_on(day: str, debtor: Debtor, *arrangements: tuple[Arrangement, Scheme],
                 units: tuple[UnitStanding, ...] = ()) -> Clearance:
    return clearance_of(standing_on(day, debtor, *arrangements), units, POLICY, d(day))


def cleared(debtor: Debtor, states: list, day: str) -> Clearance:
    return clearance_of(unit_standing(debtor, states, RULES, d(day)), (), POLICY, d(day))


def test_V2_policy_is_the_configured_one():
    """ledger/config/clearance.toml: 15.00 EUR (004 §3–4), 2 months (001 §Ε, 002 §5), 6 months [P]."""
    assert POLICY == ClearancePolicy(m("15.00"), 2, 6)


def test_V2_clear_at_exactly_15_00_of_overdue_principal():
    # 15.00 due 2021-01-29, on 2021-02-15: overdue, its surcharge (L1) not counted.
    answer = clearance_on("2021-02-15", debtor_owing(("15.00", "2021-01-29"), on="2021-02-01"))
    assert answer == Clearance(AFM, d("2021-02-15"), True, d("2021-08-13"), (), "no_debt", m("15.00"))


def test_V2_not_clear_at_15_01_with_the_reason():
    answer = clearance_on("2021-02-15", debtor_owing(("15.01", "2021-01-29"), on="2021-02-01"))
    assert (answer.clear, answer.valid_until, answer.basis) == (False, None, None)
    assert answer.reasons == ("overdue debt outside arrangements 15.01 EUR exceeds 15.00 EUR (V2)",)
    assert answer.overdue_outside_arrangements == m("15.01")


def test_V2_an_item_not_yet_due_is_not_overdue():
    # due 2021-02-15 itself: not overdue on its due date (D3)
    assert clearance_on("2021-02-15", debtor_owing(("900.00", "2021-02-15"), on="2021-02-01")).clear is True


def test_V2_validity_6_months_with_no_debt_moved_back_to_a_working_day():
    # 2021-02-15 + 6 months = Sunday 2021-08-15, the Dormition (M4): back to Friday 2021-08-13.
    assert valid_until(d("2021-02-15"), POLICY.months_valid_without_debt) == d("2021-08-13")
    # 2021-02-16 + 6 months = Monday 2021-08-16, a working day: kept.
    assert valid_until(d("2021-02-16"), POLICY.months_valid_without_debt) == d("2021-08-16")


def test_V2_ND11_C12_clear_through_a_kept_arrangement_for_2_months():
    debtor = debtor_owing(("3000.00", "2020-06-30"))
    arrangement = covid_paid_first(debtor)
    # 2022-01-25: active, instalment 2 not due yet. 2022-01-25 + 2 months = 2022-03-25,
    # Independence Day (M4): back to Thursday 2022-03-24.
    answer = clearance_on("2022-01-25", debtor, (arrangement, COVID))
    assert answer == Clearance(AFM, d("2022-01-25"), True, d("2022-03-24"), (), "arrangement", m("0.00"))


def test_V2_C6_items_of_an_application_not_yet_paid_are_debt_outside_arrangements():
    """[P]: before the first payment the arrangement is not running, its items count as overdue."""
    debtor = debtor_owing(("3000.00", "2020-06-30"))
    arrangement = applied(COVID, debtor, "2021-12-15", 12)
    answer = clearance_on("2021-12-16", debtor, (arrangement, COVID))
    assert answer.reasons == ("overdue debt outside arrangements 3000.00 EUR exceeds 15.00 EUR (V2)",)


def test_ND11_C12_active_arrangement_with_arrears_is_not_kept_and_not_clear():
    debtor = debtor_owing(("3000.00", "2020-06-30"))
    arrangement = covid_paid_first(debtor)
    # 2022-02-05: instalment 2 (280.00, due 2022-01-31) missed; its first month of
    # delay from 2022-02-01 at 8% (L1): 280.00 × 0.08 / 12 = 1.87. One instalment
    # unpaid: not lost yet (C8), still active, but not kept.
    state = arrangement_as_of(arrangement, COVID, RULES, debtor, d("2022-02-05"))
    assert (state.status, state.arrears, state.kept) == ("active", m("281.87"), False)
    answer = cleared(debtor, [state], "2022-02-05")
    assert (answer.clear, answer.valid_until, answer.basis) == (False, None, None)
    assert answer.reasons == ("arrangement RF57A650090000045001 has 281.87 EUR past due (V2)",)
    assert answer.overdue_outside_arrangements == m("0.00")  # its items are arranged


def test_V2_C11_the_balance_of_a_lost_arrangement_counts_as_overdue():
    debtor = debtor_owing(("3000.00", "2020-06-30"))
    arrangement = covid_paid_first(debtor)
    # Instalments 2 and 3 unpaid: lost on 2022-03-01 (C8); the capital left,
    # 3360.00 − 280.00 = 3080.00, is due at once (its surcharges not counted).
    state = arrangement_as_of(arrangement, COVID, RULES, debtor, d("2022-04-05"))
    assert state.status == "lost" and not state.kept
    assert overdue_outside_arrangements(debtor, [state], RULES, d("2022-04-05")) == m("3080.00")
    answer = cleared(debtor, [state], "2022-04-05")
    assert answer.reasons == ("overdue debt outside arrangements 3080.00 EUR exceeds 15.00 EUR (V2)",)


def test_ND11_suspended_disaster_arrangement_is_kept():
    # 1200.00 overdue since 2019-08-31 is capitalised, 300.00 due 2019-11-29 is suspended
    # (ND3, ND4); on 2020-02-11 the suspension (until 2020-04-30) runs: kept, so clear for
    # 2 months: 2020-04-11 is a Saturday, back to Friday 2020-04-10.
    debtor = debtor_owing(("1200.00", "2019-08-31"), ("300.00", "2019-11-29"))
    arrangement = applied(DISASTER, debtor, "2020-01-15", **DISASTER.options(RHODES))
    state = arrangement_as_of(arrangement, DISASTER, RULES, debtor, d("2020-02-11"))
    assert (state.status, state.course, state.kept) == ("suspended", None, True)
    answer = cleared(debtor, [state], "2020-02-11")
    assert answer == Clearance(AFM, d("2020-02-11"), True, d("2020-04-10"), (), "arrangement", m("0.00"))


def head_office(*debts: tuple[str, str]) -> Debtor:
    """A debtor owing ``debts``, with one branch unit (D1, 004 §II.4)."""
    head = debtor_owing(*debts, on="2021-02-01")
    head.add_unit(UNIT, d("2021-02-01"))
    return head


def branch(*debts: tuple[str, str], day: str = "2021-02-15") -> UnitStanding:
    return standing_on(day, debtor_owing(*debts, afm=UNIT, on="2021-02-01"))


def test_G16_the_15_00_applies_to_head_office_and_branches_summed():
    """G16 [P] (i): 10.00 overdue at the head office and 6.00 at its branch, each clear
    alone (at most 15.00), are 16.00 for the business: not clear."""
    day = "2021-02-15"
    assert clearance_on(day, debtor_owing(("10.00", "2021-01-29"), on="2021-02-01")).clear is True
    assert clearance_of(branch(("6.00", "2021-01-29")), (), POLICY, d(day)).clear is True
    answer = clearance_on(day, head_office(("10.00", "2021-01-29")), units=(branch(("6.00", "2021-01-29")),))
    assert (answer.clear, answer.valid_until, answer.basis) == (False, None, None)
    assert answer.reasons == (
        "overdue debt outside arrangements of the head office and its units 16.00 EUR exceeds 15.00 EUR (G16)",)
    assert answer.overdue_outside_arrangements == m("16.00")
    assert answer.units == (UnitStanding(UNIT, m("6.00"), (), False),)


def test_G16_9_00_and_6_00_are_15_00_clear():
    day = "2021-02-15"
    answer = clearance_on(day, head_office(("9.00", "2021-01-29")), units=(branch(("6.00", "2021-01-29")),))
    assert answer == Clearance(AFM, d(day), True, d("2021-08-13"), (), "no_debt", m("15.00"),
                               (UnitStanding(UNIT, m("6.00"), (), False),))


def test_G16_a_branch_over_15_00_makes_the_business_not_clear():
    answer = clearance_on("2021-02-15", head_office(), units=(branch(("15.01", "2021-01-29")),))
    assert answer.reasons == (
        "overdue debt outside arrangements of the head office and its units 15.01 EUR exceeds 15.00 EUR (G16)",)


def test_G16_beta_a_branch_whose_arrangement_is_not_kept_makes_the_business_not_clear():
    """(β): a unit with an arrangement keeps its terms; the head office, without one, meets (α)."""
    unit = debtor_owing(("3000.00", "2020-06-30"), afm=UNIT)
    arrangement = covid_paid_first(unit)  # instalment 2 (280.00, due 2022-01-31) missed on 2022-02-05
    answer = clearance_on("2022-02-05", head_office(), units=(standing_on("2022-02-05", unit, (arrangement, COVID)),))
    assert answer.reasons == ("unit 094014201: arrangement RF81A650094014201001 has 281.87 EUR past due (V2) (G16)",)
    # kept on 2022-01-25: the business is clear through the branch's arrangement, for 2 months
    kept = clearance_on("2022-01-25", head_office(), units=(standing_on("2022-01-25", unit, (arrangement, COVID)),))
    assert (kept.clear, kept.basis, kept.valid_until) == (True, "arrangement", d("2022-03-24"))


def test_G16_ii_beta_a_unit_without_an_arrangement_still_meets_alpha():
    """[P] (ii): the head office keeps its arrangement; its branch, without one, owes
    20.00 overdue: the business is not clear."""
    head = debtor_owing(("3000.00", "2020-06-30"))
    head.add_unit(UNIT, d("2019-12-01"))
    arrangement = covid_paid_first(head)
    unit = debtor_owing(("20.00", "2021-12-31"), afm=UNIT, on="2021-12-01")
    answer = clearance_on("2022-01-25", head, (arrangement, COVID), units=(standing_on("2022-01-25", unit),))
    assert answer.reasons == (
        "overdue debt outside arrangements of the head office and its units 20.00 EUR exceeds 15.00 EUR (G16)",)


def test_A1_a_rejected_application_holds_nothing_and_owes_nothing():
    debtor = debtor_owing(("3000.00", "2020-06-30"))
    rejected = applied(COVID, debtor, "2022-02-01", 12)  # after the deadline (C2)
    state = arrangement_as_of(rejected, COVID, RULES, debtor, d("2022-02-10"))
    assert state == ArrangementAsOf(rejected, "rejected", None)
    assert (state.held_items, state.remaining_balance, state.arrears, state.kept) == ([], m("0.00"), m("0.00"), False)
    # RELEASED: its items are the debtor's overdue debt again
    answer = cleared(debtor, [state], "2022-02-10")
    assert answer.reasons == ("overdue debt outside arrangements 3000.00 EUR exceeds 15.00 EUR (V2)",)
