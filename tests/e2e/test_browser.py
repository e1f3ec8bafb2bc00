"""The portal in a real browser (issue 16): Playwright driving Debian's Chromium
(``apt-get install chromium``; ``playwright install`` is not used) against the
``web`` fixture's ``ledger serve`` on the demo ledger, signing in through the test
OpenID Connect provider's own page. Every figure a page shows is checked against
what the CLI's ``--json`` prints for the same ledger.

Each page is also looked at on a phone (390 px wide): the document must not scroll
sideways. ``LEDGER_SCREENSHOTS=DIR`` saves every page, desktop and phone, into DIR;
``LEDGER_UPDATE_SCREENSHOTS=1`` refreshes the README's ``docs/screenshots/``.

Tests that record something use the debtors ``tests/e2e/web.py`` sets apart for it
(``READER`` opens a notice, ``APPLICANT`` applies, ``POSTED``'s notice goes by post).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ledger.documents.render import day, money
from tests.e2e.web import APPLICANT, DEBTOR, OTHER, POSTED, READER, Web

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SIGN_IN = "Είσοδος με κωδικούς TAXISnet"
README_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

# Outside CI a machine without Debian's Chromium skips these; CI installs it (.ci/run), and fails without it.
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason=f"no {CHROMIUM}: apt-get install chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@contextmanager
def signed_in(browser: Any, web: Web, sub: str, welcome: bool = False) -> Iterator[Any]:
    """A browser tab signed in as ``sub`` the way a person does it: the front page's
    button, the provider's sign-in page, its user's button, back to the portal."""
    context = browser.new_context(viewport=DESKTOP, locale="el-GR")
    page = context.new_page()
    try:
        page.goto(web.base + "/")
        if welcome:
            look(page, "welcome")
        page.get_by_role("link", name=SIGN_IN).click()
        page.locator(f"button[name=sub][value='{sub}']").click()
        page.wait_for_url(f"{web.base}/**")
        yield page
    finally:
        context.close()


def look(page: Any, name: str) -> None:
    """The page on a desktop and on a phone: never wider than the phone (tables
    become cards there); saved when ``LEDGER_SCREENSHOTS`` names a folder."""
    folder = os.environ.get("LEDGER_SCREENSHOTS")
    for size, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        page.set_viewport_size(size)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{name} is {width} px wide on a {size['width']} px screen"
        if size is DESKTOP:  # and every table fits: nothing to scroll sideways on a desktop
            wide = page.locator(".scroll").evaluate_all(
                "all => all.filter(e => e.scrollWidth > e.clientWidth + 1).length")
            assert wide == 0, f"{name}: {wide} table(s) wider than the page at {size['width']} px"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}{suffix}.png"), full_page=True)
        if os.environ.get("LEDGER_UPDATE_SCREENSHOTS") and name == "debtor-home":
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(README_SHOTS / f"{name}{suffix}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.fixture(scope="module")
def debtor_table(web: Web) -> dict[str, Any]:
    """The read-only debtor's debt table, as the CLI prints it; its ``as_of`` is the ledger's business date."""
    return dict(web.cli_json("show", "debt-table", DEBTOR))


def cli_all(web: Web, *commands: tuple[str, ...]) -> list[Any]:
    """Several ``ledger … --json`` at once (each a process of its own)."""
    with ThreadPoolExecutor(len(commands)) as pool:
        return list(pool.map(lambda args: web.cli_json(*args), commands))


def figure(scope: Any, name: str) -> str:
    return " ".join(scope.locator(f"[data-figure={name}]").inner_text().split())


def euros(amount: str | None) -> str:
    return money(Decimal(amount)) if amount is not None else "—"


def dmy(iso: str) -> str:
    return day(date.fromisoformat(iso))


def test_debtor_home_debt_table_clearance_and_inbox(browser: Any, web: Web, debtor_table: dict[str, Any]) -> None:
    table = debtor_table
    clearance, notices = cli_all(web, ("show", "clearance", DEBTOR), ("show", "notices", DEBTOR))
    with signed_in(browser, web, "debtor", welcome=True) as page:
        assert page.url == web.base + "/"
        assert figure(page, "total_outstanding") == euros(table["total_outstanding"]) == "1.874,16 €"
        assert figure(page, "service") == table["service"]
        assert figure(page, "clear") == ("Ενήμερος" if clearance["clear"] else "Μη ενήμερος")
        assert figure(page, "unopened_notices") == str(sum(n["opened_on"] is None for n in notices))
        look(page, "debtor-home")

        page.get_by_role("navigation").get_by_role("link", name="Πίνακας Χρεών").click()
        page.wait_for_url("**/debt-table")
        own = page.locator("[data-afm-section='1']")
        assert figure(own, "total_outstanding") == euros(table["total_outstanding"])
        rows = own.locator("tbody tr")
        assert rows.count() == len(table["items"])
        for row, item in zip(rows.all(), table["items"]):
            assert row.locator("td[data-label='Οφειλή']").inner_text().strip() == euros(item["outstanding"])
        assert table["identity_code"] in own.inner_text()
        look(page, "debtor-debt-table")

        page.get_by_role("navigation").get_by_role("link", name="Ασφαλιστική ενημερότητα").click()
        page.wait_for_url("**/clearance")
        assert not clearance["clear"] and page.locator(".badge.no").inner_text() == "Μη ενήμερος"
        assert page.locator("ul.reasons li").count() == len(clearance["reasons"]) >= 1
        assert page.get_by_role("link", name="Αποδεικτικό (PDF)").count() == 0  # no certificate when not clear
        look(page, "debtor-clearance")

        page.get_by_role("navigation").get_by_role("link", name="Ειδοποιήσεις").click()
        page.wait_for_url("**/notices")
        assert page.locator("ul.inbox li").count() == len(notices)
        assert page.locator("ul.inbox .badge.new").count() == sum(n["opened_on"] is None for n in notices)
        look(page, "debtor-notices")
        page.goto(web.base + "/notices/2")  # an unopened notice: the button, no figures before the opening
        assert page.get_by_role("button", name="Άνοιγμα").count() == 1
        look(page, "debtor-notice-unopened")


def test_debtor_arrangements_payment_codes_and_clearance_pdf(browser: Any, web: Web) -> None:
    table, clearance = cli_all(web, ("show", "debt-table", OTHER), ("show", "clearance", OTHER))
    with signed_in(browser, web, "other") as page:
        assert page.locator(".who .name").inner_text() == f"{table['name']} · ΑΦΜ {OTHER}"  # no name claim: its own
        page.get_by_role("navigation").get_by_role("link", name="Ρυθμίσεις").click()
        page.wait_for_url("**/arrangements")
        sections = page.locator("section[data-arrangement]")
        assert sections.count() == len(table["arrangements"]) >= 1
        for summary in table["arrangements"]:
            section = page.locator(f"section[data-arrangement='{summary['payment_code']}']")
            arrangement = web.cli_json("show", "arrangement", summary["payment_code"])
            assert figure(section, "payment_code") == arrangement["payment_code"]
            assert figure(section, "remaining_balance") == euros(arrangement["remaining_balance"])
            assert figure(section, "next_due") == (f"{euros(arrangement['next_due_amount'])} έως "
                                                   f"{dmy(arrangement['next_due_date'])}")
            section.locator("summary").click()  # its instalments
            assert section.locator("tbody tr").count() == len(arrangement["instalments"])
        look(page, "debtor-arrangements")

        page.get_by_role("navigation").get_by_role("link", name="Αρχική").click()
        assert figure(page, "live_arrangements") == "1"
        live = table["arrangements"][0]
        next_due = f"{euros(live['next_due_amount'])} έως {dmy(live['next_due_date'])}"
        assert next_due in page.locator(".notice-bar").inner_text()

        page.get_by_role("navigation").get_by_role("link", name="Ασφαλιστική ενημερότητα").click()
        assert clearance["clear"] and page.locator(".badge.ok").inner_text() == "Ενήμερος"
        assert figure(page, "valid_until") == dmy(clearance["valid_until"])
        pdf = page.request.get(web.base + page.get_by_role("link", name="Αποδεικτικό (PDF)").get_attribute("href"))
        assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:5] == b"%PDF-"
        look(page, "debtor-clearance-clear")


def test_a_debtor_opens_a_notice_and_it_is_delivered_electronically(browser: Any, web: Web,
                                                                  debtor_table: dict[str, Any]) -> None:
    """W8: the first opening in the account is the notice's electronic delivery."""
    before = web.cli_json("show", "notices", READER)
    n, chosen = [(n, x) for n, x in enumerate(before, 1)
                 if x["kind"] == "invitation" and x["delivered_on"] is None and x["opened_on"] is None][-1]
    today = debtor_table["as_of"]  # the ledger's business date
    with signed_in(browser, web, "reader") as page:
        page.goto(web.base + "/notices")
        page.locator(f"ul.inbox a[href='/notices/{n}']").click()
        page.wait_for_url(f"**/notices/{n}")
        assert page.locator("h1").inner_text() == f"Πρόσκληση της {dmy(chosen['issued_on'])}"
        page.get_by_role("button", name="Άνοιγμα").click()
        page.wait_for_selector("[data-figure=deadline]")
        after = {x["id"]: x for x in web.cli_json("show", "notices", READER)}[chosen["id"]]
        assert after["delivered_on"] == after["opened_on"] == today
        assert after["channel"] == "electronic"
        assert figure(page, "deadline") == dmy(after["deadline"])
        assert figure(page, "total") == euros(chosen["total"])  # frozen at issue (N5)
        assert chosen["id"] in page.inner_text("main")
        look(page, "debtor-notice-opened")
        pdf = page.request.get(f"{web.base}/notices/{n}.pdf")
        assert pdf.status == 200 and pdf.body()[:5] == b"%PDF-"


def test_applicant_previews_then_applies_online(browser: Any, web: Web) -> None:
    """W9: the preview is the plan ``arrangement apply`` grants; the confirmed one is an
    Applied event with channel online and the provider's subject as the account."""
    before = web.cli_json("show", "debt-table", APPLICANT)
    codes_before = {a["payment_code"] for a in before["arrangements"]}
    with signed_in(browser, web, "applicant") as page:
        assert figure(page, "live_arrangements") == "0"
        page.get_by_role("navigation").get_by_role("link", name="Αίτηση ρύθμισης").click()
        page.wait_for_url("**/apply")
        look(page, "debtor-apply")

        page.select_option("select[name=scheme]", "covid-650")  # after its deadline: the reason, no button
        page.get_by_role("button", name="Προβολή του σχεδίου").click()
        refused = page.locator("section[data-plan='covid-650']")
        assert "2022-01-31" in refused.locator(".reason").inner_text() or "31/01/2022" in refused.inner_text()
        assert refused.get_by_role("button", name="Υποβολή της αίτησης").count() == 0

        page.select_option("select[name=scheme]", "standing")
        page.get_by_role("button", name="Προβολή του σχεδίου").click()
        plan = page.locator("section[data-plan='standing']")
        capital, count = figure(plan, "capital"), figure(plan, "instalment_count")
        assert capital == euros(before["total_outstanding"])  # the whole overdue debt (S1)
        look(page, "debtor-apply-preview")
        plan.get_by_role("button", name="Υποβολή της αίτησης").click()
        page.wait_for_url("**/arrangements")

        shown = set(page.locator("section[data-arrangement]").evaluate_all(
            "sections => sections.map(s => s.dataset.arrangement)"))
        (code,) = shown - codes_before
        arrangement = web.cli_json("show", "arrangement", code)
        assert arrangement["scheme"] == "standing"
        assert euros(arrangement["capital"]) == capital and str(arrangement["instalment_count"]) == count
        assert figure(page.locator(f"section[data-arrangement='{code}']"), "payment_code") == code
        look(page, "debtor-arrangements-applied")
    applied = [e for e in web.cli_json("audit", code) if e["type"] == "Applied"]
    assert len(applied) == 1
    assert applied[0]["payload"]["channel"] == "online" and applied[0]["payload"]["account"] == "applicant"


def test_operator_searches_reads_as_of_a_day_and_delivers_by_post(browser: Any, web: Web,
                                                                  debtor_table: dict[str, Any]) -> None:
    found, past, suspense, posted, status = cli_all(
        web, ("debtor", "search", "παπαδοπ"), ("show", "debt-table", DEBTOR, "--as-of", "2021-06-30"),
        ("show", "suspense"), ("show", "notices", POSTED), ("projections", "status"))
    with signed_in(browser, web, "operator") as page:
        assert page.url == web.base + "/operator/"
        page.fill("input[name=q]", "παπαδοπ")  # part of a name, accents and case ignored
        page.get_by_role("button", name="Αναζήτηση").click()
        page.wait_for_url("**/operator/?q=*")
        assert page.locator("table.figures tbody tr").count() == len(found) >= 2
        look(page, "operator-search")
        page.locator(f"a[href='/operator/debtors/{DEBTOR}']").click()
        page.wait_for_url(f"**/operator/debtors/{DEBTOR}")
        page.fill("input[name=as_of]", "2021-06-30")
        page.get_by_role("button", name="Προβολή").click()
        page.wait_for_url("**as_of=2021-06-30")
        assert figure(page, "as_of") == "30/06/2021"
        assert figure(page, "total_outstanding") == euros(past["total_outstanding"])
        assert past["total_outstanding"] != debtor_table["total_outstanding"]  # not today's
        assert page.locator("table.figures tbody tr").count() == len(past["items"])
        look(page, "operator-debtor-as-of")

        page.get_by_role("navigation").get_by_role("link", name="Αδιάθετα").click()
        page.wait_for_url("**/operator/suspense")
        assert page.locator("[data-tx]").count() == len(suspense) >= 1
        for entry in suspense:
            card = page.locator(f"[data-tx='{entry['tx_id']}']")
            currency = entry["history"][-1]["currency"] if entry.get("history") else "EUR"
            amount = euros(entry["amount"]) if currency == "EUR" else euros(entry["amount"]).replace("€", currency)
            assert figure(card, "amount") == amount
            assert (entry["reference"] or "—") in card.inner_text()
        look(page, "operator-suspense")

        undelivered = [x for x in posted if x["delivered_on"] is None and x["kind"] == "invitation"]
        notice = undelivered[-1]
        page.get_by_role("navigation").get_by_role("link", name="Επιδόσεις").click()
        page.wait_for_url("**/operator/notices")
        row = page.locator(f"[data-notice='{notice['id']}']")
        assert euros(notice["total"]) in row.inner_text()
        look(page, "operator-notices")
        row.locator("input[name=proof]").fill("ΕΛΤΑ RR 0042 GR")
        row.get_by_role("button", name="Επιδόθηκε ταχυδρομικά").click()
        page.wait_for_url("**/operator/notices")
        assert page.locator(f"[data-notice='{notice['id']}']").count() == 0
        delivered = {x["id"]: x for x in web.cli_json("show", "notices", POSTED)}[notice["id"]]
        assert delivered["channel"] == "post" and delivered["proof"] == "ΕΛΤΑ RR 0042 GR"
        assert delivered["delivered_on"] == debtor_table["as_of"]  # today, the business date

        page.get_by_role("navigation").get_by_role("link", name="Πίνακες ανάγνωσης").click()
        page.wait_for_url("**/operator/projections")
        assert page.locator("tr[data-projection]").count() == len(status)
        look(page, "operator-projections")
        page.get_by_role("navigation").get_by_role("link", name="Διορθώσεις φορέων").click()
        page.wait_for_url("**/operator/corrections")
        assert page.locator("h1").inner_text() == "Διορθώσεις φορέων σε αναμονή"
        look(page, "operator-corrections")


def test_auditor_reads_the_trail_as_of_a_day_and_may_not_operate(browser: Any, web: Web) -> None:
    trail = web.cli_json("audit", DEBTOR, "--as-of", "2021-06-30")
    with signed_in(browser, web, "auditor") as page:
        assert page.url == web.base + "/audit/"
        assert page.get_by_role("navigation").get_by_role("link", name="Αδιάθετα").count() == 0
        page.fill("input[name=id]", DEBTOR)
        page.fill("input[name=as_of]", "2021-06-30")
        page.get_by_role("button", name="Προβολή").click()
        page.wait_for_url("**/audit/?id=*")
        assert page.locator("h2").inner_text() == f"{len(trail)} εγγραφές έως 30/06/2021"
        rows = page.locator("table.audit tbody tr")
        assert rows.count() == len(trail) >= 1
        types = [r.inner_text().strip() for r in page.locator("td[data-label='Εγγραφή']").all()]
        assert types == [e["type"] for e in trail]
        dates = [date.fromisoformat("-".join(reversed(d.inner_text().strip().split("/"))))
                 for d in page.locator("td[data-label='Ημερομηνία']").all()]
        assert max(dates) <= date(2021, 6, 30)  # as of a day: nothing later
        look(page, "auditor-trail")
        answer = page.goto(web.base + "/operator/")
        assert answer is not None and answer.status == 403
        assert re.search("Δεν επιτρέπεται", page.locator("h1").inner_text())
        look(page, "auditor-forbidden")
