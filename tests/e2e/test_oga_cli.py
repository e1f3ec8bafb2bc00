"""`ledger oga contributions` and `ledger oga prepayment` (interfaces §1.5, domain §13
G1–G9): their JSON with the seed's 2012 figures, the readable lines, the refusals
(exit 2, one line naming the option and the rule). They read no ledger: every run
here names a store that cannot be opened."""

from __future__ import annotations

import shutil

import pytest

from ledger.settings import DEFAULT_CONFIG_DIR, load_settings
from tests.cli_helpers import cli_runner

NO_STORE = "postgresql://nobody@127.0.0.1:1/none"


@pytest.fixture
def cli(capsys):
    return cli_runner(NO_STORE, capsys)


def test_g1_g2_contributions_per_month_and_in_total(cli):
    priced = cli("oga", "contributions", "--category", "7", "--from", "2012-11", "--months", "2", "--json")
    assert priced["per_month"] == [
        {"period": period, "category_amount": "1361.03", "pension": "95.27", "sickness": "34.03", "lae": "2.97",
         "insured": "132.27", "employer": "95.27", "total": "227.54"} for period in ("2012-11", "2012-12")]
    assert (priced["insured"], priced["employer"], priced["total"]) == ("264.54", "190.54", "455.08")
    assert priced["lines"] == [{"year": 2012, "months": 2, "monthly": "227.54", "amount": "455.08"}]


def test_g5_g7_g8_a_seasonal_workers_prepayment_and_two_month_periods(cli):
    plan = cli("oga", "prepayment", "--kind", "seasonal", "--category", "5", "--from", "2012-05", "--months", "6",
               "--json")
    assert {k: plan[k] for k in ("kind", "category", "prepaid_months", "amount", "fee", "form", "deadline")} == {
        "kind": "seasonal", "category": 5, "prepaid_months": 2, "amount": "347.40", "fee": "5.00", "form": "649",
        "deadline": None}
    assert [{k: p[k] for k in ("from", "months", "amount", "form", "due_date", "fee")} for p in plan["rest"]] == [
        {"from": "2012-07", "months": 2, "amount": "347.40", "form": "649", "due_date": "2012-07-02", "fee": "5.00"},
        {"from": "2012-09", "months": 2, "amount": "347.40", "form": "649", "due_date": "2012-09-03", "fee": "5.00"}]


def test_g9_another_invited_worker_within_ten_days_of_entry_moved_past_easter(cli):
    plan = cli("oga", "prepayment", "--kind", "other", "--category", "6", "--from", "2012-04", "--months", "8",
               "--entry", "2012-04-04", "--json")
    assert (plan["prepaid_months"], plan["amount"], plan["form"], plan["fee"], plan["deadline"]) == (
        3, "602.19", "608", None, "2012-04-17")
    assert plan["rest"] == [{"from": "2012-07", "months": 5, "amount": "1003.65", "fee": None, "form": "640",
                             "due_date": None, "lines": [{"year": 2012, "months": 5, "monthly": "200.73",
                                                          "amount": "1003.65"}]}]


def test_g5_a_fisherman_prepays_six_months(cli):
    plan = cli("oga", "prepayment", "--kind", "fisherman", "--category", "5", "--from", "2012-02", "--months", "9",
               "--json")
    assert (plan["prepaid_months"], plan["amount"], plan["form"], plan["fee"]) == (6, "1042.20", "649", "5.00")
    assert [(p["from"], p["months"], p["amount"], p["form"], p["due_date"]) for p in plan["rest"]] == [
        ("2012-08", 3, "521.10", "640", None)]


def test_the_readable_lines_in_english(cli, monkeypatch):
    monkeypatch.setenv("LEDGER_LANG", "en")
    out, _ = cli("oga", "prepayment", "--kind", "seasonal", "--category", "5", "--from", "2012-05", "--months", "3")
    assert out.splitlines() == [
        "seasonal worker, category 5, invited for 3 months from 2012-05",
        "prepayment: 2 months, €347.40 on form 649",
        "  2 × €173.70 (2012) = €347.40",
        "  plus the bank's charge €5.00, not a contribution (G8)",
        "then: 1 month from 2012-07, €173.70 on form 649, due 2012-07-02 (G7)",
        "  plus the bank's charge €5.00, not a contribution (G8)",
    ]
    out, _ = cli("oga", "contributions", "--category", "6", "--from", "2012-12", "--months", "1")
    assert out.splitlines() == [
        "OGA contributions, category 6, 1 month from 2012-12",
        "2012-12  insured €116.83  employer €83.90  total €200.73",
        "  1 × €200.73 (2012) = €200.73",
        "insured €116.83  employer €83.90  total €200.73, all owed by the employer (G2)",
    ]


@pytest.fixture
def config_2013_2014(tmp_path, monkeypatch):
    """A config folder whose oga.toml has made-up 2013 and 2014 rows (the seed has none)."""
    for file in DEFAULT_CONFIG_DIR.glob("*.toml"):
        shutil.copy(file, tmp_path)
    rows = "".join(
        f'[[contributions]]\nyear = {year}\ncategory = 5\ncategory_amount = "1000.00"\npension = "70.00"\n'
        f'sickness = "25.00"\nlae = "3.00"\ninsured = "98.00"\nemployer = "70.00"\ntotal = "{total}"\n\n'
        for year, total in ((2013, "168.00"), (2014, "170.50")))
    (tmp_path / "oga.toml").write_text(f'[form_fees]\n649 = "5.00"\n\n[prepayment]\n\n{rows}')
    monkeypatch.setenv("LEDGER_CONFIG_DIR", str(tmp_path))
    load_settings.cache_clear()
    yield
    monkeypatch.delenv("LEDGER_CONFIG_DIR")
    load_settings.cache_clear()


def test_g6_a_span_across_configured_years_is_priced_per_year(cli, config_2013_2014):
    """Form 649 Οδηγίες 3: a fisherman's 6 months from November 2013 are 2 × the 2013
    monthly amount + 4 × the 2014 one."""
    plan = cli("oga", "prepayment", "--kind", "fisherman", "--category", "5", "--from", "2013-11", "--months", "6",
               "--json")
    assert plan["lines"] == [{"year": 2013, "months": 2, "monthly": "168.00", "amount": "336.00"},
                             {"year": 2014, "months": 4, "monthly": "170.50", "amount": "682.00"}]
    assert plan["amount"] == "1018.00"
    _, err = cli("oga", "contributions", "--category", "5", "--from", "2014-12", "--months", "2", expect=2)
    assert err == ("error: --months: 2015-01: no OGA contribution table for 2015; a month is priced only at its own "
                   "year's figures (G6)\n")


@pytest.mark.parametrize(("args", "error"), [
    (("--kind", "fisherman", "--category", "5", "--from", "2012-01", "--months", "11"),
     "--months: a fisherman is invited for at most 10 months, not 11 (G3)"),
    (("--kind", "seasonal", "--category", "5", "--from", "2012-01", "--months", "7"),
     "--kind: a seasonal invitation is at most 6 months, not 7: a worker other than a fisherman invited for "
     "longer is an other invited worker (G3)"),
    (("--kind", "other", "--category", "4", "--from", "2012-01", "--months", "3"),
     "--category: an invited worker's insurance category is at least the 5th, not 4 (G4)"),
    (("--kind", "other", "--category", "8", "--from", "2012-01", "--months", "3"),
     "--category: no category 8 in the OGA contribution table for 2012 (G1)"),
    (("--kind", "other", "--category", "5", "--from", "2013-01", "--months", "3"),
     "--from: 2013-01: no OGA contribution table for 2013; a month is priced only at its own year's figures (G6)"),
    (("--kind", "other", "--category", "5", "--from", "2012-13", "--months", "3"),
     "--from: '2012-13' is not a period YYYY-MM"),
    (("--kind", "other", "--category", "5", "--from", "2012-01", "--months", "0"), "--months: must be at least 1, not 0"),
    (("--kind", "other", "--category", "5", "--from", "2012-01", "--months", "3", "--entry", "2012-02-30"),
     "--entry: '2012-02-30' is not a valid date (day is out of range for month)"),
    (("--kind", "worker", "--category", "5", "--from", "2012-01", "--months", "3"),
     "--kind: 'worker' is not one of seasonal, fisherman, other"),
])
def test_refusals_exit_2_naming_the_option_and_the_rule(cli, args, error):
    out, err = cli("oga", "prepayment", *args, expect=2)
    assert (out, err) == ("", f"error: {error}\n")


@pytest.mark.parametrize(("args", "option"), [
    (("--category", "five", "--from", "2012-01", "--months", "1"), "'--category'"),
    (("--category", "5", "--from", "2012-01", "--months", "one"), "'--months'"),
    (("--category", "5", "--months", "1"), "'--from'"),
])
def test_malformed_numbers_and_missing_options_name_the_option(cli, args, option):
    _, err = cli("oga", "contributions", *args, expect=2)
    assert err.startswith("error: ") and option in err and err.count("\n") == 1
