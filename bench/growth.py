"""O6: no command slower as history grows. On PostgreSQL, through the handlers
(``record_payment`` with a ``Ledger``, each payment its own command):

* one covid-650 arrangement (72 instalments) receiving small payments, ten
  a day valued on the business date, a close of day between days: the cost
  of a payment after ``--payments`` (2,000) payments ÷ after 10;
* one debtor with ``--items`` (5,000) debt items paid with its identity code
  (P2), small payments on the oldest items: the cost of a payment after
  ``--payments`` payments ÷ after 10, on the same debtor (its items all there
  from the start: the history that grows is its payments);
* the baseline, in the same run: the arrangement's payment after ``--payments``
  payments with the full replay (``aggregates.resume.INCREMENTAL`` off: the timeline
  re-run from the start over every receipt, every recorded fact compared, the
  reference the incremental path is tested against) and the debtor's with the
  balances recomputed from every item payment (``Debtor.INCREMENTAL``,
  ``item_balance.FOLDED_PARTS`` and ``item_balance.RUNNING_SUM`` off).

Each figure is the median of ``SAMPLE`` payments. The database is the other
benchmarks' (``bench.common.base_url``), in a fresh schema.

    python -m bench growth [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from aggregates import item_balance, resume
from aggregates.debtor import Debtor
from aggregates.references import arrangement_payment_code, debtor_identity_code
from bench.common import emit, fresh_schema, machine, note, schema_url
from ledger.application import Ledger
from ledger.commands import PaymentInput, TransferInput, TransferItem
from ledger.demo import afm_for
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from ledger.handlers.debtors import register_debtor
from ledger.handlers.payments import record_payment
from ledger.handlers.transfers import record_transfer

TARGET = 1.5  # O6: after 2,000 payments ≤ 1.5x the cost after 10
SAMPLE = 7  # payments timed at each point (their median)
EARLY = 10
PER_DAY = 10  # the arrangement's payments a business day
SIZES = {"quick": (300, 1_000), "full": (2_000, 5_000)}  # payments, the debtor's items
APPLIED_ON = date(2021, 12, 10)


def _payments(ledger: Ledger, reference: str, prefix: str, count: int, start: int,
              value_date: Callable[[int], date], amount: Decimal) -> list[float]:
    """Payments ``start`` … ``start + count - 1``, each one command; their times (ms)."""
    times = []
    for n in range(start, start + count):
        began = time.perf_counter()
        outcome = record_payment(ledger, PaymentInput(f"{prefix}{n}", amount, value_date(n), reference, "ETE"))
        times.append((time.perf_counter() - began) * 1000)
        assert outcome.status == "applied", outcome
    return times


def _costs(pay: Callable[[int], list[float]], payments: int, label: str,
           switches: Sequence[tuple[Any, str]]) -> dict[str, float]:
    """The median cost (ms) of SAMPLE payments after EARLY, after ``payments``, and
    after ``payments`` with the fast paths ``module.flag`` of ``switches`` off (the
    plain reference)."""
    pay(EARLY)
    early = statistics.median(pay(SAMPLE))
    paid = EARLY + SAMPLE
    while paid < payments:
        paid += len(pay(min(500, payments - paid)))
        note(f"bench growth: {label}, {paid} payments")
    late = statistics.median(pay(SAMPLE))
    for switch, flag in switches:
        setattr(switch, flag, False)
    try:
        replay = statistics.median(pay(SAMPLE))
    finally:
        for switch, flag in switches:
            setattr(switch, flag, True)
    return {"early": early, "late": late, "replay": replay}


def arrangement_costs(ledger: Ledger, payments: int) -> dict[str, float]:
    """The arrangement's payment cost (ms) after EARLY and after ``payments``
    payments, and after ``payments`` with the full replay."""
    afm = afm_for(70_000_001)
    close_day(ledger, APPLIED_ON)
    register_debtor(ledger, afm, "Growth arrangement")
    items = tuple(TransferItem(f"2020-{m:02d}", "contribution", Decimal("12000.00"), date(2020, m + 1, 28))
                  for m in (3, 4, 5))
    record_transfer(ledger, TransferInput("OAEE", afm, items, transfer_id="G1"))
    apply_for_arrangement(ledger, afm, "covid-650", APPLIED_ON, 72)
    code = arrangement_payment_code("650", afm, 1)
    amount = Decimal("5.00")  # 50 EUR a day: the instalments of ~510 a month paid, the rest ahead
    paid = 0

    def day_of(n: int) -> date:
        return APPLIED_ON + timedelta(days=n // PER_DAY)

    def pay(count: int) -> list[float]:
        """``count`` payments, a close of day whenever a new day starts."""
        nonlocal paid
        times = []
        for n in range(paid, paid + count):
            if n and n % PER_DAY == 0:
                close_day(ledger, day_of(n))
            times += _payments(ledger, code, "A", 1, n, day_of, amount)
        paid += count
        return times

    return _costs(pay, payments, "arrangement", [(resume, "INCREMENTAL")])


def debtor_costs(ledger: Ledger, payments: int, items: int) -> dict[str, float]:
    """The debtor's payment cost (ms) after EARLY and after ``payments`` payments,
    and after ``payments`` with the balances recomputed from every payment."""
    afm = afm_for(70_000_002)
    register_debtor(ledger, afm, "Growth debtor")
    first = date(2000, 1, 31)
    for batch in range(0, items, 1_000):
        record_transfer(ledger, TransferInput("IKA", afm, tuple(
            TransferItem(f"{2000 + k // 12 % 90}-{k % 12 + 1:02d}", "contribution", Decimal("100.00"),
                         first + timedelta(days=k))
            for k in range(batch, min(items, batch + 1_000))), transfer_id=f"D{batch}"))
    code = debtor_identity_code(afm)
    day = APPLIED_ON + timedelta(days=400)  # after the arrangement's days
    close_day(ledger, day)
    amount = Decimal("1.50")
    paid = 0

    def pay(count: int) -> list[float]:
        nonlocal paid
        times = _payments(ledger, code, "D", count, paid, lambda n: day, amount)
        paid += count
        return times

    # issue 19's folds of a debtor's parts and running sums of its principal paid off too
    return _costs(pay, payments, "debtor", [(Debtor, "INCREMENTAL"), (item_balance, "FOLDED_PARTS"),
                                            (item_balance, "RUNNING_SUM")])


def measure(payments: int, items: int) -> dict[str, Any]:
    started = time.perf_counter()
    with fresh_schema("growth") as schema:
        ledger = Ledger(schema_url(schema))
        try:
            arrangement = arrangement_costs(ledger, payments)
            debtor = debtor_costs(ledger, payments, items)
        finally:
            ledger.close()
    ratio = arrangement["late"] / arrangement["early"]
    debtor_ratio = debtor["late"] / debtor["early"]
    return emit(
        "growth", ratio, f"x a payment's cost after {payments} payments ÷ after {EARLY} (one arrangement)",
        arrangement["replay"] / arrangement["early"], TARGET, lower_is_better=True,
        met_debtor=debtor_ratio <= TARGET, debtor_ratio=round(debtor_ratio, 2),
        payments=payments, debtor_items=items, sample=SAMPLE,
        arrangement_ms={k: round(v, 2) for k, v in arrangement.items()},
        debtor_ms={k: round(v, 2) for k, v in debtor.items()},
        debtor_full_scan_ratio=round(debtor["replay"] / debtor["early"], 2),
        seconds=round(time.perf_counter() - started, 1), machine=machine(),
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench growth", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{SIZES['quick'][0]} payments, {SIZES['quick'][1]} items")
    parser.add_argument("--payments", type=int)
    parser.add_argument("--items", type=int)
    args = parser.parse_args(argv)
    payments, items = SIZES["quick" if args.quick else "full"]
    measure(args.payments or payments, args.items or items)


if __name__ == "__main__":
    main()
