"""The web's use of the ledger (``ledger.entrypoints.http.portal``), on both stores:
who may register (W3, W6), what a debtor sees (W7), the online application (W9)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from aggregates.errors import BadInput
from ledger.entrypoints.bootstrap import Bootstrap
from ledger.entrypoints.http.config import WebConfig
from ledger.entrypoints.http.identity import User
from ledger.entrypoints.http.portal import Portal, Refused
from ledger.errors import NotFound
from tests.integration.helpers import AFM, AFM2, UNIT, UNREGISTERED, covid_case, debtor, events_of, m, transfer

CONFIG = WebConfig(issuer="http://localhost:1", client_id="c", client_secret="s", session_secret="x" * 32)


@pytest.fixture
def portal(ledger):
    services = Bootstrap()
    services.use(ledger.db_url)  # its own application on the test's store, as `ledger serve` has
    yield Portal(services, CONFIG)
    services.close()


def sign_in(portal: Portal, afm: object, roles: frozenset[str] = frozenset()) -> User:
    portal.catch_up()
    return portal.sign_in("sub-1", "", roles, afm)


def test_w6_a_debtor_signs_in_by_the_providers_afm_and_sees_its_branch_units(ledger, portal):
    covid_case(ledger)
    debtor(ledger, UNIT, "Υποκατάστημα", parent_afm=AFM)
    user = sign_in(portal, AFM)
    assert (user.afm, user.name, user.visible, user.roles) == (AFM, "Παπαδόπουλος Α.Ε.", frozenset({AFM, UNIT}),
                                                              frozenset())
    # W7: the branch sees itself only; its debts are its head office's business, not its own
    transfer(ledger, UNIT, "80.00", "2021-10-31", "2021-09", "OAEE-unit-1")
    assert sign_in(portal, UNIT).visible == frozenset({UNIT})


def test_w3_w6_registration_is_refused_with_the_reason(ledger, portal):
    covid_case(ledger)
    debtor(ledger, AFM2, "Χωρίς οφειλές")
    with pytest.raises(Refused, match=f"ΑΦΜ {UNREGISTERED} is not a KEAO debtor"):
        sign_in(portal, UNREGISTERED)
    with pytest.raises(Refused, match=f"ΑΦΜ {AFM2} has no debts transferred to KEAO from a fund"):
        sign_in(portal, AFM2)
    with pytest.raises(Refused, match="gave no ΑΦΜ"):
        sign_in(portal, None)
    with pytest.raises(Refused, match="'100000004' is not a valid ΑΦΜ"):
        sign_in(portal, "100000004")
    # W3: the enabled funds are configuration; OAEE's debtors are refused when OAEE is not enabled
    portal.config = replace(CONFIG, enabled_funds=frozenset({"IKA", "OGA"}))
    with pytest.raises(Refused, match=r"from a fund whose debtors the e-services serve \(IKA, OGA\)"):
        sign_in(portal, AFM)
    # staff sign in by their roles alone, whatever the ΑΦΜ claim says
    staff = sign_in(portal, UNREGISTERED, frozenset({"auditor"}))
    assert (staff.afm, staff.is_staff, staff.may_see(AFM)) == (None, True, True)


def test_w7_another_debtors_data_answers_as_a_debtor_that_does_not_exist(ledger, portal):
    arrangement = covid_case(ledger)
    covid_case(ledger, AFM2)
    user = sign_in(portal, AFM2)
    with pytest.raises(NotFound) as theirs:
        portal.debt_table(user, AFM)
    with pytest.raises(NotFound) as nobody:
        portal.debt_table(user, UNREGISTERED)
    assert (theirs.value.field, str(theirs.value).replace(AFM, "?")) == (
        nobody.value.field, str(nobody.value).replace(UNREGISTERED, "?"))
    with pytest.raises(NotFound, match=f"no arrangement {arrangement.payment_code}"):
        portal.arrangement(user, arrangement.payment_code)
    with pytest.raises(BadInput, match="afm: not a valid ΑΦΜ"):
        portal.debt_table(user, "12345")
    # W2: a debtor's as_of is ignored; the same request by staff reads that day
    today = portal.debt_table(user, AFM2, date(2021, 12, 2))
    assert today["as_of"] == date(2021, 12, 1)
    staff = User("s", "Ελεγκτής", frozenset({"auditor"}))
    assert portal.debt_table(staff, AFM, date(2022, 3, 1))["as_of"] == date(2022, 3, 1)


def test_w9_the_online_application_shows_the_plan_records_nothing_then_records_it_online(ledger, portal):
    covid_case(ledger)  # the business date 2021-12-01
    debtor(ledger, AFM2, service="ΠΥ ΚΕΑΟ Αθηνών")
    transfer(ledger, AFM2, "1200.00", "2020-04-30", "2020-03", f"OAEE-{AFM2}-1")
    user = sign_in(portal, AFM2)
    positions = ledger.recorder.max_notification_id()
    plan = portal.application(user, "covid-650", 12, confirm=False)
    # C4: 1200.00 + 20 months at 8%/12 = 1360.00, in 12 instalments of 113.33 (the last 113.37)
    # "applied" until its first instalment is paid (C6)
    assert (plan["status"], plan["capital"], plan["instalment_count"]) == ("applied", m("1360.00"), 12)
    assert [i["capital"] for i in plan["instalments"]][-2:] == [m("113.33"), m("113.37")]
    assert ledger.recorder.max_notification_id() == positions  # the preview recorded nothing
    assert ledger.debtor(AFM2).arrangement_ids == []
    confirmed = portal.application(user, "covid-650", 12, confirm=True)
    assert (confirmed["payment_code"], confirmed["capital"]) == (plan["payment_code"], plan["capital"])
    [applied] = events_of(ledger, AFM2, "Applied")
    assert (applied["payload"]["channel"], applied["payload"]["account"]) == ("online", "sub-1")
    # at a service, the same event with channel "service" and no account (W9)
    [at_service] = events_of(ledger, AFM, "Applied")
    assert (at_service["payload"]["channel"], at_service["payload"]["account"]) == ("service", None)
    staff = User("s", "Υπάλληλος", frozenset({"operator"}))
    with pytest.raises(BadInput, match="only a signed-in debtor applies online"):
        portal.application(staff, "covid-650", None, confirm=False)
