"""OGA monthly contributions, domain §13 G1, G2, G6 (seed 004 §II.6, form 649
Οδηγίες 3): the configured 2012 table as printed, the employer's whole total, and a
run of months priced at each month's own year's figures."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from aggregates.errors import BadInput, NotAllowed
from aggregates.oga_contributions import ContributionTable, MonthlyContribution, YearLine
from ledger.settings import DEFAULT_CONFIG_DIR, load_settings
from tests.unit.builders import SETTINGS, m

TABLE = SETTINGS.oga.contributions


def row(year: int, category: int, total: str) -> MonthlyContribution:
    """A made-up row for a year the seed has no table for: only its total matters here."""
    return MonthlyContribution(year, category, m("1000.00"), m("0.00"), m("0.00"), m("0.00"), m("0.00"), m(total),
                               m(total))


def test_g1_the_2012_table_is_the_seeds_as_printed():
    printed = {
        5: ("1034.74", "72.43", "25.87", "2.97", "101.27", "72.43", "173.70"),
        6: ("1198.50", "83.90", "29.96", "2.97", "116.83", "83.90", "200.73"),
        7: ("1361.03", "95.27", "34.03", "2.97", "132.27", "95.27", "227.54"),
    }
    assert TABLE.rows == {(2012, category): MonthlyContribution(2012, category, *map(Decimal, amounts))
                          for category, amounts in printed.items()}
    assert TABLE.years() == {2012}


@pytest.mark.parametrize("category", [5, 6, 7])
def test_g1_check_not_rule_7_7_and_2_5_percent_of_the_category_amount_plus_a_flat_lae(category):
    """The printed amounts equal 7% pension (insured and employer each) and 2.5% sickness
    of the category amount, rounded half up, plus ΛΑΕ 2.97: a check of the data, which
    the ledger never recomputes (G1 [P]); and the totals add up."""
    contribution = TABLE.rows[2012, category]

    def percent(rate: str) -> Decimal:
        return (contribution.category_amount * Decimal(rate) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)

    assert contribution.pension == contribution.employer == percent("7")
    assert contribution.sickness == percent("2.5")
    assert contribution.lae == m("2.97")
    assert contribution.insured == contribution.pension + contribution.sickness + contribution.lae
    assert contribution.total == contribution.insured + contribution.employer


@pytest.mark.parametrize(("category", "insured", "employer", "total"), [
    (5, "101.27", "72.43", "173.70"), (6, "116.83", "83.90", "200.73"), (7, "132.27", "95.27", "227.54")])
def test_g2_the_employer_owes_the_whole_monthly_total(category, insured, employer, total):
    priced = TABLE.price(category, date(2012, 1, 1), 1)
    assert (priced.insured, priced.employer, priced.total) == (m(insured), m(employer), m(total))
    assert TABLE.rows[2012, category].owed_by_employer == m(total)


def test_g6_a_run_of_months_of_one_year_is_one_line():
    priced = TABLE.price(6, date(2012, 3, 1), 4)
    assert [p.month for p in priced.months] == [date(2012, 3, 1), date(2012, 4, 1), date(2012, 5, 1),
                                                date(2012, 6, 1)]
    assert priced.lines == (YearLine(2012, 4, m("200.73"), m("802.92")),)
    assert (priced.insured, priced.employer, priced.total) == (m("467.32"), m("335.60"), m("802.92"))


def test_g6_a_month_whose_year_has_no_table_is_refused_never_priced_at_2012s():
    with pytest.raises(NotAllowed) as refused:
        TABLE.price(5, date(2012, 11, 1), 3)
    assert (refused.value.field, refused.value.reason) == (
        "--months", "2013-01: no OGA contribution table for 2013; a month is priced only at its own year's "
                    "figures (G6)")
    with pytest.raises(NotAllowed) as refused:
        TABLE.price(5, date(2013, 1, 1), 1)
    assert refused.value.field == "--from" and "(G6)" in refused.value.reason


def test_g6_a_span_across_two_years_is_two_lines_as_form_649_instructions_3():
    """2 × the 2013 monthly amount + 4 × the 2014 one (the form's own example), with
    made-up 2013 and 2014 figures: the seed has no table for either."""
    table = ContributionTable.of([row(2013, 5, "180.00"), row(2014, 5, "185.50")])
    priced = table.price(5, date(2013, 11, 1), 6)
    assert priced.lines == (YearLine(2013, 2, m("180.00"), m("360.00")), YearLine(2014, 4, m("185.50"), m("742.00")))
    assert priced.total == m("1102.00")


def test_g1_a_category_the_years_table_lacks_is_refused():
    with pytest.raises(NotAllowed) as refused:
        TABLE.price(4, date(2012, 1, 1), 1)
    assert (refused.value.field, refused.value.reason) == (
        "--category", "no category 4 in the OGA contribution table for 2012 (G1)")


def test_no_months_is_bad_input():
    with pytest.raises(BadInput) as refused:
        TABLE.price(5, date(2012, 1, 1), 0)
    assert (refused.value.field, refused.value.reason) == ("--months", "must be at least 1, not 0")


def test_g1_two_rows_for_one_year_and_category_are_refused():
    with pytest.raises(ValueError, match="two contribution rows for 2013, category 5"):
        ContributionTable.of([row(2013, 5, "1.00"), row(2013, 5, "2.00")])


def test_a_config_folder_without_oga_toml_uses_the_shipped_tables(tmp_path):
    for file in DEFAULT_CONFIG_DIR.glob("*.toml"):
        if file.name != "oga.toml":
            (tmp_path / file.name).write_bytes(file.read_bytes())
    assert load_settings(str(tmp_path)).oga == SETTINGS.oga
