"""Which PostgreSQL event store the ledger uses: measured, not assumed.

Runs the same ledger commands (register a debtor, transfer its debt, apply for
a covid-650 arrangement, record a payment) through the core
``eventsourcing.postgres`` recorder and through the ``eventsourcing_sqlalchemy``
extension, on the same database, and prints one JSON line: commands/s of the
chosen store (core) with the extension as the baseline. The database is the
benchmarks' (``bench.common.base_url``).

    python -m bench.store_choice [--debtors 200]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from decimal import Decimal

from aggregates.references import arrangement_payment_code
from bench.common import base_url, fresh_schema, schema_url
from ledger.application import Ledger
from ledger.commands import PaymentInput, TransferInput, TransferItem
from ledger.demo import afm_for
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from ledger.handlers.debtors import register_debtor
from ledger.handlers.payments import record_payment
from ledger.handlers.transfers import record_transfer


def run_commands(ledger: Ledger, debtors: int) -> float:
    started = time.perf_counter()
    close_day(ledger, date(2021, 12, 1))
    for n in range(debtors):
        afm = afm_for(50_000_000 + n)
        register_debtor(ledger, afm, f"Debtor {n}")
        item = TransferItem("2021-03", "contribution", Decimal("1200.00"), date(2021, 4, 30))
        record_transfer(ledger, TransferInput("OAEE", afm, (item,), transfer_id=f"B{n}"))
        apply_for_arrangement(ledger, afm, "covid-650", date(2021, 12, 10), 12)
        code = arrangement_payment_code("650", afm, 1)
        record_payment(ledger, PaymentInput(f"T{n}", Decimal("105.33"), date(2021, 12, 20), code, "ETE"))
    return (debtors * 4 + 1) / (time.perf_counter() - started)


def with_schema(make_ledger, debtors: int) -> float:
    with fresh_schema() as schema:
        ledger = make_ledger(schema)
        rate = run_commands(ledger, debtors)
        ledger.close()
        return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--debtors", type=int, default=200)
    args = parser.parse_args()
    core = with_schema(lambda schema: Ledger(schema_url(schema)), args.debtors)
    sqlalchemy_url = base_url().replace("postgresql://", "postgresql+psycopg://")
    extension = with_schema(
        lambda schema: Ledger(
            schema_url(schema),
            env={
                "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
                "SQLALCHEMY_URL": sqlalchemy_url + f"?options=-csearch_path%3D{schema}",
            },
        ),
        args.debtors,
    )
    print(json.dumps({
        "bench": "store_choice", "value": round(core, 1), "unit": "commands/s",
        "baseline": round(extension, 1), "ratio": round(core / extension, 2),
        "target": None, "met": None, "store": "eventsourcing.postgres", "baseline_store": "eventsourcing_sqlalchemy",
    }))


if __name__ == "__main__":
    main()
