"""The JSON of ``ledger serve`` (interfaces §3): the CLI's ``--json`` for the same
ledger, amounts as decimal strings, ``/api/v1/me``, the PDFs, W8's opening of a notice
in the account, the OpenAPI document, and Schemathesis over that document (no 5xx on
any generated input, for the operator and for a debtor).

The figures asserted literally are the demo's (``ledger demo`` is deterministic).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from tests.e2e.http_cases import endpoints, event_count, no_floats
from tests.e2e.web import DEBTOR, HEAD_OFFICE, OTHER, WRITER, Web

BUSINESS_DATE = "2022-12-31"  # the demo's
DEBTOR_ARRANGEMENT = "RF45A650100000015001"  # DEBTOR's application of 2021-12-07, rejected (C3)
MONEY = re.compile(r"-?\d+\.\d{2}")


@pytest.fixture(scope="module")
def debtor(web: Web) -> Iterator[httpx.Client]:
    with closing(web.sign_in("debtor")) as client:
        yield client


@pytest.fixture(scope="module")
def operator(web: Web) -> Iterator[httpx.Client]:
    """The operator as a machine: a bearer token, no cookie."""
    with httpx.Client(base_url=web.base, headers=web.bearer("operator"), timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def cli(web: Web) -> dict[str, Any]:
    """The CLI's ``--json`` of the views compared, read once (the commands side by side)."""
    commands = {
        "debt-table": ("show", "debt-table", DEBTOR),
        "clearance": ("show", "clearance", DEBTOR),
        "notices": ("show", "notices", DEBTOR),
        "arrangement": ("show", "arrangement", DEBTOR_ARRANGEMENT),
        "suspense": ("show", "suspense"),
        "audit": ("audit", DEBTOR),
        "debt-table 2021-01-01": ("show", "debt-table", DEBTOR, "--as-of", "2021-01-01"),
    }
    with ThreadPoolExecutor(4) as pool:
        running = {name: pool.submit(web.cli_json, *args) for name, args in commands.items()}
        return {name: future.result() for name, future in running.items()}


def json_of(answer: httpx.Response) -> Any:
    """The body as JSON, after checking it is JSON and holds no float anywhere."""
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    return no_floats(answer.text)


def money_fields(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from money_fields(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from money_fields(v, key)
    elif key in ("amount", "surcharges", "interest", "paid", "outstanding", "total", "total_outstanding",
                 "overdue_outside_arrangements", "capital"):
        yield key, value


# -- the CLI's JSON, for a debtor and for an operator -------------------------------------------------


VIEWS = {
    "debt-table": f"/api/v1/debtors/{DEBTOR}/debt-table",
    "clearance": f"/api/v1/debtors/{DEBTOR}/clearance",
    "notices": f"/api/v1/debtors/{DEBTOR}/notices",
    "arrangement": f"/api/v1/arrangements/{DEBTOR_ARRANGEMENT}",
}


def sealed(notice: dict[str, Any]) -> dict[str, Any]:
    """W8: a notice its addressee has not opened shows what it is, not what it says."""
    return notice if notice["opened_on"] is not None else {**notice, "items": [], "total": None}


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_the_debtors_json_is_the_clis(view: str, debtor: httpx.Client, operator: httpx.Client,
                                      cli: dict[str, Any]) -> None:
    """The same JSON values as ``ledger show … --json``, for the operator and for the
    debtor (W2, W7: its own), but for the content of the notices it has not opened (W8)."""
    assert json_of(operator.get(VIEWS[view])) == cli[view]
    want = [sealed(n) for n in cli[view]] if view == "notices" else cli[view]
    assert json_of(debtor.get(VIEWS[view])) == want


def test_the_demos_figures_for_the_debtor(debtor: httpx.Client, operator: httpx.Client) -> None:
    """The figures themselves, as decimal strings (never floats)."""
    table = json_of(debtor.get(VIEWS["debt-table"]))
    assert table["total_outstanding"] == "1874.16" and table["as_of"] == BUSINESS_DATE
    assert table["totals"] == {"amount": "1605.84", "surcharges": "268.32", "interest": "0.00", "paid": "0.00",
                               "outstanding": "1874.16"}
    assert table["items"][0]["outstanding"] == "245.31" and table["items"][0]["period"] == "2020-03"
    clearance = json_of(debtor.get(VIEWS["clearance"]))
    assert clearance["clear"] is False and clearance["overdue_outside_arrangements"] == "1605.84"
    arrangement = json_of(debtor.get(VIEWS["arrangement"]))
    assert arrangement["status"] == "rejected" and arrangement["debtor_afm"] == DEBTOR
    notices = json_of(operator.get(VIEWS["notices"]))
    assert [n["id"] for n in notices][:2] == ["INF-100000015-IKA", "INV-100000015-20200515"]
    assert notices[1]["total"] == "203.41" and notices[1]["items"][0]["outstanding"] == "203.41"
    assert [n["total"] for n in json_of(debtor.get(VIEWS["notices"]))][:2] == [None, None]  # unopened (W8)
    found = [(k, v) for view in (table, clearance, arrangement, notices) for k, v in money_fields(view)]
    assert len(found) > 40
    for key, value in found:
        assert value is None or isinstance(value, str) and MONEY.fullmatch(value), (key, value)


def test_the_operators_staff_json_is_the_clis(operator: httpx.Client, cli: dict[str, Any]) -> None:
    """Suspense, audit and a view as of a past day: the CLI's JSON (V3, P5, §14)."""
    suspense = json_of(operator.get("/api/v1/suspense"))
    assert suspense == cli["suspense"]
    assert suspense[0]["tx_id"] == "TX000111" and suspense[0]["amount"] == "120.00"
    audit = json_of(operator.get(f"/api/v1/audit/{DEBTOR}"))
    assert audit == cli["audit"]
    assert [e["type"] for e in audit][:2] == ["Registered", "DebtTransferred"]
    back_then = json_of(operator.get(VIEWS["debt-table"], params={"as_of": "2021-01-01"}))
    assert back_then == cli["debt-table 2021-01-01"]
    assert back_then["total_outstanding"] == "426.88" and back_then["as_of"] == "2021-01-01"
    projections = operator.get("/api/v1/projections").json()  # its lag in seconds is a float, no amount
    assert {"debt_table", "directory", "notices", "suspense"} <= {p["name"] for p in projections}


# -- who is signed in -----------------------------------------------------------------------------


def test_me_for_a_debtor_and_for_staff(web: Web, debtor: httpx.Client, operator: httpx.Client,
                                       cli: dict[str, Any]) -> None:
    """``GET /api/v1/me``: ``afm`` null for staff; roles a list (the auditor's claim is a
    space-separated string); the debtor's KEAO service, as its debt table names it (W2)."""
    me = json_of(debtor.get("/api/v1/me"))
    assert me == {"afm": DEBTOR, "name": "Παπαδόπουλος ΑΕ", "roles": [],
                  "service": "Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Αθηνών"}
    assert me["service"] == cli["debt-table"]["service"]
    assert json_of(httpx.get(f"{web.base}/api/v1/me", headers=web.bearer("debtor"))) == me
    assert json_of(operator.get("/api/v1/me")) == {"afm": None, "name": "Υπάλληλος ΚΕΑΟ", "roles": ["operator"],
                                                   "service": None}
    with closing(web.sign_in("auditor")) as auditor:
        assert json_of(auditor.get("/api/v1/me")) == {"afm": None, "name": "Ελεγκτής", "roles": ["auditor"],
                                                      "service": None}


# -- the PDFs -------------------------------------------------------------------------------------


def pdf_text(answer: httpx.Response) -> str:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF")
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=answer.content, capture_output=True,
                          timeout=60, check=True)
    return done.stdout.decode("utf-8")


def test_the_clearance_pdf_when_clear_and_409_when_not(web: Web, debtor: httpx.Client,
                                                       operator: httpx.Client) -> None:
    """V2: OTHER is clear (its arrangement kept), so its certificate is a PDF naming its
    ΑΦΜ; DEBTOR is not, so 409 naming ``afm`` and the reason."""
    with closing(web.sign_in("other")) as other:
        text = pdf_text(other.get(f"/api/v1/debtors/{OTHER}/clearance.pdf"))
        assert OTHER in text and "ΑΠΟΔΕΙΚΤΙΚΟ ΑΣΦΑΛΙΣΤΙΚΗΣ ΕΝΗΜΕΡΟΤΗΤΑΣ" in text and "28/02/2023" in text
        assert OTHER in pdf_text(other.get("/clearance.pdf"))  # the page's link, for its own ΑΦΜ
    assert OTHER in pdf_text(operator.get(f"/api/v1/debtors/{OTHER}/clearance.pdf"))
    refused = debtor.get(f"/api/v1/debtors/{DEBTOR}/clearance.pdf")
    assert refused.status_code == 409
    detail = refused.json()["detail"][0]
    assert detail["loc"] == ["afm"] and "is not clear on 2022-12-31" in detail["msg"]


def test_a_notices_pdf_for_staff_and_for_its_debtor_once_opened(debtor: httpx.Client,
                                                                  operator: httpx.Client) -> None:
    """N5: the notice as printed. Staff read any; its debtor, once it opened it (W8:
    the debtor's PDF of an opened notice is in the W8 test below)."""
    number = "INV-100000015-20200515"
    text = pdf_text(operator.get(f"/api/v1/notices/{number}.pdf"))
    assert number in text and DEBTOR in text and "203,41 €" in text
    refused = debtor.get(f"/api/v1/notices/{number}.pdf")
    assert refused.status_code == 409 and refused.json()["detail"][0]["loc"] == ["notice_id"]


# -- W8: opening a notice in the account ------------------------------------------------------------


def test_w8_opening_a_notice_in_the_account_is_its_electronic_delivery(web: Web) -> None:
    """W8: the WRITER debtor opens a notice: its electronic delivery and first opening,
    on the business date, with the deadline running from it; the CLI shows the same.
    Opening it again changes nothing; the page then serves its PDF."""
    number = "INV-100000039-20210614"
    with closing(web.sign_in("writer")) as writer:
        inbox = json_of(writer.get(f"/api/v1/debtors/{WRITER}/notices"))
        n = [x["id"] for x in inbox].index(number) + 1
        before = inbox[n - 1]
        assert (before["delivered_on"], before["opened_on"], before["channel"], before["deadline"]) == (
            None, None, None, None)
        assert writer.get(f"/notices/{n}.pdf").status_code == 409  # not yet: its opening is its delivery
        assert writer.get(f"/api/v1/notices/{number}.pdf").status_code == 409
        events = event_count(web)
        opened = json_of(writer.post(f"/api/v1/notices/{number}/open"))
        assert opened["channel"] == "electronic"
        assert opened["delivered_on"] == opened["opened_on"] == BUSINESS_DATE
        assert opened["deadline"] == "2023-01-30" and opened["period_days"] == 30  # 30 days after delivery
        assert opened["status"] == "delivered" and opened["total"] == "1905.59" and len(opened["items"]) == 5
        assert before["total"] is None and before["items"] == []  # its content withheld until opened
        recorded = event_count(web)
        assert recorded > events
        shown = next(x for x in web.cli_json("show", "notices", WRITER) if x["id"] == number)
        assert shown == opened
        assert json_of(writer.post(f"/api/v1/notices/{number}/open")) == opened  # again: nothing new
        assert event_count(web) == recorded
        for url in (f"/notices/{n}.pdf", f"/api/v1/notices/{number}.pdf"):  # the page's link, the API's
            text = pdf_text(writer.get(url))
            assert number in text and WRITER in text and "1.905,59 €" in text


def test_w8_staff_opening_a_notice_records_nothing_and_a_debtors_bearer_needs_no_csrf(web: Web,
                                                                                       operator: httpx.Client) -> None:
    """Staff looking at a debtor's notice deliver nothing (W8 is the debtor's opening);
    the debtor's own machine, with a bearer token and no CSRF token, does."""
    number = "INV-100000039-20210317"
    events = event_count(web)
    seen = json_of(operator.post(f"/api/v1/notices/{number}/open"))
    assert seen["id"] == number and seen["delivered_on"] is None and seen["opened_on"] is None
    assert event_count(web) == events
    opened = json_of(httpx.post(f"{web.base}/api/v1/notices/{number}/open", headers=web.bearer("writer")))
    assert opened["channel"] == "electronic" and opened["opened_on"] == BUSINESS_DATE
    assert event_count(web) > events


# -- the OpenAPI document -------------------------------------------------------------------------


# interfaces §3's JSON endpoints, their parameters as ``{}``.
CONTRACT = {
    ("get", "/api/v1/me"), ("get", "/api/v1/debtors/{}/debt-table"), ("get", "/api/v1/debtors/{}/clearance"),
    ("get", "/api/v1/debtors/{}/notices"), ("get", "/api/v1/arrangements/{}"), ("get", "/api/v1/audit/{}"),
    ("get", "/api/v1/suspense"), ("get", "/api/v1/projections"), ("post", "/api/v1/notices/{}/open"),
    ("get", "/api/v1/debtors/{}/clearance.pdf"), ("get", "/api/v1/notices/{}.pdf"), ("get", "/healthz"),
}


def test_openapi_lists_every_json_endpoint_of_the_contract_and_no_page(web: Web) -> None:
    document = httpx.get(f"{web.base}/openapi.json").json()
    listed = {(method, re.sub(r"{\w+}", "{}", path)) for path, item in document["paths"].items() for method in item}
    assert CONTRACT <= listed, CONTRACT - listed
    api_routes = {(e.method.lower(), re.sub(r"{\w+}", "{}", e.path)) for e in endpoints(web)
                  if e.path.startswith("/api/")}
    assert api_routes <= listed  # an API route left out of the document would escape Schemathesis
    assert not {p for p in document["paths"] if not p.startswith("/api/") and p != "/healthz"}  # no pages
    table = document["paths"]["/api/v1/debtors/{afm}/debt-table"]["get"]
    assert {p["name"] for p in table["parameters"]} == {"afm", "as_of"}


# -- Schemathesis over the document ---------------------------------------------------------------


# 25 examples an operation in all: valid, invalid, valid with real path parameters.
EXAMPLES = {"positive": 10, "negative": 5, "known": 10}


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate, Phase.shrink])


# Real identifiers, so that generated queries (as_of above all) reach the views and the
# replay behind them rather than stopping at "not found".
KNOWN = {"operator": {"afm": DEBTOR, "id": DEBTOR_ARRANGEMENT, "notice_id": "INV-100000015-20200515"},
         "debtor": {"afm": HEAD_OFFICE, "id": "RF25A650100000027001", "notice_id": "INV-400000049-20210715"}}


def fuzz(web: Web, who: str, call: Callable[[Any], Any]) -> None:
    """Every operation of the OpenAPI document, generated valid and invalid, then valid
    with real path parameters: no answer may be a 5xx (``not_a_server_error``)."""
    schema = schemathesis.openapi.from_url(f"{web.base}/openapi.json")
    events = event_count(web)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        params = {p["name"] for p in operation.definition.raw.get("parameters", []) if p.get("in") == "path"}
        passes = [("positive", operation.as_strategy(GenerationMode.POSITIVE)),
                  ("negative", operation.as_strategy(GenerationMode.NEGATIVE))]
        # A debtor's real notice is not opened here: only the WRITER's are (tests/e2e/web.py).
        if params and not (who == "debtor" and operation.method.upper() == "POST"):
            known = {name: KNOWN[who][name] for name in params}
            passes.append((f"known {known}", operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known)))
        for label, strategy in passes:

            @fuzz_settings(EXAMPLES[label.split()[0]])
            @given(case=strategy)
            def check(case: Any) -> None:
                call(case)

            try:
                check()
            except Unsatisfiable:
                assert label == "negative", (operation.path, label)  # nothing in it can be made invalid
            except Exception as error:  # noqa: BLE001 - each operation's failure, reported together
                failures.append(f"{operation.method.upper()} {operation.path} ({label}): {error}"[:2000])
    assert not failures, "\n\n".join(failures)
    assert event_count(web) == events  # staff open nothing; the debtor's fuzzing named none of its notices


def test_schemathesis_as_the_operator_no_5xx(web: Web) -> None:
    """Schemathesis over /openapi.json with the operator's bearer token: no 5xx."""
    headers = web.bearer("operator")
    fuzz(web, "operator", lambda case: case.call_and_validate(headers=headers, checks=[not_a_server_error]))


def test_schemathesis_as_a_debtor_no_5xx(web: Web) -> None:
    """The same with the head office's browser session (its cookie and CSRF token), W7
    filtering on every answer: no 5xx."""
    with closing(web.sign_in("head-office")) as client, requests.Session() as session:
        session.cookies.set("keao_session", client.cookies["keao_session"])
        session.headers["x-csrf-token"] = client.headers["x-csrf-token"]
        fuzz(web, "debtor", lambda case: case.call_and_validate(session=session, checks=[not_a_server_error]))
