"""M3 (amended): before the first close of day the ledger's business date is the
latest business date any record took effect on, so every view works from the
first command on (through the CLI, on both stores)."""

import json

from tests.cli_helpers import run_cli

AFM = "100000107"


def test_M3_views_right_after_apply_take_the_latest_date_a_record_took_effect_on(db_url, capsys):
    def ok(*args):
        status, out, err = run_cli(db_url, *args, capsys=capsys)
        assert status == 0, err
        return out

    ok("debtor", "add", AFM, "--name", "Παπαδόπουλος Γ.", "--date", "2021-11-01")
    ok("debt", "transfer", AFM, "--fund", "OAEE", "--period", "2021-03", "--kind", "contribution",
       "--amount", "1000.00", "--due", "2021-04-30", "--date", "2021-11-01")
    applied = json.loads(ok("arrangement", "apply", AFM, "--scheme", "covid-650", "--date", "2021-12-15", "--json"))
    view = json.loads(ok("show", "arrangement", applied["id"], "--json"))
    assert (view["status"], view["joined_on"], view["instalments"][0]["due_date"]) == (
        "applied", "2021-12-15", "2021-12-31")
    table = json.loads(ok("show", "debt-table", AFM, "--json"))
    assert table["as_of"] == "2021-12-15"
    # a payment with a later value date moves it on (its record takes effect on that date)
    ok("payment", "record", "--reference", applied["payment_code"], "--amount", "5.00",
       "--value-date", "2021-12-20", "--tx-id", "TX-1", "--bank", "ETE")
    assert json.loads(ok("show", "clearance", AFM, "--json"))["as_of"] == "2021-12-20"
