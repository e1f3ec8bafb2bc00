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
