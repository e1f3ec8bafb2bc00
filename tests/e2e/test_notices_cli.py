"""Notices and enforcement through the CLI (interfaces §1.3): the commands, their bad
input (exit 2, the field named, nothing recorded), the printed letter read back as
its user reads it, and the audit trail that shows them."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.cli_helpers import cli_runner, stored_events

AFM = "090000045"
NEEDS_POPPLER = pytest.mark.skipif(shutil.which("pdftotext") is None and os.environ.get("CI") != "true",
                                   reason="pdftotext (poppler-utils) is not installed")


@pytest.fixture
def cli(sqlite_url, capsys):
    run = cli_runner(sqlite_url, capsys)
    run("debtor", "add", AFM, "--name", "Παπαδόπουλος ΑΕ", "--service", "Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Αθηνών",
        "--date", "2023-01-20")
    run("debt", "transfer", AFM, "--fund", "OAEE", "--period", "2022-12", "--kind", "contribution",
        "--amount", "1000", "--due", "2023-01-31")
    run("day", "close", "2023-02-01")
    return run


def test_a_notice_is_delivered_noticed_and_enforced_through_the_cli(cli):
    issued = cli("show", "notices", AFM, "--json")
    assert [(n["id"], n["kind"], n["total"]) for n in issued] == [
        ("INF-090000045-OAEE", "information", "0.00"), ("INV-090000045-20230201", "invitation", "1007.08")]
    delivered = cli("notice", "deliver", "INV-090000045-20230201", "--channel", "post", "--proof", "RR 1",
                    "--date", "2023-02-03", "--json")
    assert (delivered["deadline"], delivered["status"], delivered["proof"]) == ("2023-03-06", "delivered", "RR 1")
    assert cli("notices", "issue", "--json") == {"through": "2023-02-01", "issued": []}
    cli("day", "close", "2023-03-07")
    assert cli("show", "notices", AFM, "--json")[-1]["id"] == "IND-090000045-20230307"
    cli("notice", "deliver", "IND-090000045-20230307", "--channel", "post", "--proof", "RR 2", "--date", "2023-03-08")
    cli("day", "close", "2023-04-10")
    _, err = cli("enforcement", "record", AFM, "--measure", "seizure", "--items", "2022-12:contribution",
                 "--reference", "ΠΡΑΞΗ 1", "--date", "2023-04-07", expect=2)
    assert err == ("error: --items: the notice period for item OAEE:2022-12:contribution runs until 2023-04-07: "
                   "a measure is allowed from 2023-04-08 (N4)\n")
    recorded = cli("enforcement", "record", AFM, "--measure", "seizure", "--items", "2022-12:contribution",
                   "--reference", "ΠΡΑΞΗ 1", "--date", "2023-04-10", "--json")
    assert recorded["id"] == "M-090000045-1" and recorded["items"] == ["OAEE:2022-12:contribution"]
    table = cli("show", "debt-table", AFM, "--json")
    assert [m["id"] for m in table["measures"]] == ["M-090000045-1"] and table["items"][0]["enforceable"] is True
    lifted = cli("enforcement", "lift", "M-090000045-1", "--reason", "εξοφλήθηκε", "--date", "2023-04-12", "--json")
    assert lifted["lifted_on"] == "2023-04-12"
    trail = [(e["type"], e["business_date"]) for e in cli("audit", AFM, "--json")]
    assert ("Delivered", "2023-03-08") in trail and ("EnforcementRecorded", "2023-04-10") in trail
    assert [e["type"] for e in cli("audit", "IND-090000045-20230307", "--json")] == ["Issued", "Delivered"]


@pytest.mark.parametrize(("args", "error"), [
    (("notice", "deliver", "INV-090000045-20230301", "--channel", "post", "--proof", "RR", "--date", "2023-02-02"),
     "error: NOTICE_ID: no notice INV-090000045-20230301\n"),
    (("notice", "deliver", "INV-090000045-20230201", "--channel", "post", "--proof", "RR", "--date", "2023-01-31"),
     "error: --date: 2023-01-31 is before notice INV-090000045-20230201 was issued, on 2023-02-01 (N3)\n"),
    (("notice", "deliver", "INV-090000045-20230201", "--channel", "post", "--date", "2023-02-02"),
     "error: --proof: required: the delivery proof's reference (N3)\n"),
    (("notice", "deliver", "INV-090000045-20230201", "--channel", "fax", "--proof", "RR", "--date", "2023-02-02"),
     "error: --channel: 'fax': only post is recorded here; electronic delivery is the e-services' (W8)\n"),
    (("enforcement", "record", AFM, "--measure", "seizure", "--items", "", "--reference", "R"),
     "error: --items: a measure names at least one item (PERIOD:KIND)\n"),
    (("enforcement", "record", AFM, "--measure", "arrest", "--items", "2022-12:contribution", "--reference", "R"),
     "error: --measure: 'arrest' is not one of seizure, garnishment, mortgage\n"),
    (("enforcement", "record", AFM, "--measure", "seizure", "--items", "2022-13", "--reference", "R"),
     "error: --items: '2022-13' is not PERIOD:KIND or FUND:PERIOD:KIND\n"),
    (("enforcement", "lift", "M-090000045-9", "--reason", "R"), "error: MEASURE_ID: no measure M-090000045-9\n"),
    (("notices", "issue", "--date", "2023-02-02"),
     "error: --date: 2023-02-02 is after the ledger's business date 2023-02-01: close the day first\n"),
    (("show", "clearance", AFM, "--pdf", "c.pdf"), "error: --pdf: 090000045 is not clear on 2023-02-01: no certificate (V2)\n"),
    (("notice", "pdf", "INV-090000045-20230201", "-o", "/no/such/dir/n.pdf"),
     "error: -o: cannot write /no/such/dir/n.pdf: No such file or directory\n"),
])
def test_bad_input_exits_2_naming_the_field_and_records_nothing(cli, args, error):
    before = stored_events(cli.url)
    _, err = cli(*args, expect=2)
    assert err == error
    assert stored_events(cli.url) == before


@NEEDS_POPPLER
def test_the_printed_notice_reads_as_its_debtor_reads_it(cli, tmp_path):
    cli("notice", "deliver", "INV-090000045-20230201", "--channel", "post", "--proof", "RR 1", "--date", "2023-02-03")
    letter = tmp_path / "invitation.pdf"
    cli("notice", "pdf", "INV-090000045-20230201", "-o", str(letter))
    text = subprocess.run(["pdftotext", "-layout", str(letter), "-"], capture_output=True, text=True, check=True).stdout
    assert "ΠΡΟΣΚΛΗΣΗ" in text and "Α.Φ.Μ.: 090000045" in text
    assert "1.007,08 €" in text  # N5: the total frozen on 2023-02-01
    assert "Λήξη προθεσμίας: 06/03/2023" in text  # N4
    assert "Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Αθηνών" in text  # N5, N15
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(letter), str(tmp_path / "page")],
                   check=True)
    assert (tmp_path / "page-1.png").stat().st_size > 5_000
    table = tmp_path / "table.pdf"
    cli("show", "debt-table", AFM, "--pdf", str(table))
    text = subprocess.run(["pdftotext", "-layout", str(table), "-"], capture_output=True, text=True, check=True).stdout
    assert "ΠΙΝΑΚΑΣ ΧΡΕΩΝ" in text and "1.007,08 €" in text and "INV-090000045-20230201" in text
