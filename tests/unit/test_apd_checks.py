"""IKA's checks on ΑΠΔ records (domain §12, K1–K15), with seed 003's own numbers."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates import apd_checks
from aggregates.apd_checks import (
    ABOLISHED,
    CODES,
    TITLES,
    Employer,
    Record,
    codes_of,
    declaration_codes,
)
from aggregates.apd_rules import ApdRules, Dated, Package, RuleDataMissing
from ledger.settings import load_settings

SHIPPED = load_settings().apd
EMPLOYER = Employer("010", False)
OLD, NEW = date(1985, 3, 1), date(1995, 3, 1)  # K2: before and after 1993-01-01


def record(**fields) -> Record:
    base = dict(record="1", amka="01016512343", insured_since=OLD, package="101", earnings_type="01",
                wage_period="2003-10", from_date=date(2003, 10, 1), to_date=date(2003, 10, 31), days=25,
                earnings=Decimal("1000.00"), contributions=Decimal("440.60"), employer_subsidy=Decimal("0.00"),
                employee_subsidy=Decimal("0.00"))
    return Record(**{**base, **fields})


def rules(**changes) -> ApdRules:
    return replace(SHIPPED, **changes)


def codes(r: Record, using: ApdRules = SHIPPED, employer: Employer = EMPLOYER, history: int = 0) -> tuple[int, ...]:
    return codes_of(r, employer, using, history)


# -- K1, K2 -------------------------------------------------------------------------------


def test_an_old_insured_person_joined_before_1993_a_new_one_on_or_after():
    """K2: 1992-12-31 is old, 1993-01-01 new; with zero contributions only the new gets 82."""
    zero = record(contributions=Decimal("0.00"))
    assert replace(zero, insured_since=date(1992, 12, 31)).old_insured
    assert not replace(zero, insured_since=date(1993, 1, 1)).old_insured
    assert codes(replace(zero, insured_since=date(1992, 12, 31))) == (70,)
    assert codes(replace(zero, insured_since=date(1993, 1, 1))) == (82, 141)


# -- K3, K4: the rate of the wage period, the 1 euro tolerance ---------------------------


def test_package_101_is_checked_at_43_86_for_2003_09_and_44_06_from_2003_10_whatever_the_submission():
    """K3 (003 §Διευκρίνιση): the rate of field 33's wage period, not of the submission."""
    september = record(wage_period="2003-09", contributions=Decimal("438.60"))
    assert codes(september) == ()
    assert codes(replace(september, wage_period="2003-10")) == (70,)  # 440.60 expected: 2.00 off
    assert codes(record(wage_period="2003-10", contributions=Decimal("440.60"))) == ()
    assert codes(record(wage_period="2007-03", contributions=Decimal("440.60"))) == ()


def test_a_difference_of_exactly_1_00_passes_and_1_01_fails():
    """K4: |C − E × rate| > 1.00 fails; exactly 1.00 passes."""
    assert codes(record(contributions=Decimal("441.60"))) == ()
    assert codes(record(contributions=Decimal("439.60"))) == ()
    assert codes(record(contributions=Decimal("441.61"))) == (70,)
    assert codes(record(contributions=Decimal("439.59"))) == (70,)


def test_the_product_is_not_rounded_before_comparing():
    """K4 [P]: 1000.01 × 44.06% = 440.604406; 439.60 is 1.004406 off (fails), though
    the product rounded to cents, 440.60, would be exactly 1.00 off (would pass)."""
    assert codes(record(earnings=Decimal("1000.01"), contributions=Decimal("439.60"))) == (70,)
    assert codes(record(earnings=Decimal("1000.01"), contributions=Decimal("441.60"))) == ()


# -- K5: which code, the ceilings -----------------------------------------------------


CEILINGS = rules(old_ceiling=Dated.of([(None, Decimal("2000.00"))]),
                 new_ceiling=Dated.of([("2004-02", Decimal("5000.00"))]))


def test_the_code_follows_old_or_new_and_the_ceiling():
    """K5 [P]: old above → 79 (against ceiling × rate), old below → 70, new above → 140,
    new below → 141."""
    old_above = record(earnings=Decimal("2500.00"), contributions=Decimal("881.20"))  # 2000 × 44.06%
    assert codes(old_above, CEILINGS) == ()
    assert codes(replace(old_above, contributions=Decimal("1101.50")), CEILINGS) == (79,)  # E × rate: wrong
    assert codes(record(contributions=Decimal("400.00")), CEILINGS) == (70,)
    new_above = record(insured_since=NEW, wage_period="2004-03", earnings=Decimal("6000.00"),
                       contributions=Decimal("2203.00"))  # 5000 × 44.06%
    assert codes(new_above, CEILINGS) == ()
    assert codes(replace(new_above, contributions=Decimal("2643.60")), CEILINGS) == (140,)
    assert codes(record(insured_since=NEW, contributions=Decimal("400.00")), CEILINGS) == (141,)


def test_without_a_ceiling_for_the_period_earnings_count_as_below_it():
    """interfaces §1.4: no ceiling configured (the shipped data: the seed gives none)."""
    assert codes(record(earnings=Decimal("9000.00"), contributions=Decimal("1000.00"))) == (70,)
    # the new insured's ceiling starts 2004-02 in CEILINGS: before, none
    assert codes(record(insured_since=NEW, wage_period="2004-01", earnings=Decimal("6000.00"),
                        contributions=Decimal("2203.00")), CEILINGS) == (141,)


def test_codes_119_and_120_are_abolished():
    """K6: never registered, so never emitted, whatever the difference (the 140 EUR is gone)."""
    assert {c.code for c in CODES} & ABOLISHED == set()
    assert codes(record(contributions=Decimal("300.60"))) == (70,)  # 140.00 off: 70, not 119


# -- K7, K8 ---------------------------------------------------------------------------


def test_82_with_141_on_a_new_insured_persons_zero_contributions():
    """K7 [P]: also before 2004-02; zero contributions also disagree with E × rate (141)."""
    assert codes(record(insured_since=NEW, contributions=Decimal("0.00"))) == (82, 141)
    assert codes(record(insured_since=NEW, wage_period="2003-05", contributions=Decimal("0.00"))) == (82, 141)
    assert codes(record(insured_since=NEW, earnings=Decimal("0.00"), contributions=Decimal("0.00"))) == (82,)
    assert codes(record(contributions=Decimal("0.00"), earnings=Decimal("0.00"))) == ()  # old: not 82


def test_122_counts_the_insured_persons_days_already_in_the_history():
    """K8: this record's days and the history's for the period, against the month's
    calendar days: 30 in 2004-09, 29 in February 2004, 28 in February 2003."""
    september = record(wage_period="2004-09", days=19)
    assert codes(september, history=11) == ()  # 30 = 30
    assert codes(september, history=12) == (122,)
    assert codes(record(wage_period="2004-02", days=29)) == ()
    assert codes(record(wage_period="2004-02", days=29), history=1) == (122,)
    february_2003 = record(wage_period="2003-02", contributions=Decimal("438.60"))  # at 43.86%
    assert codes(replace(february_2003, days=28)) == ()
    assert codes(replace(february_2003, days=29)) == (122,)


# -- K9, K10: the pluggable triggers ---------------------------------------------------


def test_94_marks_the_persons_records_without_insurance_days_for_the_same_period():
    """K9: the trigger flags one record; the person's records of the same period whose
    earnings type has no insurance days are flagged too, not those of other periods or
    other people."""
    flagging = rules(trigger_94=lambda r, employer: r.record == "a", types_without_days=frozenset({"10"}))
    a = record(record="a")
    same_person_no_days = record(record="b", earnings_type="10", days=0)
    same_person_with_days = record(record="c", earnings_type="02", days=0)
    other_period = record(record="d", earnings_type="10", wage_period="2003-11", days=0)
    other_person = record(record="e", earnings_type="10", amka="02027012349", days=0)
    found = declaration_codes([a, same_person_no_days, same_person_with_days, other_period, other_person],
                              EMPLOYER, flagging, {})
    assert {r: c for r, c in found.items() if 94 in c} == {"a": (94,), "b": (94,)}


def test_without_a_trigger_94_and_52_are_never_raised():
    """K9, K10 [P]: no default condition is shipped."""
    assert SHIPPED.trigger_94 is None and SHIPPED.trigger_52 is None
    assert codes(record(from_date=date(2030, 1, 1))) == ()


def test_52_is_relaxed_for_retroactive_earnings_dated_after_2000():
    """K10: for type 09 «αναδρομικά» dates after 2000-01-01 in fields 34, 35 do not
    alone raise 52; the trigger is told so."""
    def late_dates(r: Record, employer: Employer, after_2000_allowed: bool) -> bool:
        late = r.from_date > date(2000, 1, 1) or r.to_date > date(2000, 1, 1)
        return late and not after_2000_allowed

    dated = rules(trigger_52=late_dates)
    assert codes(record(), dated) == (52,)
    assert codes(record(earnings_type="09"), dated) == ()


# -- K11–K14: the subsidies ------------------------------------------------------------


def test_150_for_earnings_above_600_but_not_at_600():
    """K11 d: no tolerance on the 600 EUR (Se within 2% so that 151 stays quiet)."""
    at_600 = record(earnings=Decimal("600.00"), contributions=Decimal("264.36"), employer_subsidy=Decimal("12.00"))
    assert codes(at_600) == ()
    assert codes(replace(at_600, earnings=Decimal("600.01"), contributions=Decimal("264.36"))) == (150,)


def test_150_for_a_package_type_or_employer_that_does_not_qualify():
    """K11 a–c."""
    subsidised = record(earnings=Decimal("500.00"), contributions=Decimal("220.30"), employer_subsidy=Decimal("10.00"))
    assert codes(subsidised) == ()
    assert codes(replace(subsidised, earnings_type="02")) == (150,)  # (b)
    assert codes(subsidised, employer=Employer("001", False)) == (150,)  # (c)
    assert codes(subsidised, employer=Employer("002", False)) == (150,)
    assert codes(subsidised, employer=Employer("010", True)) == (150,)
    no_pension = rules(packages={**SHIPPED.packages, "102": Package("102", Dated.of([(None, Decimal("0.4406"))]),
                                                                       False, False)})
    assert codes(replace(subsidised, package="102"), no_pension) == (150,)  # (a)


def test_151_allows_the_subsidy_tolerance_of_0_05():
    """K12, K14: Se > E × 2% by more than 0.05 (500.00 × 2% = 10.00)."""
    base = record(earnings=Decimal("500.00"), contributions=Decimal("220.30"))
    assert codes(replace(base, employer_subsidy=Decimal("10.05"))) == ()
    assert codes(replace(base, employer_subsidy=Decimal("10.06"))) == (151,)
    assert codes(replace(base, earnings_type="02", employer_subsidy=Decimal("10.06"))) == (150,)  # 151 only 01…08


WAGE = rules(daily_wage=Dated.of([(None, Decimal("24.00"))]))


@pytest.mark.parametrize(("earnings_type", "days", "limit"), [
    ("01", 25, Decimal("40.02")),  # 25 × 24.00 × 6.67% = 40.02
    ("08", 10, Decimal("16.008")),
    ("03", 4, Decimal("40.02")),  # 25 days whatever the record's
    ("04", 4, Decimal("24.012")),  # 15
    ("05", 4, Decimal("20.8104")),  # 13
])
def test_152_against_days_times_the_daily_wage_times_6_67_with_the_tolerance(earnings_type, days, limit):
    """K13 c–f, K14: an error only beyond the unrounded product by more than 0.05."""
    base = record(earnings_type=earnings_type, days=days)
    within = (limit + Decimal("0.05")).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert codes(replace(base, employee_subsidy=within), WAGE) == ()
    assert codes(replace(base, employee_subsidy=within + Decimal("0.01")), WAGE) == (152,)


def test_152_for_a_type_or_package_that_does_not_qualify_needs_no_wage():
    """K13 a, b: decided before W is read."""
    assert codes(record(earnings_type="02", employee_subsidy=Decimal("1.00"))) == (152,)
    no_ika = rules(packages={**SHIPPED.packages, "103": Package("103", Dated.of([(None, Decimal("0.4406"))]),
                                                                   True, False)})
    assert codes(record(package="103", employee_subsidy=Decimal("1.00")), no_ika) == (152,)


def test_a_check_that_needs_an_unconfigured_value_refuses_naming_it():
    """K3, K13: the seed gives no W and no rate but 101's: refused with the reason, never guessed."""
    with pytest.raises(RuleDataMissing) as wage:
        codes(record(employee_subsidy=Decimal("1.00")))
    assert wage.value.field == "records[record=1].employee_subsidy"
    assert wage.value.reason == "no unskilled worker's daily wage is configured for wage period 2003-10 (K13)"
    with pytest.raises(RuleDataMissing) as package:
        codes(record(package="102"))
    assert (package.value.field, package.value.reason) == (
        "records[record=1].package", "package 102 is not configured (K3)")


def test_every_code_has_the_seeds_title_and_its_rule():
    assert [c.code for c in CODES] == [52, 70, 79, 82, 94, 122, 140, 141, 150, 151, 152]
    assert TITLES[150].startswith("Έχει συμπληρωθεί ποσό επιδότησης εργοδοτικής εισφοράς")
    assert all(c.rule.startswith("K") for c in CODES)


# -- K15 and the fast path: a property over well-typed records -----------------------

amounts = st.decimals(min_value=0, max_value=20000, places=2, allow_nan=False, allow_infinity=False)
records = st.builds(
    Record, record=st.text("abc123", min_size=1, max_size=4), amka=st.sampled_from(["01016512343", "02027012349"]),
    insured_since=st.dates(date(1960, 1, 1), date(2007, 1, 1)), package=st.just("101"),
    earnings_type=st.sampled_from(["01", "02", "03", "04", "05", "08", "09", "10"]),
    wage_period=st.builds(lambda y, m: f"{y}-{m:02}", st.integers(2002, 2007), st.integers(1, 12)),
    from_date=st.dates(date(1995, 1, 1), date(2008, 1, 1)), to_date=st.dates(date(1995, 1, 1), date(2008, 1, 1)),
    days=st.integers(0, 99), earnings=amounts, contributions=amounts, employer_subsidy=amounts,
    employee_subsidy=amounts)
configured = st.sampled_from([SHIPPED, CEILINGS, replace(WAGE, old_ceiling=CEILINGS.old_ceiling)])


@settings(max_examples=300, deadline=None)
@given(st.lists(records, max_size=12, unique_by=lambda r: r.record), configured,
       st.sampled_from([Employer("010", False), Employer("001", False), Employer("010", True)]),
       st.integers(0, 31))
def test_the_checks_never_raise_and_give_ascending_codes_the_batch_as_one_by_one(batch, using, employer, days):
    """K15: on any well-typed record (its package and, where a subsidy needs it, W
    configured) the checks return codes in ascending order, never 119 or 120; the
    declaration's batch path gives each record what ``codes_of`` gives it alone."""
    if using.daily_wage.at("2002-01") is None:
        batch = [replace(r, employee_subsidy=Decimal("0.00")) for r in batch]
    history = {(r.amka, r.wage_period): days for r in batch}
    found = declaration_codes(batch, employer, using, history)
    for r in batch:
        alone = codes_of(r, employer, using, days)
        assert found[r.record] == alone == tuple(sorted(set(alone)))
        assert not set(alone) & ABOLISHED


@settings(max_examples=200, deadline=None)
@given(st.lists(records, max_size=12, unique_by=lambda r: r.record), st.integers(0, 31))
def test_the_batched_path_marks_94_as_the_plain_one(batch, days):
    """K9 with a trigger: ``BATCHED`` off (each record by ``codes_of``) gives the same codes."""
    marking = rules(trigger_94=lambda r, employer: r.days > 20, types_without_days=frozenset({"09", "10"}))
    batch = [replace(r, employee_subsidy=Decimal("0.00")) for r in batch]
    history = {(r.amka, r.wage_period): days for r in batch}
    fast = declaration_codes(batch, EMPLOYER, marking, history)
    apd_checks.BATCHED = False
    try:
        assert declaration_codes(batch, EMPLOYER, marking, history) == fast
    finally:
        apd_checks.BATCHED = True
