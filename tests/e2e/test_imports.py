"""``ledger debt import`` and ``ledger payment import`` (interfaces §2.1, §2.2): a
file is all or nothing. Every line is checked (its syntax, then what its command
does) before anything is recorded; a refused line names itself on one line of
stderr, exits 2 and leaves the ledger as it was. On both stores."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aggregates.references import creditor_reference
from tests.cli_helpers import run_cli, stored_events

AFM, AFM2, UNREGISTERED, BAD_AFM = "100000003", "100000015", "100000052", "100000004"
BOM = "\ufeff"


def transfer(transfer_id: str, afm: str, amount: str = "40.00", fund: str = "OGA") -> dict:
    return {
        "transfer_id": transfer_id, "fund": fund, "debtor": {"afm": afm, "name": "Γεωργίου Ι."},
        "items": [{"period": "2021-03", "kind": "contribution", "amount": amount, "due_date": "2021-04-30"}],
        "sent_at": "2021-12-01T09:00:00+02:00",
    }


def payment(tx_id: str, amount: str = "10.00", afm: str = UNREGISTERED) -> dict:
    return {"tx_id": tx_id, "bank": "ALPHA", "amount": amount, "currency": "EUR", "value_date": "2021-12-20",
            "reference": creditor_reference("D" + afm)}


def write_lines(path: Path, messages: list[dict], prefix: str = "") -> str:
    path.write_text(prefix + "".join(json.dumps(m, ensure_ascii=False) + "\n" for m in messages), encoding="utf-8")
    return str(path)



@pytest.fixture
def opened(db_url: str, capsys) -> str:
    """A ledger with a business date (the transfers take effect on it, M3)."""
    status, _, err = run_cli(db_url, "day", "close", "2021-12-01", capsys=capsys)
    assert (status, err) == (0, "")
    return db_url


def refused(db_url: str, capsys, *args: str) -> tuple[int, list[str], int]:
    """Run a command expected to be refused: its exit status, its stderr lines and
    how many events it added."""
    before = stored_events(db_url)
    status, _, err = run_cli(db_url, *args, capsys=capsys)
    return status, err.splitlines(), stored_events(db_url) - before


def test_debt_import_line_2_with_a_bad_afm_check_digit_records_nothing(opened, tmp_path, capsys):
    file = write_lines(tmp_path / "t.jsonl", [transfer("OGA-1", AFM), transfer("OGA-2", BAD_AFM)])
    assert refused(opened, capsys, "debt", "import", file) == (
        2, ["error: line 2: afm: not a valid ΑΦΜ (The number's checksum or check digit is invalid.)"], 0)


def test_debt_import_line_2_with_amount_zero_records_nothing(opened, tmp_path, capsys):
    file = write_lines(tmp_path / "t.jsonl", [transfer("OGA-1", AFM), transfer("OGA-2", AFM2, amount="0.00")])
    assert refused(opened, capsys, "debt", "import", file) == (
        2, ["error: line 2: items[1].amount: must be more than zero"], 0)


def test_debt_import_line_2_clashing_with_a_recorded_transfer_id_records_nothing(opened, tmp_path, capsys):
    file = write_lines(tmp_path / "first.jsonl", [transfer("OGA-7", AFM2)])
    assert run_cli(opened, "debt", "import", file, capsys=capsys)[:2] == (0, "καταχωρίστηκε: 1\n")
    file = write_lines(tmp_path / "t.jsonl", [transfer("OGA-1", AFM), transfer("OGA-7", AFM2, amount="41.00")])
    assert refused(opened, capsys, "debt", "import", file) == (
        2, ["error: line 2: transfer_id: OGA transfer OGA-7 was already recorded with other content (D4)"], 0)


def test_debt_import_the_same_transfer_twice_in_a_file_records_it_once(opened, tmp_path, capsys):
    """D4 within one file: the second line finds the first in the same unit of work."""
    file = write_lines(tmp_path / "t.jsonl", [transfer("OGA-1", AFM), transfer("OGA-1", AFM)])
    assert run_cli(opened, "debt", "import", file, capsys=capsys) == (0, "ήδη καταχωρισμένο: 1, καταχωρίστηκε: 1\n", "")
    file = write_lines(tmp_path / "clash.jsonl", [transfer("OGA-2", AFM2), transfer("OGA-2", AFM2, amount="1.00")])
    assert refused(opened, capsys, "debt", "import", file) == (
        2, ["error: line 2: transfer_id: OGA transfer OGA-2 was already recorded with other content (D4)"], 0)


def test_a_transfer_file_starting_with_a_bom_imports(opened, tmp_path, capsys):
    file = write_lines(tmp_path / "t.jsonl", [transfer("OGA-1", AFM), transfer("OGA-2", AFM2)], prefix=BOM)
    before = stored_events(opened)
    assert run_cli(opened, "debt", "import", file, capsys=capsys) == (0, "καταχωρίστηκε: 2\n", "")
    # per line: the debtor registered, the transfer, its items, and the information notice of
    # a first transfer (N6: the notice, and the debtor's record of it)
    assert stored_events(opened) - before == 10


def test_a_payment_file_starting_with_a_bom_imports(opened, tmp_path, capsys):
    file = write_lines(tmp_path / "p.jsonl", [payment("TX-1"), payment("TX-2")], prefix=BOM)
    before = stored_events(opened)
    assert run_cli(opened, "payment", "import", file, capsys=capsys) == (0, "σε εκκρεμότητα: 2\n", "")
    assert stored_events(opened) - before == 4  # per payment: received, suspended


def test_a_payment_file_whose_line_3_is_malformed_records_nothing(opened, tmp_path, capsys):
    """A 31-digit amount on line 3 (which once passed the file check and crashed the
    import after lines 1 and 2 were recorded): refused naming the line, nothing
    recorded. Whatever a line's command refuses is reported alike
    (``tests/integration/test_imports.py``)."""
    file = write_lines(tmp_path / "p.jsonl", [payment("TX-1"), payment("TX-2"), payment("TX-3", "1" * 31)])
    assert refused(opened, capsys, "payment", "import", file) == (
        2, ["error: line 3: amount: '1111111111111111111111111111111' has more than 15 digits before the decimal point"],
        0)


def test_a_payment_file_of_10000_lines_imports(opened, tmp_path, capsys):
    """One unit of work holds the whole file's aggregates, committed once."""
    file = write_lines(tmp_path / "p.jsonl", [payment(f"TX-{n}") for n in range(10_000)])
    before = stored_events(opened)
    assert run_cli(opened, "payment", "import", file, capsys=capsys) == (0, "σε εκκρεμότητα: 10000\n", "")
    assert stored_events(opened) - before == 20_000
