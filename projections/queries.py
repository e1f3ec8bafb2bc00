"""The operators' questions (ερωτήματα χειριστών), interfaces §1.7: debtors by
service, fund and clearance, by part of a name or an ΑΦΜ prefix; arrangements by
the status they took between two dates, their scheme and service; a summary of
the ledger. Answered from the directory and its figures (``projections.figures``),
refreshed first, as of the ledger's current date; a page holds ``PAGE`` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select

from aggregates.money import ZERO
from aggregates.names import search_key
from aggregates.status import Status
from ledger.errors import BadInput
from projections import figures
from projections.reader import ProjectionReader, reading
from projections.runner import Runner

PAGE = 50
STATUSES = tuple(s.value for s in Status)
DEBTOR_COLUMNS = ("afm", "name", "service", "total_outstanding", "clear")


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, which page of how many, and how many rows in all."""

    as_of: date | None
    rows: list[dict[str, Any]]
    page: int
    pages: int
    count: int


@contextmanager
def answering(runner: Runner) -> Iterator[ProjectionReader]:
    """A reader over the read models caught up and the figures refreshed."""
    runner.catch_up()
    figures.refresh(runner)
    with reading(runner, catch_up=False) as reader:
        yield reader


def debtor_list(reader: ProjectionReader, service: str | None = None, fund: str | None = None,
                clear: bool | None = None, page: int = 1) -> Page:
    """Debtors by ΑΦΜ, with their service, total outstanding and clearance today."""
    d, f = reader.t["directory.debtors"], reader.t["directory.figures"]
    query = select(d.c.afm)
    if service is not None:
        query = query.where(d.c.service == service)
    if fund is not None:
        funds = reader.t["directory.funds"]
        query = query.where(select(funds.c.fund).where(funds.c.debtor_id == d.c.debtor_id, funds.c.fund == fund)
                            .exists())
    if clear is not None:
        query = query.join(f, f.c.afm == d.c.afm).where(f.c["clear"].is_(clear))
    return _debtor_page(reader, query, (d.c.afm,), page)


def debtor_search(reader: ProjectionReader, text: str, page: int = 1) -> Page:
    """By part of a name, accents and case ignored (``aggregates.names``), by name;
    all digits: by ΑΦΜ prefix, by ΑΦΜ."""
    wanted = text.strip()
    d = reader.t["directory.debtors"]
    if wanted.isdigit():
        if len(wanted) > 9:
            raise BadInput("TEXT", f"an ΑΦΜ has 9 digits, not {len(wanted)}")
        # The ΑΦΜs that start so form one range of the primary key.
        query = select(d.c.afm).where(d.c.afm.between(wanted.ljust(9, "0"), wanted.ljust(9, "9")))
        return _debtor_page(reader, query, (d.c.afm,), page)
    key = search_key(wanted)
    if not key:
        raise BadInput("TEXT", "required: part of a name or an ΑΦΜ prefix")
    query = select(d.c.afm).where(d.c.search_key.contains(key, autoescape=True))
    return _debtor_page(reader, query, (d.c.search_key, d.c.afm), page)


def arrangement_list(reader: ProjectionReader, status: str | None = None, scheme: str | None = None,
                     service: str | None = None, since: date | None = None, until: date | None = None,
                     page: int = 1) -> Page:
    """Arrangement summaries (V1, with their debtor and ``status_since``) whose
    status, as of today, is ``status`` and was taken between ``since`` and
    ``until`` (inclusive), oldest change first."""
    if status is not None and status not in STATUSES:
        raise BadInput("--status", f"must be one of {', '.join(STATUSES)}, not {status!r}")
    if since is not None and until is not None and since > until:
        raise BadInput("--until", f"{until} is before --since {since}")
    a = reader.t["directory.arrangement_figures"]
    query = select(a.c.summary)
    for column, value in ((a.c.status, status), (a.c.scheme, scheme), (a.c.service, service)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(a.c.status_since >= since)
    if until is not None:
        query = query.where(a.c.status_since <= until)
    decode = reader.runner.projections["directory"].decode
    return _page(reader, query, (a.c.status_since, a.c.id), page, lambda row: decode(row.summary))


def summary(reader: ProjectionReader) -> dict[str, Any]:
    """Counts and sums: debtors by service (how many, how many not clear, what they
    owe); arrangements by status and by scheme (how many, their remaining balance);
    the suspense account (how many items, their amount in EUR, how many in
    another currency or with no readable amount, P5)."""
    d, f = reader.t["directory.debtors"], reader.t["directory.figures"]
    services: dict[str | None, dict[str, Any]] = {}
    for row in reader.conn.execute(select(d.c.service, f.c["clear"], f.c.total_outstanding).join(f, f.c.afm == d.c.afm)):
        entry = services.setdefault(row.service, {"service": row.service, "debtors": 0, "not_clear": 0,
                                                  "total_outstanding": ZERO})
        entry["debtors"] += 1
        entry["not_clear"] += not row.clear
        entry["total_outstanding"] += row.total_outstanding
    a = reader.t["directory.arrangement_figures"]
    by: dict[str, dict[str, dict[str, Any]]] = {"status": {}, "scheme": {}}
    for row in reader.conn.execute(select(a.c.status, a.c.scheme, a.c.remaining_balance)):
        for key, groups in by.items():
            entry = groups.setdefault(row._mapping[key], {key: row._mapping[key], "count": 0,
                                                          "remaining_balance": ZERO})
            entry["count"] += 1
            entry["remaining_balance"] += row.remaining_balance
    suspense = reader.suspense()
    by_service = sorted(services.values(), key=lambda e: e["service"] or "")
    return {
        "as_of": reader.current_date(),
        "debtors": {"count": sum(e["debtors"] for e in by_service),
                    "not_clear": sum(e["not_clear"] for e in by_service),
                    "total_outstanding": sum((e["total_outstanding"] for e in by_service), ZERO)},
        "by_service": by_service,
        "arrangements_by_status": [by["status"][s] for s in STATUSES if s in by["status"]],
        "arrangements_by_scheme": sorted(by["scheme"].values(), key=lambda e: e["scheme"]),
        # In EUR: an item in another currency, or whose message carried no readable amount, is counted apart.
        "suspense": {"items": len(suspense), "amount": sum((e["amount"] for e in suspense if _in_euro(e)), ZERO),
                     "not_in_euro": sum(not _in_euro(e) for e in suspense)},
    }


def _in_euro(entry: dict[str, Any]) -> bool:
    """A suspense item whose amount, as its bank last sent it, is a number in EUR."""
    last = entry["history"][-1] if entry["history"] else {}
    return isinstance(entry["amount"], Decimal) and last.get("currency") == "EUR"


def _debtor_page(reader: ProjectionReader, query: Select[Any], order: tuple[Any, ...], page: int) -> Page:
    """The page's ΑΦΜs, chosen by ``query`` (the filters alone), then their rows:
    a search matching thousands joins only the page to the figures."""
    d, f = reader.t["directory.debtors"], reader.t["directory.figures"]
    found = _page(reader, query, order, page, lambda row: row.afm)
    rows = {r.afm: {k: r._mapping[k] for k in DEBTOR_COLUMNS} for r in reader.conn.execute(
        select(d.c.afm, d.c.name, d.c.service, f.c.total_outstanding, f.c["clear"])
        .join(f, f.c.afm == d.c.afm).where(d.c.afm.in_(found.rows)))}
    return replace(found, rows=[rows[afm] for afm in found.rows if afm in rows])


def _page(reader: ProjectionReader, query: Select[Any], order: tuple[Any, ...], page: int,
          row_of: Callable[[Any], Any]) -> Page:
    if page < 1:
        raise BadInput("--page", f"must be 1 or more, not {page}")
    count = reader.conn.execute(select(func.count()).select_from(query.subquery())).scalar() or 0
    rows = reader.conn.execute(query.order_by(*order).limit(PAGE).offset((page - 1) * PAGE))
    return Page(reader.current_date(), [row_of(r) for r in rows], page, max(1, -(-count // PAGE)), count)
