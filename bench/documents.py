"""Printed documents' rendering rate: ``python -m bench documents`` or ``python -m bench.documents [--count N]``
(default 200 six-item notices; ``--quick``: 20)."""

# value: ledger.documents.notice_pdf (one Jinja environment, its compiled templates,
# the parsed stylesheet and WeasyPrint's font configuration kept for the process);
# baseline, in the same run and interleaved with it: the naive way, a fresh
# Environment, template load, stylesheet parse and font configuration for every
# document. WeasyPrint's layout and font subsetting (fontTools, unless
# HarfBuzz-Subset is installed) dominate either way: expect a ratio near 1.

from __future__ import annotations

import argparse
import time
from datetime import date
from decimal import Decimal
from typing import Any

from weasyprint import CSS, HTML

from bench.common import emit, machine, note, peak_rss_mb
from ledger.documents.render import environment, notice_pdf, stylesheet_text

KINDS = ("contribution", "surcharge", "fee", "clearing_instalment", "insurance_time_recognition", "contribution")


def six_item_notice() -> dict[str, Any]:
    items = [{"item_id": f"OAEE:T{n}:1", "fund": "OAEE", "period": f"2019-{n + 1:02d}", "kind": KINDS[n],
              "amount": Decimal("180.00") + n, "surcharges": Decimal("21.60"),
              "outstanding": Decimal("201.60") + n} for n in range(6)]
    return {"id": "IND-090000001-20230301", "kind": "individual_notice", "afm": "090000001",
            "name": "ΠΑΠΑΔΟΠΟΥΛΟΣ ΓΕΩΡΓΙΟΣ", "service": "Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Αθηνών",
            "identity_code": "RF18 0900 0000 1", "issued_on": date(2023, 3, 1), "items": items,
            "total": sum((i["outstanding"] for i in items), Decimal(0)), "period_days": 30,
            "deadline": date(2023, 3, 31), "delivered_on": date(2023, 3, 1), "channel": "post",
            "proof": "ΕΛΤΑ RE123456789GR", "fund": None}


def naive_notice_pdf(notice: dict[str, Any]) -> bytes:
    """What notice_pdf does, with nothing kept from one document to the next."""
    html = environment().get_template("notice.html").render(notice=notice)
    return HTML(string=html).write_pdf(stylesheets=[CSS(string=stylesheet_text())])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=None, help="notices rendered each way (default 200)")
    parser.add_argument("--quick", action="store_true", help="20 notices each way")
    args = parser.parse_args()
    args.count = args.count or (20 if args.quick else 200)
    notice = six_item_notice()
    for render in (notice_pdf, naive_notice_pdf):  # warm up: fontconfig, imports, first compile
        render(notice)
    seconds = {notice_pdf: 0.0, naive_notice_pdf: 0.0}
    size = 0
    for n in range(args.count):
        for render in (notice_pdf, naive_notice_pdf) if n % 2 else (naive_notice_pdf, notice_pdf):
            started = time.perf_counter()
            size = len(render(notice))
            seconds[render] += time.perf_counter() - started
        if (n + 1) % 50 == 0:
            note(f"documents: {n + 1}/{args.count}")
    value = args.count / seconds[notice_pdf]
    baseline = args.count / seconds[naive_notice_pdf]
    emit("documents", value, "documents/s", baseline, None,
         documents_per_s=round(value, 2), baseline_documents_per_s=round(baseline, 2),
         ms_per_document=round(1000 * seconds[notice_pdf] / args.count, 1), pdf_bytes=size,
         count=args.count, peak_rss_mb=peak_rss_mb(), machine=machine())


if __name__ == "__main__":
    main()
