"""The environment of the ledger (issue 12, findings 7 and 8): a URL is never shown
with its password, the SQLite file holding names, ΑΦΜ and ΑΜΚΑ is the owner's only,
and a store that cannot be opened is one line on stderr and exit 2, within seconds."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from ledger.application import Ledger
from tests.cli_helpers import run_cli, stored_events
from tests.conftest import POSTGRES_URL

LEDGER = str(Path(sys.executable).with_name("ledger"))
AFM = "100000003"
PASSWORD = "S3cr3tPW"  # the local server trusts its clients: any password opens it
KNOWN = "sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DBNAME"


def with_password(url: str) -> tuple[str, str]:
    """``url`` with a password (its own, if it has one), and the password."""
    parts = urlsplit(url)
    if parts.password:
        return url, parts.password
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{parts.username}:{PASSWORD}@{host}")), PASSWORD


def shown(url: str, password: str) -> str:
    return url.replace(f":{password}@", ":***@", 1)


def last_line(out: str, expected: str) -> bool:
    """Whether ``out`` ends with ``expected``, however the console wrapped it."""
    return "".join(out.split()).endswith("".join(expected.split()))


def modes(folder: Path) -> dict[str, int]:
    return {path.name: stat.S_IMODE(path.stat().st_mode) for path in sorted(folder.iterdir())}



@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual umask, under which a file created without a mode is world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


# -- finding 7: secrets and files ----------------------------------------------------------


def test_demo_refusing_a_ledger_already_there_hides_the_password(postgres_url, capsys):
    url, password = with_password(postgres_url)
    assert run_cli(url, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01", capsys=capsys)[0] == 0
    before = stored_events(url)
    status, out, err = run_cli(url, "demo", capsys=capsys)
    assert (status, out) == (2, "")
    assert err == f"error: --db: {shown(url, password)} already holds a ledger: run with --fresh to start over\n"
    assert stored_events(url) == before == 1


def test_demo_names_the_ledger_it_wrote_without_the_password(postgres_url, capsys):
    url, password = with_password(postgres_url)
    status, out, err = run_cli(url, "demo", "--until", "2021-12-31", capsys=capsys)
    assert status == 0, err
    assert password not in out and password not in err
    assert last_line(out, f"το καθολικό γράφτηκε στο {shown(url, password)}· δοκιμάστε `ledger show debt-table 100000107`")


def test_a_new_sqlite_ledger_and_its_companions_are_the_owners_only(sqlite_url, tmp_path, umask_022, capsys):
    assert run_cli(sqlite_url, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01", capsys=capsys)[0] == 0
    # The ledger is still open (the process's one): its write-ahead log and index are there.
    assert modes(tmp_path) == {"ledger.db": 0o600, "ledger.db-shm": 0o600, "ledger.db-wal": 0o600}


def test_an_existing_world_readable_ledger_is_closed_to_the_world(sqlite_url, tmp_path, umask_022, capsys):
    """A file an earlier release created 0644 loses the world's bits; its owner's and
    group's are the operator's choice and stay."""
    Ledger(sqlite_url).close()
    (tmp_path / "ledger.db").chmod(0o644)
    (tmp_path / "ledger.db-journal").write_bytes(b"")  # a companion left behind, as readable
    (tmp_path / "ledger.db-journal").chmod(0o666)
    assert run_cli(sqlite_url, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01", capsys=capsys)[0] == 0
    assert modes(tmp_path) == {"ledger.db": 0o640, "ledger.db-journal": 0o660, "ledger.db-shm": 0o640,
                               "ledger.db-wal": 0o640}
    assert stored_events(sqlite_url) == 1


def test_demo_with_an_early_until_reports_without_its_audit(tmp_path, capsys):
    """Before 2021-12 the debtor whose audit the report shows has no arrangement yet:
    the report goes without it instead of stopping at an IndexError."""
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    status, out, err = run_cli(url, "demo", "--until", "2021-06-30", capsys=capsys)
    assert status == 0, err
    assert "Audit trail" not in out
    assert last_line(out, f"το καθολικό γράφτηκε στο {url}· δοκιμάστε `ledger show debt-table 100000107`")


# -- finding 8: environment errors ---------------------------------------------------------


def test_an_unreachable_postgresql_is_one_line_within_seconds(capsys):
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/ledger_test"  # a closed loopback port
    started = time.monotonic()
    status, out, err = run_cli(url, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01", capsys=capsys)
    assert time.monotonic() - started < 10
    assert (status, out, err) == (
        2, "", "error: --db: cannot open postgresql://postgres:***@127.0.0.1:1/ledger_test: Connection refused\n"
    )


def test_a_role_postgresql_does_not_know_is_one_line(postgres_available, capsys):
    parts = urlsplit(POSTGRES_URL)
    url = urlunsplit(parts._replace(netloc=f"nosuchrole@{parts.netloc.rpartition('@')[2]}", query=""))
    started = time.monotonic()
    status, out, err = run_cli(url, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01", capsys=capsys)
    assert time.monotonic() - started < 10
    assert (status, out, err) == (2, "", f'error: --db: cannot open {url}: role "nosuchrole" does not exist\n')


def test_a_postgresql_schema_that_is_not_there_is_one_line(postgres_available, capsys):
    url = f"{POSTGRES_URL}?schema=no_such_schema_of_the_ledger"
    status, out, err = run_cli(url, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01", capsys=capsys)
    assert (status, out, err) == (
        2, "", f'error: --db: cannot open {url}: schema "no_such_schema_of_the_ledger" does not exist\n'
    )


def test_a_url_of_no_known_scheme_is_refused_before_anything_is_opened(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for args in (("debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01"), ("demo", "--fresh")):
        status, out, err = run_cli("mysql://root:hunter2@db.example/keao", *args, capsys=capsys)
        assert (status, out, err) == (2, "", f"error: --db: mysql://root:***@db.example/keao is not {KNOWN}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_sqlite_directory_that_is_not_there_is_one_line(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/no/such/dir/ledger.db"
    status, out, err = run_cli(url, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01", capsys=capsys)
    assert (status, out, err) == (2, "", f"error: --db: cannot open {url}: no directory {tmp_path}/no/such/dir\n")
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_is_not_a_sqlite_database_is_one_line_and_left_as_it_is(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a ledger\n")
    url = f"sqlite:///{notes}"
    status, out, err = run_cli(url, "debtor", "add", AFM, "--name", "Παπαδόπουλος Α.Ε.", "--date", "2021-03-01", capsys=capsys)
    assert (status, out, err) == (2, "", f"error: --db: cannot open {url}: file is not a database\n")
    assert notes.read_text() == "not a ledger\n"


def test_consume_on_an_unreachable_postgresql_is_one_line(tmp_path):
    """``ledger consume`` opens its own ledger: the same one line, before any Kafka."""
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/ledger_test"
    env = {k: v for k, v in os.environ.items() if k != "LEDGER_DB_URL"}
    started = time.monotonic()
    done = subprocess.run([LEDGER, "--db", url, "consume"], capture_output=True, text=True, cwd=tmp_path,
                          env=env, timeout=60)
    assert time.monotonic() - started < 15  # the interpreter's start included
    assert (done.returncode, done.stdout, done.stderr) == (
        2, "", "error: --db: cannot open postgresql://postgres:***@127.0.0.1:1/ledger_test: Connection refused\n"
    )
