"""Money (ποσά σε ευρώ): Decimal with two places, rounded half up (M1, M2)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str) -> Decimal:
    """M1: an amount in EUR rounded to cents, half up. Floats are refused."""
    if isinstance(value, float):
        raise TypeError("money is Decimal, never float (M1)")
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {value!r}") from error


def split_equal(total: Decimal, count: int) -> list[Decimal]:
    """M2: n equal instalments of ``total``; the last one absorbs the rounding."""
    if count < 1:
        raise ValueError("an instalment plan needs at least one instalment")
    share = money(total / count)
    first = [share] * (count - 1)
    return [*first, money(total - sum(first, ZERO))]


def spread(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` in cents over ``weights`` in proportion, the cents left by rounding
    down given to the largest remainders (first on a tie): the parts add up to
    ``total`` exactly. With no weight at all, the first part takes it whole."""
    if not weights:
        return []
    whole = sum(weights, ZERO)
    if whole == ZERO:
        return [total, *[ZERO] * (len(weights) - 1)]
    cents = int(total / CENT)
    exact = [Decimal(cents) * w / whole for w in weights]
    floors = [int(x) for x in exact]  # toward zero: a negative total spreads like a positive one
    step = 1 if cents >= 0 else -1
    left = cents - sum(floors)
    for index in sorted(range(len(weights)), key=lambda i: -abs(exact[i] - floors[i]))[: abs(left)]:
        floors[index] += step
    return [Decimal(part) * CENT for part in floors]
