"""The real ``ledger`` console script (interfaces §1), run as a subprocess
against a temporary SQLite file, and once against PostgreSQL.

Every command of §1 but ``projections`` and ``consume``: the JSON shapes of
§1.1 have their required fields; bad input exits 2 with exactly one line on
stderr naming the field, and the ledger unchanged.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from aggregates.references import arrangement_payment_code, creditor_reference, debtor_identity_code
from ledger import audit_views, views
from ledger.application import Ledger
from tests.cli_helpers import run_cli

LEDGER = Path(sys.executable).with_name("ledger")
AFM, AFM2, UNIT, UNREGISTERED, BAD_AFM = "100000003", "100000015", "100000039", "100000052", "100000004"
CODE = arrangement_payment_code("650", AFM, 1)

ARRANGEMENT = {"id", "debtor_afm", "scheme", "status", "joined_on", "capital", "interest_total", "payment_code",
               "instalments", "arrears", "rejection_reason"}
INSTALMENT = {"number", "due_date", "capital", "interest", "amount", "paid", "status"}
DEBT_TABLE = {"afm", "service", "identity_code", "total_outstanding", "items", "arrangements", "enforcement", "credit"}
ITEM = {"fund", "period", "kind", "amount", "surcharges", "paid", "outstanding", "status"}
CLEARANCE = {"afm", "as_of", "clear", "valid_until", "reasons", "basis"}
SUSPENSE = {"tx_id", "bank", "reference", "amount", "value_date", "reason"}
AUDIT = {"position", "type", "aggregate_id", "version", "business_date", "recorded_at", "payload"}


class Cli:
    def __init__(self, db: str, cwd: Path):
        self.db = db
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if k != "LEDGER_DB_URL"}

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(LEDGER), "--db", self.db, *args], capture_output=True, text=True, cwd=self.cwd, env=self.env,
            timeout=120,
        )

    def ok(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = self(*args)
        assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stderr}"
        return done

    def json(self, *args: str):
        return json.loads(self.ok(*args, "--json").stdout)

    def state(self) -> tuple:
        """The event count and what the audit and suspense views say, read in-process."""
        app = Ledger(self.db)
        try:
            return (app.recorder.max_notification_id() or 0, json.dumps(audit_views.audit(app, AFM), default=str),
                    json.dumps(views.suspense(app), default=str))
        finally:
            app.close()

    def in_process(self, *args: str, capsys) -> tuple[int, str]:
        """``ledger.entrypoints.cli.main`` in this process (no interpreter start-up): exit status and stderr."""
        status, out, err = run_cli(self.db, *args, capsys=capsys)
        assert status != 0 or out.strip(), f"{args}: printed nothing"
        return status, err


def write_lines(path: Path, messages: list[dict]) -> str:
    path.write_text("".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages), encoding="utf-8")
    return str(path)


def populate(cli: Cli, folder: Path, full: bool = True) -> dict:
    """The happy path through every command (``full``) or its core; returns what
    later checks need."""
    out = {}
    out["close"] = cli.json("day", "close", "2021-12-01")
    cli.ok("debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--service", "ΠΥ ΚΕΑΟ Αθηνών")
    transfer = ["debt", "transfer", AFM, "--fund", "OAEE", "--period", "2020-03", "--kind", "contribution",
                "--amount", "1200.00", "--due", "2020-04-30", "--transfer-id", "OAEE-1"]
    assert cli.ok(*transfer).stdout == f"καταχωρίστηκε: οφειλή OAEE του {AFM}\n"
    if not full:
        out["apply"] = cli.json("arrangement", "apply", AFM, "--scheme", "covid-650", "--date", "2021-12-01",
                                "--instalments", "12")
        out["paid"] = cli.json("payment", "record", "--reference", CODE, "--amount", "113.33",
                               "--value-date", "2021-12-31", "--tx-id", "TX-1")
        out["suspended"] = cli.json("payment", "record", "--reference", "RF00" + CODE[4:], "--amount", "50.00",
                                    "--value-date", "2021-12-20", "--tx-id", "TX-BAD")
        out["close2"] = cli.json("day", "close", "2022-01-03")
        return out
    cli.ok("debtor", "add", UNIT, "--name", "Υποκατάστημα", "--parent", AFM, "--date", "2021-12-01")
    assert cli.ok(*transfer).stdout == f"ήδη καταχωρισμένο: οφειλή OAEE του {AFM}\n"  # D4
    transfers = write_lines(folder / "transfers.jsonl", [{
        "transfer_id": "OGA-7", "fund": "OGA", "debtor": {"afm": AFM2, "name": "Γεωργίου Ι."},
        "items": [{"period": "2021-03", "kind": "contribution", "amount": "40.00", "due_date": "2021-04-30"}],
        "sent_at": "2021-12-01T09:00:00+02:00",
    }])
    assert cli.ok("debt", "import", transfers).stdout == "καταχωρίστηκε: 1\n"
    out["apply"] = cli.json("arrangement", "apply", AFM, "--scheme", "covid-650", "--date", "2021-12-01",
                            "--instalments", "12")
    out["rejected"] = cli.json(
        "arrangement", "apply", AFM2, "--scheme", "disaster", "--date", "2021-12-01",
        "--delimitation", "south-aegean-2019", "--area", "Αθηνών", "--disaster-date", "2019-11-05",
        "--damage", "1000.00", "--certificate", "ΠΝΑ-1")
    out["paid"] = cli.json("payment", "record", "--reference", CODE, "--amount", "113.33",
                           "--value-date", "2021-12-31", "--tx-id", "TX-1", "--bank", "ETE", "--payer-afm", AFM)
    bad_rf = f"RF{(int(CODE[2:4]) + 1) % 97:02d}{CODE[4:]}"
    out["suspended"] = cli.json("payment", "record", "--reference", bad_rf, "--amount", "50.00",
                                "--value-date", "2021-12-20", "--tx-id", "TX-BAD", "--bank", "ETE")
    payments = write_lines(folder / "payments.jsonl", [
        {"tx_id": "TX-2", "bank": "ALPHA", "amount": "10.00", "currency": "EUR", "value_date": "2021-12-20",
         "reference": creditor_reference("D" + AFM2)},
        {"tx_id": "TX-3", "bank": "ALPHA", "amount": "10.00", "currency": "EUR", "value_date": "2021-12-20",
         "reference": creditor_reference("D" + UNREGISTERED)},
    ])
    assert cli.ok("payment", "import", payments).stdout == "πιστώθηκε: 1, σε εκκρεμότητα: 1\n"
    out["close2"] = cli.json("day", "close", "2022-01-03")
    return out


@pytest.fixture(scope="module")
def sqlite_cli(tmp_path_factory) -> tuple[Cli, dict]:
    folder = tmp_path_factory.mktemp("cli")
    cli = Cli(f"sqlite:///{folder / 'ledger.db'}", folder)
    return cli, populate(cli, folder)


def test_commands_print_the_json_shapes_of_1_1(sqlite_cli):
    cli, out = sqlite_cli
    assert out["close"] == {"business_date": "2021-12-01", "arrangements_settled": 0}
    assert out["close2"] == {"business_date": "2022-01-03", "arrangements_settled": 1}  # the rejected one is not settled

    applied = out["apply"]
    assert ARRANGEMENT <= set(applied)
    assert (applied["debtor_afm"], applied["scheme"], applied["status"], applied["payment_code"]) == (
        AFM, "covid-650", "applied", CODE)
    assert (applied["capital"], applied["joined_on"], len(applied["instalments"])) == ("1360.00", "2021-12-01", 12)
    assert all(INSTALMENT <= set(i) for i in applied["instalments"])
    rejected = out["rejected"]
    assert rejected["status"] == "rejected"
    assert rejected["rejection_reason"] == "area 'Αθηνών' is not in delimitation south-aegean-2019 (ND1)"

    assert out["paid"]["status"] == "applied" and out["paid"]["tx_id"] == "TX-1"
    assert out["suspended"]["status"] == "suspense" and "(C10)" in out["suspended"]["reason"]

    view = cli.json("show", "arrangement", CODE)
    assert ARRANGEMENT <= set(view) and view["status"] == "active"
    assert view["instalments"][0] | {"status": "paid", "paid": "113.33"} == view["instalments"][0]
    assert cli.json("show", "arrangement", applied["id"], "--as-of", "2021-12-01")["status"] == "applied"

    table = cli.json("show", "debt-table", AFM)
    assert DEBT_TABLE <= set(table) and all(ITEM <= set(i) for i in table["items"])
    assert (table["service"], table["total_outstanding"], table["enforcement"]) == ("ΠΥ ΚΕΑΟ Αθηνών", "1246.67", "suspended")
    assert table["arrangements"][0]["payment_code"] == CODE
    assert table["identity_code"] == debtor_identity_code(AFM)

    clearance = cli.json("show", "clearance", AFM)
    assert CLEARANCE <= set(clearance)
    # 2022-01-03 + 2 months = Thursday 2022-03-03
    assert (clearance["clear"], clearance["basis"], clearance["valid_until"]) == (True, "arrangement", "2022-03-03")
    unclear = cli.json("show", "clearance", AFM2, "--as-of", "2021-12-01")
    assert (unclear["clear"], unclear["valid_until"], unclear["basis"]) == (False, None, None) and unclear["reasons"]

    suspense = cli.json("show", "suspense")
    assert all(SUSPENSE <= set(e) for e in suspense)
    assert {e["tx_id"]: e["reference"] for e in suspense} == {
        "TX-BAD": f"RF{(int(CODE[2:4]) + 1) % 97:02d}{CODE[4:]}", "TX-3": creditor_reference("D" + UNREGISTERED)}

    audit = cli.json("audit", AFM)
    assert all(AUDIT <= set(e) for e in audit)
    positions = [e["position"] for e in audit]
    assert positions == sorted(positions)
    assert [e["type"] for e in audit][0] == "Registered"
    assert {"UnitAdded", "DebtTransferred"} <= {e["type"] for e in audit}
    assert {"Applied", "Capitalised", "Scheduled", "Paid", "Activated"} <= {e["type"] for e in audit}

    areas = cli.json("delimitations")
    assert {"delimitation": "south-aegean-2019", "area": "Ιαλυσού"}.items() <= next(
        a for a in areas if a["area"] == "Ιαλυσού").items()


def test_tables_without_json_exit_0(sqlite_cli, capsys):
    cli, _ = sqlite_cli
    for args in (("show", "arrangement", CODE), ("show", "debt-table", AFM), ("show", "clearance", AFM),
                 ("show", "suspense"), ("audit", CODE), ("delimitations",)):
        assert cli.in_process(*args, capsys=capsys) == (0, "")


TRANSFER = ["--fund", "OAEE", "--period", "2021-01", "--kind", "contribution", "--amount", "10.00",
            "--due", "2021-02-26"]


def _with(args: list[str], option: str, value: str | None) -> list[str]:
    at = args.index(option)
    return args[:at] + args[at + 2:] if value is None else args[:at + 1] + [value] + args[at + 2:]


BAD_INPUT = [
    (["debtor", "add", BAD_AFM, "--name", "X"], "afm"),
    (["debtor", "add", "12345", "--name", "X"], "afm"),
    (["debtor", "add", "100000064"], "--name"),
    (["debtor", "add", "100000064", "--name", "X", "--date", "2021-13-01"], "--date"),
    (["debtor", "add", "100000064", "--name", "X", "--parent", UNREGISTERED], "--parent"),
    (["debtor", "add", AFM, "--name", "Again"], "afm"),
    (["debt", "transfer", BAD_AFM, *TRANSFER], "afm"),
    (["debt", "transfer", UNREGISTERED, *TRANSFER], "afm"),
    (["debt", "transfer", AFM, *_with(TRANSFER, "--fund", "EFKA")], "fund"),
    (["debt", "transfer", AFM, *_with(TRANSFER, "--amount", "ten")], "--amount"),
    (["debt", "transfer", AFM, *_with(TRANSFER, "--amount", "NaN")], "--amount"),
    (["debt", "transfer", AFM, *_with(TRANSFER, "--due", "2021-02-30")], "--due"),
    (["debt", "transfer", AFM, *_with(TRANSFER, "--due", None)], "--due"),
    (["debt", "transfer", AFM, *_with(TRANSFER, "--kind", "penalty")], "kind"),
    (["debt", "transfer", AFM, *_with(TRANSFER, "--period", "2021-13")], "period"),
    (["debt", "transfer", AFM, *TRANSFER, "--date", "01/12/2021"], "--date"),
    (["debt", "transfer", AFM, "--fund", "OAEE", "--period", "2020-03", "--kind", "contribution",
      "--amount", "1300.00", "--due", "2020-04-30", "--transfer-id", "OAEE-1"], "transfer_id"),  # D4 conflict
    (["debt", "import", "/nonexistent/transfers.jsonl"], "FILE"),
    (["arrangement", "apply", AFM, "--scheme", "covid-999", "--date", "2021-12-01"], "--scheme"),
    (["arrangement", "apply", AFM, "--scheme", "covid-650", "--date", "2021/12/01"], "--date"),
    (["arrangement", "apply", AFM, "--scheme", "covid-650"], "--date"),
    (["arrangement", "apply", AFM, "--date", "2021-12-01"], "--scheme"),
    (["arrangement", "apply", AFM, "--scheme", "covid-650", "--date", "2021-12-01", "--instalments", "many"],
     "--instalments"),
    (["arrangement", "apply", BAD_AFM, "--scheme", "standing", "--date", "2021-12-01"], "afm"),
    (["arrangement", "apply", UNREGISTERED, "--scheme", "standing", "--date", "2021-12-01"], "afm"),
    (["arrangement", "apply", AFM2, "--scheme", "disaster", "--date", "2021-12-01", "--delimitation", "atlantis",
      "--area", "Ιαλυσού", "--disaster-date", "2019-11-05", "--damage", "10"], "--delimitation"),
    (["arrangement", "apply", AFM2, "--scheme", "disaster", "--date", "2021-12-01", "--delimitation",
      "south-aegean-2019", "--area", "Ιαλυσού", "--disaster-date", "2019-11-05", "--damage", "lots"], "--damage"),
    (["arrangement", "apply", AFM2, "--scheme", "disaster", "--date", "2021-12-01", "--delimitation",
      "south-aegean-2019", "--area", "Ιαλυσού", "--disaster-date", "5/11/2019", "--damage", "10"], "--disaster-date"),
    (["payment", "record", "--reference", CODE, "--amount", "abc", "--value-date", "2021-12-31", "--tx-id", "X"],
     "--amount"),
    (["payment", "record", "--reference", CODE, "--value-date", "2021-12-31", "--tx-id", "X"], "--amount"),
    (["payment", "record", "--reference", CODE, "--amount", "1", "--value-date", "2021-31-12", "--tx-id", "X"],
     "--value-date"),
    (["payment", "record", "--reference", CODE, "--amount", "1", "--value-date", "2021-12-31"], "--tx-id"),
    (["payment", "record", "--amount", "1", "--value-date", "2021-12-31", "--tx-id", "X"], "--reference"),
    (["payment", "import", "/nonexistent/payments.jsonl"], "FILE"),
    (["day", "close", "2022-02-30"], "date"),
    (["day", "close", "2021-12-02"], "date"),  # before the business date
    (["show", "arrangement", "RF00NOSUCHCODE"], "id"),
    (["show", "arrangement", CODE, "--as-of", "yesterday"], "--as-of"),
    (["show", "arrangement", CODE, "--as-of", "2021-11-30"], "--as-of"),  # before it was applied for
    (["show", "debt-table", BAD_AFM], "afm"),
    (["show", "debt-table", UNREGISTERED], "afm"),
    (["show", "debt-table", AFM, "--as-of", "2022-1-1"], "--as-of"),
    (["show", "clearance", UNREGISTERED], "afm"),
    (["show", "clearance", AFM, "--as-of", "2022-02-29"], "--as-of"),
    (["audit", UNREGISTERED], "afm"),
    (["audit", "RF00NOSUCHCODE"], "id"),
]


# One case per command for the real script (interpreter start-up costs ~1 s each);
# the whole table runs through ``ledger.entrypoints.cli.main`` in-process below.
SCRIPT_CASES = [0, 8, 9, 12, 16, 18, 30, 40]


def bad_file_cases(folder: Path) -> list:
    return [
        (["debt", "import", write_lines(folder / "t.jsonl", [{"transfer_id": "X", "fund": "OAEE"}])], "line 1"),
        (["payment", "import", write_lines(folder / "p.jsonl", [
            {"tx_id": "TX-9", "bank": "B", "amount": "1.00", "currency": "EUR", "value_date": "2021-12-20",
             "reference": CODE},
            {"tx_id": "TX-10", "bank": "B", "amount": 12.5, "currency": "EUR", "value_date": "2021-12-20",
             "reference": CODE}])], "line 2"),
    ]


def test_bad_input_through_the_script_exits_2_with_one_line_naming_the_field(sqlite_cli, tmp_path):
    """Every command with bad input: bad ΑΦΜ, bad date, non-number amount, unknown
    scheme, unknown fund, missing option, unknown debtor; the ledger unchanged."""
    cli, _ = sqlite_cli
    cases = [BAD_INPUT[i] for i in SCRIPT_CASES] + bad_file_cases(tmp_path)
    before = cli.state()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = list(pool.map(lambda case: cli(*case[0]), cases))
    problems = []
    for (args, field), done in zip(cases, results):
        lines = done.stderr.splitlines()
        if done.returncode != 2 or len(lines) != 1 or field not in lines[0]:
            problems.append(f"{' '.join(args)} -> exit {done.returncode}, stderr {done.stderr!r}")
    assert problems == []
    assert cli.state() == before


def test_every_bad_input_exits_2_with_one_line_naming_the_field_in_process(sqlite_cli, tmp_path, capsys):
    cli, _ = sqlite_cli
    before = cli.state()
    problems = []
    for args, field in BAD_INPUT + bad_file_cases(tmp_path):
        status, err = cli.in_process(*args, capsys=capsys)
        lines = err.splitlines()
        if status != 2 or len(lines) != 1 or field not in lines[0]:
            problems.append(f"{' '.join(args)} -> exit {status}, stderr {err!r}")
    assert problems == []
    assert cli.state() == before


@pytest.mark.postgres
def test_the_cli_on_postgresql(postgres_url, tmp_path):
    cli = Cli(postgres_url, tmp_path)
    out = populate(cli, tmp_path, full=False)
    assert ARRANGEMENT <= set(out["apply"]) and out["apply"]["status"] == "applied"
    assert out["paid"]["status"] == "applied" and out["suspended"]["status"] == "suspense"
    table = cli.json("show", "debt-table", AFM)
    assert (table["total_outstanding"], table["arrangements"][0]["status"]) == ("1246.67", "active")
    assert [e["tx_id"] for e in cli.json("show", "suspense")] == ["TX-BAD"]
    before = cli.state()
    for args, field in (BAD_INPUT[16], BAD_INPUT[9]):
        done = cli(*args)
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1 and field in done.stderr, (args, done.stderr)
    assert cli.state() == before
