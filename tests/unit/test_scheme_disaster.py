"""Natural-disaster arrangement (seed 001): ND1–ND12 on the South Aegean
delimitation (Rhodes, 2019-11-25)."""


import pytest

from aggregates.schemes.base import LiveArrangement, Rejection, check_exclusivity
from aggregates.schemes.disaster import fold
from aggregates.timeline import Receipt
from tests.unit.builders import (
    COVID,
    DISASTER,
    RULES,
    SETTINGS,
    apply,
    d,
    form,
    item,
    kinds,
    m,
)

RHODES = {"delimitation": "south-aegean-2019", "area": "Ρόδου", "disaster_date": d("2019-11-25"),
          "damage": "6000", "certificate": "ΠΝΑ 123/2019"}

# 1200.00 due 2019-08-31 is overdue before the disaster month (ND4); 300.00 a month of
# current contributions falls due in the suspension 2019-11-01 … 2020-04-30 (ND3).
OLD = item("old", "1200.00", "2019-08-31", period="2019-07")
ITR = item("itr", "500.00", "2019-03-31", period="2019-02", kind="insurance_time_recognition")
CURRENT = [
    item(f"c{i}", "300.00", due, period=f"p{i}")
    for i, due in enumerate(["2019-11-29", "2019-12-31", "2020-01-31", "2020-02-28", "2020-03-31", "2020-04-30"])
]


def options(**changes):
    return DISASTER.options({**RHODES, **changes})


def test_ND1_first_delimitation_ships_with_three_regions():
    (delimitation,) = SETTINGS.delimitations.values()
    assert delimitation.id == "south-aegean-2019"
    units = {a.regional_unit for a in delimitation.areas}
    assert units == {"Καρπάθου – Ηρωικής Νήσου Κάσου", "Άνδρου", "Ρόδου"}
    rhodes = delimitation.area("ροδου")  # case- and accent-insensitive
    assert rhodes.name == "Ρόδου"
    assert rhodes.disaster_dates == (d("2019-11-05"), d("2019-11-25"))
    assert delimitation.area("Ιαλυσού").kind == "municipal_unit"
    assert delimitation.area("Αθήνα") is None
    assert fold(" ΆΝΔΡΟΥ ") == fold("ανδρου")


def test_ND1_area_and_disaster_date_must_be_delimited():
    with pytest.raises(Rejection, match="not in delimitation"):
        DISASTER.grant(form("2020-01-15", **options(area="Αθηνών")), [OLD], RULES)
    with pytest.raises(Rejection, match="not a delimited disaster date"):
        DISASTER.grant(form("2020-01-15", **options(disaster_date=d("2019-11-26"))), [OLD], RULES)


def test_ND2_certificate_and_damage_required():
    with pytest.raises(Rejection, match="ND2"):
        DISASTER.grant(form("2020-01-15", **options(certificate=None)), [OLD], RULES)
    with pytest.raises(ValueError, match="--damage"):
        DISASTER.options({**RHODES, "damage": None})
    with pytest.raises(ValueError, match="--damage: must be more than zero"):
        DISASTER.options({**RHODES, "damage": "0"})
    with pytest.raises(ValueError, match="--delimitation"):
        DISASTER.options({**RHODES, "delimitation": "nowhere"})
    assert options()["damage"] == m("6000.00")


def test_ND3_suspension_six_months_from_the_first_of_the_disaster_month():
    assert DISASTER.suspension(d("2019-11-25")) == (d("2019-11-01"), d("2020-04-30"))
    assert DISASTER.suspension(d("2020-01-06")) == (d("2020-01-01"), d("2020-06-30"))


def test_ND3_ND4_ND8_grant_capitalises_old_debt_and_suspends_current_items():
    clearing = item("clr", "100.00", "2020-02-28", period="2019-12", kind="clearing_instalment")
    fee = item("fee", "40.00", "2020-01-31", period="2019-12", kind="fee")
    after = item("after", "300.00", "2020-05-29", period="2020-04")
    g = DISASTER.grant(form("2020-01-15", **options()), [OLD, ITR, *CURRENT, clearing, fee, after], RULES)
    # ND4: capitalised as of 2019-10-31 (end of the month before the disaster):
    # 1200.00 late since 2019-08-31, months 09-01 and 10-01 → 1200 × 0.08/12 × 2 = 16.00
    assert g.capitalised_on == d("2019-10-31")
    assert [line.as_dict() for line in g.capital_lines] == [
        {"item_id": "old", "principal": m("1200.00"), "surcharge": m("16.00")}
    ]
    # ND8: insurance-time recognition is excluded; ND3: contributions and clearing
    # instalments due 2019-11-01 … 2020-04-30 are suspended; a fee is not, nor May's
    assert set(g.suspended_item_ids) == {"c0", "c1", "c2", "c3", "c4", "c5", "clr"}
    assert g.suspended_until == d("2020-04-30")
    assert DISASTER.suspends(g, CURRENT[5]) and not DISASTER.suspends(g, after)


@pytest.mark.parametrize(
    ("damage", "total", "expected"),
    [
        ("6000.00", "3016.00", 24),  # 6000 ÷ (3016/24 = 125.667) = 47.7 → clamped to 24
        ("2000.00", "3016.00", 15),  # 2000 ÷ 125.667 = 15.9 → integer part 15
        ("1500.00", "3000.00", 12),  # 1500 ÷ 125 = 12 exactly
        ("1499.99", "3000.00", 12),  # 11.99 → 11 → clamped to 12
        ("100.00", "3000.00", 12),  # 0.8 → clamped to 12
        ("2375.00", "3000.00", 19),  # 2375 ÷ 125 = 19
    ],
)
def test_ND5_instalment_count_from_damage(damage, total, expected):
    assert DISASTER.instalment_count(m(damage), m(total)) == expected


def suspended_arrangement(damage="6000"):
    """Applied 2020-01-15 with OLD + c0 known; c1…c5 added as they arrive (ND3)."""
    arrangement = apply(DISASTER, "2020-01-15", [OLD, ITR, CURRENT[0]], **options(damage=damage))
    arrangement.suspend(CURRENT[1:], arrangement.suspended_until, d("2020-01-15"))
    return arrangement


def test_ND12_granted_at_once_suspended_then_active_without_a_first_payment():
    arrangement = suspended_arrangement()
    assert arrangement.status == "suspended"
    assert kinds(arrangement.collect_events()) == ["Applied", "Capitalised", "Suspended", "Suspended"]
    # 1216.00 capitalised + 6 × 300.00 suspended = 3016.00
    assert arrangement.capital == m("3016.00")
    arrangement.settle(DISASTER, d("2020-04-30"), RULES)
    assert arrangement.status == "suspended" and not arrangement.instalments
    arrangement.settle(DISASTER, d("2020-05-01"), RULES)
    assert arrangement.status == "active"
    events = arrangement.collect_events()
    assert kinds(events) == ["Scheduled", "Activated", "InstalmentDue"]
    assert events[1].business_date == d("2020-05-01")


def test_ND5_ND6_schedule_fixed_when_the_suspension_ends():
    arrangement = suspended_arrangement(damage="2000")
    arrangement.settle(DISASTER, d("2020-05-01"), RULES)
    # n = 2000 ÷ (3016/24) = 15.9 → 15; 3016/15 = 201.0667 → 201.07; last 3016 − 14 × 201.07 = 201.02
    instalments = arrangement.instalments
    assert len(instalments) == 15
    assert instalments[0]["capital"] == m("201.07")
    assert instalments[-1]["capital"] == m("201.02")
    assert all(i["interest"] == m("0.00") for i in instalments)
    # ND6: first by the end of the first month after the suspension: May 2020, whose
    # last working day is Fri 2020-05-29 (05-30/31 weekend); then June 30, July 31
    assert [i["due_date"] for i in instalments[:3]] == [d("2020-05-29"), d("2020-06-30"), d("2020-07-31")]
    assert instalments[-1]["due_date"] == d("2021-07-30")  # 07-31 is a Saturday


def test_ND7_late_instalment_bears_legal_surcharges():
    arrangement = suspended_arrangement()
    arrangement.settle(DISASTER, d("2020-05-30"), RULES)
    # 24 instalments of 3016/24 = 125.67; instalment 1 (due 2020-05-29) unpaid on 05-30:
    # 125.67 × 0.08/12 = 0.8378 → 0.84
    accrued = [e for e in arrangement.collect_events() if type(e).__name__ == "SurchargeAccrued"]
    assert [(e.business_date, e.number, e.amount) for e in accrued] == [(d("2020-05-30"), 1, m("0.84"))]


def test_ND10b_lost_when_an_instalment_is_more_than_three_months_late():
    arrangement = suspended_arrangement()
    arrangement.settle(DISASTER, d("2020-08-29"), RULES)
    assert arrangement.status == "active"  # exactly 3 months after 2020-05-29
    arrangement.settle(DISASTER, d("2020-08-30"), RULES)
    assert arrangement.status == "lost"
    (lost,) = [e for e in arrangement.collect_events() if type(e).__name__ == "Lost"]
    assert lost.business_date == d("2020-08-30")
    # ND10: the remaining balance due at once with surcharges: 3016.00 + 7 month-surcharges
    # of 0.84 (inst 1: 05-30, 06-30, 07-30, 08-30; inst 2: 07-01, 08-01; inst 3: 08-01) = 5.88
    assert lost.balance == m("3021.88")


def test_ND10b_paid_instalments_keep_it():
    arrangement = suspended_arrangement()
    receipts = [Receipt(f"t{k}", due, m("125.67"))
                for k, due in enumerate([d("2020-05-29"), d("2020-06-30"), d("2020-07-31"), d("2020-08-31")])]
    arrangement.settle(DISASTER, d("2020-09-01"), RULES, new_receipts=receipts)
    assert arrangement.status == "active"
    assert "InstalmentMissed" not in kinds(arrangement.collect_events())


def test_ND10a_current_contribution_not_paid_on_time_is_a_breach():
    arrangement = suspended_arrangement()
    arrangement.settle(DISASTER, d("2020-05-01"), RULES)
    plan = arrangement.plan()
    june = item("jun", "300.00", "2020-06-30", period="2020-05")
    late = item("jul", "300.00", "2020-07-31", period="2020-06", unpaid="0.00", settled_on="2020-08-03")
    on_time = item("aug", "300.00", "2020-08-31", period="2020-07", unpaid="0.00", settled_on="2020-08-31")
    fee = item("fee", "10.00", "2020-06-30", period="2020-05", kind="fee")
    before = item("apr", "300.00", "2020-04-30", period="2020-03")  # suspended, not current
    breaches = DISASTER.breaches(plan, [june, late, on_time, fee, before])
    assert [b.on for b in breaches] == [d("2020-07-01"), d("2020-08-01")]
    assert "ND10" in breaches[0].reason
    # at the aggregate: instalment 1 paid on time, but June's contribution unpaid → lost 2020-07-01
    arrangement.settle(DISASTER, d("2020-07-05"), RULES, current_items=[june],
                       new_receipts=[Receipt("t1", d("2020-05-29"), m("125.67")),
                                     Receipt("t2", d("2020-06-30"), m("125.67"))])
    assert arrangement.status == "lost"
    (lost,) = [e for e in arrangement.collect_events() if type(e).__name__ == "Lost"]
    assert lost.business_date == d("2020-07-01")
    # 3016.00 − 2 × 125.67 = 2764.66, nothing late
    assert lost.balance == m("2764.66")


def test_ND8_exclusive_both_ways():
    assert DISASTER.exclusive is True
    with pytest.raises(Rejection, match="ND8"):
        check_exclusivity(DISASTER, [LiveArrangement("a1", "covid-650", False)])
    with pytest.raises(Rejection, match="ND8"):
        check_exclusivity(COVID, [LiveArrangement("a2", "disaster", True)])
    check_exclusivity(COVID, [LiveArrangement("a1", "covid-650", False)])  # no exclusivity between others


def test_ND9_late_application_needs_the_contributions_after_the_suspension_paid():
    may = item("may", "300.00", "2020-05-29", period="2020-04")
    with pytest.raises(Rejection, match="ND9"):
        DISASTER.grant(form("2020-07-15", **options()), [OLD, *CURRENT, may], RULES)
    paid_may = item("may", "300.00", "2020-05-29", period="2020-04", unpaid="0.00", settled_on="2020-05-29")
    g = DISASTER.grant(form("2020-07-15", **options()), [OLD, *CURRENT, paid_may], RULES)
    assert g.capital == m("1216.00")


def test_ND9_late_application_instalments_already_due_by_the_end_of_the_application_month():
    paid_may = item("may", "300.00", "2020-05-29", period="2020-04", unpaid="0.00", settled_on="2020-05-29")
    arrangement = apply(DISASTER, "2020-07-15", [OLD, *CURRENT, paid_may], **options())
    arrangement.settle(DISASTER, d("2020-07-15"), RULES)
    # total 1216 + 1800 = 3016 → 24 × 125.67; instalments 1–3 (May, June, July) are due
    # by 2020-07-31, the last working day of the application month; 4 by 2020-08-31
    due = [i["due_date"] for i in arrangement.instalments[:4]]
    assert due == [d("2020-07-31"), d("2020-07-31"), d("2020-07-31"), d("2020-08-31")]
    assert arrangement.needs_first_payment is True
    assert arrangement.status == "applied"
    # paying the three (3 × 125.67 = 377.01) by 2020-07-31 activates it
    arrangement.settle(DISASTER, d("2020-07-31"), RULES, new_receipts=[Receipt("t1", d("2020-07-30"), m("377.01"))])
    assert arrangement.status == "active"


def test_ND9_late_application_lapses_when_the_due_instalments_are_not_paid():
    paid_may = item("may", "300.00", "2020-05-29", period="2020-04", unpaid="0.00", settled_on="2020-05-29")
    arrangement = apply(DISASTER, "2020-07-15", [OLD, *CURRENT, paid_may], **options())
    arrangement.settle(DISASTER, d("2020-08-01"), RULES, new_receipts=[Receipt("t1", d("2020-07-30"), m("251.34"))])
    assert arrangement.status == "lapsed"


def test_ND5_suspended_payments_are_held_as_credit_until_the_plan_is_fixed():
    arrangement = suspended_arrangement()
    arrangement.settle(DISASTER, d("2020-02-10"), RULES, new_receipts=[Receipt("t0", d("2020-02-10"), m("500.00"))])
    (paid,) = [e for e in arrangement.collect_events() if type(e).__name__ == "Paid"]
    assert (paid.allocation, paid.credit) == ([], m("500.00"))
    arrangement.settle(DISASTER, d("2020-05-01"), RULES)
    reallocated = [e for e in arrangement.collect_events() if type(e).__name__ == "Reallocated"]
    # [P] the held payment counts from the start of the plan (2020-05-01, timeline pushes
    # it at max(value date, start)): instalment 1 now due (125.67) first, then the last
    # ones backwards: 24 (125.59), 23 (125.67), and 500 − 376.93 = 123.07 of 22
    assert [(a["number"], a["amount"]) for a in reallocated[0].allocation] == [
        (1, m("125.67")), (24, m("125.59")), (23, m("125.67")), (22, m("123.07")),
    ]
    assert reallocated[0].credit == m("0.00")
    assert arrangement.status == "active"


def test_ND9_ND12_filed_after_the_suspension_with_no_instalment_due_yet_needs_no_first_payment():
    # The case: the suspension ended 2020-04-30; filed 2020-05-04, before
    # instalment 1's due date (2020-05-29): none is "already due", so ND12 applies.
    arrangement = apply(DISASTER, "2020-05-04", [OLD, *CURRENT], **options())
    arrangement.settle(DISASTER, d("2020-05-04"), RULES)
    assert arrangement.instalments[0]["due_date"] == d("2020-05-29")
    assert (arrangement.needs_first_payment, arrangement.status) == (False, "active")
    # instalment 1 unpaid: missed, not lapsed; only ND10 (b), over 3 months late, ends it
    arrangement.settle(DISASTER, d("2020-08-29"), RULES)
    assert arrangement.status == "active"
    assert "missed:1" in arrangement.facts and "lapsed" not in arrangement.facts
    arrangement.settle(DISASTER, d("2020-09-01"), RULES)
    assert arrangement.status == "lost"
    assert arrangement.facts["lost"]["business_date"] == d("2020-08-30")
