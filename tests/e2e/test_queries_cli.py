"""The operators' questions end to end (interfaces §1.7): `projections run`
refreshes the figures they read, `debtor list|search`, `arrangement list` and
`summary` answer in Greek tables or `--json`, and bad input exits 2 naming the
field, the ledger unchanged."""

from __future__ import annotations

import pytest

from tests.cli_helpers import cli_runner, stored_events

AFM, AFM2 = "100000003", "100000015"


@pytest.fixture
def cli(sqlite_url, capsys):
    run = cli_runner(sqlite_url, capsys)
    for args in (("day", "close", "2022-03-01"),
                 ("debtor", "add", AFM, "--name", "Ιωάννου Ο.Ε.", "--service", "Τοπικό Κέντρο Πάτρας"),
                 ("debtor", "add", AFM2, "--name", "Ελένη Ιωαννίδου", "--service", "Τοπικό Κέντρο Πάτρας"),
                 ("debt", "transfer", AFM, "--fund", "OGA", "--period", "2021-12", "--kind", "contribution",
                  "--amount", "400.00", "--due", "2022-01-31")):
        run(*args)
    return run


def test_the_figures_are_refreshed_once_and_the_questions_answered(cli):
    out, _ = cli("projections", "run")
    assert out.splitlines()[1] == "ανανεώθηκαν τα στοιχεία καταλόγων 2 οφειλετών"
    out, _ = cli("projections", "run")
    assert out.splitlines()[1] == "ανανεώθηκαν τα στοιχεία καταλόγων 0 οφειλετών"
    found = cli("debtor", "search", "ιωαν", "--json")
    # L1: 400.00 overdue since 2022-01-31, two months of delay started (02-01, 03-01)
    assert [(r["afm"], r["clear"]) for r in found] == [(AFM2, True), (AFM, False)]
    assert found[1]["total_outstanding"] == cli("show", "debt-table", AFM, "--json")["total_outstanding"]
    out, _ = cli("debtor", "list", "--clear", "no")
    assert "Οφειλέτες στις 2022-03-01: σελίδα 1 από 1, 1 συνολικά" in out and AFM in out and AFM2 not in out
    assert cli("arrangement", "list", "--json") == []
    summary = cli("summary", "--json")
    assert summary["debtors"] == {"count": 2, "not_clear": 1, "total_outstanding": found[1]["total_outstanding"]}
    # a rebuilt directory starts without the figures: the rebuild refreshes them
    out, _ = cli("projections", "rebuild", "directory")
    assert out.splitlines()[-1] == "ανανεώθηκαν τα στοιχεία καταλόγων 2 οφειλετών"
    assert cli("debtor", "search", "ιωαν", "--json") == found


@pytest.mark.parametrize(("args", "field"), [
    (("debtor", "search", " "), "TEXT"),
    (("debtor", "search", "1234567890"), "TEXT"),
    (("debtor", "list", "--fund", "TEBE"), "--fund"),
    (("debtor", "list", "--page", "0"), "--page"),
    (("arrangement", "list", "--status", "kept"), "--status"),
    (("arrangement", "list", "--scheme", "covid"), "--scheme"),
    (("arrangement", "list", "--since", "2022-13-01"), "--since"),
    (("arrangement", "list", "--since", "2022-03-01", "--until", "2022-02-01"), "--until"),
])
def test_bad_input_exits_2_naming_the_field_and_records_nothing(cli, args, field):
    before = stored_events(cli.url)
    _, err = cli(*args, expect=2)
    assert err.startswith(f"error: {field}: "), err
    assert stored_events(cli.url) == before
