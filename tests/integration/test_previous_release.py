"""A ledger written by the previous release still loads (issue 11: the application
layer split must not orphan any stored history).

``tests/fixtures/release-0.1-demo.*`` is the demo ledger as release 0.1 (commit
141ab44) wrote it, on SQLite and as a ``pg_dump`` of a PostgreSQL schema, with its
read-model tables and snapshots; ``…expected.json`` is what that release printed
from them for a few views, an audit trail, the close of the next month and the
views after it. This code must print the same: tables exactly, JSON with every
field of then, the same (interfaces §1.1: more fields may be added).
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from tests.cli_helpers import run_cli
from tests.conftest import POSTGRES_URL

FIXTURES = Path(__file__).parent.parent / "fixtures"
EXPECTED = json.loads((FIXTURES / "release-0.1-demo.expected.json").read_text())
SCHEMA_IN_DUMP = "release01"
UNIT_NOT_CLEAR = re.compile(r"unit \d{9} is not clear: overdue debt outside arrangements (\d+\.\d\d) EUR exceeds "
                            r"15\.00 EUR \(V2\) \(004 §4\)")


@pytest.fixture
def old_sqlite_ledger(tmp_path: Path) -> str:
    path = tmp_path / "ledger.db"
    with gzip.open(FIXTURES / "release-0.1-demo.db.gz") as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    return f"sqlite:///{path}"


@pytest.fixture
def old_postgres_ledger(postgres_available: None) -> Iterator[str]:
    schema = f"test_{uuid.uuid4().hex[:12]}"
    dump = gzip.decompress((FIXTURES / "release-0.1-demo.postgres.sql.gz").read_bytes()).decode()
    # psql's meta-commands (``\restrict``) are not SQL; the rest runs as it is.
    sql = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(sql.replace(SCHEMA_IN_DUMP, schema).encode())
    yield f"{POSTGRES_URL}?schema={schema}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_ledger(request) -> tuple[str, str]:
    return request.param, request.getfixturevalue(f"old_{request.param}_ledger")


def test_views_closes_and_audit_print_what_release_0_1_printed(old_ledger, capsys):
    store, url = old_ledger
    for case in EXPECTED["cases"]:  # in order: the close of 2023-01-31 comes before the views after it
        # The audit trail shows when each event was recorded: the fixtures' two runs differ.
        expected = case["out"][store] if isinstance(case["out"], dict) else case["out"]
        status, out, err = run_cli(url, *case["args"], capsys=capsys)
        assert status == case["code"], (case["args"], err)
        if "--json" in case["args"]:  # interfaces §1.1: its fields all there, the same; more may be added
            assert_holds(json.loads(out), revised(case["args"], json.loads(expected)), case["args"])
        else:
            assert out == expected, case["args"]


def revised(args: list[str], expected):
    """What release 0.1 printed, with the changes made since by design, each named:

    - issue 14, V1: a debt-table item an arrangement holds showed ``in arrangement
      X`` with its own figures frozen; it now shows its share of the arrangement
      (``aggregates.item_shares``) and names X in ``arrangement``;
    - issue 14, C11: an instalment of a lost arrangement not due before the loss
      showed ``pending``, or ``missed`` once its date passed; it is part of the
      balance due at once: ``due``;
    - issue 15, N14: ``enforcement`` was ``suspended`` only while an arrangement had
      nothing past due; it is ``suspended`` while one runs (arrears short of a loss
      do not end it, N7/N8 [P]) and no item is enforceable, none being without a
      delivered individual notice in a ledger of then;
    - seed 004, G16: a head office's clearance named each unit not clear with the
      unit's own reason; the 15.00 now applies to the overdue principal of the
      head office and its units summed, one reason, and ``overdue_outside_arrangements``
      is that sum (each unit over 15.00 then, so its amount is in its reason)."""
    if args[:2] == ["show", "clearance"]:
        units = [UNIT_NOT_CLEAR.fullmatch(reason) for reason in expected["reasons"]]
        if not any(units):
            return expected
        total = Decimal(expected["overdue_outside_arrangements"]) + sum(Decimal(u[1]) for u in units if u)
        others = [r for r, u in zip(expected["reasons"], units) if not u and not r.startswith("overdue debt")]
        return expected | {"overdue_outside_arrangements": str(total), "reasons": [
            f"overdue debt outside arrangements of the head office and its units {total} EUR exceeds 15.00 EUR (G16)",
            *others]}
    if args[:2] == ["show", "arrangement"] and expected["lost_on"] is not None:
        return expected | {"instalments": [
            i | {"status": "due"} if i["status"] != "paid" and i["due_date"] >= expected["lost_on"] else i
            for i in expected["instalments"]
        ]}
    if args[:2] != ["show", "debt-table"]:
        return expected
    items = []
    for item in expected["items"]:
        if item["status"].startswith("in arrangement "):
            code = item["status"].removeprefix("in arrangement ")
            item = {k: v for k, v in item.items() if k not in ("surcharges", "paid", "outstanding", "status")}
            item["arrangement"] = code
        items.append(item)
    running = any(a["status"] in ("active", "suspended") for a in expected["arrangements"])
    return expected | {"items": items, "enforcement": "suspended" if running else "allowed"}


def assert_holds(actual, expected, where) -> None:
    """``actual`` has every field of ``expected`` with the same value, at any depth."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, (where, key)
            assert_holds(actual[key], value, (where, key))
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), where
        for index, (a, e) in enumerate(zip(actual, expected)):
            assert_holds(a, e, (where, index))
    else:
        assert actual == expected, where


def test_the_fixture_is_what_it_says():
    """The expectations are of a month's close that records something (a test that
    cannot fail is a defect): 13 arrangements settled, 100000107's total moved."""
    close = next(c for c in EXPECTED["cases"] if c["args"][:2] == ["day", "close"])
    assert json.loads(close["out"]) == {"business_date": "2023-01-31", "arrangements_settled": 13}
    tables = [json.loads(c["out"]) for c in EXPECTED["cases"] if c["args"] == ["show", "debt-table", "100000107", "--json"]]
    assert [t["total_outstanding"] for t in tables] == ["1991.39", "1906.25"]
