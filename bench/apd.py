"""ΑΠΔ checks and submissions (issue 17, domain §12): a large employer's history.

* check: ``--records`` (1,000,000) generated records, a month's ΑΠΔ at a time (5,000
  insured persons over 200 wage periods from 2002-01), checked by
  ``aggregates.apd_checks.declaration_codes`` (the dated data looked up once per
  package, period and kind of insured person); the baseline, in the same run on the
  same months, is the plain loop: each record checked alone by ``codes_of``
  (``BATCHED`` off). Records/s of each; target ≥ 100,000 records/s.
* submit: ``--submit`` (100,000) records as 100 monthly ΑΠΔ of 1,000 records through
  ``ledger.handlers.apd.submit_declaration`` into a PostgreSQL ledger (a fresh schema:
  parse as the file is read, check against the insurance history, record), and the
  same with the plain checks, each twice; target ≥ 10,000 records/s. The finalisation
  of the same ΑΠΔ (the insurance history written, the debt assessed) is printed too.

Records are generated deterministically (``--seed``); about 8% carry an error (zero or
wrong contributions, subsidies on an earnings type that has none, days over the month).

    python -m bench apd [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from aggregates import apd_checks
from aggregates.apd_checks import Employer, Record, declaration_codes
from bench.common import emit, fresh_schema, machine, note, peak_rss_mb, schema_url
from consumers.apd_messages import ApdMessage
from ledger.application import Ledger
from ledger.demo import amka_for
from ledger.handlers.apd import finalise_declaration, submit_declaration
from ledger.handlers.debtors import register_debtor
from ledger.settings import load_settings

CHECK_TARGET = 100_000  # records/s
SUBMIT_TARGET = 10_000
SIZES = {"quick": (50_000, 5_000), "full": (1_000_000, 100_000)}
PER_MONTH = {"check": 5_000, "submit": 1_000}
EMPLOYER_AFM = "094014201"
RATE = Decimal("0.4406")


def periods(start: int = 2002 * 12) -> Iterator[str]:
    month = start
    while True:
        yield f"{month // 12}-{month % 12 + 1:02}"
        month += 1


def month_of(period: str, people: int, rng: random.Random) -> list[dict[str, Any]]:
    """One wage period's records of ``people`` insured persons, as the file gives them."""
    rows = []
    for person in range(people):
        earnings = Decimal(rng.randrange(40_000, 400_000)) / 100
        rate = Decimal("0.4386") if period <= "2003-09" else RATE
        contributions = (earnings * rate).quantize(Decimal("0.01"))
        earnings_type, days, subsidy = "01", 25, Decimal("0.00")
        draw = rng.random()
        if draw < 0.03:
            contributions = Decimal("0.00")  # 70, or 82 and 141
        elif draw < 0.05:
            contributions += Decimal("3.00")
        elif draw < 0.07:
            earnings_type, subsidy = "02", Decimal("5.00")  # 150
        elif draw < 0.08:
            days = 31 + rng.randrange(3)  # 122
        rows.append({"record": str(person + 1), "amka": amka_for(person + 1),
                     "insured_since": "1985-01-01" if person % 3 else "1998-06-01", "package": "101",
                     "earnings_type": earnings_type, "wage_period": period, "from": f"{period}-01",
                     "to": f"{period}-28", "days": days, "earnings": str(earnings), "contributions": str(contributions),
                     "employer_subsidy": str(subsidy), "employee_subsidy": "0.00"})
    return rows


def as_records(rows: list[dict[str, Any]]) -> list[Record]:
    return [Record(r["record"], r["amka"], date.fromisoformat(r["insured_since"]), r["package"], r["earnings_type"],
                   r["wage_period"], date.fromisoformat(r["from"]), date.fromisoformat(r["to"]), r["days"],
                   Decimal(r["earnings"]), Decimal(r["contributions"]), Decimal(r["employer_subsidy"]),
                   Decimal(r["employee_subsidy"])) for r in rows]


def timed_check(records: list[Record], batched: bool) -> tuple[float, int]:
    rules, employer = load_settings().apd, Employer("010", False)
    apd_checks.BATCHED = batched
    try:
        began = time.perf_counter()
        codes = declaration_codes(records, employer, rules, {})
        return time.perf_counter() - began, sum(1 for c in codes.values() if c)
    finally:
        apd_checks.BATCHED = True


def check(total: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    seconds = {True: 0.0, False: 0.0}
    wrong = checked = 0
    for period in periods():
        if checked >= total:
            break
        records = as_records(month_of(period, min(PER_MONTH["check"], total - checked), rng))
        for batched in (True, False):  # the same month both ways, in turn: the machine's noise shared
            spent, flagged = timed_check(records, batched)
            seconds[batched] += spent
        wrong += flagged
        checked += len(records)
    return emit("apd_check", checked / seconds[True], "records/s", checked / seconds[False], CHECK_TARGET,
                records=checked, wrong_records=wrong, seconds=round(seconds[True], 2),
                baseline_seconds=round(seconds[False], 2), peak_rss_mb=peak_rss_mb(), machine=machine())


def submitted(schema: str, total: int, seed: int, batched: bool) -> tuple[float, float, int]:
    """Submit ``total`` records as monthly ΑΠΔ (the file read as ``ledger apd submit``
    reads it), then finalise them; the seconds of each and the events recorded."""
    rng = random.Random(seed)
    ledger = Ledger(schema_url(schema))
    apd_checks.BATCHED = batched
    try:
        register_debtor(ledger, EMPLOYER_AFM, "Μεγάλος Εργοδότης ΑΕ", date(2002, 1, 1))
        files: dict[str, bytes] = {}
        done = 0
        for period in periods():
            if done >= total:
                break
            rows = month_of(period, min(PER_MONTH["submit"], total - done), rng)
            files[f"APD-{period}"] = json.dumps({
                "apd_id": f"APD-{period}", "employer_afm": EMPLOYER_AFM, "legal_form": "010", "public_like": False,
                "submitted_on": f"{period}-28", "records": rows}).encode()
            done += len(rows)
        began = time.perf_counter()
        for file in files.values():
            submit_declaration(ledger, ApdMessage.from_bytes(file).command(), date(2026, 1, 5))
        submitting = time.perf_counter() - began
        began = time.perf_counter()
        for apd_id in files:
            finalise_declaration(ledger, apd_id, {}, date(2026, 1, 5))
        finalising = time.perf_counter() - began
        return submitting, finalising, ledger.recorder.max_notification_id() or 0
    finally:
        apd_checks.BATCHED = True
        ledger.close()


def submit(total: int, seed: int) -> dict[str, Any]:
    """Each way twice, in the order batched, plain, plain, batched (the machine's drift
    shared), into a fresh schema each time; the faster run of each."""
    runs: dict[bool, list[tuple[float, float, int]]] = {True: [], False: []}
    for batched in (True, False, False, True):
        with fresh_schema("apd") as schema:
            note(f"bench apd: submitting {total:,} records as ΑΠΔ of {PER_MONTH['submit']:,} "
                 + ("(batched checks)" if batched else "(each record checked alone: the baseline)"))
            runs[batched].append(submitted(schema, total, seed, batched))
    seconds, finalising, events = min(runs[True])
    baseline = min(run[0] for run in runs[False])
    return emit("apd_submit", total / seconds, "records/s", total / baseline, SUBMIT_TARGET, records=total,
                declarations=total // PER_MONTH["submit"], seconds=round(seconds, 2),
                baseline_seconds=round(baseline, 2), finalised_records_per_s=round(total / finalising, 1),
                events=events, store="postgresql", peak_rss_mb=peak_rss_mb(), machine=machine())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--records", type=int)
    parser.add_argument("--submit", type=int)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    records, to_submit = SIZES["quick" if args.quick else "full"]
    check(args.records or records, args.seed)
    submit(args.submit or to_submit, args.seed)


if __name__ == "__main__":
    main()
