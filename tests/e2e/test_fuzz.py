"""Generated input for every command and every file/message parser (issue 12).

Hypothesis builds command lines and JSON Lines files from tricky text (NUL and
other control characters, rich markup, bidi and zero-width marks, very long
strings), numbers (exponents, underscores, other scripts' digits, NaN, 31
digits) and dates (the year 1 and 9999, other ISO forms). Whatever it sends:
the CLI exits 0 or 2, never with a traceback; exit 2 is one line on stderr and
leaves the event count unchanged; after any accepted input every show command
and the audit still answer for every debtor. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aggregates.debtor import Debtor
from aggregates.references import arrangement_payment_code, debtor_identity_code
from ledger.application import Ledger
from tests.cli_helpers import run_cli, stored_events

AFM = "100000003"
CODE = arrangement_payment_code("650", AFM, 1)
TRICKY = [
    "", " ", "\x00", "RF\x00", "[/x]", "[bold]red", "\x1b[31m", "a\r\nb", "\u202eabc", "\u200b\u200b", "Ω" * 3000,
    "1e2", "1_000", "NaN", "Infinity", "-1", "0", "0.001", "9" * 31, "١٢٣", "１２３", "12,50",
    "9999-12-31", "0001-01-01", "20210101", "2021W011", "2021-13", "2021-02-30", "２０２１-０１-０１",
    "000000000", "100000004", AFM, CODE, debtor_identity_code(AFM),
]
texts = st.one_of(st.sampled_from(TRICKY), st.text(max_size=24))


def mostly(good: st.SearchStrategy, bad: st.SearchStrategy = texts) -> st.SearchStrategy:
    """Seven times in eight a value the rules accept, so that many commands (of a
    few fields each) go through and the views are checked after them; else anything."""
    return st.integers(0, 7).flatmap(lambda draw: good if draw else bad)


amounts = mostly(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=2).map(str),
                 st.one_of(st.sampled_from(TRICKY), st.decimals(allow_nan=True).map(str)))
dates = mostly(st.dates(date(2019, 1, 1), date(2023, 12, 31)).map(date.isoformat),
               st.one_of(st.sampled_from(TRICKY), st.dates().map(date.isoformat)))
afms = mostly(st.sampled_from([AFM, "100000015"]))
references = mostly(st.sampled_from([CODE, debtor_identity_code(AFM)]))
names = mostly(st.text(alphabet="ΑΒΓΔΕαβγδε ABC", min_size=1, max_size=20).filter(str.strip))
tx_ids = mostly(st.text(alphabet="ABCXYZ0123456789-", min_size=1, max_size=12))


def as_options(**options: str) -> list[str]:
    return [part for name, value in options.items() for part in (f"--{name.replace('_', '-')}", value)]


commands = st.one_of(
    st.builds(lambda a, n, s: ["debtor", "add", a, *as_options(name=n, service=s)], afms, names, names),
    st.builds(lambda a, f, p, k, m, d: ["debt", "transfer", a, *as_options(fund=f, period=p, kind=k, amount=m, due=d)],
              afms, st.one_of(st.sampled_from(["OAEE", "OGA", "ETAA"]), texts), dates.map(lambda d: d[:7]),
              st.one_of(st.just("contribution"), texts), amounts, dates),
    st.builds(lambda a, s, d, n: ["arrangement", "apply", a, *as_options(scheme=s, date=d, instalments=n)],
              afms, st.one_of(st.sampled_from(["covid-650", "standing"]), texts), dates,
              st.one_of(st.sampled_from(["12", "0", "1e2"]), texts)),
    st.builds(lambda r, m, v, t, b: ["payment", "record", *as_options(reference=r, amount=m, value_date=v, tx_id=t,
                                                                        bank=b)],
              references, amounts, dates, tx_ids, mostly(st.just("ETE"))),
    st.builds(lambda d: ["day", "close", d], dates),
    st.builds(lambda v, a, d: ["show", v, a, "--as-of", d], st.sampled_from(["debt-table", "clearance"]), afms, dates),
    st.builds(lambda r, d: ["audit", r, "--as-of", d], references, dates),
)
payment_lines = st.fixed_dictionaries({
    "tx_id": tx_ids, "amount": mostly(amounts, st.one_of(st.floats(), st.integers())), "value_date": dates,
    "reference": references, "bank": mostly(st.just("ETE")), "currency": mostly(st.just("EUR")),
})
transfer_lines = st.fixed_dictionaries({
    "fund": mostly(st.just("OAEE")), "transfer_id": tx_ids, "sent_at": mostly(st.just("2021-12-01T10:00:00+02:00")),
    "debtor": st.fixed_dictionaries({"afm": afms, "name": names}),
    "items": st.lists(st.fixed_dictionaries({"period": dates.map(lambda d: d[:7]), "kind": st.just("contribution"),
                                             "amount": amounts, "due_date": dates}), min_size=1, max_size=2),
})
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def seeded(db_url: str, capsys) -> str:
    for args in (["day", "close", "2021-12-01"], ["debtor", "add", AFM, "--name", "Παπαδόπουλος ΑΕ"],
                 ["debt", "transfer", AFM, "--fund", "OAEE", "--period", "2020-05", "--kind", "contribution",
                  "--amount", "3000", "--due", "2020-06-30"],
                 ["arrangement", "apply", AFM, "--scheme", "covid-650", "--date", "2021-12-01", "--instalments", "12"]):
        assert run_cli(db_url, *args, capsys=capsys)[0] == 0, args
    return db_url



def refused_cleanly_or_answering(url: str, args: list[str], capsys) -> None:
    before = stored_events(url)
    status, _, err = run_cli(url, *args, capsys=capsys)
    assert status in (0, 2), (args, err)
    event("accepted" if status == 0 else "refused")  # hypothesis's statistics (--hypothesis-show-statistics)
    if status == 2:
        assert err.startswith("error: ") and err.count("\n") == 1, (args, err)
        assert stored_events(url) == before, args
        return
    views = [["show", "arrangement", CODE, "--json"], ["show", "suspense", "--json"], ["show", "suspense"]]
    for afm in debtors(url):
        views += [["show", "debt-table", afm, "--json"], ["show", "clearance", afm, "--json"], ["audit", afm, "--json"],
                  ["show", "debt-table", afm], ["audit", afm]]
    for view in views:
        status, out, err = run_cli(url, *view, capsys=capsys)
        assert status == 0 and out, (args, view, err)


def debtors(url: str) -> list[str]:
    """Every registered debtor's ΑΦΜ, read from the events."""
    ledger = Ledger(url)
    try:
        return [ledger.mapper.to_domain_event(n).afm for n in ledger.notifications([Debtor.Registered.TOPIC])]
    finally:
        ledger.close()


@FUZZ
@given(args=commands)
def test_any_command_line_is_applied_or_refused_cleanly(seeded, args, capsys):
    refused_cleanly_or_answering(seeded, args, capsys)


@FUZZ
@given(lines=st.lists(payment_lines, min_size=1, max_size=3))
def test_any_bank_file_is_imported_or_refused_cleanly(seeded, lines, tmp_path_factory, capsys):
    refused_cleanly_or_answering(seeded, ["payment", "import", write(tmp_path_factory, lines)], capsys)


@FUZZ
@given(lines=st.lists(transfer_lines, min_size=1, max_size=3))
def test_any_fund_file_is_imported_or_refused_cleanly(seeded, lines, tmp_path_factory, capsys):
    refused_cleanly_or_answering(seeded, ["debt", "import", write(tmp_path_factory, lines)], capsys)


def write(tmp_path_factory, lines: list[dict]) -> str:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "lines.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False, default=str) + "\n" for line in lines),
                    encoding="utf-8", errors="surrogatepass")
    return str(path)
