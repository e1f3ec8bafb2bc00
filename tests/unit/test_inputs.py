"""``ledger.inputs``: the strict checks every command, file line and message goes
through (issue 12, findings 1, 3, 5, 9), each refusal an exact ``field: reason``."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aggregates.errors import BadInput
from aggregates.references import valid_afm
from ledger import inputs
from ledger.settings import DEFAULT_CONFIG_DIR, load_settings

LIMITS = load_settings().limits
DATES = "is outside the plausible dates 1990-01-01 to 2099-12-31"


def refusal(check, *args) -> str:
    with pytest.raises(BadInput) as refused:
        check(*args)
    return str(refused.value)


def test_the_limits_are_the_configured_ones():
    assert (LIMITS.max_amount, LIMITS.max_integer_digits, LIMITS.earliest_date, LIMITS.latest_date) == (
        Decimal("10000000000.00"), 15, date(1990, 1, 1), date(2099, 12, 31))
    assert LIMITS.max_length == {"name": 200, "service": 120, "reference": 35, "tx_id": 64, "bank": 35,
                                 "transfer_id": 64, "currency": 8, "payer_afm": 16, "option": 200,
                                 "actor": 120, "reason": 500, "iban": 42, "correction_id": 64}


def test_a_config_folder_without_limits_uses_the_shipped_ones(tmp_path: Path):
    for file in DEFAULT_CONFIG_DIR.glob("*.toml"):
        if file.name != "limits.toml":
            (tmp_path / file.name).write_bytes(file.read_bytes())
    assert load_settings(str(tmp_path)).limits == LIMITS


# -- text --------------------------------------------------------------------------------


def test_text_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "Ανδρέου")
    assert inputs.text(decomposed, "--name", "name") == "Ανδρέου" != decomposed


@pytest.mark.parametrize("value, expected", [
    ("RF\x00", "reference: contains a control character (U+0000)"),
    ("A\x1b[31m", "reference: contains a control character (U+001B)"),
    ("A\r\nB", "reference: contains a control character (U+000D)"),
    ("A\tB", "reference: contains a control character (U+0009)"),
    ("A\x85", "reference: contains a control character (U+0085)"),
    ("A\u2028B", "reference: contains a control character (U+2028)"),
    ("\x1c\u2028", "reference: contains a control character (U+001C)"),  # only whitespace controls: not blank
    ("\t\r\n", "reference: contains a control character (U+0009)"),
    ("A\ud800", "reference: contains a control character (U+D800)"),
    ("\u202eFR", "reference: contains a bidirectional mark (U+202E)"),
    ("A\u200fB", "reference: contains a bidirectional mark (U+200F)"),
    ("A\u2067B", "reference: contains a bidirectional mark (U+2067)"),
    ("A\u061c", "reference: contains a bidirectional mark (U+061C)"),
    ("\u200b", "reference: has no visible character (only zero-width ones)"),
    ("\u200c \u200d\ufeff\u2060", "reference: has no visible character (only zero-width ones)"),
    ("R" * 36, "reference: is 36 characters long, at most 35"),
    (12, "reference: must be text, got int"),
])
def test_text_refused(value, expected):
    assert refusal(inputs.optional_text, value, "reference", "reference") == expected


def test_text_with_zero_width_characters_among_visible_ones_is_kept():
    assert inputs.text("Α\u200dΒ", "--name", "name") == "Α\u200dΒ"


def test_required_text_is_not_blank_optional_text_may_be():
    assert refusal(inputs.text, "  ", "--name", "name") == "--name: required and not blank"
    assert refusal(inputs.text, None, "--name", "name") == "--name: required and not blank"
    assert [inputs.optional_text(v, "reference", "reference") for v in (None, "", " ")] == [None, "", " "]


def test_the_length_limit_is_the_kind_s():
    assert inputs.text("Α" * 200, "--name", "name") == "Α" * 200
    assert refusal(inputs.text, "X" * 100_000, "tx_id", "tx_id") == "tx_id: is 100000 characters long, at most 64"
    short = replace(LIMITS, max_length={**LIMITS.max_length, "name": 3})
    assert refusal(inputs.text, "Αβγδ", "--name", "name", short) == "--name: is 4 characters long, at most 3"


def test_escaped_writes_every_refused_character_as_its_escape():
    assert inputs.escaped('{"reference": "RF\x00"}\x1b\u202e\u2028ok') == '{"reference": "RF\\x00"}\\x1b\\u202e\\u2028ok'
    assert inputs.escaped("Παπαδόπουλος") == "Παπαδόπουλος"


# -- amounts ------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("120.50", Decimal("120.50")), (" 12 ", Decimal("12")), ("-3", Decimal("-3")), ("+0.5", Decimal("0.5")),
    ("1.230", Decimal("1.230")), (Decimal("7.1"), Decimal("7.1")), (7, Decimal("7")),
    ("9" * 15 + ".99", Decimal("9" * 15 + ".99")),
])
def test_well_formed_amounts(value, expected):
    assert inputs.well_formed_amount(value, "--amount") == expected


@pytest.mark.parametrize("value, expected", [
    ("1e2", "--amount: '1e2' is not a decimal number"),
    ("1E2", "--amount: '1E2' is not a decimal number"),
    ("1_000", "--amount: '1_000' is not a decimal number"),
    ("1,50", "--amount: '1,50' is not a decimal number"),
    ("\u0661\u0662\u0663", "--amount: '١٢٣' is not a decimal number"),
    ("\uff11\uff12", "--amount: '１２' is not a decimal number"),
    ("NaN", "--amount: 'NaN' is not a decimal number"),
    ("Infinity", "--amount: 'Infinity' is not a decimal number"),
    ("-inf", "--amount: '-inf' is not a decimal number"),
    (".5", "--amount: '.5' is not a decimal number"),
    ("5.", "--amount: '5.' is not a decimal number"),
    ("", "--amount: '' is not a decimal number"),
    (Decimal("NaN"), "--amount: NaN is not a decimal number"),
    ("12.345", "--amount: '12.345' has more than 2 decimals"),
    (Decimal("0.001"), "--amount: 0.001 has more than 2 decimals"),
    ("1" + "0" * 15, "--amount: '1000000000000000' has more than 15 digits before the decimal point"),
    (Decimal("1E+26"), "--amount: 1E+26 has more than 15 digits before the decimal point"),
    ("1" * 50, f"--amount: '{'1' * 40}'… has more than 15 digits before the decimal point"),
    (1.5, "--amount: must be a decimal string, got float"),
    (True, "--amount: must be a decimal string, got bool"),
    (None, "--amount: must be a decimal string, got NoneType"),
])
def test_amounts_refused_for_their_form(value, expected):
    assert refusal(inputs.well_formed_amount, value, "--amount") == expected


def test_an_amount_is_at_most_the_configured_maximum():
    assert inputs.amount("10000000000.00", "--amount") == Decimal("10000000000.00")
    assert refusal(inputs.amount, "10000000000.01", "--amount") == \
        "--amount: 10000000000.01 is more than the limit of 10000000000.00 EUR"
    # well formed all the same: a payment's goes to suspense (P5)
    assert inputs.well_formed_amount("10000000000.01", "amount") == Decimal("10000000000.01")


# -- dates and periods ----------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    ("20210101", "--date: '20210101' is not an ISO date YYYY-MM-DD"),
    ("2021W011", "--date: '2021W011' is not an ISO date YYYY-MM-DD"),
    ("2021-W01-1", "--date: '2021-W01-1' is not an ISO date YYYY-MM-DD"),
    ("2021-01-01T00:00", "--date: '2021-01-01T00:00' is not an ISO date YYYY-MM-DD"),
    ("\uff12\uff10\uff12\uff11-01-01", "--date: '２０２１-01-01' is not an ISO date YYYY-MM-DD"),
    ("\u0662\u0660\u0662\u0661-01-01", "--date: '٢٠٢١-01-01' is not an ISO date YYYY-MM-DD"),
    ("2021-02-30", "--date: '2021-02-30' is not a valid date (day is out of range for month)"),
    (datetime(2021, 1, 1), "--date: must be a date, not a date and time"),
    (20210101, "--date: must be an ISO date string YYYY-MM-DD, got int"),
])
def test_dates_are_iso_in_ascii_only(value, expected):
    assert refusal(inputs.iso_date, value, "--date") == expected


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "1989-12-31", "2100-01-01"])
def test_dates_outside_the_plausible_range_are_refused(value):
    assert inputs.iso_date(value, "--due") == date.fromisoformat(value)  # well formed
    assert refusal(inputs.plausible_date, value, "--due") == f"--due: {value} {DATES}"


def test_the_plausible_range_includes_its_ends():
    assert [inputs.plausible_date(v, "--due") for v in ("1990-01-01", "2099-12-31")] == \
        [date(1990, 1, 1), date(2099, 12, 31)]
    assert inputs.plausible_date(date(2021, 12, 1), "--due") == date(2021, 12, 1)


@pytest.mark.parametrize("value, expected", [
    ("2020-13", "period: '2020-13' is not a period YYYY-MM"),
    ("2020-3", "period: '2020-3' is not a period YYYY-MM"),
    ("202003", "period: '202003' is not a period YYYY-MM"),
    ("\uff12\uff10\uff12\uff10-03", "period: '２０２０-03' is not a period YYYY-MM"),
    ("1989-12", "period: 1989-12 is outside the plausible periods 1990-01 to 2099-12"),
    ("2100-01", "period: 2100-01 is outside the plausible periods 1990-01 to 2099-12"),
    (None, "period: None is not a period YYYY-MM"),
])
def test_periods_refused(value, expected):
    assert refusal(inputs.period, value, "period") == expected


def test_periods_kept():
    assert [inputs.period(v, "period") for v in ("1990-01", "2020-03", "2099-12")] == ["1990-01", "2020-03", "2099-12"]


# -- identifiers ----------------------------------------------------------------------------


def test_an_all_zero_afm_is_refused_though_its_check_digit_is_right():
    assert refusal(valid_afm, "000000000", "afm") == "afm: not a valid ΑΦΜ (all zeros)"
    assert valid_afm("100000003") == "100000003"


@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1, max_size=30))
def test_the_ascii_fast_path_keeps_what_the_full_checks_keep(value):
    """``optional_text`` skips NFC and the character checks for printable ASCII:
    the full checks (``_shown_as_written`` of the NFC form) accept such text unchanged."""
    if value.strip(" "):
        assert inputs._shown_as_written(unicodedata.normalize("NFC", value), "f") == value
        assert inputs.optional_text(value, "reference", "reference") == value  # at most 30 of the 35 allowed
