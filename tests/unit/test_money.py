"""M1, M2: money is Decimal, 2 places, half up; equal instalments add up exactly."""

from decimal import Decimal

import pytest

from aggregates.money import ZERO, money, split_equal, spread


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.345", "2.35"),  # half up, not banker's (2.34)
        ("2.325", "2.33"),  # banker's rounding would give 2.32
        ("2.344", "2.34"),
        ("0.005", "0.01"),
        ("-2.345", "-2.35"),  # ROUND_HALF_UP rounds the half away from zero
        (5, "5.00"),
        ("1e2", "100.00"),
    ],
)
def test_M1_money_rounds_half_up_to_cents(raw, expected):
    value = money(raw)
    assert value == Decimal(expected)
    assert value.as_tuple().exponent == -2


def test_M1_half_up_differs_from_bankers_rounding():
    # 0.125 → banker's 0.12, half up 0.13
    assert money(Decimal("0.125")) == Decimal("0.13")
    assert money("2.665") == Decimal("2.67")


def test_M1_float_is_refused():
    with pytest.raises(TypeError, match="M1"):
        money(0.1)


def test_M1_not_an_amount():
    with pytest.raises(ValueError, match="not an amount"):
        money("12,50")


def test_M1_zero_has_two_places():
    assert str(ZERO) == "0.00"


def test_M2_hundred_over_three():
    # 100/3 = 33.333… → 33.33, 33.33, last 100 − 66.66 = 33.34
    assert split_equal(Decimal("100.00"), 3) == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]


def test_M2_last_absorbs_rounding_downwards():
    # 1000/6 = 166.666… → 166.67 × 5 = 833.35, last 1000 − 833.35 = 166.65
    parts = split_equal(Decimal("1000.00"), 6)
    assert parts == [Decimal("166.67")] * 5 + [Decimal("166.65")]
    assert sum(parts) == Decimal("1000.00")


def test_M2_even_split():
    # 3360/12 = 280.00 exactly
    assert split_equal(Decimal("3360.00"), 12) == [Decimal("280.00")] * 12


def test_M2_seventy_two_instalments():
    # 10000/72 = 138.888… → 138.89 × 71 = 9861.19, last 10000 − 9861.19 = 138.81
    parts = split_equal(Decimal("10000.00"), 72)
    assert parts[0] == Decimal("138.89")
    assert parts[-1] == Decimal("138.81")
    assert sum(parts) == Decimal("10000.00")


def test_M2_single_instalment_is_the_total():
    assert split_equal(Decimal("57.31"), 1) == [Decimal("57.31")]


def test_M2_needs_at_least_one_instalment():
    with pytest.raises(ValueError):
        split_equal(Decimal("100.00"), 0)


@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        ("10.00", ["1", "1", "1"], ["3.34", "3.33", "3.33"]),  # the cent left goes to the first of equal remainders
        ("2.77", ["602.19", "602.19", "200.73"], ["1.19", "1.19", "0.39"]),  # 118.71, 118.71, 39.57 cents
        ("-0.05", ["1", "1"], ["-0.03", "-0.02"]),  # a correction spreads like a charge
        ("5.00", ["0", "0"], ["5.00", "0.00"]),  # nothing to weigh by: the first takes it
        ("0.00", ["3", "4"], ["0.00", "0.00"]),
    ],
)
def test_V1_spread_in_proportion_adds_up_to_the_total(total, weights, parts):
    """The shares of an arrangement's interest and surcharges over its items (V1, issue 14)."""
    result = spread(Decimal(total), [Decimal(w) for w in weights])
    assert result == [Decimal(p) for p in parts]
    assert sum(result, ZERO) == Decimal(total)
