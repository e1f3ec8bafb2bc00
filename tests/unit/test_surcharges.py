"""§8 L1–L3: legal surcharges on late amounts, from the configured rate table."""

from datetime import date
from decimal import Decimal

import pytest

from aggregates.surcharges import RatePeriod, SurchargeRules, delay_month_starts
from tests.unit.builders import RULES, d, m


def test_L1_covid_example_eighteen_months_at_eight_percent():
    # 3000.00 overdue since 2020-06-30, as of 2021-12-15: months start 2020-07-01 …
    # 2021-12-01 = 18 started months at 8% → 3000 × 0.08/12 × 18 = 360.00
    assert RULES.surcharge(m("3000.00"), d("2020-06-30"), d("2021-12-15")) == m("360.00")


def test_L1_a_month_starts_the_day_after_the_due_date():
    # 1000.00 due 2021-01-31: on the due date no delay; on 02-01 one started month
    # → 1000 × 0.08/12 = 6.666… → 6.67; on 03-01 the second month starts → 13.33
    assert RULES.surcharge(m("1000.00"), d("2021-01-31"), d("2021-01-31")) == m("0.00")
    assert RULES.surcharge(m("1000.00"), d("2021-01-31"), d("2021-02-01")) == m("6.67")
    assert RULES.surcharge(m("1000.00"), d("2021-01-31"), d("2021-02-28")) == m("6.67")
    assert RULES.surcharge(m("1000.00"), d("2021-01-31"), d("2021-03-01")) == m("13.33")


def test_L1_delay_months_start_on_the_same_day_clamped_to_short_months():
    # due 2021-01-30: months start 01-31, then "the same day" 02-28 (short month), 03-31
    assert list(delay_month_starts(d("2021-01-30"), d("2021-04-15"))) == [
        d("2021-01-31"), d("2021-02-28"), d("2021-03-31"),
    ]


def test_L1_rounded_once_per_item_not_per_month():
    # 10.00 for 2 months at 8%: 10 × 0.08/12 × 2 = 0.1333… → 0.13
    # (rounding each month, 0.07 + 0.07, would give 0.14)
    assert RULES.surcharge(m("10.00"), d("2021-01-31"), d("2021-03-01")) == m("0.13")


@pytest.mark.parametrize(
    ("day", "rate"),
    [
        ("2013-01-01", "0.0875"),
        ("2013-05-07", "0.0875"),
        ("2013-05-08", "0.0850"),
        ("2013-11-13", "0.0825"),
        ("2014-06-10", "0.0825"),
        ("2014-06-11", "0.0815"),
        ("2014-09-10", "0.0805"),
        ("2016-03-15", "0.0805"),
        ("2016-03-16", "0.0800"),
        ("2022-07-26", "0.0800"),
        ("2022-07-27", "0.0850"),
        ("2022-09-13", "0.0850"),
        ("2030-01-01", "0.0850"),  # frozen at 8.50%
    ],
)
def test_L1_rate_table_in_force_on_a_day(day, rate):
    assert RULES.yearly_rate_on(d(day)) == Decimal(rate)


def test_L1_a_month_takes_the_rate_in_force_on_its_first_day():
    # 1000.00 due 2022-06-25: months start 06-26 (8%), 07-26 (8%, the day before
    # 8.50% starts), 08-26 (8.50%) → 1000 × (0.08/12 × 2 + 0.085/12)
    # = 13.3333 + 7.0833 = 20.4166… → 20.42
    assert RULES.surcharge(m("1000.00"), d("2022-06-25"), d("2022-08-26")) == m("20.42")
    # due 2022-06-26: the second month starts on 07-27, the first day of 8.50%
    # → 1000 × (0.08/12 + 0.085/12 × 2) = 6.6667 + 14.1667 = 20.83
    assert RULES.surcharge(m("1000.00"), d("2022-06-26"), d("2022-08-27")) == m("20.83")


def test_L1_first_rate_of_2013():
    # 1200.00 due 2013-01-31, as of 2013-03-01: months start 02-01 and 03-01,
    # both at 8.75% → 1200 × 0.0875/12 × 2 = 17.50
    assert RULES.surcharge(m("1200.00"), d("2013-01-31"), d("2013-03-01")) == m("17.50")


def test_L2_before_2013_three_percent_then_one_percent():
    # 1000.00 due 2010-01-31, as of 2012-12-31: 35 started months (2010-02-01 …
    # 2012-12-01) → 3% + 34 × 1% = 37% → 370.00
    assert RULES.surcharge(m("1000.00"), d("2010-01-31"), d("2012-12-31")) == m("370.00")
    # the first month alone: 3% → 30.00
    assert RULES.surcharge(m("1000.00"), d("2012-10-31"), d("2012-11-01")) == m("30.00")
    # second month: 3% + 1% → 40.00
    assert RULES.surcharge(m("1000.00"), d("2012-10-31"), d("2012-12-01")) == m("40.00")


def test_L2_capped_at_the_principal():
    # due 2000-01-31: by 2006 the 3% + 1%/month has passed 100% → capped at 1000.00
    assert RULES.surcharge(m("1000.00"), d("2000-01-31"), d("2012-12-31")) == m("1000.00")
    # exactly at the cap: 3% + 97 × 1% = 100% after 98 months (2000-02-01 … 2008-03-01)
    assert RULES.surcharge(m("1000.00"), d("2000-01-31"), d("2008-03-01")) == m("1000.00")
    assert RULES.surcharge(m("1000.00"), d("2000-01-31"), d("2008-02-01")) == m("990.00")


def test_L1_L2_a_debt_straddling_2013():
    # 1000.00 due 2012-11-30, as of 2013-03-05: month 2012-12-01 is L2 (3%),
    # months 2013-01-01, 02-01, 03-01 are L1 at 8.75% → 0.03 + 3 × 0.0875/12
    # = 0.03 + 0.021875 = 0.051875 → 51.875 → 51.88
    assert RULES.surcharge(m("1000.00"), d("2012-11-30"), d("2013-03-05")) == m("51.88")


def test_L3_the_rate_table_is_configuration():
    assert RULES.table_starts_on == date(2013, 1, 1)
    assert [(r.starts_on.isoformat(), str(r.yearly_rate)) for r in RULES.rates] == [
        ("2013-01-01", "0.0875"), ("2013-05-08", "0.0850"), ("2013-11-13", "0.0825"),
        ("2014-06-11", "0.0815"), ("2014-09-10", "0.0805"), ("2016-03-16", "0.0800"),
        ("2022-07-27", "0.0850"), ("2022-09-13", "0.0850"),
    ]
    # a new rate is a new row, no code change: 12% from 2025-01-01
    rules = SurchargeRules(
        rates=(*RULES.rates, RatePeriod(date(2025, 1, 1), Decimal("0.12"))),
        table_starts_on=RULES.table_starts_on,
        legacy_first_month=RULES.legacy_first_month,
        legacy_later_months=RULES.legacy_later_months,
        legacy_cap=RULES.legacy_cap,
    )
    # 1000.00 due 2024-12-31, as of 2025-02-01: 2 months at 12% → 1000 × 0.01 × 2 = 20.00
    assert rules.surcharge(m("1000.00"), d("2024-12-31"), d("2025-02-01")) == m("20.00")
    # with the shipped table: 2 × 8.5%/12 → 14.17
    assert RULES.surcharge(m("1000.00"), d("2024-12-31"), d("2025-02-01")) == m("14.17")


def test_L3_rates_must_be_oldest_first():
    with pytest.raises(ValueError, match="oldest first"):
        SurchargeRules(
            rates=(RatePeriod(date(2016, 3, 16), Decimal("0.08")), RatePeriod(date(2013, 1, 1), Decimal("0.0875"))),
            table_starts_on=date(2013, 1, 1),
            legacy_first_month=Decimal("0.03"),
            legacy_later_months=Decimal("0.01"),
            legacy_cap=Decimal("1"),
        )


def test_L1_no_rate_before_the_table():
    with pytest.raises(ValueError, match="no surcharge rate"):
        RULES.yearly_rate_on(d("2012-12-31"))
